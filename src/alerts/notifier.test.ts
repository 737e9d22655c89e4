import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDialects } from '../db/testing.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import type { AlertOut } from './alert.service.ts';
import { verifyWebhookSignature } from './channels/index.ts';
import { type Receiver, type RecordedRequest, startReceiver } from './channels/testing.ts';
import type { WebhookPayload } from './channels/webhook.ts';

const SECRET = 'receiver-secret-0123456789';
const FALLBACK_SECRET = 'fallback-secret-0123456789';

describe.each(testDialects)('notifications on %s', (dialect) => {
  let t: TestVigil;
  let key = '';
  let rx: Receiver;
  let fb: Receiver;

  beforeEach(async () => {
    t = await createTestVigil(dialect);
    await seedCatalog(t.db, t.vigil.catalog);
    rx = await startReceiver();
    fb = await startReceiver();
    const integration = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'checkout-pd', service: 'checkout', type: 'events-api-v2' },
    });
    expect(integration.statusCode).toBe(201);
    key = integration.json().key;
    const own = await addTarget({
      name: 'checkout-hook',
      service: 'checkout',
      channel: { type: 'webhook', url: rx.url(), secret: SECRET, headers: { authorization: 'Bearer receiver-token' } },
    });
    expect(own.statusCode, own.body).toBe(201);
    const fallback = await addTarget({
      name: 'ops-fallback',
      fallback: true,
      channel: { type: 'webhook', url: fb.url(), secret: FALLBACK_SECRET },
    });
    expect(fallback.statusCode, fallback.body).toBe(201);
  });
  afterEach(async () => {
    await t.close();
    await rx.close();
    await fb.close();
  });

  const addTarget = (payload: Record<string, unknown>) =>
    t.app.inject({ method: 'POST', url: '/api/v1/notification-targets', headers: t.as('admin'), payload });
  const event = (action: 'trigger' | 'acknowledge' | 'resolve', dedupKey = 'checkout/5xx') =>
    t.app.inject({
      method: 'POST',
      url: '/v2/enqueue',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        routing_key: key,
        event_action: action,
        dedup_key: dedupKey,
        ...(action === 'trigger' ? { payload: { summary: 'Error rate 5%', source: 'checkout-7f9', severity: 'critical' } } : {}),
      }),
    });
  const runDue = () => t.vigil.jobs.runDue(20);
  const theAlert = async (): Promise<AlertOut> => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/alerts?status=all', headers: t.as('read') });
    const [alert] = res.json().items as AlertOut[];
    if (!alert) throw new Error('no alert');
    return alert;
  };
  const targetId = async (name: string): Promise<string> =>
    (await t.db.kysely.selectFrom('notification_targets').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
  const payloadOf = (r: RecordedRequest) => JSON.parse(r.body) as WebhookPayload;
  const genuine = (r: RecordedRequest, secret = SECRET) =>
    verifyWebhookSignature(
      secret,
      r.headers['x-vigil-timestamp'] as string,
      r.raw,
      r.headers['x-vigil-signature'] as string,
      t.clock.now(),
    );
  const attemptsOf = (jobId: string) =>
    t.db.kysely.selectFrom('notification_attempts').selectAll().where('job_id', '=', jobId).orderBy('attempt').execute();
  const deadList = async () =>
    (await t.app.inject({ method: 'GET', url: '/api/v1/notifications/dead', headers: t.as('read') })).json().items as Array<{
      jobId: string;
      kind: string;
      target: string;
      lastError: string;
      attempts: Array<{ ok: boolean; status: number | null; retryable: boolean | null }>;
    }>;

  it('sends one signed webhook per change: trigger, acknowledge, resolve', async () => {
    expect((await event('trigger')).statusCode).toBe(202);
    expect(await runDue()).toBe(1);
    expect(rx.requests).toHaveLength(1);
    const alert = await theAlert();
    const target = await targetId('checkout-hook');
    const [first] = rx.requests as [RecordedRequest];
    expect(genuine(first)).toBe(true);
    expect(genuine(first, 'some-other-secret-0123')).toBe(false);
    expect(first.headers['idempotency-key']).toBe(`notify:${alert.id}:alert.triggered:${target}`);
    expect(first.headers.authorization).toBe('Bearer receiver-token');
    expect(payloadOf(first)).toMatchObject({
      kind: 'alert.triggered',
      idempotencyKey: `notify:${alert.id}:alert.triggered:${target}`,
      alerts: [{ id: alert.id, summary: 'Error rate 5%', severity: 'critical', service: 'checkout' }],
      urls: { alert: `http://localhost:4600/alerts/${alert.id}` },
    });
    // A repeated trigger only bumps the alert: nothing new to tell.
    expect((await event('trigger')).statusCode).toBe(202);
    expect(await runDue()).toBe(0);

    expect((await event('acknowledge')).statusCode).toBe(202);
    expect(await runDue()).toBe(1);
    expect((await event('resolve')).statusCode).toBe(202);
    expect(await runDue()).toBe(1);
    expect(rx.requests.map((r) => payloadOf(r).kind)).toEqual(['alert.triggered', 'alert.acknowledged', 'alert.resolved']);
    expect(rx.requests.every((r) => genuine(r))).toBe(true);
    expect(new Set(rx.requests.map((r) => r.headers['idempotency-key'])).size).toBe(3);
    // The service has a target of its own, so the fallback heard nothing.
    expect(fb.requests).toHaveLength(0);
  });

  it('leaves out of a queued group notification the alerts silenced since, and sends nothing when none are left', async () => {
    const api = (method: 'PUT' | 'POST', url: string, payload: unknown) =>
      t.app.inject({ method, url, headers: t.as('admin'), payload: payload as object });
    const policy = await api('PUT', '/api/v1/services/checkout/alert-policy', {
      grouping: { groupBy: ['service'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' },
    });
    expect(policy.statusCode, policy.body).toBe(200);
    expect((await event('trigger', 'db/slow')).statusCode).toBe(202);
    expect((await event('trigger', 'api/5xx')).statusCode).toBe(202);
    t.clock.advance(30_000);
    await t.vigil.jobs.runDue(1); // the group flush: queues the notification
    const queued = await t.db.kysely
      .selectFrom('jobs')
      .select('id')
      .where('kind', '=', 'alert.notify')
      .where('status', '=', 'pending')
      .execute();
    expect(queued).toHaveLength(1);
    const silence = await api('POST', '/api/v1/silences', {
      matchers: ['dedup_key="db/slow"'],
      duration: '1h',
      comment: 'known',
    });
    expect(silence.statusCode, silence.body).toBe(201);
    await runDue();
    expect(rx.requests).toHaveLength(1);
    const sent = payloadOf(rx.requests[0] as RecordedRequest);
    expect(sent.kind).toBe('alert.triggered');
    expect(sent.alerts.map((a) => a.dedupKey)).toEqual(['api/5xx']);

    // Every alert of the group silenced by the time the next notification goes out: it tells nobody.
    const api5xx = await api('POST', '/api/v1/silences', {
      matchers: ['dedup_key="api/5xx"'],
      duration: '1h',
      comment: 'fixing',
    });
    expect(api5xx.statusCode, api5xx.body).toBe(201);
    expect((await event('trigger', 'cache/miss')).statusCode).toBe(202);
    t.clock.advance(5 * 60_000);
    await t.vigil.jobs.runDue(1);
    const pending = await t.db.kysely
      .selectFrom('jobs')
      .select('payload')
      .where('kind', '=', 'alert.notify')
      .where('status', '=', 'pending')
      .execute();
    expect(pending).toHaveLength(1);
    expect(JSON.parse(String(pending[0]?.payload)).firing).toHaveLength(3);
    const cache = await api('POST', '/api/v1/silences', {
      matchers: ['dedup_key="cache/miss"'],
      duration: '1h',
      comment: 'known',
    });
    expect(cache.statusCode, cache.body).toBe(201);
    await runDue();
    await runDue();
    expect(rx.requests).toHaveLength(1);
  });

  it('sends the alerts of a service without targets to the fallback targets', async () => {
    const ledger = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'ledger-pd', service: 'ledger', type: 'events-api-v2' },
    });
    key = ledger.json().key;
    expect((await event('trigger', 'ledger/lag')).statusCode).toBe(202);
    expect(await runDue()).toBe(1);
    expect(rx.requests).toHaveLength(0);
    expect(fb.requests).toHaveLength(1);
    expect(genuine(fb.requests[0] as RecordedRequest, FALLBACK_SECRET)).toBe(true);
  });

  it('retries a failing receiver with backoff and records every attempt', async () => {
    rx.reply({ status: 503 });
    expect((await event('trigger')).statusCode).toBe(202);
    for (let i = 0; i < 3; i++) {
      expect(await runDue()).toBe(1);
      // Not yet due again: the backoff holds the retry back.
      expect(await runDue()).toBe(0);
      t.clock.advance(10 * 60_000);
    }
    rx.reply({ status: 200 });
    expect(await runDue()).toBe(1);
    expect(await runDue()).toBe(0);

    expect(rx.requests).toHaveLength(4);
    expect(new Set(rx.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    const job = await t.db.kysely.selectFrom('jobs').selectAll().where('kind', '=', 'alert.notify').executeTakeFirstOrThrow();
    expect(job.status).toBe('done');
    const attempts = await attemptsOf(job.id);
    expect(attempts.map((a) => [Number(a.attempt), Number(a.ok), a.status === null ? null : Number(a.status)])).toEqual([
      [1, 0, 503],
      [2, 0, 503],
      [3, 0, 503],
      [4, 1, 200],
    ]);
    expect(attempts.slice(0, 3).every((a) => Number(a.retryable) === 1)).toBe(true);
    expect(await deadList()).toEqual([]);
  });

  it('buries a refused notification at once, tells the fallback targets, and retries it on request', async () => {
    rx.reply({ status: 404 });
    expect((await event('trigger')).statusCode).toBe(202);
    expect(await runDue()).toBe(1);
    expect(rx.requests).toHaveLength(1);

    const dead = await deadList();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ kind: 'alert.triggered', target: 'checkout-hook' });
    expect(dead[0]?.lastError).toContain('404');
    expect(dead[0]?.attempts).toEqual([expect.objectContaining({ ok: false, status: 404, retryable: false })]);

    // The notice of the failure goes to the fallback target.
    expect(await runDue()).toBe(1);
    expect(fb.requests).toHaveLength(1);
    const notice = fb.requests[0] as RecordedRequest;
    expect(genuine(notice, FALLBACK_SECRET)).toBe(true);
    expect(payloadOf(notice)).toMatchObject({ kind: 'meta.delivery-failed' });
    expect(payloadOf(notice).alerts[0]?.summary).toContain('checkout-hook');
    expect(notice.headers['idempotency-key']).toBe(`meta:${dead[0]?.jobId}:${await targetId('ops-fallback')}`);
    expect(rx.requests).toHaveLength(1);

    rx.reply({ status: 200 });
    const retry = await t.app.inject({
      method: 'POST',
      url: `/api/v1/notifications/dead/${dead[0]?.jobId}/retry`,
      headers: t.as('write'),
    });
    expect(retry.statusCode).toBe(202);
    expect(await runDue()).toBe(1);
    expect(rx.requests).toHaveLength(2);
    expect(rx.requests[1]?.headers['idempotency-key']).toBe(rx.requests[0]?.headers['idempotency-key']);
    expect(await deadList()).toEqual([]);
    const missing = await t.app.inject({ method: 'POST', url: '/api/v1/notifications/dead/nope/retry', headers: t.as('write') });
    expect(missing.statusCode).toBe(404);
  });

  it('acknowledges and resolves from signed links, and refuses tampered or expired ones', async () => {
    expect((await event('trigger')).statusCode).toBe(202);
    expect(await runDue()).toBe(1);
    const { urls } = payloadOf(rx.requests[0] as RecordedRequest);
    const ack = new URL(urls.acknowledge as string);
    const resolve = new URL(urls.resolve as string);
    expect(ack.origin).toBe('http://localhost:4600');
    const path = (u: URL) => u.pathname + u.search;

    const tampered = path(ack).replace(/sig=([0-9a-f])/, (_m, c: string) => `sig=${c === '0' ? '1' : '0'}`);
    const refused = await t.app.inject({ method: 'GET', url: tampered });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    const otherAction = path(ack).replace('action=acknowledge', 'action=resolve');
    expect((await t.app.inject({ method: 'GET', url: otherAction })).statusCode).toBe(403);
    expect((await theAlert()).status).toBe('triggered');

    const done = await t.app.inject({ method: 'GET', url: path(ack) });
    expect(done.statusCode).toBe(200);
    expect(done.headers['content-type']).toContain('text/html');
    expect(done.body).toContain('acknowledged');
    expect(await theAlert()).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'link' });
    expect(await runDue()).toBe(1);
    expect(payloadOf(rx.requests[1] as RecordedRequest).kind).toBe('alert.acknowledged');

    const resolved = await t.app.inject({ method: 'POST', url: path(resolve) });
    expect(resolved.statusCode).toBe(200);
    expect((await theAlert()).status).toBe('resolved');
    const again = await t.app.inject({ method: 'GET', url: path(resolve) });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('already resolved');

    t.clock.advance(8 * 24 * 60 * 60_000);
    expect((await t.app.inject({ method: 'GET', url: path(ack) })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/alerts/x/act?action=launch&expires=1&sig=00' })).statusCode).toBe(
      400,
    );
  });

  it('masks target secrets, validates channels with paths, and sends test notifications', async () => {
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/notification-targets', headers: t.as('read') });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain(SECRET);
    expect(list.body).not.toContain(FALLBACK_SECRET);
    expect(list.body).not.toContain('receiver-token');
    expect(list.json().items).toEqual([
      expect.objectContaining({
        name: 'checkout-hook',
        service: 'checkout',
        fallback: false,
        channel: { type: 'webhook', url: rx.url(), secret: '********', headers: { authorization: '********' } },
      }),
      expect.objectContaining({ name: 'ops-fallback', service: null, fallback: true }),
    ]);

    const bad = await addTarget({
      name: 'broken',
      service: 'checkout',
      channel: { type: 'webhook', url: 'nope', secret: 'short' },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { path: string }) => e.path)
        .sort(),
    ).toEqual(['channel.secret', 'channel.url']);
    expect((await addTarget({ name: 'loose', channel: { type: 'slack', url: 'https://hooks.slack.com/x' } })).statusCode).toBe(
      400,
    );
    const viaNull = await addTarget({
      name: 'ops-slack',
      service: null,
      channel: { type: 'slack', url: 'https://hooks.slack.com/x' },
    });
    expect(viaNull.json()).toMatchObject({ name: 'ops-slack', service: null, fallback: true });
    const dup = await addTarget({
      name: 'checkout-hook',
      fallback: true,
      channel: { type: 'slack', url: 'https://hooks.slack.com/x' },
    });
    expect(dup.statusCode).toBe(409);
    const slack = await addTarget({
      name: 'checkout-slack',
      service: 'checkout',
      channel: { type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/secretpart' },
    });
    expect(slack.statusCode).toBe(201);
    expect(slack.body).not.toContain('secretpart');

    const test = await t.app.inject({
      method: 'POST',
      url: '/api/v1/notification-targets/checkout-hook/test',
      headers: t.as('write'),
    });
    expect(test.statusCode).toBe(200);
    expect(test.json()).toMatchObject({ ok: true, status: 200 });
    expect(payloadOf(rx.requests[0] as RecordedRequest).kind).toBe('test');
    expect(genuine(rx.requests[0] as RecordedRequest)).toBe(true);

    const remove = (role: 'write' | 'admin') =>
      t.app.inject({ method: 'DELETE', url: '/api/v1/notification-targets/checkout-slack', headers: t.as(role) });
    // The service belongs to a team the write user is not in.
    expect((await remove('write')).statusCode).toBe(403);
    expect((await remove('admin')).statusCode).toBe(204);
    expect((await remove('admin')).statusCode).toBe(404);
  });
});
