import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDialects } from '../db/testing.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import type { AlertOut } from './alert.service.ts';
import { seedDemoSilence } from './alert.simulator.ts';
import { type Receiver, type RecordedRequest, startReceiver } from './channels/testing.ts';
import type { WebhookPayload } from './channels/webhook.ts';
import { SilenceService } from './silence.service.ts';

const SECRET = 'receiver-secret-0123456789';
const MINUTE = 60_000;

/**
 * The alert pipeline's hygiene end to end: events in over the Events API, notifications out to a
 * real HTTP receiver, jobs driven by the fake clock. The clock starts on Monday 2026-03-02 at
 * 10:00 UTC, inside the default working hours.
 */
describe.each(testDialects)('alert hygiene in the pipeline on %s', (dialect) => {
  let t: TestVigil;
  let key = '';
  let rx: Receiver;

  beforeEach(async () => {
    t = await createTestVigil(dialect);
    await seedCatalog(t.db, t.vigil.catalog);
    rx = await startReceiver();
    const integration = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'checkout-pd', service: 'checkout', type: 'events-api-v2' },
    });
    expect(integration.statusCode, integration.body).toBe(201);
    key = integration.json().key;
    const target = await t.app.inject({
      method: 'POST',
      url: '/api/v1/notification-targets',
      headers: t.as('admin'),
      payload: { name: 'checkout-hook', service: 'checkout', channel: { type: 'webhook', url: rx.url(), secret: SECRET } },
    });
    expect(target.statusCode, target.body).toBe(201);
  });
  afterEach(async () => {
    await t.close();
    await rx.close();
  });

  const send = async (
    action: 'trigger' | 'acknowledge' | 'resolve',
    dedupKey: string,
    payload: { severity?: string; summary?: string; custom_details?: Record<string, unknown> } = {},
  ) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/enqueue',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({
        routing_key: key,
        event_action: action,
        dedup_key: dedupKey,
        ...(action === 'trigger'
          ? { payload: { summary: payload.summary ?? dedupKey, source: 'test', severity: payload.severity ?? 'critical' } }
          : {}),
      }),
    });
    expect(res.statusCode, res.body).toBe(202);
  };
  const api = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    t.app.inject({ method, url, headers: t.as('admin'), ...(payload === undefined ? {} : { payload: payload as object }) });
  const alertByKey = async (dedupKey: string): Promise<AlertOut> => {
    const items = (await api('GET', '/api/v1/alerts?status=all&limit=500')).json().items as AlertOut[];
    const found = items.find((a) => a.dedupKey === dedupKey);
    if (!found) throw new Error(`no alert ${dedupKey}`);
    return found;
  };
  const delivered = () => rx.requests.map((r: RecordedRequest) => JSON.parse(r.body) as WebhookPayload);
  const runDue = () => t.vigil.jobs.runDue(50);

  it("an integration's routing rules land alerts on another service by their labels", async () => {
    const created = await api('POST', '/api/v1/integrations', {
      name: 'shared-am',
      service: 'checkout',
      type: 'events-api-v2',
      config: { routes: [{ match: ['component="search-api"', 'severity=~"critical|error"'], service: 'search' }] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const shared = created.json().key as string;
    const post = (dedupKey: string, component: string, severity: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v2/enqueue',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({
          routing_key: shared,
          event_action: 'trigger',
          dedup_key: dedupKey,
          payload: { summary: dedupKey, source: 'x', severity, component },
        }),
      });
    expect((await post('search/down', 'search-api', 'critical')).statusCode).toBe(202);
    expect((await post('search/slow', 'search-api', 'warning')).statusCode).toBe(202);
    expect((await post('cart/down', 'cart', 'critical')).statusCode).toBe(202);
    expect((await alertByKey('search/down')).service).toBe('search');
    expect((await alertByKey('search/slow')).service).toBe('checkout');
    expect((await alertByKey('cart/down')).service).toBe('checkout');
    // The route's service gets its notifications: checkout's target hears only of checkout's alerts.
    await runDue();
    expect(
      delivered()
        .map((n) => n.alerts[0]?.dedupKey)
        .sort(),
    ).toEqual(['cart/down', 'search/slow']);
  });

  it('a silence mutes matching alerts; expiring it lets new ones through; bad silences are refused by field', async () => {
    const created = await api('POST', '/api/v1/silences', {
      matchers: ['service="checkout"', 'dedup_key=~"db/.*"'],
      duration: '2h',
      comment: 'database migration',
    });
    expect(created.statusCode, created.body).toBe(201);
    const silence = created.json();
    expect(silence).toMatchObject({ state: 'active', createdBy: expect.any(String), endsAt: t.clock.now() + 2 * 60 * MINUTE });

    await send('trigger', 'db/replication-lag');
    await send('trigger', 'api/5xx');
    await runDue();
    expect((await alertByKey('db/replication-lag')).suppressedBy).toBe(`silence:${silence.id}`);
    expect((await alertByKey('api/5xx')).suppressedBy).toBeNull();
    expect(delivered().map((n) => n.alerts[0]?.dedupKey)).toEqual(['api/5xx']);

    // Resolving a muted alert tells nobody either.
    await send('resolve', 'db/replication-lag');
    await runDue();
    expect(delivered()).toHaveLength(1);

    const listed = (await api('GET', '/api/v1/silences')).json();
    expect(listed.items.map((s: { id: string }) => s.id)).toEqual([silence.id]);
    const expired = await api('POST', `/api/v1/silences/${silence.id}/expire`);
    expect(expired.json().state).toBe('expired');
    expect((await api('GET', '/api/v1/silences')).json().items).toEqual([]);
    expect((await api('GET', '/api/v1/silences?state=expired')).json().items).toHaveLength(1);
    expect((await api('POST', `/api/v1/silences/${silence.id}/expire`)).statusCode).toBe(409);

    await send('trigger', 'db/replication-lag');
    await runDue();
    expect(delivered().map((n) => n.alerts[0]?.dedupKey)).toEqual(['api/5xx', 'db/replication-lag']);

    const fieldOf = async (body: unknown) => {
      const res = await api('POST', '/api/v1/silences', body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      return (res.json().errors as Array<{ path: string }>).map((e) => e.path);
    };
    expect(await fieldOf({ matchers: ['env=~".*"'], duration: '1h', comment: 'all of it' })).toEqual(['matchers']);
    expect(await fieldOf({ matchers: ['service="checkout"'], duration: 'soon', comment: 'x' })).toEqual(['duration']);
    expect(await fieldOf({ matchers: ['service="checkout"'], duration: '1h', comment: ' ' })).toEqual(['comment']);
    expect(await fieldOf({ matchers: ['service=checkout"'], duration: '1h', comment: 'x' })).toEqual(['matchers[0]']);
    expect(await fieldOf({ matchers: ['service="checkout"'], endsAt: t.clock.now() - 1, comment: 'x' })).toEqual(['endsAt']);
    const readOnly = await t.app.inject({
      method: 'POST',
      url: '/api/v1/silences',
      headers: t.as('read'),
      payload: { matchers: ['service="checkout"'], duration: '1h', comment: 'x' },
    });
    expect(readOnly.statusCode).toBe(403);
    expect(await t.db.kysely.selectFrom('silences').select('id').execute()).toHaveLength(1);
    const journal = await t.db.kysely.selectFrom('journal').select('kind').where('kind', 'like', 'silence.%').execute();
    expect(journal.map((j) => j.kind).sort()).toEqual(['silence.created', 'silence.expired']);
  });

  const silence = async (matchers: string[], duration: string): Promise<{ id: string; endsAt: number }> => {
    const res = await api('POST', '/api/v1/silences', { matchers, duration, comment: 'maintenance' });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  const notices = () => delivered().map((n) => `${n.kind}:${n.alerts[0]?.dedupKey}`);

  it('expiring a silence notifies the alerts it kept quiet that still fire', async () => {
    const s = await silence(['service="checkout"', 'dedup_key=~"db/.*"'], '2h');
    await send('trigger', 'db/lag');
    await send('trigger', 'db/locks');
    await send('acknowledge', 'db/locks');
    await runDue();
    expect((await alertByKey('db/lag')).suppressedBy).toBe(`silence:${s.id}`);
    expect((await alertByKey('db/locks')).suppressedBy).toBe(`silence:${s.id}`);
    expect(delivered()).toEqual([]);

    t.clock.advance(10 * MINUTE);
    const expired = await api('POST', `/api/v1/silences/${s.id}/expire`);
    expect(expired.statusCode, expired.body).toBe(200);
    await runDue();
    await runDue();
    const lag = await alertByKey('db/lag');
    // The answer lists the alerts notified; the acknowledged one is not among them.
    expect(expired.json().notifiedAlerts).toEqual([lag.id]);
    expect(lag).toMatchObject({ status: 'triggered', suppressedBy: null });
    // An acknowledged alert is no longer muted, but someone already has it: nobody is paged.
    expect(await alertByKey('db/locks')).toMatchObject({ status: 'acknowledged', suppressedBy: null });
    expect(notices()).toEqual(['alert.triggered:db/lag']);
    const ended = await t.db.kysely.selectFrom('journal').selectAll().where('kind', '=', 'silence.ended').execute();
    expect(ended.map((j) => [j.subject_id, JSON.parse(j.data).alertIds])).toEqual([[s.id, [lag.id]]]);

    // The silence's original end, reached later, tells nobody again.
    t.clock.advance(2 * 60 * MINUTE);
    await runDue();
    await runDue();
    expect(notices()).toEqual(['alert.triggered:db/lag']);
  });

  it('a silence reaching its end notifies the alerts it kept quiet that still fire', async () => {
    const s = await silence(['service="checkout"', 'dedup_key="db/lag"'], '1h');
    await send('trigger', 'db/lag');
    await runDue();
    expect((await alertByKey('db/lag')).suppressedBy).toBe(`silence:${s.id}`);
    t.clock.advance(59 * MINUTE);
    await runDue();
    await runDue();
    expect(delivered()).toEqual([]);

    t.clock.set(s.endsAt);
    await runDue();
    await runDue();
    expect((await alertByKey('db/lag')).suppressedBy).toBeNull();
    expect(notices()).toEqual(['alert.triggered:db/lag']);
    expect((await api('GET', `/api/v1/silences/${s.id}`)).json().state).toBe('expired');
  });

  it('an alert muted by a silence just as it ended is notified at the second look a minute later', async () => {
    const s = await silence(['service="checkout"', 'dedup_key="db/lag"'], '1h');
    t.clock.set(s.endsAt);
    await runDue();
    // An ingestion batch that judged the alert muted by the silence before it ended, and
    // committed after the first look.
    await send('trigger', 'db/lag');
    await t.db.kysely
      .updateTable('alerts')
      .set({ suppressed_by: `silence:${s.id}` })
      .where('dedup_key', '=', 'db/lag')
      .execute();
    await t.db.kysely.deleteFrom('jobs').where('kind', '=', 'alert.notify').execute();
    t.clock.advance(MINUTE);
    await runDue();
    await runDue();
    expect((await alertByKey('db/lag')).suppressedBy).toBeNull();
    expect(notices()).toEqual(['alert.triggered:db/lag']);
  });

  it('an alert that resolved while silenced is not notified when the silence ends', async () => {
    const byApi = await silence(['service="checkout"', 'dedup_key="db/lag"'], '1h');
    const byClock = await silence(['service="checkout"', 'dedup_key="db/locks"'], '1h');
    await send('trigger', 'db/lag');
    await send('trigger', 'db/locks');
    await send('resolve', 'db/lag');
    await send('resolve', 'db/locks');
    await runDue();
    expect((await api('POST', `/api/v1/silences/${byApi.id}/expire`)).statusCode).toBe(200);
    t.clock.set(byClock.endsAt);
    await runDue();
    await runDue();
    expect(delivered()).toEqual([]);
    expect((await alertByKey('db/lag')).suppressedBy).toBe(`silence:${byApi.id}`);
    expect((await alertByKey('db/locks')).suppressedBy).toBe(`silence:${byClock.id}`);
    expect(await t.db.kysely.selectFrom('journal').select('id').where('kind', '=', 'silence.ended').execute()).toEqual([]);
  });

  it('an alert another active silence also matches stays muted, by that silence, until it ends too', async () => {
    const narrow = await silence(['service="checkout"', 'dedup_key="db/lag"'], '1h');
    await send('trigger', 'db/lag');
    await runDue();
    expect((await alertByKey('db/lag')).suppressedBy).toBe(`silence:${narrow.id}`);
    const wide = await silence(['service="checkout"'], '3h');
    // Still the first silence's: creating the second one mutes only what nothing muted yet.
    expect((await alertByKey('db/lag')).suppressedBy).toBe(`silence:${narrow.id}`);

    expect((await api('POST', `/api/v1/silences/${narrow.id}/expire`)).statusCode).toBe(200);
    t.clock.set(narrow.endsAt);
    await runDue();
    await runDue();
    expect((await alertByKey('db/lag')).suppressedBy).toBe(`silence:${wide.id}`);
    expect(delivered()).toEqual([]);

    t.clock.set(wide.endsAt);
    await runDue();
    await runDue();
    expect((await alertByKey('db/lag')).suppressedBy).toBeNull();
    expect(notices()).toEqual(['alert.triggered:db/lag']);
  });

  it('one click from an alert silences its key: its acknowledgement and resolution stay quiet', async () => {
    await send('trigger', 'api/latency');
    await runDue();
    expect(delivered()).toHaveLength(1);
    const alert = await alertByKey('api/latency');
    const res = await api('POST', `/api/v1/alerts/${alert.id}/silence`, { duration: '1h' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      matchers: ['service="checkout"', 'dedup_key="api/latency"'],
      comment: 'Silenced from alert: api/latency',
      endsAt: t.clock.now() + 60 * MINUTE,
    });
    expect((await alertByKey('api/latency')).suppressedBy).toBe(`silence:${res.json().id}`);
    await send('acknowledge', 'api/latency');
    await send('resolve', 'api/latency');
    // The same key again within the hour is still silenced.
    await send('trigger', 'api/latency');
    await runDue();
    expect(delivered()).toHaveLength(1);
    expect((await api('POST', '/api/v1/alerts/nope/silence', {})).statusCode).toBe(404);
    expect((await api('POST', `/api/v1/alerts/${alert.id}/silence`, { duration: '-1h' })).statusCode).toBe(400);
  });

  it('a maintenance window on the service keeps its alerts but notifies nobody', async () => {
    const apply = await api('POST', '/api/v1/manifests/apply', {
      files: [
        {
          path: 'maintenance.yaml',
          content: `apiVersion: vigil.dev/v1
kind: MaintenanceWindow
metadata: { name: checkout-upgrade }
spec:
  services: [checkout]
  start: "2026-03-02T09:30:00Z"
  duration: 1h
`,
        },
      ],
    });
    expect(apply.statusCode, apply.body).toBe(200);
    await send('trigger', 'during');
    t.clock.advance(31 * MINUTE); // 10:31, after the window
    await send('trigger', 'after');
    await runDue();
    expect((await alertByKey('during')).suppressedBy).toBe('maintenance:checkout-upgrade');
    expect((await alertByKey('after')).suppressedBy).toBeNull();
    expect(delivered().map((n) => n.alerts[0]?.dedupKey)).toEqual(['after']);
  });

  it("a critical alert mutes the service's warnings; a flapping key stops paging", async () => {
    await send('trigger', 'down', { severity: 'critical' });
    await send('trigger', 'slow', { severity: 'warning' });
    await runDue();
    const down = await alertByKey('down');
    expect((await alertByKey('slow')).suppressedBy).toBe(`inhibited:${down.id}`);
    expect(delivered().map((n) => n.alerts[0]?.dedupKey)).toEqual(['down']);
    await send('resolve', 'down');
    await runDue();
    // The warning still fires once the critical alert has gone: it is judged again and notified.
    expect((await alertByKey('slow')).suppressedBy).toBeNull();
    // (Order across different alerts is not promised; per alert it is.)
    expect(
      delivered()
        .map((n) => `${n.kind}:${n.alerts[0]?.dedupKey}`)
        .sort(),
    ).toEqual(['alert.resolved:down', 'alert.triggered:down', 'alert.triggered:slow']);
    await send('resolve', 'slow');
    await runDue();

    // Six changes within an hour (the default) make a key flap.
    const before = delivered().length;
    for (let i = 0; i < 3; i++) {
      await send('trigger', 'flappy');
      await runDue();
      t.clock.advance(MINUTE);
      await send('resolve', 'flappy');
      await runDue();
      t.clock.advance(MINUTE);
    }
    await send('trigger', 'flappy');
    await runDue();
    const flappy = (await api('GET', '/api/v1/alerts?status=all&limit=500')).json().items as AlertOut[];
    const mine = flappy.filter((a) => a.dedupKey === 'flappy').sort((a, b) => a.createdAt - b.createdAt);
    expect(mine.map((a) => a.suppressedBy)).toEqual([null, null, null, 'flapping']);
    // 3 triggers and 3 resolutions notified before the key flapped.
    expect(delivered().length - before).toBe(6);
  });

  it('low urgency waits for working hours and is dropped if it resolves first', async () => {
    t.clock.set('2026-03-06T21:00:00Z'); // Friday evening
    await send('trigger', 'disk/80', { severity: 'warning' });
    await send('trigger', 'cert/30d', { severity: 'info' });
    await send('trigger', 'api/down', { severity: 'critical' });
    await runDue();
    const disk = await alertByKey('disk/80');
    expect(disk).toMatchObject({ urgency: 'low', suppressedBy: null, notifyAt: Date.parse('2026-03-09T09:00:00Z') });
    expect((await alertByKey('api/down')).urgency).toBe('high');
    expect(delivered().map((n) => n.alerts[0]?.dedupKey)).toEqual(['api/down']);

    await send('resolve', 'cert/30d'); // fixed itself over the weekend
    t.clock.set('2026-03-09T09:00:01Z');
    await runDue();
    await runDue();
    expect(delivered().map((n) => n.alerts[0]?.dedupKey)).toEqual(['api/down', 'disk/80']);
    expect(delivered()[1]?.kind).toBe('alert.triggered');

    // A policy can make warnings page and move working hours.
    const put = await api('PUT', '/api/v1/services/checkout/alert-policy', {
      urgency: { warning: 'high' },
      workingHours: { timeZone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' },
    });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ service: 'checkout', custom: true, policy: { urgency: { warning: 'high' } } });
    await send('resolve', 'api/down'); // or the open critical alert would mute the warning
    await runDue();
    t.clock.set('2026-03-09T22:00:00Z');
    await send('trigger', 'queue/backlog', { severity: 'warning' });
    await runDue();
    expect((await alertByKey('queue/backlog')).urgency).toBe('high');
    expect(delivered().map((n) => `${n.kind}:${n.alerts[0]?.dedupKey}`)).toEqual([
      'alert.triggered:api/down',
      'alert.triggered:disk/80',
      'alert.resolved:api/down',
      'alert.triggered:queue/backlog',
    ]);
  });

  it('a service that groups its notifications sends one per group, then its changes, then the resolution', async () => {
    const fieldsOf = async (body: unknown) => {
      const res = await api('PUT', '/api/v1/services/checkout/alert-policy', body);
      expect(res.statusCode, res.body).toBe(400);
      return (res.json().errors as Array<{ path: string }>).map((e) => e.path).sort();
    };
    expect(await fieldsOf({ grouping: { groupBy: ['region', '...'], groupWait: 'soon' } })).toEqual([
      'policy.grouping.groupBy',
      'policy.grouping.groupWait',
    ]);
    expect(await fieldsOf({ flapping: { threshold: 1 } })).toEqual(['policy.flapping.threshold']);
    expect(await fieldsOf({ workingHours: { timeZone: 'Mars/Olympus', days: [1], start: '09:00', end: '17:00' } })).toEqual([
      'policy.workingHours.timeZone',
    ]);
    expect(
      await fieldsOf({ inhibitRules: [{ sourceMatchers: ['severity=~"("'], targetMatchers: ['severity="info"'] }] }),
    ).toEqual(['policy.inhibitRules[0].sourceMatchers[0]']);
    expect((await api('GET', '/api/v1/services/checkout/alert-policy')).json().custom).toBe(false);

    const put = await api('PUT', '/api/v1/services/checkout/alert-policy', {
      grouping: { groupBy: ['service'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' },
    });
    expect(put.statusCode, put.body).toBe(200);
    await send('trigger', 'a');
    t.clock.advance(10_000);
    await send('trigger', 'b');
    await runDue();
    expect(delivered()).toHaveLength(0); // group_wait
    t.clock.advance(20_000);
    await runDue();
    await runDue();
    expect(delivered()).toHaveLength(1);
    const first = delivered()[0];
    expect(first?.kind).toBe('alert.triggered');
    expect(first?.alerts.map((a) => a.dedupKey).sort()).toEqual(['a', 'b']);

    await send('trigger', 'c');
    await send('resolve', 'a');
    await send('acknowledge', 'b');
    await runDue();
    expect(delivered()).toHaveLength(1); // group_interval
    t.clock.advance(5 * MINUTE);
    await runDue();
    await runDue();
    expect(delivered()).toHaveLength(2);
    expect(
      delivered()[1]
        ?.alerts.map((a) => `${a.dedupKey}:${a.status}`)
        .sort(),
    ).toEqual(['a:resolved', 'b:acknowledged', 'c:triggered']);

    await send('resolve', 'b');
    await send('resolve', 'c');
    t.clock.advance(5 * MINUTE);
    await runDue();
    await runDue();
    expect(delivered()).toHaveLength(3);
    expect(delivered()[2]?.kind).toBe('alert.resolved');
    expect(await t.db.kysely.selectFrom('alert_groups').selectAll().execute()).toEqual([]);

    expect((await api('DELETE', '/api/v1/services/checkout/alert-policy')).statusCode).toBe(204);
    expect((await api('GET', '/api/v1/services/checkout/alert-policy')).json().custom).toBe(false);
  });

  it("the demo's standing silence is made once, and then left as people change it", async () => {
    const silences = new SilenceService({ db: t.db, clock: t.clock, journal: t.vigil.journal });
    expect(await seedDemoSilence(t.db, silences)).toBe(true);
    const [silence] = (await api('GET', '/api/v1/silences')).json().items as Array<{ id: string; matchers: string[] }>;
    expect(silence?.matchers).toEqual(['service="search"', 'severity=~"warning|info"']);
    await api('POST', `/api/v1/silences/${silence?.id}/expire`);
    // A restart does not bring it back.
    expect(await seedDemoSilence(t.db, silences)).toBe(false);
    expect((await api('GET', '/api/v1/silences')).json().items).toEqual([]);
  });
});
