import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Db, openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';

/** The PostgreSQL server that store contract suites run against. */
export const TEST_PG_URL = process.env.VIGIL_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDatabase {
  db: Db;
  /** Closes the handle and drops the throwaway PostgreSQL database. */
  destroy(): Promise<void>;
}

/** Dialects every store contract suite runs on: `describe.each(testDialects)`. */
export const testDialects = ['sqlite', 'postgres'] as const;

/**
 * A fresh, migrated database of the given dialect. PostgreSQL gets a database of its own
 * (`vigil_test_<random>`) so parallel test files never see each other's rows.
 */
export async function createTestDatabase(dialect: 'sqlite' | 'postgres', migrate = true): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const db = await openDatabase('sqlite::memory:');
    if (migrate) await migrateToLatest(db);
    return { db, destroy: () => db.close() };
  }
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  const db = await openDatabase(url.toString());
  if (migrate) await migrateToLatest(db);
  return {
    db,
    async destroy() {
      await db.close();
      await dropPostgresDatabase(name);
    },
  };
}

export async function dropPostgresDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_PG_URL });
  await client.connect();
  try {
    // pg's Pool.end() resolves before its sockets close; wait for them so FORCE does not kill
    // connections whose owners would report the termination as an error.
    for (let i = 0; i < 200; i++) {
      const { rows } = await client.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where datname = $1', [
        name,
      ]);
      if (rows[0]?.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** A URL for a new, empty PostgreSQL database and a function that drops it. */
export function freshPostgresUrl(): { url: string; drop: () => Promise<void> } {
  const name = `vigil_test_${randomBytes(6).toString('hex')}`;
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropPostgresDatabase(name) };
}
