import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDialects } from '../db/testing.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import type { NormalizedEvent } from './alert.model.ts';
import { type IntegrationRow, updateAlert } from './alert.store.ts';

const event = (action: NormalizedEvent['action'], dedupKey: string): NormalizedEvent => ({
  action,
  dedupKey,
  summary: action === 'trigger' ? `${dedupKey} is down` : null,
  severity: action === 'trigger' ? 'critical' : null,
  source: 'test',
  component: null,
  group: null,
  class: null,
  details: {},
  links: [],
  images: [],
  labels: {},
  timestamp: null,
  raw: { action, dedupKey },
});

const turn = () => new Promise((resolve) => setTimeout(resolve, 3));

/**
 * Ingestion's group commit: batches of different dedup keys commit side by side (on
 * PostgreSQL), each key's events apply in the order they arrived, and what the pipeline reads
 * before deciding (silences, policies, windows, targets) is kept across batches only while its
 * generation stays the same.
 */
describe.each(testDialects)('alert ingestion batches on %s', (dialect) => {
  let t: TestVigil;
  let integration: IntegrationRow;

  beforeEach(async () => {
    t = await createTestVigil(dialect);
    await seedCatalog(t.db, t.vigil.catalog);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'checkout-pd', service: 'checkout', type: 'events-api-v2' },
    });
    expect(res.statusCode, res.body).toBe(201);
    integration = await t.vigil.alerts.authenticate(res.json().key);
  });
  afterEach(async () => {
    await t.close();
  });

  it("applies each key's events in the order they arrived while other keys' batches run beside them", async () => {
    const keys = Array.from({ length: 20 }, (_, i) => `ordered-${i}`);
    const waves: Array<NormalizedEvent['action'] | 'retrigger'> = ['trigger', 'retrigger', 'acknowledge', 'resolve', 'trigger'];
    const submitted: Array<Promise<unknown>> = [];
    for (const [w, action] of waves.entries()) {
      // Each wave brings new keys too, so the batches in flight hold different keys.
      const fresh = Array.from({ length: 30 }, (_, i) => event('trigger', `fresh-${w}-${i}`));
      const ordered = keys.map((k) => event(action === 'retrigger' ? 'trigger' : action, k));
      submitted.push(t.vigil.alerts.submit(integration, [...fresh, ...ordered], 'events-api-v2'));
      await turn();
    }
    await Promise.all(submitted);

    const alerts = await t.db.kysely
      .selectFrom('alerts')
      .select(['id', 'dedup_key', 'status', 'event_count', 'acknowledged_at', 'resolved_at', 'created_at'])
      .where('dedup_key', 'like', 'ordered-%')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    for (const key of keys) {
      const mine = alerts.filter((a) => a.dedup_key === key);
      // trigger, trigger again (dedup), acknowledge, resolve: one alert, four events; then a new one.
      expect(mine.map((a) => a.status).sort()).toEqual(['resolved', 'triggered']);
      const first = mine.find((a) => a.status === 'resolved');
      expect(first?.event_count).toBe(4);
      expect(first?.acknowledged_at).not.toBeNull();
      expect(mine.find((a) => a.status === 'triggered')?.event_count).toBe(1);
      // The journal's sequence says in which order the changes were made.
      const changes = await t.db.kysely
        .selectFrom('journal')
        .select('kind')
        .where(
          'subject_id',
          'in',
          mine.map((a) => a.id),
        )
        .orderBy('seq')
        .execute();
      expect(changes.map((c) => c.kind)).toEqual(['alert.triggered', 'alert.acknowledged', 'alert.resolved', 'alert.triggered']);
      const events = await t.db.kysely.selectFrom('alert_events').select('action').where('dedup_key', '=', key).execute();
      expect(events.map((e) => e.action).sort()).toEqual(['acknowledge', 'resolve', 'trigger', 'trigger', 'trigger']);
    }
    expect(
      await t.db.kysely
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('dedup_key', 'like', 'fresh-%')
        .executeTakeFirstOrThrow(),
    ).toEqual({ n: 150 });
    // Every change is journaled once.
    const journal = await t.db.kysely
      .selectFrom('journal')
      .select(['kind'])
      .where('kind', 'like', 'alert.%')
      .where(
        'subject_id',
        'in',
        alerts.map((a) => a.id),
      )
      .execute();
    expect(journal.filter((j) => j.kind === 'alert.triggered')).toHaveLength(40);
    expect(journal.filter((j) => j.kind === 'alert.acknowledged')).toHaveLength(20);
    expect(journal.filter((j) => j.kind === 'alert.resolved')).toHaveLength(20);
  });

  it("a re-trigger's labels are merged into the stored ones, not into a copy another replica may have outdated", async () => {
    const labelled = { ...event('trigger', 'labelled'), labels: { region: 'eu' } };
    const [id] = await t.vigil.alerts.submit(integration, [labelled], 'events-api-v2');
    const alertId = String(id);
    // Another replica added a label after this one read the alert (its copy has only region).
    await t.db.kysely
      .updateTable('alerts')
      .set({ labels: JSON.stringify({ region: 'eu', pod: 'api-7' }) })
      .where('id', '=', alertId)
      .execute();
    await updateAlert(t.db.kysely, alertId, { labels: JSON.stringify({ region: 'us' }) }, { labels: { region: 'us' }, dialect });
    expect((await t.vigil.alerts.get(alertId)).labels).toEqual({ region: 'us', pod: 'api-7' });
    // Through the pipeline too: a re-trigger adds its labels and keeps the others.
    await t.vigil.alerts.submit(integration, [{ ...event('trigger', 'labelled'), labels: { zone: 'b' } }], 'events-api-v2');
    expect((await t.vigil.alerts.get(alertId)).labels).toEqual({ region: 'us', pod: 'api-7', zone: 'b' });
  });

  it('a flood of warnings beside a critical alert is muted with one read of the open alerts', async () => {
    const warn = (key: string): NormalizedEvent => ({ ...event('trigger', key), severity: 'warning' });
    // An open critical alert from an earlier batch, and one more in the flood's own batch.
    await t.vigil.alerts.submit(integration, [event('trigger', 'db/down')], 'events-api-v2');
    const flood = [event('trigger', 'api/down'), ...Array.from({ length: 50 }, (_, i) => warn(`warn-${i}`))];
    const before = t.db.queries();
    const ids = await t.vigil.alerts.submit(integration, flood, 'events-api-v2');
    const used = t.db.queries() - before;
    const alerts = await t.vigil.alerts.getMany(ids.slice(1).map(String));
    expect(alerts).toHaveLength(50);
    for (const a of alerts) expect(a.suppressedBy).toMatch(/^inhibited:/);
    // The same handful of statements as for one warning.
    expect(used).toBeLessThan(12);
  });

  it('a change to silences, policies or targets by any writer reaches the next batch', async () => {
    const generation = async () =>
      Number((await t.db.kysely.selectFrom('alert_config_generation').select('generation').executeTakeFirstOrThrow()).generation);
    await t.vigil.alerts.submit(integration, [event('trigger', 'before')], 'events-api-v2');
    const g0 = await generation();

    // A silence written by hand (or by another replica): the trigger moves the generation.
    const now = t.clock.now();
    await t.db.kysely
      .insertInto('silences')
      .values({
        id: 'manual-silence',
        matchers: JSON.stringify(['dedup_key="muted"']),
        starts_at: now - 1000,
        ends_at: now + 3_600_000,
        created_by: 'dba',
        comment: 'written by hand',
        created_at: now,
        updated_at: now,
      })
      .execute();
    const g1 = await generation();
    expect(g1).toBeGreaterThan(g0);
    const [muted] = await t.vigil.alerts.submit(integration, [event('trigger', 'muted')], 'events-api-v2');
    expect((await t.vigil.alerts.get(String(muted))).suppressedBy).toBe('silence:manual-silence');

    // Updates and deletes move it too, on every watched table.
    await t.db.kysely.updateTable('silences').set({ ends_at: now }).where('id', '=', 'manual-silence').execute();
    const g2 = await generation();
    expect(g2).toBeGreaterThan(g1);
    await t.db.kysely.deleteFrom('silences').where('id', '=', 'manual-silence').execute();
    expect(await generation()).toBeGreaterThan(g2);
    const policy = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/services/checkout/alert-policy',
      headers: t.as('admin'),
      payload: { workingHours: { timeZone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' } },
    });
    expect(policy.statusCode, policy.body).toBeLessThan(300);
    const g3 = await generation();
    expect(g3).toBeGreaterThan(g2);
    const target = await t.app.inject({
      method: 'POST',
      url: '/api/v1/notification-targets',
      headers: t.as('admin'),
      payload: {
        name: 'checkout-hook',
        service: 'checkout',
        channel: { type: 'webhook', url: 'http://127.0.0.1:9/hook', secret: 'x'.repeat(16) },
      },
    });
    expect(target.statusCode, target.body).toBe(201);
    const g4 = await generation();
    expect(g4).toBeGreaterThan(g3);
    await sql`update maintenance_windows set name = name`.execute(t.db.kysely);
    if (dialect === 'postgres') expect(await generation()).toBeGreaterThan(g4); // a statement trigger: even when no row changed

    // The silence has ended: the same key notifies again.
    await t.vigil.alerts.submit(integration, [event('resolve', 'muted')], 'events-api-v2');
    const [again] = await t.vigil.alerts.submit(integration, [event('trigger', 'muted')], 'events-api-v2');
    expect((await t.vigil.alerts.get(String(again))).suppressedBy).toBeNull();
  });
});
