import { type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * Alerts from other tools (PagerDuty Events API v2, Alertmanager, generic webhooks) and from
 * Vigil's own sources. Every accepted event is kept in `alert_events` in the transaction that
 * applies it to its alert, so a 202 means durable and the alert's history can be replayed.
 */
export async function up(db: AnyDb, _dialect: Dialect): Promise<void> {
  const ts = 'bigint';
  await db.schema
    .createTable('integrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    // SHA-256 of the key; the key itself is shown once.
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_hint', 'text', (c) => c.notNull())
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('rate_limit_per_minute', 'integer', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .addColumn('revoked_at', ts)
    .execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('integration_id', 'text')
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('component', 'text')
    .addColumn('grp', 'text')
    .addColumn('class', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('links', 'text', (c) => c.notNull())
    .addColumn('images', 'text', (c) => c.notNull())
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('last_event_at', ts, (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('acknowledged_at', ts)
    .addColumn('acknowledged_by', 'text')
    .addColumn('resolved_at', ts)
    .addColumn('resolved_by', 'text')
    .execute();
  // One open alert per service and dedup key; once resolved, the same key opens a new one.
  await db.schema
    .createIndex('alerts_open_dedup')
    .on('alerts')
    .columns(['service_id', 'dedup_key'])
    .unique()
    .where(sql.ref('status'), '<>', 'resolved')
    .execute();
  await db.schema.createIndex('alerts_status_created').on('alerts').columns(['status', 'created_at']).execute();
  await db.schema.createIndex('alerts_service_created').on('alerts').columns(['service_id', 'created_at']).execute();

  await db.schema
    .createTable('alert_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('alert_id', 'text')
    .addColumn('integration_id', 'text')
    .addColumn('received_at', ts, (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('alert_events_alert').on('alert_events').columns(['alert_id', 'received_at']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['alert_events', 'alerts', 'integrations']) await db.schema.dropTable(table).execute();
}
