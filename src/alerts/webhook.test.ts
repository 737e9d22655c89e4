import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../cli/testing.ts';
import { InputError } from '../core/errors.ts';
import { testDialects } from '../db/testing.ts';
import { registerManifestCommands } from '../manifests/manifests.cli.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { parseRouteOption, registerAlertCommands } from './alert.cli.ts';
import type { AlertOut } from './alert.service.ts';
import { type IntegrationConfig, parseIntegrationConfig, routeFor } from './integration.config.ts';
import {
  compileMapping,
  DEFAULT_WEBHOOK_MAPPING,
  derivedDedupKey,
  labelsOf,
  mapWebhookBody,
  parseJsonPath,
  readPath,
  type WebhookMapping,
} from './webhook.ts';

/** What Grafana's webhook contact point posts (an Alertmanager-shaped group, plus title, state and message). */
const GRAFANA = {
  receiver: 'vigil',
  status: 'firing',
  orgId: 1,
  alerts: [{ status: 'firing', labels: { alertname: 'HighLatency', team: 'payments' }, fingerprint: 'f1' }],
  groupLabels: { alertname: 'HighLatency' },
  commonLabels: { alertname: 'HighLatency', team: 'payments', severity: 'page', instance: 'pay-1' },
  commonAnnotations: { summary: 'p99 above 800 ms', runbook_url: 'https://runbooks.example/latency' },
  externalURL: 'https://grafana.example/',
  version: '1',
  groupKey: '{}:{alertname="HighLatency"}',
  truncatedAlerts: 0,
  title: '[FIRING:1] HighLatency (payments)',
  state: 'alerting',
  message: '**Firing** …',
};

const GRAFANA_MAPPING: WebhookMapping = {
  summary: '$.title',
  severity: '$.commonLabels.severity',
  severityMap: { page: 'critical', ticket: 'warning' },
  dedupKey: '$.groupKey',
  action: '$.status',
  actionMap: { firing: 'trigger', resolved: 'resolve' },
  source: '$.commonLabels.instance',
  labels: '$.commonLabels',
  details: '$.commonAnnotations',
  link: '$.externalURL',
};

const map = (body: unknown, mapping: WebhookMapping) => mapWebhookBody(body, compileMapping(mapping));

describe('JSONPath subset', () => {
  it('reads dotted, bracketed and indexed paths', () => {
    const body = { alert: { title: 'x', 'odd.key': 1 }, items: [{ id: 'a' }, { id: 'b' }], 'with space': true };
    const at = (path: string) => {
      const parsed = parseJsonPath(path);
      if ('error' in parsed) throw new Error(parsed.error);
      return readPath(body, parsed.segments);
    };
    expect(at('$')).toBe(body);
    expect(at('$.alert.title')).toBe('x');
    expect(at("$.alert['odd.key']")).toBe(1);
    expect(at('$["with space"]')).toBe(true);
    expect(at('$.items[1].id')).toBe('b');
    expect(at('$.items[5].id')).toBeUndefined();
    expect(at('$.alert.title.length')).toBeUndefined();
    expect(at('$.items.id')).toBeUndefined();
    // Inherited properties are not fields of the body.
    expect(at('$.alert.constructor')).toBeUndefined();
  });

  it('refuses what it does not read, saying how to write it', () => {
    for (const bad of ['alert.title', '$.', '$..x', '$.items[*]', "$['open", '$.a b', '$[-1]']) {
      expect(parseJsonPath(bad), bad).toEqual({ error: expect.stringMatching(/\$/) });
    }
  });
});

describe('mapping a webhook body', () => {
  it('maps a Grafana group: severity map, action map, labels, details and link', () => {
    const out = map(GRAFANA, GRAFANA_MAPPING);
    expect(out).toEqual({
      event: expect.objectContaining({
        action: 'trigger',
        dedupKey: '{}:{alertname="HighLatency"}',
        summary: '[FIRING:1] HighLatency (payments)',
        severity: 'critical',
        source: 'pay-1',
        details: GRAFANA.commonAnnotations,
        links: [{ href: 'https://grafana.example/', text: 'Source' }],
        labels: { alertname: 'HighLatency', team: 'payments', severity: 'critical', instance: 'pay-1', source: 'pay-1' },
        raw: GRAFANA,
      }),
    });
    const resolved = map({ ...GRAFANA, status: 'resolved', title: '[RESOLVED] HighLatency' }, GRAFANA_MAPPING);
    expect(resolved).toMatchObject({ event: { action: 'resolve', dedupKey: '{}:{alertname="HighLatency"}' } });
  });

  it('maps Datadog tags and priorities, and Sentry tag pairs with resolveWhen', () => {
    const datadog = {
      id: '7312',
      title: '[Triggered] CPU high on web-3',
      priority: 'P1',
      transition: 'Triggered',
      tags: 'env:prod,team:checkout,service:web',
      link: 'https://app.datadoghq.eu/event/event?id=7312',
      aggregate: 'agg-1',
    };
    const ddMapping: WebhookMapping = {
      summary: '$.title',
      severity: '$.priority',
      severityMap: { p1: 'critical', p2: 'error', p3: 'warning' },
      dedupKey: '$.aggregate',
      action: '$.transition',
      actionMap: { triggered: 'trigger', 're-triggered': 'trigger', recovered: 'resolve' },
      labels: '$.tags',
      link: '$.link',
    };
    expect(map(datadog, ddMapping)).toMatchObject({
      event: {
        action: 'trigger',
        severity: 'critical',
        dedupKey: 'agg-1',
        labels: { env: 'prod', team: 'checkout', service: 'web', severity: 'critical' },
      },
    });
    expect(map({ ...datadog, transition: 'Recovered' }, ddMapping)).toMatchObject({ event: { action: 'resolve' } });

    const sentry = {
      action: 'resolved',
      data: {
        issue: { id: '42', title: 'TypeError: x is undefined', level: 'warning', status: 'resolved' },
        event: {
          tags: [
            ['browser', 'Firefox'],
            ['release', '1.2.3'],
          ],
        },
      },
      url: 'https://sentry.example/issues/42/',
    };
    const sentryMapping: WebhookMapping = {
      summary: '$.data.issue.title',
      severity: '$.data.issue.level',
      severityMap: { fatal: 'critical' },
      dedupKey: '$.data.issue.id',
      resolveWhen: { path: '$.action', equals: ['resolved', 'ignored'] },
      labels: '$.data.event.tags',
      link: '$.url',
    };
    expect(map(sentry, sentryMapping)).toMatchObject({
      event: { action: 'resolve', dedupKey: '42', severity: 'warning', labels: { browser: 'Firefox', release: '1.2.3' } },
    });
    expect(map({ ...sentry, action: 'created' }, sentryMapping)).toMatchObject({ event: { action: 'trigger' } });
  });

  it('defaults: unmapped severities are error, a missing dedup key is a stable hash of summary and source', () => {
    const mapping: WebhookMapping = { summary: '$.msg', severity: '$.level', source: '$.host' };
    const a = map({ msg: 'disk full', level: 'disastrous', host: 'db-1' }, mapping);
    const b = map({ msg: 'disk full', host: 'db-1' }, mapping);
    const c = map({ msg: 'disk full', host: 'db-2', level: 'WARNING' }, mapping);
    expect(a).toMatchObject({ event: { severity: 'error', action: 'trigger', dedupKey: derivedDedupKey('disk full', 'db-1') } });
    expect(b).toMatchObject({ event: { severity: 'error', dedupKey: derivedDedupKey('disk full', 'db-1') } });
    expect(c).toMatchObject({ event: { severity: 'warning' } });
    expect('event' in c && 'event' in a && c.event.dedupKey !== a.event.dedupKey).toBe(true);
    expect(derivedDedupKey('disk full', 'db-1')).toMatch(/^[0-9a-f]{32}$/);
    // A dedup key too long to store is hashed, so the same long key still deduplicates.
    const long = map({ msg: 'x', id: 'k'.repeat(300) }, { summary: '$.msg', dedupKey: '$.id' });
    expect(long).toMatchObject({ event: { dedupKey: expect.stringMatching(/^[0-9a-f]{64}$/) } });
  });

  it('names the mapping field and path that failed', () => {
    expect(map({ alert: {} }, { summary: '$.alert.title' })).toEqual({
      issues: [{ path: 'summary', message: '$.alert.title is missing' }],
    });
    expect(map({ alert: { title: { text: 'x' } } }, { summary: '$.alert.title' })).toEqual({
      issues: [{ path: 'summary', message: '$.alert.title is an object, not text' }],
    });
    expect(map({ t: 'x', s: 'pending' }, { summary: '$.t', action: '$.s', actionMap: { firing: 'trigger' } })).toEqual({
      issues: [
        {
          path: 'action',
          message: '$.s is "pending", which is not trigger, acknowledge or resolve; map it with actionMap (maps firing)',
        },
      ],
    });
    expect(map({ t: 'x', l: 5 }, { summary: '$.t', labels: '$.l' })).toEqual({
      issues: [{ path: 'labels', message: expect.stringMatching(/^\$\.l is not an object/) }],
    });
    // A resolve with a dedup key needs no summary.
    expect(map({ id: 'k', a: 'resolve' }, { summary: '$.t', dedupKey: '$.id', action: '$.a' })).toMatchObject({
      event: { action: 'resolve', dedupKey: 'k', summary: null },
    });
  });

  it('reads labels from objects, key:value lists, pairs and comma-separated strings', () => {
    expect(labelsOf({ a: 'x', n: 3, b: true, o: { deep: 1 }, z: null })).toEqual({ a: 'x', n: '3', b: 'true', o: '{"deep":1}' });
    expect(labelsOf(['env:prod', 'team=payments', 'flag'])).toEqual({ env: 'prod', team: 'payments', flag: '' });
    expect(labelsOf([{ key: 'k', value: 'v' }])).toEqual({ k: 'v' });
    expect(labelsOf('a:1, b:2')).toEqual({ a: '1', b: '2' });
    expect(labelsOf(7)).toBeNull();
  });

  it('the default mapping reads a flat body in Vigil words', () => {
    expect(
      map(
        { summary: 'Queue backlog', severity: 'warning', dedup_key: 'q', action: 'trigger', labels: { team: 'x' } },
        DEFAULT_WEBHOOK_MAPPING,
      ),
    ).toMatchObject({ event: { summary: 'Queue backlog', severity: 'warning', dedupKey: 'q', labels: { team: 'x' } } });
  });
});

describe('integration config', () => {
  const issues = (input: unknown, type: 'webhook' | 'alertmanager' = 'webhook') => {
    try {
      parseIntegrationConfig(input, type);
    } catch (error) {
      if (error instanceof InputError) return error.issues.map((i) => `${i.path}: ${i.message}`);
      throw error;
    }
    return [];
  };

  it('validates mapping and routes, naming config fields', () => {
    expect(issues({ mapping: GRAFANA_MAPPING, routes: [{ match: ['team="payments"'], service: 'payments' }] })).toEqual([]);
    expect(issues({ mapping: {} })).toEqual([expect.stringMatching(/^config\.mapping\.summary: /)]);
    expect(issues({ mapping: { summary: 'title' } })).toEqual([
      expect.stringMatching(/^config\.mapping\.summary: "title" must start with \$/),
    ]);
    expect(issues({ mapping: { summary: '$.t', severity: '$.s', severityMap: { p1: 'urgent' } } })).toEqual([
      'config.mapping.severityMap.p1: must be one of critical, error, warning or info',
    ]);
    expect(issues({ mapping: { summary: '$.t', severityMap: { p1: 'critical' } } })).toEqual([
      'config.mapping.severityMap: needs severity: the path it maps',
    ]);
    expect(issues({ mapping: { summary: '$.t', action: '$.a', resolveWhen: { path: '$.s', equals: 'ok' } } })).toEqual([
      'config.mapping.resolveWhen: use action (with actionMap) or resolveWhen, not both',
    ]);
    expect(issues({ mapping: { summary: '$.t', colour: 'x' } })).toEqual(['config.mapping.colour: unknown field']);
    expect(issues({ mapping: { summary: '$.t' } }, 'alertmanager')).toEqual([
      expect.stringMatching(/^config\.mapping: only webhook integrations read a mapping/),
    ]);
    expect(issues({ routes: [{ match: ['team="payments"', 'sev=~"("'], service: 'payments' }] }, 'alertmanager')).toEqual([
      expect.stringMatching(/^config\.routes\[0\]\.match\[1\]: invalid regex/),
    ]);
    expect(issues({ routes: [{ match: ['team payments'], service: 'Payments!' }] })).toEqual([
      expect.stringMatching(/^config\.routes\[0\]\.service: /),
    ]);
    expect(issues({ routes: [{ match: ['team payments'], service: 'payments' }] })).toEqual([
      expect.stringMatching(/^config\.routes\[0\]\.match\[0\]: cannot parse/),
    ]);
    expect(issues({ routes: [{ match: [], service: 'payments' }] })).toEqual([
      expect.stringMatching(/^config\.routes\[0\]\.match: /),
    ]);
  });

  it('routeFor picks the first route whose matchers all match', () => {
    const config: IntegrationConfig = {
      routes: [
        { match: ['team="payments"', 'severity=~"critical|error"'], service: 'payments' },
        { match: ['team=~"pay.*"'], service: 'ledger' },
        { match: ['env=""'], service: 'search' },
      ],
    };
    expect(routeFor(config, { team: 'payments', severity: 'critical', env: 'prod' })).toBe('payments');
    expect(routeFor(config, { team: 'payments', severity: 'warning', env: 'prod' })).toBe('ledger');
    expect(routeFor(config, { team: 'checkout', severity: 'warning' })).toBe('search');
    expect(routeFor(config, { team: 'checkout', env: 'prod' })).toBeNull();
    expect(routeFor({}, { team: 'payments' })).toBeNull();
  });
});

describe.each(testDialects)('webhook ingestion on %s', (dialect) => {
  let t: TestVigil;
  let path = '';
  let key = '';

  beforeEach(async () => {
    t = await createTestVigil(dialect);
    await seedCatalog(t.db, t.vigil.catalog);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: {
        name: 'grafana',
        service: 'checkout',
        type: 'webhook',
        config: { mapping: GRAFANA_MAPPING, routes: [{ match: ['team="search"'], service: 'search' }] },
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    ({ path, key } = res.json() as { path: string; key: string });
  });
  afterEach(async () => {
    await t.close();
  });

  const post = (body: unknown, raw?: string, at = path) =>
    t.app.inject({
      method: 'POST',
      url: at,
      headers: { 'content-type': 'application/json' },
      payload: raw ?? JSON.stringify(body),
    });
  const alerts = async (): Promise<AlertOut[]> =>
    (await t.app.inject({ method: 'GET', url: '/api/v1/alerts?status=all', headers: t.as('read') })).json().items;

  it('stores the config and shows it, never the key', async () => {
    expect(path).toBe(`/api/v1/integrations/webhook/${key}`);
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/integrations', headers: t.as('read') })).json();
    expect(list.items[0]).toMatchObject({
      name: 'grafana',
      type: 'webhook',
      config: { mapping: GRAFANA_MAPPING, routes: [{ match: ['team="search"'], service: 'search' }] },
    });
    expect(JSON.stringify(list)).not.toContain(key);
  });

  it('answers 202 once the event is stored, and resolves by the mapped action', async () => {
    const res = await post(GRAFANA);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({ status: 'success', message: 'Event processed', dedup_key: GRAFANA.groupKey });
    // Durable: stored before the answer, with nothing left to drain.
    const stored = await t.db.kysely.selectFrom('alerts').selectAll().execute();
    expect(stored).toHaveLength(1);
    expect(await alerts()).toEqual([
      expect.objectContaining({
        service: 'checkout',
        integration: 'grafana',
        origin: 'webhook',
        status: 'triggered',
        severity: 'critical',
        summary: GRAFANA.title,
        details: GRAFANA.commonAnnotations,
      }),
    ]);
    t.clock.advance(1000);
    expect((await post({ ...GRAFANA, status: 'resolved', title: '[RESOLVED] HighLatency' })).statusCode).toBe(202);
    expect((await alerts()).map((a) => a.status)).toEqual(['resolved']);
    const events = await t.db.kysely.selectFrom('alert_events').select(['action', 'payload']).orderBy('received_at').execute();
    expect(events.map((e) => e.action)).toEqual(['trigger', 'resolve']);
    expect(JSON.parse(events[0]?.payload ?? '{}')).toEqual(GRAFANA);
  });

  it('sends events whose labels match a route to that service', async () => {
    const routed = { ...GRAFANA, groupKey: 'g-search', commonLabels: { ...GRAFANA.commonLabels, team: 'search' } };
    expect((await post([GRAFANA, routed])).statusCode).toBe(202);
    const byKey = Object.fromEntries((await alerts()).map((a) => [a.dedupKey, a.service]));
    expect(byKey).toEqual({ [GRAFANA.groupKey]: 'checkout', 'g-search': 'search' });
  });

  it('accepts a list of objects and returns every dedup key, derived ones included', async () => {
    const res = await post([
      { ...GRAFANA, groupKey: 'g1' },
      { ...GRAFANA, groupKey: undefined, title: 'No key here' },
    ]);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json()).toEqual({
      status: 'success',
      message: 'Events processed',
      count: 2,
      dedup_keys: ['g1', derivedDedupKey('No key here', 'pay-1')],
    });
    expect(await alerts()).toHaveLength(2);
  });

  it('refuses bad bodies with problem+json naming the mapping path, storing nothing', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['{not json', 400, /not valid JSON/],
      ['', 400, /empty/],
      ['[]', 400, /empty/],
      ['"text"', 400, /body: is not a JSON object/],
      [JSON.stringify({ ...GRAFANA, title: undefined }), 400, /^summary: \$\.title is missing$/],
      [JSON.stringify([GRAFANA, { ...GRAFANA, status: 'pending' }]), 400, /^\[1\]\.action: \$\.status is "pending"/],
      [JSON.stringify({ ...GRAFANA, message: 'x'.repeat(600_000) }), 413, /at most 512 KB/],
    ];
    for (const [raw, status, detail] of cases) {
      const res = await post(null, raw);
      expect(res.statusCode, raw.slice(0, 60)).toBe(status);
      expect(res.headers['content-type'], raw.slice(0, 60)).toContain('application/problem+json');
      expect(res.json().detail, raw.slice(0, 60)).toMatch(detail);
    }
    const missing = await post({ ...GRAFANA, title: undefined });
    expect(missing.json()).toMatchObject({
      code: 'VIGIL_INVALID_INPUT',
      errors: [{ path: 'summary', message: '$.title is missing' }],
    });
    expect(await t.db.kysely.selectFrom('alert_events').selectAll().execute()).toEqual([]);
  });

  it('answers 404 for unknown, revoked and other-type keys', async () => {
    expect((await post(GRAFANA, undefined, '/api/v1/integrations/webhook/vik_unknown-key')).statusCode).toBe(404);
    const am = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'am', service: 'search', type: 'alertmanager' },
    });
    const amKey = am.json().key as string;
    expect((await post(GRAFANA, undefined, `/api/v1/integrations/webhook/${amKey}`)).statusCode).toBe(404);
    await t.app.inject({ method: 'POST', url: '/api/v1/integrations/grafana/revoke', headers: t.as('admin') });
    const revoked = await post(GRAFANA);
    expect(revoked.statusCode).toBe(404);
    expect(revoked.headers['content-type']).toContain('application/problem+json');
  });

  it('answers 429 with Retry-After over the rate limit, counting every event of a list', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'noisy', service: 'search', type: 'webhook', rateLimitPerMinute: 3 },
    });
    const noisy = res.json().path as string;
    const body = { summary: 'flood', severity: 'info' };
    expect((await post([body, body], undefined, noisy)).statusCode).toBe(202);
    const limited = await post([body, body], undefined, noisy);
    expect(limited.statusCode).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    t.clock.advance(60_000);
    expect((await post(body, undefined, noisy)).statusCode).toBe(202);
  });

  it('validates configs on create and update; an update keeps the key', async () => {
    const create = (config: unknown) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/integrations',
        headers: t.as('admin'),
        payload: { name: 'other', service: 'search', type: 'webhook', config },
      });
    const paths = async (res: Awaited<ReturnType<typeof create>>) => {
      expect(res.statusCode, res.body).toBe(400);
      return (res.json().errors as Array<{ path: string }>).map((e) => e.path);
    };
    expect(await paths(await create({ mapping: { summary: 'title' } }))).toEqual(['config.mapping.summary']);
    expect(await paths(await create({ routes: [{ match: ['team=~"("'], service: 'search' }] }))).toEqual([
      'config.routes[0].match[0]',
    ]);
    expect(await paths(await create({ routes: [{ match: ['team="x"'], service: 'nowhere' }] }))).toEqual([
      'config.routes[0].service',
    ]);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/integrations', headers: t.as('read') })).json().items).toHaveLength(
      1,
    );

    const put = (config: object, role: 'admin' | 'read' = 'admin') =>
      t.app.inject({ method: 'PUT', url: '/api/v1/integrations/grafana/config', headers: t.as(role), payload: config });
    expect((await put({ mapping: { summary: '$.message' } }, 'read')).statusCode).toBe(403);
    expect(await paths(await put({ mapping: { summary: '$.message', severityMap: { x: 'error' } } }))).toEqual([
      'config.mapping.severityMap',
    ]);
    const updated = await put({ mapping: { summary: '$.message' } });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json().config).toEqual({ mapping: { summary: '$.message' } });
    expect(
      (await t.app.inject({ method: 'PUT', url: '/api/v1/integrations/nope/config', headers: t.as('admin'), payload: {} }))
        .statusCode,
    ).toBe(404);
    // The same key, read with the new mapping at once.
    const res = await post({ message: 'from the new mapping' });
    expect(res.statusCode, res.body).toBe(202);
    expect((await alerts())[0]).toMatchObject({ summary: 'from the new mapping', severity: 'error' });
    const journal = await t.db.kysely.selectFrom('journal').select('kind').where('kind', 'like', 'integration.%').execute();
    expect(journal.map((j) => j.kind)).toContain('integration.configured');
  });

  it('a webhook integration without a mapping reads the default one', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'plain', service: 'search', type: 'webhook' },
    });
    expect(res.json().integration.config).toEqual({});
    const sent = await post({ summary: 'Backlog', severity: 'warning', dedup_key: 'q1' }, undefined, res.json().path);
    expect(sent.json()).toMatchObject({ dedup_key: 'q1' });
    expect((await alerts())[0]).toMatchObject({ service: 'search', summary: 'Backlog', severity: 'warning' });
  });
});

describe('vigil integration with a mapping and routes, and vigil apply of an Integration', () => {
  let t: TestVigil;
  let server: string;
  let dir: string;

  beforeEach(async () => {
    t = await createTestVigil('sqlite');
    server = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await seedCatalog(t.db, t.vigil.catalog);
    dir = await mkdtemp(join(tmpdir(), 'vigil-webhook-'));
  });
  afterEach(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const vigil = (register: Parameters<typeof runCli>[0], ...args: string[]) =>
    runCli(register, ['--server', server, '--token', t.tokens.admin, ...args]);

  it('reads --route as matchers, then = and the service', () => {
    expect(parseRouteOption('team="payments"=payments')).toEqual({ match: ['team="payments"'], service: 'payments' });
    expect(parseRouteOption('team=payments,severity=~"critical|error" = ledger')).toEqual({
      match: ['team=payments,severity=~"critical|error"'],
      service: 'ledger',
    });
    expect(() => parseRouteOption('payments')).toThrow(/--route must be/);
    expect(() => parseRouteOption('team="x"=')).toThrow(/--route must be/);
  });

  it('creates a webhook with a mapping file and routes, then changes them with the same key', async () => {
    const mappingFile = join(dir, 'mapping.json');
    await writeFile(mappingFile, JSON.stringify(GRAFANA_MAPPING));
    const created = await vigil(
      registerAlertCommands,
      'integration',
      'create',
      'grafana',
      '--service',
      'checkout',
      '--type',
      'webhook',
      '--mapping-file',
      mappingFile,
      '--route',
      'team="search"=search',
    );
    const url = /Webhook URL: (\S+)/.exec(created)?.[1] ?? '';
    expect(url).toMatch(/\/api\/v1\/integrations\/webhook\/vik_/);
    const [item] = (await t.vigil.alerts.listIntegrations()).filter((i) => i.name === 'grafana');
    expect(item?.config).toEqual({ mapping: GRAFANA_MAPPING, routes: [{ match: ['team="search"'], service: 'search' }] });

    await writeFile(join(dir, 'm.yaml'), 'summary: $.message\n');
    const changed = await vigil(
      registerAlertCommands,
      'integration',
      'config',
      'grafana',
      '--mapping-file',
      join(dir, 'm.yaml'),
      '--clear-routes',
    );
    expect(changed).toContain('Updated grafana: a mapping, 0 route(s).');
    const res = await fetch(url, { method: 'POST', body: JSON.stringify({ message: 'sent over HTTP' }) });
    expect(res.status).toBe(202);
    expect((await t.vigil.alerts.list()).items[0]).toMatchObject({ summary: 'sent over HTTP', service: 'checkout' });
  });

  it('vigil apply prints a new integration key once', async () => {
    const manifest = join(dir, 'integrations.yaml');
    await writeFile(
      manifest,
      'apiVersion: vigil.dev/v1\nkind: Integration\nmetadata: { name: search-am }\nspec: { service: search, type: alertmanager }\n',
    );
    const first = await vigil(registerManifestCommands, 'apply', '-f', manifest);
    expect(first).toContain('+ integration:search-am');
    expect(first).toMatch(/integration:search-am: key vik_\S+ \(shown only now/);
    expect(first).toContain(`URL: ${server}/api/v1/integrations/alertmanager/vik_`);
    const again = await vigil(registerManifestCommands, 'apply', '-f', manifest);
    expect(again).not.toContain('vik_');
  });
});
