import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * What the alert pipeline reads before deciding about any alert (silences, maintenance windows,
 * alert policies, notification targets) changes rarely but is read by every ingestion batch.
 * A generation number, bumped by a trigger on every change to those tables whoever makes it
 * (the API, config as code, another replica, a hand-written SQL statement), lets each replica
 * keep its copy until the number moves: one small read per batch instead of four.
 */
export const WATCHED_TABLES = ['silences', 'maintenance_windows', 'alert_policies', 'notification_targets'] as const;

export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('alert_config_generation')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('generation', 'bigint', (c) => c.notNull())
    .execute();
  await db.insertInto('alert_config_generation').values({ id: 1, generation: 1 }).execute();
  if (dialect === 'postgres') {
    await sql`
      create function bump_alert_config_generation() returns trigger language plpgsql as $$
      begin
        update alert_config_generation set generation = generation + 1 where id = 1;
        return null;
      end $$`.execute(db);
    for (const table of WATCHED_TABLES) {
      await sql`
        create trigger ${sql.id(`${table}_generation`)} after insert or update or delete or truncate on ${sql.table(table)}
        for each statement execute function bump_alert_config_generation()`.execute(db);
    }
    return;
  }
  for (const table of WATCHED_TABLES) {
    for (const op of ['insert', 'update', 'delete']) {
      await sql`
        create trigger ${sql.id(`${table}_generation_${op}`)} after ${sql.raw(op)} on ${sql.table(table)}
        begin
          update alert_config_generation set generation = generation + 1 where id = 1;
        end`.execute(db);
    }
  }
}

export async function down(db: AnyDb, dialect: Dialect): Promise<void> {
  if (dialect === 'postgres') {
    for (const table of WATCHED_TABLES)
      await sql`drop trigger ${sql.id(`${table}_generation`)} on ${sql.table(table)}`.execute(db);
    await sql`drop function bump_alert_config_generation()`.execute(db);
  } else {
    for (const table of WATCHED_TABLES)
      for (const op of ['insert', 'update', 'delete']) await sql`drop trigger ${sql.id(`${table}_generation_${op}`)}`.execute(db);
  }
  await db.schema.dropTable('alert_config_generation').execute();
}
