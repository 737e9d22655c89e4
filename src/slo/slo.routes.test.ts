import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDialects } from '../db/testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { applySlo, ingestAll, minuteCounts, seedCatalog, sloState } from './slo.testing.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;

describe.each(testDialects)('SLO routes on %s', (dialect) => {
  let t: TestVigil;
  let now: number;

  beforeEach(async () => {
    t = await createTestVigil(dialect);
    now = t.clock.now();
    await seedCatalog(t.db, t.vigil.catalog);
    await applySlo(
      t.db,
      t.vigil.slo,
      sloState({
        slis: [
          { name: 'checkout-requests', service: 'checkout' },
          { name: 'search-requests', service: 'search' },
        ],
        slos: [
          { name: 'checkout-availability', service: 'checkout', sli: 'checkout-requests', objectives: [{ target: 0.999 }] },
          {
            name: 'search-availability',
            service: 'search',
            sli: 'search-requests',
            timeWindow: { type: 'rolling', duration: '1d' },
            objectives: [{ target: 0.99 }],
          },
        ],
      }),
    );
  });
  afterEach(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'POST', url: string, role: keyof TestVigil['tokens'] | null = 'read', payload?: object) =>
    t.app.inject({ method, url, headers: role ? t.as(role) : {}, ...(payload ? { payload } : {}) });

  it('ingests batches with the ingest scope, per-item rejections and idempotent retries', async () => {
    const batch = {
      batchId: 'b-1',
      events: [
        { timestamp: new Date(now - MINUTE).toISOString(), good: 99, total: 100 },
        { timestamp: now + HOUR, good: 1, total: 1 },
        { timestamp: now, good: 2, total: 1 },
      ],
    };
    const res = await call('POST', '/api/v1/slis/checkout-requests/events', 'ingest', batch);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      accepted: 1,
      rejected: [
        { index: 1, reason: 'timestamp is more than 5 minutes in the future' },
        { index: 2, reason: 'good is greater than total' },
      ],
      duplicate: false,
    });
    expect((await call('POST', '/api/v1/slis/checkout-requests/events', 'ingest', batch)).json()).toEqual({
      accepted: 0,
      rejected: [],
      duplicate: true,
    });
    expect((await call('POST', '/api/v1/slis/checkout-requests/events', 'read', batch)).statusCode).toBe(403);
    expect((await call('POST', '/api/v1/slis/checkout-requests/events', null, batch)).statusCode).toBe(401);
    expect((await call('POST', '/api/v1/slis/nope/events', 'ingest', batch)).statusCode).toBe(404);

    const malformed = await call('POST', '/api/v1/slis/checkout-requests/events', 'ingest', {
      events: [{ timestamp: now, good: 1 }],
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-type']).toContain('application/problem+json');
    const tooMany = Array.from({ length: 10_001 }, () => ({ timestamp: now, good: 1, total: 1 }));
    expect((await call('POST', '/api/v1/slis/checkout-requests/events', 'ingest', { events: tooMany })).statusCode).toBe(400);
    // A full batch of 10,000 fits the route's body limit.
    const full = Array.from({ length: 10_000 }, (_, i) => ({
      timestamp: new Date(now - (i % 60) * 1000).toISOString(),
      good: 1,
      total: 1,
    }));
    expect((await call('POST', '/api/v1/slis/checkout-requests/events', 'ingest', { events: full })).json()).toMatchObject({
      accepted: 10_000,
    });
  });

  it('lists SLIs and SLOs, lowest remaining budget first, and shows one', async () => {
    await ingestAll(
      t.vigil.slo,
      'search-requests',
      minuteCounts(now - HOUR, now, 100, (at) => ((at / MINUTE) % 2 === 0 ? 1 : 0)),
    );
    await ingestAll(t.vigil.slo, 'checkout-requests', minuteCounts(now - HOUR, now, 100));

    const slis = (await call('GET', '/api/v1/slis')).json();
    expect(slis.items.map((s: { name: string; slos: string[] }) => [s.name, s.slos])).toEqual([
      ['checkout-requests', ['checkout-availability']],
      ['search-requests', ['search-availability']],
    ]);

    const list = await call('GET', '/api/v1/slos');
    expect(list.statusCode).toBe(200);
    const items = list.json().items;
    expect(items.map((s: { name: string }) => s.name)).toEqual(['search-availability', 'checkout-availability']);
    expect(items[0]).toMatchObject({
      service: 'search',
      owner: 'search',
      budgetingMethod: 'Occurrences',
      timeWindow: { type: 'rolling', duration: '1d' },
      policy: { state: 'ok', actions: [] },
      alerts: [],
      objectives: [{ objective: 'default', target: 0.99, total: 6000, good: 5970, budgetMinutes: 14.4, remainingRatio: 0.5 }],
    });

    const one = await call('GET', '/api/v1/slos/checkout-availability');
    expect(one.json()).toMatchObject({ name: 'checkout-availability', objectives: [{ remainingRatio: 1, sli: 1 }] });
    expect((await call('GET', '/api/v1/slos/nope')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/slos', null)).statusCode).toBe(401);
  });

  it('answers the series of an SLO', async () => {
    await ingestAll(
      t.vigil.slo,
      'checkout-requests',
      minuteCounts(now - 2 * HOUR, now, 10, (at) => (at === now - HOUR ? 10 : 0)),
    );
    const from = new Date(now - 2 * HOUR).toISOString();
    const res = await call('GET', `/api/v1/slos/checkout-availability/series?from=${from}&step=1h`);
    expect(res.statusCode).toBe(200);
    expect(res.json().sli).toEqual([
      { at: now - 2 * HOUR, good: 600, total: 600, value: 1 },
      { at: now - HOUR, good: 590, total: 600, value: 590 / 600 },
    ]);
    expect(res.json().burnDown.at(-1).at).toBe(now);
    const byMs = await call('GET', `/api/v1/slos/checkout-availability/series?from=${now - HOUR}&to=${now}`);
    expect(byMs.json().sli, byMs.body).toHaveLength(60);
    expect((await call('GET', '/api/v1/slos/checkout-availability/series?step=soon')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/slos/checkout-availability/series?objective=nope')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/slos/checkout-availability/series?from=yesterday')).statusCode).toBe(400);
  });

  it('reports and overrides a service’s policy', async () => {
    await ingestAll(
      t.vigil.slo,
      'checkout-requests',
      minuteCounts(now - HOUR, now, 100, () => 50),
    );
    const policy = await call('GET', '/api/v1/services/checkout/policy');
    expect(policy.statusCode).toBe(200);
    expect(policy.json()).toMatchObject({
      service: 'checkout',
      state: 'halted',
      actions: ['warn', 'halt-deploys', 'halt-flag-ramps'],
    });
    expect((await call('GET', '/api/v1/services/nope/policy')).statusCode).toBe(404);

    const body = { reason: 'ship the fix for the outage', until: '2h' };
    expect((await call('POST', '/api/v1/services/checkout/policy/override', 'read', body)).statusCode).toBe(403);
    // The write-scoped user is not in the payments team.
    expect((await call('POST', '/api/v1/services/checkout/policy/override', 'write', body)).statusCode).toBe(403);
    const lifted = await call('POST', '/api/v1/services/checkout/policy/override', 'admin', body);
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json()).toMatchObject({ state: 'warn', override: { reason: body.reason, until: now + 2 * HOUR } });
    const past = await call('POST', '/api/v1/services/checkout/policy/override', 'admin', {
      ...body,
      until: '2020-01-01T00:00:00Z',
    });
    expect(past.statusCode).toBe(400);
    expect(past.json().errors).toEqual([{ path: 'until', message: 'must be in the future' }]);
  });

  it('lists burn-rate alerts and the overview', async () => {
    await ingestAll(
      t.vigil.slo,
      'checkout-requests',
      minuteCounts(now - HOUR, now, 100, () => 50),
    );
    await t.vigil.slo.evaluate();
    const firing = (await call('GET', '/api/v1/slo-alerts')).json().items;
    expect(firing.map((a: { rule: string }) => a.rule).sort()).toEqual(['page-fast', 'page-slow', 'ticket']);
    expect(firing[0]).toMatchObject({ slo: 'checkout-availability', objective: 'default', state: 'firing' });
    expect((await call('GET', '/api/v1/slo-alerts?state=resolved')).json().items).toEqual([]);
    expect((await call('GET', '/api/v1/slo-alerts?state=all&slo=search-availability')).json().items).toEqual([]);
    expect((await call('GET', '/api/v1/slo-alerts?state=bogus')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/slos/checkout-availability')).json().alerts).toHaveLength(3);
    // Burn-rate alerts go through the alert pipeline too: pages as critical, tickets as warnings.
    const raised = (await call('GET', '/api/v1/alerts')).json().items as Array<{
      dedupKey: string;
      severity: string;
      origin: string;
      service: string;
    }>;
    expect(raised.map((a) => [a.dedupKey, a.severity, a.origin, a.service]).sort()).toEqual([
      ['slo:checkout-availability:default:page-fast', 'critical', 'slo', 'checkout'],
      ['slo:checkout-availability:default:page-slow', 'critical', 'slo', 'checkout'],
      ['slo:checkout-availability:default:ticket', 'warning', 'slo', 'checkout'],
    ]);

    const overview = (await call('GET', '/api/v1/overview')).json();
    expect(overview.services.map((s: { name: string; policy: { state: string } }) => [s.name, s.policy.state])).toEqual([
      ['checkout', 'halted'],
      ['ledger', 'ok'],
      ['search', 'ok'],
    ]);
    expect(overview.services[0]).toMatchObject({
      title: 'Checkout',
      owner: 'payments',
      tier: 'tier-1',
      slos: [{ name: 'checkout-availability', target: 0.999, sli: 0.5, state: 'exhausted' }],
    });
    expect(overview.services[2].slos).toEqual([
      { name: 'search-availability', displayName: null, remainingRatio: 1, sli: null, target: 0.99, state: 'no-data' },
    ]);
  });

  it('documents every SLO route in OpenAPI under the slo tag', async () => {
    const spec = (await call('GET', '/openapi.json', null)).json();
    const paths = Object.entries(spec.paths as Record<string, Record<string, { tags?: string[] }>>)
      .filter(([, ops]) => Object.values(ops).some((op) => op.tags?.includes('slo')))
      .map(([path]) => path)
      .sort();
    expect(paths).toEqual([
      '/api/v1/overview',
      '/api/v1/services/{name}/policy',
      '/api/v1/services/{name}/policy/override',
      '/api/v1/slis',
      '/api/v1/slis/{name}/events',
      '/api/v1/slo-alerts',
      '/api/v1/slos',
      '/api/v1/slos/{name}',
      '/api/v1/slos/{name}/series',
    ]);
  });
});
