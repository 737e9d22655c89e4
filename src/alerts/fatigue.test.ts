import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import {
  DEFAULT_HANDOFFS,
  dedupPrefix,
  type FatigueAlert,
  fatigueReport,
  handoffShifts,
  isNoise,
  isPerson,
  parseHandoffs,
  type ShiftSchedule,
  sourceOf,
  twelveHourShifts,
} from './fatigue.ts';

const t = (iso: string) => Date.parse(iso);
const MIN = 60_000;

let seq = 0;
function alert(over: Partial<FatigueAlert> & { createdAt: number }): FatigueAlert {
  seq++;
  return {
    id: `a${String(seq).padStart(3, '0')}`,
    service: 'checkout',
    team: 'payments',
    origin: 'events-api-v2',
    integration: null,
    dedupKey: `key-${seq}`,
    group: null,
    source: null,
    urgency: 'high',
    suppressedBy: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    resolvedBy: null,
    ...over,
  };
}

const autoResolved = (at: string, minutes: number, by: string) => ({
  createdAt: t(at),
  resolvedAt: t(at) + minutes * MIN,
  resolvedBy: by,
});

/**
 * Monday 2026-03-02 00:00 to Wednesday 00:00 UTC: 48 hours, five shifts (the Sunday night's
 * last 8 hours, day, night, day, the Tuesday night's first 4 hours). Working hours are Monday to
 * Friday 09:00–17:00 UTC.
 */
const FROM = t('2026-03-02T00:00:00Z');
const TO = t('2026-03-04T00:00:00Z');

function scenario(): FatigueAlert[] {
  seq = 0;
  const am = { origin: 'alertmanager', integration: 'checkout-am', group: 'HighErrorRate' };
  const pd = { integration: 'checkout-pd', dedupKey: 'checkout/5xx' };
  const spd = { service: 'search', team: 'search', integration: 'search-pd' };
  return [
    // payments, Sunday night shift: four pages, three of them noise.
    alert({ ...am, dedupKey: 'fp1', ...autoResolved('2026-03-02T02:00:00Z', 3, 'integration:checkout-am') }),
    alert({ ...am, dedupKey: 'fp2', ...autoResolved('2026-03-02T03:00:00Z', 30, 'integration:checkout-am') }),
    alert({
      ...pd,
      createdAt: t('2026-03-02T04:00:00Z'),
      acknowledgedAt: t('2026-03-02T04:05:00Z'),
      acknowledgedBy: 'user:alice',
      resolvedAt: t('2026-03-02T04:30:00Z'),
      resolvedBy: 'user:alice',
    }),
    // Acknowledged by the sending tool, resolved by it: nobody acted.
    alert({
      ...am,
      dedupKey: 'fp3',
      ...autoResolved('2026-03-02T07:00:00Z', 10, 'integration:checkout-am'),
      acknowledgedAt: t('2026-03-02T07:01:00Z'),
      acknowledgedBy: 'integration:checkout-am',
    }),
    // Monday day: an acknowledged SLO page and a silenced alert.
    alert({
      service: 'ledger',
      origin: 'slo',
      dedupKey: 'slo:ledger:availability:page-fast',
      createdAt: t('2026-03-02T10:00:00Z'),
      acknowledgedAt: t('2026-03-02T10:02:00Z'),
      acknowledgedBy: 'user:alice',
      resolvedAt: t('2026-03-02T11:00:00Z'),
      resolvedBy: 'system:slo',
    }),
    alert({ service: 'ledger', createdAt: t('2026-03-02T12:00:00Z'), suppressedBy: 'silence:s1' }),
    // Tuesday: resolved from a notification's link (a person) without acknowledging: not noise.
    alert({ ...pd, createdAt: t('2026-03-03T09:30:00Z'), resolvedAt: t('2026-03-03T09:40:00Z'), resolvedBy: 'link' }),
    // Tuesday night: a low-urgency probe alert, still open.
    alert({ origin: 'probe', dedupKey: 'probe:checkout-home', urgency: 'low', createdAt: t('2026-03-03T21:00:00Z') }),

    // search, Monday night: three noisy pages.
    alert({
      ...spd,
      dedupKey: 'search/latency-9f8e7d6c5b4a',
      ...autoResolved('2026-03-02T22:00:00Z', 1, 'integration:search-pd'),
    }),
    alert({
      ...spd,
      dedupKey: 'search/latency-0a1b2c3d4e5f',
      ...autoResolved('2026-03-02T22:30:00Z', 2, 'integration:search-pd'),
    }),
    alert({
      ...spd,
      dedupKey: '0123456789abcdef0123456789abcdef',
      source: 'search-7',
      ...autoResolved('2026-03-02T23:00:00Z', 20, 'integration:search-pd'),
    }),
    // search, Tuesday day: one acknowledged, then five more noisy ones, two after 17:00.
    alert({
      ...spd,
      dedupKey: 'search/latency-aaaa1111bbbb',
      createdAt: t('2026-03-03T13:00:00Z'),
      acknowledgedAt: t('2026-03-03T13:01:00Z'),
      acknowledgedBy: 'user:bob',
      resolvedAt: t('2026-03-03T13:30:00Z'),
      resolvedBy: 'user:bob',
    }),
    ...[14, 15, 16, 17, 18].map((h) =>
      alert({
        ...spd,
        dedupKey: `search/latency-${h}`,
        ...autoResolved(`2026-03-03T${h}:00:00Z`, 10, 'integration:search-pd'),
      }),
    ),

    // A service without an owner, Tuesday 01:00, still open.
    alert({
      service: 'legacy',
      team: null,
      origin: 'webhook',
      dedupKey: 'legacy-cron-12345',
      createdAt: t('2026-03-03T01:00:00Z'),
    }),
    // Outside the period: ignored.
    alert({ createdAt: t('2026-03-04T01:00:00Z') }),
    alert({ createdAt: t('2026-03-01T23:59:59Z') }),
  ];
}

const TEAMS = [
  { name: 'identity', title: 'Identity' },
  { name: 'payments', title: 'Payments' },
  { name: 'search', title: null },
];

describe('the alert fatigue report', () => {
  const report = fatigueReport({
    from: FROM,
    to: TO,
    timeZone: 'UTC',
    generatedAt: TO,
    teams: TEAMS,
    alerts: scenario(),
  });
  const team = (name: string | null) => report.teams.find((x) => x.team === name);

  it('orders teams by pages per 12 hours and flags the team over two', () => {
    expect(report.teams.map((x) => [x.team, x.pagesPer12h, x.flagged])).toEqual([
      ['search', 2.25, true],
      ['payments', 1.75, false],
      [null, 0.25, false],
      ['identity', 0, false],
    ]);
    expect(report.limitPagesPer12h).toBe(2);
    expect(report.workingHours).toEqual({ timeZone: 'UTC', days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' });
  });

  it('counts pages, outside working hours, acknowledged and noise per team', () => {
    const { shifts: _s, sources: _x, ...payments } = team('payments')!;
    expect(payments).toEqual({
      team: 'payments',
      title: 'Payments',
      alerts: 8,
      suppressed: 1,
      pages: 7,
      highUrgency: 6,
      outsideWorkingHours: 5,
      acknowledged: 2,
      noise: 3,
      transient: 1,
      open: 1,
      outsideWorkingHoursShare: 0.7143,
      acknowledgedShare: 0.2857,
      noiseShare: 0.4286,
      shiftCount: 5,
      hours: 48,
      pagesPer12h: 1.75,
      maxShiftPages: 4,
      flagged: false,
      flaggedShifts: 1,
    });
    const search = team('search')!;
    expect([
      search.alerts,
      search.pages,
      search.outsideWorkingHours,
      search.acknowledged,
      search.noise,
      search.transient,
      search.open,
    ]).toEqual([9, 9, 5, 1, 8, 2, 0]);
    expect([search.outsideWorkingHoursShare, search.acknowledgedShare, search.noiseShare]).toEqual([0.5556, 0.1111, 0.8889]);
    expect([search.flaggedShifts, search.maxShiftPages]).toEqual([2, 6]);

    const identity = team('identity')!;
    expect(identity).toMatchObject({ title: 'Identity', alerts: 0, pages: 0, acknowledgedShare: null, noiseShare: null });
    expect(identity.shifts.map((s) => s.pages)).toEqual([0, 0, 0, 0, 0]);
    expect(identity.sources).toEqual([]);
  });

  it('splits the period into 12-hour day and night shifts and flags the shifts over two pages', () => {
    expect(
      team('payments')!.shifts.map((s) => [
        s.label,
        new Date(s.start).toISOString(),
        new Date(s.end).toISOString(),
        s.partial,
        s.pages,
        s.outsideWorkingHours,
        s.acknowledged,
        s.noise,
        s.flagged,
      ]),
    ).toEqual([
      ['2026-03-01 night', '2026-03-02T00:00:00.000Z', '2026-03-02T08:00:00.000Z', true, 4, 4, 1, 3, true],
      ['2026-03-02 day', '2026-03-02T08:00:00.000Z', '2026-03-02T20:00:00.000Z', false, 1, 0, 1, 0, false],
      ['2026-03-02 night', '2026-03-02T20:00:00.000Z', '2026-03-03T08:00:00.000Z', false, 0, 0, 0, 0, false],
      ['2026-03-03 day', '2026-03-03T08:00:00.000Z', '2026-03-03T20:00:00.000Z', false, 1, 0, 0, 0, false],
      ['2026-03-03 night', '2026-03-03T20:00:00.000Z', '2026-03-04T00:00:00.000Z', true, 1, 1, 0, 0, false],
    ]);
    expect(team('search')!.shifts.map((s) => [s.label, s.pages, s.flagged])).toEqual([
      ['2026-03-01 night', 0, false],
      ['2026-03-02 day', 0, false],
      ['2026-03-02 night', 3, true],
      ['2026-03-03 day', 6, true],
      ['2026-03-03 night', 0, false],
    ]);
  });

  it('lists the noisiest sources: most pages, then most noise', () => {
    const rows = (list: typeof report.sources) =>
      list.map((s) => [s.service, s.via, s.key, s.pages, s.acknowledged, s.noise, s.noiseShare, s.outsideWorkingHours]);
    expect(rows(report.sources)).toEqual([
      ['search', 'search-pd', 'search/latency', 8, 1, 7, 0.875, 4],
      ['checkout', 'checkout-am', 'HighErrorRate', 3, 0, 3, 1, 3],
      ['checkout', 'checkout-pd', 'checkout/5xx', 2, 1, 0, 0, 1],
      ['search', 'search-pd', 'search-7', 1, 0, 1, 1, 1],
      ['checkout', 'probe', 'probe:checkout-home', 1, 0, 0, 0, 1],
      ['ledger', 'slo', 'slo:ledger:availability:page-fast', 1, 1, 0, 0, 0],
      ['legacy', 'webhook', 'legacy-cron', 1, 0, 0, 0, 1],
    ]);
    expect(report.sources[1]?.lastAt).toBe(t('2026-03-02T07:00:00Z'));
    expect(rows(team('payments')!.sources).map((r) => r[2])).toEqual([
      'HighErrorRate',
      'checkout/5xx',
      'probe:checkout-home',
      'slo:ledger:availability:page-fast',
    ]);
  });

  it('adds up the totals', () => {
    expect(report.totals).toEqual({
      alerts: 18,
      suppressed: 1,
      pages: 17,
      highUrgency: 16,
      outsideWorkingHours: 11,
      acknowledged: 3,
      noise: 11,
      transient: 3,
      open: 2,
      outsideWorkingHoursShare: 0.6471,
      acknowledgedShare: 0.1765,
      noiseShare: 0.6471,
      teams: 4,
      flaggedTeams: 1,
      flaggedShifts: 3,
    });
  });

  it('keeps only the ten noisiest sources', () => {
    seq = 0;
    const many = Array.from({ length: 12 }, (_, i) =>
      Array.from({ length: i + 1 }, () => alert({ dedupKey: `src-${String.fromCharCode(97 + i)}`, createdAt: FROM + i * MIN })),
    ).flat();
    const r = fatigueReport({ from: FROM, to: TO, timeZone: 'UTC', generatedAt: TO, teams: [], alerts: many });
    expect(r.sources.map((s) => [s.key, s.pages])).toEqual(
      Array.from({ length: 10 }, (_, i) => [`src-${String.fromCharCode(97 + 11 - i)}`, 12 - i]),
    );
  });

  it('reads shifts and working hours in the time zone asked for', () => {
    seq = 0;
    // 13:00 UTC is 08:00 in New York on Monday 2026-03-02 (EST), when the day shift starts;
    // 12:59 UTC is still the night.
    const alerts = [
      alert({ createdAt: t('2026-03-02T12:59:00Z') }),
      alert({ createdAt: t('2026-03-02T13:00:00Z') }),
      alert({ createdAt: t('2026-03-02T14:30:00Z') }),
    ];
    const r = fatigueReport({
      from: t('2026-03-02T05:00:00Z'),
      to: t('2026-03-03T05:00:00Z'),
      timeZone: 'America/New_York',
      generatedAt: 0,
      teams: [],
      alerts,
    });
    const p = r.teams[0]!;
    expect(p.shifts.map((s) => [s.label, s.partial, s.pages])).toEqual([
      ['2026-03-01 night', true, 1],
      ['2026-03-02 day', false, 2],
      ['2026-03-02 night', true, 0],
    ]);
    // Only 14:30 UTC (09:30 local) is within 09:00–17:00 New York time.
    expect(p.outsideWorkingHours).toBe(2);
    expect(r.workingHours.timeZone).toBe('America/New_York');
  });

  it('takes another shift schedule, as on-call rotations will provide', () => {
    const daily: ShiftSchedule = {
      name: 'daily',
      shifts: (_team, from, to) => {
        const out = [];
        for (let s = from; s < to; s += 86_400_000)
          out.push({ start: s, end: Math.min(s + 86_400_000, to), kind: 'day' as const, label: `${s}`, partial: false });
        return out;
      },
    };
    const r = fatigueReport({
      from: FROM,
      to: TO,
      timeZone: 'UTC',
      generatedAt: TO,
      teams: TEAMS,
      alerts: scenario(),
      shifts: daily,
    });
    expect(r.shiftSchedule).toBe('daily');
    const search = r.teams.find((x) => x.team === 'search')!;
    expect(search.shifts.map((s) => s.pages)).toEqual([3, 6]);
    // 24-hour shifts: 3 pages are 1.5 per 12 hours (not flagged), 6 are 3 (flagged).
    expect(search.shifts.map((s) => [s.hours, s.pagesPer12h, s.flagged])).toEqual([
      [24, 1.5, false],
      [24, 3, true],
    ]);
    expect([search.pagesPer12h, search.flagged, search.flaggedShifts]).toEqual([2.25, true, 1]);
    expect(r.handoffs).toBeNull();
  });
});

describe('twelve-hour shifts', () => {
  it('makes the night 11 hours long when clocks go forward', () => {
    const shifts = twelveHourShifts('Europe/Berlin').shifts(null, t('2026-03-28T07:00:00Z'), t('2026-03-29T18:00:00Z'));
    expect(shifts.map((s) => [s.label, (s.end - s.start) / 3_600_000, s.partial])).toEqual([
      ['2026-03-28 day', 12, false],
      ['2026-03-28 night', 11, false],
      ['2026-03-29 day', 12, false],
    ]);
  });

  it('puts a page at 20:00 sharp in the night shift', () => {
    const shifts = twelveHourShifts('UTC').shifts('x', t('2026-03-02T19:00:00Z'), t('2026-03-02T21:00:00Z'));
    expect(shifts.map((s) => [s.kind, new Date(s.start).toISOString()])).toEqual([
      ['day', '2026-03-02T19:00:00.000Z'],
      ['night', '2026-03-02T20:00:00.000Z'],
    ]);
  });
});

describe('shifts between handoff times', () => {
  const H = 3_600_000;
  const rows = (shifts: ReturnType<ShiftSchedule['shifts']>) =>
    shifts.map((s) => [s.label, new Date(s.start).toISOString(), (s.end - s.start) / H, s.kind, s.partial]);

  it('keeps 08:00 and 20:00 as the default, with day and night labels', () => {
    expect(DEFAULT_HANDOFFS).toEqual(['08:00', '20:00']);
    const schedule = handoffShifts('UTC');
    expect(schedule.name).toBe('12-hour shifts (day 08:00–20:00, night 20:00–08:00, UTC)');
    expect(schedule.handoffs).toEqual(['08:00', '20:00']);
    const r = fatigueReport({ from: FROM, to: TO, timeZone: 'UTC', generatedAt: TO, teams: TEAMS, alerts: scenario() });
    expect(r.handoffs).toEqual(['08:00', '20:00']);
    expect(r.shiftSchedule).toBe(schedule.name);
  });

  it('makes one 24-hour shift a day from a single handoff', () => {
    const schedule = handoffShifts('UTC', ['09:00']);
    expect(schedule.name).toBe('24-hour shifts (09:00–09:00, UTC)');
    expect(rows(schedule.shifts(null, FROM, TO))).toEqual([
      ['2026-03-01 09:00–09:00', '2026-03-02T00:00:00.000Z', 9, 'day', true],
      ['2026-03-02 09:00–09:00', '2026-03-02T09:00:00.000Z', 24, 'day', false],
      ['2026-03-03 09:00–09:00', '2026-03-03T09:00:00.000Z', 15, 'day', true],
    ]);
  });

  it('makes two 12-hour shifts from 09:00 and 21:00, the night an hour short when Berlin springs forward', () => {
    // Sunday 2026-03-29: clocks go from 02:00 CET to 03:00 CEST.
    const schedule = handoffShifts('Europe/Berlin', ['21:00', '09:00']);
    expect(schedule.handoffs).toEqual(['09:00', '21:00']);
    expect(schedule.name).toBe('12-hour shifts (09:00–21:00, 21:00–09:00, Europe/Berlin)');
    expect(rows(schedule.shifts(null, t('2026-03-28T08:00:00Z'), t('2026-03-29T19:00:00Z')))).toEqual([
      ['2026-03-28 09:00–21:00', '2026-03-28T08:00:00.000Z', 12, 'day', false],
      ['2026-03-28 21:00–09:00', '2026-03-28T20:00:00.000Z', 11, 'night', false],
      ['2026-03-29 09:00–21:00', '2026-03-29T07:00:00.000Z', 12, 'day', false],
    ]);
  });

  it('makes three 8-hour shifts, the night an hour long when Berlin falls back', () => {
    // Sunday 2026-10-25: clocks go from 03:00 CEST back to 02:00 CET.
    const schedule = handoffShifts('Europe/Berlin', ['07:00', '15:00', '23:00']);
    expect(schedule.name).toBe('8-hour shifts (07:00–15:00, 15:00–23:00, 23:00–07:00, Europe/Berlin)');
    expect(rows(schedule.shifts('x', t('2026-10-24T05:00:00Z'), t('2026-10-25T22:00:00Z')))).toEqual([
      ['2026-10-24 07:00–15:00', '2026-10-24T05:00:00.000Z', 8, 'day', false],
      ['2026-10-24 15:00–23:00', '2026-10-24T13:00:00.000Z', 8, 'day', false],
      ['2026-10-24 23:00–07:00', '2026-10-24T21:00:00.000Z', 9, 'night', false],
      ['2026-10-25 07:00–15:00', '2026-10-25T06:00:00.000Z', 8, 'day', false],
      ['2026-10-25 15:00–23:00', '2026-10-25T14:00:00.000Z', 8, 'day', false],
    ]);
  });

  it('moves a handoff in the skipped hour forward by the gap, and names uneven shifts by their count', () => {
    const schedule = handoffShifts('Europe/Berlin', ['02:30', '12:00']);
    expect(schedule.name).toBe('2 shifts a day (02:30–12:00, 12:00–02:30, Europe/Berlin)');
    const shifts = schedule.shifts(null, t('2026-03-28T11:00:00Z'), t('2026-03-29T10:00:00Z'));
    expect(rows(shifts)).toEqual([
      ['2026-03-28 12:00–02:30', '2026-03-28T11:00:00.000Z', 14.5, 'day', false],
      // 02:30 does not happen on the 29th: the shift starts at 03:30 CEST.
      ['2026-03-29 02:30–12:00', '2026-03-29T01:30:00.000Z', 8.5, 'night', false],
    ]);
  });

  it('flags a shift by its pages per 12 hours of its length, and a team by its average', () => {
    seq = 0;
    const at = (iso: string, n: number) => Array.from({ length: n }, (_, i) => alert({ createdAt: t(iso) + i * MIN }));
    // Berlin, 2026-10-24 05:00Z to 2026-10-25 22:00Z (41 hours): three shifts a day.
    const alerts = [
      ...at('2026-10-24T06:00:00Z', 2), // 8 h day shift: 2 pages are 3 per 12 h
      ...at('2026-10-24T14:00:00Z', 1), // 8 h: 1.5 per 12 h
      ...at('2026-10-24T22:00:00Z', 2), // 9 h night: 2.67 per 12 h
      ...at('2026-10-25T07:00:00Z', 1),
    ];
    const r = fatigueReport({
      from: t('2026-10-24T05:00:00Z'),
      to: t('2026-10-25T22:00:00Z'),
      timeZone: 'Europe/Berlin',
      generatedAt: 0,
      teams: [],
      alerts,
      handoffs: ['07:00', '15:00', '23:00'],
    });
    expect(r.handoffs).toEqual(['07:00', '15:00', '23:00']);
    const p = r.teams[0]!;
    expect(p.shifts.map((s) => [s.pages, s.hours, s.pagesPer12h, s.flagged])).toEqual([
      [2, 8, 3, true],
      [1, 8, 1.5, false],
      [2, 9, 2.67, true],
      [1, 8, 1.5, false],
      [0, 8, 0, false],
    ]);
    // 6 pages in 41 hours: 1.76 per 12 h.
    expect([p.pages, p.hours, p.pagesPer12h, p.flagged, p.flaggedShifts, p.maxShiftPages]).toEqual([6, 41, 1.76, false, 2, 2]);
    expect(r.totals.flaggedShifts).toBe(2);

    // One 24-hour shift: 4 pages are 2 per 12 h (not over), 5 are 2.5.
    const day = (n: number) =>
      fatigueReport({
        from: t('2026-03-02T09:00:00Z'),
        to: t('2026-03-03T09:00:00Z'),
        timeZone: 'UTC',
        generatedAt: 0,
        teams: [],
        alerts: at('2026-03-02T10:00:00Z', n),
        handoffs: ['09:00'],
      }).teams[0]!;
    expect([day(4).shifts[0]!.pagesPer12h, day(4).shifts[0]!.flagged, day(4).flagged]).toEqual([2, false, false]);
    expect([day(5).shifts[0]!.pagesPer12h, day(5).shifts[0]!.flagged, day(5).flagged]).toEqual([2.5, true, true]);
  });

  it('judges a partial shift by its whole length', () => {
    seq = 0;
    // The period ends an hour into the 08:00–20:00 shift: 2 pages in it are 2 per 12 h, not 24.
    const r = fatigueReport({
      from: t('2026-03-02T00:00:00Z'),
      to: t('2026-03-02T09:00:00Z'),
      timeZone: 'UTC',
      generatedAt: 0,
      teams: [],
      alerts: [alert({ createdAt: t('2026-03-02T08:10:00Z') }), alert({ createdAt: t('2026-03-02T08:20:00Z') })],
    });
    expect(r.teams[0]!.shifts.map((s) => [s.label, s.partial, s.hours, s.pages, s.pagesPer12h, s.flagged])).toEqual([
      ['2026-03-01 night', true, 12, 0, 0, false],
      ['2026-03-02 day', true, 12, 2, 2, false],
    ]);
  });

  it('reads handoffs from a comma-separated list, in time-of-day order', () => {
    expect(parseHandoffs(' 21:00, 09:00 ')).toEqual(['09:00', '21:00']);
    expect(parseHandoffs('00:00,04:00,08:00,12:00,16:00,20:00')).toHaveLength(6);
    expect(parseHandoffs(['23:59'])).toEqual(['23:59']);
    expect(parseHandoffs(undefined)).toEqual(['08:00', '20:00']);
    expect(parseHandoffs('')).toEqual(['08:00', '20:00']);
  });

  it('refuses bad handoffs with an input error naming the field', () => {
    for (const [text, message] of [
      ['9:00', /"9:00" is not a time of day HH:MM/],
      ['24:00', /"24:00" is not a time of day/],
      ['09:60', /"09:60" is not a time of day/],
      ['09:00,,21:00', /"" is not a time of day/],
      ['nine', /"nine" is not a time of day/],
      ['09:00,21:00,09:00', /09:00 is given twice/],
      ['00:00,03:00,06:00,09:00,12:00,15:00,18:00', /at most 6 handoff times a day \(got 7\)/],
    ] as const) {
      let error: unknown;
      try {
        parseHandoffs(text);
      } catch (e) {
        error = e;
      }
      expect(error, text).toBeInstanceOf(InputError);
      expect((error as InputError).issues[0]?.path, text).toBe('handoffs');
      expect((error as InputError).issues[0]?.message, text).toMatch(message);
    }
    expect(() => parseHandoffs('9', '--handoffs')).toThrow(/^--handoffs: "9" is not a time of day/);
    expect(() => handoffShifts('UTC', ['08:00', '08:00'])).toThrow(InputError);
    expect(() => handoffShifts('UTC', [])).toThrow(InputError);
  });
});

describe('classifying alerts', () => {
  it('tells people from Vigil and the sending tools', () => {
    expect(['user:alice', 'token:alice/ci', 'link', 'system:slo', 'integration:pd', null].map(isPerson)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('counts as noise only what resolved without a person', () => {
    const base = { createdAt: 0, resolvedAt: 1 };
    expect(isNoise(alert({ ...base, resolvedBy: 'system:probe' }))).toBe(true);
    expect(isNoise(alert({ ...base, resolvedBy: 'user:alice' }))).toBe(false);
    expect(isNoise(alert({ ...base, resolvedBy: 'system:probe', acknowledgedAt: 0, acknowledgedBy: 'user:bob' }))).toBe(false);
    expect(isNoise(alert({ createdAt: 0 }))).toBe(false);
  });

  it('groups sources by the dedup key without its generated tail', () => {
    expect(
      [
        'disk-full:node-12',
        'checkout/5xx',
        'search/latency-9f8e7d6c5b4a',
        'job/123/456',
        'ab12cd34-0000-4000-8000-1234567890ab',
        'probe:api',
        'deadline',
      ].map(dedupPrefix),
    ).toEqual(['disk-full:node', 'checkout/5xx', 'search/latency', 'job', '', 'probe:api', 'deadline']);
    expect(sourceOf(alert({ createdAt: 0, dedupKey: 'c0ffee1234567890', source: 'host-9', integration: 'x-pd' }))).toEqual({
      via: 'x-pd',
      key: 'host-9',
    });
    expect(sourceOf(alert({ createdAt: 0, origin: 'alertmanager', dedupKey: 'c0ffee1234567890', group: 'DiskFull' }))).toEqual({
      via: 'alertmanager',
      key: 'DiskFull',
    });
  });
});
