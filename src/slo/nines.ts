import { parseDuration } from '../core/duration.ts';
import { InputError } from '../core/errors.ts';

/**
 * The nines: how much downtime a target allows per period. Browser-safe (no Node.js imports):
 * the web UI's calculator imports this module directly.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Period lengths of the nines table. A year is the Julian 365.25 days; a month is the 30.44 days
 * that uptime tables usually quote (so 99.9 % allows 43m 50s a month); a quarter is a quarter
 * of the year.
 */
export const PERIODS_MS = {
  day: DAY,
  week: 7 * DAY,
  month: 30.44 * DAY,
  quarter: (365.25 / 4) * DAY,
  year: 365.25 * DAY,
} as const;

export type NinesPeriod = keyof typeof PERIODS_MS;

/**
 * Rounds away binary floating-point noise: `(1 − 0.9995) × 40320` is 20.15999999999778 in
 * IEEE 754, but the budget is 20.16 minutes. Thirteen significant digits absorb errors in the
 * 15th–16th digit while keeping every count exact below 10^13, and at most 12 decimals (or
 * `decimals`) clear the residue of cancellation, such as 1 − 20.16/20.16 landing at 1e-16.
 */
export function tidy(x: number, decimals = 12): number {
  if (!Number.isFinite(x)) return x;
  const r = Number(Number(x.toPrecision(13)).toFixed(decimals));
  return Object.is(r, -0) ? 0 : r;
}

/**
 * `1 − target`, the share of events (or time) a target allows to be bad, without the noise of
 * binary subtraction: 1 − 0.9995 is 0.0005, not 0.000499999999999945. Targets are written with
 * at most a dozen decimals, so rounding to 14 decimals is exact for every real-world target.
 */
export function errorShare(target: number): number {
  return Number((1 - target).toFixed(14));
}

/**
 * Downtime in milliseconds that `target` (a ratio in (0, 1), e.g. 0.999) allows over `periodMs`.
 * Rounded to whole microseconds so 99.9 % of a 30-day month is 2,592,000 ms, not 2,592,000.0000000023.
 */
export function allowedDowntime(target: number, periodMs: number): number {
  if (!(target > 0 && target < 1)) throw InputError.field('target', `${target} is not a ratio between 0 and 1`);
  if (!(periodMs >= 0)) throw InputError.field('period', `${periodMs} is not a period length`);
  return tidy(errorShare(target) * periodMs, 3);
}

/**
 * Renders a downtime as days, hours, minutes and seconds: `43m 50s`, `8h 45m 57s`, `26s`.
 * Fractions of a second are cut, never rounded up, so the figure never promises more downtime
 * than the target allows. Below one second it shows milliseconds (`864ms`); zero parts are left
 * out (`1h 5s`).
 */
export function formatDowntime(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < SECOND) return `${Math.floor(ms)}ms`;
  let rest = Math.floor(ms / SECOND);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(' ');
}

/** One row of the nines table: allowed downtime in milliseconds per period. */
export interface NinesRow {
  /** As given, in percent: 99.95. */
  targetPercent: number;
  /** The same as a ratio: 0.9995. */
  target: number;
  /** Number of nines, −log10(1 − target): 3 for 99.9 %, 3.3 for 99.95 %. */
  nines: number;
  day: number;
  week: number;
  month: number;
  quarter: number;
  year: number;
  /** Over the window asked for (e.g. an SLO's 28d); null when none was given. */
  window: number | null;
}

/**
 * Parses a target percentage as people write it: `99.95`, `99.95%`. Throws an
 * {@link InputError} naming `field` unless it is a number strictly between 0 and 100.
 */
export function parseTargetPercent(text: string, field = 'target'): number {
  const trimmed = text.trim().replace(/%$/, '');
  const n = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!(n > 0 && n < 100)) {
    throw InputError.field(field, `"${text}" is not a target percentage between 0 and 100 (exclusive), e.g. 99.95`);
  }
  return n;
}

/**
 * The nines table for targets in percent (99.9, 99.95, …), optionally with a column for an SLO
 * window (`28d` or milliseconds). Throws an {@link InputError} naming `targets[i]` for a target
 * outside (0, 100).
 */
export function ninesTable(targets: number[], window?: number | string | null): NinesRow[] {
  const windowMs = typeof window === 'string' ? parseDuration(window, 'window') : (window ?? null);
  if (windowMs !== null && !(windowMs > 0)) throw InputError.field('window', 'the window must be longer than zero');
  return targets.map((percent, i) => {
    if (!(percent > 0 && percent < 100)) {
      throw InputError.field(`targets[${i}]`, `${percent} is not a target percentage between 0 and 100 (exclusive)`);
    }
    // Dividing decimal percentages by 100 leaves binary noise (99.95 / 100 = 0.9995000000000001).
    const target = Number((percent / 100).toFixed(14));
    return {
      targetPercent: percent,
      target,
      nines: tidy(-Math.log10(errorShare(target)), 6),
      day: allowedDowntime(target, PERIODS_MS.day),
      week: allowedDowntime(target, PERIODS_MS.week),
      month: allowedDowntime(target, PERIODS_MS.month),
      quarter: allowedDowntime(target, PERIODS_MS.quarter),
      year: allowedDowntime(target, PERIODS_MS.year),
      window: windowMs === null ? null : allowedDowntime(target, windowMs),
    };
  });
}
