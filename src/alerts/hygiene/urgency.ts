import { z } from 'zod';
import { InputError } from '../../core/errors.ts';
import { addLocalDays, isTimeZone, type LocalDateTime, utcToZoned, zonedToUtc } from '../../slo/calendar.ts';
import { SEVERITIES, type Severity } from '../alert.model.ts';
import { inputError, zodIssues } from './validation.ts';

/**
 * Urgency and working hours: which alerts page someone now and which wait for the team to be at
 * work. High urgency goes out at once, day or night; low urgency waits for the next working
 * hour, as PagerDuty's "urgency by support hours" does.
 */

export type Urgency = 'high' | 'low';

/** critical and error page now; warning and info wait for working hours. */
export const SEVERITY_URGENCY: Readonly<Record<Severity, Urgency>> = {
  critical: 'high',
  error: 'high',
  warning: 'low',
  info: 'low',
};

/** Per-severity changes to {@link SEVERITY_URGENCY}, e.g. `{ warning: 'high' }` for a team that wants warnings at night. */
export type UrgencyOverrides = Partial<Record<Severity, Urgency>>;

/** The urgency of a severity, overrides first. */
export function urgencyOf(severity: Severity, overrides: UrgencyOverrides = {}): Urgency {
  return overrides[severity] ?? SEVERITY_URGENCY[severity];
}

/**
 * When a team works: on `days` (ISO weekdays, 1 = Monday … 7 = Sunday), from `start` to `end`
 * (`HH:MM`, 24-hour) in the IANA `timeZone`. `end` may be `24:00`. An `end` before `start` makes
 * a night shift that ends the next day; its day is the day it starts (Friday 22:00–06:00 runs into
 * Saturday morning).
 */
export interface WorkingHours {
  timeZone: string;
  days: number[];
  start: string;
  end: string;
}

/** Monday to Friday, 09:00 to 17:00 UTC. */
export const DEFAULT_WORKING_HOURS: WorkingHours = { timeZone: 'UTC', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' };

const START_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const END_RE = /^(([01]\d|2[0-3]):([0-5]\d)|24:00)$/;

export const WorkingHoursSchema = z
  .object({
    timeZone: z.string().refine(isTimeZone, 'is not an IANA time zone (e.g. Europe/Berlin, UTC)'),
    days: z
      .array(z.number().int().min(1, 'days are 1 (Monday) to 7 (Sunday)').max(7, 'days are 1 (Monday) to 7 (Sunday)'))
      .min(1, 'at least one working day is required'),
    start: z.string().regex(START_RE, 'must be a time such as 09:00'),
    end: z.string().regex(END_RE, 'must be a time such as 17:00, or 24:00'),
  })
  .refine((wh) => wh.start !== wh.end, { message: 'must differ from start', path: ['end'] });

/** Validates working hours; throws an {@link InputError} naming each bad field (`workingHours.start`). */
export function parseWorkingHours(input: unknown, field = 'workingHours'): WorkingHours {
  const parsed = WorkingHoursSchema.safeParse(input);
  if (!parsed.success) throw inputError(zodIssues(parsed.error, field));
  return { ...parsed.data, days: [...new Set(parsed.data.days)].sort((a, b) => a - b) };
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a local date. */
function isoWeekday(t: LocalDateTime): number {
  const d = new Date(0);
  d.setUTCFullYear(t.year, t.month - 1, t.day);
  return ((d.getUTCDay() + 6) % 7) + 1;
}

function at(date: LocalDateTime, minutes: number, timeZone: string): number {
  const day = addLocalDays({ ...date, hour: 0, minute: 0, second: 0, millisecond: 0 }, Math.floor(minutes / 1440));
  const m = minutes % 1440;
  return zonedToUtc({ ...day, hour: Math.floor(m / 60), minute: m % 60 }, timeZone);
}

/**
 * The working period that starts on the local day `offset` days from `date`, as instants
 * `[start, end)`, or null when that day is not a working day. Local times that do not exist on
 * that day (inside a spring-forward gap) move forward by the gap, and repeated ones (when clocks
 * go back) take the first occurrence, as `zonedToUtc` resolves them; a period the change leaves
 * empty is null.
 */
function periodOn(wh: WorkingHours, date: LocalDateTime, offset: number): { start: number; end: number } | null {
  const day = addLocalDays(date, offset);
  if (!wh.days.includes(isoWeekday(day))) return null;
  const startMin = minutesOf(wh.start);
  let endMin = minutesOf(wh.end);
  if (endMin <= startMin) endMin += 1440;
  const start = at(day, startMin, wh.timeZone);
  const end = at(day, endMin, wh.timeZone);
  return end > start ? { start, end } : null;
}

/** The working hours if valid (the common case, checked cheaply); otherwise throws naming the fields. */
function checked(wh: WorkingHours): WorkingHours {
  const valid =
    wh.days.length > 0 &&
    wh.days.every((d) => Number.isInteger(d) && d >= 1 && d <= 7) &&
    START_RE.test(wh.start) &&
    END_RE.test(wh.end) &&
    wh.start !== wh.end &&
    isTimeZone(wh.timeZone);
  return valid ? wh : parseWorkingHours(wh);
}

/**
 * Whether `at` falls in a working period: `[start, end)` of a working day, in local time.
 * Throws an {@link InputError} for invalid working hours.
 */
export function isWorkingTime(wh: WorkingHours, at: number): boolean {
  const hours = checked(wh);
  const today = utcToZoned(at, hours.timeZone);
  // A night shift that started yesterday may still be running.
  for (const offset of [-1, 0]) {
    const p = periodOn(hours, today, offset);
    if (p && p.start <= at && at < p.end) return true;
  }
  return false;
}

/**
 * `now` when it falls in working hours, otherwise the start of the next working period.
 * Computed in the zone's local time, so 09:00 stays 09:00 across daylight-saving changes.
 * Throws an {@link InputError} for invalid working hours.
 */
export function nextWorkingTime(wh: WorkingHours, now: number): number {
  const hours = checked(wh);
  if (isWorkingTime(hours, now)) return now;
  const today = utcToZoned(now, hours.timeZone);
  // Two weeks: every working day recurs within one, and a clock change can empty one period.
  for (let offset = 0; offset <= 14; offset++) {
    const p = periodOn(hours, today, offset);
    if (p && p.start > now) return p.start;
  }
  throw new InputError('working hours never start');
}

/**
 * When a notification for an alert of `severity` should go out: `now` for high urgency, the next
 * working time for low urgency (see {@link urgencyOf} and {@link nextWorkingTime}).
 */
export function deferUntil(severity: Severity, wh: WorkingHours, now: number, overrides: UrgencyOverrides = {}): number {
  return urgencyOf(severity, overrides) === 'high' ? now : nextWorkingTime(wh, now);
}

/** Urgency overrides as written in configuration. */
export const UrgencyOverridesSchema = z.partialRecord(z.enum(SEVERITIES), z.enum(['high', 'low']));
