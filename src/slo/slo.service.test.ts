import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal } from '../auth/principal.ts';
import { CatalogService } from '../catalog/index.ts';
import { FakeClock } from '../core/clock.ts';
import { InputError, NotAllowedError, NotFoundError, type VigilError } from '../core/errors.ts';
import type { Db } from '../db/database.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { normalizeSloState, SloService } from './slo.service.ts';
import * as store from './slo.store.ts';
import { admin, applySlo, ingestAll, minuteCounts, seedCatalog, sloState } from './slo.testing.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-03-02T10:00:00Z');

async function expectError<T extends VigilError>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  return error as T;
}

const availability = {
  name: 'checkout-availability',
  service: 'checkout',
  sli: 'checkout-requests',
  objectives: [{ target: 0.9995 }],
};

describe.each(testDialects)('SloService on %s', (dialect) => {
  let tdb: TestDatabase;
  let db: Db;
  let clock: FakeClock;
  let journal: Journal;
  let catalog: CatalogService;
  let slo: SloService;

  beforeEach(async () => {
    tdb = await createTestDatabase(dialect);
    db = tdb.db;
    clock = new FakeClock(NOW);
    journal = new Journal(clock);
    catalog = new CatalogService({ db, clock, journal });
    slo = new SloService({ db, clock, journal, catalog });
    await seedCatalog(db, catalog);
  });
  afterEach(async () => {
    await slo.stop();
    await tdb.destroy();
  });

  const entries = (kindPrefix: string) => journal.list(db.kysely, { kindPrefix, ascending: true, limit: 1000 });

  async function minutes(sli = 'checkout-requests') {
    const rows = await db.kysely
      .selectFrom('sli_minutes as m')
      .innerJoin('slis as s', 's.id', 'm.sli_id')
      .select(['m.minute', 'm.good', 'm.total'])
      .where('s.name', '=', sli)
      .orderBy('m.minute')
      .execute();
    return rows.map((r) => ({ minute: Number(r.minute), good: Number(r.good), total: Number(r.total) }));
  }

  async function member(name: string, teams: string[]): Promise<Principal> {
    const rows = await db.kysely.selectFrom('teams').select('id').where('name', 'in', teams).execute();
    return {
      userId: name,
      userName: name,
      role: 'member',
      scopes: new Set(['read', 'write']),
      teamIds: new Set(rows.map((r) => r.id)),
      via: 'token',
      tokenId: null,
      actor: `user:${name}`,
    };
  }

  const basic = () =>
    sloState({
      slis: [
        { name: 'checkout-requests', service: 'checkout' },
        { name: 'checkout-latency', service: 'checkout', threshold: { op: 'lt', value: 100 } },
      ],
      slos: [availability],
    });

  describe('ingestion', () => {
    beforeEach(async () => {
      await applySlo(db, slo, basic());
    });

    it('adds counts into per-minute buckets', async () => {
      const r = await slo.ingest(admin, 'checkout-requests', {
        events: [
          { timestamp: NOW - 90_000, good: 9, total: 10 },
          { timestamp: new Date(NOW - 80_000).toISOString(), good: 5, total: 5 },
          { timestamp: NOW - 10_000, good: 1, total: 1 },
        ],
      });
      expect(r).toEqual({ accepted: 3, rejected: [], duplicate: false });
      await slo.ingest(admin, 'checkout-requests', { events: [{ timestamp: NOW - 85_000, good: 0, total: 2 }] });
      const m = NOW / MINUTE;
      expect(await minutes()).toEqual([
        { minute: m - 2, good: 14, total: 17 },
        { minute: m - 1, good: 1, total: 1 },
      ]);
    });

    it('counts a retried batch once', async () => {
      const batch = { batchId: 'b-1', events: [{ timestamp: NOW, good: 3, total: 4 }] };
      expect(await slo.ingest(admin, 'checkout-requests', batch)).toMatchObject({ accepted: 1, duplicate: false });
      expect(await slo.ingest(admin, 'checkout-requests', batch)).toEqual({ accepted: 0, rejected: [], duplicate: true });
      expect(await minutes()).toEqual([{ minute: NOW / MINUTE, good: 3, total: 4 }]);
      // The same id on another SLI is another batch.
      await applySlo(db, slo, sloState({ slis: [{ name: 'other' }] }));
      expect(await slo.ingest(admin, 'other', batch)).toMatchObject({ accepted: 1, duplicate: false });
    });

    it('rejects bad items one by one and keeps the rest', async () => {
      const r = await slo.ingest(admin, 'checkout-requests', {
        events: [
          { timestamp: NOW, good: 1, total: 1 },
          { timestamp: NOW + 6 * MINUTE, good: 1, total: 1 },
          { timestamp: NOW - 36 * DAY, good: 1, total: 1 },
          { timestamp: NOW, good: 5, total: 4 },
          { timestamp: NOW, good: -1, total: 1 },
          { timestamp: 'yesterday', good: 1, total: 1 },
          { timestamp: NOW, good: 1.5, total: 2 },
          { timestamp: NOW, value: 20 },
          { timestamp: NOW + 4 * MINUTE, good: 2, total: 2 },
        ],
      });
      expect(r.accepted).toBe(2);
      expect(r.rejected.map((x) => x.index)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(r.rejected[0]?.reason).toMatch(/future/);
      expect(r.rejected[1]?.reason).toMatch(/retention/);
      expect(r.rejected[2]?.reason).toMatch(/good is greater than total/);
      expect(r.rejected[3]?.reason).toMatch(/non-negative/);
      expect(r.rejected[6]?.reason).toMatch(/no threshold/);
      expect(await minutes()).toEqual([
        { minute: NOW / MINUTE, good: 1, total: 1 },
        { minute: NOW / MINUTE + 4, good: 2, total: 2 },
      ]);
    });

    it('judges raw observations against the threshold and keeps a histogram per minute', async () => {
      const events = [10, 50, 99.9, 100, 250].map((value) => ({ timestamp: NOW, value }));
      expect(await slo.ingest(admin, 'checkout-latency', { events: [...events, { timestamp: NOW, value: -3 }] })).toMatchObject({
        accepted: 5,
        rejected: [{ index: 5, reason: expect.stringMatching(/non-negative/) }],
      });
      await slo.ingest(admin, 'checkout-latency', { events: [{ timestamp: NOW + 1000, value: 30 }] });
      expect(await minutes('checkout-latency')).toEqual([{ minute: NOW / MINUTE, good: 4, total: 6 }]);
      const row = await db.kysely.selectFrom('sli_histograms').select('histogram').executeTakeFirstOrThrow();
      expect(JSON.parse(row.histogram)).toMatchObject({ count: 6, min: 10, max: 250 });
    });

    it('adds nothing when the transaction fails part-way, so the batch can be retried', async () => {
      const sli = await db.kysely
        .selectFrom('slis')
        .select('id')
        .where('name', '=', 'checkout-latency')
        .executeTakeFirstOrThrow();
      // A stored histogram that cannot be read fails the batch after its counts were written.
      await db.kysely
        .insertInto('sli_histograms')
        .values({ sli_id: sli.id, minute: NOW / MINUTE, histogram: '{"zeros":-1}' })
        .execute();
      const batch = {
        batchId: 'retry-me',
        events: [
          { timestamp: NOW, value: 20 },
          { timestamp: NOW - MINUTE, value: 30 },
        ],
      };
      await expect(slo.ingest(admin, 'checkout-latency', batch)).rejects.toThrow();
      expect(await minutes('checkout-latency')).toEqual([]);
      await db.kysely.deleteFrom('sli_histograms').execute();
      expect(await slo.ingest(admin, 'checkout-latency', batch)).toMatchObject({ accepted: 2, duplicate: false });
    });

    it('refuses unknown SLIs, callers without the ingest scope and oversized batches', async () => {
      await expectError(slo.ingest(admin, 'nope', { events: [] }), NotFoundError);
      await expectError(slo.ingest(await member('alice', ['payments']), 'checkout-requests', { events: [] }), NotAllowedError);
      const events = Array.from({ length: 10_001 }, () => ({ timestamp: NOW, good: 1, total: 1 }));
      await expectError(slo.ingest(admin, 'checkout-requests', { events }), InputError);
    });
  });

  describe('status', () => {
    it('computes the seed case: 99.95 % over a rolling 28 days allows 20.16 minutes', async () => {
      await applySlo(db, slo, basic());
      const badAt = NOW - 2 * DAY;
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - 28 * DAY, NOW, 100, (at) => (at >= badAt && at < badAt + 10 * MINUTE ? 50 : 0)),
      );
      const [status] = await slo.status('checkout-availability');
      expect(status).toMatchObject({
        name: 'checkout-availability',
        service: 'checkout',
        owner: 'payments',
        sli: 'checkout-requests',
      });
      const o = status?.objectives[0];
      expect(o).toMatchObject({
        objective: 'default',
        target: 0.9995,
        windowStart: NOW - 28 * DAY,
        windowEnd: NOW,
        total: 4_032_000,
        good: 4_031_500,
        budgetMinutes: 20.16,
        budgetEvents: 2016,
        consumedEvents: 500,
      });
      expect(o?.remainingRatio).toBeCloseTo(1 - 500 / 2016, 9);
      expect(o?.burnRates['1h']).toBe(0);
      expect(status?.policy).toEqual({ state: 'ok', actions: [] });
    });

    it('keeps up as data arrives and the window moves, without reloading everything', async () => {
      await applySlo(db, slo, basic());
      await ingestAll(slo, 'checkout-requests', minuteCounts(NOW - DAY, NOW, 10));
      expect((await slo.get('checkout-availability')).objectives[0]?.total).toBe(14_400);
      clock.advance(30 * MINUTE);
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW, NOW + 30 * MINUTE, 10, () => 1),
      );
      const o = (await slo.get('checkout-availability')).objectives[0];
      expect(o).toMatchObject({ total: 14_700, good: 14_670 });
      expect(o?.burnRates['5m']).toBe(200);
      // Two days later the arrays have shifted; the data is still there.
      clock.advance(2 * DAY);
      expect((await slo.get('checkout-availability')).objectives[0]?.total).toBe(14_700);
    });

    it('budgets a Timeslices latency SLO from raw observations: a 5-minute slice is good when its p95 is under 100 ms', async () => {
      await applySlo(
        db,
        slo,
        sloState({
          slis: [{ name: 'api-latency', service: 'checkout', threshold: { op: 'lt', value: 100 } }],
          slos: [
            {
              name: 'api-p95',
              service: 'checkout',
              sli: 'api-latency',
              budgetingMethod: 'Timeslices',
              objectives: [{ target: 0.9995, timeSliceTarget: 0.95, timeSliceWindow: '5m' }],
            },
          ],
        }),
      );
      // Three hours, 20 observations a minute. One slice has 10 % slow requests (bad); another
      // exactly 5 % (p95 still under 100 ms: good).
      const start = NOW - 3 * HOUR;
      const badSlice = NOW - HOUR;
      const edgeSlice = NOW - 2 * HOUR;
      const events = [];
      for (let at = start; at < NOW; at += MINUTE) {
        for (let i = 0; i < 20; i++) {
          const slow = (at >= badSlice && at < badSlice + 5 * MINUTE && i < 2) || (at === edgeSlice && i < 5);
          events.push({ timestamp: at + i * 1000, value: slow ? 180 : 40 + i });
        }
      }
      await ingestAll(slo, 'api-latency', events);
      const o = (await slo.get('api-p95')).objectives[0];
      expect(o).toMatchObject({ budgetMinutes: 20.16, good: 35, total: 36, consumedEvents: 1, consumedMinutes: 5 });
      expect(o?.remainingRatio).toBeCloseTo(1 - 5 / 20.16, 9);
    });

    it('leaves maintenance windows out of the budget', async () => {
      const state = basic();
      await applySlo(db, slo, state);
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - DAY, NOW, 100, (at) => (at >= NOW - 5 * HOUR && at < NOW - 4 * HOUR ? 1 : 0)),
      );
      expect((await slo.get('checkout-availability')).objectives[0]?.consumedEvents).toBe(60);
      await applySlo(
        db,
        slo,
        sloState({
          ...state,
          slis: state.slis,
          slos: [availability],
          maintenanceWindows: [
            { name: 'db-upgrade', services: ['checkout'], start: new Date(NOW - 5 * HOUR).toISOString(), duration: '1h' },
          ],
        }),
      );
      const o = (await slo.get('checkout-availability')).objectives[0];
      expect(o).toMatchObject({ consumedEvents: 0, remainingRatio: 1, total: 144_000 - 6000 });
    });

    it('answers series: the SLI per step and the burn-down of the budget', async () => {
      await applySlo(db, slo, basic());
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - 2 * HOUR, NOW, 10, (at) => (at === NOW - HOUR ? 5 : 0)),
      );
      const series = await slo.series('checkout-availability', { from: NOW - 2 * HOUR, stepMs: HOUR });
      expect(series.sli).toEqual([
        { at: NOW - 2 * HOUR, good: 600, total: 600, value: 1 },
        { at: NOW - HOUR, good: 595, total: 600, value: 595 / 600 },
      ]);
      expect(series.burnDown.at(-1)?.at).toBe(NOW);
      expect(series.burnDown.at(-1)?.remainingRatio).toBeCloseTo(1 - 5 / (0.0005 * 1200), 9);
      await expectError(slo.series('checkout-availability', { objective: 'nope' }), InputError);
      await expectError(slo.series('nope'), NotFoundError);
    });

    it('lists SLIs with their SLOs and latest event', async () => {
      await applySlo(db, slo, basic());
      await slo.ingest(admin, 'checkout-requests', { events: [{ timestamp: NOW - 2 * MINUTE + 5, good: 1, total: 1 }] });
      const items = await slo.listSlis();
      expect(items.map((s) => [s.name, s.slos, s.lastEventAt, s.configSource])).toEqual([
        ['checkout-latency', [], null, 'repo'],
        ['checkout-requests', ['checkout-availability'], NOW - 2 * MINUTE, 'repo'],
      ]);
    });
  });

  describe('burn-rate alerts', () => {
    const fast = {
      name: 'checkout-fast',
      service: 'checkout',
      sli: 'checkout-requests',
      timeWindow: { type: 'rolling', duration: '30d' },
      objectives: [{ target: 0.999 }],
      alerting: {
        rules: [
          { name: 'page-fast', severity: 'page', budgetShare: 0.02, longWindow: '1h', shortWindow: '5m' },
          { name: 'page-slow', severity: 'page', budgetShare: 0.05, longWindow: '6h', shortWindow: '30m' },
        ],
        noDataAfter: null,
      },
    };

    it('fire once per episode and resolve, journaled', async () => {
      await applySlo(db, slo, sloState({ slis: [{ name: 'checkout-requests', service: 'checkout' }], slos: [fast] }));
      await ingestAll(slo, 'checkout-requests', minuteCounts(NOW - DAY, NOW - 10 * MINUTE, 100));
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - 10 * MINUTE, NOW, 100, () => 50),
      );
      expect(await slo.evaluate()).toEqual({ evaluated: true, fired: 2, resolved: 0 });
      expect(await slo.evaluate()).toEqual({ evaluated: true, fired: 0, resolved: 0 });
      const firing = await slo.alerts();
      expect(firing.map((a) => [a.slo, a.objective, a.rule, a.severity, a.state]).sort()).toEqual([
        ['checkout-fast', 'default', 'page-fast', 'page', 'firing'],
        ['checkout-fast', 'default', 'page-slow', 'page', 'firing'],
      ]);
      expect((await slo.get('checkout-fast')).alerts).toHaveLength(2);
      const fired = await entries('slo.alert.fired');
      expect(fired).toHaveLength(2);
      expect(fired[0]?.data).toMatchObject({ slo: 'checkout-fast', threshold: 14.4 });
      expect(fired[0]?.actor).toBe('system:slo-evaluator');
      expect(fired[0]?.serviceId).not.toBeNull();

      // Ten good minutes later the 5-minute window is clean: the fast page resolves, the slow one
      // (confirmed over 30 minutes) keeps firing.
      clock.advance(10 * MINUTE);
      await ingestAll(slo, 'checkout-requests', minuteCounts(NOW, NOW + 10 * MINUTE, 100));
      expect(await slo.evaluate()).toEqual({ evaluated: true, fired: 0, resolved: 1 });
      const resolved = await entries('slo.alert.resolved');
      expect(resolved.map((e) => e.data.rule)).toEqual(['page-fast']);
      expect((await slo.alerts({ state: 'all' })).map((a) => [a.rule, a.state]).sort()).toEqual([
        ['page-fast', 'resolved'],
        ['page-slow', 'firing'],
      ]);
    });

    it('do not fire on a low-traffic SLO below the minimum events', async () => {
      await applySlo(db, slo, sloState({ slis: [{ name: 'checkout-requests', service: 'checkout' }], slos: [fast] }));
      await slo.ingest(admin, 'checkout-requests', {
        events: [
          { timestamp: NOW - 2 * MINUTE, good: 0, total: 1 },
          { timestamp: NOW - MINUTE, good: 2, total: 2 },
        ],
      });
      expect(await slo.evaluate()).toEqual({ evaluated: true, fired: 0, resolved: 0 });
      // The minute in progress counts once it is complete.
      await slo.ingest(admin, 'checkout-requests', { events: [{ timestamp: NOW, good: 0, total: 10 }] });
      expect((await slo.evaluate()).fired).toBe(0);
      clock.advance(MINUTE);
      expect((await slo.evaluate()).fired).toBe(2);
    });

    it('raise a no-data alert when the SLI falls silent, and resolve it when data returns', async () => {
      await applySlo(
        db,
        slo,
        sloState({
          slis: [{ name: 'checkout-requests', service: 'checkout' }],
          slos: [{ ...availability, alerting: { rules: [], noDataAfter: '30m' } }],
        }),
      );
      // A new SLO gets the period to receive data first.
      expect((await slo.evaluate()).fired).toBe(0);
      clock.advance(31 * MINUTE);
      expect((await slo.evaluate()).fired).toBe(1);
      const [alert] = await slo.alerts();
      expect(alert).toMatchObject({ objective: '*', rule: 'no-data', severity: 'ticket', state: 'firing' });
      await slo.ingest(admin, 'checkout-requests', { events: [{ timestamp: clock.now(), good: 1, total: 1 }] });
      expect(await slo.evaluate()).toEqual({ evaluated: true, fired: 0, resolved: 1 });
      expect((await entries('slo.alert.')).map((e) => e.kind)).toEqual(['slo.alert.fired', 'slo.alert.resolved']);
    });

    it('are evaluated by one evaluator when two race for the lease', async () => {
      await applySlo(db, slo, sloState({ slis: [{ name: 'checkout-requests', service: 'checkout' }], slos: [fast] }));
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - HOUR, NOW, 100, () => 50),
      );
      const other = new SloService({ db, clock, journal, catalog });
      const results = await Promise.all([slo.evaluate(), other.evaluate(), slo.evaluate(), other.evaluate()]);
      // The lease belongs to whichever replica claimed first; it renews it, the other stays out.
      const winners = new Set(results.map((r, i) => (r.evaluated ? i % 2 : -1)).filter((i) => i >= 0));
      expect(winners.size).toBe(1);
      expect(results.reduce((n, r) => n + r.fired, 0)).toBe(2);
      expect(await entries('slo.alert.fired')).toHaveLength(2);
      // Released on stop, the lease passes at once.
      const holder = winners.has(0) ? slo : other;
      const waiting = winners.has(0) ? other : slo;
      expect((await waiting.evaluate()).evaluated).toBe(false);
      await holder.stop();
      expect((await waiting.evaluate()).evaluated).toBe(true);
      await other.stop();
    });
  });

  describe('error budget policy', () => {
    beforeEach(async () => {
      await applySlo(
        db,
        slo,
        sloState({
          slis: [{ name: 'checkout-requests', service: 'checkout' }],
          slos: [{ ...availability, timeWindow: { type: 'rolling', duration: '1d' }, objectives: [{ target: 0.99 }] }],
          policies: [{ service: 'checkout' }],
        }),
      );
    });

    it('halts at exhaustion, and an override with a reason lifts the halt until it expires', async () => {
      expect(await slo.policy('checkout')).toMatchObject({ state: 'ok', remainingRatio: 1, actions: [], override: null });
      // 0.8 % bad of a 1 % budget: 20 % left, below the 25 % warning.
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - DAY, NOW, 1000, () => 8),
      );
      expect(await slo.policy('checkout')).toMatchObject({ state: 'warn', actions: ['warn'] });
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - HOUR, NOW, 100, () => 100),
      );
      const halted = await slo.policy('checkout');
      expect(halted).toMatchObject({ state: 'halted', actions: ['warn', 'halt-deploys', 'halt-flag-ramps'] });
      expect(halted.remainingRatio).toBeLessThan(0);
      expect((await slo.get('checkout-availability')).policy.state).toBe('halted');

      const alice = await member('alice', ['payments']);
      const bob = await member('bob', ['search']);
      await expectError(slo.overridePolicy(bob, 'checkout', { reason: 'hotfix', until: '2h' }), NotAllowedError);
      await expectError(slo.overridePolicy(alice, 'checkout', { reason: ' ', until: '2h' }), InputError);
      await expectError(slo.overridePolicy(alice, 'checkout', { reason: 'hotfix', until: '2020-01-01T00:00:00Z' }), InputError);
      const lifted = await slo.overridePolicy(alice, 'checkout', { reason: 'hotfix for the outage', until: '2h' });
      expect(lifted).toMatchObject({
        state: 'warn',
        actions: ['warn'],
        override: { reason: 'hotfix for the outage', actor: 'user:alice', until: NOW + 2 * HOUR },
      });
      const [entry] = await entries('slo.policy.overridden');
      expect(entry).toMatchObject({ actor: 'user:alice', data: { service: 'checkout', reason: 'hotfix for the outage' } });

      clock.advance(2 * HOUR + 1);
      expect(await slo.policy('checkout')).toMatchObject({ state: 'halted', override: null });
    });

    it('knows services without SLOs and refuses unknown ones', async () => {
      expect(await slo.policy('search')).toMatchObject({ service: 'search', state: 'ok', remainingRatio: null });
      await expectError(slo.policy('nope'), NotFoundError);
    });

    it('shows every service on the overview', async () => {
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - HOUR, NOW, 100, () => 100),
      );
      const { services } = await slo.overview();
      expect(services.map((s) => [s.name, s.policy.state])).toEqual([
        ['checkout', 'halted'],
        ['ledger', 'ok'],
        ['search', 'ok'],
      ]);
      expect(services[0]).toMatchObject({
        title: 'Checkout',
        owner: 'payments',
        tier: 'tier-1',
        slos: [{ name: 'checkout-availability', sli: 0, target: 0.99, state: 'exhausted' }],
      });
    });
  });

  describe('config as code', () => {
    const full = () =>
      sloState({
        dataSources: [{ name: 'prom', type: 'prometheus', url: 'http://prometheus:9090' }],
        slis: [
          { name: 'checkout-requests', service: 'checkout' },
          {
            name: 'search-errors',
            service: 'search',
            source: 'prometheus',
            prometheus: { dataSource: 'prom', bad: 'http_requests_total{code=~"5.."}', total: 'http_requests_total' },
          },
        ],
        slos: [
          { ...availability, labels: { team: 'payments', tier: '1' } },
          { name: 'search-availability', service: 'search', sli: 'search-errors', objectives: [{ target: 0.999 }] },
        ],
        slas: [
          {
            name: 'checkout-sla',
            slo: 'checkout-availability',
            target: 0.999,
            penalties: [
              { below: 0.99, creditPercent: 25 },
              { below: 0.999, creditPercent: 10 },
            ],
          },
        ],
        policies: [{ service: 'checkout', rules: [{ whenRemainingBelow: 0, actions: ['halt-deploys', 'warn'] }] }],
        maintenanceWindows: [
          {
            name: 'sunday-maintenance',
            services: ['search', 'checkout'],
            start: '2026-03-01T02:00:00+01:00',
            duration: '1h',
            rrule: 'FREQ=WEEKLY;BYDAY=SU',
          },
        ],
      });

    it('round-trips through snapshot, and a second apply changes nothing', async () => {
      const result = await applySlo(db, slo, full());
      expect(result.created.sort()).toEqual([
        'datasource:prom',
        'maintenance:sunday-maintenance',
        'policy:checkout',
        'sla:checkout-sla',
        'sli:checkout-requests',
        'sli:search-errors',
        'slo:checkout-availability',
        'slo:search-availability',
      ]);
      const desired = full();
      const snapshot = await slo.snapshot();
      expect(snapshot).toEqual(
        normalizeSloState({
          ...desired,
          slis: desired.slis.map((s) => ({ ...s, configSource: 'repo' })),
          slos: desired.slos.map((s) => ({ ...s, source: 'repo' })),
          slas: desired.slas.map((s) => ({ ...s, source: 'repo' })),
          dataSources: desired.dataSources.map((s) => ({ ...s, source: 'repo' })),
          policies: desired.policies.map((s) => ({ ...s, source: 'repo' })),
          maintenanceWindows: desired.maintenanceWindows.map((s) => ({ ...s, source: 'repo' })),
        }),
      );
      // What snapshot returns applies as a no-op.
      const again = await applySlo(db, slo, snapshot);
      expect(again.created).toEqual([]);
      expect(again.updated).toEqual([]);
      expect(again.unchanged).toHaveLength(8);
      const created = await entries('slo.');
      expect(created.map((e) => e.kind).sort()).toEqual([
        'slo.datasource.created',
        'slo.maintenance.created',
        'slo.policy.created',
        'slo.sla.created',
        'slo.sli.created',
        'slo.sli.created',
        'slo.slo.created',
        'slo.slo.created',
      ]);
    });

    it('updates with the changed fields journaled, and prunes only its own source', async () => {
      await applySlo(db, slo, full());
      await applySlo(db, slo, sloState({ slis: [{ name: 'manual' }] }), { source: 'ui' });
      const changed = full();
      changed.slos = changed.slos.map((s) =>
        s.name === 'checkout-availability' ? { ...s, objectives: [{ ...s.objectives[0]!, target: 0.999 }] } : s,
      );
      changed.slas = [];
      changed.maintenanceWindows = [];
      const result = await applySlo(db, slo, changed, { prune: true });
      expect(result.updated).toEqual(['slo:checkout-availability']);
      expect(result.deleted.sort()).toEqual(['maintenance:sunday-maintenance', 'sla:checkout-sla']);
      const [update] = await entries('slo.slo.updated');
      expect(update?.data.changes).toEqual({
        objectives: {
          from: [{ name: 'default', displayName: null, target: 0.9995, timeSliceTarget: null, timeSliceWindow: null }],
          to: [{ name: 'default', displayName: null, target: 0.999, timeSliceTarget: null, timeSliceWindow: null }],
        },
      });
      expect((await slo.snapshot()).slis.map((s) => s.name)).toContain('manual');
    });

    it('checks references with paths that name the object', async () => {
      const state = full();
      state.slos.push({ ...state.slos[0]!, name: 'broken', sli: 'nope', service: 'ghost' });
      state.slas.push({ ...state.slas[0]!, name: 'broken-sla', objective: 'missing' });
      state.slis.push({
        ...state.slis[1]!,
        name: 'broken-sli',
        prometheus: { dataSource: 'nope', good: null, bad: 'x', total: 'y' },
      });
      const error = await expectError(applySlo(db, slo, state), InputError);
      expect(error.issues.map((i) => i.path).sort()).toEqual([
        'slas[broken-sla].objective',
        'slis[broken-sli].prometheus.dataSource',
        'slos[broken].service',
        'slos[broken].sli',
      ]);
      expect(await slo.snapshot()).toEqual({
        slis: [],
        slos: [],
        slas: [],
        dataSources: [],
        policies: [],
        maintenanceWindows: [],
      });

      await applySlo(db, slo, full());
      // Pruning an SLI that a remaining SLO still uses is refused.
      const pruned = full();
      pruned.slis = pruned.slis.filter((s) => s.name !== 'checkout-requests');
      const refused = await expectError(applySlo(db, slo, pruned, { prune: true }), InputError);
      expect(refused.issues).toEqual([
        { path: 'slos[checkout-availability].sli', message: 'sli "checkout-requests": deleted by this apply (prune)' },
      ]);
      const bad = sloState({
        slos: [
          {
            ...availability,
            name: 'tz',
            timeWindow: { type: 'calendar', duration: '1M', startTime: '2026-01-01', timeZone: 'Mars/Base' },
          },
        ],
        maintenanceWindows: [{ name: 'm', slos: ['tz'], start: '2026-03-01T00:00:00Z', duration: '1h', rrule: 'FREQ=HOURLY' }],
      });
      const invalid = await expectError(applySlo(db, slo, bad), InputError);
      expect(invalid.issues.map((i) => i.path).sort()).toEqual(['maintenanceWindows[m].rrule', 'slos[tz].timeWindow.timeZone']);
    });

    it("lets a team write only its services' SLOs", async () => {
      const bob = await member('bob', ['search']);
      const alice = await member('alice', ['payments']);
      const checkoutOnly = sloState({ slis: [{ name: 'checkout-requests', service: 'checkout' }], slos: [availability] });
      await expectError(applySlo(db, slo, checkoutOnly, { principal: bob }), NotAllowedError);
      expect((await applySlo(db, slo, checkoutOnly, { principal: alice })).created).toHaveLength(2);
    });

    it('deletes an SLI with its data when pruned', async () => {
      await applySlo(db, slo, basic());
      await slo.ingest(admin, 'checkout-latency', { events: [{ timestamp: NOW, value: 5 }] });
      const state = basic();
      state.slis = state.slis.filter((s) => s.name !== 'checkout-latency');
      expect((await applySlo(db, slo, state, { prune: true })).deleted).toEqual(['sli:checkout-latency']);
      expect(await db.kysely.selectFrom('sli_minutes').selectAll().execute()).toEqual([]);
    });
  });

  describe('retention', () => {
    it('rolls minutes up into hours and deletes what is past retention', async () => {
      await applySlo(db, slo, basic());
      await ingestAll(
        slo,
        'checkout-requests',
        minuteCounts(NOW - 34 * DAY, NOW - 34 * DAY + 2 * HOUR, 10, () => 1),
      );
      await ingestAll(slo, 'checkout-requests', minuteCounts(NOW - HOUR, NOW, 10));
      expect(await slo.rollup()).toBe(true);
      const hours = await db.kysely.selectFrom('sli_hours').select(['hour', 'good', 'total']).orderBy('hour').execute();
      expect(hours.map((h) => [Number(h.hour) * HOUR, Number(h.good), Number(h.total)])).toEqual([
        [NOW - 34 * DAY, 540, 600],
        [NOW - 34 * DAY + HOUR, 540, 600],
        [NOW - HOUR, 600, 600],
      ]);
      clock.advance(2 * DAY);
      expect(await slo.rollup()).toBe(true);
      expect((await minutes()).length).toBe(60);
      // The series reaches past the per-minute horizon through the hourly rollup.
      const series = await slo.series('checkout-availability', {
        from: NOW - 34 * DAY,
        to: NOW - 34 * DAY + 2 * HOUR,
        stepMs: HOUR,
      });
      expect(series.sli.map((p) => p.total)).toEqual([600, 600]);
    });

    describe('windows longer than the per-minute data', () => {
      // 80 days into the first quarter of 2026 (UTC), and data from a week before it began.
      const LATER = Date.parse('2026-03-22T10:00:00Z');
      const QUARTER = Date.parse('2026-01-01T00:00:00Z');
      const DATA_FROM = Date.parse('2025-12-25T00:00:00Z');
      const quarter = { type: 'calendar', duration: '1Q', startTime: '2026-01-01 00:00:00', timeZone: 'UTC' };
      const SPELL = Date.parse('2026-01-10T12:00:00Z');

      /** Every 10 minutes 100 events, 1 bad; one whole minute bad on 10 January (past the minutes' retention). */
      function events(): store.MinuteCounts[] {
        const out: store.MinuteCounts[] = [];
        for (let at = DATA_FROM; at < LATER; at += 10 * MINUTE) out.push({ minute: at / MINUTE, good: 99, total: 100 });
        out.push({ minute: SPELL / MINUTE + 1, good: 0, total: 500 });
        return out;
      }
      const sumOver = (rows: store.MinuteCounts[], from: number, to: number) =>
        rows
          .filter((r) => r.minute * MINUTE >= from && r.minute * MINUTE < to)
          .reduce((a, r) => ({ good: a.good + r.good, total: a.total + r.total }), { good: 0, total: 0 });

      async function seed(slos: object[]): Promise<store.MinuteCounts[]> {
        clock.set(LATER);
        await applySlo(db, slo, sloState({ slis: [{ name: 'checkout-requests', service: 'checkout' }], slos }));
        const sli = await store.findSli(db.kysely, 'checkout-requests');
        const rows = events();
        // Written straight to the table: ingestion refuses anything older than 35 days.
        await store.addMinutes(db.kysely, sli?.id ?? '', rows);
        expect(await slo.rollup()).toBe(true);
        const oldest = Math.min(...(await minutes()).map((m) => m.minute)) * MINUTE;
        expect(oldest).toBeGreaterThanOrEqual(LATER - 35 * DAY - HOUR);
        return rows;
      }

      it('sums a calendar quarter of Occurrences exactly from hourly rollups and minutes', async () => {
        const rows = await seed([
          {
            ...availability,
            objectives: [{ target: 0.999 }],
            timeWindow: quarter,
            alerting: {
              rules: [{ name: 'slow', severity: 'ticket', budgetShare: 0.5, longWindow: '50d', shortWindow: '1d' }],
            },
          },
        ]);
        const want = sumOver(rows, QUARTER, LATER);
        const [o] = (await slo.get('checkout-availability')).objectives;
        expect(o).toMatchObject({ windowStart: QUARTER, good: want.good, total: want.total });
        expect(o?.approximate).toBeUndefined();
        const bad = want.total - want.good;
        expect(o?.consumedEvents).toBeCloseTo(bad, 6);
        expect(o?.remainingEvents).toBeCloseTo(0.001 * want.total - bad, 6);
        expect(o?.remainingRatio).toBeCloseTo(1 - bad / (0.001 * want.total), 9);

        // The burn-down starts at the quarter and ends at the status.
        const series = await slo.series('checkout-availability', { stepMs: DAY });
        expect(series.burnDown[0]?.at).toBe(QUARTER);
        expect(series.burnDown.at(-1)?.remainingRatio).toBeCloseTo(o?.remainingRatio ?? Number.NaN, 9);
        expect(series.sli.reduce((a, p) => a + p.total, 0)).toBe(want.total);

        // A burn-rate rule whose long window reaches into the rollup counts every event there.
        expect((await slo.evaluate()).fired).toBe(1);
        const [alert] = await slo.alerts();
        expect(alert?.data.longEvents).toBe(sumOver(rows, LATER - 50 * DAY, LATER).total);
      });

      it('sums a rolling 90 days exactly', async () => {
        const rows = await seed([{ ...availability, timeWindow: { type: 'rolling', duration: '90d' } }]);
        const want = sumOver(rows, LATER - 90 * DAY, LATER);
        expect(want.total).toBe(sumOver(rows, 0, LATER).total);
        const [o] = (await slo.get('checkout-availability')).objectives;
        expect(o).toMatchObject({ good: want.good, total: want.total });
        expect(o?.approximate).toBeUndefined();
      });

      it('marks 5-minute slices over the rolled-up part approximate, and whole hours exact', async () => {
        await seed([
          {
            ...availability,
            timeWindow: quarter,
            budgetingMethod: 'Timeslices',
            objectives: [
              { name: 'five-minutes', target: 0.99, timeSliceWindow: '5m', timeSliceTarget: 0.95 },
              { name: 'hours', target: 0.99, timeSliceWindow: '1h', timeSliceTarget: 0.98 },
            ],
          },
        ]);
        const [five, hours] = (await slo.get('checkout-availability')).objectives;
        expect(five?.approximate).toBe(true);
        // Every hour holds six 1 %-bad buckets (good hour), except the one with the bad spell.
        expect(hours?.approximate).toBeUndefined();
        expect(hours).toMatchObject({ good: (LATER - QUARTER) / HOUR - 1, total: (LATER - QUARTER) / HOUR });
      });

      it('leaves a 28-day SLO as it was', async () => {
        const rows = await seed([availability]);
        const want = sumOver(rows, LATER - 28 * DAY, LATER);
        const [o] = (await slo.get('checkout-availability')).objectives;
        expect(o).toMatchObject({ windowStart: LATER - 28 * DAY, good: want.good, total: want.total });
        expect(o && 'approximate' in o).toBe(false);
      });
    });
  });
});
