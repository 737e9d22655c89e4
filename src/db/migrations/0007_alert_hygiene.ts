import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * Alert hygiene in the pipeline: each alert's urgency, why it was not notified
 * (`suppressed_by`) and when a deferred low-urgency alert will be (`notify_at`); silences; each
 * service's alert policy (grouping, urgency, working hours, inhibition, flapping); and the
 * grouping state of services that group their notifications.
 */
export async function up(db: AnyDb, _dialect: Dialect): Promise<void> {
  const ts = 'bigint';
  await db.schema
    .alterTable('alerts')
    .addColumn('urgency', 'text', (c) => c.notNull().defaultTo('high'))
    .execute();
  await db.schema.alterTable('alerts').addColumn('suppressed_by', 'text').execute();
  await db.schema.alterTable('alerts').addColumn('notify_at', ts).execute();
  // Flap detection reads a key's recent alerts.
  await db.schema.createIndex('alerts_service_dedup').on('alerts').columns(['service_id', 'dedup_key', 'created_at']).execute();

  await db.schema
    .createTable('silences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('matchers', 'text', (c) => c.notNull())
    .addColumn('starts_at', ts, (c) => c.notNull())
    .addColumn('ends_at', ts, (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('silences_ends').on('silences').column('ends_at').execute();

  await db.schema
    .createTable('alert_policies')
    .addColumn('service_id', 'text', (c) => c.primaryKey())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('alert_groups')
    .addColumn('service_id', 'text', (c) => c.primaryKey())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['alert_groups', 'alert_policies', 'silences']) await db.schema.dropTable(table).execute();
  await db.schema.dropIndex('alerts_service_dedup').execute();
  for (const column of ['notify_at', 'suppressed_by', 'urgency'])
    await db.schema.alterTable('alerts').dropColumn(column).execute();
}
