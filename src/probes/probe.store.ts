import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { ProbeAlertsTable, ProbeStatesTable, ProbesTable } from '../db/schema.ts';
import { type HistogramJson, LatencyHistogram } from '../slo/histogram.ts';

/** Probe storage. Every function takes an executor so callers compose them into transactions. */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Raw results kept per probe. */
export const RING_SIZE = 100;
/** Per-minute rows live this long (the 24-hour views plus slack); hours keep the long views. */
export const MINUTE_RETENTION_MS = 48 * HOUR_MS;
export const HOUR_RETENTION_MS = 400 * DAY_MS;

export type ProbeRow = ProbesTable;
export type StateRow = ProbeStatesTable;
export type AlertRow = ProbeAlertsTable;

/** Rows per statement: well under SQLite's bound-parameter limit for any of these tables. */
const CHUNK = 500;

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Definitions

export interface ProbeFilter {
  serviceIds?: readonly string[];
  type?: string;
  /** Substring of the name. */
  q?: string;
  status?: 'up' | 'down' | 'unknown' | 'paused';
}

function filtered(ex: Executor, f: ProbeFilter) {
  let q = ex.selectFrom('probes').leftJoin('probe_states', 'probe_states.probe_id', 'probes.id');
  if (f.serviceIds) q = q.where('probes.service_id', 'in', f.serviceIds.length > 0 ? [...f.serviceIds] : ['']);
  if (f.type) q = q.where('probes.type', '=', f.type);
  if (f.q) q = q.where('probes.name', 'like', `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  return q;
}

function withStatus<Q extends ReturnType<typeof filtered>>(q: Q, status: ProbeFilter['status']): Q {
  if (status === 'paused') return q.where('probes.enabled', '=', 0) as Q;
  if (status === undefined) return q;
  const enabled = q.where('probes.enabled', '=', 1) as Q;
  if (status === 'unknown') {
    return enabled.where((eb) => eb.or([eb('probe_states.status', 'is', null), eb('probe_states.status', '=', 'unknown')])) as Q;
  }
  return enabled.where('probe_states.status', '=', status) as Q;
}

export interface ProbeWithState {
  probe: ProbeRow;
  state: StateRow | null;
}

const STATE_COLUMNS = [
  'probe_states.probe_id as s_probe_id',
  'probe_states.status as s_status',
  'probe_states.since as s_since',
  'probe_states.failures as s_failures',
  'probe_states.successes as s_successes',
  'probe_states.last_check_at as s_last_check_at',
  'probe_states.last_ok as s_last_ok',
  'probe_states.last_duration_ms as s_last_duration_ms',
  'probe_states.seq as s_seq',
  'probe_states.last_ping_at as s_last_ping_at',
] as const;

type Joined = ProbeRow & {
  s_probe_id: string | null;
  s_status: StateRow['status'] | null;
  s_since: number | null;
  s_failures: number | null;
  s_successes: number | null;
  s_last_check_at: number | null;
  s_last_ok: number | null;
  s_last_duration_ms: number | null;
  s_seq: number | null;
  s_last_ping_at: number | null;
};

function split(row: Joined): ProbeWithState {
  const {
    s_probe_id,
    s_status,
    s_since,
    s_failures,
    s_successes,
    s_last_check_at,
    s_last_ok,
    s_last_duration_ms,
    s_seq,
    s_last_ping_at,
    ...probe
  } = row;
  const state: StateRow | null =
    s_probe_id === null
      ? null
      : {
          probe_id: s_probe_id,
          status: s_status ?? 'unknown',
          since: s_since,
          failures: s_failures ?? 0,
          successes: s_successes ?? 0,
          last_check_at: s_last_check_at,
          last_ok: s_last_ok,
          last_duration_ms: s_last_duration_ms,
          seq: Number(s_seq ?? 0),
          last_ping_at: s_last_ping_at,
        };
  return { probe, state };
}

/** A page of probes with their states, sorted by name, and the status counts over the filter. */
export async function listProbes(
  ex: Executor,
  f: ProbeFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: ProbeWithState[]; total: number; counts: Record<'up' | 'down' | 'unknown' | 'paused', number> }> {
  const rows = (await withStatus(filtered(ex, f), f.status)
    .selectAll('probes')
    .select(STATE_COLUMNS)
    .orderBy('probes.name')
    .limit(page.limit)
    .offset(page.offset)
    .execute()) as Joined[];
  const grouped = await filtered(ex, f)
    .select([
      sql<string>`case when probes.enabled = 0 then 'paused' else coalesce(probe_states.status, 'unknown') end`.as('status'),
      (eb) => eb.fn.countAll<number>().as('n'),
    ])
    .groupBy(sql`case when probes.enabled = 0 then 'paused' else coalesce(probe_states.status, 'unknown') end`)
    .execute();
  const counts = { up: 0, down: 0, unknown: 0, paused: 0 };
  for (const g of grouped) counts[g.status as keyof typeof counts] += Number(g.n);
  const total = f.status === undefined ? counts.up + counts.down + counts.unknown + counts.paused : counts[f.status];
  return { rows: rows.map(split), total, counts };
}

export async function findProbe(ex: Executor, by: { name: string } | { id: string }): Promise<ProbeWithState | undefined> {
  const q = ex
    .selectFrom('probes')
    .leftJoin('probe_states', 'probe_states.probe_id', 'probes.id')
    .selectAll('probes')
    .select(STATE_COLUMNS);
  const row = (await ('name' in by
    ? q.where('probes.name', '=', by.name)
    : q.where('probes.id', '=', by.id)
  ).executeTakeFirst()) as Joined | undefined;
  return row ? split(row) : undefined;
}

export async function findByHeartbeatKey(ex: Executor, key: string): Promise<ProbeWithState | undefined> {
  const row = (await ex
    .selectFrom('probes')
    .leftJoin('probe_states', 'probe_states.probe_id', 'probes.id')
    .selectAll('probes')
    .select(STATE_COLUMNS)
    .where('probes.heartbeat_key', '=', key)
    .executeTakeFirst()) as Joined | undefined;
  return row ? split(row) : undefined;
}

export async function allProbes(ex: Executor): Promise<ProbeRow[]> {
  return ex.selectFrom('probes').selectAll().orderBy('name').execute();
}

/** Enabled probes of the given types: what the runner schedules. */
export async function enabledProbes(ex: Executor, types: readonly string[]): Promise<ProbeRow[]> {
  return ex
    .selectFrom('probes')
    .selectAll()
    .where('enabled', '=', 1)
    .where('type', 'in', [...types])
    .execute();
}

export async function insertProbe(ex: Executor, row: ProbeRow): Promise<void> {
  await ex.insertInto('probes').values(row).execute();
}

export async function updateProbe(
  ex: Executor,
  id: string,
  patch: Partial<Pick<ProbeRow, 'service_id' | 'type' | 'spec' | 'enabled' | 'source' | 'heartbeat_key' | 'updated_at'>>,
): Promise<void> {
  await ex.updateTable('probes').set(patch).where('id', '=', id).execute();
}

/** Deletes a probe and everything recorded for it. */
export async function deleteProbe(ex: Executor, id: string): Promise<void> {
  for (const table of [
    'probe_alerts',
    'probe_transitions',
    'probe_results',
    'probe_hours',
    'probe_minutes',
    'probe_states',
  ] as const) {
    await ex.deleteFrom(table).where('probe_id', '=', id).execute();
  }
  await ex.deleteFrom('probes').where('id', '=', id).execute();
}

// ---------------------------------------------------------------------------------------------
// State

export async function statesOf(ex: Executor, ids: readonly string[]): Promise<Map<string, StateRow>> {
  const out = new Map<string, StateRow>();
  for (const part of chunks(ids)) {
    const rows = await ex.selectFrom('probe_states').selectAll().where('probe_id', 'in', part).execute();
    for (const r of rows) out.set(r.probe_id, { ...r, seq: Number(r.seq) });
  }
  return out;
}

export async function upsertStates(ex: Executor, rows: readonly StateRow[]): Promise<void> {
  for (const part of chunks(rows, 200)) {
    await ex
      .insertInto('probe_states')
      .values(part)
      .onConflict((oc) =>
        oc.column('probe_id').doUpdateSet({
          status: sql`excluded.status`,
          since: sql`excluded.since`,
          failures: sql`excluded.failures`,
          successes: sql`excluded.successes`,
          last_check_at: sql`excluded.last_check_at`,
          last_ok: sql`excluded.last_ok`,
          last_duration_ms: sql`excluded.last_duration_ms`,
          seq: sql`excluded.seq`,
          last_ping_at: sql`excluded.last_ping_at`,
        }),
      )
      .execute();
  }
}

// ---------------------------------------------------------------------------------------------
// Time series

export interface Bucket {
  probeId: string;
  /** Epoch minute or hour. */
  at: number;
  total: number;
  ok: number;
  histogram: LatencyHistogram | null;
}

function histogramText(h: LatencyHistogram | null): string | null {
  return h && h.count > 0 ? JSON.stringify(h.toJSON()) : null;
}

export function parseHistogram(text: string | null): LatencyHistogram | null {
  return text ? LatencyHistogram.fromJSON(JSON.parse(text) as HistogramJson) : null;
}

/**
 * Adds per-minute counts and histograms. Rows are normally new (the runner writes a minute once,
 * after it closes); a minute two replicas both wrote (a probe moving mid-minute) is merged.
 */
export async function mergeMinutes(ex: Executor, buckets: readonly Bucket[]): Promise<void> {
  for (const part of chunks(buckets)) {
    const inserted = await ex
      .insertInto('probe_minutes')
      .values(
        part.map((b) => ({ probe_id: b.probeId, minute: b.at, total: b.total, ok: b.ok, histogram: histogramText(b.histogram) })),
      )
      .onConflict((oc) => oc.columns(['probe_id', 'minute']).doNothing())
      .returning(['probe_id', 'minute'])
      .execute();
    if (inserted.length === part.length) continue;
    const done = new Set(inserted.map((r) => `${r.probe_id}/${r.minute}`));
    for (const b of part) {
      if (done.has(`${b.probeId}/${b.at}`)) continue;
      const stored = await ex
        .selectFrom('probe_minutes')
        .selectAll()
        .where('probe_id', '=', b.probeId)
        .where('minute', '=', b.at)
        .executeTakeFirstOrThrow();
      const merged = parseHistogram(stored.histogram) ?? new LatencyHistogram();
      if (b.histogram) merged.absorb(b.histogram);
      await ex
        .updateTable('probe_minutes')
        .set({ total: Number(stored.total) + b.total, ok: Number(stored.ok) + b.ok, histogram: histogramText(merged) })
        .where('probe_id', '=', b.probeId)
        .where('minute', '=', b.at)
        .execute();
    }
  }
}

/** Writes whole hour rows (the runner keeps each probe's current hour in memory). */
export async function putHours(ex: Executor, buckets: readonly Bucket[]): Promise<void> {
  for (const part of chunks(buckets)) {
    await ex
      .insertInto('probe_hours')
      .values(
        part.map((b) => ({ probe_id: b.probeId, hour: b.at, total: b.total, ok: b.ok, histogram: histogramText(b.histogram) })),
      )
      .onConflict((oc) =>
        oc
          .columns(['probe_id', 'hour'])
          .doUpdateSet({ total: sql`excluded.total`, ok: sql`excluded.ok`, histogram: sql`excluded.histogram` }),
      )
      .execute();
  }
}

/** Adds counts without latency (heartbeat pings and missed deadlines) to a minute and its hour. */
export async function addCounts(ex: Executor, probeId: string, at: number, ok: boolean): Promise<void> {
  const okInc = ok ? 1 : 0;
  await ex
    .insertInto('probe_minutes')
    .values({ probe_id: probeId, minute: Math.floor(at / MINUTE_MS), total: 1, ok: okInc, histogram: null })
    .onConflict((oc) =>
      oc.columns(['probe_id', 'minute']).doUpdateSet({
        total: sql`probe_minutes.total + 1`,
        ok: sql`probe_minutes.ok + ${okInc}`,
      }),
    )
    .execute();
  await ex
    .insertInto('probe_hours')
    .values({ probe_id: probeId, hour: Math.floor(at / HOUR_MS), total: 1, ok: okInc, histogram: null })
    .onConflict((oc) =>
      oc.columns(['probe_id', 'hour']).doUpdateSet({ total: sql`probe_hours.total + 1`, ok: sql`probe_hours.ok + ${okInc}` }),
    )
    .execute();
}

export async function hourRow(ex: Executor, probeId: string, hour: number): Promise<Bucket | null> {
  const row = await ex
    .selectFrom('probe_hours')
    .selectAll()
    .where('probe_id', '=', probeId)
    .where('hour', '=', hour)
    .executeTakeFirst();
  return row
    ? { probeId, at: row.hour, total: Number(row.total), ok: Number(row.ok), histogram: parseHistogram(row.histogram) }
    : null;
}

/** Sums of total/ok per probe over minutes `[from, to)`, in one grouped query. */
export async function minuteSums(
  ex: Executor,
  ids: readonly string[],
  fromMinute: number,
  toMinute: number,
): Promise<Map<string, { total: number; ok: number }>> {
  const out = new Map<string, { total: number; ok: number }>();
  if (ids.length === 0) return out;
  for (const part of chunks(ids)) {
    const rows = await ex
      .selectFrom('probe_minutes')
      .select(['probe_id', (eb) => eb.fn.sum<number>('total').as('total'), (eb) => eb.fn.sum<number>('ok').as('ok')])
      .where('probe_id', 'in', part)
      .where('minute', '>=', fromMinute)
      .where('minute', '<', toMinute)
      .groupBy('probe_id')
      .execute();
    for (const r of rows) out.set(r.probe_id, { total: Number(r.total), ok: Number(r.ok) });
  }
  return out;
}

/** Sums of total/ok per probe over hours `[from, to)`. */
export async function hourSums(
  ex: Executor,
  ids: readonly string[],
  fromHour: number,
  toHour: number,
): Promise<Map<string, { total: number; ok: number }>> {
  const out = new Map<string, { total: number; ok: number }>();
  if (ids.length === 0) return out;
  for (const part of chunks(ids)) {
    const rows = await ex
      .selectFrom('probe_hours')
      .select(['probe_id', (eb) => eb.fn.sum<number>('total').as('total'), (eb) => eb.fn.sum<number>('ok').as('ok')])
      .where('probe_id', 'in', part)
      .where('hour', '>=', fromHour)
      .where('hour', '<', toHour)
      .groupBy('probe_id')
      .execute();
    for (const r of rows) out.set(r.probe_id, { total: Number(r.total), ok: Number(r.ok) });
  }
  return out;
}

export async function readMinutes(ex: Executor, probeId: string, fromMinute: number, toMinute: number): Promise<Bucket[]> {
  const rows = await ex
    .selectFrom('probe_minutes')
    .selectAll()
    .where('probe_id', '=', probeId)
    .where('minute', '>=', fromMinute)
    .where('minute', '<', toMinute)
    .orderBy('minute')
    .execute();
  return rows.map((r) => ({
    probeId,
    at: r.minute,
    total: Number(r.total),
    ok: Number(r.ok),
    histogram: parseHistogram(r.histogram),
  }));
}

export async function readHours(
  ex: Executor,
  probeId: string,
  fromHour: number,
  toHour: number,
  options: { histograms?: boolean } = {},
): Promise<Bucket[]> {
  const withHistograms = options.histograms ?? true;
  const rows = await ex
    .selectFrom('probe_hours')
    .select(['hour', 'total', 'ok'])
    .$if(withHistograms, (q) => q.select('histogram'))
    .where('probe_id', '=', probeId)
    .where('hour', '>=', fromHour)
    .where('hour', '<', toHour)
    .orderBy('hour')
    .execute();
  return rows.map((r) => ({
    probeId,
    at: r.hour,
    total: Number(r.total),
    ok: Number(r.ok),
    histogram: withHistograms ? parseHistogram((r as { histogram?: string | null }).histogram ?? null) : null,
  }));
}

/** Drops minutes and hours past their retention. */
export async function pruneSeries(ex: Executor, now: number): Promise<void> {
  await ex
    .deleteFrom('probe_minutes')
    .where('minute', '<', Math.floor((now - MINUTE_RETENTION_MS) / MINUTE_MS))
    .execute();
  await ex
    .deleteFrom('probe_hours')
    .where('hour', '<', Math.floor((now - HOUR_RETENTION_MS) / HOUR_MS))
    .execute();
}

// ---------------------------------------------------------------------------------------------
// Raw results ring

export interface RawResult {
  probeId: string;
  slot: number;
  at: number;
  ok: boolean;
  durationMs: number;
  result: string;
}

export async function putResults(ex: Executor, results: readonly RawResult[]): Promise<void> {
  for (const part of chunks(results, 300)) {
    await ex
      .insertInto('probe_results')
      .values(
        part.map((r) => ({
          probe_id: r.probeId,
          slot: r.slot,
          at: r.at,
          ok: r.ok ? 1 : 0,
          duration_ms: r.durationMs,
          result: r.result,
        })),
      )
      .onConflict((oc) =>
        oc.columns(['probe_id', 'slot']).doUpdateSet({
          at: sql`excluded.at`,
          ok: sql`excluded.ok`,
          duration_ms: sql`excluded.duration_ms`,
          result: sql`excluded.result`,
        }),
      )
      .execute();
  }
}

export async function latestResults(ex: Executor, probeId: string, limit: number): Promise<string[]> {
  const rows = await ex
    .selectFrom('probe_results')
    .select('result')
    .where('probe_id', '=', probeId)
    .orderBy('at', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => r.result);
}

// ---------------------------------------------------------------------------------------------
// Transitions and alerts

export async function insertTransition(
  ex: Executor,
  row: { id: string; probeId: string; at: number; from: string; to: string; reason: string },
): Promise<void> {
  await ex
    .insertInto('probe_transitions')
    .values({ id: row.id, probe_id: row.probeId, at: row.at, from_status: row.from, to_status: row.to, reason: row.reason })
    .execute();
}

export async function transitions(
  ex: Executor,
  probeId: string,
  q: { from?: number; limit?: number; order?: 'asc' | 'desc' } = {},
): Promise<Array<{ at: number; from: string; to: string; reason: string }>> {
  let query = ex.selectFrom('probe_transitions').selectAll().where('probe_id', '=', probeId);
  if (q.from !== undefined) query = query.where('at', '>=', q.from);
  query = query.orderBy('at', q.order ?? 'asc').orderBy('id', q.order ?? 'asc');
  if (q.limit !== undefined) query = query.limit(q.limit);
  const rows = await query.execute();
  return rows.map((r) => ({ at: r.at, from: r.from_status, to: r.to_status, reason: r.reason }));
}

/** The last transition before `at` (what state a window starts in). */
export async function transitionBefore(ex: Executor, probeId: string, at: number): Promise<{ at: number; to: string } | null> {
  const row = await ex
    .selectFrom('probe_transitions')
    .select(['at', 'to_status'])
    .where('probe_id', '=', probeId)
    .where('at', '<', at)
    .orderBy('at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { at: row.at, to: row.to_status } : null;
}

export async function openAlert(ex: Executor, probeId: string): Promise<AlertRow | undefined> {
  return ex
    .selectFrom('probe_alerts')
    .selectAll()
    .where('probe_id', '=', probeId)
    .where('state', '=', 'firing')
    .executeTakeFirst();
}

/** Opens an alert unless one is open already; false when it was. */
export async function insertAlert(ex: Executor, row: AlertRow): Promise<boolean> {
  const inserted = await ex
    .insertInto('probe_alerts')
    .values(row)
    .onConflict((oc) => oc.column('probe_id').where(sql.ref('state'), '=', sql.lit('firing')).doNothing())
    .returning('id')
    .execute();
  return inserted.length > 0;
}

export async function resolveAlert(ex: Executor, id: string, at: number): Promise<void> {
  await ex.updateTable('probe_alerts').set({ state: 'resolved', resolved_at: at }).where('id', '=', id).execute();
}

export async function listAlerts(
  ex: Executor,
  q: { state?: 'firing' | 'resolved'; probeId?: string; limit: number },
): Promise<Array<AlertRow & { probe: string; service_id: string }>> {
  let query = ex
    .selectFrom('probe_alerts')
    .innerJoin('probes', 'probes.id', 'probe_alerts.probe_id')
    .selectAll('probe_alerts')
    .select(['probes.name as probe', 'probes.service_id as service_id']);
  if (q.state) query = query.where('probe_alerts.state', '=', q.state);
  if (q.probeId) query = query.where('probe_alerts.probe_id', '=', q.probeId);
  return query.orderBy('probe_alerts.opened_at', 'desc').limit(q.limit).execute();
}
