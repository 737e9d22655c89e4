import type { Kysely } from 'kysely';
import type { Dialect } from '../database.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * Notifications: where a service's alerts are sent (`notification_targets`; a target without a
 * service is a fallback, used for services that have none and for delivery-failure notices),
 * every delivery attempt (`notification_attempts`), and server-wide `settings` such as the key
 * that signs one-click links.
 */
export async function up(db: AnyDb, _dialect: Dialect): Promise<void> {
  const ts = 'bigint';
  await db.schema
    .createTable('notification_targets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('service_id', 'text')
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_targets_service').on('notification_targets').column('service_id').execute();

  await db.schema
    .createTable('notification_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('alert_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('at', ts, (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('retryable', 'integer')
    .addColumn('status', 'integer')
    .addColumn('duration_ms', 'double precision', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_attempts_job').on('notification_attempts').columns(['job_id', 'at']).execute();
  await db.schema.createIndex('notification_attempts_alert').on('notification_attempts').columns(['alert_id', 'at']).execute();

  await db.schema
    .createTable('settings')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['settings', 'notification_attempts', 'notification_targets']) await db.schema.dropTable(table).execute();
}
