import { parseDuration } from '../core/duration.ts';
import { InputError } from '../core/errors.ts';
import type { TimeWindow } from './slo.model.ts';

/**
 * Time windows of SLOs: rolling windows that end now, and calendar windows (a day, a week, a
 * month, a quarter, a year) aligned to a local start time in an IANA time zone.
 *
 * Calendar periods step in local time, so a month that crosses a daylight-saving change is 743
 * or 745 hours long, and a "day" in Europe/Berlin is 23 or 25 hours twice a year. Conversions go
 * through `Intl.DateTimeFormat`, which every Node.js and browser ships with the tz database.
 */

/** A wall-clock date and time in some time zone; `month` is 1–12. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

/** A half-open interval of epoch milliseconds, `[start, end)`. */
export interface WindowBounds {
  start: number;
  end: number;
}

const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows (`Europe/Berlin`, `UTC`). */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone.trim() === '') return false;
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Throws an {@link InputError} naming `field` unless `timeZone` is a known IANA zone. */
export function assertTimeZone(timeZone: string, field = 'timeWindow.timeZone'): void {
  if (!isTimeZone(timeZone)) throw InputError.field(field, `"${timeZone}" is not an IANA time zone (e.g. Europe/Berlin, UTC)`);
}

function mod(a: number, n: number): number {
  return ((a % n) + n) % n;
}

/** The wall-clock time in `timeZone` at the instant `ms`. */
export function utcToZoned(ms: number, timeZone: string): LocalDateTime {
  const millisecond = mod(ms, 1000);
  if (timeZone === 'UTC') {
    const d = new Date(ms);
    return {
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond,
    };
  }
  const out: LocalDateTime = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond };
  let bc = false;
  for (const part of formatterFor(timeZone).formatToParts(ms - millisecond)) {
    switch (part.type) {
      case 'year':
        out.year = Number(part.value);
        break;
      case 'month':
        out.month = Number(part.value);
        break;
      case 'day':
        out.day = Number(part.value);
        break;
      case 'hour':
        out.hour = Number(part.value);
        break;
      case 'minute':
        out.minute = Number(part.value);
        break;
      case 'second':
        out.second = Number(part.value);
        break;
      case 'era':
        bc = part.value.startsWith('B');
        break;
      default:
        break;
    }
  }
  // Intl counts years before 1 AD as 1 BC, 2 BC, …; ISO counts them as 0, −1, …
  if (bc) out.year = 1 - out.year;
  return out;
}

/** Reads a local date-time as if it were UTC: the epoch value of the same wall-clock reading. */
function wallMs(t: LocalDateTime): number {
  const d = new Date(0);
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  d.setUTCFullYear(t.year, t.month - 1, t.day);
  d.setUTCHours(t.hour, t.minute, t.second, t.millisecond);
  return d.getTime();
}

/** Offset of `timeZone` from UTC at the instant `ms`, in milliseconds (Berlin in summer: +7,200,000). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  return wallMs(utcToZoned(ms, timeZone)) - ms;
}

/**
 * The instant at which the wall clock in `timeZone` shows `local`. Readings that happen twice
 * (the repeated hour when clocks go back) resolve to the earlier instant; readings that never
 * happen (the skipped hour when clocks go forward) move forward by the gap, so 02:30 on the
 * spring-forward day in Berlin is 03:30 CEST. This is the "compatible" rule of iCalendar and
 * Temporal, so calendar periods never start inside a gap or twice.
 */
export function zonedToUtc(local: LocalDateTime, timeZone: string): number {
  const wall = wallMs(local);
  if (timeZone === 'UTC') return wall;
  // Offsets a day either side bracket any single transition near this reading.
  const before = zoneOffsetMs(wall - DAY_MS, timeZone);
  const after = zoneOffsetMs(wall + DAY_MS, timeZone);
  const candidates: number[] = [];
  for (const offset of before === after ? [before] : [before, after]) {
    const t = wall - offset;
    if (zoneOffsetMs(t, timeZone) === offset) candidates.push(t);
  }
  if (candidates.length > 0) return Math.min(...candidates);
  // A gap: take the offset in force before it, which lands after the transition.
  return wall - before;
}

const LOCAL_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1–12) of `year` in the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (MONTH_DAYS[month - 1] ?? 31);
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Parses a local date-time as OpenSLO writes `startTime`: `2026-01-01 00:00:00`,
 * `2026-01-01T00:00:00`, `2026-01-01T00:00` or `2026-01-01`. Offsets are refused because the
 * time zone is a separate field; accepting both would leave it unclear which one wins.
 */
export function parseLocalDateTime(text: string, field = 'timeWindow.startTime'): LocalDateTime {
  const m = LOCAL_RE.exec(text.trim());
  if (!m) {
    throw InputError.field(
      field,
      `"${text}" is not a local date-time such as 2026-01-01 00:00:00 (the time zone is a separate field)`,
    );
  }
  const t: LocalDateTime = {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
    millisecond: Number((m[7] ?? '0').padEnd(3, '0')),
  };
  if (
    t.month < 1 ||
    t.month > 12 ||
    t.day < 1 ||
    t.day > daysInMonth(t.year, t.month) ||
    t.hour > 23 ||
    t.minute > 59 ||
    t.second > 59
  ) {
    throw InputError.field(field, `"${text}" is not a valid date-time`);
  }
  return t;
}

/** Adds whole days to a local date-time, keeping its wall-clock time. */
export function addLocalDays(t: LocalDateTime, days: number): LocalDateTime {
  const d = new Date(0);
  d.setUTCFullYear(t.year, t.month - 1, t.day + days);
  return { ...t, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/**
 * Adds whole months to a local date-time. Days past the end of the target month clamp to its
 * last day (Jan 31 + 1 month = Feb 28), and every step is taken from the same anchor so that a
 * calendar starting on the 31st comes back to the 31st whenever a month has one.
 */
export function addLocalMonths(t: LocalDateTime, months: number): LocalDateTime {
  const index = t.year * 12 + (t.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = mod(index, 12) + 1;
  return { ...t, year, month, day: Math.min(t.day, daysInMonth(year, month)) };
}

type CalendarUnit = 'd' | 'w' | 'M' | 'Q' | 'Y';

function parseCalendarDuration(text: string): { n: number; unit: CalendarUnit } {
  const m = /^(\d+)([dwMQY])$/.exec(text.trim());
  const n = Number(m?.[1] ?? 0);
  if (!m || n < 1) {
    throw InputError.field('timeWindow.duration', `"${text}" is not a calendar duration (examples: 1d, 1w, 1M, 1Q, 1Y)`);
  }
  return { n, unit: m[2] as CalendarUnit };
}

function stepLocal(anchor: LocalDateTime, unit: CalendarUnit, steps: number): LocalDateTime {
  switch (unit) {
    case 'd':
      return addLocalDays(anchor, steps);
    case 'w':
      return addLocalDays(anchor, steps * 7);
    case 'M':
      return addLocalMonths(anchor, steps);
    case 'Q':
      return addLocalMonths(anchor, steps * 3);
    case 'Y':
      return addLocalMonths(anchor, steps * 12);
  }
}

/**
 * The bounds of the window that `now` falls in.
 *
 * - rolling: `[now − duration, now)`.
 * - calendar: the whole period containing `now`, `[periodStart, periodEnd)`. Its end lies in the
 *   future; data only reaches `now`, but the budget is sized on the whole period. Periods repeat
 *   backwards before `startTime` too, so any instant has a period.
 *
 * Throws an {@link InputError} naming `timeWindow.duration`, `timeWindow.timeZone` or
 * `timeWindow.startTime` when the window cannot be understood.
 */
export function windowBounds(tw: TimeWindow, now: number): WindowBounds {
  if (tw.type === 'rolling') {
    const ms = parseDuration(tw.duration, 'timeWindow.duration');
    if (ms <= 0) throw InputError.field('timeWindow.duration', 'a rolling window must be longer than zero');
    return { start: now - ms, end: now };
  }
  const { n, unit } = parseCalendarDuration(tw.duration);
  assertTimeZone(tw.timeZone);
  const anchor = parseLocalDateTime(tw.startTime);
  const boundary = (k: number): number => zonedToUtc(stepLocal(anchor, unit, k * n), tw.timeZone);

  // Estimate the period index arithmetically, then correct by the few steps DST or month
  // lengths can throw the estimate off.
  let k: number;
  if (unit === 'd' || unit === 'w') {
    const periodMs = n * (unit === 'd' ? 1 : 7) * DAY_MS;
    k = Math.floor((now - boundary(0)) / periodMs);
  } else {
    const local = utcToZoned(now, tw.timeZone);
    const months = (local.year - anchor.year) * 12 + (local.month - anchor.month);
    k = Math.floor(months / (n * (unit === 'M' ? 1 : unit === 'Q' ? 3 : 12)));
  }
  let start = boundary(k);
  while (start > now) {
    k -= 1;
    start = boundary(k);
  }
  let end = boundary(k + 1);
  while (end <= now) {
    k += 1;
    start = end;
    end = boundary(k + 1);
  }
  return { start, end };
}

/** The length of the window `now` falls in: the rolling duration, or the whole calendar period. */
export function windowLengthMs(tw: TimeWindow, now: number): number {
  const { start, end } = windowBounds(tw, now);
  return end - start;
}
