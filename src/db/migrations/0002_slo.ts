import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import type { Dialect } from '../database.ts';

// biome-ignore lint/suspicious/noExplicitAny: migrations are written against the schema as it was then.
type AnyDb = Kysely<any>;

/**
 * SLIs, SLOs and what hangs off them, plus the SLI time series. Catalog services are referenced
 * by entity id without a foreign key: deleting a service must not fail (or silently cascade)
 * because an SLO still names it; the SLO layer reports the dangling reference instead.
 */
export async function up(db: AnyDb, dialect: Dialect): Promise<void> {
  const ts = 'bigint';
  // SQLite keeps rows in rowid order, which for time series is arrival order: every SLI's
  // minutes end up scattered over the whole table, and reading one SLI's 40,320 minutes touches
  // as many pages. WITHOUT ROWID stores the rows in primary-key order, (sli_id, minute), so the
  // same read is one sequential range (3–4× faster). PostgreSQL has no equivalent to declare.
  const clustered = <T extends string, C extends string>(t: CreateTableBuilder<T, C>): CreateTableBuilder<T, C> =>
    dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t;
  // Definitions: the spec is JSON in normal form; `source` is the config-as-code owner.
  const definition = (name: string) =>
    db.schema
      .createTable(name)
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique());

  await definition('data_sources')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  await definition('slis')
    .addColumn('service_id', 'text')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  await definition('slos')
    .addColumn('service_id', 'text')
    .addColumn('sli_id', 'text', (c) => c.notNull().references('slis.id'))
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('slos_service').on('slos').column('service_id').execute();
  await db.schema.createIndex('slos_sli').on('slos').column('sli_id').execute();

  await definition('slas')
    .addColumn('slo_id', 'text', (c) => c.notNull().references('slos.id'))
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  // One policy per service, keyed by the service's name so a policy can be declared before the
  // service exists in the same apply.
  await db.schema
    .createTable('error_budget_policies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull().unique())
    .addColumn('service_id', 'text')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('policy_overrides')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('expires_at', ts, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('policy_overrides_service').on('policy_overrides').columns(['service', 'expires_at']).execute();

  await definition('maintenance_windows')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', ts, (c) => c.notNull())
    .addColumn('updated_at', ts, (c) => c.notNull())
    .execute();

  // The SLI time series: counts per minute, added to by every batch. Never ratios, so any
  // window is an exact sum.
  await clustered(
    db.schema
      .createTable('sli_minutes')
      .addColumn('sli_id', 'text', (c) => c.notNull().references('slis.id').onDelete('cascade'))
      .addColumn('minute', 'integer', (c) => c.notNull())
      .addColumn('good', 'bigint', (c) => c.notNull())
      .addColumn('total', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('sli_minutes_pk', ['sli_id', 'minute']),
  ).execute();

  // Hourly rollup of sli_minutes, kept far longer than the minutes themselves.
  await clustered(
    db.schema
      .createTable('sli_hours')
      .addColumn('sli_id', 'text', (c) => c.notNull().references('slis.id').onDelete('cascade'))
      .addColumn('hour', 'integer', (c) => c.notNull())
      .addColumn('good', 'bigint', (c) => c.notNull())
      .addColumn('total', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('sli_hours_pk', ['sli_id', 'hour']),
  ).execute();

  // Raw observations (latencies) as mergeable histograms per minute, for quantiles over any span.
  await clustered(
    db.schema
      .createTable('sli_histograms')
      .addColumn('sli_id', 'text', (c) => c.notNull().references('slis.id').onDelete('cascade'))
      .addColumn('minute', 'integer', (c) => c.notNull())
      .addColumn('histogram', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('sli_histograms_pk', ['sli_id', 'minute']),
  ).execute();

  // Every ingested batch: the key makes a retried batch count once, and the minute range lets
  // other replicas refresh exactly what changed in their in-memory series.
  await db.schema
    .createTable('sli_batches')
    .addColumn('sli_id', 'text', (c) => c.notNull().references('slis.id').onDelete('cascade'))
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('received_at', ts, (c) => c.notNull())
    .addColumn('min_minute', 'integer', (c) => c.notNull())
    .addColumn('max_minute', 'integer', (c) => c.notNull())
    .addColumn('events', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('sli_batches_pk', ['sli_id', 'batch_id'])
    .execute();
  await db.schema.createIndex('sli_batches_received').on('sli_batches').column('received_at').execute();

  await db.schema
    .createTable('slo_alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slo_id', 'text', (c) => c.notNull().references('slos.id').onDelete('cascade'))
    .addColumn('objective', 'text', (c) => c.notNull())
    .addColumn('rule', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('fired_at', ts, (c) => c.notNull())
    .addColumn('resolved_at', ts)
    .addColumn('data', 'text', (c) => c.notNull())
    .execute();
  // At most one open episode per SLO, objective and rule, whatever the evaluators do.
  await db.schema
    .createIndex('slo_alerts_open')
    .on('slo_alerts')
    .columns(['slo_id', 'objective', 'rule'])
    .unique()
    .where(sql.ref('state'), '=', 'firing')
    .execute();
  await db.schema.createIndex('slo_alerts_fired').on('slo_alerts').columns(['state', 'fired_at']).execute();

  // Named leases for work that one replica at a time must do (the SLO evaluator).
  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('until', ts, (c) => c.notNull())
    .execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of [
    'leases',
    'slo_alerts',
    'sli_batches',
    'sli_histograms',
    'sli_hours',
    'sli_minutes',
    'maintenance_windows',
    'policy_overrides',
    'error_budget_policies',
    'slas',
    'slos',
    'slis',
    'data_sources',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
