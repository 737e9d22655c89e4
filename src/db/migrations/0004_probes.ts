import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * Black-box probes. Results are kept three ways: per-minute counts and latency histograms (for
 * uptime and latency over the last days), an hourly rollup of the same (for 90-day bars and
 * long uptime windows), and a bounded ring of the latest raw results per probe (for debugging).
 * Nothing grows with the number of checks except the time series, which are pruned by age.
 */
export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  const ts = 'bigint';
  const clustered = <T extends string, C extends string>(t: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> =>
    dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t;

  await db.schema
    .createTable('probes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    // The catalog service, by entity id without a foreign key (as SLOs reference services).
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('source', 'text')
    // Heartbeats: the secret in the ping URL (null for active probes).
    .addColumn('heartbeat_key', 'text', (c) => c.unique())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('probes_service').on('probes').column('service_id').execute();

  // Where each probe stands; written by whichever replica runs it, separate from the definition
  // so an apply never races the runner over one row.
  await db.schema
    .createTable('probe_states')
    .addColumn('probe_id', 'text', (c) => c.primaryKey().references('probes.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('since', ts)
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('successes', 'integer', (c) => c.notNull())
    .addColumn('last_check_at', ts)
    .addColumn('last_ok', 'integer')
    .addColumn('last_duration_ms', 'double precision')
    // Position of the next raw result in the ring.
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('last_ping_at', ts)
    .execute();

  await clustered(
    db.schema
      .createTable('probe_minutes')
      .addColumn('probe_id', 'text', (c) => c.notNull().references('probes.id').onDelete('cascade'))
      .addColumn('minute', 'integer', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('ok', 'integer', (c) => c.notNull())
      // JSON of a mergeable latency histogram of the checks that completed (slo/histogram.ts).
      .addColumn('histogram', 'text')
      .addPrimaryKeyConstraint('probe_minutes_pk', ['probe_id', 'minute']),
  ).execute();

  await clustered(
    db.schema
      .createTable('probe_hours')
      .addColumn('probe_id', 'text', (c) => c.notNull().references('probes.id').onDelete('cascade'))
      .addColumn('hour', 'integer', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('ok', 'integer', (c) => c.notNull())
      .addColumn('histogram', 'text')
      .addPrimaryKeyConstraint('probe_hours_pk', ['probe_id', 'hour']),
  ).execute();

  await clustered(
    db.schema
      .createTable('probe_results')
      .addColumn('probe_id', 'text', (c) => c.notNull().references('probes.id').onDelete('cascade'))
      .addColumn('slot', 'integer', (c) => c.notNull())
      .addColumn('at', ts, (c) => c.notNull())
      .addColumn('ok', 'integer', (c) => c.notNull())
      .addColumn('duration_ms', 'double precision', (c) => c.notNull())
      // JSON of the whole CheckResult (phases, condition results, excerpt).
      .addColumn('result', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('probe_results_pk', ['probe_id', 'slot']),
  ).execute();

  await db.schema
    .createTable('probe_transitions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('probe_id', 'text', (c) => c.notNull().references('probes.id').onDelete('cascade'))
    .addColumn('at', ts, (c) => c.notNull())
    .addColumn('from_status', 'text', (c) => c.notNull())
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('probe_transitions_probe').on('probe_transitions').columns(['probe_id', 'at']).execute();

  await db.schema
    .createTable('probe_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('probe_id', 'text', (c) => c.notNull().references('probes.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('opened_at', ts, (c) => c.notNull())
    .addColumn('resolved_at', ts)
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('excerpt', 'text', (c) => c.notNull())
    .execute();
  // At most one open alert per probe, whichever replica ran it.
  await db.schema
    .createIndex('probe_alerts_open')
    .on('probe_alerts')
    .column('probe_id')
    .unique()
    .where(sql.ref('state'), '=', 'firing')
    .execute();
  await db.schema.createIndex('probe_alerts_opened').on('probe_alerts').columns(['state', 'opened_at']).execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'probe_alerts',
    'probe_transitions',
    'probe_results',
    'probe_hours',
    'probe_minutes',
    'probe_states',
    'probes',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
