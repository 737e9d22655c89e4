import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { utcToZoned } from './calendar.ts';
import { maintenanceIntervals, occurrences, parseRRule } from './rrule.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ms: number): string => new Date(ms).toISOString();
const starts = (list: Array<{ start: number }>): string[] => list.map((o) => iso(o.start));

/** 2026-01-04T02:00:00Z is a Sunday. */
const SUNDAY = Date.UTC(2026, 0, 4, 2);

describe('parseRRule', () => {
  it('reads the supported parts', () => {
    expect(parseRRule('RRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=1SU,-1FR;COUNT=4')).toEqual({
      freq: 'MONTHLY',
      interval: 2,
      byDay: [
        { weekday: 6, ordinal: 1 },
        { weekday: 4, ordinal: -1 },
      ],
      byMonthDay: [],
      byMonth: [],
      count: 4,
      until: null,
      wkst: 0,
    });
    expect(parseRRule('freq=weekly;byday=sa,su;wkst=su')).toMatchObject({ freq: 'WEEKLY', wkst: 6 });
  });

  it('rejects bad and unsupported rules naming the rrule field', () => {
    for (const bad of [
      '',
      'FREQ=HOURLY',
      'FREQ=YEARLY',
      'INTERVAL=2',
      'FREQ=DAILY;INTERVAL=0',
      'FREQ=DAILY;INTERVAL=x',
      'FREQ=WEEKLY;BYDAY=XX',
      'FREQ=WEEKLY;BYDAY=1MO',
      'FREQ=MONTHLY;BYDAY=6MO',
      'FREQ=MONTHLY;BYMONTHDAY=32',
      'FREQ=MONTHLY;BYMONTHDAY=0',
      'FREQ=WEEKLY;BYMONTHDAY=1',
      'FREQ=DAILY;COUNT=0',
      'FREQ=DAILY;COUNT=3;UNTIL=20260101',
      'FREQ=DAILY;UNTIL=2026-01-01',
      'FREQ=DAILY;BYSETPOS=1',
      'FREQ=DAILY;FREQ=WEEKLY',
      'FREQ=DAILY;BYHOUR',
    ]) {
      let error: unknown;
      try {
        parseRRule(bad);
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(InputError);
      expect((error as InputError).issues[0]?.path).toBe('rrule');
    }
  });
});

describe('occurrences', () => {
  it('expands a weekly Sunday window', () => {
    const list = occurrences('FREQ=WEEKLY;BYDAY=SU', SUNDAY, 2 * HOUR, SUNDAY, SUNDAY + 21 * DAY);
    expect(starts(list)).toEqual(['2026-01-04T02:00:00.000Z', '2026-01-11T02:00:00.000Z', '2026-01-18T02:00:00.000Z']);
    expect(list[0]?.end).toBe(SUNDAY + 2 * HOUR);
  });

  it('expands several weekdays every other week, counting weeks from WKST', () => {
    const list = occurrences('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR', SUNDAY, HOUR, SUNDAY, SUNDAY + 28 * DAY);
    // The week of Sunday 2026-01-04 (starting Monday 12-29) has no MO/WE/FR after DTSTART; the next one is 01-12.
    expect(starts(list)).toEqual([
      '2026-01-12T02:00:00.000Z',
      '2026-01-14T02:00:00.000Z',
      '2026-01-16T02:00:00.000Z',
      '2026-01-26T02:00:00.000Z',
      '2026-01-28T02:00:00.000Z',
      '2026-01-30T02:00:00.000Z',
    ]);
    const sundayWeeks = occurrences('FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;WKST=SU', SUNDAY, HOUR, SUNDAY, SUNDAY + 28 * DAY);
    expect(starts(sundayWeeks)).toEqual(['2026-01-05T02:00:00.000Z', '2026-01-19T02:00:00.000Z']);
  });

  it('counts from DTSTART even before the range, and stops at COUNT', () => {
    const all = occurrences('FREQ=DAILY;COUNT=5', SUNDAY, HOUR, 0, SUNDAY + 30 * DAY);
    expect(all).toHaveLength(5);
    const later = occurrences('FREQ=DAILY;COUNT=5', SUNDAY, HOUR, SUNDAY + 3 * DAY, SUNDAY + 30 * DAY);
    expect(starts(later)).toEqual(['2026-01-07T02:00:00.000Z', '2026-01-08T02:00:00.000Z']);
  });

  it('includes an occurrence that started before the range but is still running', () => {
    const list = occurrences('FREQ=DAILY', SUNDAY, 4 * HOUR, SUNDAY + DAY + HOUR, SUNDAY + DAY + 2 * HOUR);
    expect(starts(list)).toEqual(['2026-01-05T02:00:00.000Z']);
  });

  it('stops after UNTIL, inclusive, as a date-time or a whole date', () => {
    expect(occurrences('FREQ=DAILY;UNTIL=20260106T020000Z', SUNDAY, HOUR, 0, SUNDAY + 30 * DAY)).toHaveLength(3);
    expect(occurrences('FREQ=DAILY;UNTIL=20260106T015959Z', SUNDAY, HOUR, 0, SUNDAY + 30 * DAY)).toHaveLength(2);
    expect(occurrences('FREQ=DAILY;UNTIL=20260106', SUNDAY, HOUR, 0, SUNDAY + 30 * DAY)).toHaveLength(3);
  });

  it('expands monthly rules by month day, from the end, and by ordinal weekday', () => {
    const from = Date.UTC(2026, 0, 1);
    const to = Date.UTC(2026, 6, 1);
    const start = Date.UTC(2026, 0, 1, 22);
    expect(starts(occurrences('FREQ=MONTHLY;BYMONTHDAY=-1', start, HOUR, from, to)).map((s) => s.slice(0, 10))).toEqual([
      '2026-01-31',
      '2026-02-28',
      '2026-03-31',
      '2026-04-30',
      '2026-05-31',
      '2026-06-30',
    ]);
    // Months without a 31st are skipped, not moved.
    expect(starts(occurrences('FREQ=MONTHLY;BYMONTHDAY=31', start, HOUR, from, to)).map((s) => s.slice(0, 10))).toEqual([
      '2026-01-31',
      '2026-03-31',
      '2026-05-31',
    ]);
    expect(starts(occurrences('FREQ=MONTHLY;BYDAY=1SU', start, HOUR, from, to)).map((s) => s.slice(0, 10))).toEqual([
      '2026-01-04',
      '2026-02-01',
      '2026-03-01',
      '2026-04-05',
      '2026-05-03',
      '2026-06-07',
    ]);
    expect(starts(occurrences('FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR', start, HOUR, from, to)).map((s) => s.slice(0, 10))).toEqual([
      '2026-01-30',
      '2026-04-24',
    ]);
    // Without BYxxx parts, the day of DTSTART repeats.
    expect(occurrences('FREQ=MONTHLY', start, HOUR, from, to)).toHaveLength(6);
    // BYDAY limits BYMONTHDAY: Friday the 13th.
    expect(
      starts(occurrences('FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR', start, HOUR, from, Date.UTC(2027, 0, 1))).map((s) =>
        s.slice(0, 10),
      ),
    ).toEqual(['2026-02-13', '2026-03-13', '2026-11-13']);
  });

  it('limits daily rules by BYDAY and BYMONTH', () => {
    const list = occurrences('FREQ=DAILY;BYDAY=SA,SU;BYMONTH=2', SUNDAY, HOUR, 0, Date.UTC(2026, 2, 1));
    expect(list).toHaveLength(8);
    expect(list.every((o) => [0, 6].includes(new Date(o.start).getUTCDay()))).toBe(true);
  });

  it('never lists DTSTART when it does not match the rule', () => {
    const monday = SUNDAY + DAY;
    expect(starts(occurrences('FREQ=WEEKLY;BYDAY=SU', monday, HOUR, 0, monday + 7 * DAY))).toEqual(['2026-01-11T02:00:00.000Z']);
  });

  it('keeps the local wall-clock time across DST in an IANA zone', () => {
    // Sundays at 02:30 in Berlin: 01:30Z in winter, 00:30Z in summer; on 2026-03-29 02:30 does not exist → 03:30 CEST.
    const start = Date.UTC(2026, 2, 15, 1, 30);
    const list = occurrences('FREQ=WEEKLY;BYDAY=SU', start, HOUR, start, start + 28 * DAY, { timeZone: 'Europe/Berlin' });
    expect(starts(list)).toEqual([
      '2026-03-15T01:30:00.000Z',
      '2026-03-22T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z',
      '2026-04-05T00:30:00.000Z',
      '2026-04-12T00:30:00.000Z',
    ]);
    expect(list.map((o) => utcToZoned(o.start, 'Europe/Berlin').hour)).toEqual([2, 2, 3, 2, 2]);
  });

  it('gives the same occurrences whatever range they are asked in (property)', () => {
    const rules = [
      'FREQ=DAILY',
      'FREQ=DAILY;INTERVAL=3',
      'FREQ=WEEKLY;BYDAY=SU',
      'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SA',
      'FREQ=MONTHLY;BYMONTHDAY=1,15,-1',
      'FREQ=MONTHLY;INTERVAL=2;BYDAY=2WE',
      'FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR',
    ];
    const dtstart = Date.UTC(2024, 4, 7, 3, 15);
    const end = dtstart + 400 * DAY;
    fc.assert(
      fc.property(
        fc.constantFrom(...rules),
        fc.integer({ min: 0, max: 12 * HOUR }),
        fc.integer({ min: dtstart - 10 * DAY, max: end }),
        fc.integer({ min: 0, max: 120 * DAY }),
        fc.constantFrom<{ offsetMs: number } | { timeZone: string }>(
          { offsetMs: 0 },
          { offsetMs: 5.5 * HOUR },
          { timeZone: 'America/New_York' },
        ),
        (rule, duration, from, span, zone) => {
          const all = occurrences(rule, dtstart, duration, dtstart, end + 200 * DAY, zone);
          const expected = all.filter((o) => o.start < from + span && o.end > from);
          expect(occurrences(rule, dtstart, duration, from, from + span, zone)).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('maintenanceIntervals', () => {
  it('returns a one-off window when it overlaps the range', () => {
    const spec = { start: '2026-03-01T02:00:00Z', duration: '2h', rrule: null };
    expect(maintenanceIntervals(spec, Date.UTC(2026, 2, 1), Date.UTC(2026, 2, 2))).toEqual([
      { start: Date.UTC(2026, 2, 1, 2), end: Date.UTC(2026, 2, 1, 4) },
    ]);
    expect(maintenanceIntervals(spec, Date.UTC(2026, 2, 1, 4), Date.UTC(2026, 2, 2))).toEqual([]);
  });

  it('recurs in the UTC offset the start was written with', () => {
    // Sunday 00:30 at +02:00 is Saturday 22:30 UTC; BYDAY=SU means Sunday at +02:00.
    const spec = { start: '2026-05-03T00:30:00+02:00', duration: '1h', rrule: 'FREQ=WEEKLY;BYDAY=SU' };
    const list = maintenanceIntervals(spec, Date.UTC(2026, 4, 1), Date.UTC(2026, 4, 20));
    expect(starts(list)).toEqual(['2026-05-02T22:30:00.000Z', '2026-05-09T22:30:00.000Z', '2026-05-16T22:30:00.000Z']);
  });

  it('rejects a bad start, duration or rule by field', () => {
    const field = (spec: { start: string; duration: string; rrule: string | null }): string | undefined => {
      try {
        maintenanceIntervals(spec, 0, DAY);
      } catch (e) {
        return (e as InputError).issues[0]?.path;
      }
      return undefined;
    };
    expect(field({ start: 'soon', duration: '1h', rrule: null })).toBe('start');
    expect(field({ start: '2026-01-01T00:00:00Z', duration: 'an hour', rrule: null })).toBe('duration');
    expect(field({ start: '2026-01-01T00:00:00Z', duration: '1h', rrule: 'FREQ=SOMETIMES' })).toBe('rrule');
  });
});
