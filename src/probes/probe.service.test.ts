import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { systemPrincipal } from '../auth/principal.ts';
import { testDialects } from '../db/testing.ts';
import { seedCatalog, sloState } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import type { ProbeDetailOut, ProbeListOut, ProbeResultOut, ProbeSeriesOut } from './probe.api.ts';
import type { CheckResult, ProbeSpec } from './probe.model.ts';
import { ProbeRunner } from './probe.runner.ts';
import type { SetTimer } from './scheduler.ts';

const admin = systemPrincipal('test');

/** Timers that fire only when the test moves the fake clock past them. */
class Timers {
  #timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  #seq = 0;
  constructor(readonly t: TestVigil) {}

  readonly setTimer: SetTimer = (fn, ms) => {
    const timer = { at: this.t.clock.now() + ms, fn, seq: this.#seq++ };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((x) => x !== timer);
    };
  };

  async advance(ms: number): Promise<void> {
    const end = this.t.clock.now() + ms;
    for (;;) {
      await settle();
      const next = this.#timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((x) => x !== next);
      this.t.clock.set(Math.max(this.t.clock.now(), next.at));
      next.fn();
    }
    this.t.clock.set(end);
    await settle();
  }
}

function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A check that answers from a script: `+` passes, `-` fails (with a 503), repeating the last. */
function scripted(t: TestVigil, script: Record<string, string>) {
  const seen = new Map<string, number>();
  return async (spec: ProbeSpec): Promise<CheckResult> => {
    const n = seen.get(spec.name) ?? 0;
    seen.set(spec.name, n + 1);
    const plan = script[spec.name] ?? '+';
    const ok = (plan[n] ?? plan.at(-1)) === '+';
    const durationMs = ok ? 40 + (n % 5) * 10 : 120;
    return {
      ok,
      at: t.clock.now(),
      durationMs,
      phases: { dnsMs: 1, connectMs: 2, tlsMs: 0, firstByteMs: durationMs - 3, totalMs: durationMs },
      status: ok ? 200 : 503,
      bodyExcerpt: ok ? '{"status":"UP"}' : 'upstream unavailable',
      bodyTruncated: false,
      conditionResults: [{ condition: '[STATUS] == 200', ok, description: ok ? '[STATUS] == 200' : '[STATUS] (503) == 200' }],
    };
  };
}

const httpProbe = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  service: 'checkout',
  type: 'http',
  interval: '30s',
  timeout: '5s',
  retries: 1,
  http: { url: `https://${name}.example.com/health` },
  conditions: ['[STATUS] == 200'],
  ...extra,
});

describe.each(testDialects)('probes on %s', (dialect) => {
  let t: TestVigil;
  let timers: Timers;
  let runner: ProbeRunner | null = null;

  beforeEach(async () => {
    t = await createTestVigil(dialect);
    timers = new Timers(t);
    await seedCatalog(t.db, t.vigil.catalog);
  });
  afterEach(async () => {
    await runner?.stop();
    runner = null;
    await t.close();
  });

  const start = async (script: Record<string, string>, replicaId = 'r1') => {
    const r = new ProbeRunner({
      db: t.db,
      clock: t.clock,
      probes: t.vigil.probes,
      replicaId,
      check: scripted(t, script),
      setTimer: timers.setTimer,
      autoTick: false,
    });
    r.start();
    await r.sync();
    return r;
  };

  const api = async <T>(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    payload?: object,
    role: 'admin' | 'read' | 'write' = 'admin',
  ) => {
    const res = await t.app.inject({ method, url, headers: t.as(role), ...(payload ? { payload } : {}) });
    return { status: res.statusCode, body: (res.body ? res.json() : null) as T, raw: res };
  };

  it('rejects bad probes with the field at fault and writes nothing', async () => {
    const cases: Array<[object, string]> = [
      [httpProbe('a', { http: { url: 'not a url' } }), 'body.http.url'],
      [httpProbe('a', { conditions: ['[NOPE] == 1'] }), 'body.conditions.0'],
      [httpProbe('a', { interval: '5s' }), 'body.interval'],
      [httpProbe('a', { conditions: ['[STATUS] 200'] }), 'body.conditions.0'],
      [httpProbe('a', { bogus: true }), 'body'],
    ];
    for (const [payload, path] of cases) {
      const res = await api<{ errors: Array<{ path: string }> }>('POST', '/api/v1/probes', payload);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.raw.headers['content-type']).toMatch(/problem\+json/);
      expect(res.body.errors.map((e) => e.path).join(' ')).toContain(path);
    }
    const unknownService = await api<{ errors: Array<{ path: string }> }>(
      'POST',
      '/api/v1/probes',
      httpProbe('a', { service: 'nope' }),
    );
    expect(unknownService.status).toBe(400);
    expect(unknownService.body.errors[0]?.path).toBe('service');
    expect((await api<ProbeListOut>('GET', '/api/v1/probes')).body.total).toBe(0);

    expect((await api('POST', '/api/v1/probes', httpProbe('a'))).status).toBe(201);
    expect((await api('POST', '/api/v1/probes', httpProbe('a'))).status).toBe(409);
    expect((await api('POST', '/api/v1/probes', httpProbe('b'), 'read')).status).toBe(403);
    expect((await api('GET', '/api/v1/probes/missing')).status).toBe(404);
  });

  it('runs probes, goes down after retries + 1 failures, opens and resolves an alert, and keeps the history', async () => {
    await api('POST', '/api/v1/probes', httpProbe('shop'));
    await api('POST', '/api/v1/probes', httpProbe('api'));
    // shop: 4 good checks, 3 bad, then good again. retries 1 → down on the 2nd failure.
    runner = await start({ shop: '++++---+', api: '+' });
    await timers.advance(8 * 30_000);
    await runner.flush({ all: true });

    const list = (await api<ProbeListOut>('GET', '/api/v1/probes')).body;
    expect(list.items.map((p) => [p.name, p.status])).toEqual([
      ['api', 'up'],
      ['shop', 'up'],
    ]);
    expect(list.counts).toEqual({ up: 2, down: 0, unknown: 0, paused: 0 });
    const shop = (await api<ProbeDetailOut>('GET', '/api/v1/probes/shop')).body;
    expect(shop.transitions.map((x) => `${x.from}->${x.to}`)).toEqual(['down->up', 'up->down', 'unknown->up']);
    expect(shop.transitions[1]?.reason).toBe('[STATUS] (503) == 200');
    expect(shop.uptimes['24h']).toBeCloseTo(5 / 8, 10);
    expect(shop.uptime['7d']).toBeCloseTo(5 / 8, 10);
    // Down from the 6th check to the 8th: two intervals.
    expect(shop.reliability.mttrMs).toBe(60_000);
    expect(shop.reliability.failures).toBe(1);
    expect(shop.daily).toHaveLength(90);
    expect(shop.daily.at(-1)).toMatchObject({ total: 8, ok: 5 });
    expect(shop.openAlert).toBeNull();

    const alerts = (
      await api<{ items: Array<{ probe: string; state: string; reason: string; excerpt: string }> }>(
        'GET',
        '/api/v1/probe-alerts?state=all',
      )
    ).body.items;
    expect(alerts).toEqual([
      expect.objectContaining({
        probe: 'shop',
        state: 'resolved',
        reason: '[STATUS] (503) == 200',
        excerpt: 'upstream unavailable',
      }),
    ]);
    // The same episode went through the alert pipeline, opened and resolved under one dedup key.
    const raised = (
      await api<{ items: Array<{ dedupKey: string; status: string; origin: string; summary: string }> }>(
        'GET',
        '/api/v1/alerts?status=all',
      )
    ).body.items;
    expect(raised).toEqual([
      expect.objectContaining({
        dedupKey: 'probe:shop',
        status: 'resolved',
        origin: 'probe',
        summary: 'Probe shop is down: [STATUS] (503) == 200',
      }),
    ]);
    const journal = await t.db.kysely
      .selectFrom('journal')
      .select('kind')
      .where('kind', 'like', 'probe.%')
      .orderBy('at')
      .execute();
    expect(journal.map((j) => j.kind)).toEqual([
      'probe.created',
      'probe.created',
      'probe.up',
      'probe.up',
      'probe.down',
      'probe.up',
    ]);

    const results = (await api<{ items: ProbeResultOut[] }>('GET', '/api/v1/probes/shop/results?limit=3')).body.items;
    expect(results.map((r) => r.ok)).toEqual([true, false, false]);
    expect(results[1]?.conditionResults[0]?.description).toBe('[STATUS] (503) == 200');

    const series = (await api<ProbeSeriesOut>('GET', '/api/v1/probes/shop/series?range=24h')).body;
    expect(series.stepMs).toBe(600_000);
    expect(series.points).toHaveLength(144);
    const withData = series.points.filter((p) => p.total > 0);
    expect(withData.reduce((n, p) => n + p.total, 0)).toBe(8);
    expect(withData.some((p) => p.p50 !== null && p.p99 !== null)).toBe(true);
    const week = (await api<ProbeSeriesOut>('GET', '/api/v1/probes/shop/series?range=7d')).body;
    expect(week.points.reduce((n, p) => n + p.total, 0)).toBe(8);
  });

  it('keeps a down probe down while it flaps, and records an open alert with the failing check', async () => {
    await api('POST', '/api/v1/probes', httpProbe('flaky', { retries: 0, successesBeforeUp: 3 }));
    runner = await start({ flaky: '+-+-+-+-' });
    await timers.advance(8 * 30_000);
    await runner.flush({ all: true });
    const flaky = (await api<ProbeDetailOut>('GET', '/api/v1/probes/flaky')).body;
    expect(flaky.status).toBe('down');
    expect(flaky.transitions.map((x) => x.to)).toEqual(['down', 'up']);
    expect(flaky.openAlert).toMatchObject({ state: 'firing', kind: 'down', reason: '[STATUS] (503) == 200' });
  });

  it('pauses and resumes: a paused probe is not run', async () => {
    await api('POST', '/api/v1/probes', httpProbe('shop'));
    runner = await start({ shop: '+' });
    await timers.advance(60_000);
    const paused = await api<ProbeDetailOut>('POST', '/api/v1/probes/shop/pause');
    expect(paused.body.status).toBe('paused');
    await runner.sync();
    expect(runner.stats().assigned).toBe(0);
    await api('POST', '/api/v1/probes/shop/resume');
    await runner.sync();
    expect(runner.stats().assigned).toBe(1);
    expect((await api<ProbeListOut>('GET', '/api/v1/probes?status=paused')).body.total).toBe(0);
  });

  it('pages through probes with counts over the filter', async () => {
    for (let i = 1; i <= 7; i++) await api('POST', '/api/v1/probes', httpProbe(`p${i}`, i > 5 ? { service: 'search' } : {}));
    const page = (await api<ProbeListOut>('GET', '/api/v1/probes?limit=3&offset=3')).body;
    expect(page.items.map((p) => p.name)).toEqual(['p4', 'p5', 'p6']);
    expect(page.total).toBe(7);
    expect(page.counts.unknown).toBe(7);
    const search = (await api<ProbeListOut>('GET', '/api/v1/probes?service=search')).body;
    expect(search.items.map((p) => p.name)).toEqual(['p6', 'p7']);
    expect((await api<ProbeListOut>('GET', '/api/v1/probes?q=p1')).body.total).toBe(1);
    expect((await api('GET', '/api/v1/probes?limit=0')).status).toBe(400);
  });

  it('heartbeats: pings bring it up, a missed deadline takes it down with an alert', async () => {
    const created = await api<ProbeDetailOut>('POST', '/api/v1/probes', {
      name: 'nightly-backup',
      service: 'ledger',
      type: 'heartbeat',
      heartbeat: { period: '1h', grace: '5m' },
    });
    expect(created.status).toBe(201);
    expect(created.body.heartbeat?.deadlineAt).toBe(t.clock.now() + 65 * 60_000);
    const { body: key } = await api<{ key: string; path: string }>('GET', '/api/v1/probes/nightly-backup/heartbeat-key');
    expect(key.path).toBe(`/api/v1/heartbeats/${key.key}`);
    expect((await api('GET', '/api/v1/probes/nightly-backup/heartbeat-key', undefined, 'read')).status).toBe(403);

    const ping = await t.app.inject({
      method: 'POST',
      url: key.path,
      payload: 'backup done: 42 GB',
      headers: { 'content-type': 'text/plain' },
    });
    expect(ping.statusCode).toBe(200);
    expect(ping.json()).toEqual({ ok: true, probe: 'nightly-backup', status: 'up' });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/heartbeats/hb_not-a-real-key' })).statusCode).toBe(404);

    t.clock.advance(64 * 60_000);
    expect(await t.vigil.probes.checkHeartbeats()).toBe(0);
    t.clock.advance(2 * 60_000);
    expect(await t.vigil.probes.checkHeartbeats()).toBe(1);
    expect(await t.vigil.probes.checkHeartbeats()).toBe(0);
    let detail = (await api<ProbeDetailOut>('GET', '/api/v1/probes/nightly-backup')).body;
    expect(detail.status).toBe('down');
    expect(detail.openAlert).toMatchObject({ kind: 'missed-heartbeat', reason: 'no ping within 1h + 5m grace' });
    const raised = (await api<{ items: Array<{ dedupKey: string; origin: string; service: string }> }>('GET', '/api/v1/alerts'))
      .body.items;
    expect(raised).toEqual([
      expect.objectContaining({ dedupKey: 'probe:nightly-backup', origin: 'heartbeat', service: 'ledger' }),
    ]);

    const form = await t.app.inject({
      method: 'POST',
      url: key.path,
      payload: 'a=b',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.json().status).toBe('up');
    detail = (await api<ProbeDetailOut>('GET', '/api/v1/probes/nightly-backup')).body;
    expect(detail.openAlert).toBeNull();
    expect(detail.uptimes['24h']).toBeCloseTo(2 / 3, 10);
    const failed = await t.app.inject({ method: 'GET', url: `${key.path}/fail` });
    expect(failed.json().status).toBe('down');

    const rotated = await api<{ key: string }>('POST', '/api/v1/probes/nightly-backup/heartbeat-key/rotate');
    expect(rotated.body.key).not.toBe(key.key);
    expect((await t.app.inject({ method: 'POST', url: key.path })).statusCode).toBe(404);
    expect((await api('POST', '/api/v1/probes/nightly-backup/run')).status).toBe(400);
  });

  it('feeds SLIs that read a probe, availability and latency', async () => {
    await api('POST', '/api/v1/probes', httpProbe('shop'));
    await t.db.kysely.transaction().execute((trx) =>
      t.vigil.slo.applyDesired(
        trx,
        admin,
        sloState({
          slis: [
            { name: 'shop-up', service: 'checkout', source: 'probe', probe: 'shop' },
            { name: 'shop-fast', service: 'checkout', source: 'probe', probe: 'shop', threshold: { op: 'lt', value: 55 } },
          ],
        }),
        { source: 'test', prune: false },
      ),
    );
    runner = await start({ shop: '+++-' });
    await timers.advance(4 * 30_000);
    await runner.flush({ all: true });
    const sums = await t.db.kysely
      .selectFrom('sli_minutes')
      .innerJoin('slis', 'slis.id', 'sli_minutes.sli_id')
      .select(['slis.name', (eb) => eb.fn.sum<number>('good').as('good'), (eb) => eb.fn.sum<number>('total').as('total')])
      .groupBy('slis.name')
      .orderBy('slis.name')
      .execute();
    // Latencies 40, 50, 60 ms then a failure: two of four under 55 ms.
    expect(sums.map((s) => [s.name, Number(s.good), Number(s.total)])).toEqual([
      ['shop-fast', 2, 4],
      ['shop-up', 3, 4],
    ]);
    expect((await api<ProbeDetailOut>('GET', '/api/v1/probes/shop')).body.slis).toEqual(['shop-fast', 'shop-up']);
    const pushed = await api('POST', '/api/v1/slis/shop-up/events', {
      events: [{ timestamp: t.clock.now(), good: 1, total: 1 }],
    });
    expect(pushed.status).toBe(400);
  });

  it('divides probes between replicas and moves them when one leaves', async () => {
    for (let i = 1; i <= 40; i++) await api('POST', '/api/v1/probes', httpProbe(`p${i}`));
    const a = await start({}, 'replica-a');
    const b = await start({}, 'replica-b');
    await a.sync();
    expect(a.stats().replicas).toBe(2);
    expect(a.stats().assigned + b.stats().assigned).toBe(40);
    expect(a.stats().assigned).toBeGreaterThan(5);
    expect(b.stats().assigned).toBeGreaterThan(5);
    await b.stop();
    await a.sync();
    expect(a.stats().assigned).toBe(40);
    runner = a;
  });

  it('serves a badge and deletes a probe with its history', async () => {
    await api('POST', '/api/v1/probes', httpProbe('shop'));
    runner = await start({ shop: '+' });
    await timers.advance(2 * 30_000);
    await runner.flush({ all: true });
    const badge = await t.app.inject({ method: 'GET', url: '/api/v1/probes/shop/badge.svg?window=24h' });
    expect(badge.statusCode).toBe(200);
    expect(badge.headers['content-type']).toMatch(/image\/svg\+xml/);
    expect(badge.body).toContain('uptime 24h: 100%');
    const status = await t.app.inject({ method: 'GET', url: '/api/v1/probes/shop/badge.svg?window=status' });
    expect(status.body).toContain('shop: up');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/probes/nope/badge.svg' })).statusCode).toBe(404);

    expect((await api('DELETE', '/api/v1/probes/shop')).status).toBe(204);
    for (const table of ['probe_minutes', 'probe_hours', 'probe_results', 'probe_states'] as const) {
      const n = await t.db.kysely
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(n.n), table).toBe(0);
    }
    // Results taken before the delete have nowhere to go and are dropped, not retried forever.
    await timers.advance(30_000);
    await runner.flush({ all: true });
    expect(runner.stats().lastFlushError).toBeNull();
  });
});

describe('running a probe on demand against a real server', () => {
  let t: TestVigil;
  let server: http.Server;
  let port = 0;
  beforeAll(async () => {
    t = await createTestVigil('sqlite');
    await seedCatalog(t.db, t.vigil.catalog);
    server = http.createServer((req, res) => {
      res.writeHead(req.url === '/bad' ? 500 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: req.url === '/bad' ? 'DOWN' : 'UP' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns phases and condition results, and leaves history alone', async () => {
    for (const path of ['/ok', '/bad']) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/probes',
        headers: t.as('admin'),
        payload: httpProbe(path.slice(1), {
          http: { url: `http://127.0.0.1:${port}${path}` },
          conditions: ['[STATUS] == 200', '[BODY].status == UP'],
        }),
      });
      expect(res.statusCode).toBe(201);
    }
    const ok = (
      await t.app.inject({ method: 'POST', url: '/api/v1/probes/ok/run', headers: t.as('write') })
    ).json() as ProbeResultOut;
    expect(ok).toMatchObject({ ok: true, status: 200 });
    expect(ok.phases.totalMs).toBeGreaterThan(0);
    expect(ok.phases.dnsMs).toBe(0);
    const bad = (
      await t.app.inject({ method: 'POST', url: '/api/v1/probes/bad/run', headers: t.as('write') })
    ).json() as ProbeResultOut;
    expect(bad.ok).toBe(false);
    expect(bad.conditionResults.map((c) => c.description)).toEqual(['[STATUS] (500) == 200', '[BODY].status (DOWN) == UP']);
    const detail = (
      await t.app.inject({ method: 'GET', url: '/api/v1/probes/bad', headers: t.as('read') })
    ).json() as ProbeDetailOut;
    expect(detail.status).toBe('unknown');
    expect(detail.lastCheckAt).toBeNull();
  });
});
