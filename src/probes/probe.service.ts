import { type AlertSink, internalEvent } from '../alerts/alert.model.ts';
import { assertCanWriteOwned, type Principal } from '../auth/principal.ts';
import type { Clock } from '../core/clock.ts';
import { ConflictError, type FieldIssue, InputError, NotFoundError } from '../core/errors.ts';
import { newId, newSecret } from '../core/ids.ts';
import { type Db, type Executor, isUniqueViolation } from '../db/database.ts';
import type { Journal } from '../journal/journal.ts';
import { LatencyHistogram } from '../slo/histogram.ts';
import type { SloService } from '../slo/slo.service.ts';
import { services as catalogServices, type ServiceRef } from '../slo/slo.store.ts';
import { runCheck } from './checks.ts';
import type {
  DailyUptimeOut,
  HeartbeatKeyOut,
  ProbeAlertOut,
  ProbeDetailOut,
  ProbeListOut,
  ProbeResultOut,
  ProbeSeriesOut,
  ProbeStatus,
  ProbeSummaryOut,
  UptimeWindow,
} from './probe.api.ts';
import { type CheckResult, heartbeatTimings, ProbeSpec, type ProbeSpecInput, probeTarget } from './probe.model.ts';
import * as store from './probe.store.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, type ProbeRow, type ProbeWithState, RING_SIZE } from './probe.store.ts';
import { reliability } from './stats.ts';

const WINDOW_MS: Record<UptimeWindow, number> = { '24h': DAY_MS, '7d': 7 * DAY_MS, '30d': 30 * DAY_MS, '90d': 90 * DAY_MS };
const HEARTBEAT_PREFIX = 'hb';
export const MAX_LIST_LIMIT = 500;

/** A probe as the config-as-code handler sees it. */
export interface StoredProbe {
  spec: ProbeSpec;
  source: string | null;
}

export interface ApplyProbesResult {
  created: string[];
  updated: string[];
  deleted: string[];
  adopted: string[];
  unchanged: string[];
}

/** How a check result changes a probe: written by the runner, by pings and by missed deadlines. */
export interface Verdict {
  probe: ProbeRow;
  from: 'up' | 'down' | 'unknown';
  to: 'up' | 'down';
  at: number;
  /** The failing condition or error (down), or what brought it back (up). */
  reason: string;
  excerpt: string;
}

export interface ProbeServiceDeps {
  db: Db;
  clock: Clock;
  journal: Journal;
  /** Probe SLIs are fed through it; absent in tests of the probes alone. */
  slo?: Pick<SloService, 'recordProbeChecks'>;
  /** Where probe state changes raise and resolve alerts. */
  alerts?: AlertSink;
  /** Runs a check on demand; by default the real check, timed by `clock`. */
  runCheck?: (spec: ProbeSpec) => Promise<CheckResult>;
}

export function parseSpec(input: unknown, prefix = ''): ProbeSpec {
  const parsed = ProbeSpec.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((i) => ({
    path: prefix + i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`)).join(''),
    message: i.message,
  }));
  throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

/** The probe's spec in normal form, from its stored JSON. */
export function specOf(row: ProbeRow): ProbeSpec {
  return ProbeSpec.parse(JSON.parse(row.spec));
}

export function resultOut(result: CheckResult): ProbeResultOut {
  const out: ProbeResultOut = {
    at: result.at,
    ok: result.ok,
    durationMs: result.durationMs,
    phases: result.phases,
    bodyExcerpt: result.bodyExcerpt,
    bodyTruncated: result.bodyTruncated,
    conditionResults: result.conditionResults,
  };
  if (result.status !== undefined) out.status = result.status;
  if (result.error !== undefined) out.error = result.error;
  if (result.certificateExpiresAt !== undefined) out.certificateExpiresAt = result.certificateExpiresAt;
  if (result.ip !== undefined) out.ip = result.ip;
  if (result.dnsRcode !== undefined) out.dnsRcode = result.dnsRcode;
  return out;
}

/** Why a check failed, in one line: the error, or the first failing condition as Gatus shows it. */
export function failureReason(result: CheckResult): string {
  if (result.error) return result.error;
  const failed = result.conditionResults.find((c) => !c.ok);
  return failed ? failed.description : 'check failed';
}

/** Black-box probes: definitions, their history and the verdicts that change their state. */
export class ProbeService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #journal: Journal;
  readonly #slo: ProbeServiceDeps['slo'];
  readonly #runCheck: NonNullable<ProbeServiceDeps['runCheck']>;
  readonly #listeners = new Set<() => void>();
  readonly #alerts: AlertSink | undefined;

  constructor(deps: ProbeServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#journal = deps.journal;
    this.#slo = deps.slo;
    this.#alerts = deps.alerts;
    this.#runCheck = deps.runCheck ?? ((spec) => runCheck(spec, { clock: deps.clock }));
  }

  /** Called after any definition changes, so a runner on this replica picks it up at once. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const l of this.#listeners) {
      try {
        l();
      } catch {
        // A listener's failure is its own; the change is committed.
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Definitions

  async create(p: Principal, input: ProbeSpecInput): Promise<ProbeDetailOut> {
    const spec = parseSpec(input);
    try {
      await this.#db.kysely.transaction().execute(async (trx) => {
        if (await store.findProbe(trx, { name: spec.name }))
          throw new ConflictError(`a probe named "${spec.name}" already exists`);
        await this.#insert(trx, p, spec, null);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`a probe named "${spec.name}" already exists`);
      throw error;
    }
    this.#changed();
    return this.get(spec.name);
  }

  async replace(p: Principal, name: string, input: ProbeSpecInput): Promise<ProbeDetailOut> {
    const spec = parseSpec(input);
    if (spec.name !== name)
      throw InputError.field('name', `must be "${name}" (the probe in the path); rename by creating a new probe`);
    await this.#db.kysely.transaction().execute(async (trx) => {
      const found = await this.#find(trx, name);
      await this.#update(trx, p, found.probe, spec, found.probe.source);
    });
    this.#changed();
    return this.get(name);
  }

  async remove(p: Principal, name: string): Promise<void> {
    await this.#db.kysely.transaction().execute(async (trx) => {
      const found = await this.#find(trx, name);
      await this.#delete(trx, p, found.probe);
    });
    this.#changed();
  }

  async setEnabled(p: Principal, name: string, enabled: boolean): Promise<ProbeDetailOut> {
    await this.#db.kysely.transaction().execute(async (trx) => {
      const found = await this.#find(trx, name);
      const spec = specOf(found.probe);
      if (spec.enabled === enabled) return;
      await this.#update(trx, p, found.probe, { ...spec, enabled }, found.probe.source);
    });
    this.#changed();
    return this.get(name);
  }

  async snapshot(executor?: Executor): Promise<StoredProbe[]> {
    const rows = await store.allProbes(executor ?? this.#db.kysely);
    return rows.map((r) => ({ spec: specOf(r), source: r.source }));
  }

  /**
   * Makes the stored probes match `desired`, recording `opts.source` on what it writes; with
   * `prune`, probes of that source no longer desired are deleted. Run it inside the apply's
   * transaction: any failure leaves nothing behind.
   */
  async applyDesired(
    trx: Executor,
    p: Principal,
    desired: readonly ProbeSpec[],
    opts: { source: string; prune: boolean },
  ): Promise<ApplyProbesResult> {
    const result: ApplyProbesResult = { created: [], updated: [], deleted: [], adopted: [], unchanged: [] };
    const rows = new Map((await store.allProbes(trx)).map((r) => [r.name, r]));
    const wanted = new Set<string>();
    const issues: FieldIssue[] = [];
    const refs = await catalogServices(
      trx,
      desired.map((d) => d.service),
    );
    desired.forEach((d, i) => {
      if (!refs.has(d.service))
        issues.push({ path: `probes[${d.name}].service`, message: `no catalog service named "${d.service}"` });
      if (wanted.has(d.name)) issues.push({ path: `probes[${i}].name`, message: `probe "${d.name}" is declared twice` });
      wanted.add(d.name);
    });
    if (issues.length > 0) throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
    for (const raw of desired) {
      const spec = parseSpec(raw, `probes[${raw.name}].`);
      const row = rows.get(spec.name);
      const ref = `probe:${spec.name}`;
      if (!row) {
        await this.#insert(trx, p, spec, opts.source, refs);
        result.created.push(ref);
        continue;
      }
      const same = JSON.stringify(specOf(row)) === JSON.stringify(spec);
      if (same && row.source === opts.source) {
        result.unchanged.push(ref);
        continue;
      }
      await this.#update(trx, p, row, spec, opts.source, refs);
      (same ? result.adopted : result.updated).push(ref);
    }
    if (opts.prune) {
      for (const row of rows.values()) {
        if (row.source !== opts.source || wanted.has(row.name)) continue;
        await this.#delete(trx, p, row);
        result.deleted.push(`probe:${row.name}`);
      }
    }
    // The runner reads definitions after the transaction commits; a short delay is harmless.
    queueMicrotask(() => this.#changed());
    return result;
  }

  async #service(ex: Executor, name: string, refs?: Map<string, ServiceRef>): Promise<ServiceRef> {
    const service = refs?.get(name) ?? (await catalogServices(ex, [name])).get(name);
    if (!service) throw InputError.field('service', `no catalog service named "${name}"`);
    return service;
  }

  async #insert(
    trx: Executor,
    p: Principal,
    spec: ProbeSpec,
    source: string | null,
    refs?: Map<string, ServiceRef>,
  ): Promise<void> {
    const service = await this.#service(trx, spec.service, refs);
    assertCanWriteOwned(p, service.ownerTeamId, `service:${service.name}`);
    const now = this.#clock.now();
    const id = newId(now);
    await store.insertProbe(trx, {
      id,
      name: spec.name,
      service_id: service.id,
      type: spec.type,
      spec: JSON.stringify(spec),
      enabled: spec.enabled ? 1 : 0,
      source,
      heartbeat_key: spec.type === 'heartbeat' ? newSecret(HEARTBEAT_PREFIX) : null,
      created_at: now,
      updated_at: now,
    });
    await this.#journal.append(trx, {
      kind: 'probe.created',
      actor: p.actor,
      serviceId: service.id,
      subjectType: 'probe',
      subjectId: id,
      data: { name: spec.name, type: spec.type, target: probeTarget(spec), source },
    });
  }

  async #update(
    trx: Executor,
    p: Principal,
    row: ProbeRow,
    spec: ProbeSpec,
    source: string | null,
    refs?: Map<string, ServiceRef>,
  ): Promise<void> {
    const before = await this.#service(trx, specOf(row).service, refs).catch(() => null);
    if (before) assertCanWriteOwned(p, before.ownerTeamId, `service:${before.name}`);
    const service = await this.#service(trx, spec.service, refs);
    assertCanWriteOwned(p, service.ownerTeamId, `service:${service.name}`);
    const now = this.#clock.now();
    const heartbeatKey = spec.type === 'heartbeat' ? (row.heartbeat_key ?? newSecret(HEARTBEAT_PREFIX)) : null;
    await store.updateProbe(trx, row.id, {
      service_id: service.id,
      type: spec.type,
      spec: JSON.stringify(spec),
      enabled: spec.enabled ? 1 : 0,
      source,
      heartbeat_key: heartbeatKey,
      updated_at: now,
    });
    const old = specOf(row);
    const fields = (Object.keys({ ...old, ...spec }) as Array<keyof ProbeSpec>).filter(
      (k) => JSON.stringify(old[k]) !== JSON.stringify(spec[k]),
    );
    const kind =
      old.enabled !== spec.enabled && fields.length === 1 ? (spec.enabled ? 'probe.resumed' : 'probe.paused') : 'probe.updated';
    await this.#journal.append(trx, {
      kind,
      actor: p.actor,
      serviceId: service.id,
      subjectType: 'probe',
      subjectId: row.id,
      data: { name: spec.name, fields, source },
    });
  }

  async #delete(trx: Executor, p: Principal, row: ProbeRow): Promise<void> {
    const service = await this.#service(trx, specOf(row).service).catch(() => null);
    if (service) assertCanWriteOwned(p, service.ownerTeamId, `service:${service.name}`);
    await store.deleteProbe(trx, row.id);
    await this.#journal.append(trx, {
      kind: 'probe.deleted',
      actor: p.actor,
      serviceId: row.service_id,
      subjectType: 'probe',
      subjectId: row.id,
      data: { name: row.name },
    });
  }

  async #find(ex: Executor, name: string): Promise<ProbeWithState> {
    const found = await store.findProbe(ex, { name });
    if (!found) throw new NotFoundError(`no probe named "${name}"`);
    return found;
  }

  // -------------------------------------------------------------------------------------------
  // Heartbeats

  async heartbeatKey(p: Principal, name: string, rotate = false): Promise<HeartbeatKeyOut> {
    const key = await this.#db.kysely.transaction().execute(async (trx) => {
      const { probe } = await this.#find(trx, name);
      if (probe.type !== 'heartbeat')
        throw new InputError(`probe "${name}" is a ${probe.type} probe; only heartbeats have a ping key`);
      const service = await this.#service(trx, specOf(probe).service).catch(() => null);
      if (service) assertCanWriteOwned(p, service.ownerTeamId, `service:${service.name}`);
      if (!rotate && probe.heartbeat_key) return probe.heartbeat_key;
      const fresh = newSecret(HEARTBEAT_PREFIX);
      await store.updateProbe(trx, probe.id, { heartbeat_key: fresh, updated_at: this.#clock.now() });
      await this.#journal.append(trx, {
        kind: 'probe.heartbeat-key.rotated',
        actor: p.actor,
        serviceId: probe.service_id,
        subjectType: 'probe',
        subjectId: probe.id,
        data: { name },
      });
      return fresh;
    });
    return { probe: name, key, path: `/api/v1/heartbeats/${key}` };
  }

  /**
   * A ping from a heartbeat's job: a success (or a failure with `/fail`) recorded as a check.
   * The key is the credential, so an unknown key is a plain 404.
   */
  async ping(key: string, ok: boolean, body = ''): Promise<{ ok: true; probe: string; status: ProbeStatus }> {
    const now = this.#clock.now();
    const status = await this.#db.kysely.transaction().execute(async (trx) => {
      const found = await store.findByHeartbeatKey(trx, key);
      if (!found) throw new NotFoundError('no heartbeat has this key');
      const { probe, state } = found;
      const spec = specOf(probe);
      if (!spec.enabled) return 'paused' as const;
      const prev = state ?? emptyState(probe.id);
      const next: store.StateRow = {
        ...prev,
        failures: ok ? 0 : prev.failures + 1,
        successes: ok ? prev.successes + 1 : 0,
        last_check_at: now,
        last_ok: ok ? 1 : 0,
        last_duration_ms: 0,
        seq: prev.seq + 1,
        last_ping_at: ok ? now : prev.last_ping_at,
      };
      // A ping is the job saying how it went: one failed run takes the heartbeat down and one
      // good run brings it back, with no retries (the job already had its chance).
      const to: 'up' | 'down' = ok ? 'up' : 'down';
      const result: CheckResult = {
        ok,
        at: now,
        durationMs: 0,
        phases: { dnsMs: 0, connectMs: 0, tlsMs: 0, firstByteMs: 0, totalMs: 0 },
        bodyExcerpt: body.slice(0, 1024),
        bodyTruncated: body.length > 1024,
        conditionResults: [],
        ...(ok ? {} : { error: 'the job reported a failure' }),
      };
      if (prev.status !== to) {
        next.status = to;
        next.since = now;
        await this.applyVerdict(trx, {
          probe,
          from: prev.status,
          to,
          at: now,
          reason: ok ? 'ping received' : 'the job reported a failure',
          excerpt: result.bodyExcerpt,
        });
      }
      await store.upsertStates(trx, [next]);
      await store.addCounts(trx, probe.id, now, ok);
      await store.putResults(trx, [
        { probeId: probe.id, slot: prev.seq % RING_SIZE, at: now, ok, durationMs: 0, result: JSON.stringify(resultOut(result)) },
      ]);
      await this.#slo?.recordProbeChecks(trx, [{ probe: probe.name, at: now, ok, durationMs: 0 }]);
      return next.status;
    });
    return { ok: true, probe: (await store.findByHeartbeatKey(this.#db.kysely, key))?.probe.name ?? '', status };
  }

  /**
   * Takes down every enabled heartbeat whose deadline (last ping, or creation, plus period and
   * grace) has passed, recording one failed check per missed deadline. Run by one replica.
   */
  async checkHeartbeats(): Promise<number> {
    const now = this.#clock.now();
    const rows = await store.enabledProbes(this.#db.kysely, ['heartbeat']);
    if (rows.length === 0) return 0;
    const states = await store.statesOf(
      this.#db.kysely,
      rows.map((r) => r.id),
    );
    let missed = 0;
    for (const probe of rows) {
      const state = states.get(probe.id) ?? emptyState(probe.id);
      if (state.status === 'down') continue;
      const timing = heartbeatTimings(specOf(probe));
      if (!timing) continue;
      const deadline = (state.last_ping_at ?? Math.max(probe.created_at, probe.updated_at)) + timing.periodMs + timing.graceMs;
      if (now < deadline) continue;
      await this.#db.kysely.transaction().execute(async (trx) => {
        // Another replica (or a ping) may have acted since the read above.
        const fresh = (await store.statesOf(trx, [probe.id])).get(probe.id) ?? state;
        if (fresh.status === 'down' || (fresh.last_ping_at ?? 0) > (state.last_ping_at ?? 0)) return;
        const spec = specOf(probe);
        const reason = `no ping within ${spec.heartbeat?.period} + ${spec.heartbeat?.grace} grace`;
        await this.applyVerdict(trx, { probe, from: fresh.status, to: 'down', at: now, reason, excerpt: '' }, 'missed-heartbeat');
        await store.upsertStates(trx, [{ ...fresh, status: 'down', since: now, failures: fresh.failures + 1, successes: 0 }]);
        await store.addCounts(trx, probe.id, now, false);
        await this.#slo?.recordProbeChecks(trx, [{ probe: probe.name, at: now, ok: false, durationMs: 0 }]);
        missed += 1;
      });
    }
    return missed;
  }

  // -------------------------------------------------------------------------------------------
  // Verdicts

  /**
   * Records a state change: the transition, the alert it opens or resolves, and a journal
   * entry (`probe.down` / `probe.up`), in the caller's transaction.
   */
  async applyVerdict(trx: Executor, v: Verdict, kind: 'down' | 'missed-heartbeat' = 'down'): Promise<void> {
    await store.insertTransition(trx, {
      id: newId(v.at),
      probeId: v.probe.id,
      at: v.at,
      from: v.from,
      to: v.to,
      reason: v.reason,
    });
    let alertId: string | null = null;
    if (v.to === 'down') {
      alertId = newId(v.at);
      const opened = await store.insertAlert(trx, {
        id: alertId,
        probe_id: v.probe.id,
        kind,
        state: 'firing',
        opened_at: v.at,
        resolved_at: null,
        reason: v.reason.slice(0, 2000),
        excerpt: v.excerpt.slice(0, 1024),
      });
      if (!opened) alertId = (await store.openAlert(trx, v.probe.id))?.id ?? null;
    } else {
      const open = await store.openAlert(trx, v.probe.id);
      if (open) {
        await store.resolveAlert(trx, open.id, v.at);
        alertId = open.id;
      }
    }
    await this.#alerts?.applyWithin(trx, {
      serviceId: v.probe.service_id,
      origin: kind === 'missed-heartbeat' ? 'heartbeat' : 'probe',
      event: internalEvent({
        action: v.to === 'down' ? 'trigger' : 'resolve',
        dedupKey: `probe:${v.probe.name}`,
        summary:
          kind === 'missed-heartbeat'
            ? `Heartbeat ${v.probe.name} missed: ${v.reason}`
            : `Probe ${v.probe.name} is down: ${v.reason}`,
        severity: 'error',
        source: `probe:${v.probe.name}`,
        component: v.probe.type,
        details: { probe: v.probe.name, reason: v.reason, excerpt: v.excerpt.slice(0, 1024) },
        labels: { probe: v.probe.name, type: v.probe.type },
        links: [{ href: `/probes/${encodeURIComponent(v.probe.name)}`, text: 'Probe' }],
      }),
    });
    await this.#journal.append(trx, {
      kind: v.to === 'down' ? 'probe.down' : 'probe.up',
      actor: 'system:probes',
      serviceId: v.probe.service_id,
      subjectType: 'probe',
      subjectId: v.probe.id,
      data: { name: v.probe.name, from: v.from, to: v.to, reason: v.reason, excerpt: v.excerpt.slice(0, 1024), alert: alertId },
    });
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async list(
    q: { service?: string; status?: ProbeStatus; type?: string; q?: string; limit?: number; offset?: number } = {},
  ): Promise<ProbeListOut> {
    const ex = this.#db.kysely;
    const limit = Math.min(Math.max(q.limit ?? 50, 1), MAX_LIST_LIMIT);
    const offset = Math.max(q.offset ?? 0, 0);
    let serviceIds: string[] | undefined;
    if (q.service !== undefined) {
      const found = (await catalogServices(ex, [q.service])).get(q.service);
      serviceIds = found ? [found.id] : [];
    }
    const page = await store.listProbes(ex, { serviceIds, type: q.type, q: q.q, status: q.status }, { limit, offset });
    const items = await this.#summaries(ex, page.rows);
    return { items, total: page.total, limit, offset, counts: page.counts };
  }

  /** Summaries for a page of probes: three grouped queries, whatever the page size. */
  async #summaries(ex: Executor, rows: readonly ProbeWithState[]): Promise<ProbeSummaryOut[]> {
    const now = this.#clock.now();
    const ids = rows.map((r) => r.probe.id);
    const [day, week, names] = await Promise.all([
      this.#uptimes(ex, ids, '24h', now),
      this.#uptimes(ex, ids, '7d', now),
      serviceNamesById(
        ex,
        rows.map((r) => r.probe.service_id),
      ),
    ]);
    return rows.map((r) =>
      summaryOf(
        r,
        names.get(r.probe.service_id) ?? specOf(r.probe).service,
        day.get(r.probe.id) ?? null,
        week.get(r.probe.id) ?? null,
      ),
    );
  }

  /** Uptime per probe over the window ending now: minutes for 24 hours, hours beyond. */
  async #uptimes(ex: Executor, ids: readonly string[], window: UptimeWindow, now: number): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    const span = WINDOW_MS[window];
    const sums =
      span <= DAY_MS
        ? await store.minuteSums(ex, ids, Math.floor((now - span) / MINUTE_MS) + 1, Math.floor(now / MINUTE_MS) + 1)
        : await store.hourSums(ex, ids, Math.floor((now - span) / HOUR_MS) + 1, Math.floor(now / HOUR_MS) + 1);
    for (const id of ids) {
      const s = sums.get(id);
      out.set(id, s && s.total > 0 ? s.ok / s.total : null);
    }
    return out;
  }

  async get(name: string): Promise<ProbeDetailOut> {
    const ex = this.#db.kysely;
    const found = await this.#find(ex, name);
    const { probe, state } = found;
    const id = probe.id;
    const now = this.#clock.now();
    const spec = specOf(probe);
    const [summary] = await this.#summaries(ex, [found]);
    const uptimes = {
      '24h': summary?.uptime['24h'] ?? null,
      '7d': summary?.uptime['7d'] ?? null,
      '30d': null,
      '90d': null,
    } as Record<UptimeWindow, number | null>;
    uptimes['30d'] = (await this.#uptimes(ex, [id], '30d', now)).get(id) ?? null;
    uptimes['90d'] = (await this.#uptimes(ex, [id], '90d', now)).get(id) ?? null;

    const from = now - WINDOW_MS['90d'];
    const [hours, changes, recent, open, slis] = await Promise.all([
      store.readHours(ex, id, Math.floor(from / HOUR_MS), Math.floor(now / HOUR_MS) + 1, { histograms: false }),
      store.transitions(ex, id, { from }),
      store.transitions(ex, id, { limit: 20, order: 'desc' }),
      store.openAlert(ex, id),
      this.#slisOf(ex, name),
    ]);
    const rel = reliability(
      changes.map((t) => ({ at: t.at, state: t.to as 'up' | 'down' })),
      { from, to: now + 1 },
    );
    const timing = heartbeatTimings(spec);
    return {
      ...(summary as ProbeSummaryOut),
      spec: spec as unknown as Record<string, unknown>,
      uptimes,
      reliability: { window: '90d', ...rel },
      daily: dailyUptime(hours, now),
      openAlert: open ? alertOut(open, probe.name, summary?.service ?? spec.service) : null,
      transitions: recent.map((t) => ({
        at: t.at,
        from: t.from as 'up' | 'down' | 'unknown',
        to: t.to as 'up' | 'down',
        reason: t.reason,
      })),
      slis,
      heartbeat: timing
        ? {
            lastPingAt: state?.last_ping_at ?? null,
            deadlineAt: spec.enabled
              ? (state?.last_ping_at ?? Math.max(probe.created_at, probe.updated_at)) + timing.periodMs + timing.graceMs
              : null,
          }
        : null,
    };
  }

  async #slisOf(ex: Executor, probe: string): Promise<string[]> {
    const rows = await ex.selectFrom('slis').select(['name', 'spec']).orderBy('name').execute();
    return rows.filter((r) => (JSON.parse(r.spec) as { source?: string; probe?: string }).probe === probe).map((r) => r.name);
  }

  async results(name: string, limit = 50): Promise<ProbeResultOut[]> {
    const { probe } = await this.#find(this.#db.kysely, name);
    const rows = await store.latestResults(this.#db.kysely, probe.id, Math.min(Math.max(limit, 1), RING_SIZE));
    return rows.map((r) => JSON.parse(r) as ProbeResultOut);
  }

  /** Uptime and latency quantiles over a range, about 100–200 points whatever the range. */
  async series(name: string, range: UptimeWindow = '24h'): Promise<ProbeSeriesOut> {
    const ex = this.#db.kysely;
    const { probe } = await this.#find(ex, name);
    const now = this.#clock.now();
    const span = WINDOW_MS[range];
    const stepMs = { '24h': 10 * MINUTE_MS, '7d': HOUR_MS, '30d': 4 * HOUR_MS, '90d': 12 * HOUR_MS }[range];
    const to = Math.floor(now / stepMs) * stepMs + stepMs;
    const from = to - Math.ceil(span / stepMs) * stepMs;
    const buckets =
      range === '24h'
        ? (await store.readMinutes(ex, probe.id, from / MINUTE_MS, to / MINUTE_MS)).map((b) => ({ ...b, at: b.at * MINUTE_MS }))
        : (await store.readHours(ex, probe.id, from / HOUR_MS, to / HOUR_MS)).map((b) => ({ ...b, at: b.at * HOUR_MS }));
    const points: ProbeSeriesOut['points'] = [];
    let i = 0;
    for (let at = from; at < to; at += stepMs) {
      let total = 0;
      let ok = 0;
      const h = new LatencyHistogram();
      for (; i < buckets.length && (buckets[i]?.at ?? 0) < at + stepMs; i++) {
        const b = buckets[i] as store.Bucket;
        total += b.total;
        ok += b.ok;
        if (b.histogram) h.absorb(b.histogram);
      }
      points.push({
        at,
        total,
        ok,
        uptime: total > 0 ? ok / total : null,
        p50: h.count > 0 ? h.quantile(0.5) : null,
        p95: h.count > 0 ? h.quantile(0.95) : null,
        p99: h.count > 0 ? h.quantile(0.99) : null,
      });
    }
    return { from, to, stepMs, points };
  }

  /** Runs a check now and returns it with its phase timings; history and state are untouched. */
  async runOnce(name: string): Promise<ProbeResultOut> {
    const { probe } = await this.#find(this.#db.kysely, name);
    const spec = specOf(probe);
    if (spec.type === 'heartbeat') {
      throw new InputError(`probe "${name}" is a heartbeat: its job pings Vigil, so there is nothing to run`);
    }
    return resultOut(await this.#runCheck(spec));
  }

  async alerts(q: { state?: 'firing' | 'resolved' | 'all'; probe?: string; limit?: number } = {}): Promise<ProbeAlertOut[]> {
    const ex = this.#db.kysely;
    let probeId: string | undefined;
    if (q.probe !== undefined) probeId = (await this.#find(ex, q.probe)).probe.id;
    const rows = await store.listAlerts(ex, {
      state: q.state === 'all' ? undefined : (q.state ?? 'firing'),
      probeId,
      limit: Math.min(Math.max(q.limit ?? 100, 1), MAX_LIST_LIMIT),
    });
    const names = await serviceNamesById(
      ex,
      rows.map((r) => r.service_id),
    );
    return rows.map((r) => alertOut(r, r.probe, names.get(r.service_id) ?? ''));
  }

  /** Feeds probe SLIs with checks, in the caller's transaction. */
  feedSlis(
    trx: Executor,
    checks: ReadonlyArray<{ probe: string; at: number; ok: boolean; durationMs: number }>,
  ): Promise<number> {
    return this.#slo?.recordProbeChecks(trx, checks) ?? Promise.resolve(0);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

export function emptyState(probeId: string): store.StateRow {
  return {
    probe_id: probeId,
    status: 'unknown',
    since: null,
    failures: 0,
    successes: 0,
    last_check_at: null,
    last_ok: null,
    last_duration_ms: null,
    seq: 0,
    last_ping_at: null,
  };
}

async function serviceNamesById(ex: Executor, ids: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Map();
  const rows = await ex.selectFrom('catalog_entities').select(['id', 'name']).where('id', 'in', unique).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

function summaryOf(r: ProbeWithState, service: string, day: number | null, week: number | null): ProbeSummaryOut {
  const spec = specOf(r.probe);
  const s = r.state;
  const status: ProbeStatus = !spec.enabled ? 'paused' : (s?.status ?? 'unknown');
  return {
    name: r.probe.name,
    service,
    type: spec.type,
    description: spec.description,
    target: probeTarget(spec),
    interval: spec.type === 'heartbeat' ? (spec.heartbeat?.period ?? spec.interval) : spec.interval,
    status,
    since: s?.since ?? null,
    lastCheckAt: s?.last_check_at ?? null,
    lastOk: s?.last_ok === null || s?.last_ok === undefined ? null : s.last_ok === 1,
    lastDurationMs: s?.last_duration_ms ?? null,
    uptime: { '24h': day, '7d': week },
    source: r.probe.source,
  };
}

function alertOut(row: store.AlertRow, probe: string, service: string): ProbeAlertOut {
  return {
    id: row.id,
    probe,
    service,
    kind: row.kind,
    state: row.state,
    openedAt: row.opened_at,
    resolvedAt: row.resolved_at,
    reason: row.reason,
    excerpt: row.excerpt,
  };
}

/** 90 UTC days of uptime from hourly buckets, oldest first; days without checks are null. */
export function dailyUptime(hours: readonly store.Bucket[], now: number, days = 90): DailyUptimeOut[] {
  const today = Math.floor(now / DAY_MS);
  const first = today - days + 1;
  const out: DailyUptimeOut[] = [];
  for (let d = first; d <= today; d++) out.push({ day: d * DAY_MS, total: 0, ok: 0, uptime: null });
  for (const h of hours) {
    const d = Math.floor((h.at * HOUR_MS) / DAY_MS) - first;
    const slot = out[d];
    if (!slot) continue;
    slot.total += h.total;
    slot.ok += h.ok;
  }
  for (const slot of out) slot.uptime = slot.total > 0 ? slot.ok / slot.total : null;
  return out;
}
