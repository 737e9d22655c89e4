import type { Clock } from '../core/clock.ts';
import { newId } from '../core/ids.ts';
import type { Db } from '../db/database.ts';
import { LatencyHistogram } from '../slo/histogram.ts';
import { claimLease, releaseLease } from '../slo/slo.store.ts';
import { runCheck } from './checks.ts';
import { ACTIVE_PROBE_TYPES, type CheckResult, type ProbeSpec, probeHost, probeTimings } from './probe.model.ts';
import { emptyState, failureReason, type ProbeService, resultOut, specOf, type Verdict } from './probe.service.ts';
import * as store from './probe.store.ts';
import { HOUR_MS, MINUTE_MS, RING_SIZE } from './probe.store.ts';
import { assignShard, ProbeScheduler, type RunOutcome, type SchedulerStats, type SetTimer } from './scheduler.ts';
import { initialProbeState, nextState, type ProbeState } from './stats.ts';

/**
 * Runs the probes this replica owns and records what they find.
 *
 * Every replica renews a lease named `probe-replica:<id>`; the live ones divide the enabled
 * probes among themselves by rendezvous hashing, so when a replica stops renewing, its probes
 * move to the others within a lease period and nothing else moves. Results are folded in memory
 * into per-minute counts and histograms and flushed in one transaction every few seconds, with
 * the latest raw results (a ring per probe) and the probes' states. A state change is flushed at
 * once, with its transition, alert and journal entry.
 */

export interface ProbeRunnerDeps {
  db: Db;
  clock: Clock;
  probes: ProbeService;
  /** Defaults to a fresh id per process. */
  replicaId?: string;
  /** The check itself; tests may pass a scripted one. */
  check?: (spec: ProbeSpec, signal: AbortSignal) => Promise<CheckResult>;
  maxConcurrency?: number;
  maxPerHost?: number;
  /** Scheduler timers; tests pass a fake driven with a FakeClock. */
  setTimer?: SetTimer;
  /** How often the runner re-reads definitions and renews its lease (ms). */
  syncIntervalMs?: number;
  /** How often buffered results are written (ms). */
  flushIntervalMs?: number;
  /** A replica whose lease is older than this is presumed dead (ms). */
  leaseMs?: number;
  onError?: (error: unknown, what: string) => void;
  /** Sync and flush on their own timers (default); tests call {@link ProbeRunner.sync} and {@link ProbeRunner.flush}. */
  autoTick?: boolean;
}

interface Active {
  id: string;
  row: store.ProbeRow;
  spec: ProbeSpec;
  state: ProbeState;
  since: number | null;
  seq: number;
  lastCheckAt: number | null;
  lastOk: boolean | null;
  lastDurationMs: number | null;
  lastPingAt: number | null;
  /** Open minutes: epoch minute → counts and latencies. */
  minutes: Map<number, { total: number; ok: number; histogram: LatencyHistogram }>;
  hour: { at: number; total: number; ok: number; histogram: LatencyHistogram } | null;
  hourDirty: boolean;
  stateDirty: boolean;
}

interface Batch {
  minutes: store.Bucket[];
  hours: store.Bucket[];
  states: store.StateRow[];
  results: store.RawResult[];
  checks: Array<{ probe: string; at: number; ok: boolean; durationMs: number }>;
  verdicts: Verdict[];
}

const emptyBatch = (): Batch => ({ minutes: [], hours: [], states: [], results: [], checks: [], verdicts: [] });

export interface RunnerStats extends SchedulerStats {
  replica: string;
  /** Live replicas sharing the probes. */
  replicas: number;
  /** Probes this replica runs. */
  assigned: number;
  /** Results waiting to be written. */
  buffered: number;
  lastFlushAt: number | null;
  lastFlushError: string | null;
}

const REPLICA_LEASE = 'probe-replica:';
/** Consecutive failed flushes (one per flush interval) before the held results are dropped. */
const MAX_FLUSH_ATTEMPTS = 60;
const HEARTBEAT_LEASE = 'probe-heartbeats';

export class ProbeRunner {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #probes: ProbeService;
  readonly #replica: string;
  readonly #check: NonNullable<ProbeRunnerDeps['check']>;
  readonly #scheduler: ProbeScheduler<CheckResult>;
  readonly #syncMs: number;
  readonly #flushMs: number;
  readonly #leaseMs: number;
  readonly #onError: NonNullable<ProbeRunnerDeps['onError']>;
  readonly #abort = new AbortController();
  readonly #active = new Map<string, Active>();
  #pending: Batch = emptyBatch();
  /** A batch whose transaction failed; written first next time. */
  #retry: Batch | null = null;
  #retryAttempts = 0;
  #replicas = 0;
  #timers: NodeJS.Timeout[] = [];
  #syncing: Promise<void> = Promise.resolve();
  #queuedSync: Promise<void> | null = null;
  #flushing: Promise<void> = Promise.resolve();
  #urgent = false;
  #running = false;
  #lastFlushAt: number | null = null;
  #lastFlushError: string | null = null;
  #lastPrune = 0;
  #unsubscribe: (() => void) | null = null;
  readonly #autoTick: boolean;

  constructor(deps: ProbeRunnerDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#probes = deps.probes;
    this.#replica = deps.replicaId ?? newId(deps.clock.now());
    this.#check = deps.check ?? ((spec, signal) => runCheck(spec, { clock: deps.clock, signal }));
    this.#syncMs = deps.syncIntervalMs ?? 10_000;
    this.#flushMs = deps.flushIntervalMs ?? 5_000;
    this.#leaseMs = deps.leaseMs ?? 30_000;
    this.#onError = deps.onError ?? (() => {});
    this.#autoTick = deps.autoTick ?? true;
    this.#scheduler = new ProbeScheduler<CheckResult>({
      clock: deps.clock,
      setTimer: deps.setTimer,
      maxConcurrency: deps.maxConcurrency,
      maxPerHost: deps.maxPerHost,
      onResult: (outcome) => this.#onResult(outcome),
    });
  }

  get replicaId(): string {
    return this.#replica;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#scheduler.start();
    if (!this.#autoTick) return;
    this.#unsubscribe = this.#probes.onChange(() => {
      void this.sync();
    });
    void this.sync();
    this.#timers.push(
      setInterval(() => void this.sync(), this.#syncMs),
      setInterval(() => void this.flush(), this.#flushMs),
    );
    for (const t of this.#timers) t.unref();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
    this.#abort.abort();
    await this.#scheduler.stop();
    await this.#syncing;
    await this.flush({ all: true });
    await releaseLease(this.#db.kysely, REPLICA_LEASE + this.#replica, this.#replica).catch(() => {});
    await releaseLease(this.#db.kysely, HEARTBEAT_LEASE, this.#replica).catch(() => {});
  }

  stats(): RunnerStats {
    const p = this.#pending;
    return {
      ...this.#scheduler.stats(),
      replica: this.#replica,
      replicas: this.#replicas,
      assigned: this.#active.size,
      buffered: p.results.length,
      lastFlushAt: this.#lastFlushAt,
      lastFlushError: this.#lastFlushError,
    };
  }

  /** Renews this replica's lease, re-reads the definitions and takes or drops probes. */
  sync(): Promise<void> {
    // Syncs asked for while one waits to start are the same sync: a burst of API creates
    // queues one re-read, not one per create.
    if (this.#queuedSync) return this.#queuedSync;
    const run = this.#syncing
      .then(() => {
        this.#queuedSync = null;
        return this.#sync();
      })
      .catch((error) => this.#onError(error, 'probe sync'));
    this.#queuedSync = run;
    this.#syncing = run;
    return run;
  }

  async #sync(): Promise<void> {
    if (!this.#running) return;
    const now = this.#clock.now();
    const ex = this.#db.kysely;
    await claimLease(ex, REPLICA_LEASE + this.#replica, this.#replica, now, now + this.#leaseMs);
    const live = await ex
      .selectFrom('leases')
      .select('owner')
      .where('name', 'like', `${REPLICA_LEASE}%`)
      .where('until', '>', now)
      .execute();
    const replicas = live.map((r) => r.owner);
    if (!replicas.includes(this.#replica)) replicas.push(this.#replica);
    this.#replicas = replicas.length;
    const rows = await store.enabledProbes(ex, ACTIVE_PROBE_TYPES);
    const owners = assignShard(
      rows.map((r) => r.id),
      replicas,
    );
    const mine = rows.filter((r) => owners.get(r.id) === this.#replica);
    const mineIds = new Set(mine.map((r) => r.id));

    for (const [id, active] of this.#active) {
      if (mineIds.has(id)) continue;
      this.#scheduler.remove(id);
      this.#release(active);
    }
    const fresh = mine.filter((r) => !this.#active.has(r.id));
    const states = await store.statesOf(
      ex,
      fresh.map((r) => r.id),
    );
    const hour = Math.floor(now / HOUR_MS);
    for (const row of mine) {
      const known = this.#active.get(row.id);
      if (known) {
        if (known.row.updated_at !== row.updated_at) {
          known.row = row;
          known.spec = specOf(row);
          this.#scheduler.update(this.#job(known));
        }
        continue;
      }
      if (!this.#running) return;
      const s = states.get(row.id) ?? emptyState(row.id);
      const stored = await store.hourRow(ex, row.id, hour);
      const active: Active = {
        id: row.id,
        row,
        spec: specOf(row),
        state:
          s.status === 'unknown' && s.last_check_at === null
            ? initialProbeState
            : { status: s.status, failures: s.failures, successes: s.successes },
        since: s.since,
        seq: s.seq,
        lastCheckAt: s.last_check_at,
        lastOk: s.last_ok === null ? null : s.last_ok === 1,
        lastDurationMs: s.last_duration_ms,
        lastPingAt: s.last_ping_at,
        minutes: new Map(),
        hour: stored
          ? { at: hour, total: stored.total, ok: stored.ok, histogram: stored.histogram ?? new LatencyHistogram() }
          : null,
        hourDirty: false,
        stateDirty: false,
      };
      this.#active.set(row.id, active);
      this.#scheduler.add(this.#job(active));
    }

    // Heartbeat deadlines and pruning are shared work: one replica at a time.
    if (await claimLease(ex, HEARTBEAT_LEASE, this.#replica, now, now + this.#leaseMs)) {
      await this.#probes.checkHeartbeats();
      if (now - this.#lastPrune > HOUR_MS) {
        this.#lastPrune = now;
        await store.pruneSeries(ex, now);
      }
    }
  }

  #job(active: Active) {
    const spec = active.spec;
    return {
      id: active.id,
      intervalMs: probeTimings(spec).intervalMs,
      host: probeHost(spec),
      run: () => this.#check(spec, this.#abort.signal),
    };
  }

  /** Moves a dropped probe's open minutes into the pending batch so nothing it saw is lost. */
  #release(active: Active): void {
    this.#drain(active, Number.POSITIVE_INFINITY, this.#pending);
    this.#active.delete(active.id);
  }

  #onResult(outcome: RunOutcome<CheckResult>): void {
    const active = this.#active.get(outcome.id);
    if (!active || !this.#running) return;
    const result: CheckResult = outcome.ok
      ? outcome.value
      : {
          ok: false,
          at: outcome.startedAt,
          durationMs: outcome.finishedAt - outcome.startedAt,
          phases: { dnsMs: 0, connectMs: 0, tlsMs: 0, firstByteMs: 0, totalMs: outcome.finishedAt - outcome.startedAt },
          bodyExcerpt: '',
          bodyTruncated: false,
          conditionResults: [],
          error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
        };
    const { spec } = active;
    const { state, transition } = nextState(active.state, result.ok, {
      retries: spec.retries,
      successesBeforeUp: spec.successesBeforeUp,
    });
    active.state = state;
    active.lastCheckAt = result.at;
    active.lastOk = result.ok;
    active.lastDurationMs = result.durationMs;
    const slot = active.seq % RING_SIZE;
    active.seq += 1;
    active.stateDirty = true;

    const minute = Math.floor(result.at / MINUTE_MS);
    let m = active.minutes.get(minute);
    if (!m) {
      m = { total: 0, ok: 0, histogram: new LatencyHistogram() };
      active.minutes.set(minute, m);
    }
    m.total += 1;
    if (result.ok) m.ok += 1;
    // Latency is what a user waited for a working response; failures are counted, not timed.
    if (result.ok) m.histogram.record(result.durationMs);

    const hour = Math.floor(result.at / HOUR_MS);
    if (!active.hour || active.hour.at !== hour) {
      if (active.hour && active.hourDirty) this.#pending.hours.push(this.#hourBucket(active));
      active.hour = { at: hour, total: 0, ok: 0, histogram: new LatencyHistogram() };
    }
    active.hour.total += 1;
    if (result.ok) {
      active.hour.ok += 1;
      active.hour.histogram.record(result.durationMs);
    }
    active.hourDirty = true;

    this.#pending.results.push({
      probeId: active.id,
      slot,
      at: result.at,
      ok: result.ok,
      durationMs: result.durationMs,
      result: JSON.stringify(resultOut(result)),
    });
    this.#pending.checks.push({ probe: active.row.name, at: result.at, ok: result.ok, durationMs: result.durationMs });
    if (transition) {
      active.since = result.at;
      this.#pending.verdicts.push({
        probe: active.row,
        from: transition.from,
        to: transition.to,
        at: result.at,
        reason: transition.to === 'down' ? failureReason(result) : 'checks pass again',
        excerpt: result.bodyExcerpt,
      });
      // A state change is news: write it now rather than at the next tick.
      if (!this.#urgent) {
        this.#urgent = true;
        queueMicrotask(() => {
          this.#urgent = false;
          void this.flush();
        });
      }
    }
  }

  #hourBucket(active: Active): store.Bucket {
    const h = active.hour as NonNullable<Active['hour']>;
    active.hourDirty = false;
    return { probeId: active.id, at: h.at, total: h.total, ok: h.ok, histogram: h.histogram.merge(new LatencyHistogram()) };
  }

  /** Moves minutes before `beforeMinute` (and the dirty hour and state) of one probe into `batch`. */
  #drain(active: Active, beforeMinute: number, batch: Batch): void {
    for (const [minute, m] of active.minutes) {
      if (minute >= beforeMinute) continue;
      batch.minutes.push({ probeId: active.id, at: minute, total: m.total, ok: m.ok, histogram: m.histogram });
      active.minutes.delete(minute);
    }
    if (active.hour && active.hourDirty) batch.hours.push(this.#hourBucket(active));
    if (active.stateDirty) {
      active.stateDirty = false;
      batch.states.push({
        probe_id: active.id,
        status: active.state.status,
        since: active.since,
        failures: active.state.failures,
        successes: active.state.successes,
        last_check_at: active.lastCheckAt,
        last_ok: active.lastOk === null ? null : active.lastOk ? 1 : 0,
        last_duration_ms: active.lastDurationMs,
        seq: active.seq,
        last_ping_at: active.lastPingAt,
      });
    }
  }

  /**
   * Writes what has been buffered in one transaction: closed minutes (every minute with `all`),
   * hours, states, raw results, SLI checks and state changes. A failed write is kept and retried
   * first on the next flush.
   */
  flush(options: { all?: boolean } = {}): Promise<void> {
    this.#flushing = this.#flushing
      .then(() => this.#flush(options.all ?? false))
      .catch((error) => this.#onError(error, 'probe flush'));
    return this.#flushing;
  }

  async #flush(all: boolean): Promise<void> {
    const beforeMinute = all ? Number.POSITIVE_INFINITY : Math.floor(this.#clock.now() / MINUTE_MS);
    const batch = this.#pending;
    this.#pending = emptyBatch();
    for (const active of this.#active.values()) this.#drain(active, beforeMinute, batch);
    const retry = this.#retry;
    this.#retry = null;
    const empty = (b: Batch) =>
      b.minutes.length + b.hours.length + b.states.length + b.results.length + b.checks.length + b.verdicts.length === 0;
    if (empty(batch) && !retry) return;
    try {
      await this.#db.kysely.transaction().execute(async (trx) => {
        for (const b of retry ? [retry, batch] : [batch]) {
          // Probes deleted since their results were taken have nowhere to go.
          const ids = [
            ...new Set([
              ...b.states.map((s) => s.probe_id),
              ...b.results.map((r) => r.probeId),
              ...b.minutes.map((m) => m.probeId),
            ]),
          ];
          const alive = new Set<string>();
          for (let i = 0; i < ids.length; i += 500) {
            const rows = await trx
              .selectFrom('probes')
              .select('id')
              .where('id', 'in', ids.slice(i, i + 500))
              .execute();
            for (const r of rows) alive.add(r.id);
          }
          for (const v of b.verdicts) if (alive.has(v.probe.id)) await this.#probes.applyVerdict(trx, v);
          await store.upsertStates(
            trx,
            lastBy(
              b.states.filter((s) => alive.has(s.probe_id)),
              (s) => s.probe_id,
            ),
          );
          await store.mergeMinutes(
            trx,
            b.minutes.filter((m) => alive.has(m.probeId)),
          );
          await store.putHours(
            trx,
            lastBy(
              b.hours.filter((h) => alive.has(h.probeId)),
              (h) => `${h.probeId}/${h.at}`,
            ),
          );
          await store.putResults(
            trx,
            lastBy(
              b.results.filter((r) => alive.has(r.probeId)),
              (r) => `${r.probeId}/${r.slot}`,
            ),
          );
          await this.#probes.feedSlis(trx, b.checks);
        }
      });
      this.#lastFlushAt = this.#clock.now();
      this.#lastFlushError = null;
      this.#retryAttempts = 0;
    } catch (error) {
      this.#lastFlushError = error instanceof Error ? error.message : String(error);
      this.#retryAttempts += 1;
      // A database outage is waited out; a batch that fails this often is itself the problem,
      // and holding it would block every later result.
      this.#retry = this.#retryAttempts < MAX_FLUSH_ATTEMPTS ? (retry ? mergeBatches(retry, batch) : batch) : null;
      if (this.#retry === null) this.#retryAttempts = 0;
      throw error;
    }
  }
}

/** One row per key, the later one winning: an upsert may not touch a row twice in one statement. */
function lastBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const out = new Map<string, T>();
  for (const item of items) out.set(key(item), item);
  return [...out.values()];
}

function mergeBatches(a: Batch, b: Batch): Batch {
  return {
    minutes: [...a.minutes, ...b.minutes],
    hours: [...a.hours, ...b.hours],
    states: [...a.states, ...b.states],
    results: [...a.results, ...b.results],
    checks: [...a.checks, ...b.checks],
    verdicts: [...a.verdicts, ...b.verdicts],
  };
}
