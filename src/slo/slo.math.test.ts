import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { LatencyHistogram } from './histogram.ts';
import {
  badShare,
  budgetingOf,
  burnDownSeries,
  burnRate,
  burnRates,
  burnRateThreshold,
  countSlices,
  evaluateBurnRateRule,
  mergeIntervals,
  objectiveStatus,
  occurrencesStatus,
  PrefixSums,
  ratioTimeslicesStatus,
  timeslicesStatus,
  timeToExhaustionMs,
} from './slo.math.ts';
import { type BurnRateRule, DEFAULT_BURN_RATE_RULES, type TimeWindow } from './slo.model.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const DAYS_28 = 28 * DAY;
/** 2026-03-02T00:00:00Z, a minute boundary. */
const T0 = Date.UTC(2026, 2, 2);
const ROLLING_28D: TimeWindow = { type: 'rolling', duration: '28d' };

const [PAGE_FAST, PAGE_SLOW, TICKET] = DEFAULT_BURN_RATE_RULES as [BurnRateRule, BurnRateRule, BurnRateRule];

/** Naive reference: sums every bucket whose minute starts in [from, to), skipping excluded ones. */
function naiveSum(
  buckets: Array<{ minute: number; good: number; total: number }>,
  from: number,
  to: number,
  exclude: Array<{ start: number; end: number }> = [],
): { good: number; total: number } {
  let good = 0;
  let total = 0;
  for (const b of buckets) {
    const at = b.minute * MIN;
    if (at < from || at >= to) continue;
    if (exclude.some((e) => at >= e.start && at < e.end)) continue;
    good += b.good;
    total += b.total;
  }
  return { good, total };
}

/** Dense per-minute data from `start` for `minutes` minutes, each minute's counts chosen by `f`. */
function dense(start: number, minutes: number, f: (i: number) => [good: number, total: number]): PrefixSums {
  const good = new Float64Array(minutes);
  const total = new Float64Array(minutes);
  for (let i = 0; i < minutes; i++) {
    const [g, t] = f(i);
    good[i] = g;
    total[i] = t;
  }
  return PrefixSums.fromDense(start / MIN, good, total);
}

const bucketsArb = fc
  .uniqueArray(fc.record({ minute: fc.integer({ min: 0, max: 5_000 }), good: fc.nat(1_000), bad: fc.nat(50) }), {
    selector: (b) => b.minute,
    maxLength: 300,
  })
  .map((bs) => bs.sort((a, b) => a.minute - b.minute).map((b) => ({ minute: b.minute, good: b.good, total: b.good + b.bad })));
const msArb = fc.integer({ min: -10 * MIN, max: 5_100 * MIN });

describe('PrefixSums', () => {
  it('equals naive sums over random buckets and random windows (sparse and dense)', () => {
    fc.assert(
      fc.property(bucketsArb, msArb, msArb, (buckets, a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const sparse = PrefixSums.fromBuckets({
          minutes: buckets.map((x) => x.minute),
          good: buckets.map((x) => x.good),
          total: buckets.map((x) => x.total),
        });
        const denseGood = new Array<number>(5_001).fill(0);
        const denseTotal = new Array<number>(5_001).fill(0);
        for (const x of buckets) {
          denseGood[x.minute] = x.good;
          denseTotal[x.minute] = x.total;
        }
        const d = PrefixSums.fromDense(0, denseGood, denseTotal);
        const expected = naiveSum(buckets, from, to);
        expect(sparse.sum(from, to)).toEqual(expected);
        expect(d.sum(from, to)).toEqual(expected);
      }),
    );
  });

  it('leaves excluded intervals out of every sum', () => {
    const intervalArb = fc
      .tuple(fc.integer({ min: 0, max: 5_000 * MIN }), fc.integer({ min: 0, max: 600 * MIN }))
      .map(([start, len]) => ({ start, end: start + len }));
    fc.assert(
      fc.property(bucketsArb, fc.array(intervalArb, { maxLength: 5 }), msArb, msArb, (buckets, exclude, a, b) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        const sums = PrefixSums.fromBuckets(
          { minutes: buckets.map((x) => x.minute), good: buckets.map((x) => x.good), total: buckets.map((x) => x.total) },
          { exclude },
        );
        expect(sums.sum(from, to)).toEqual(naiveSum(buckets, from, to, exclude));
      }),
    );
  });

  it('counts a bucket when its minute starts inside the half-open window', () => {
    const sums = PrefixSums.fromBuckets({ minutes: [10, 11, 12], good: [1, 2, 4], total: [1, 2, 4] });
    expect(sums.sum(10 * MIN, 12 * MIN)).toEqual({ good: 3, total: 3 });
    // A window starting mid-minute leaves that minute's bucket out: it began before the window.
    expect(sums.sum(10 * MIN + 1, 13 * MIN)).toEqual({ good: 6, total: 6 });
    expect(sums.sum(12 * MIN, 12 * MIN)).toEqual({ good: 0, total: 0 });
    expect(sums.size).toBe(3);
  });

  it('rejects unordered minutes and ragged arrays', () => {
    expect(() => PrefixSums.fromBuckets({ minutes: [2, 1], good: [0, 0], total: [0, 0] })).toThrow(InputError);
    expect(() => PrefixSums.fromBuckets({ minutes: [1, 2], good: [0], total: [0, 0] })).toThrow(InputError);
    expect(() => PrefixSums.fromDense(0, [1], [1, 2])).toThrow(InputError);
  });

  it('merges overlapping and touching intervals', () => {
    expect(
      mergeIntervals([
        { start: 5, end: 8 },
        { start: 0, end: 2 },
        { start: 2, end: 3 },
        { start: 6, end: 7 },
        { start: 9, end: 9 },
      ]),
    ).toEqual([
      { start: 0, end: 3 },
      { start: 5, end: 8 },
    ]);
  });
});

describe('Occurrences budgets', () => {
  it('allows 20.16 bad minutes for 99.95 % over 28 days (the seed case)', () => {
    const f = occurrencesStatus({ target: 0.9995, good: 0, total: 0, windowMs: DAYS_28 });
    expect(f.budgetMinutes).toBe(20.16);
    expect(f.remainingRatio).toBe(1);
    expect(f.sli).toBeNull();
  });

  it('derives every figure from good and total', () => {
    const f = occurrencesStatus({ target: 0.999, good: 999_500, total: 1_000_000, windowMs: 30 * DAY });
    expect(f).toEqual({
      sli: 0.9995,
      good: 999_500,
      total: 1_000_000,
      budgetEvents: 1_000,
      budgetMinutes: 43.2,
      consumedEvents: 500,
      consumedMinutes: 21.6,
      remainingRatio: 0.5,
      remainingEvents: 500,
      remainingMinutes: 21.6,
    });
  });

  it('goes negative when overspent', () => {
    const f = occurrencesStatus({ target: 0.99, good: 970, total: 1_000, windowMs: DAYS_28 });
    expect(f.remainingRatio).toBe(-2);
    expect(f.remainingEvents).toBe(-20);
  });

  it('rejects targets outside (0, 1)', () => {
    expect(() => occurrencesStatus({ target: 1, good: 0, total: 0, windowMs: DAY })).toThrow(InputError);
    expect(() => occurrencesStatus({ target: 99.9, good: 0, total: 0, windowMs: DAY })).toThrow(InputError);
  });
});

describe('Timeslices budgets', () => {
  it('allows 20.16 minutes of bad slices for 99.95 % over 28 days, whatever the slice length', () => {
    for (const sliceMs of [MIN, 5 * MIN, 10 * MIN]) {
      const f = timeslicesStatus({ target: 0.9995, goodSlices: 0, badSlices: 0, sliceMs, windowMs: DAYS_28 });
      expect(f.budgetMinutes).toBe(20.16);
      expect(f.budgetEvents).toBe(tidyDiv(20.16, sliceMs / MIN));
    }
  });

  it('consumes 15 minutes for 3 bad 5-minute slices', () => {
    const f = timeslicesStatus({ target: 0.9995, goodSlices: 8_061, badSlices: 3, sliceMs: 5 * MIN, windowMs: DAYS_28 });
    expect(f).toMatchObject({
      budgetMinutes: 20.16,
      budgetEvents: 4.032,
      consumedEvents: 3,
      consumedMinutes: 15,
      remainingMinutes: 5.16,
      remainingEvents: 1.032,
      good: 8_061,
      total: 8_064,
    });
    expect(f.remainingRatio).toBeCloseTo(5.16 / 20.16, 12);
    expect(f.sli).toBeCloseTo(8_061 / 8_064, 15);
  });

  it('judges slices by their good share: good when good/total ≥ the slice target', () => {
    // Minutes 0–4: a 5-minute slice with exactly 95 % good; 5–9: 94 %; 10–14: no data.
    const sums = dense(T0, 15, (i) => (i < 5 ? [19, 20] : i < 10 ? [47, 50] : [0, 0]));
    const c = countSlices(sums, T0, T0 + 15 * MIN, 5 * MIN, 0.95);
    expect(c).toEqual({ good: 1, bad: 1, withData: 2, ratioSum: 1.89 });
  });

  it('counts neither good nor bad for slices without events, and always the slices ending in the window', () => {
    const sums = dense(T0, 60, (i) => (i === 7 ? [0, 3] : [0, 0]));
    // Windows of 60 minutes, wherever they start, hold the twelve 5-minute slices ending in them.
    expect(countSlices(sums, T0, T0 + HOUR, 5 * MIN, 0.95)).toEqual({ good: 0, bad: 1, withData: 1, ratioSum: 0 });
    // The slice 05:00–10:00 ends at 10:00, so a window ending at 09:59 does not hold it yet.
    expect(countSlices(sums, T0, T0 + 9 * MIN + 59_000, 5 * MIN, 0.95).bad).toBe(0);
    expect(countSlices(sums, T0, T0 + 10 * MIN, 5 * MIN, 0.95).bad).toBe(1);
  });

  it('evaluates the seed latency SLO from per-minute histograms: p95 < 100 ms over 5-minute slices', () => {
    // 28 days of per-minute latency histograms, 20 requests a minute. Most are 20–80 ms; three
    // 5-minute slices have 10 % of requests at 150–400 ms (p95 above 100 ms); one slice has
    // exactly 5 % slow (p95 still under 100 ms, so the slice is good).
    const now = T0 + DAYS_28;
    const start = now - DAYS_28;
    const minutes = DAYS_28 / MIN;
    expect(minutes).toBe(40_320);
    const badSlices = new Set([100, 2_000, 5_000]);
    const borderline = 4_000;
    const good = new Float64Array(minutes);
    const total = new Float64Array(minutes);
    for (let i = 0; i < minutes; i++) {
      const slice = Math.floor(i / 5);
      const slow = badSlices.has(slice) ? 2 : slice === borderline ? 1 : 0;
      const h = new LatencyHistogram();
      for (let r = 0; r < 20; r++) h.record(r < slow ? 150 + ((i * 7 + r * 31) % 250) : 20 + ((i * 13 + r * 17) % 61));
      good[i] = h.countBelow(100);
      total[i] = h.count;
    }
    const sums = PrefixSums.fromDense(start / MIN, good, total);
    const status = objectiveStatus({
      objective: { name: 'p95-latency', target: 0.9995, timeSliceTarget: 0.95, timeSliceWindow: '5m' },
      method: 'Timeslices',
      timeWindow: ROLLING_28D,
      sums,
      now,
    });
    expect(status).toMatchObject({
      objective: 'p95-latency',
      windowStart: start,
      windowEnd: now,
      budgetMinutes: 20.16,
      budgetEvents: 4.032,
      good: 8_061,
      total: 8_064,
      consumedEvents: 3,
      consumedMinutes: 15,
      remainingMinutes: 5.16,
    });
    expect(status.remainingRatio).toBeCloseTo(1 - 15 / 20.16, 12);
    // No bad slice in the last 3 days: not burning, nothing to exhaust.
    expect(status.burnRates['3d']).toBe(0);
    expect(status.timeToExhaustionMs).toBeNull();
  });
});

describe('RatioTimeslices budgets', () => {
  it('takes the SLI as the mean of per-slice ratios, not the ratio of sums', () => {
    // Slice 1: 1 request, bad (ratio 0). Slice 2: 1,000 requests, all good (ratio 1).
    const sums = dense(T0, 2, (i) => (i === 0 ? [0, 1] : [1_000, 1_000]));
    const c = countSlices(sums, T0, T0 + 2 * MIN, MIN, 1);
    expect(c.ratioSum).toBe(1);
    const f = ratioTimeslicesStatus({ target: 0.99, ratioSum: c.ratioSum, slices: c.withData, sliceMs: MIN, windowMs: DAY });
    expect(f.sli).toBe(0.5);
    expect(f.consumedMinutes).toBe(1);
    expect(f.budgetMinutes).toBe(14.4);
    expect(f.remainingMinutes).toBe(13.4);
  });
});

describe('budgetingOf', () => {
  it('defaults to 1-minute slices judged against the objective target', () => {
    expect(budgetingOf('Timeslices', { target: 0.999, timeSliceTarget: null, timeSliceWindow: null })).toEqual({
      method: 'Timeslices',
      sliceMs: MIN,
      sliceTarget: 0.999,
    });
  });

  it('refuses slices that are not whole minutes', () => {
    const err = (() => {
      try {
        budgetingOf('Timeslices', { target: 0.999, timeSliceTarget: null, timeSliceWindow: '90s' });
      } catch (e) {
        return e as InputError;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err?.issues[0]?.path).toBe('timeSliceWindow');
  });
});

function tidyDiv(a: number, b: number): number {
  return Number((a / b).toFixed(9));
}

describe('burn rates', () => {
  it('is the bad share over the allowed share', () => {
    expect(burnRate(0.0005, 0.9995)).toBe(1);
    expect(burnRate(0.0144, 0.999)).toBe(14.4);
    expect(burnRate(0, 0.999)).toBe(0);
  });

  it('scales the SRE Workbook thresholds to the window: 14.4 / 6 / 1 for 30 days, 13.44 for 28 days', () => {
    expect(burnRateThreshold(PAGE_FAST, 30 * DAY)).toBe(14.4);
    expect(burnRateThreshold(PAGE_SLOW, 30 * DAY)).toBe(6);
    expect(burnRateThreshold(TICKET, 30 * DAY)).toBe(1);
    expect(burnRateThreshold(PAGE_FAST, DAYS_28)).toBe(13.44);
    expect(burnRateThreshold(PAGE_SLOW, DAYS_28)).toBe(5.6);
    expect(burnRateThreshold(TICKET, DAYS_28)).toBeCloseTo(0.933333333, 9);
  });

  it('reports every burn-rate window, null without events', () => {
    const now = T0 + 3 * DAY;
    // 1,000 events a minute for the last 2 hours; 2 % bad during the last 10 minutes.
    const sums = dense(now - 2 * HOUR, 120, (i) => (i >= 110 ? [980, 1_000] : [1_000, 1_000]));
    const rates = burnRates(sums, now, 0.999);
    expect(rates['5m']).toBe(20);
    expect(rates['30m']).toBeCloseTo((10 * 20) / 30, 9);
    expect(rates['1h']).toBeCloseTo((10 * 20) / 60, 9);
    expect(rates['6h']).toBeCloseTo((10 * 20) / 120, 9);
    const empty = burnRates(PrefixSums.fromBuckets({ minutes: [], good: [], total: [] }), now, 0.999);
    expect(Object.values(empty)).toEqual([null, null, null, null, null, null]);
  });

  it('burns by slices for time-slice objectives', () => {
    const now = T0 + HOUR;
    const sums = dense(T0, 60, (i) => (i === 58 ? [0, 10] : [10, 10]));
    const b = budgetingOf('Timeslices', { target: 0.999, timeSliceTarget: 0.9, timeSliceWindow: null });
    // 1 bad 1-minute slice of 5 in the last 5 minutes: 20 % bad, 200× the 0.1 % allowed.
    expect(badShare(sums, now - 5 * MIN, now, b)).toEqual({ share: 0.2, events: 50 });
    expect(burnRates(sums, now, 0.999, b)['5m']).toBe(200);
  });
});

describe('evaluateBurnRateRule', () => {
  const now = T0 + 10 * DAY;
  const target = 0.999;
  const windowMs = 30 * DAY;
  /** 100 events a minute over the last 7 hours; bad share `bad(minutesAgo)`. */
  const traffic = (bad: (minutesAgo: number) => number): PrefixSums =>
    dense(now - 7 * HOUR, 7 * 60, (i) => {
      const ago = 7 * 60 - i;
      return [100 - bad(ago), 100];
    });

  it('fires when both the long and the short window burn faster than the threshold', () => {
    // 2 % bad for the last hour: 20× over 1 h and over 5 m, above 14.4×.
    const r = evaluateBurnRateRule({
      rule: PAGE_FAST,
      sums: traffic((ago) => (ago <= 60 ? 2 : 0)),
      now,
      target,
      windowMs,
      minEvents: 10,
    });
    expect(r).toMatchObject({
      rule: 'page-fast',
      severity: 'page',
      firing: true,
      longBurnRate: 20,
      shortBurnRate: 20,
      threshold: 14.4,
      longEvents: 6_000,
    });
    expect(r.reason).toContain('20×');
  });

  it('resolves as soon as the short window recovers, although the long window still burns', () => {
    const r = evaluateBurnRateRule({
      rule: PAGE_FAST,
      sums: traffic((ago) => (ago > 5 && ago <= 60 ? 3 : 0)),
      now,
      target,
      windowMs,
      minEvents: 10,
    });
    expect(r.longBurnRate).toBeGreaterThan(14.4);
    expect(r.shortBurnRate).toBe(0);
    expect(r.firing).toBe(false);
  });

  it('does not fire on a short spike the long window does not confirm', () => {
    const r = evaluateBurnRateRule({
      rule: PAGE_FAST,
      sums: traffic((ago) => (ago <= 5 ? 10 : 0)),
      now,
      target,
      windowMs,
      minEvents: 10,
    });
    expect(r.shortBurnRate).toBe(100);
    expect(r.longBurnRate).toBeCloseTo(100 / 12, 9);
    expect(r.firing).toBe(false);
  });

  it('never fires below the minimum traffic', () => {
    const sums = PrefixSums.fromBuckets({ minutes: [(now - 2 * MIN) / MIN], good: [0], total: [1] });
    const r = evaluateBurnRateRule({ rule: PAGE_FAST, sums, now, target, windowMs, minEvents: 10 });
    expect(r.longBurnRate).toBe(1_000);
    expect(r.firing).toBe(false);
    expect(r.longEvents).toBe(1);
    expect(r.reason).toContain('fewer than the 10');
  });

  it('fires the slow page and the ticket at 6× and 1× over their windows', () => {
    const sums = traffic(() => 1); // 1 % bad for 7 hours: 10×.
    expect(evaluateBurnRateRule({ rule: PAGE_SLOW, sums, now, target, windowMs, minEvents: 10 }).firing).toBe(true);
    expect(evaluateBurnRateRule({ rule: TICKET, sums, now, target, windowMs, minEvents: 10 }).firing).toBe(true);
    const calm = traffic(() => 0);
    expect(evaluateBurnRateRule({ rule: TICKET, sums: calm, now, target, windowMs, minEvents: 10 }).firing).toBe(false);
  });
});

describe('timeToExhaustionMs', () => {
  it('is the remaining share of the window divided by the burn rate', () => {
    expect(timeToExhaustionMs(1, 1, DAYS_28)).toBe(DAYS_28);
    expect(timeToExhaustionMs(0.5, 14.4, 30 * DAY)).toBe(25 * HOUR);
    expect(timeToExhaustionMs(0.5, 0, DAYS_28)).toBeNull();
    expect(timeToExhaustionMs(0.5, null, DAYS_28)).toBeNull();
    expect(timeToExhaustionMs(0, 3, DAYS_28)).toBe(0);
    expect(timeToExhaustionMs(-0.2, 0, DAYS_28)).toBe(0);
  });
});

describe('objectiveStatus over 28 days of per-minute data', () => {
  // A fake 28 days: 1,000 requests a minute, an outage of 30 minutes at 50 % errors on day 3,
  // a bad hour at 1 % errors ending now, and a planned maintenance (excluded) with 100 % errors.
  const now = T0 + DAYS_28;
  const start = now - DAYS_28;
  const minutes = DAYS_28 / MIN;
  const outage = { from: 3 * 1_440, to: 3 * 1_440 + 30 };
  const maintenance = { start: start + 10 * DAY, end: start + 10 * DAY + 2 * HOUR };
  const good = new Float64Array(minutes);
  const total = new Float64Array(minutes);
  for (let i = 0; i < minutes; i++) {
    const at = start + i * MIN;
    total[i] = 1_000;
    good[i] =
      i >= outage.from && i < outage.to
        ? 500
        : i >= minutes - 60
          ? 990
          : at >= maintenance.start && at < maintenance.end
            ? 0
            : 1_000;
  }
  const sums = PrefixSums.fromDense(start / MIN, good, total, { exclude: [maintenance] });

  it('computes the budget, burn rates and time to exhaustion', () => {
    expect(minutes).toBe(40_320);
    const status = objectiveStatus({
      objective: { name: 'availability', target: 0.9995, timeSliceTarget: null, timeSliceWindow: null },
      method: 'Occurrences',
      timeWindow: ROLLING_28D,
      sums,
      now,
    });
    const totalEvents = (minutes - 120) * 1_000;
    const bad = 30 * 500 + 60 * 10;
    expect(status).toMatchObject({
      objective: 'availability',
      target: 0.9995,
      windowStart: start,
      windowEnd: now,
      good: totalEvents - bad,
      total: totalEvents,
      budgetMinutes: 20.16,
      budgetEvents: 20_100,
      consumedEvents: bad,
      remainingEvents: 20_100 - bad,
    });
    expect(status.remainingRatio).toBeCloseTo(1 - bad / 20_100, 9);
    expect(status.burnRates['1h']).toBe(20);
    expect(status.burnRates['5m']).toBe(20);
    expect(status.burnRates['1d']).toBeCloseTo(600 / 1_440_000 / 0.0005, 9);
    expect(status.timeToExhaustionMs).toBe(Math.round((status.remainingRatio * DAYS_28) / 20));
  });

  it('draws the burn-down from prefix sums: falling from 1 to the current remaining ratio', () => {
    const series = burnDownSeries({ sums, target: 0.9995, start, now, windowMs: DAYS_28, stepMs: HOUR });
    expect(series).toHaveLength(673);
    expect(series[0]).toEqual({ at: start, remainingRatio: 1, sli: null });
    const last = series[series.length - 1];
    const status = occurrencesStatus({ target: 0.9995, ...sums.sum(start, now), windowMs: DAYS_28 });
    expect(last?.at).toBe(now);
    expect(last?.remainingRatio).toBeCloseTo(status.remainingRatio, 9);
    for (let i = 1; i < series.length; i++) {
      expect(series[i]?.remainingRatio).toBeLessThanOrEqual(series[i - 1]?.remainingRatio ?? 1);
    }
    // The outage on day 3 takes 15,000 of the 20,100 events at once.
    const afterOutage = series.find((p) => p.at === start + 3 * DAY + HOUR);
    expect(afterOutage?.remainingRatio).toBeCloseTo(1 - 15_000 / 20_100, 9);
  });

  it('draws the rolling series as the status of the window ending at each point', () => {
    const series = burnDownSeries({ sums, target: 0.9995, start, now, windowMs: DAY, stepMs: 6 * HOUR, mode: 'rolling' });
    for (const p of series) {
      const f = occurrencesStatus({ target: 0.9995, ...sums.sum(p.at - DAY, p.at), windowMs: DAY });
      expect(p.remainingRatio).toBe(f.remainingRatio);
    }
  });

  it('draws time-slice burn-downs in bad minutes', () => {
    const b = budgetingOf('Timeslices', { target: 0.9995, timeSliceTarget: 0.999, timeSliceWindow: '5m' });
    const series = burnDownSeries({ sums, target: 0.9995, start, now, windowMs: DAYS_28, stepMs: DAY, budgeting: b });
    // The outage is six bad 5-minute slices, the last hour twelve: 90 bad minutes of 20.16.
    expect(series[3]?.remainingRatio).toBe(1);
    expect(series[4]?.remainingRatio).toBeCloseTo(1 - 30 / 20.16, 9);
    expect(series[series.length - 1]?.remainingRatio).toBeCloseTo(1 - 90 / 20.16, 9);
    const status = objectiveStatus({
      objective: { name: 'x', target: 0.9995, timeSliceTarget: 0.999, timeSliceWindow: '5m' },
      method: 'Timeslices',
      timeWindow: ROLLING_28D,
      sums,
      now,
    });
    expect(status.consumedMinutes).toBe(90);
    expect(status.remainingRatio).toBe(series[series.length - 1]?.remainingRatio);
  });

  it('refuses a series with too many points', () => {
    expect(() => burnDownSeries({ sums, target: 0.9995, start, now, windowMs: DAYS_28, stepMs: MIN })).toThrow(InputError);
  });
});

describe('calendar windows', () => {
  it('sizes the budget on the whole period and counts data up to now', () => {
    const tw: TimeWindow = { type: 'calendar', duration: '1M', startTime: '2026-01-01 00:00:00', timeZone: 'Europe/Berlin' };
    // Berlin's March 2026 has 743 hours (clocks go forward on the 29th).
    const now = Date.UTC(2026, 2, 10, 12);
    const sums = dense(Date.UTC(2026, 1, 28), 12 * 1_440, () => [999, 1_000]);
    const status = objectiveStatus({
      objective: { name: 'default', target: 0.999, timeSliceTarget: null, timeSliceWindow: null },
      method: 'Occurrences',
      timeWindow: tw,
      sums,
      now,
    });
    expect(status.windowStart).toBe(Date.UTC(2026, 1, 28, 23));
    expect(status.windowEnd - status.windowStart).toBe(743 * HOUR);
    expect(status.budgetMinutes).toBe(44.58);
    expect(status.total).toBe(((now - status.windowStart) / MIN) * 1_000);
    expect(status.remainingRatio).toBe(0);
  });
});

describe('properties', () => {
  it('remaining ratio and consumed minutes agree for every method', () => {
    fc.assert(
      fc.property(fc.constantFrom(0.9, 0.99, 0.999, 0.9995, 0.9999), fc.nat(100_000), fc.nat(1_000), (target, good, bad) => {
        const f = occurrencesStatus({ target, good, total: good + bad, windowMs: DAYS_28 });
        expect(f.consumedMinutes).toBeCloseTo(f.budgetMinutes * (1 - f.remainingRatio), 6);
        expect(f.remainingMinutes).toBeCloseTo(f.budgetMinutes - f.consumedMinutes, 6);
        const t = timeslicesStatus({ target, goodSlices: good, badSlices: bad, sliceMs: 5 * MIN, windowMs: DAYS_28 });
        expect(t.consumedMinutes).toBeCloseTo(t.budgetMinutes * (1 - t.remainingRatio), 6);
        expect(t.consumedMinutes).toBe(bad * 5);
      }),
    );
  });
});

describe('PrefixSums.refreshDense', () => {
  it('after changing buckets from an index on, answers as a rebuild would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(50), fc.nat(50)), { minLength: 1, maxLength: 200 }),
        fc.nat(199),
        fc.array(fc.nat(60), { minLength: 1, maxLength: 20 }),
        (pairs, fromRaw, changes) => {
          const good = Float64Array.from(pairs.map(([g]) => g));
          const total = Float64Array.from(pairs.map(([g, b]) => g + b));
          const first = 29_000_000;
          const exclude = [{ start: (first + 3) * 60_000, end: (first + 7) * 60_000 }];
          const sums = PrefixSums.fromDense(first, good, total, { exclude });
          const from = fromRaw % good.length;
          changes.forEach((c, k) => {
            const i = from + k;
            if (i < good.length) {
              good[i] = c;
              total[i] = c + k;
            }
          });
          sums.refreshDense(from, good, total);
          const rebuilt = PrefixSums.fromDense(first, good, total, { exclude });
          for (let a = 0; a <= good.length; a += 7) {
            const range = [(first + a) * 60_000, (first + good.length) * 60_000] as const;
            expect(sums.sum(...range)).toEqual(rebuilt.sum(...range));
          }
        },
      ),
    );
  });
});
