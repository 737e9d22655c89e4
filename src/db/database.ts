import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type LogEvent, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.ts';

export type Dialect = 'sqlite' | 'postgres';

/** int8 comes back from pg as a string; every int8 Vigil stores is a millisecond timestamp or a count. */
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * A database handle: the Kysely instance plus what callers need to know about the engine.
 * `queries` counts statements so tests can prove there is no N+1.
 */
export interface Db {
  readonly kysely: Kysely<Database>;
  /**
   * For writes an API caller waits on that must not queue behind background work (alert
   * ingestion, whose 202 waits for its commit, while the job workers deliver notifications):
   * on PostgreSQL a small pool of its own, on SQLite the same as `kysely` (one writer anyway).
   */
  readonly priority: Kysely<Database>;
  readonly dialect: Dialect;
  readonly url: string;
  /** Statements executed so far (monotonic). */
  queries(): number;
  close(): Promise<void>;
}

export type Executor = Kysely<Database>;

/** Connections of PostgreSQL's priority pool: the alert ingestion's transactions in flight at once. */
export const PRIORITY_CONNECTIONS = 4;

/**
 * Opens `sqlite:./data/vigil.db`, `sqlite::memory:`, a bare file path, or `postgres://…`.
 * A PostgreSQL database that does not exist yet is created.
 */
export async function openDatabase(url: string): Promise<Db> {
  let count = 0;
  const log = (_event: LogEvent): void => {
    count++;
  };
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    await ensurePostgresDatabase(url);
    // Ingestion's group commit, the job workers (32 by default) and the API share the pool.
    const pool = new pg.Pool({ connectionString: url, max: 24 });
    // An idle connection that the server closes (restart, failover, DROP DATABASE … FORCE) emits
    // 'error' on the pool; unhandled, it would crash the process. The pool replaces the connection.
    pool.on('error', () => {});
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log });
    const priorityPool = new pg.Pool({ connectionString: url, max: PRIORITY_CONNECTIONS });
    priorityPool.on('error', () => {});
    const priority = new Kysely<Database>({ dialect: new PostgresDialect({ pool: priorityPool }), log });
    return {
      kysely,
      priority,
      dialect: 'postgres',
      url,
      queries: () => count,
      close: async () => {
        await Promise.all([kysely.destroy(), priority.destroy()]);
      },
    };
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(resolve(file)), { recursive: true });
  const database = new SQLite(file);
  // WAL lets readers proceed while one writer commits; busy_timeout makes a second process
  // wait for the write lock instead of failing at once.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }), log });
  return {
    kysely,
    priority: kysely,
    dialect: 'sqlite',
    url,
    queries: () => count,
    close: () => kysely.destroy(),
  };
}

/**
 * Kysely prepares every statement anew, and preparing costs as much as running a small
 * statement. Vigil's statements come from a few hundred query shapes, so they are kept
 * (least recently used out, at most 1,000). Safe because nothing streams rows with `iterate`:
 * `all` and `run` finish before the statement can be used again.
 */
function withStatementCache(database: SQLite.Database): { close(): void; prepare(sql: string): SQLite.Statement } {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string): SQLite.Statement {
      let stmt = cache.get(sql);
      if (stmt) {
        cache.delete(sql);
      } else {
        stmt = database.prepare(sql);
        if (cache.size >= 1000) {
          const oldest = cache.keys().next().value;
          if (oldest !== undefined) cache.delete(oldest);
        }
      }
      cache.set(sql, stmt);
      return stmt;
    },
  };
}

async function ensurePostgresDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) return;
  const probe = new pg.Client({ connectionString: url });
  try {
    await probe.connect();
    await probe.end();
    return;
  } catch (error) {
    await probe.end().catch(() => {});
    if ((error as { code?: string }).code !== '3D000') throw error;
  }
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
  } catch (error) {
    // Another replica created it first: 42P04 when it had committed, 23505 when both raced.
    const code = (error as { code?: string }).code;
    if (code !== '42P04' && code !== '23505') throw error;
  } finally {
    await client.end();
  }
}

/** True when the database answers a trivial query. */
export async function ping(db: Db): Promise<boolean> {
  try {
    await sql`select 1`.execute(db.kysely);
    return true;
  } catch {
    return false;
  }
}

/** A unique constraint rejected the write (pg 23505, SQLite SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * Runs `fn` again when a concurrent writer (another replica) won a race on a unique key. `fn`
 * must re-read what it depends on, so the second run sees the winner's row and does nothing.
 */
export async function retryOnUniqueViolation<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts || !isUniqueViolation(error)) throw error;
    }
  }
}
