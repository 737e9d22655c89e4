import { parseDuration } from '../core/duration.ts';
import { InputError } from '../core/errors.ts';
import { type WindowBounds, windowBounds } from './calendar.ts';
import { errorShare, tidy } from './nines.ts';
import {
  BURN_RATE_WINDOWS,
  type BudgetingMethod,
  type BurnRateRule,
  type ObjectiveSpec,
  type ObjectiveStatus,
  type TimeWindow,
} from './slo.model.ts';

/**
 * The pure core of SLOs: window sums, error budgets, burn rates and burn-rate alerts. Nothing
 * here reads a clock or a database; callers pass `now` and the per-minute counts.
 *
 * Conventions: times are epoch milliseconds, windows are half-open `[start, end)`, SLI data is
 * per-minute (good, total) counts and a bucket belongs to a window when its minute starts inside
 * it. Formulas and worked examples: docs/slo-math.md.
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** A half-open interval of epoch milliseconds, `[start, end)`. */
export interface Interval {
  start: number;
  end: number;
}

/** Counts over a window. */
export interface WindowSums {
  good: number;
  total: number;
}

/** Per-minute buckets as the store keeps them: `minutes` are epoch minutes (ms / 60,000), strictly ascending. */
export interface MinuteBuckets {
  minutes: ArrayLike<number>;
  good: ArrayLike<number>;
  total: ArrayLike<number>;
}

export interface PrefixSumsOptions {
  /** Intervals whose buckets are left out of every sum (planned maintenance). May overlap. */
  exclude?: readonly Interval[];
  /**
   * Buckets before this instant (ms, on an hour boundary) are hourly rollups keyed by their first
   * minute: time slices shorter than an hour are weighted over them (see {@link SliceSeries}) and
   * {@link rollupApproximate} can tell whether a window's figures are exact.
   */
  hourlyBefore?: number;
}

/** Hourly rollups as the store keeps them: `hours` are epoch hours (ms / 3,600,000), strictly ascending. */
export interface HourBuckets {
  hours: ArrayLike<number>;
  good: ArrayLike<number>;
  total: ArrayLike<number>;
}

/** Sorts intervals and merges the ones that overlap or touch; empty intervals are dropped. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ start: i.start, end: i.end });
  }
  return out;
}

/** First index in `a[lo, hi)` whose value is ≥ `x`. */
function lowerBound(a: ArrayLike<number>, x: number, lo = 0, hi = a.length): number {
  let l = lo;
  let h = hi;
  while (l < h) {
    const mid = (l + h) >>> 1;
    if ((a[mid] ?? 0) < x) l = mid + 1;
    else h = mid;
  }
  return l;
}

/**
 * Cumulative sums over per-minute buckets, answering the (good, total) of any window in
 * O(log n) (sparse buckets, binary search) or O(1) (dense buckets, index arithmetic).
 *
 * Sums of counts are exact up to 2^53, so differences of prefix sums equal the naive sums: the
 * architecture's rule that every window is a sum over buckets, never an average of ratios.
 */
export class PrefixSums {
  /** Epoch minutes of the buckets (sparse), or null when dense from `#firstMinute`. */
  readonly #minutes: Float64Array | null;
  readonly #firstMinute: number;
  readonly #cumGood: Float64Array;
  readonly #cumTotal: Float64Array;
  /** See {@link PrefixSumsOptions.hourlyBefore}; null when every bucket is a minute. */
  readonly hourlyBefore: number | null;
  /** The excluded intervals, merged. */
  readonly excluded: readonly Interval[];

  private constructor(
    minutes: Float64Array | null,
    firstMinute: number,
    good: ArrayLike<number>,
    total: ArrayLike<number>,
    options: PrefixSumsOptions,
  ) {
    const n = good.length;
    this.#minutes = minutes;
    this.#firstMinute = firstMinute;
    this.#cumGood = new Float64Array(n + 1);
    this.#cumTotal = new Float64Array(n + 1);
    const excluded = mergeIntervals(options.exclude ?? []);
    this.excluded = excluded;
    this.hourlyBefore = options.hourlyBefore ?? null;
    let e = 0;
    for (let i = 0; i < n; i++) {
      const at = ((minutes ? minutes[i] : firstMinute + i) ?? 0) * MINUTE_MS;
      while (e < excluded.length && (excluded[e]?.end ?? 0) <= at) e++;
      const skip = e < excluded.length && (excluded[e]?.start ?? 0) <= at;
      this.#cumGood[i + 1] = (this.#cumGood[i] ?? 0) + (skip ? 0 : (good[i] ?? 0));
      this.#cumTotal[i + 1] = (this.#cumTotal[i] ?? 0) + (skip ? 0 : (total[i] ?? 0));
    }
  }

  /**
   * Recomputes dense minute sums from index `from` on, after the buckets there changed: new
   * minutes arrive at the end, so keeping sums current costs the few minutes that moved rather
   * than a rebuild over the whole window. `good` and `total` are the same arrays, updated.
   */
  refreshDense(from: number, good: ArrayLike<number>, total: ArrayLike<number>): void {
    if (this.#minutes !== null || this.hourlyBefore !== null) throw new Error('refreshDense applies to dense minute sums only');
    const n = good.length;
    if (n + 1 !== this.#cumGood.length || total.length !== n) throw new Error('refreshDense needs arrays of the original length');
    const excluded = this.excluded;
    const start = Math.max(0, from);
    let e = 0;
    for (let i = start; i < n; i++) {
      const at = (this.#firstMinute + i) * MINUTE_MS;
      while (e < excluded.length && (excluded[e]?.end ?? 0) <= at) e++;
      const skip = e < excluded.length && (excluded[e]?.start ?? 0) <= at;
      this.#cumGood[i + 1] = (this.#cumGood[i] ?? 0) + (skip ? 0 : (good[i] ?? 0));
      this.#cumTotal[i + 1] = (this.#cumTotal[i] ?? 0) + (skip ? 0 : (total[i] ?? 0));
    }
  }

  /**
   * From sparse buckets (only the minutes that had events). Throws an {@link InputError} when
   * the arrays differ in length or the minutes are not strictly ascending.
   */
  static fromBuckets(buckets: MinuteBuckets, options: PrefixSumsOptions = {}): PrefixSums {
    const { minutes, good, total } = buckets;
    if (good.length !== minutes.length || total.length !== minutes.length) {
      throw InputError.field('buckets', 'minutes, good and total must have the same length');
    }
    const m = Float64Array.from(minutes);
    for (let i = 1; i < m.length; i++) {
      if ((m[i] ?? 0) <= (m[i - 1] ?? 0)) throw InputError.field(`buckets.minutes[${i}]`, 'minutes must be strictly ascending');
    }
    return new PrefixSums(m, 0, good, total, options);
  }

  /** From dense arrays: index `i` is the epoch minute `firstMinute + i`. */
  static fromDense(
    firstMinute: number,
    good: ArrayLike<number>,
    total: ArrayLike<number>,
    options: PrefixSumsOptions = {},
  ): PrefixSums {
    if (good.length !== total.length) throw InputError.field('buckets', 'good and total must have the same length');
    return new PrefixSums(null, firstMinute, good, total, options);
  }

  /**
   * Hourly rollups before `hourlyBefore` (an hour boundary) followed by per-minute buckets from
   * it on: how windows longer than the per-minute retention are summed. Both sides are sums of
   * counts, so any window whose bounds fall on hours in the rolled-up part sums exactly. Rollups
   * at or after `hourlyBefore` and minutes before it are ignored, so callers may pass wider ranges.
   */
  static fromRollup(
    hours: HourBuckets,
    minutes: MinuteBuckets,
    hourlyBefore: number,
    options: PrefixSumsOptions = {},
  ): PrefixSums {
    const splitHour = hourlyBefore / HOUR_MS;
    const splitMinute = hourlyBefore / MINUTE_MS;
    const h = lowerBound(hours.hours, splitHour);
    const m0 = lowerBound(minutes.minutes, splitMinute);
    const n = h + minutes.minutes.length - m0;
    const at = new Float64Array(n);
    const good = new Float64Array(n);
    const total = new Float64Array(n);
    for (let i = 0; i < h; i++) {
      at[i] = (hours.hours[i] ?? 0) * 60;
      good[i] = hours.good[i] ?? 0;
      total[i] = hours.total[i] ?? 0;
    }
    for (let i = m0, j = h; i < minutes.minutes.length; i++, j++) {
      at[j] = minutes.minutes[i] ?? 0;
      good[j] = minutes.good[i] ?? 0;
      total[j] = minutes.total[i] ?? 0;
    }
    return PrefixSums.fromBuckets({ minutes: at, good, total }, { ...options, hourlyBefore });
  }

  /** Number of buckets. */
  get size(): number {
    return this.#cumGood.length - 1;
  }

  /** Index of the first bucket whose minute is ≥ `minute`. */
  #index(minute: number): number {
    if (this.#minutes) return lowerBound(this.#minutes, minute);
    return Math.min(Math.max(minute - this.#firstMinute, 0), this.size);
  }

  /**
   * Sums over `count` consecutive steps: entry `j` covers `[startMs + j·stepMs, startMs + (j+1)·stepMs)`.
   * One pass over the buckets in range, so slicing 28 days into 40,320 one-minute slices costs
   * no more than reading them.
   */
  series(startMs: number, stepMs: number, count: number): { good: Float64Array; total: Float64Array } {
    const good = new Float64Array(Math.max(0, count));
    const total = new Float64Array(Math.max(0, count));
    if (count <= 0 || !(stepMs > 0)) return { good, total };
    const minutes = this.#minutes;
    let lo = this.#index(Math.ceil(startMs / MINUTE_MS));
    for (let j = 0; j < count; j++) {
      const bound = Math.ceil((startMs + (j + 1) * stepMs) / MINUTE_MS);
      let hi: number;
      if (minutes) {
        hi = lo;
        while (hi < minutes.length && (minutes[hi] ?? 0) < bound) hi++;
      } else {
        hi = this.#index(bound);
      }
      good[j] = (this.#cumGood[hi] ?? 0) - (this.#cumGood[lo] ?? 0);
      total[j] = (this.#cumTotal[hi] ?? 0) - (this.#cumTotal[lo] ?? 0);
      lo = hi;
    }
    return { good, total };
  }

  /** (good, total) over the buckets whose minute starts in `[fromMs, toMs)`. */
  sum(fromMs: number, toMs: number): WindowSums {
    if (!(toMs > fromMs)) return { good: 0, total: 0 };
    const lo = this.#index(Math.ceil(fromMs / MINUTE_MS));
    const hi = this.#index(Math.ceil(toMs / MINUTE_MS));
    if (hi <= lo) return { good: 0, total: 0 };
    return {
      good: (this.#cumGood[hi] ?? 0) - (this.#cumGood[lo] ?? 0),
      total: (this.#cumTotal[hi] ?? 0) - (this.#cumTotal[lo] ?? 0),
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Budgeting methods and time slices
// ---------------------------------------------------------------------------------------------

/** How an objective turns counts into a budget. */
export interface Budgeting {
  method: BudgetingMethod;
  /** Slice length (Timeslices, RatioTimeslices); a whole number of minutes. */
  sliceMs: number;
  /** Timeslices: a slice is good when good/total ≥ this. */
  sliceTarget: number;
}

/** Occurrences budgeting, for callers that have no objective at hand. */
export const OCCURRENCES: Budgeting = { method: 'Occurrences', sliceMs: MINUTE_MS, sliceTarget: 1 };

/**
 * Resolves an objective's slice settings. Defaults: `timeSliceWindow` 1m; `timeSliceTarget` the
 * objective's own target, so a slice is good when it meets the SLO by itself (Google's "good
 * minute"). Throws an {@link InputError} naming `timeSliceWindow` unless it is a whole number of
 * minutes, the resolution SLI data is kept at.
 */
export function budgetingOf(
  method: BudgetingMethod,
  objective: Pick<ObjectiveSpec, 'target' | 'timeSliceTarget' | 'timeSliceWindow'>,
): Budgeting {
  const sliceMs = objective.timeSliceWindow ? parseDuration(objective.timeSliceWindow, 'timeSliceWindow') : MINUTE_MS;
  if (method !== 'Occurrences' && (sliceMs < MINUTE_MS || sliceMs % MINUTE_MS !== 0)) {
    throw InputError.field(
      'timeSliceWindow',
      `"${objective.timeSliceWindow}" must be a whole number of minutes (data is kept per minute)`,
    );
  }
  return { method, sliceMs, sliceTarget: objective.timeSliceTarget ?? objective.target };
}

/** Slice verdicts over a window. */
export interface SliceCounts {
  /** Slices whose good share reached the slice target. */
  good: number;
  /** Slices with events that missed it. */
  bad: number;
  /** Slices with events (good + bad); slices without events are neither good nor bad. */
  withData: number;
  /** Sum of the per-slice good ratios over slices with events (RatioTimeslices). */
  ratioSum: number;
}

/**
 * Time slices are aligned to multiples of the slice length since the epoch, so a slice's verdict
 * never changes as a rolling window moves, and a slice belongs to the window in which it ends:
 * `[from, to)` holds the complete slices ending in `(from, to]`. A 28-day window of 5-minute
 * slices always holds exactly 8,064 of them, and the slice still in progress waits until it is
 * complete.
 */
class SliceSeries {
  readonly #first: number;
  readonly #sliceMs: number;
  /** Cumulative counts by slice: index j covers slices `#first … #first + j − 1`. */
  readonly #good: Float64Array;
  readonly #bad: Float64Array;
  readonly #ratio: Float64Array;

  constructor(sums: PrefixSums, fromMs: number, toMs: number, sliceMs: number, sliceTarget: number) {
    this.#sliceMs = sliceMs;
    this.#first = Math.floor(fromMs / sliceMs);
    const last = Math.floor(toMs / sliceMs) - 1;
    const n = Math.max(0, last - this.#first + 1);
    this.#good = new Float64Array(n + 1);
    this.#bad = new Float64Array(n + 1);
    this.#ratio = new Float64Array(n + 1);
    // A relative tolerance so 19/20 counts as meeting 0.95 whatever the binary rounding.
    const floor = sliceTarget - 1e-12;
    const slices = sums.series(this.#first * sliceMs, sliceMs, n);
    // Over hourly rollups a slice shorter than an hour holds a whole hour's counts (or none), so
    // that hour is judged as a whole and stands for every slice in it: a bad hour spends an hour
    // of budget, not one slice's worth. An approximation, reported as such (rollupApproximate).
    const coarseBefore = sliceMs < HOUR_MS ? (sums.hourlyBefore ?? Number.NEGATIVE_INFINITY) : Number.NEGATIVE_INFINITY;
    const coarseWeight = HOUR_MS / sliceMs;
    for (let j = 0; j < n; j++) {
      const total = slices.total[j] ?? 0;
      const w = (this.#first + j) * sliceMs < coarseBefore ? coarseWeight : 1;
      let g = 0;
      let b = 0;
      let r = 0;
      if (total > 0) {
        const ratio = (slices.good[j] ?? 0) / total;
        if (ratio >= floor) g = w;
        else b = w;
        r = ratio * w;
      }
      this.#good[j + 1] = (this.#good[j] ?? 0) + g;
      this.#bad[j + 1] = (this.#bad[j] ?? 0) + b;
      this.#ratio[j + 1] = (this.#ratio[j] ?? 0) + r;
    }
  }

  /** Verdicts of the slices ending in `(fromMs, toMs]` (clipped to the series). */
  counts(fromMs: number, toMs: number): SliceCounts {
    const n = this.#good.length - 1;
    const lo = Math.min(Math.max(Math.floor(fromMs / this.#sliceMs) - this.#first, 0), n);
    const hi = Math.min(Math.max(Math.floor(toMs / this.#sliceMs) - this.#first, lo), n);
    const good = (this.#good[hi] ?? 0) - (this.#good[lo] ?? 0);
    const bad = (this.#bad[hi] ?? 0) - (this.#bad[lo] ?? 0);
    return { good, bad, withData: good + bad, ratioSum: tidy((this.#ratio[hi] ?? 0) - (this.#ratio[lo] ?? 0), 12) };
  }
}

/**
 * Whether the figures of the window `[fromMs, toMs)` are approximate because part of it is only
 * known by hourly rollups (`sums.hourlyBefore`). They are exact, being sums of counts, unless the
 * rolled-up part holds events and one of these holds there:
 * - time slices that are not a whole number of hours (each hour is judged as a whole, see
 *   {@link SliceSeries});
 * - an Occurrences window starting inside an hour that has events (that hour's events cannot be
 *   split, so they are left out as a minute bucket starting before the window would be);
 * - a maintenance window starting or ending inside an hour (the whole hour is left out or kept).
 */
export function rollupApproximate(sums: PrefixSums, fromMs: number, toMs: number, budgeting: Budgeting): boolean {
  const split = sums.hourlyBefore;
  if (split === null || fromMs >= split) return false;
  const firstHour = Math.floor(fromMs / HOUR_MS) * HOUR_MS;
  if (sums.sum(firstHour, Math.min(split, toMs)).total === 0) return false;
  if (budgeting.method !== 'Occurrences') {
    if (budgeting.sliceMs % HOUR_MS !== 0) return true;
  } else if (fromMs !== firstHour && sums.sum(firstHour, fromMs).total > 0) {
    return true;
  }
  return sums.excluded.some((i) => [i.start, i.end].some((x) => x > fromMs && x < Math.min(split, toMs) && x % HOUR_MS !== 0));
}

/** Slice verdicts of the complete slices ending in `(fromMs, toMs]` (see docs/slo-math.md). */
export function countSlices(sums: PrefixSums, fromMs: number, toMs: number, sliceMs: number, sliceTarget: number): SliceCounts {
  return new SliceSeries(sums, fromMs, toMs, sliceMs, sliceTarget).counts(fromMs, toMs);
}

// ---------------------------------------------------------------------------------------------
// Budgets
// ---------------------------------------------------------------------------------------------

/** The budget part of {@link ObjectiveStatus}: everything that follows from the window's sums. */
export type BudgetFigures = Pick<
  ObjectiveStatus,
  | 'sli'
  | 'good'
  | 'total'
  | 'budgetEvents'
  | 'budgetMinutes'
  | 'consumedEvents'
  | 'consumedMinutes'
  | 'remainingRatio'
  | 'remainingEvents'
  | 'remainingMinutes'
>;

function assertTarget(target: number): void {
  if (!(target > 0 && target < 1)) throw InputError.field('target', `${target} is not a ratio strictly between 0 and 1`);
}

function assertWindow(windowMs: number): void {
  if (!(windowMs > 0)) throw InputError.field('timeWindow.duration', 'the window must be longer than zero');
}

/**
 * Occurrences: the budget is `(1 − target) × total` bad events. The minute figures express the
 * same shares of the window's length, so every SLO can be shown in time:
 * `budgetMinutes = (1 − target) × window minutes`, `consumedMinutes = bad/total × window minutes`.
 * Without events nothing is consumed and the whole budget remains.
 */
export function occurrencesStatus(input: { target: number; good: number; total: number; windowMs: number }): BudgetFigures {
  const { target, good, total, windowMs } = input;
  assertTarget(target);
  assertWindow(windowMs);
  const e = errorShare(target);
  const windowMinutes = windowMs / MINUTE_MS;
  const bad = Math.max(0, total - good);
  const badShare = total > 0 ? bad / total : 0;
  const budgetEvents = tidy(e * total);
  const budgetMinutes = tidy(e * windowMinutes);
  const consumedMinutes = tidy(badShare * windowMinutes);
  return {
    sli: total > 0 ? good / total : null,
    good,
    total,
    budgetEvents,
    budgetMinutes,
    consumedEvents: bad,
    consumedMinutes,
    remainingRatio: tidy(1 - badShare / e),
    remainingEvents: tidy(budgetEvents - bad),
    remainingMinutes: tidy(budgetMinutes - consumedMinutes),
  };
}

/**
 * Timeslices: the budget is `(1 − target) × window minutes` of bad slices
 * (`budgetEvents` = that many slices). Each bad slice consumes its length; slices without
 * events consume nothing. `good`/`total` count slices with events.
 */
export function timeslicesStatus(input: {
  target: number;
  goodSlices: number;
  badSlices: number;
  sliceMs: number;
  windowMs: number;
}): BudgetFigures {
  const { target, goodSlices, badSlices, sliceMs, windowMs } = input;
  assertTarget(target);
  assertWindow(windowMs);
  const e = errorShare(target);
  const budgetMinutes = tidy(e * (windowMs / MINUTE_MS));
  const budgetEvents = tidy((e * windowMs) / sliceMs);
  const consumedMinutes = tidy(badSlices * (sliceMs / MINUTE_MS));
  const withData = goodSlices + badSlices;
  return {
    sli: withData > 0 ? goodSlices / withData : null,
    good: goodSlices,
    total: withData,
    budgetEvents,
    budgetMinutes,
    consumedEvents: badSlices,
    consumedMinutes,
    remainingRatio: tidy(1 - consumedMinutes / budgetMinutes),
    remainingEvents: tidy(budgetEvents - badSlices),
    remainingMinutes: tidy(budgetMinutes - consumedMinutes),
  };
}

/**
 * RatioTimeslices: the SLI is the mean of the per-slice good ratios (slices with events); each
 * slice consumes `(1 − ratio) × slice length` of the `(1 − target) × window minutes` budget.
 * `good` is the sum of the ratios and `total` the number of slices with events.
 */
export function ratioTimeslicesStatus(input: {
  target: number;
  ratioSum: number;
  slices: number;
  sliceMs: number;
  windowMs: number;
}): BudgetFigures {
  const { target, ratioSum, slices, sliceMs, windowMs } = input;
  assertTarget(target);
  assertWindow(windowMs);
  const e = errorShare(target);
  const budgetMinutes = tidy(e * (windowMs / MINUTE_MS));
  const budgetEvents = tidy((e * windowMs) / sliceMs);
  const badSlices = tidy(slices - ratioSum);
  const consumedMinutes = tidy(badSlices * (sliceMs / MINUTE_MS));
  return {
    sli: slices > 0 ? ratioSum / slices : null,
    good: ratioSum,
    total: slices,
    budgetEvents,
    budgetMinutes,
    consumedEvents: badSlices,
    consumedMinutes,
    remainingRatio: tidy(1 - consumedMinutes / budgetMinutes),
    remainingEvents: tidy(budgetEvents - badSlices),
    remainingMinutes: tidy(budgetMinutes - consumedMinutes),
  };
}

/** The budget figures of data in `[fromMs, toMs)` for a window `windowMs` long, by any method. */
export function budgetFigures(
  sums: PrefixSums,
  fromMs: number,
  toMs: number,
  windowMs: number,
  target: number,
  budgeting: Budgeting = OCCURRENCES,
): BudgetFigures {
  if (budgeting.method === 'Occurrences') return occurrencesStatus({ target, ...sums.sum(fromMs, toMs), windowMs });
  return sliceFigures(countSlices(sums, fromMs, toMs, budgeting.sliceMs, budgeting.sliceTarget), windowMs, target, budgeting);
}

function sliceFigures(c: SliceCounts, windowMs: number, target: number, budgeting: Budgeting): BudgetFigures {
  if (budgeting.method === 'Timeslices') {
    return timeslicesStatus({ target, goodSlices: c.good, badSlices: c.bad, sliceMs: budgeting.sliceMs, windowMs });
  }
  return ratioTimeslicesStatus({ target, ratioSum: c.ratioSum, slices: c.withData, sliceMs: budgeting.sliceMs, windowMs });
}

// ---------------------------------------------------------------------------------------------
// Burn rates
// ---------------------------------------------------------------------------------------------

/** How fast the budget burns: 1 spends exactly the budget over the window, 14.4 spends it 14.4 times as fast. */
export function burnRate(badShare: number, target: number): number {
  assertTarget(target);
  return tidy(badShare / errorShare(target));
}

/** The bad share over `[fromMs, toMs)` (null without events) and the raw event count. */
export function badShare(
  sums: PrefixSums,
  fromMs: number,
  toMs: number,
  budgeting: Budgeting = OCCURRENCES,
): { share: number | null; events: number } {
  return shareOf(sums, fromMs, toMs, budgeting, null);
}

function shareOf(
  sums: PrefixSums,
  fromMs: number,
  toMs: number,
  budgeting: Budgeting,
  series: SliceSeries | null,
): { share: number | null; events: number } {
  const s = sums.sum(fromMs, toMs);
  if (budgeting.method === 'Occurrences') return { share: s.total > 0 ? (s.total - s.good) / s.total : null, events: s.total };
  const c = (series ?? new SliceSeries(sums, fromMs, toMs, budgeting.sliceMs, budgeting.sliceTarget)).counts(fromMs, toMs);
  if (c.withData === 0) return { share: null, events: s.total };
  const share = budgeting.method === 'Timeslices' ? c.bad / c.withData : (c.withData - c.ratioSum) / c.withData;
  return { share: Math.max(0, share), events: s.total };
}

export type BurnRateWindow = (typeof BURN_RATE_WINDOWS)[number];

/** Burn rates over the windows ending at `now` of {@link BURN_RATE_WINDOWS}; null where there were no events. */
export function burnRates(
  sums: PrefixSums,
  now: number,
  target: number,
  budgeting: Budgeting = OCCURRENCES,
): Record<BurnRateWindow, number | null> {
  return burnRatesWith(sums, now, target, budgeting, null);
}

/** Longest of {@link BURN_RATE_WINDOWS}, so one slice series can serve all of them. */
const LONGEST_BURN_WINDOW_MS = Math.max(...BURN_RATE_WINDOWS.map((w) => parseDuration(w)));

function burnRatesWith(
  sums: PrefixSums,
  now: number,
  target: number,
  budgeting: Budgeting,
  series: SliceSeries | null,
): Record<BurnRateWindow, number | null> {
  const out = {} as Record<BurnRateWindow, number | null>;
  const shared =
    series ??
    (budgeting.method === 'Occurrences'
      ? null
      : new SliceSeries(sums, now - LONGEST_BURN_WINDOW_MS, now, budgeting.sliceMs, budgeting.sliceTarget));
  for (const w of BURN_RATE_WINDOWS) {
    const { share } = shareOf(sums, now - parseDuration(w), now, budgeting, shared);
    out[w] = share === null ? null : burnRate(share, target);
  }
  return out;
}

/**
 * The burn rate at which a rule fires: spending `budgetShare` of the budget within `longWindow`,
 * `budgetShare × window / longWindow`. For 30 days: 2 % in 1 h → 14.4, 5 % in 6 h → 6,
 * 10 % in 3 d → 1; for 28 days, 2 % in 1 h → 13.44.
 */
export function burnRateThreshold(rule: Pick<BurnRateRule, 'budgetShare' | 'longWindow'>, windowMs: number): number {
  const longMs = parseDuration(rule.longWindow, 'longWindow');
  if (!(longMs > 0)) throw InputError.field('longWindow', 'must be longer than zero');
  return tidy((rule.budgetShare * windowMs) / longMs);
}

/** The verdict of one burn-rate rule at one moment. */
export interface BurnRateRuleEvaluation {
  rule: string;
  severity: BurnRateRule['severity'];
  firing: boolean;
  longBurnRate: number | null;
  shortBurnRate: number | null;
  threshold: number;
  /** Events in the long window, for the minimum-traffic gate. */
  longEvents: number;
  /** Why it fires or not, in words for the alert and the UI. */
  reason: string;
}

/**
 * Multi-window burn-rate alerting (SRE Workbook, ch. 5): fires only when the burn rate over both
 * the long and the short window exceeds the threshold, so it fires fast on a real burn and
 * resolves fast once the burn stops, and only when the long window saw at least `minEvents`
 * events, so a low-traffic SLO does not page on a single error.
 */
export function evaluateBurnRateRule(input: {
  rule: BurnRateRule;
  sums: PrefixSums;
  now: number;
  target: number;
  windowMs: number;
  minEvents: number;
  budgeting?: Budgeting;
}): BurnRateRuleEvaluation {
  const { rule, sums, now, target, windowMs, minEvents } = input;
  const budgeting = input.budgeting ?? OCCURRENCES;
  const threshold = burnRateThreshold(rule, windowMs);
  const longMs = parseDuration(rule.longWindow, 'longWindow');
  const shortMs = parseDuration(rule.shortWindow, 'shortWindow');
  const long = badShare(sums, now - longMs, now, budgeting);
  const short = badShare(sums, now - shortMs, now, budgeting);
  const longBurnRate = long.share === null ? null : burnRate(long.share, target);
  const shortBurnRate = short.share === null ? null : burnRate(short.share, target);
  const show = (b: number | null): string => (b === null ? 'no data' : `${tidy(b, 2)}×`);
  const base = { rule: rule.name, severity: rule.severity, longBurnRate, shortBurnRate, threshold, longEvents: long.events };

  let reason: string;
  let firing = false;
  if (long.events < minEvents) {
    reason = `${long.events} events in ${rule.longWindow}, fewer than the ${minEvents} needed to alert`;
  } else if (longBurnRate === null || shortBurnRate === null) {
    reason = `no data in the ${longBurnRate === null ? rule.longWindow : rule.shortWindow} window`;
  } else if (longBurnRate > threshold && shortBurnRate > threshold) {
    firing = true;
    reason = `burning ${show(longBurnRate)} over ${rule.longWindow} and ${show(shortBurnRate)} over ${rule.shortWindow}, above ${threshold}×: ${tidy(rule.budgetShare * 100, 6)}% of the budget would be gone within ${rule.longWindow}`;
  } else {
    reason = `burning ${show(longBurnRate)} over ${rule.longWindow} and ${show(shortBurnRate)} over ${rule.shortWindow}, not both above ${threshold}×`;
  }
  return { ...base, firing, reason };
}

/**
 * Milliseconds until the budget is gone if it keeps burning at `burnRate`: a burn rate of 1
 * spends a whole budget in one window, so `remainingRatio × windowMs / burnRate`. Zero when
 * already exhausted; null when not burning (or without data).
 */
export function timeToExhaustionMs(remainingRatio: number, burnRate: number | null, windowMs: number): number | null {
  if (remainingRatio <= 0) return 0;
  if (burnRate === null || !(burnRate > 0)) return null;
  return Math.round((remainingRatio * windowMs) / burnRate);
}

// ---------------------------------------------------------------------------------------------
// Whole objectives and burn-down
// ---------------------------------------------------------------------------------------------

/**
 * Everything `vigil slo status` and the UI show for one objective at `now`: the window's bounds,
 * the budget figures, the burn rates and the time to exhaustion at the 1 h burn rate. For
 * calendar windows the budget is sized on the whole period while data reaches up to `now`.
 */
export function objectiveStatus(input: {
  objective: Pick<ObjectiveSpec, 'name' | 'target' | 'timeSliceTarget' | 'timeSliceWindow'>;
  method: BudgetingMethod;
  timeWindow: TimeWindow;
  sums: PrefixSums;
  now: number;
}): ObjectiveStatus {
  const { objective, method, timeWindow, sums, now } = input;
  const bounds: WindowBounds = windowBounds(timeWindow, now);
  const windowMs = bounds.end - bounds.start;
  const budgeting = budgetingOf(method, objective);
  const dataEnd = Math.min(bounds.end, now);
  let figures: BudgetFigures;
  let series: SliceSeries | null = null;
  if (budgeting.method === 'Occurrences') {
    figures = budgetFigures(sums, bounds.start, dataEnd, windowMs, objective.target, budgeting);
  } else {
    // One pass over the buckets serves the window and every burn-rate window.
    series = new SliceSeries(
      sums,
      Math.min(bounds.start, now - LONGEST_BURN_WINDOW_MS),
      now,
      budgeting.sliceMs,
      budgeting.sliceTarget,
    );
    figures = sliceFigures(series.counts(bounds.start, dataEnd), windowMs, objective.target, budgeting);
  }
  const rates = burnRatesWith(sums, now, objective.target, budgeting, series);
  const status: ObjectiveStatus = {
    objective: objective.name,
    target: objective.target,
    windowStart: bounds.start,
    windowEnd: bounds.end,
    ...figures,
    burnRates: rates,
    timeToExhaustionMs: timeToExhaustionMs(figures.remainingRatio, rates['1h'], windowMs),
  };
  // Only set when true, so statuses of windows within the per-minute data look as they always did.
  if (rollupApproximate(sums, bounds.start, dataEnd, budgeting)) status.approximate = true;
  return status;
}

/** One point of a burn-down series. */
export interface BurnDownPoint {
  at: number;
  remainingRatio: number;
  /** SLI over the same span as `remainingRatio`; null without data. */
  sli: number | null;
}

/**
 * The remaining budget over time, one point every `stepMs` from `start` to `now` (the last point
 * is always `now`), each answered from prefix sums in O(log n), never by re-summing buckets.
 *
 * - `cumulative` (default), the burn-down chart: the budget of the whole window as of `now`,
 *   minus what was consumed between `start` and each point. It falls from 1 and ends at the
 *   objective's current `remainingRatio`.
 * - `rolling`: at each point, the remaining ratio of the window `[at − windowMs, at)`: how the
 *   status itself moved, as a rolling window forgets old errors.
 *
 * At most 10,000 points; more throws an {@link InputError} naming `step`.
 */
export function burnDownSeries(input: {
  sums: PrefixSums;
  target: number;
  start: number;
  now: number;
  windowMs: number;
  stepMs: number;
  budgeting?: Budgeting;
  mode?: 'cumulative' | 'rolling';
}): BurnDownPoint[] {
  const { sums, target, start, now, windowMs, stepMs } = input;
  const budgeting = input.budgeting ?? OCCURRENCES;
  const mode = input.mode ?? 'cumulative';
  assertTarget(target);
  assertWindow(windowMs);
  if (!(stepMs > 0)) throw InputError.field('step', 'must be longer than zero');
  if (now < start) return [];
  if ((now - start) / stepMs > 10_000) throw InputError.field('step', 'too many points: use a longer step');
  const ats: number[] = [];
  for (let at = start; at < now; at += stepMs) ats.push(at);
  ats.push(now);

  const e = errorShare(target);
  if (budgeting.method === 'Occurrences') {
    if (mode === 'rolling') {
      return ats.map((at) => {
        const f = occurrencesStatus({ target, ...sums.sum(at - windowMs, at), windowMs });
        return { at, remainingRatio: f.remainingRatio, sli: f.sli };
      });
    }
    const budget = e * sums.sum(start, now).total;
    return ats.map((at) => {
      const s = sums.sum(start, at);
      const bad = s.total - s.good;
      return { at, remainingRatio: budget > 0 ? tidy(1 - bad / budget) : 1, sli: s.total > 0 ? s.good / s.total : null };
    });
  }

  const seriesFrom = mode === 'rolling' ? start - windowMs : start;
  const series = new SliceSeries(sums, seriesFrom, now, budgeting.sliceMs, budgeting.sliceTarget);
  const budgetMinutes = e * (windowMs / MINUTE_MS);
  const sliceMinutes = budgeting.sliceMs / MINUTE_MS;
  return ats.map((at) => {
    const c = series.counts(mode === 'rolling' ? at - windowMs : start, at);
    const badSlices = budgeting.method === 'Timeslices' ? c.bad : c.withData - c.ratioSum;
    const sli = c.withData === 0 ? null : budgeting.method === 'Timeslices' ? c.good / c.withData : c.ratioSum / c.withData;
    return { at, remainingRatio: tidy(1 - (badSlices * sliceMinutes) / budgetMinutes), sli };
  });
}
