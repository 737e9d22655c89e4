import { type Insertable, sql } from 'kysely';
import type { Dialect, Executor } from '../db/database.ts';
import type { AlertEventsTable, AlertsTable, IntegrationsTable, JobsTable, JournalTable } from '../db/schema.ts';

/** Alert storage. Every function takes an executor so callers compose them into transactions. */

export type AlertRow = AlertsTable;
export type IntegrationRow = IntegrationsTable;

export async function insertIntegration(ex: Executor, row: IntegrationRow): Promise<void> {
  await ex.insertInto('integrations').values(row).execute();
}

export async function integrationByHash(ex: Executor, keyHash: string): Promise<IntegrationRow | undefined> {
  return ex.selectFrom('integrations').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export async function integrationByName(ex: Executor, name: string): Promise<IntegrationRow | undefined> {
  return ex.selectFrom('integrations').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function listIntegrations(ex: Executor): Promise<Array<IntegrationRow & { service: string | null }>> {
  return ex
    .selectFrom('integrations')
    .leftJoin('catalog_entities', 'catalog_entities.id', 'integrations.service_id')
    .selectAll('integrations')
    .select('catalog_entities.name as service')
    .orderBy('integrations.name')
    .execute();
}

export async function updateIntegration(
  ex: Executor,
  id: string,
  patch: Partial<
    Pick<IntegrationRow, 'key_hash' | 'key_hint' | 'revoked_at' | 'updated_at' | 'rate_limit_per_minute' | 'config'>
  >,
): Promise<void> {
  await ex.updateTable('integrations').set(patch).where('id', '=', id).execute();
}

/** The open (triggered or acknowledged) alert of a service with this dedup key. */
export async function openAlert(ex: Executor, serviceId: string, dedupKey: string): Promise<AlertRow | undefined> {
  return ex
    .selectFrom('alerts')
    .selectAll()
    .where('service_id', '=', serviceId)
    .where('dedup_key', '=', dedupKey)
    .where('status', '<>', 'resolved')
    .executeTakeFirst();
}

/** Inserts unless an open alert holds the dedup key (another replica may have just opened it). */
export async function insertAlert(ex: Executor, row: AlertRow): Promise<boolean> {
  const inserted = await ex
    .insertInto('alerts')
    .values(row)
    .onConflict((oc) => oc.columns(['service_id', 'dedup_key']).where(sql.ref('status'), '<>', sql.lit('resolved')).doNothing())
    .returning('id')
    .execute();
  return inserted.length > 0;
}

/**
 * Inserts alerts together, skipping any whose key another replica holds open; how many were
 * inserted (fewer than given means a conflict the caller must resolve).
 */
export async function insertAlerts(ex: Executor, rows: readonly AlertRow[]): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += 200) {
    const done = await ex
      .insertInto('alerts')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['service_id', 'dedup_key']).where(sql.ref('status'), '<>', sql.lit('resolved')).doNothing())
      .returning('id')
      .execute();
    inserted += done.length;
  }
  return inserted;
}

/**
 * Updates an alert. A patch that sets `event_count` adds one to the stored count instead, so
 * two replicas counting events of the same alert at once both count. With `addLabels`, those
 * labels are merged into the stored ones in SQL (the patch's `labels` is ignored), so two
 * replicas adding labels to the same alert at once both keep theirs.
 */
export async function updateAlert(
  ex: Executor,
  id: string,
  patch: Partial<AlertRow>,
  addLabels?: { labels: Readonly<Record<string, string>>; dialect: Dialect },
): Promise<void> {
  const { event_count, labels, ...rest } = patch;
  const set: Record<string, unknown> = { ...rest };
  if (event_count !== undefined) set.event_count = sql<number>`event_count + 1`;
  if (addLabels !== undefined) {
    const json = JSON.stringify(addLabels.labels);
    // PostgreSQL's jsonb || and SQLite's json_patch both let the new value of a label win.
    set.labels =
      addLabels.dialect === 'postgres'
        ? sql<string>`(labels::jsonb || ${json}::jsonb)::text`
        : sql<string>`json_patch(labels, ${json})`;
  } else if (labels !== undefined) set.labels = labels;
  await ex.updateTable('alerts').set(set).where('id', '=', id).execute();
}

export async function alertById(ex: Executor, id: string): Promise<AlertRow | undefined> {
  return ex.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface AlertFilter {
  status?: readonly AlertRow['status'][];
  serviceIds?: readonly string[];
  since?: number;
}

export async function listAlerts(
  ex: Executor,
  f: AlertFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: AlertRow[]; total: number }> {
  let q = ex.selectFrom('alerts');
  if (f.status && f.status.length > 0) q = q.where('status', 'in', [...f.status]);
  if (f.serviceIds) q = q.where('service_id', 'in', f.serviceIds.length > 0 ? [...f.serviceIds] : ['']);
  if (f.since !== undefined) q = q.where('created_at', '>=', f.since);
  const [rows, count] = await Promise.all([
    q.selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(count.n) };
}

/** An event as stored, for {@link insertEvents}. */
export type EventRow = AlertEventsTable;

/**
 * PostgreSQL only: what an ingestion batch writes, in one statement of data-modifying common
 * table expressions: one round trip, and atomic without a transaction around it. New alerts
 * are inserted without `on conflict`: should another replica have opened one of the keys
 * meanwhile, the statement fails with a unique violation and writes nothing.
 */
export async function writeBatch(
  ex: Executor,
  parts: {
    alerts: readonly AlertRow[];
    events: readonly EventRow[];
    journal: ReadonlyArray<Insertable<JournalTable>>;
    jobs: ReadonlyArray<Insertable<JobsTable>>;
  },
): Promise<void> {
  const ctes = [];
  if (parts.alerts.length > 0) ctes.push(sql`a as (${ex.insertInto('alerts').values([...parts.alerts])})`);
  if (parts.events.length > 0) ctes.push(sql`e as (${ex.insertInto('alert_events').values([...parts.events])})`);
  if (parts.journal.length > 0) ctes.push(sql`j as (${ex.insertInto('journal').values([...parts.journal])})`);
  if (parts.jobs.length > 0) {
    const jobs = ex
      .insertInto('jobs')
      .values([...parts.jobs])
      .onConflict((oc) => oc.column('key').doNothing());
    ctes.push(sql`q as (${jobs})`);
  }
  if (ctes.length > 0) await sql`with ${sql.join(ctes)} select 1`.execute(ex);
}

export async function insertEvents(ex: Executor, rows: readonly EventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500)
    await ex
      .insertInto('alert_events')
      .values(rows.slice(i, i + 500))
      .execute();
}

export async function eventsOf(
  ex: Executor,
  alertId: string,
  limit = 100,
): Promise<Array<{ id: string; received_at: number; action: string; payload: string }>> {
  return ex
    .selectFrom('alert_events')
    .select(['id', 'received_at', 'action', 'payload'])
    .where('alert_id', '=', alertId)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
}
