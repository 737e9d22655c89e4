import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * The dependency graph (entities, their owners' names and tiers, and dependencies) changes on
 * catalog writes only, but blast radius walks it on every request. A generation number,
 * bumped by triggers on every change to the tables it is made of, lets each replica keep the
 * graph in memory until the number moves, whoever changed it.
 */
const WATCHED_TABLES = ['catalog_entities', 'catalog_dependencies', 'teams'] as const;

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('catalog_generation')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('catalog_generation').values({ id: 1, generation: 1 }).execute();
  if (dialect === 'postgres') {
    await sql`
      create function bump_catalog_generation() returns trigger language plpgsql as $$
      begin
        update catalog_generation set generation = generation + 1 where id = 1;
        return null;
      end $$`.execute(db);
    for (const table of WATCHED_TABLES) {
      await sql`
        create trigger ${sql.id(`${table}_generation`)} after insert or update or delete or truncate on ${sql.table(table)}
        for each statement execute function bump_catalog_generation()`.execute(db);
    }
    return;
  }
  for (const table of WATCHED_TABLES) {
    for (const op of ['insert', 'update', 'delete']) {
      await sql`
        create trigger ${sql.id(`${table}_generation_${op}`)} after ${sql.raw(op)} on ${sql.table(table)}
        begin
          update catalog_generation set generation = generation + 1 where id = 1;
        end`.execute(db);
    }
  }
}

export async function down(db: AnyDb, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    for (const table of WATCHED_TABLES)
      await sql`drop trigger ${sql.id(`${table}_generation`)} on ${sql.table(table)}`.execute(db);
    await sql`drop function bump_catalog_generation()`.execute(db);
  } else {
    for (const table of WATCHED_TABLES)
      for (const op of ['insert', 'update', 'delete']) await sql`drop trigger ${sql.id(`${table}_generation_${op}`)}`.execute(db);
  }
  await db.schema.dropTable('catalog_generation').execute();
}
