import { type Kysely, sql } from 'kysely';
import type { Dialect } from './database.ts';

// biome-ignore lint/suspicious/noExplicitAny: used by migrations, which see the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * DDL for a generation number (ADR 0009): a one-row table `counter` (id 1, `generation`) and
 * triggers on each of `watched` that bump it on every insert, update and delete (and truncate
 * on PostgreSQL, with statement triggers calling `bump_<counter>()`), whoever writes.
 * Migrations call it; what it creates must not change once a migration has used it.
 */
export async function createGenerationCounter(
  db: AnyDb,
  dialect: Dialect,
  counter: string,
  watched: readonly string[],
): Promise<void> {
  await db.schema
    .createTable(counter)
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto(counter).values({ id: 1, generation: 1 }).execute();
  const bump = sql`update ${sql.table(counter)} set generation = generation + 1 where id = 1`;
  if (dialect === 'postgres') {
    await sql`
      create function ${sql.id(`bump_${counter}`)}() returns trigger language plpgsql as $$
      begin
        ${bump};
        return null;
      end $$`.execute(db);
    for (const table of watched) {
      await sql`
        create trigger ${sql.id(`${table}_generation`)} after insert or update or delete or truncate on ${sql.table(table)}
        for each statement execute function ${sql.id(`bump_${counter}`)}()`.execute(db);
    }
    return;
  }
  for (const table of watched) {
    for (const op of ['insert', 'update', 'delete']) {
      await sql`
        create trigger ${sql.id(`${table}_generation_${op}`)} after ${sql.raw(op)} on ${sql.table(table)}
        begin
          ${bump};
        end`.execute(db);
    }
  }
}

/** Undoes {@link createGenerationCounter}. */
export async function dropGenerationCounter(
  db: AnyDb,
  dialect: Dialect,
  counter: string,
  watched: readonly string[],
): Promise<void> {
  if (dialect === 'postgres') {
    for (const table of watched) await sql`drop trigger ${sql.id(`${table}_generation`)} on ${sql.table(table)}`.execute(db);
    await sql`drop function ${sql.id(`bump_${counter}`)}()`.execute(db);
  } else {
    for (const table of watched)
      for (const op of ['insert', 'update', 'delete']) await sql`drop trigger ${sql.id(`${table}_generation_${op}`)}`.execute(db);
  }
  await db.schema.dropTable(counter).execute();
}
