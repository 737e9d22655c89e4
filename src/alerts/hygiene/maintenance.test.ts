import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import {
  inMaintenance,
  type MaintenanceWindow,
  maintenanceOccurrence,
  parseMaintenanceWindow,
  type RecurringMaintenance,
} from './maintenance.ts';

const H = 3_600_000;
const utc = (iso: string): number => Date.parse(iso);

/** Sundays 02:00–04:00 Berlin time, from Sunday 4 January 2026 (02:00 CET = 01:00 UTC). */
const sundayNights: RecurringMaintenance = {
  id: 'patching',
  services: ['api', 'db'],
  start: utc('2026-01-04T01:00:00Z'),
  durationMs: 2 * H,
  rrule: 'FREQ=WEEKLY;BYDAY=SU',
  timeZone: 'Europe/Berlin',
};

const failover: MaintenanceWindow = {
  id: 'failover',
  services: ['db'],
  start: utc('2026-02-10T20:00:00Z'),
  end: utc('2026-02-10T22:00:00Z'),
};

describe('inMaintenance', () => {
  it('finds a one-off window over [start, end) for the services it covers', () => {
    expect(inMaintenance([failover], 'db', utc('2026-02-10T20:00:00Z'))).toBe(failover);
    expect(inMaintenance([failover], 'db', utc('2026-02-10T21:59:59.999Z'))).toBe(failover);
    expect(inMaintenance([failover], 'db', utc('2026-02-10T22:00:00Z'))).toBeNull();
    expect(inMaintenance([failover], 'db', utc('2026-02-10T19:59:59.999Z'))).toBeNull();
    expect(inMaintenance([failover], 'api', utc('2026-02-10T21:00:00Z'))).toBeNull();
  });

  it('keeps a recurring window at its local time across daylight-saving changes', () => {
    // Winter: 02:30 CET is 01:30 UTC.
    expect(inMaintenance([sundayNights], 'api', utc('2026-01-11T01:30:00Z'))).toBe(sundayNights);
    expect(inMaintenance([sundayNights], 'api', utc('2026-01-11T03:00:00Z'))).toBeNull();
    // Summer: 02:30 CEST is 00:30 UTC, and 04:30 CEST (02:30 UTC) is after the window.
    expect(inMaintenance([sundayNights], 'api', utc('2026-06-07T00:30:00Z'))).toBe(sundayNights);
    expect(inMaintenance([sundayNights], 'api', utc('2026-06-07T02:30:00Z'))).toBeNull();
    expect(maintenanceOccurrence(sundayNights, utc('2026-06-07T00:30:00Z'))).toEqual({
      start: utc('2026-06-07T00:00:00Z'),
      end: utc('2026-06-07T02:00:00Z'),
    });
    // Not on Mondays, not before the first occurrence, not for other services.
    expect(inMaintenance([sundayNights], 'api', utc('2026-06-08T00:30:00Z'))).toBeNull();
    expect(inMaintenance([sundayNights], 'api', utc('2025-12-28T01:30:00Z'))).toBeNull();
    expect(inMaintenance([sundayNights], 'web', utc('2026-06-07T00:30:00Z'))).toBeNull();
  });

  it('recurs in UTC without a time zone, and stops after COUNT', () => {
    const daily: RecurringMaintenance = {
      id: 'd',
      services: ['api'],
      start: utc('2026-01-01T03:00:00Z'),
      durationMs: H,
      rrule: 'FREQ=DAILY;COUNT=3',
    };
    expect(maintenanceOccurrence(daily, utc('2026-01-03T03:30:00Z'))).toEqual({
      start: utc('2026-01-03T03:00:00Z'),
      end: utc('2026-01-03T04:00:00Z'),
    });
    expect(maintenanceOccurrence(daily, utc('2026-01-04T03:30:00Z'))).toBeNull();
  });

  it('returns the first covering window in the order given', () => {
    const both: MaintenanceWindow = { ...failover, id: 'other' };
    expect(inMaintenance([failover, both], 'db', utc('2026-02-10T21:00:00Z'))?.id).toBe('failover');
    expect(inMaintenance([both, failover], 'db', utc('2026-02-10T21:00:00Z'))?.id).toBe('other');
    expect(inMaintenance([], 'db', 0)).toBeNull();
  });

  it('reports an occurrence only when it contains the instant and lasts the window’s duration', () => {
    const rules = fc.constantFrom('FREQ=DAILY', 'FREQ=WEEKLY;BYDAY=MO,TH', 'FREQ=MONTHLY;BYDAY=-1SU', 'FREQ=DAILY;INTERVAL=3');
    fc.assert(
      fc.property(
        rules,
        fc.integer({ min: 1, max: 30 * H }),
        fc.integer({ min: 0, max: 400 * 24 * H }),
        (rrule, durationMs, offset) => {
          const w: RecurringMaintenance = { ...sundayNights, rrule, durationMs };
          const at = sundayNights.start + offset;
          const occ = maintenanceOccurrence(w, at);
          if (occ) {
            expect(occ.start).toBeLessThanOrEqual(at);
            expect(at).toBeLessThan(occ.end);
            expect(occ.end - occ.start).toBe(durationMs);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('parseMaintenanceWindow', () => {
  const paths = (input: unknown): string[] => {
    try {
      parseMaintenanceWindow(input);
    } catch (error) {
      if (error instanceof InputError) return error.issues.map((i) => i.path);
      throw error;
    }
    return [];
  };

  it('accepts one-off and recurring windows', () => {
    expect(parseMaintenanceWindow(failover)).toEqual(failover);
    expect(parseMaintenanceWindow(sundayNights)).toEqual(sundayNights);
  });

  it('names what is wrong', () => {
    expect(paths({ ...failover, end: failover.start })).toEqual(['maintenance.end']);
    expect(paths({ ...failover, services: [] })).toEqual(['maintenance.services']);
    expect(paths({ ...sundayNights, rrule: 'FREQ=HOURLY' })).toEqual(['maintenance.rrule']);
    expect(paths({ ...sundayNights, timeZone: 'Europe/Atlantis' })).toEqual(['maintenance.timeZone']);
    expect(paths({ ...sundayNights, durationMs: 0 })).toEqual(['maintenance.durationMs']);
    expect(paths({ id: 'x', services: ['a'], start: 0 })).toEqual(['maintenance.end']);
  });
});
