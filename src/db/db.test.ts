import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.ts';
import { migrateDown, migrateToLatest, migrations, migrationsPending } from './migrate.ts';
import { createTestDatabase, freshPostgresUrl, type TestDatabase, testDialects } from './testing.ts';

describe.each(testDialects)('migrations on %s', (dialect) => {
  let t: TestDatabase | undefined;
  afterEach(async () => {
    await t?.destroy();
    t = undefined;
  });

  it('run up on an empty database, down with data in it, and up again', async () => {
    t = await createTestDatabase(dialect, false);
    expect(await migrationsPending(t.db)).toBe(migrations.length);
    await migrateToLatest(t.db);
    expect(await migrationsPending(t.db)).toBe(0);
    await t.db.kysely
      .insertInto('users')
      .values({
        id: 'u1',
        name: 'alice',
        display_name: null,
        email: null,
        role: 'member',
        password_hash: null,
        source: null,
        created_at: 1,
        updated_at: 1,
      })
      .execute();
    for (let i = 0; i < migrations.length; i++) await migrateDown(t.db);
    expect(await migrationsPending(t.db)).toBe(migrations.length);
    await migrateToLatest(t.db);
    const users = await t.db.kysely.selectFrom('users').selectAll().execute();
    expect(users).toEqual([]);
  });

  it('stores millisecond timestamps beyond 32 bits and reads them back as numbers', async () => {
    t = await createTestDatabase(dialect);
    const at = Date.UTC(2030, 0, 1);
    await t.db.kysely
      .insertInto('journal')
      .values({
        id: 'j1',
        at,
        kind: 'test.kind',
        actor: 'system:test',
        service_id: null,
        subject_type: null,
        subject_id: null,
        data: '{}',
      })
      .execute();
    const row = await t.db.kysely.selectFrom('journal').select(['at', 'seq']).executeTakeFirstOrThrow();
    expect(row.at).toBe(at);
    expect(typeof row.seq).toBe('number');
  });
});

describe('openDatabase', () => {
  it('creates a PostgreSQL database that does not exist yet', async () => {
    const { url, drop } = freshPostgresUrl();
    const db = await openDatabase(url);
    try {
      const r = await sql<{ one: number }>`select 1 as one`.execute(db.kysely);
      expect(r.rows[0]?.one).toBe(1);
    } finally {
      await db.close();
      await drop();
    }
  });

  it('counts the statements it runs', async () => {
    const db = await openDatabase('sqlite::memory:');
    const before = db.queries();
    await sql`select 1`.execute(db.kysely);
    await sql`select 2`.execute(db.kysely);
    expect(db.queries() - before).toBe(2);
    await db.close();
  });
});
