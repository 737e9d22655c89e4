import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDialects } from '../db/testing.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import type { AlertOut } from './alert.service.ts';

interface Page {
  items: AlertOut[];
  total: number;
}

describe.each(testDialects)('alert ingestion on %s', (dialect) => {
  let t: TestVigil;
  let key = '';

  beforeEach(async () => {
    t = await createTestVigil(dialect);
    await seedCatalog(t.db, t.vigil.catalog);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'checkout-pd', service: 'checkout', type: 'events-api-v2' },
    });
    expect(res.statusCode).toBe(201);
    key = res.json().key;
  });
  afterEach(async () => {
    await t.close();
  });

  const enqueue = (body: unknown, raw?: string) =>
    t.app.inject({
      method: 'POST',
      url: '/v2/enqueue',
      headers: { 'content-type': 'application/json' },
      payload: raw ?? JSON.stringify(body),
    });
  const trigger = (extra: Record<string, unknown> = {}, payload: Record<string, unknown> = {}) =>
    enqueue({
      routing_key: key,
      event_action: 'trigger',
      payload: { summary: 'Error rate 5% on checkout', source: 'checkout-7f9', severity: 'critical', ...payload },
      ...extra,
    });
  const alertsOf = async (status = 'all'): Promise<Page> =>
    (await t.app.inject({ method: 'GET', url: `/api/v1/alerts?status=${status}`, headers: t.as('read') })).json() as Page;

  it('shows the key once and keeps only its hash', async () => {
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/integrations', headers: t.as('read') })).json();
    expect(list.items).toEqual([expect.objectContaining({ name: 'checkout-pd', service: 'checkout', keyHint: key.slice(0, 8) })]);
    expect(JSON.stringify(list)).not.toContain(key);
    const stored = await t.db.kysely.selectFrom('integrations').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(key);
  });

  it('speaks the Events API v2: dedup, acknowledge, resolve, and a new alert after resolve', async () => {
    const first = await trigger({ dedup_key: 'checkout/5xx' });
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ status: 'success', message: 'Event processed', dedup_key: 'checkout/5xx' });
    t.clock.advance(1000);
    expect((await trigger({ dedup_key: 'checkout/5xx' }, { severity: 'error' })).statusCode).toBe(202);
    let page = await alertsOf();
    expect(page.total).toBe(1);
    expect(page.items[0]).toMatchObject({
      status: 'triggered',
      eventCount: 2,
      severity: 'error',
      service: 'checkout',
      integration: 'checkout-pd',
    });

    t.clock.advance(1000);
    expect((await enqueue({ routing_key: key, event_action: 'acknowledge', dedup_key: 'checkout/5xx' })).statusCode).toBe(202);
    page = await alertsOf();
    expect(page.items[0]).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'integration:checkout-pd' });
    expect(page.items[0]?.acknowledgedAt).toBe(t.clock.now());

    t.clock.advance(1000);
    expect((await enqueue({ routing_key: key, event_action: 'resolve', dedup_key: 'checkout/5xx' })).statusCode).toBe(202);
    expect((await alertsOf('open')).total).toBe(0);
    t.clock.advance(1000);
    expect((await trigger({ dedup_key: 'checkout/5xx' })).statusCode).toBe(202);
    page = await alertsOf();
    expect(page.items.map((a) => a.status)).toEqual(['triggered', 'resolved']);
    // A resolve for a key with nothing open is accepted and changes nothing, as PagerDuty does.
    t.clock.advance(1000);
    expect((await enqueue({ routing_key: key, event_action: 'resolve', dedup_key: 'nothing-open' })).statusCode).toBe(202);

    const events = await t.db.kysely.selectFrom('alert_events').select('action').orderBy('received_at').execute();
    expect(events.map((e) => e.action)).toEqual(['trigger', 'trigger', 'acknowledge', 'resolve', 'trigger', 'resolve']);
    const journal = await t.db.kysely
      .selectFrom('journal')
      .select('kind')
      .where('kind', 'like', 'alert.%')
      .orderBy('at')
      .execute();
    expect(journal.map((j) => j.kind)).toEqual(['alert.triggered', 'alert.acknowledged', 'alert.resolved', 'alert.triggered']);
  });

  it('gives a trigger without a dedup key its own key, and keeps links, images and details', async () => {
    const res = await trigger(
      { links: [{ href: 'https://grafana.example/d/1', text: 'Dashboard' }], images: [{ src: 'https://img.example/1.png' }] },
      { custom_details: { region: 'eu-west-1', errors: 512 }, component: 'api', group: 'web', class: 'http' },
    );
    expect(res.statusCode).toBe(202);
    const dedup = res.json().dedup_key as string;
    expect(dedup).toMatch(/^[0-9a-f]{32}$/);
    const [alert] = (await alertsOf()).items;
    expect(alert).toMatchObject({
      dedupKey: dedup,
      component: 'api',
      group: 'web',
      class: 'http',
      details: { region: 'eu-west-1', errors: 512 },
      links: [{ href: 'https://grafana.example/d/1', text: 'Dashboard' }],
      images: [{ src: 'https://img.example/1.png' }],
    });
  });

  it('rejects bad events with PagerDuty-style errors and never a 500', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['{not json', 400, /not valid JSON/],
      ['', 400, /empty/],
      [JSON.stringify({ event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } }), 400, /routing_key/],
      [
        JSON.stringify({
          routing_key: 'vik_nope-nope-nope',
          event_action: 'trigger',
          payload: { summary: 's', source: 'x', severity: 'info' },
        }),
        400,
        /routing_key/,
      ],
      [
        JSON.stringify({
          routing_key: key,
          event_action: 'trigger',
          payload: { summary: 'x'.repeat(1025), source: 'x', severity: 'info' },
        }),
        400,
        /summary/,
      ],
      [
        JSON.stringify({ routing_key: key, event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'fatal' } }),
        400,
        /severity/,
      ],
      [JSON.stringify({ routing_key: key, event_action: 'trigger' }), 400, /payload/],
      [JSON.stringify({ routing_key: key, event_action: 'explode' }), 400, /event_action/],
      [JSON.stringify({ routing_key: key, event_action: 'resolve' }), 400, /dedup_key/],
      [
        JSON.stringify({
          routing_key: key,
          event_action: 'trigger',
          payload: { summary: 's', source: 'x', severity: 'info', custom_details: 'x'.repeat(600_000) },
        }),
        413,
        /at most 512 KB/,
      ],
    ];
    for (const [raw, status, error] of cases) {
      const res = await enqueue(null, raw);
      expect(res.statusCode, raw.slice(0, 80)).toBe(status);
      const body = res.json();
      expect(body.errors.join(' '), raw.slice(0, 80)).toMatch(error);
      if (status === 400) expect(body).toMatchObject({ status: 'invalid event', message: 'Event object is invalid' });
    }
    expect((await alertsOf()).total).toBe(0);
    expect(await t.db.kysely.selectFrom('alert_events').selectAll().execute()).toEqual([]);
  });

  it('answers 429 with Retry-After once a key is over its rate limit', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'noisy', service: 'search', type: 'events-api-v2', rateLimitPerMinute: 2 },
    });
    const noisy = res.json().key as string;
    const send = () =>
      enqueue({ routing_key: noisy, event_action: 'trigger', payload: { summary: 's', source: 'x', severity: 'info' } });
    expect((await send()).statusCode).toBe(202);
    expect((await send()).statusCode).toBe(202);
    const limited = await send();
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    t.clock.advance(30_000);
    expect((await send()).statusCode).toBe(202);
  });

  it('applies a burst for one dedup key as one alert, every event kept', async () => {
    const results = await Promise.all(Array.from({ length: 120 }, () => trigger({ dedup_key: 'burst' })));
    expect(results.every((r) => r.statusCode === 202)).toBe(true);
    const page = await alertsOf();
    expect(page.total).toBe(1);
    expect(page.items[0]?.eventCount).toBe(120);
    const n = await t.db.kysely
      .selectFrom('alert_events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(120);
  });

  it('rotates and revokes keys', async () => {
    const rotated = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations/checkout-pd/rotate',
      headers: t.as('admin'),
    });
    const fresh = rotated.json().key as string;
    expect(fresh).not.toBe(key);
    expect((await trigger()).statusCode).toBe(400);
    key = fresh;
    expect((await trigger()).statusCode).toBe(202);
    await t.app.inject({ method: 'POST', url: '/api/v1/integrations/checkout-pd/revoke', headers: t.as('admin') });
    expect((await trigger()).statusCode).toBe(400);
  });

  it('acknowledges and resolves from the API, and reads Alertmanager webhooks', async () => {
    const am = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'search-am', service: 'search', type: 'alertmanager' },
    });
    const { path } = am.json() as { path: string };
    const webhook = (status: 'firing' | 'resolved', alerts: object[]) =>
      t.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/json' },
        payload: {
          version: '4',
          groupKey: '{}:{alertname="HighLatency"}',
          truncatedAlerts: 0,
          status,
          receiver: 'vigil',
          groupLabels: { alertname: 'HighLatency' },
          commonLabels: {},
          commonAnnotations: {},
          externalURL: 'http://alertmanager:9093',
          orgId: 1, // Grafana adds fields like this one
          alerts,
        },
      });
    const a1 = {
      status: 'firing',
      labels: { alertname: 'HighLatency', severity: 'page', instance: 'search-1' },
      annotations: { summary: 'p99 above 800 ms' },
      startsAt: '2026-03-02T09:58:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus/graph',
      fingerprint: 'aaa111',
      silenceURL: 'http://alertmanager/silence',
    };
    const a2 = { ...a1, labels: { ...a1.labels, instance: 'search-2', severity: 'warning' }, fingerprint: 'bbb222' };
    expect((await webhook('firing', [a1, a2])).statusCode).toBe(202);
    let open = await alertsOf('open');
    expect(open.items.map((a) => [a.dedupKey, a.severity, a.summary, a.origin]).sort()).toEqual([
      ['aaa111', 'critical', 'p99 above 800 ms', 'alertmanager'],
      ['bbb222', 'warning', 'p99 above 800 ms', 'alertmanager'],
    ]);
    expect((await webhook('resolved', [{ ...a1, status: 'resolved', endsAt: '2026-03-02T10:00:00Z' }])).statusCode).toBe(202);
    open = await alertsOf('open');
    expect(open.items.map((a) => a.dedupKey)).toEqual(['bbb222']);

    const id = open.items[0]?.id as string;
    const acked = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/acknowledge`, headers: t.as('write') });
    expect(acked.json()).toMatchObject({ status: 'acknowledged', acknowledgedBy: expect.stringContaining('write') });
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/acknowledge`, headers: t.as('read') })).statusCode,
    ).toBe(403);
    const resolved = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/resolve`, headers: t.as('write') });
    expect(resolved.json().status).toBe('resolved');
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${id}/resolve`, headers: t.as('write') })).statusCode).toBe(
      409,
    );

    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/integrations/alertmanager/vik_unknown-key', payload: {} })).statusCode,
    ).toBe(404);
    const bad = await t.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/json' },
      payload: '{"alerts": 5}',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatch(/alerts/);
  });
});
