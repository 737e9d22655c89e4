import type { Clock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import { InputError, UnavailableError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type Logger, silentLogger } from '../core/logger.ts';
import type { Db } from '../db/database.ts';
import { windowBounds } from './calendar.ts';
import { PrometheusSource } from './prometheus.source.ts';
import type { DataSourceSpec, SliSpec, SloSpec } from './slo.model.ts';
import { SLI_RETENTION_MS } from './slo.service.ts';
import * as store from './slo.store.ts';

/**
 * Pulls the per-minute counts of every Prometheus-based SLI into the SLO store, so their budgets,
 * burn rates and alerts are computed exactly like those of pushed events.
 *
 * Per SLI a high-water mark (`sli_pulls.pulled_to`, the first minute not pulled yet) says where
 * the next pull starts. Each tick reads the complete minutes from the mark up to now − 2 min and
 * writes them together with the new mark in one transaction, replacing rather than adding, so a
 * minute read twice (a crash between fetch and commit, two pullers overlapping) counts once.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** How often the server pulls. */
export const PULL_INTERVAL_MS = 60_000;
/**
 * Minutes that ended less than this ago are left for a later tick: Prometheus may not have
 * scraped their last samples yet, and a minute pulled early would stay short.
 */
export const PULL_DELAY_MS = 2 * MINUTE_MS;
/** The first pull never reaches further back than per-minute data is kept. */
export const MAX_BACKFILL_MS = SLI_RETENTION_MS;
/** First pull of an SLI that no SLO uses yet. */
const DEFAULT_BACKFILL_MS = DAY_MS;
const PULL_LEASE = 'slo-prometheus-pull';
/** SLIs pulled at the same time; each costs two range queries per 10,000 minutes. */
const CONCURRENCY = 4;
/** Ingestion accepts events this far ahead; a reset clears that far so no pushed minute survives. */
const FUTURE_MINUTES = 6;
const MAX_INT32 = 2_147_483_647;

/** What the puller needs from a data source client. */
export type MinuteBucketSource = Pick<PrometheusSource, 'fetchMinuteBuckets'>;

export interface PrometheusPullerOptions {
  db: Db;
  clock: Clock;
  logger?: Logger;
  /**
   * How far back the first pull of an SLI reaches. By default: the longest window of its SLOs
   * (the SLO window, or a burn-rate rule's long window if longer), one day without SLOs. Always
   * capped at the 35 days of per-minute retention.
   */
  backfillMs?: number;
  /** Builds the client of a data source; a {@link PrometheusSource} by default. */
  sourceFor?: (dataSource: DataSourceSpec) => MinuteBucketSource;
}

export interface SliPullOutcome {
  sli: string;
  /** Epoch minutes `[from, to)` read by this tick; null when there was nothing new (or it failed). */
  from: number | null;
  to: number | null;
  /** Minutes Prometheus had data for within the range. */
  minutes: number;
  error: string | null;
}

export interface PullResult {
  /** False when another replica holds the pull lease. */
  pulled: boolean;
  slis: SliPullOutcome[];
}

type Defs = store.DefinitionRecords<SliSpec, SloSpec, unknown, DataSourceSpec, unknown, unknown>;

export class PrometheusPuller {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #backfillMs: number | undefined;
  readonly #sourceFor: (dataSource: DataSourceSpec) => MinuteBucketSource;
  /** Names this replica in the leases table. */
  readonly #instance = newId();
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #leaseMs = 3 * PULL_INTERVAL_MS;

  constructor(options: PrometheusPullerOptions) {
    this.#db = options.db;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    this.#backfillMs = options.backfillMs;
    this.#sourceFor = options.sourceFor ?? ((ds) => new PrometheusSource(ds));
  }

  /**
   * One tick: pulls every Prometheus SLI up to now − 2 min. Only the replica holding the pull
   * lease pulls; the others return `pulled: false`. A data source that fails is recorded on its
   * SLIs and tried again next tick from the same mark; it never stops the other SLIs.
   */
  pull(): Promise<PullResult> {
    // One tick at a time per replica: the lease keeps other replicas out, not this one.
    const run = this.#queue.then(() => this.#pull());
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Pulls now, then every `intervalMs` (60 s). */
  start(intervalMs = PULL_INTERVAL_MS): void {
    if (this.#timer) return;
    // A holder that stops renewing (crashed) is replaced after three missed ticks.
    this.#leaseMs = 3 * intervalMs;
    const tick = (): void => {
      if (this.#running) return;
      // A failed tick (database away) is retried by the next one.
      this.#running = this.pull()
        .catch((error: unknown) => this.#logger.warn({ err: error }, 'Prometheus SLI pull failed'))
        .finally(() => {
          this.#running = null;
        });
    };
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
    // Without waiting a minute: after a start the budgets should not lag behind for long.
    tick();
  }

  /** Stops the loop, waits for a running tick, and gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
    await store.releaseLease(this.#db.kysely, PULL_LEASE, this.#instance).catch(() => {});
  }

  async #pull(): Promise<PullResult> {
    const now = this.#clock.now();
    if (!(await store.claimLease(this.#db.kysely, PULL_LEASE, this.#instance, now, now + this.#leaseMs))) {
      return { pulled: false, slis: [] };
    }
    const defs: Defs = await store.loadDefinitions(this.#db.kysely);
    const slis = defs.slis.filter((s) => s.spec.source === 'prometheus' && s.spec.prometheus);
    const states = await store.pullStates(this.#db.kysely);
    const pulledIds = new Set(slis.map((s) => s.id));
    // An SLI that now takes events must not resume from an old mark should it come back.
    await store.deletePullStates(
      this.#db.kysely,
      [...states.keys()].filter((id) => !pulledIds.has(id)),
    );

    const queue = [...slis];
    const out: SliPullOutcome[] = [];
    const worker = async (): Promise<void> => {
      for (let sli = queue.shift(); sli !== undefined; sli = queue.shift()) {
        out.push(await this.#pullOne(defs, sli, states.get(sli.id), now));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return { pulled: true, slis: out.sort((a, b) => (a.sli < b.sli ? -1 : a.sli > b.sli ? 1 : 0)) };
  }

  async #pullOne(
    defs: Defs,
    sli: store.SliRecord<SliSpec>,
    state: store.PullState | undefined,
    now: number,
  ): Promise<SliPullOutcome> {
    const prom = sli.spec.prometheus as NonNullable<SliSpec['prometheus']>;
    const dataSource = defs.dataSources.find((d) => d.name === prom.dataSource)?.spec;
    // Minutes read with another query or from another server measure something else: start over.
    const definition = JSON.stringify({
      dataSource: prom.dataSource,
      url: dataSource?.url ?? null,
      good: prom.good,
      bad: prom.bad,
      total: prom.total,
    });
    try {
      if (!dataSource) {
        throw InputError.field(`sli ${sli.name}: prometheus.dataSource`, `no data source named "${prom.dataSource}"`);
      }
      const end = Math.floor((now - PULL_DELAY_MS) / MINUTE_MS);
      const want = this.#backfillFrom(defs, sli.id, now);
      const resume = state && state.definition === definition && state.pulledFrom !== null && state.pulledTo !== null;
      const pulledFrom = resume ? (state.pulledFrom as number) : null;
      const pulledTo = resume ? (state.pulledTo as number) : null;
      // From the mark; further back when an SLO with a longer window now uses the SLI; never
      // before the backfill edge, whatever was missed while no replica pulled.
      const from = pulledFrom === null || pulledTo === null || want < pulledFrom ? want : Math.max(pulledTo, want);
      const newFrom = pulledFrom === null || pulledTo === null || pulledTo < want ? from : Math.min(pulledFrom, from);
      const newTo = Math.max(pulledTo ?? from, end);

      // Nothing complete since the last read (two ticks within a minute): nothing to record
      // either, so lastPulledAt keeps meaning "Prometheus last answered then".
      if (resume && from >= end) return { sli: sli.name, from: null, to: null, minutes: 0, error: null };
      let rows: store.MinuteCounts[] = [];
      if (from < end) {
        const fetched = await this.#sourceFor(dataSource).fetchMinuteBuckets(sli.spec, from * MINUTE_MS, end * MINUTE_MS);
        rows = fetched.filter((r) => r.minute >= from && r.minute < end);
      }
      const at = this.#clock.now();
      await this.#db.kysely.transaction().execute(async (trx) => {
        if (from < end) {
          // Starting over also clears what is not Prometheus's: minutes of an old query, or
          // events pushed while the SLI had another source.
          const clearTo = resume ? end : null;
          await store.replaceMinutes(trx, sli.id, from, clearTo, rows);
          // The batch log is how every replica's in-memory series (and the hourly rollup) learn
          // which minutes changed.
          await store.recordBatch(trx, {
            sliId: sli.id,
            batchId: `prometheus:${newId(at)}`,
            receivedAt: at,
            minMinute: from,
            maxMinute: resume ? end - 1 : Math.max(end - 1, Math.floor(at / MINUTE_MS) + FUTURE_MINUTES),
            // The column is a 32-bit integer on PostgreSQL; a 35-day backfill of a busy SLI has
            // more events than that, and nothing reads the count back.
            events: Math.min(
              rows.reduce((n, r) => n + r.total, 0),
              MAX_INT32,
            ),
          });
        }
        await store.recordPull(trx, { sliId: sli.id, definition, pulledFrom: newFrom, pulledTo: newTo, pulledAt: at });
      });
      return from < end
        ? { sli: sli.name, from, to: end, minutes: rows.length, error: null }
        : { sli: sli.name, from: null, to: null, minutes: 0, error: null };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (error instanceof InputError) {
        // Retrying cannot fix a query Prometheus refuses: someone has to change the SLI.
        this.#logger.error(
          { sli: sli.name, err: error },
          `SLI "${sli.name}" cannot be read from Prometheus, its definition needs fixing: ${message}`,
        );
      } else if (error instanceof UnavailableError) {
        this.#logger.warn({ sli: sli.name, err: error }, `SLI "${sli.name}": Prometheus unavailable, retrying next tick`);
      } else {
        this.#logger.error({ sli: sli.name, err: error }, `SLI "${sli.name}": pulling from Prometheus failed`);
      }
      await store
        .recordPullError(this.#db.kysely, { sliId: sli.id, definition, error: message, at: now })
        .catch((recordError: unknown) => this.#logger.error({ err: recordError }, 'could not record a pull error'));
      return { sli: sli.name, from: null, to: null, minutes: 0, error: message };
    }
  }

  /** The epoch minute a first pull of the SLI starts at. */
  #backfillFrom(defs: Defs, sliId: string, now: number): number {
    let span = this.#backfillMs;
    if (span === undefined) {
      const slos = defs.slos.filter((s) => s.sliId === sliId);
      span = slos.length === 0 ? DEFAULT_BACKFILL_MS : Math.max(...slos.map((s) => spanOf(s.spec, now)));
    }
    return Math.ceil((now - Math.min(span, MAX_BACKFILL_MS)) / MINUTE_MS);
  }
}

/** How far back an SLO looks: its window, or a burn-rate rule's long window where that is longer. */
function spanOf(slo: SloSpec, now: number): number {
  let span = 0;
  try {
    span = now - windowBounds(slo.timeWindow, now).start;
  } catch {
    // Validated on apply; a window that cannot be computed takes everything there is.
    return MAX_BACKFILL_MS;
  }
  for (const rule of slo.alerting.rules) {
    try {
      span = Math.max(span, parseDuration(rule.longWindow, 'longWindow'));
    } catch {
      // As above: validated on apply.
    }
  }
  return span;
}
