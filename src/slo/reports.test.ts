import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { testDialects } from '../db/testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import {
  creditTier,
  isoWeekPeriod,
  judgeSla,
  lastCompleteIsoWeek,
  lastCompleteMonth,
  localDays,
  monthPeriod,
  policyStateAt,
  reviewObjective,
  type SlaReport,
  type SloReview,
  spanBurn,
} from './reports.ts';
import { budgetingOf, OCCURRENCES, PrefixSums } from './slo.math.ts';
import * as store from './slo.store.ts';
import { applySlo, ingestAll, seedCatalog, sloState } from './slo.testing.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (iso: string): number => Date.parse(iso);
const TIERS = [
  { below: 0.999, creditPercent: 10 },
  { below: 0.99, creditPercent: 25 },
];

describe('report periods', () => {
  it('cuts calendar months in a time zone, 745 hours for October in Berlin', () => {
    const utc = monthPeriod('2026-10');
    expect([utc.start, utc.end]).toEqual([at('2026-10-01T00:00:00Z'), at('2026-11-01T00:00:00Z')]);
    const berlin = monthPeriod('2026-10', 'Europe/Berlin');
    expect([berlin.start, berlin.end]).toEqual([at('2026-09-30T22:00:00Z'), at('2026-10-31T23:00:00Z')]);
    expect((berlin.end - berlin.start) / HOUR).toBe(745);
    expect(monthPeriod('2026-12').end).toBe(at('2027-01-01T00:00:00Z'));
    expect(() => monthPeriod('2026-13')).toThrow(/not a month/);
    expect(() => monthPeriod('2026-10', 'Mars/Olympus')).toThrow(/IANA/);
  });

  it('cuts ISO weeks, including week 1 that starts in the previous year and 53-week years', () => {
    const w47 = isoWeekPeriod('2026-W47');
    expect([w47.start, w47.end]).toEqual([at('2026-11-16T00:00:00Z'), at('2026-11-23T00:00:00Z')]);
    expect(isoWeekPeriod('2026-W01').start).toBe(at('2025-12-29T00:00:00Z'));
    expect(isoWeekPeriod('2026-W53', 'UTC').start).toBe(at('2026-12-28T00:00:00Z'));
    expect(() => isoWeekPeriod('2027-W53')).toThrow(/not an ISO week/);
    expect(isoWeekPeriod('2026-W43', 'Europe/Berlin').end - isoWeekPeriod('2026-W43', 'Europe/Berlin').start).toBe(
      7 * DAY + HOUR,
    );
  });

  it('defaults to the last complete month and ISO week', () => {
    const sunday = at('2026-11-29T10:34:00Z');
    expect(lastCompleteMonth(sunday)).toBe('2026-10');
    expect(lastCompleteIsoWeek(sunday)).toBe('2026-W47');
    expect(lastCompleteIsoWeek(at('2026-11-23T00:00:00Z'))).toBe('2026-W47');
    expect(lastCompleteMonth(at('2026-01-15T00:00:00Z'))).toBe('2025-12');
    // Past midnight in Auckland it is already December there.
    expect(lastCompleteMonth(at('2026-11-30T12:00:00Z'), 'Pacific/Auckland')).toBe('2026-11');
  });

  it('lists the local days of a week, 25 hours on the day Berlin leaves daylight saving time', () => {
    const days = localDays(isoWeekPeriod('2026-W43', 'Europe/Berlin'));
    expect(days.map((d) => d.date)).toEqual([
      '2026-10-19',
      '2026-10-20',
      '2026-10-21',
      '2026-10-22',
      '2026-10-23',
      '2026-10-24',
      '2026-10-25',
    ]);
    expect(days.map((d) => (d.end - d.start) / HOUR)).toEqual([24, 24, 24, 24, 24, 24, 25]);
  });
});

describe('SLA verdicts', () => {
  it('99.85 % against 99.9 % with tiers at 99.9 % and 99.0 %: missed by 0.05 pp, 10 % credit', () => {
    // 30 days, 100,000 events of which 150 failed; the contract allows 100.
    const v = judgeSla({ target: 0.999, penalties: TIERS, unit: 'events', good: 99_850, total: 100_000, minutesPerUnit: 0.432 });
    expect(v).toEqual({
      status: 'missed',
      sli: 0.9985,
      target: 0.999,
      marginPoints: -0.05,
      unit: 'events',
      good: 99_850,
      total: 100_000,
      allowedBad: 100,
      bad: 150,
      overBad: 50,
      allowedBadMinutes: 43.2,
      badMinutes: 64.8,
      overMinutes: 21.6,
      tier: { below: 0.999, creditPercent: 10 },
      creditPercent: 10,
    });
  });

  it('owes the highest tier the SLI falls under, and nothing at exactly the target', () => {
    expect(creditTier(0.985, TIERS)).toEqual({ below: 0.99, creditPercent: 25 });
    // 99.0 % is not below 99.0 %: the 10 % tier applies.
    expect(creditTier(0.99, TIERS)).toEqual({ below: 0.999, creditPercent: 10 });
    expect(creditTier(0.999, TIERS)).toBeNull();
    expect(creditTier(null, TIERS)).toBeNull();
    // Tiers in any order: the highest credit wins.
    expect(creditTier(0.9, [...TIERS].reverse())?.creditPercent).toBe(25);

    const met = judgeSla({ target: 0.999, penalties: TIERS, unit: 'events', good: 999, total: 1000, minutesPerUnit: 1 });
    expect([met.status, met.marginPoints, met.overBad, met.creditPercent]).toEqual(['met', 0, 0, 0]);
    const none = judgeSla({ target: 0.999, penalties: TIERS, unit: 'events', good: 0, total: 0, minutesPerUnit: 0 });
    expect([none.status, none.sli, none.marginPoints, none.creditPercent]).toEqual(['no-data', null, null, 0]);
  });

  it('counts time-slice SLAs in bad slices and their minutes', () => {
    // 8,640 five-minute slices in 30 days, 15 bad: 99.826 % against 99.9 %, 8.64 slices allowed.
    const v = judgeSla({ target: 0.999, penalties: TIERS, unit: 'slices', good: 8625, total: 8640, minutesPerUnit: 5 });
    expect([v.status, v.allowedBad, v.bad, v.overBad, v.badMinutes, v.allowedBadMinutes, v.overMinutes]).toEqual([
      'missed',
      8.64,
      15,
      6.36,
      75,
      43.2,
      31.8,
    ]);
    expect(v.creditPercent).toBe(10);
  });
});

describe('weekly review figures', () => {
  // One bucket an hour over 28 days of 1,000 events; on one day 12 hours lose 93 each.
  const weekStart = at('2026-10-12T00:00:00Z');
  const from = weekStart - 21 * DAY;
  const badDay = at('2026-10-14T00:00:00Z');
  const minutes: number[] = [];
  const good: number[] = [];
  const total: number[] = [];
  for (let t = from; t < weekStart + 7 * DAY; t += HOUR) {
    const bad = t >= badDay + HOUR && t <= badDay + 12 * HOUR ? 93 : 0;
    minutes.push(t / 60_000);
    good.push(1000 - bad);
    total.push(1000);
  }
  const sums = PrefixSums.fromBuckets({ minutes, good, total });
  const windowMs = 28 * DAY;

  it('turns a span into the share of the whole-window budget it consumed', () => {
    const day = spanBurn({ sums, from: badDay, to: badDay + DAY, target: 0.999, budgeting: OCCURRENCES, windowMs });
    // 1,116 of 24,000 failed: 4.65 % bad, a 46.5× burn for a day, 46.5 / 28 of the budget.
    expect(day.badEvents).toBe(1116);
    expect(day.burnRate).toBe(46.5);
    expect(day.budgetShare).toBeCloseTo(46.5 / 28, 9);
    expect(day.badMinutes).toBeCloseTo(66.96, 9);
    const quiet = spanBurn({ sums, from: weekStart, to: badDay, target: 0.999, budgeting: OCCURRENCES, windowMs });
    expect([quiet.budgetShare, quiet.burnRate, quiet.sli]).toEqual([0, 0, 1]);
  });

  it('reviews an objective: budgets at both ends, the week, each day and the worst day', () => {
    const objective = { name: 'default', target: 0.999, timeSliceTarget: null, timeSliceWindow: null };
    const r = reviewObjective({
      sums,
      objective,
      method: 'Occurrences',
      timeWindow: { type: 'rolling', duration: '28d' },
      budgeting: budgetingOf('Occurrences', objective),
      windowMs,
      period: isoWeekPeriod('2026-W42'),
      now: at('2026-11-03T12:00:00Z'),
    });
    expect(r.start).toEqual({ at: weekStart, sli: 1, remainingRatio: 1 });
    // At the end the 28-day window holds 672,000 events, 1,116 bad: 1.66 budgets spent.
    expect(r.end.remainingRatio).toBeCloseTo(1 - 1116 / 672_000 / 0.001, 9);
    expect(r.week.budgetShare).toBeCloseTo(46.5 / 28, 9);
    expect(r.days).toHaveLength(7);
    expect(r.worstDay?.date).toBe('2026-10-14');
    expect(r.days.filter((d) => d.budgetShare > 0)).toHaveLength(1);
  });

  it('stops a running week at now', () => {
    const objective = { name: 'default', target: 0.999, timeSliceTarget: null, timeSliceWindow: null };
    const r = reviewObjective({
      sums,
      objective,
      method: 'Occurrences',
      timeWindow: { type: 'rolling', duration: '28d' },
      budgeting: OCCURRENCES,
      windowMs,
      period: isoWeekPeriod('2026-W42'),
      now: badDay + 6 * HOUR,
    });
    expect(r.end.at).toBe(badDay + 6 * HOUR);
    expect(r.days.map((d) => d.date)).toEqual(['2026-10-12', '2026-10-13', '2026-10-14']);
    expect(r.week.badEvents).toBe(5 * 93);
  });

  it('derives the policy state from the remaining budget', () => {
    const rules = [
      { whenRemainingBelow: 0.25, actions: ['warn' as const] },
      { whenRemainingBelow: 0.0000001, actions: ['halt-deploys' as const] },
    ];
    expect([0.5, 0.2, 0, null].map((r) => policyStateAt(rules, r))).toEqual(['ok', 'warn', 'halted', 'ok']);
  });
});

describe.each(testDialects)('reports over the API (%s)', (dialect) => {
  let t: TestVigil;
  const octoberStart = at('2026-10-01T00:00:00Z');
  const badDay = at('2026-10-14T00:00:00Z');

  beforeAll(async () => {
    t = await createTestVigil(dialect, { clock: new FakeClock('2026-11-03T12:00:00Z') });
    await seedCatalog(t.db, t.vigil.catalog);
    await applySlo(
      t.db,
      t.vigil.slo,
      sloState({
        slis: [
          { name: 'checkout-requests', service: 'checkout' },
          { name: 'search-requests', service: 'search' },
          { name: 'ledger-requests', service: 'ledger' },
        ],
        slos: [
          { name: 'checkout-availability', service: 'checkout', sli: 'checkout-requests', objectives: [{ target: 0.999 }] },
          { name: 'search-availability', service: 'search', sli: 'search-requests', objectives: [{ target: 0.99 }] },
          { name: 'ledger-availability', service: 'ledger', sli: 'ledger-requests', objectives: [{ target: 0.999 }] },
        ],
        slas: [
          { name: 'checkout-enterprise', slo: 'checkout-availability', target: 0.999, customer: 'Enterprise', penalties: TIERS },
          { name: 'search-partners', slo: 'search-availability', target: 0.995, penalties: [{ below: 0.995, creditPercent: 5 }] },
          { name: 'ledger-internal', slo: 'ledger-availability', target: 0.999 },
        ],
      }),
    );
    // October and the first days of November, one count an hour: checkout loses 93 of 1,000 in
    // twelve hours of October 14th, so October comes to exactly 99.85 %.
    const checkout = [];
    const search = [];
    for (let ts = octoberStart; ts < t.clock.now() - HOUR; ts += HOUR) {
      const bad = ts >= badDay + HOUR && ts <= badDay + 12 * HOUR ? 93 : 0;
      checkout.push({ timestamp: ts, good: 1000 - bad, total: 1000 });
      search.push({ timestamp: ts, good: 500, total: 500 });
    }
    await ingestAll(t.vigil.slo, 'checkout-requests', checkout);
    await ingestAll(t.vigil.slo, 'search-requests', search);

    // A page that fired across the worst hour, and its journal entries, as the evaluator writes them.
    const [slo] = (await store.loadDefinitions(t.db.kysely)).slos.filter((s) => s.name === 'checkout-availability');
    const service = (await store.services(t.db.kysely, ['checkout'])).get('checkout');
    const firedAt = badDay + 11.5 * HOUR;
    const resolvedAt = badDay + 13.5 * HOUR;
    await store.insertAlert(t.db.kysely, {
      id: 'alert-1',
      sloId: slo?.id ?? '',
      objective: 'default',
      rule: 'page-fast',
      severity: 'page',
      firedAt,
      data: { reason: 'burning 93× over 1h' },
    });
    await store.resolveAlert(t.db.kysely, 'alert-1', resolvedAt);
    const now = t.clock.now();
    for (const [when, kind, data] of [
      [firedAt, 'slo.alert.fired', { slo: 'checkout-availability', rule: 'page-fast', severity: 'page' }],
      [resolvedAt, 'slo.alert.resolved', { slo: 'checkout-availability', rule: 'page-fast', severity: 'page' }],
      [badDay + 15 * HOUR, 'slo.policy.overridden', { service: 'checkout', reason: 'ship the fix', until: badDay + 17 * HOUR }],
      // Outside the week: left out.
      [badDay + 6 * DAY, 'slo.policy.overridden', { service: 'checkout', reason: 'later', until: badDay + 7 * DAY }],
    ] as const) {
      t.clock.set(when);
      await t.vigil.journal.append(t.db.kysely, {
        kind,
        actor: 'system:test',
        serviceId: service?.id ?? null,
        data: { ...data },
      });
    }
    t.clock.set(now);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('reports SLA compliance of the last complete month per service, as JSON and Markdown', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/reports/sla', headers: t.as('read') });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json() as SlaReport;
    expect([r.month, r.complete, r.totals]).toEqual(['2026-10', true, { slas: 3, met: 1, missed: 1, noData: 1 }]);
    expect(r.services.map((s) => [s.service, s.owner, s.slas.map((x) => x.name)])).toEqual([
      ['checkout', 'payments', ['checkout-enterprise']],
      ['ledger', 'payments', ['ledger-internal']],
      ['search', 'search', ['search-partners']],
    ]);
    const checkout = r.services[0]?.slas[0];
    // 744 hours × 1,000 events, 1,116 bad: 99.85 %; 744 allowed, 372 over; a 44,640-minute month.
    expect(checkout).toMatchObject({
      status: 'missed',
      sli: 0.9985,
      marginPoints: -0.05,
      total: 744_000,
      allowedBad: 744,
      bad: 1116,
      overBad: 372,
      allowedBadMinutes: 44.64,
      badMinutes: 66.96,
      overMinutes: 22.32,
      creditPercent: 10,
      customer: 'Enterprise',
    });
    expect(r.services[2]?.slas[0]).toMatchObject({ status: 'met', sli: 1, marginPoints: 0.5, creditPercent: 0 });
    expect(r.services[1]?.slas[0]).toMatchObject({ status: 'no-data', sli: null, creditPercent: 0 });

    const md = await t.app.inject({
      method: 'GET',
      url: '/api/v1/reports/sla?month=2026-10&format=markdown',
      headers: t.as('read'),
    });
    expect(md.statusCode).toBe(200);
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain('# SLA compliance, 2026-10');
    expect(md.body).toContain(
      '| checkout-enterprise | Enterprise | checkout-availability | 99.85% | 99.9% | missed (−0.05 pp) | 372 bad events (22.32 min) | 10% (below 99.9%) |',
    );
  });

  it('reports a month still running, in a time zone, and refuses bad input', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/reports/sla?month=2026-11&timeZone=Europe/Berlin',
      headers: t.as('read'),
    });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json() as SlaReport;
    expect([r.complete, r.start, r.services[0]?.slas[0]?.status]).toEqual([false, at('2026-10-31T23:00:00Z'), 'met']);
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/reports/sla?month=October', headers: t.as('read') });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('not a month');
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/reports/sla' });
    expect(anonymous.statusCode).toBe(401);
  });

  it("reviews a team's week: budgets, what burned, the worst day, alert episodes and policy changes", async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/v1/reports/slo-review?team=payments&week=2026-W42',
      headers: t.as('read'),
    });
    expect(res.statusCode, res.body).toBe(200);
    const r = res.json() as SloReview;
    expect([r.team, r.week, r.complete, r.start]).toEqual(['payments', '2026-W42', true, at('2026-10-12T00:00:00Z')]);
    expect(r.slos.map((s) => s.name)).toEqual(['checkout-availability', 'ledger-availability']);
    const [checkout] = r.slos;
    const o = checkout?.objectives[0];
    // The window at the start holds 11 days of clean data; at the end 18 days with the bad day.
    expect(o?.start.remainingRatio).toBe(1);
    expect(o?.end.remainingRatio).toBeCloseTo(1 - 1116 / 432_000 / 0.001, 9);
    expect(o?.week.budgetShare).toBeCloseTo(46.5 / 28, 9);
    expect(o?.worstDay?.date).toBe('2026-10-14');
    expect(checkout?.policy).toEqual({ start: 'ok', end: 'halted' });
    expect(checkout?.alertsFired).toBe(1);
    // 11:30 to 13:30 holds the 12:00 count (93 bad) and the clean 13:00 one: 4.65 % of 120 minutes.
    expect(r.episodes).toHaveLength(1);
    expect(r.episodes[0]?.budgetShare).toBeCloseTo((0.0465 * 120) / 40.32, 9);
    expect(r.changes.map((c) => c.kind)).toEqual(['slo.alert.fired', 'slo.alert.resolved', 'slo.policy.overridden']);
    expect(r.incidentsNote).toMatch(/incidents/);

    const md = await t.app.inject({
      method: 'GET',
      url: '/api/v1/reports/slo-review?team=payments&week=2026-W42&format=markdown',
      headers: t.as('read'),
    });
    expect(md.headers['content-type']).toBe('text/markdown; charset=utf-8');
    expect(md.body).toContain('# Weekly SLO review: payments, 2026-W42');
    expect(md.body).toContain('## What consumed the budget');
    expect(md.body).toContain(
      '| checkout-availability | checkout | 100% → 99.742% | 100% → -158.3% | 166.1% (6.64×) | 2026-10-14 (166.1%) | 1 | ok → halted |',
    );
    expect(md.body).toContain('checkout: policy overridden until 2026-10-14T17:00:00.000Z: ship the fix');
  });

  it('defaults to the last complete week and answers 404 for an unknown team', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/reports/slo-review?team=search', headers: t.as('read') });
    expect(res.statusCode, res.body).toBe(200);
    expect((res.json() as SloReview).week).toBe('2026-W44');
    const missing = await t.app.inject({ method: 'GET', url: '/api/v1/reports/slo-review?team=nobody', headers: t.as('read') });
    expect(missing.statusCode).toBe(404);
  });

  it('shows the alerting settings on SLO status and display names on the overview', async () => {
    const status = await t.app.inject({ method: 'GET', url: '/api/v1/slos/checkout-availability', headers: t.as('read') });
    expect(status.json().alerting).toMatchObject({ minEvents: 10, noDataAfter: '30m' });
    const overview = await t.app.inject({ method: 'GET', url: '/api/v1/overview', headers: t.as('read') });
    const checkout = (
      overview.json() as { services: Array<{ name: string; slos: Array<{ displayName: unknown }> }> }
    ).services.find((s) => s.name === 'checkout');
    expect(checkout?.slos[0]).toHaveProperty('displayName', null);
  });
});
