import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CatalogService } from '../catalog/index.ts';
import { FakeClock } from '../core/clock.ts';
import { createTestDatabase, type TestDatabase } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { seededRandom, startSloSimulator } from './simulator.ts';
import { SloService } from './slo.service.ts';
import { applySlo, seedCatalog, sloState } from './slo.testing.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('SLO demo traffic simulator', () => {
  let tdb: TestDatabase;
  let clock: FakeClock;
  let slo: SloService;

  beforeEach(async () => {
    tdb = await createTestDatabase('sqlite');
    clock = new FakeClock('2026-03-02T10:00:00Z');
    const journal = new Journal(clock);
    const catalog = new CatalogService({ db: tdb.db, clock, journal });
    slo = new SloService({ db: tdb.db, clock, journal, catalog });
    await seedCatalog(tdb.db, catalog);
    await applySlo(
      tdb.db,
      slo,
      sloState({
        slis: [
          { name: 'checkout-requests', service: 'checkout' },
          { name: 'checkout-latency', service: 'checkout', threshold: { op: 'lt', value: 300 } },
          { name: 'from-prometheus', source: 'prometheus', prometheus: { dataSource: 'prom', bad: 'errors', total: 'requests' } },
        ],
        dataSources: [{ name: 'prom', type: 'prometheus', url: 'http://prometheus:9090' }],
        slos: [
          { name: 'checkout-availability', service: 'checkout', sli: 'checkout-requests', objectives: [{ target: 0.999 }] },
          {
            name: 'checkout-latency',
            service: 'checkout',
            sli: 'checkout-latency',
            objectives: [{ target: 0.99 }],
          },
        ],
      }),
    );
  });
  afterEach(async () => {
    await tdb.destroy();
  });

  it('backfills history once, then sends live traffic each tick', async () => {
    const sim = startSloSimulator({ slo, clock, backfillDays: 2, random: seededRandom(7), intervalMs: 3_600_000 });
    await sim.ready;
    const [availability] = await slo.status('checkout-availability');
    const backfilled = availability?.objectives[0]?.total ?? 0;
    // Two days of a few hundred requests a minute, a little of it failing.
    expect(backfilled).toBeGreaterThan(2 * 1440 * 100);
    expect(availability?.objectives[0]?.remainingRatio).toBeLessThan(1);
    const sliStates = await slo.listSlis();
    expect(sliStates.find((s) => s.name === 'from-prometheus')?.lastEventAt).toBeNull();

    clock.advance(MINUTE);
    await sim.tick();
    clock.advance(MINUTE);
    await sim.tick();
    const after = (await slo.get('checkout-availability')).objectives[0]?.total ?? 0;
    expect(after).toBeGreaterThan(backfilled);
    // Raw latency observations arrive and fill histograms.
    expect((await slo.listSlis()).find((s) => s.name === 'checkout-latency')?.lastEventAt).toBeGreaterThan(
      clock.now() - 3 * MINUTE,
    );
    const histograms = await tdb.db.kysely.selectFrom('sli_histograms').select('minute').execute();
    expect(histograms.length).toBeGreaterThan(0);
    await sim.stop();

    // A restart does not backfill again: the SLIs already have data.
    const again = startSloSimulator({ slo, clock, backfillDays: 2, random: seededRandom(8), intervalMs: 3_600_000 });
    await again.ready;
    await again.stop();
    expect((await slo.get('checkout-availability')).objectives[0]?.total).toBe(after);
  });

  it('has occasional bad spells that burn budget', async () => {
    const sim = startSloSimulator({ slo, clock, backfillDays: 20, random: seededRandom(42), intervalMs: 3_600_000 });
    await sim.ready;
    await sim.stop();
    const { sli } = await slo.series('checkout-availability', { from: clock.now() - 20 * DAY, stepMs: 15 * MINUTE });
    const worst = Math.min(...sli.filter((p) => p.value !== null).map((p) => p.value ?? 1));
    expect(worst).toBeLessThan(0.999);
    const o = (await slo.get('checkout-availability')).objectives[0];
    expect(o?.remainingRatio).toBeGreaterThan(-1);
  });
});
