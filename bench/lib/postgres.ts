import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server benchmarks create their databases on; its own database is only used to run CREATE/DROP. */
export const BENCH_PG_ADMIN_URL =
  process.env.VIGIL_BENCH_PG ?? process.env.VIGIL_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface ThrowawayDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** Creates `vigil_bench_<random>` on the admin URL's server; `drop()` removes it, connections and all. */
export async function freshPostgresDatabase(prefix = 'vigil_bench'): Promise<ThrowawayDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = new URL(BENCH_PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function adminQuery(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** `PostgreSQL 15.20` — the server's version, for the results' setup lines. */
export async function postgresVersion(): Promise<string> {
  const client = new pg.Client({ connectionString: BENCH_PG_ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ server_version: string }>('show server_version');
    return `PostgreSQL ${rows[0]?.server_version ?? '?'}`;
  } finally {
    await client.end();
  }
}
