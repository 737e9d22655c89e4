import type { Executor } from '../db/database.ts';
import { type HourBuckets, type Interval, PrefixSums } from './slo.math.ts';
import * as store from './slo.store.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Minutes past `now` kept in the arrays: ingestion accepts events up to 5 minutes ahead. */
const FUTURE_MINUTES = 6;
/** Slack before the arrays must shift, so they move once a day rather than every minute. */
const SLACK_MINUTES = 1440;
/**
 * Batches received this long before the last sync are looked at again. A batch's `received_at`
 * is taken before its transaction commits, so a sync can miss a batch that commits just after
 * it; the overlap catches it next time. Re-reading a range is idempotent (it sets, not adds).
 */
const OVERLAP_MS = 60_000;

/**
 * One SLI's per-minute counts over the retention horizon, dense: index `i` is epoch minute
 * `base + i`. Prefix sums are built from it on demand and kept until the data changes.
 */
class SliSeries {
  base: number;
  // 32-bit counts halve the memory of a thousand 35-day series; a minute beyond 4.29 billion
  // events switches that SLI to 64-bit floats (exact up to 2^53).
  good: Uint32Array | Float64Array;
  total: Uint32Array | Float64Array;
  /** Bumped on every change; cached prefix sums of an older version are stale. */
  version = 0;
  readonly #sums = new Map<string, { version: number; length: number; sums: PrefixSums }>();

  constructor(base: number, capacity: number) {
    this.base = base;
    this.good = new Uint32Array(capacity);
    this.total = new Uint32Array(capacity);
  }

  get end(): number {
    return this.base + this.good.length;
  }

  /** Sets minutes `[from, to]` to exactly the stored rows (zero where there is none). */
  fill(from: number, to: number, rows: readonly store.MinuteCounts[]): void {
    const lo = Math.max(from, this.base) - this.base;
    const hi = Math.min(to, this.end - 1) - this.base;
    if (hi < lo) return;
    this.good.fill(0, lo, hi + 1);
    this.total.fill(0, lo, hi + 1);
    for (const r of rows) {
      const i = r.minute - this.base;
      if (i < lo || i > hi) continue;
      if (r.total > 0xffff_ffff && this.total instanceof Uint32Array) {
        this.good = Float64Array.from(this.good);
        this.total = Float64Array.from(this.total);
      }
      this.good[i] = r.good;
      this.total[i] = r.total;
    }
    this.version++;
    // Cached sums stay valid up to the first changed minute; bring the rest up to date in place.
    for (const cached of this.#sums.values()) {
      if (cached.version !== this.version - 1 || cached.length !== this.good.length) continue;
      cached.sums.refreshDense(lo, this.good, this.total);
      cached.version = this.version;
    }
  }

  /** Moves the start to `base`, keeping the minutes both ranges share; returns the new range to load. */
  shift(base: number): { from: number; to: number } {
    const by = base - this.base;
    const n = this.good.length;
    if (by >= n || by <= -n) {
      this.good.fill(0);
      this.total.fill(0);
      this.base = base;
      this.version++;
      return { from: base, to: base + n - 1 };
    }
    if (by > 0) {
      this.good.copyWithin(0, by);
      this.total.copyWithin(0, by);
      this.good.fill(0, n - by);
      this.total.fill(0, n - by);
    } else {
      this.good.copyWithin(-by, 0, n + by);
      this.total.copyWithin(-by, 0, n + by);
      this.good.fill(0, 0, -by);
      this.total.fill(0, 0, -by);
    }
    const oldEnd = this.end;
    this.base = base;
    this.version++;
    return by > 0 ? { from: oldEnd, to: this.end - 1 } : { from: base, to: base - by - 1 };
  }

  /** Prefix sums over the series with `exclude` left out; cached per exclusion set until the data changes. */
  sums(exclude: readonly Interval[]): PrefixSums {
    const key = exclude.length === 0 ? '' : JSON.stringify(exclude);
    const cached = this.#sums.get(key);
    if (cached && cached.version === this.version) return cached.sums;
    if (cached === undefined && this.#sums.size > 8) this.#sums.clear();
    const sums = PrefixSums.fromDense(this.base, this.good, this.total, { exclude });
    this.#sums.set(key, { version: this.version, length: this.good.length, sums });
    return sums;
  }

  /**
   * Prefix sums of `hours` before `split` (an hour boundary at or after `base`) followed by this
   * series' minutes from `split` on; cached like {@link sums} until either side changes.
   */
  rollupSums(hours: SliHours, split: number, exclude: readonly Interval[]): PrefixSums {
    const key = `${split}|${JSON.stringify(exclude)}`;
    const c = this.#rollup;
    if (c && c.key === key && c.version === this.version && c.hours === hours.version) return c.sums;
    const from = Math.max(split / MINUTE_MS - this.base, 0);
    const minutes = new Float64Array(this.good.length - from);
    for (let i = 0; i < minutes.length; i++) minutes[i] = this.base + from + i;
    const sums = PrefixSums.fromRollup(
      hours,
      { minutes, good: this.good.subarray(from), total: this.total.subarray(from) },
      split,
      { exclude },
    );
    this.#rollup = { key, version: this.version, hours: hours.version, sums };
    return sums;
  }

  #rollup: { key: string; version: number; hours: number; sums: PrefixSums } | null = null;

  /** The start (ms) of the latest minute up to `nowMinute` with events, or null. */
  lastEventAt(nowMinute: number): number | null {
    for (let i = Math.min(nowMinute + FUTURE_MINUTES, this.end - 1) - this.base; i >= 0; i--) {
      if ((this.total[i] ?? 0) > 0) return (this.base + i) * MINUTE_MS;
    }
    return null;
  }
}

/**
 * One SLI's hourly rollups before the per-minute horizon, ascending. Hours that old are final
 * (ingestion refuses them and the rollup job has summed them), so they are read once and then
 * only extended as the horizon moves, until the rollup job runs again.
 */
class SliHours implements HourBuckets {
  hours: number[] = [];
  good: number[] = [];
  total: number[] = [];
  /** Epoch hours before this one are loaded. */
  toHour: number;
  version = 0;

  constructor(fromHour: number) {
    this.toHour = fromHour;
  }

  append(rows: ReadonlyArray<{ hour: number; good: number; total: number }>, toHour: number): void {
    for (const r of rows) {
      this.hours.push(r.hour);
      this.good.push(r.good);
      this.total.push(r.total);
    }
    this.toHour = toHour;
    this.version++;
  }
}

/**
 * Per-SLI minute series in memory, so evaluating a thousand 28-day SLOs is arithmetic on arrays
 * rather than 40,320 rows read per SLO per request.
 *
 * The database stays the truth: the cache loads an SLI's horizon once, then on every sync
 * re-reads only the minute ranges that batches received since the last sync touched (the
 * `sli_batches` log), which also brings in what other replicas ingested.
 */
export class SliSeriesCache {
  readonly #horizonMinutes: number;
  readonly #series = new Map<string, SliSeries>();
  /** Hourly rollups of the SLIs whose windows reach past the horizon, loaded on demand. */
  readonly #hours = new Map<string, SliHours>();
  #syncedAt: number | null = null;
  #queue: Promise<void> = Promise.resolve();

  constructor(opts: { horizonMinutes: number }) {
    this.#horizonMinutes = opts.horizonMinutes;
  }

  get #capacity(): number {
    // The start is moved back to an hour boundary (up to 59 minutes) to meet the hourly rollup.
    return this.#horizonMinutes + 60 + SLACK_MINUTES + FUTURE_MINUTES;
  }

  /** The first minute kept: the horizon moved back to its hour, where the hourly rollup takes over. */
  #baseMinute(now: number): number {
    return Math.floor((Math.floor(now / MINUTE_MS) - this.#horizonMinutes) / 60) * 60;
  }

  /**
   * Brings the series of `sliIds` up to date as of `now` and drops series of SLIs not in
   * `existing`. Syncs run one at a time; concurrent callers queue behind each other.
   */
  sync(ex: Executor, now: number, sliIds: readonly string[], existing?: ReadonlySet<string>): Promise<void> {
    const run = this.#queue.then(() => this.#sync(ex, now, sliIds, existing));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #sync(ex: Executor, now: number, sliIds: readonly string[], existing?: ReadonlySet<string>): Promise<void> {
    if (existing) {
      for (const id of this.#series.keys()) if (!existing.has(id)) this.#series.delete(id);
      for (const id of this.#hours.keys()) if (!existing.has(id)) this.#hours.delete(id);
    }
    const nowMinute = Math.floor(now / MINUTE_MS);
    const wantBase = this.#baseMinute(now);

    if (this.#syncedAt !== null && this.#series.size > 0) {
      const changed = await store.changedSince(ex, this.#syncedAt - OVERLAP_MS);
      for (const [id, range] of changed) {
        const s = this.#series.get(id);
        if (!s) continue;
        const from = Math.max(range.from, s.base);
        const to = Math.min(range.to, s.end - 1);
        if (to >= from) s.fill(from, to, await store.readMinutes(ex, id, from, to));
      }
    }
    this.#syncedAt = now;

    for (const [id, s] of this.#series) {
      // Shift once the future edge nears the end, or when the clock went back before the start.
      if (nowMinute + FUTURE_MINUTES < s.end && wantBase >= s.base) continue;
      const { from, to } = s.shift(wantBase);
      s.fill(from, to, await store.readMinutesPacked(ex, id, from, to));
    }
    // A few loads at a time: PostgreSQL serves them on separate connections; SQLite queues them.
    const missing = [...new Set(sliIds)].filter((id) => !this.#series.has(id));
    const load = async (): Promise<void> => {
      for (let id = missing.pop(); id !== undefined; id = missing.pop()) {
        const s = new SliSeries(wantBase, this.#capacity);
        s.fill(s.base, s.end - 1, await store.readMinutesPacked(ex, id, s.base, s.end - 1));
        // Build the sums now, while loading, so the first evaluation does not pay for all of them.
        s.sums([]);
        this.#series.set(id, s);
      }
    };
    await Promise.all([load(), load(), load(), load()]);
  }

  /**
   * Loads (or extends up to the current horizon) the hourly rollups of `sliIds`, for windows
   * that reach past the per-minute data. Queued with the syncs.
   */
  syncHours(ex: Executor, now: number, sliIds: readonly string[]): Promise<void> {
    const run = this.#queue.then(async () => {
      const toHour = this.#baseMinute(now) / 60;
      for (const id of new Set(sliIds)) {
        let h = this.#hours.get(id);
        if (!h) {
          h = new SliHours(0);
          this.#hours.set(id, h);
        }
        if (h.toHour < toHour) h.append(await store.readHours(ex, id, h.toHour, toHour - 1), toHour);
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Drops every loaded hourly rollup: the rollup job has just rewritten (and pruned) them. */
  invalidateHours(): void {
    this.#hours.clear();
  }

  /**
   * Prefix sums of a synced SLI with its hourly rollups (see {@link syncHours}) before the
   * horizon's hour and its minutes after. Without loaded rollups, the minutes alone.
   */
  sumsWithRollup(sliId: string, now: number, exclude: readonly Interval[] = []): PrefixSums {
    const s = this.#series.get(sliId);
    const h = this.#hours.get(sliId);
    if (!s || !h) return this.sums(sliId, exclude);
    return s.rollupSums(h, Math.min(h.toHour * HOUR_MS, this.horizonStart(now)), exclude);
  }

  /** Prefix sums of a synced SLI (empty for one never synced). */
  sums(sliId: string, exclude: readonly Interval[] = []): PrefixSums {
    const s = this.#series.get(sliId);
    if (!s) return PrefixSums.fromDense(0, [], []);
    return s.sums(exclude);
  }

  lastEventAt(sliId: string, now: number): number | null {
    return this.#series.get(sliId)?.lastEventAt(Math.floor(now / MINUTE_MS)) ?? null;
  }

  /**
   * Where the per-minute data starts (ms, on an hour boundary, the same edge the rollup job
   * prunes minutes at); older data comes from the hourly rollup.
   */
  horizonStart(now: number): number {
    return this.#baseMinute(now) * MINUTE_MS;
  }

  forget(sliId: string): void {
    this.#series.delete(sliId);
    this.#hours.delete(sliId);
  }
}
