import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import { fromJson, toJson } from '../db/json.ts';

/**
 * SQL for SLIs, SLOs and their time series, one implementation for SQLite and PostgreSQL. Every
 * function takes the executor to run on, so the service decides what shares a transaction.
 */

// ---------------------------------------------------------------------------------------------
// Definitions

/** Tables that hold a named definition with a JSON spec. */
export type DefinitionTable = 'slis' | 'slos' | 'slas' | 'data_sources' | 'maintenance_windows';

export interface DefinitionRecord<Spec> {
  id: string;
  name: string;
  spec: Spec;
  source: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SliRecord<Spec> extends DefinitionRecord<Spec> {
  serviceId: string | null;
}

export interface SloRecord<Spec> extends DefinitionRecord<Spec> {
  serviceId: string | null;
  sliId: string;
}

export interface SlaRecord<Spec> extends DefinitionRecord<Spec> {
  sloId: string;
}

export interface PolicyRecord<Spec> extends DefinitionRecord<Spec> {
  /** The service name the policy is for (its `name`). */
  serviceId: string | null;
}

/** Every SLO-module definition, loaded in a constant number of queries. */
export interface DefinitionRecords<Sli, Slo, Sla, DataSource, Policy, Maintenance> {
  slis: Array<SliRecord<Sli>>;
  slos: Array<SloRecord<Slo>>;
  slas: Array<SlaRecord<Sla>>;
  dataSources: Array<DefinitionRecord<DataSource>>;
  policies: Array<PolicyRecord<Policy>>;
  maintenanceWindows: Array<DefinitionRecord<Maintenance>>;
}

interface DefinitionRow {
  id: string;
  name: string;
  spec: string;
  source: string | null;
  created_at: number;
  updated_at: number;
}

function toDefinition<Spec>(r: DefinitionRow): DefinitionRecord<Spec> {
  return {
    id: r.id,
    name: r.name,
    spec: fromJson<Spec>(r.spec, {} as Spec),
    source: r.source,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const base = ['id', 'name', 'spec', 'source', 'created_at', 'updated_at'] as const;

export async function loadDefinitions<Sli, Slo, Sla, DataSource, Policy, Maintenance>(
  ex: Executor,
): Promise<DefinitionRecords<Sli, Slo, Sla, DataSource, Policy, Maintenance>> {
  const slis = await ex
    .selectFrom('slis')
    .select([...base, 'service_id'])
    .orderBy('name')
    .execute();
  const slos = await ex
    .selectFrom('slos')
    .select([...base, 'service_id', 'sli_id'])
    .orderBy('name')
    .execute();
  const slas = await ex
    .selectFrom('slas')
    .select([...base, 'slo_id'])
    .orderBy('name')
    .execute();
  const dataSources = await ex.selectFrom('data_sources').select(base).orderBy('name').execute();
  const policies = await ex
    .selectFrom('error_budget_policies')
    .select(['id', 'service as name', 'spec', 'source', 'created_at', 'updated_at', 'service_id'])
    .orderBy('service')
    .execute();
  const maintenanceWindows = await ex.selectFrom('maintenance_windows').select(base).orderBy('name').execute();
  return {
    slis: slis.map((r) => ({ ...toDefinition<Sli>(r), serviceId: r.service_id })),
    slos: slos.map((r) => ({ ...toDefinition<Slo>(r), serviceId: r.service_id, sliId: r.sli_id })),
    slas: slas.map((r) => ({ ...toDefinition<Sla>(r), sloId: r.slo_id })),
    dataSources: dataSources.map((r) => toDefinition<DataSource>(r)),
    policies: policies.map((r) => ({ ...toDefinition<Policy>(r), serviceId: r.service_id })),
    maintenanceWindows: maintenanceWindows.map((r) => toDefinition<Maintenance>(r)),
  };
}

export async function findSli<Spec>(ex: Executor, name: string): Promise<SliRecord<Spec> | undefined> {
  const r = await ex
    .selectFrom('slis')
    .select([...base, 'service_id'])
    .where('name', '=', name)
    .executeTakeFirst();
  return r ? { ...toDefinition<Spec>(r), serviceId: r.service_id } : undefined;
}

/** Extra columns some definition tables carry next to the spec. */
export interface DefinitionLinks {
  serviceId?: string | null;
  sliId?: string;
  sloId?: string;
}

function linkColumns(table: DefinitionTable | 'error_budget_policies', links: DefinitionLinks): Record<string, unknown> {
  switch (table) {
    case 'slis':
      return { service_id: links.serviceId ?? null };
    case 'slos':
      return { service_id: links.serviceId ?? null, sli_id: links.sliId };
    case 'slas':
      return { slo_id: links.sloId };
    case 'error_budget_policies':
      return { service_id: links.serviceId ?? null };
    default:
      return {};
  }
}

// The definition tables share their columns; Kysely cannot type a write to "one of these
// tables", so the generic helpers below go through the `slis` table type.
type AnyDefinitionTable = DefinitionTable | 'error_budget_policies';
const nameColumn = (table: AnyDefinitionTable): 'name' => (table === 'error_budget_policies' ? 'service' : 'name') as 'name';

export async function insertDefinition(
  ex: Executor,
  table: AnyDefinitionTable,
  v: { id: string; name: string; spec: unknown; source: string | null; links?: DefinitionLinks },
  now: number,
): Promise<void> {
  const values = {
    id: v.id,
    [nameColumn(table)]: v.name,
    spec: toJson(v.spec),
    source: v.source,
    created_at: now,
    updated_at: now,
    ...linkColumns(table, v.links ?? {}),
  };
  await ex
    .insertInto(table as 'slis')
    .values(values as never)
    .execute();
}

export async function updateDefinition(
  ex: Executor,
  table: AnyDefinitionTable,
  id: string,
  v: { spec: unknown; source: string | null; links?: DefinitionLinks },
  now: number,
): Promise<void> {
  await ex
    .updateTable(table as 'slis')
    .set({ spec: toJson(v.spec), source: v.source, updated_at: now, ...linkColumns(table, v.links ?? {}) } as never)
    .where('id', '=', id)
    .execute();
}

export async function deleteDefinition(ex: Executor, table: AnyDefinitionTable, id: string): Promise<void> {
  await ex
    .deleteFrom(table as 'slis')
    .where('id', '=', id)
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Catalog read model: SLOs show their service's owner, title and tier.

export interface ServiceRef {
  id: string;
  name: string;
  title: string | null;
  tier: string | null;
  ownerTeamId: string | null;
  owner: string | null;
}

/** Catalog services by name; every service when `names` is omitted. One query. */
export async function services(ex: Executor, names?: readonly string[]): Promise<Map<string, ServiceRef>> {
  if (names && names.length === 0) return new Map();
  let q = ex
    .selectFrom('catalog_entities as e')
    .leftJoin('teams as t', 't.id', 'e.owner_team_id')
    .select(['e.id', 'e.name', 'e.title', 'e.tier', 'e.owner_team_id', 't.name as owner'])
    .where('e.kind', '=', 'service');
  if (names) q = q.where('e.name', 'in', [...new Set(names)]);
  const rows = await q.orderBy('e.name').execute();
  return new Map(
    rows.map((r) => [
      r.name,
      { id: r.id, name: r.name, title: r.title, tier: r.tier, ownerTeamId: r.owner_team_id, owner: r.owner },
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Ingestion

/**
 * Records a batch; false when the same batch id was already recorded for the SLI (a retry).
 * `ON CONFLICT DO NOTHING` makes two concurrent deliveries of one batch agree on a single winner.
 */
export async function recordBatch(
  ex: Executor,
  v: { sliId: string; batchId: string; receivedAt: number; minMinute: number; maxMinute: number; events: number },
): Promise<boolean> {
  const rows = await ex
    .insertInto('sli_batches')
    .values({
      sli_id: v.sliId,
      batch_id: v.batchId,
      received_at: v.receivedAt,
      min_minute: v.minMinute,
      max_minute: v.maxMinute,
      events: v.events,
    })
    .onConflict((oc) => oc.columns(['sli_id', 'batch_id']).doNothing())
    .returning('batch_id')
    .execute();
  return rows.length > 0;
}

export interface MinuteCounts {
  minute: number;
  good: number;
  total: number;
}

// Four parameters a row; SQLite allows 32 766 and PostgreSQL 65 535 per statement.
const UPSERT_CHUNK = 4000;

/** Adds counts into their minutes: one multi-row upsert per 4 000 minutes. */
export async function addMinutes(ex: Executor, sliId: string, rows: readonly MinuteCounts[]): Promise<void> {
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const chunk = rows.slice(i, i + UPSERT_CHUNK);
    await ex
      .insertInto('sli_minutes')
      .values(chunk.map((r) => ({ sli_id: sliId, minute: r.minute, good: r.good, total: r.total })))
      .onConflict((oc) =>
        oc.columns(['sli_id', 'minute']).doUpdateSet({
          good: sql`sli_minutes.good + excluded.good`,
          total: sql`sli_minutes.total + excluded.total`,
        }),
      )
      .execute();
  }
}

/**
 * Sets minutes `[fromMinute, toMinute)` to exactly `rows`: minutes of the range missing from
 * `rows` are deleted, the others written as given rather than added to, so reading the same
 * range from an external source twice never counts anything twice. `toMinute` null: to the end.
 */
export async function replaceMinutes(
  ex: Executor,
  sliId: string,
  fromMinute: number,
  toMinute: number | null,
  rows: readonly MinuteCounts[],
): Promise<void> {
  let del = ex.deleteFrom('sli_minutes').where('sli_id', '=', sliId).where('minute', '>=', fromMinute);
  if (toMinute !== null) del = del.where('minute', '<', toMinute);
  await del.execute();
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    // An upsert even after the delete: should two pullers overlap (a lease that ran out
    // mid-pull), the later write wins instead of failing on the primary key.
    await ex
      .insertInto('sli_minutes')
      .values(rows.slice(i, i + UPSERT_CHUNK).map((r) => ({ sli_id: sliId, minute: r.minute, good: r.good, total: r.total })))
      .onConflict((oc) => oc.columns(['sli_id', 'minute']).doUpdateSet({ good: sql`excluded.good`, total: sql`excluded.total` }))
      .execute();
  }
}

/** Per-minute counts of one SLI in [fromMinute, toMinute], ascending. */
export async function readMinutes(ex: Executor, sliId: string, fromMinute: number, toMinute: number): Promise<MinuteCounts[]> {
  const rows = await ex
    .selectFrom('sli_minutes')
    .select(['minute', 'good', 'total'])
    .where('sli_id', '=', sliId)
    .where('minute', '>=', fromMinute)
    .where('minute', '<=', toMinute)
    .orderBy('minute')
    .execute();
  return rows.map((r) => ({ minute: Number(r.minute), good: Number(r.good), total: Number(r.total) }));
}

/**
 * The same as {@link readMinutes} for long ranges: the database joins each column into one
 * string, which spares building a row object per minute and loads a 40,320-minute series about
 * five times faster. The three aggregates see the same rows in the same order, so their lists
 * line up; the order itself does not matter since every entry carries its minute.
 */
export async function readMinutesPacked(
  ex: Executor,
  sliId: string,
  fromMinute: number,
  toMinute: number,
): Promise<MinuteCounts[]> {
  const { rows } = await sql<{ minutes: string | null; good: string | null; total: string | null }>`
    select string_agg(cast(minute as text), ',') as minutes,
           string_agg(cast(good as text), ',') as good,
           string_agg(cast(total as text), ',') as total
      from sli_minutes
     where sli_id = ${sliId} and minute >= ${fromMinute} and minute <= ${toMinute}`.execute(ex);
  const row = rows[0];
  if (!row?.minutes || row.good === null || row.total === null) return [];
  const minutes = row.minutes.split(',');
  const good = row.good.split(',');
  const total = row.total.split(',');
  const out: MinuteCounts[] = new Array(minutes.length);
  for (let i = 0; i < minutes.length; i++)
    out[i] = { minute: Number(minutes[i]), good: Number(good[i]), total: Number(total[i]) };
  return out;
}

/** Per-hour rollups of one SLI in [fromHour, toHour], ascending. */
export async function readHours(
  ex: Executor,
  sliId: string,
  fromHour: number,
  toHour: number,
): Promise<Array<{ hour: number; good: number; total: number }>> {
  const rows = await ex
    .selectFrom('sli_hours')
    .select(['hour', 'good', 'total'])
    .where('sli_id', '=', sliId)
    .where('hour', '>=', fromHour)
    .where('hour', '<=', toHour)
    .orderBy('hour')
    .execute();
  return rows.map((r) => ({ hour: Number(r.hour), good: Number(r.good), total: Number(r.total) }));
}

export async function readHistograms(
  ex: Executor,
  sliId: string,
  fromMinute: number,
  toMinute: number,
): Promise<Array<{ minute: number; histogram: string }>> {
  const rows = await ex
    .selectFrom('sli_histograms')
    .select(['minute', 'histogram'])
    .where('sli_id', '=', sliId)
    .where('minute', '>=', fromMinute)
    .where('minute', '<=', toMinute)
    .orderBy('minute')
    .execute();
  return rows.map((r) => ({ minute: Number(r.minute), histogram: r.histogram }));
}

/** Stored histograms of the given minutes (to merge a batch into). */
export async function histogramsAt(ex: Executor, sliId: string, minutes: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  for (let i = 0; i < minutes.length; i += UPSERT_CHUNK) {
    const rows = await ex
      .selectFrom('sli_histograms')
      .select(['minute', 'histogram'])
      .where('sli_id', '=', sliId)
      .where('minute', 'in', minutes.slice(i, i + UPSERT_CHUNK))
      .execute();
    for (const r of rows) out.set(Number(r.minute), r.histogram);
  }
  return out;
}

/** Writes merged histograms (the caller merged them with what was stored, in the same transaction). */
export async function putHistograms(
  ex: Executor,
  sliId: string,
  rows: ReadonlyArray<{ minute: number; histogram: string }>,
): Promise<void> {
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    await ex
      .insertInto('sli_histograms')
      .values(rows.slice(i, i + UPSERT_CHUNK).map((r) => ({ sli_id: sliId, minute: r.minute, histogram: r.histogram })))
      .onConflict((oc) => oc.columns(['sli_id', 'minute']).doUpdateSet({ histogram: sql`excluded.histogram` }))
      .execute();
  }
}

/** What batches received since `since` changed: per SLI, the range of minutes touched. */
export async function changedSince(ex: Executor, since: number): Promise<Map<string, { from: number; to: number }>> {
  const rows = await ex
    .selectFrom('sli_batches')
    .select((eb) => ['sli_id', eb.fn.min('min_minute').as('from'), eb.fn.max('max_minute').as('to')])
    .where('received_at', '>=', since)
    .groupBy('sli_id')
    .execute();
  return new Map(rows.map((r) => [r.sli_id, { from: Number(r.from), to: Number(r.to) }]));
}

// ---------------------------------------------------------------------------------------------
// Pulling from Prometheus

export interface PullState {
  sliId: string;
  /** What the pulled minutes were read with; a different definition starts over. */
  definition: string;
  /** Epoch minutes `[pulledFrom, pulledTo)` pulled so far; null before the first success. */
  pulledFrom: number | null;
  pulledTo: number | null;
  pulledAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
}

const num = (v: number | null): number | null => (v === null ? null : Number(v));

/** Pull states by SLI id. */
export async function pullStates(ex: Executor): Promise<Map<string, PullState>> {
  const rows = await ex.selectFrom('sli_pulls').selectAll().execute();
  return new Map(
    rows.map((r) => [
      r.sli_id,
      {
        sliId: r.sli_id,
        definition: r.definition,
        pulledFrom: num(r.pulled_from),
        pulledTo: num(r.pulled_to),
        pulledAt: num(r.pulled_at),
        lastError: r.last_error,
        lastErrorAt: num(r.last_error_at),
      },
    ]),
  );
}

/** Records a successful pull: the new range and high-water mark, and no error. */
export async function recordPull(
  ex: Executor,
  v: { sliId: string; definition: string; pulledFrom: number; pulledTo: number; pulledAt: number },
): Promise<void> {
  const set = {
    definition: v.definition,
    pulled_from: v.pulledFrom,
    pulled_to: v.pulledTo,
    pulled_at: v.pulledAt,
    last_error: null,
    last_error_at: null,
  };
  await ex
    .insertInto('sli_pulls')
    .values({ sli_id: v.sliId, ...set })
    .onConflict((oc) => oc.column('sli_id').doUpdateSet(set))
    .execute();
}

/** Records a failed pull; the mark and what was pulled stay as they were. */
export async function recordPullError(
  ex: Executor,
  v: { sliId: string; definition: string; error: string; at: number },
): Promise<void> {
  await ex
    .insertInto('sli_pulls')
    .values({
      sli_id: v.sliId,
      definition: v.definition,
      pulled_from: null,
      pulled_to: null,
      pulled_at: null,
      last_error: v.error,
      last_error_at: v.at,
    })
    .onConflict((oc) => oc.column('sli_id').doUpdateSet({ last_error: v.error, last_error_at: v.at }))
    .execute();
}

/** Forgets the pull state of SLIs that are no longer pulled (their source changed). */
export async function deletePullStates(ex: Executor, sliIds: readonly string[]): Promise<void> {
  if (sliIds.length === 0) return;
  await ex
    .deleteFrom('sli_pulls')
    .where('sli_id', 'in', [...sliIds])
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Retention

/**
 * Rolls the complete hours of `[fromMinute, toMinute)` (all SLIs, or one) into `sli_hours`. Hours
 * are recomputed from their minutes, so rolling one up again after late data is harmless.
 * Without `fromMinute`, everything before `toMinute` that is still kept.
 */
export async function rollupHours(ex: Executor, range: { fromMinute?: number; toMinute: number; sliId?: string }): Promise<void> {
  const from = range.fromMinute === undefined ? null : Math.floor(range.fromMinute / 60) * 60;
  const to = Math.floor(range.toMinute / 60) * 60;
  if (from !== null && to <= from) return;
  await sql`
    insert into sli_hours (sli_id, hour, good, total)
    select sli_id, minute / 60, sum(good), sum(total)
      from sli_minutes
     where minute < ${to}
       ${from === null ? sql`` : sql`and minute >= ${from}`}
       ${range.sliId === undefined ? sql`` : sql`and sli_id = ${range.sliId}`}
     group by sli_id, minute / 60
    on conflict (sli_id, hour) do update set good = excluded.good, total = excluded.total`.execute(ex);
}

/**
 * Deletes what is past retention. The deletes name every SLI so both databases walk the
 * (sli_id, minute) primary key instead of scanning whole tables.
 */
export async function pruneSeries(ex: Executor, before: { minute: number; hour: number; receivedAt: number }): Promise<void> {
  await ex
    .deleteFrom('sli_minutes')
    .where('sli_id', 'in', (eb) => eb.selectFrom('slis').select('id'))
    .where('minute', '<', before.minute)
    .execute();
  await ex
    .deleteFrom('sli_histograms')
    .where('sli_id', 'in', (eb) => eb.selectFrom('slis').select('id'))
    .where('minute', '<', before.minute)
    .execute();
  await ex
    .deleteFrom('sli_hours')
    .where('sli_id', 'in', (eb) => eb.selectFrom('slis').select('id'))
    .where('hour', '<', before.hour)
    .execute();
  await ex.deleteFrom('sli_batches').where('received_at', '<', before.receivedAt).execute();
}

// ---------------------------------------------------------------------------------------------
// Alerts

export interface AlertRecord {
  id: string;
  sloId: string;
  slo: string;
  objective: string;
  rule: string;
  severity: string;
  state: 'firing' | 'resolved';
  firedAt: number;
  resolvedAt: number | null;
  data: Record<string, unknown>;
}

function alertSelect(ex: Executor) {
  return ex
    .selectFrom('slo_alerts as a')
    .innerJoin('slos as s', 's.id', 'a.slo_id')
    .select([
      'a.id',
      'a.slo_id',
      's.name as slo',
      'a.objective',
      'a.rule',
      'a.severity',
      'a.state',
      'a.fired_at',
      'a.resolved_at',
      'a.data',
    ]);
}

type AlertRow = Awaited<ReturnType<ReturnType<typeof alertSelect>['execute']>>[number];

function toAlertRecord(r: AlertRow): AlertRecord {
  return {
    id: r.id,
    sloId: r.slo_id,
    slo: r.slo,
    objective: r.objective,
    rule: r.rule,
    severity: r.severity,
    state: r.state,
    firedAt: Number(r.fired_at),
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    data: fromJson<Record<string, unknown>>(r.data, {}),
  };
}

export async function listAlerts(
  ex: Executor,
  q: { state?: 'firing' | 'resolved'; sloId?: string; limit?: number },
): Promise<AlertRecord[]> {
  let query = alertSelect(ex);
  if (q.state) query = query.where('a.state', '=', q.state);
  if (q.sloId) query = query.where('a.slo_id', '=', q.sloId);
  const rows = await query
    .orderBy('a.fired_at', 'desc')
    .orderBy('s.name')
    .orderBy('a.objective')
    .orderBy('a.rule')
    .limit(q.limit ?? 500)
    .execute();
  return rows.map(toAlertRecord);
}

/** Alert episodes of these SLOs that overlap `[from, to)`, oldest first. */
export async function alertsOverlapping(ex: Executor, sloIds: string[], from: number, to: number): Promise<AlertRecord[]> {
  if (sloIds.length === 0) return [];
  const rows = await alertSelect(ex)
    .where('a.slo_id', 'in', sloIds)
    .where('a.fired_at', '<', to)
    .where((eb) => eb.or([eb('a.resolved_at', 'is', null), eb('a.resolved_at', '>', from)]))
    .orderBy('a.fired_at')
    .orderBy('a.id')
    .execute();
  return rows.map(toAlertRecord);
}

export async function insertAlert(
  ex: Executor,
  v: { id: string; sloId: string; objective: string; rule: string; severity: string; firedAt: number; data: object },
): Promise<void> {
  await ex
    .insertInto('slo_alerts')
    .values({
      id: v.id,
      slo_id: v.sloId,
      objective: v.objective,
      rule: v.rule,
      severity: v.severity,
      state: 'firing',
      fired_at: v.firedAt,
      resolved_at: null,
      data: toJson(v.data),
    })
    .execute();
}

export async function resolveAlert(ex: Executor, id: string, at: number): Promise<void> {
  await ex
    .updateTable('slo_alerts')
    .set({ state: 'resolved', resolved_at: at })
    .where('id', '=', id)
    .where('state', '=', 'firing')
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Policy overrides

export interface OverrideRecord {
  id: string;
  service: string;
  reason: string;
  actor: string;
  createdAt: number;
  expiresAt: number;
}

/** Overrides still in force at `now`, latest expiry first. */
export async function activeOverrides(ex: Executor, now: number): Promise<OverrideRecord[]> {
  const rows = await ex
    .selectFrom('policy_overrides')
    .select(['id', 'service', 'reason', 'actor', 'created_at', 'expires_at'])
    .where('expires_at', '>', now)
    .orderBy('expires_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    service: r.service,
    reason: r.reason,
    actor: r.actor,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
  }));
}

export async function insertOverride(
  ex: Executor,
  v: {
    id: string;
    service: string;
    serviceId: string | null;
    reason: string;
    actor: string;
    createdAt: number;
    expiresAt: number;
  },
): Promise<void> {
  await ex
    .insertInto('policy_overrides')
    .values({
      id: v.id,
      service: v.service,
      service_id: v.serviceId,
      reason: v.reason,
      actor: v.actor,
      created_at: v.createdAt,
      expires_at: v.expiresAt,
    })
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Leases

/**
 * Claims (or renews) a named lease until `until`; true when `owner` holds it afterwards. The
 * conditional upsert is one statement: on PostgreSQL a concurrent claimant waits for the row
 * lock and then sees the winner's unexpired lease, so exactly one of them gets a row back.
 */
export async function claimLease(ex: Executor, name: string, owner: string, now: number, until: number): Promise<boolean> {
  const rows = await ex
    .insertInto('leases')
    .values({ name, owner, until })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ owner: sql`excluded.owner`, until: sql`excluded.until` })
        .where((eb) => eb.or([eb('leases.until', '<=', now), eb('leases.owner', '=', owner)])),
    )
    .returning('owner')
    .execute();
  return rows.length > 0 && rows[0]?.owner === owner;
}

export async function releaseLease(ex: Executor, name: string, owner: string): Promise<void> {
  await ex.deleteFrom('leases').where('name', '=', name).where('owner', '=', owner).execute();
}
