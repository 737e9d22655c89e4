import { parseDuration } from '../core/duration.ts';
import { InputError } from '../core/errors.ts';
import { assertTimeZone, type LocalDateTime, utcToZoned, zonedToUtc } from './calendar.ts';
import type { MaintenanceWindowSpec } from './slo.model.ts';

/**
 * RFC 5545 recurrence rules for planned maintenance windows: FREQ=DAILY|WEEKLY|MONTHLY with
 * INTERVAL, BYDAY (ordinals such as 1SU or -1FR in monthly rules), BYMONTHDAY (negative counts
 * from the month's end), BYMONTH, WKST, COUNT and UNTIL.
 *
 * Rules recur in local time: the wall-clock time of DTSTART is kept on every occurrence, in a
 * fixed UTC offset (what an ISO 8601 start such as `2026-03-01T02:00:00+01:00` says) or in an
 * IANA time zone (then a 02:00 window stays at 02:00 across daylight-saving changes).
 *
 * As in dateutil and rrule.js, DTSTART is an occurrence only when it matches the rule, and
 * dates a month does not have (the 31st in April) are skipped, not moved.
 */

const DAY_MS = 86_400_000;
const WEEKDAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const SUPPORTED = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'COUNT', 'UNTIL', 'WKST']);

/** A weekday (0 = Monday … 6 = Sunday), with an ordinal for monthly rules (1 = first, −1 = last). */
export interface ByDay {
  weekday: number;
  ordinal: number | null;
}

/** A parsed recurrence rule. */
export interface RRule {
  freq: 'DAILY' | 'WEEKLY' | 'MONTHLY';
  interval: number;
  byDay: ByDay[];
  byMonthDay: number[];
  byMonth: number[];
  count: number | null;
  /** UNTIL as written (resolved against the rule's zone when expanding). */
  until: string | null;
  /** First day of the week (0 = Monday), for weekly rules with an INTERVAL above 1. */
  wkst: number;
}

/** Where a rule's wall-clock times live: an IANA time zone, or a fixed offset from UTC. */
export type RRuleZone = { timeZone: string } | { offsetMs: number };

function bad(message: string): InputError {
  return InputError.field('rrule', message);
}

function parseIntList(name: string, value: string, min: number, max: number, allowNegative: boolean): number[] {
  return value.split(',').map((v) => {
    const n = /^[+-]?\d+$/.test(v) ? Number(v) : Number.NaN;
    const abs = Math.abs(n);
    if (!Number.isInteger(n) || abs < min || abs > max || (n < 0 && !allowNegative)) {
      throw bad(`${name}=${value}: "${v}" is out of range`);
    }
    return n;
  });
}

/**
 * Parses an RRULE (with or without the `RRULE:` prefix). Throws an {@link InputError} naming
 * `rrule` for anything malformed, contradictory (COUNT with UNTIL) or unsupported (YEARLY,
 * BYSETPOS, BYHOUR, …), rather than expanding a rule differently from what the user meant.
 */
export function parseRRule(text: string): RRule {
  const body = text.trim().replace(/^RRULE:/i, '');
  if (body === '') throw bad('the rule is empty');
  const parts = new Map<string, string>();
  for (const part of body.split(';')) {
    const eq = part.indexOf('=');
    const key = (eq > 0 ? part.slice(0, eq) : part).trim().toUpperCase();
    const value =
      eq > 0
        ? part
            .slice(eq + 1)
            .trim()
            .toUpperCase()
        : '';
    if (eq <= 0 || value === '') throw bad(`"${part}" is not NAME=VALUE`);
    if (!SUPPORTED.has(key)) throw bad(`${key} is not supported (supported: ${[...SUPPORTED].join(', ')})`);
    if (parts.has(key)) throw bad(`${key} appears twice`);
    parts.set(key, value);
  }
  const freq = parts.get('FREQ');
  if (!freq) throw bad('FREQ is required');
  if (freq !== 'DAILY' && freq !== 'WEEKLY' && freq !== 'MONTHLY')
    throw bad(`FREQ=${freq} is not supported (DAILY, WEEKLY or MONTHLY)`);

  const intervalText = parts.get('INTERVAL') ?? '1';
  const interval = /^\d+$/.test(intervalText) ? Number(intervalText) : 0;
  if (interval < 1) throw bad(`INTERVAL=${intervalText} must be a positive integer`);

  const byDay = (parts.get('BYDAY')?.split(',') ?? []).map((v): ByDay => {
    const m = /^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$/.exec(v);
    if (!m) throw bad(`BYDAY: "${v}" is not a weekday such as MO, 1SU or -1FR`);
    const ordinal = m[1] === undefined ? null : Number(m[1]);
    if (ordinal !== null && (ordinal === 0 || Math.abs(ordinal) > 5)) throw bad(`BYDAY: "${v}" has an ordinal outside ±1…5`);
    if (ordinal !== null && freq !== 'MONTHLY') throw bad(`BYDAY: "${v}" has an ordinal, which only monthly rules allow`);
    return { weekday: WEEKDAYS.indexOf(m[2] as (typeof WEEKDAYS)[number]), ordinal };
  });
  const byMonthDayText = parts.get('BYMONTHDAY');
  const byMonthDay = byMonthDayText ? parseIntList('BYMONTHDAY', byMonthDayText, 1, 31, true) : [];
  if (byMonthDay.length > 0 && freq === 'WEEKLY') throw bad('BYMONTHDAY cannot be used with FREQ=WEEKLY (RFC 5545)');
  const byMonthText = parts.get('BYMONTH');
  const byMonth = byMonthText ? parseIntList('BYMONTH', byMonthText, 1, 12, false) : [];

  const countText = parts.get('COUNT');
  const count = countText === undefined ? null : /^\d+$/.test(countText) ? Number(countText) : 0;
  if (count !== null && count < 1) throw bad(`COUNT=${countText} must be a positive integer`);
  const until = parts.get('UNTIL') ?? null;
  if (until !== null && !/^\d{8}(T\d{6}Z?)?$/.test(until))
    throw bad(`UNTIL=${until} is not a date (20260131) or date-time (20260131T235959Z)`);
  if (until !== null && count !== null) throw bad('COUNT and UNTIL cannot both be given (RFC 5545)');

  const wkstText = parts.get('WKST') ?? 'MO';
  const wkst = WEEKDAYS.indexOf(wkstText as (typeof WEEKDAYS)[number]);
  if (wkst < 0) throw bad(`WKST=${wkstText} is not a weekday`);

  return { freq, interval, byDay, byMonthDay, byMonth, count, until, wkst };
}

/** Converts between instants and wall-clock milliseconds (a local reading taken as if UTC) in a zone. */
interface Clockface {
  toWall(ms: number): number;
  fromWall(wall: number): number;
}

function clockface(zone: RRuleZone): Clockface {
  if ('offsetMs' in zone) {
    return { toWall: (ms) => ms + zone.offsetMs, fromWall: (wall) => wall - zone.offsetMs };
  }
  assertTimeZone(zone.timeZone, 'timeZone');
  const tz = zone.timeZone;
  return {
    toWall: (ms) => {
      const t = utcToZoned(ms, tz);
      return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
    },
    fromWall: (wall) => {
      const d = new Date(wall);
      const local: LocalDateTime = {
        year: d.getUTCFullYear(),
        month: d.getUTCMonth() + 1,
        day: d.getUTCDate(),
        hour: d.getUTCHours(),
        minute: d.getUTCMinutes(),
        second: d.getUTCSeconds(),
        millisecond: d.getUTCMilliseconds(),
      };
      return zonedToUtc(local, tz);
    },
  };
}

/** Weekday of a day number (days since 1970-01-01, a Thursday): 0 = Monday. */
function weekdayOf(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

function dayNumber(year: number, month: number, dom: number): number {
  return Date.UTC(year, month - 1, dom) / DAY_MS;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function resolveUntil(until: string, face: Clockface): number {
  const y = Number(until.slice(0, 4));
  const mo = Number(until.slice(4, 6));
  const d = Number(until.slice(6, 8));
  if (until.length === 8) return face.fromWall(Date.UTC(y, mo - 1, d + 1)) - 1;
  const wall = Date.UTC(y, mo - 1, d, Number(until.slice(9, 11)), Number(until.slice(11, 13)), Number(until.slice(13, 15)));
  return until.endsWith('Z') ? wall : face.fromWall(wall);
}

/** Days of one month matching BYDAY (with ordinals) and BYMONTHDAY, ascending. */
function monthDays(rule: RRule, year: number, month: number, startDom: number): number[] {
  const dim = daysIn(year, month);
  const first = dayNumber(year, month, 1);
  const byDayMatches = (dom: number): boolean =>
    rule.byDay.some((b) => {
      const day = first + dom - 1;
      if (weekdayOf(day) !== b.weekday) return false;
      if (b.ordinal === null) return true;
      const nth = b.ordinal > 0 ? Math.floor((dom - 1) / 7) + 1 : -(Math.floor((dim - dom) / 7) + 1);
      return nth === b.ordinal;
    });
  let doms: number[];
  if (rule.byMonthDay.length > 0) {
    doms = rule.byMonthDay.map((n) => (n > 0 ? n : dim + 1 + n)).filter((n) => n >= 1 && n <= dim);
    if (rule.byDay.length > 0) doms = doms.filter(byDayMatches);
  } else if (rule.byDay.length > 0) {
    doms = Array.from({ length: dim }, (_, i) => i + 1).filter(byDayMatches);
  } else {
    doms = startDom <= dim ? [startDom] : [];
  }
  return [...new Set(doms)].sort((a, b) => a - b).map((dom) => first + dom - 1);
}

/** First day (day number) of period `k`: the day itself, its week's WKST day, or the 1st of its month. */
function periodStart(rule: RRule, k: number, startDay: number): number {
  switch (rule.freq) {
    case 'DAILY':
      return startDay + k * rule.interval;
    case 'WEEKLY':
      return startDay - ((weekdayOf(startDay) - rule.wkst + 7) % 7) + k * 7 * rule.interval;
    case 'MONTHLY': {
      const start = new Date(startDay * DAY_MS);
      const index = start.getUTCFullYear() * 12 + start.getUTCMonth() + k * rule.interval;
      return dayNumber(Math.floor(index / 12), (index % 12) + 1, 1);
    }
  }
}

/** Candidate days (day numbers, ascending) of period `k` of the rule. */
function periodDays(rule: RRule, k: number, startDay: number): number[] {
  const first = periodStart(rule, k, startDay);
  let days: number[];
  switch (rule.freq) {
    case 'DAILY':
      days = [first];
      break;
    case 'WEEKLY': {
      const weekdays = rule.byDay.length > 0 ? rule.byDay.map((b) => b.weekday) : [weekdayOf(startDay)];
      days = [...new Set(weekdays.map((w) => first + ((w - rule.wkst + 7) % 7)))].sort((a, b) => a - b);
      break;
    }
    case 'MONTHLY': {
      const d = new Date(first * DAY_MS);
      days = monthDays(rule, d.getUTCFullYear(), d.getUTCMonth() + 1, new Date(startDay * DAY_MS).getUTCDate());
      break;
    }
  }
  return days.filter((day) => {
    const d = new Date(day * DAY_MS);
    if (rule.byMonth.length > 0 && !rule.byMonth.includes(d.getUTCMonth() + 1)) return false;
    if (rule.freq === 'DAILY') {
      if (rule.byDay.length > 0 && !rule.byDay.some((b) => b.weekday === weekdayOf(day))) return false;
      if (rule.byMonthDay.length > 0) {
        const dim = daysIn(d.getUTCFullYear(), d.getUTCMonth() + 1);
        if (!rule.byMonthDay.some((n) => (n > 0 ? n : dim + 1 + n) === d.getUTCDate())) return false;
      }
    }
    return true;
  });
}

/** Nominal longest period of a rule in days, for skipping periods that end before the range. */
function periodDaysMax(rule: RRule): number {
  return rule.interval * (rule.freq === 'DAILY' ? 1 : rule.freq === 'WEEKLY' ? 7 : 31);
}

/**
 * The occurrences of `rrule` starting at `dtstart` (epoch ms), each `durationMs` long, that
 * overlap `[from, to)`, in order. COUNT counts from DTSTART, including occurrences before
 * `from`; UNTIL is inclusive. Zero-length occurrences overlap nothing and are never listed. Wall-clock times recur in `zone` (default UTC).
 *
 * Throws an {@link InputError} naming `rrule` for a bad rule.
 */
export function occurrences(
  rrule: string | RRule,
  dtstart: number,
  durationMs: number,
  from: number,
  to: number,
  zone: RRuleZone = { offsetMs: 0 },
): Array<{ start: number; end: number }> {
  const rule = typeof rrule === 'string' ? parseRRule(rrule) : rrule;
  if (!Number.isFinite(dtstart)) throw InputError.field('start', 'not a valid instant');
  if (!(durationMs >= 0)) throw InputError.field('duration', 'must not be negative');
  const face = clockface(zone);
  const startWall = face.toWall(dtstart);
  const startDay = Math.floor(startWall / DAY_MS);
  const timeOfDay = startWall - startDay * DAY_MS;
  const until = rule.until === null ? null : resolveUntil(rule.until, face);

  // Without COUNT, periods that end well before `from` cannot contribute: skip them, keeping a
  // margin of two periods for daylight-saving shifts and month lengths.
  const periodMs = periodDaysMax(rule) * DAY_MS + 3 * 3_600_000 * rule.interval;
  let k = rule.count === null ? Math.max(0, Math.floor((from - durationMs - dtstart) / periodMs) - 2) : 0;

  const out: Array<{ start: number; end: number }> = [];
  let emitted = 0;
  // A rule may match rarely (the 31st of every 12th month starting in February never matches):
  // the loop ends once periods pass `to`, with a hard cap against pathological input.
  for (let guard = 0; guard < 1_000_000; guard++, k++) {
    const days = periodDays(rule, k, startDay);
    for (const day of days) {
      const start = face.fromWall(day * DAY_MS + timeOfDay);
      if (start < dtstart) continue;
      if (until !== null && start > until) return out;
      if (rule.count !== null && emitted >= rule.count) return out;
      if (start >= to) return out;
      emitted += 1;
      // An empty occurrence (zero duration) overlaps nothing.
      if (start + durationMs > from && durationMs > 0) out.push({ start, end: start + durationMs });
    }
    // Every occurrence of the next period starts on or after its first day.
    if (face.fromWall(periodStart(rule, k + 1, startDay) * DAY_MS) >= to) return out;
  }
  return out;
}

function offsetOf(iso: string): number {
  const m = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  if (!m) return 0;
  const sign = m[1] === '-' ? -1 : 1;
  return sign * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
}

/**
 * The intervals of a maintenance window overlapping `[from, to)`: the one-off window, or every
 * occurrence of its RRULE. Recurrences keep the wall-clock time of `start` in the UTC offset it
 * was written with (`…T02:00:00+01:00` recurs at 02:00 at +01:00, and BYDAY=SU means Sunday at
 * that offset). Throws an {@link InputError} naming `start`, `duration` or `rrule`.
 */
export function maintenanceIntervals(
  spec: Pick<MaintenanceWindowSpec, 'start' | 'duration' | 'rrule'>,
  from: number,
  to: number,
): Array<{ start: number; end: number }> {
  const start = Date.parse(spec.start);
  if (!Number.isFinite(start)) throw InputError.field('start', `"${spec.start}" is not an ISO 8601 instant`);
  const durationMs = parseDuration(spec.duration, 'duration');
  if (!spec.rrule) return durationMs > 0 && start < to && start + durationMs > from ? [{ start, end: start + durationMs }] : [];
  return occurrences(spec.rrule, start, durationMs, from, to, { offsetMs: offsetOf(spec.start) });
}
