import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import {
  addLocalMonths,
  isTimeZone,
  parseLocalDateTime,
  utcToZoned,
  windowBounds,
  windowLengthMs,
  zonedToUtc,
  zoneOffsetMs,
} from './calendar.ts';
import type { TimeWindow } from './slo.model.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function calendar(duration: string, timeZone: string, startTime = '2026-01-01 00:00:00'): TimeWindow {
  return { type: 'calendar', duration, startTime, timeZone };
}

function local(text: string) {
  return parseLocalDateTime(text);
}

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e.issues[0]?.path;
    throw e;
  }
  return undefined;
}

describe('rolling windows', () => {
  it('end now and reach back the duration', () => {
    const now = Date.UTC(2026, 4, 17, 12, 30, 15);
    expect(windowBounds({ type: 'rolling', duration: '28d' }, now)).toEqual({ start: now - 28 * DAY, end: now });
    expect(windowLengthMs({ type: 'rolling', duration: '1h30m' }, now)).toBe(1.5 * HOUR);
  });

  it('reject zero and malformed durations naming timeWindow.duration', () => {
    expect(fieldOf(() => windowBounds({ type: 'rolling', duration: '0d' }, 0))).toBe('timeWindow.duration');
    expect(fieldOf(() => windowBounds({ type: 'rolling', duration: '4 weeks' }, 0))).toBe('timeWindow.duration');
  });
});

describe('time zone conversions', () => {
  it('knows IANA zones and refuses others', () => {
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });

  it('moves a reading in the spring-forward gap forward by the gap', () => {
    // Berlin skips 02:00–03:00 on 2026-03-29: 02:30 does not exist and becomes 03:30 CEST.
    expect(zonedToUtc(local('2026-03-29 02:30:00'), 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 1, 30));
    expect(zonedToUtc(local('2026-03-29 03:00:00'), 'Europe/Berlin')).toBe(Date.UTC(2026, 2, 29, 1));
  });

  it('takes the earlier instant of a reading repeated when clocks go back', () => {
    // Berlin repeats 02:00–03:00 on 2026-10-25: 02:30 CEST (00:30Z) comes before 02:30 CET (01:30Z).
    expect(zonedToUtc(local('2026-10-25 02:30:00'), 'Europe/Berlin')).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(utcToZoned(Date.UTC(2026, 9, 25, 1, 30), 'Europe/Berlin')).toMatchObject({ hour: 2, minute: 30 });
  });

  it('round-trips every instant through local time (property)', () => {
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham'];
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2060, 0, 1) }), (tz, ms) => {
        const t = utcToZoned(ms, tz);
        const back = zonedToUtc(t, tz);
        // Readings repeated at a fall-back resolve to the earlier instant, at most the repeat earlier.
        expect(back).toBeLessThanOrEqual(ms);
        expect(ms - back).toBeLessThanOrEqual(HOUR);
        expect(utcToZoned(back, tz)).toEqual(t);
        expect(Math.abs(zoneOffsetMs(ms, tz)) % (15 * 60_000)).toBe(0);
      }),
    );
  });
});

describe('local date-times', () => {
  it('parses the forms OpenSLO writes', () => {
    expect(local('2026-01-01 00:00:00')).toEqual({ year: 2026, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 });
    expect(local('2026-02-28T13:45')).toMatchObject({ month: 2, day: 28, hour: 13, minute: 45 });
    expect(local('2026-07-04')).toMatchObject({ month: 7, day: 4, hour: 0 });
  });

  it('refuses offsets, impossible dates and other text, naming timeWindow.startTime', () => {
    for (const bad of [
      '2026-01-01T00:00:00Z',
      '2026-01-01 00:00:00+01:00',
      '2026-02-29',
      '2026-13-01',
      '2026-01-01 24:00',
      'tomorrow',
    ]) {
      expect(fieldOf(() => windowBounds(calendar('1M', 'UTC', bad), 0))).toBe('timeWindow.startTime');
    }
  });

  it('clamps months to their last day and comes back to the anchor day', () => {
    const jan31 = local('2026-01-31 00:00:00');
    expect(addLocalMonths(jan31, 1)).toMatchObject({ year: 2026, month: 2, day: 28 });
    expect(addLocalMonths(jan31, 2)).toMatchObject({ year: 2026, month: 3, day: 31 });
    expect(addLocalMonths(jan31, 13)).toMatchObject({ year: 2027, month: 2, day: 28 });
    expect(addLocalMonths(local('2027-02-28'), 12)).toMatchObject({ year: 2028, month: 2, day: 28 });
    expect(addLocalMonths(jan31, -2)).toMatchObject({ year: 2025, month: 11, day: 30 });
  });
});

describe('calendar windows', () => {
  it('makes Berlin March 743 hours and October 745 hours long', () => {
    const march = windowBounds(calendar('1M', 'Europe/Berlin'), Date.UTC(2026, 2, 15));
    expect(march).toEqual({ start: Date.UTC(2026, 1, 28, 23), end: Date.UTC(2026, 2, 31, 22) });
    expect(march.end - march.start).toBe(743 * HOUR);
    const october = windowBounds(calendar('1M', 'Europe/Berlin'), Date.UTC(2026, 9, 15));
    expect(october).toEqual({ start: Date.UTC(2026, 8, 30, 22), end: Date.UTC(2026, 9, 31, 23) });
    expect(october.end - october.start).toBe(745 * HOUR);
    expect(windowLengthMs(calendar('1M', 'Europe/Berlin'), Date.UTC(2026, 5, 15))).toBe(720 * HOUR);
  });

  it('makes New York days 23 and 25 hours long on its DST changes', () => {
    // 2026: clocks go forward on March 8 and back on November 1 in America/New_York.
    const spring = windowBounds(calendar('1d', 'America/New_York'), Date.UTC(2026, 2, 8, 12));
    expect(spring).toEqual({ start: Date.UTC(2026, 2, 8, 5), end: Date.UTC(2026, 2, 9, 4) });
    const fall = windowBounds(calendar('1d', 'America/New_York'), Date.UTC(2026, 10, 1, 12));
    expect(fall.end - fall.start).toBe(25 * HOUR);
    const month = windowBounds(calendar('1M', 'America/New_York'), Date.UTC(2026, 2, 20));
    expect(month.end - month.start).toBe(743 * HOUR);
  });

  it('steps weeks in local time from the start weekday', () => {
    // 2026-01-05 is a Monday; the week holding Berlin's spring-forward is 167 hours.
    const tw = calendar('1w', 'Europe/Berlin', '2026-01-05 00:00:00');
    const w = windowBounds(tw, Date.UTC(2026, 2, 28));
    expect(w).toEqual({ start: Date.UTC(2026, 2, 22, 23), end: Date.UTC(2026, 2, 29, 22) });
    expect(w.end - w.start).toBe(167 * HOUR);
    const two = windowBounds(calendar('2w', 'UTC', '2026-01-05'), Date.UTC(2026, 0, 20));
    expect(two).toEqual({ start: Date.UTC(2026, 0, 19), end: Date.UTC(2026, 1, 2) });
  });

  it('handles month ends: a calendar anchored on the 31st', () => {
    const tw = calendar('1M', 'UTC', '2026-01-31 00:00:00');
    expect(windowBounds(tw, Date.UTC(2026, 2, 1))).toEqual({ start: Date.UTC(2026, 1, 28), end: Date.UTC(2026, 2, 31) });
    expect(windowBounds(tw, Date.UTC(2026, 3, 30, 23))).toEqual({ start: Date.UTC(2026, 3, 30), end: Date.UTC(2026, 4, 31) });
  });

  it('covers quarters and years, leap days included', () => {
    expect(windowBounds(calendar('1Q', 'UTC'), Date.UTC(2026, 4, 5))).toEqual({
      start: Date.UTC(2026, 3, 1),
      end: Date.UTC(2026, 6, 1),
    });
    const leap = windowBounds(calendar('1Y', 'UTC'), Date.UTC(2028, 1, 29, 12));
    expect(leap.end - leap.start).toBe(366 * DAY);
    const berlinYear = windowBounds(calendar('1Y', 'Europe/Berlin'), Date.UTC(2027, 5, 1));
    expect(berlinYear).toEqual({ start: Date.UTC(2026, 11, 31, 23), end: Date.UTC(2027, 11, 31, 23) });
  });

  it('starts the next period exactly at the boundary, and extends before startTime', () => {
    const tw = calendar('1M', 'Europe/Berlin');
    const april = Date.UTC(2026, 2, 31, 22);
    expect(windowBounds(tw, april).start).toBe(april);
    expect(windowBounds(tw, april - 1).end).toBe(april);
    expect(windowBounds(tw, Date.UTC(2025, 11, 15))).toEqual({
      start: Date.UTC(2025, 10, 30, 23),
      end: Date.UTC(2025, 11, 31, 23),
    });
  });

  it('rejects unknown time zones and bad durations by field', () => {
    expect(fieldOf(() => windowBounds(calendar('1M', 'Europe/Atlantis'), 0))).toBe('timeWindow.timeZone');
    expect(fieldOf(() => windowBounds(calendar('0M', 'UTC'), 0))).toBe('timeWindow.duration');
    expect(fieldOf(() => windowBounds(calendar('1h', 'UTC'), 0))).toBe('timeWindow.duration');
  });

  it('contains now, tiles time without gaps, and starts on local midnight of the 1st (property)', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'UTC', 'Asia/Kolkata', 'Australia/Sydney'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.constantFrom('1M', '2M', '1Q', '1Y'),
        fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2040, 0, 1) }),
        (tz, duration, now) => {
          const tw = calendar(duration, tz, '2020-01-01 00:00:00');
          const b = windowBounds(tw, now);
          expect(b.start).toBeLessThanOrEqual(now);
          expect(b.end).toBeGreaterThan(now);
          expect(windowBounds(tw, b.start - 1).end).toBe(b.start);
          expect(windowBounds(tw, b.end).start).toBe(b.end);
          expect(utcToZoned(b.start, tz)).toMatchObject({ day: 1, hour: 0, minute: 0, second: 0 });
        },
      ),
    );
  });

  it('keeps daily periods 23–25 hours and at local midnight (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('Europe/Berlin', 'America/New_York', 'America/Santiago'),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        (tz, now) => {
          const b = windowBounds(calendar('1d', tz, '2021-06-01 00:00'), now);
          expect([23 * HOUR, 24 * HOUR, 25 * HOUR]).toContain(b.end - b.start);
          const start = utcToZoned(b.start, tz);
          // Zones that skip midnight itself (Santiago) start the day at 01:00.
          expect(start.hour === 0 || (tz === 'America/Santiago' && start.hour === 1)).toBe(true);
        },
      ),
    );
  });
});
