import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import {
  DEFAULT_WORKING_HOURS,
  deferUntil,
  isWorkingTime,
  nextWorkingTime,
  parseWorkingHours,
  UrgencyOverridesSchema,
  urgencyOf,
  type WorkingHours,
} from './urgency.ts';

const M = 60_000;
const utc = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();

const weekdays = (timeZone: string): WorkingHours => ({ timeZone, days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' });

describe('urgency', () => {
  it('pages now for critical and error, waits for working hours for warning and info', () => {
    expect(urgencyOf('critical')).toBe('high');
    expect(urgencyOf('error')).toBe('high');
    expect(urgencyOf('warning')).toBe('low');
    expect(urgencyOf('info')).toBe('low');
    expect(urgencyOf('warning', { warning: 'high' })).toBe('high');
    expect(urgencyOf('error', { warning: 'high', error: 'low' })).toBe('low');
  });

  it('validates overrides', () => {
    expect(UrgencyOverridesSchema.parse({ warning: 'high' })).toEqual({ warning: 'high' });
    expect(UrgencyOverridesSchema.safeParse({ warning: 'urgent' }).success).toBe(false);
    expect(UrgencyOverridesSchema.safeParse({ fatal: 'high' }).success).toBe(false);
  });

  it('defers low urgency to the next working time and sends high urgency now', () => {
    const saturday = utc('2026-05-02T12:00:00Z');
    expect(deferUntil('critical', DEFAULT_WORKING_HOURS, saturday)).toBe(saturday);
    expect(iso(deferUntil('warning', DEFAULT_WORKING_HOURS, saturday))).toBe('2026-05-04T09:00:00.000Z');
    expect(deferUntil('warning', DEFAULT_WORKING_HOURS, saturday, { warning: 'high' })).toBe(saturday);
    const tuesday = utc('2026-05-05T10:00:00Z');
    expect(deferUntil('info', DEFAULT_WORKING_HOURS, tuesday)).toBe(tuesday);
  });
});

describe('working hours', () => {
  it('default to Monday–Friday 09:00–17:00 UTC, start inclusive and end exclusive', () => {
    const wh = DEFAULT_WORKING_HOURS;
    expect(isWorkingTime(wh, utc('2026-05-01T09:00:00Z'))).toBe(true);
    expect(isWorkingTime(wh, utc('2026-05-01T08:59:59.999Z'))).toBe(false);
    expect(isWorkingTime(wh, utc('2026-05-01T16:59:59.999Z'))).toBe(true);
    expect(isWorkingTime(wh, utc('2026-05-01T17:00:00Z'))).toBe(false);
    expect(isWorkingTime(wh, utc('2026-05-02T12:00:00Z'))).toBe(false);
  });

  it('give now when inside, otherwise the next start', () => {
    const wh = DEFAULT_WORKING_HOURS;
    expect(iso(nextWorkingTime(wh, utc('2026-05-01T12:34:00Z')))).toBe('2026-05-01T12:34:00.000Z');
    expect(iso(nextWorkingTime(wh, utc('2026-05-01T07:00:00Z')))).toBe('2026-05-01T09:00:00.000Z');
    expect(iso(nextWorkingTime(wh, utc('2026-05-01T17:00:00Z')))).toBe('2026-05-04T09:00:00.000Z');
  });

  it('keep 09:00 local across the spring and autumn changes in Europe/Berlin', () => {
    const wh = weekdays('Europe/Berlin');
    // Friday 18:00 CET; Monday 09:00 is CEST (UTC+2).
    expect(iso(nextWorkingTime(wh, utc('2026-03-27T17:00:00Z')))).toBe('2026-03-30T07:00:00.000Z');
    // Friday 18:00 CEST; Monday 09:00 is CET (UTC+1).
    expect(iso(nextWorkingTime(wh, utc('2026-10-23T16:00:00Z')))).toBe('2026-10-26T08:00:00.000Z');
    expect(isWorkingTime(wh, utc('2026-03-30T07:00:00Z'))).toBe(true);
    expect(isWorkingTime(wh, utc('2026-03-30T06:59:00Z'))).toBe(false);
    expect(isWorkingTime(wh, utc('2026-03-30T14:59:00Z'))).toBe(true);
    expect(isWorkingTime(wh, utc('2026-03-30T15:00:00Z'))).toBe(false);
  });

  it('keep 09:00 local across the spring and autumn changes in America/New_York', () => {
    const wh = weekdays('America/New_York');
    // Friday evening EST; Monday 09:00 is EDT (UTC−4).
    expect(iso(nextWorkingTime(wh, utc('2026-03-06T22:30:00Z')))).toBe('2026-03-09T13:00:00.000Z');
    // Friday evening EDT; Monday 09:00 is EST (UTC−5).
    expect(iso(nextWorkingTime(wh, utc('2026-10-30T22:30:00Z')))).toBe('2026-11-02T14:00:00.000Z');
  });

  it('handle periods that span or start in the skipped or repeated hour', () => {
    // Sunday 29 March 2026 in Berlin: 02:00–03:00 does not exist.
    const sunday = (start: string, end: string): WorkingHours => ({ timeZone: 'Europe/Berlin', days: [7], start, end });
    expect(isWorkingTime(sunday('01:00', '04:00'), utc('2026-03-29T01:30:00Z'))).toBe(true); // 03:30 CEST
    expect(isWorkingTime(sunday('01:00', '04:00'), utc('2026-03-29T02:00:00Z'))).toBe(false); // 04:00 CEST
    // A start inside the gap moves forward by the gap: 02:30 becomes 03:30 CEST.
    expect(iso(nextWorkingTime(sunday('02:30', '05:00'), utc('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:30:00.000Z');
    // Sunday 1 November 2026 in New York: 01:00–02:00 happens twice; 01:30 is the first one (EDT).
    const nySunday: WorkingHours = { timeZone: 'America/New_York', days: [7], start: '01:30', end: '03:00' };
    expect(iso(nextWorkingTime(nySunday, utc('2026-10-31T12:00:00Z')))).toBe('2026-11-01T05:30:00.000Z');
    // The period runs 01:30 EDT to 03:00 EST: two and a half hours.
    expect(isWorkingTime(nySunday, utc('2026-11-01T07:59:00Z'))).toBe(true);
    expect(isWorkingTime(nySunday, utc('2026-11-01T08:00:00Z'))).toBe(false);
  });

  it('run night shifts into the next day and accept 24:00', () => {
    const nights: WorkingHours = { timeZone: 'UTC', days: [1, 2, 3, 4, 5], start: '22:00', end: '06:00' };
    expect(isWorkingTime(nights, utc('2026-05-02T03:00:00Z'))).toBe(true); // Saturday morning, Friday's shift
    expect(isWorkingTime(nights, utc('2026-05-02T22:30:00Z'))).toBe(false); // Saturday night
    expect(iso(nextWorkingTime(nights, utc('2026-05-02T07:00:00Z')))).toBe('2026-05-04T22:00:00.000Z');
    const late: WorkingHours = { timeZone: 'UTC', days: [1], start: '18:00', end: '24:00' };
    expect(isWorkingTime(late, utc('2026-05-04T23:59:59Z'))).toBe(true);
    expect(isWorkingTime(late, utc('2026-05-05T00:00:00Z'))).toBe(false);
  });

  it('are validated, naming the bad field', () => {
    const paths = (input: unknown): string[] => {
      try {
        parseWorkingHours(input);
      } catch (error) {
        if (error instanceof InputError) return error.issues.map((i) => i.path);
        throw error;
      }
      return [];
    };
    expect(paths(DEFAULT_WORKING_HOURS)).toEqual([]);
    expect(paths({ ...DEFAULT_WORKING_HOURS, timeZone: 'Mars/Olympus' })).toEqual(['workingHours.timeZone']);
    expect(paths({ ...DEFAULT_WORKING_HOURS, days: [] })).toEqual(['workingHours.days']);
    expect(paths({ ...DEFAULT_WORKING_HOURS, days: [0, 8] })).toEqual(['workingHours.days[0]', 'workingHours.days[1]']);
    expect(paths({ ...DEFAULT_WORKING_HOURS, start: '9:00', end: '24:01' })).toEqual(['workingHours.start', 'workingHours.end']);
    expect(paths({ ...DEFAULT_WORKING_HOURS, end: '09:00' })).toEqual(['workingHours.end']);
    expect(() => nextWorkingTime({ ...DEFAULT_WORKING_HOURS, days: [] }, 0)).toThrow(InputError);
    expect(() => isWorkingTime({ ...DEFAULT_WORKING_HOURS, timeZone: 'nowhere' }, 0)).toThrow(InputError);
  });

  it('never give a time before now, and give one inside working hours with none skipped', () => {
    const time = fc
      .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
      .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
    const hours = fc
      .record({
        timeZone: fc.constantFrom('UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'),
        days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
        start: time,
        end: time,
      })
      .filter((wh) => wh.start !== wh.end);
    // 2026 to 2027, covering every daylight-saving change of those zones.
    const instant = fc.integer({ min: utc('2026-01-01T00:00:00Z'), max: utc('2027-12-31T00:00:00Z') });
    fc.assert(
      fc.property(hours, instant, (wh, now) => {
        const next = nextWorkingTime(wh, now);
        expect(next).toBeGreaterThanOrEqual(now);
        expect(isWorkingTime(wh, next)).toBe(true);
        expect(nextWorkingTime(wh, next)).toBe(next);
        if (next > now) {
          expect(isWorkingTime(wh, now)).toBe(false);
          expect(isWorkingTime(wh, next - 1)).toBe(false);
          for (let t = now; t < next; t += 30 * M) expect(isWorkingTime(wh, t)).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });
});
