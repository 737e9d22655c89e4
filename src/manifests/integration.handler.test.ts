import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AlertService } from '../alerts/alert.service.ts';
import { AlertPolicyService } from '../alerts/policy.service.ts';
import { type Principal, SCOPES, systemPrincipal } from '../auth/principal.ts';
import { CatalogService } from '../catalog/index.ts';
import { FakeClock } from '../core/clock.ts';
import { InputError, NotAllowedError, UnauthenticatedError } from '../core/errors.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { ProbeService } from '../probes/probe.service.ts';
import { SloService } from '../slo/slo.service.ts';
import { createTestVigil } from '../testing/vigil.ts';
import { readManifestFiles } from './files.ts';
import { ManifestService } from './manifests.service.ts';
import type { ManifestFile } from './parse.ts';

const admin = systemPrincipal('test');
const defaults = { source: 'default', prune: false };

const SERVICES = `apiVersion: vigil.dev/v1
kind: Team
metadata: { name: payments }
---
apiVersion: vigil.dev/v1
kind: Service
metadata: { name: checkout }
spec: { owner: payments }
---
apiVersion: vigil.dev/v1
kind: Service
metadata: { name: payments }
spec: { owner: payments }
`;

const AM = `apiVersion: vigil.dev/v1
kind: Integration
metadata:
  name: checkout-am
spec:
  service: checkout
  type: alertmanager
`;

const HOOK = `apiVersion: vigil.dev/v1
kind: Integration
metadata:
  name: grafana
spec:
  service: checkout
  type: webhook
  rateLimitPerMinute: 600
  mapping:
    summary: $.title
    severity: $.commonLabels.severity
    severityMap: { page: critical }
    action: $.status
    actionMap: { firing: trigger, resolved: resolve }
    labels: $.commonLabels
  routes:
    - match: ['team="payments"']
      service: payments
`;

const file = (path: string, content: string): ManifestFile => ({ path, content });
const docs = (...contents: string[]): string => contents.join('---\n');

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (error instanceof InputError) return error;
  throw new Error(`expected an InputError, got ${String(error)}`);
}

const located = (e: InputError) => e.issues.map((i) => `${i.file}:${i.line}: ${i.path}: ${i.message}`);

interface Setup {
  tdb: TestDatabase;
  alerts: AlertService;
  manifests: ManifestService;
}

async function setup(dialect: 'sqlite' | 'postgres'): Promise<Setup> {
  const tdb = await createTestDatabase(dialect);
  const clock = new FakeClock('2026-03-02T10:00:00Z');
  const journal = new Journal(clock);
  const catalog = new CatalogService({ db: tdb.db, clock, journal });
  const slo = new SloService({ db: tdb.db, clock, journal, catalog });
  const probes = new ProbeService({ db: tdb.db, clock, journal, slo });
  const alerts = new AlertService({ db: tdb.db, clock, journal });
  const policies = new AlertPolicyService({ db: tdb.db, clock, journal });
  return { tdb, alerts, manifests: new ManifestService({ db: tdb.db, clock, catalog, slo, probes, alerts, policies }) };
}

describe.each(testDialects)('Integration manifests on %s', (dialect) => {
  let s: Setup;

  beforeEach(async () => {
    s = await setup(dialect);
  });
  afterEach(async () => {
    await s.tdb.destroy();
  });

  const stored = async (name: string) => (await s.alerts.integrationSnapshot()).find((i) => i.name === name);
  const works = (key: string) =>
    s.alerts.authenticate(key).then(
      () => true,
      (e: unknown) => {
        if (e instanceof UnauthenticatedError) return false;
        throw e;
      },
    );

  test('apply creates integrations and shows each new key once; the same files then plan without drift', async () => {
    const files = [file('services.yaml', SERVICES), file('alerting/integrations.yaml', docs(AM, HOOK))];
    const plan = await s.manifests.plan(files, defaults);
    expect(plan.changes.filter((c) => c.ref.startsWith('integration:'))).toEqual([
      { action: 'create', ref: 'integration:checkout-am', fields: [], file: 'alerting/integrations.yaml', line: 4 },
      { action: 'create', ref: 'integration:grafana', fields: [], file: 'alerting/integrations.yaml', line: 12 },
    ]);

    const applied = await s.manifests.apply(admin, files, defaults);
    expect(applied.created).toEqual(expect.arrayContaining(['integration:checkout-am', 'integration:grafana']));
    expect(applied.secrets).toEqual([
      {
        ref: 'integration:checkout-am',
        key: expect.stringMatching(/^vik_/),
        path: expect.stringMatching(/^\/api\/v1\/integrations\/alertmanager\/vik_/),
      },
      {
        ref: 'integration:grafana',
        key: expect.stringMatching(/^vik_/),
        path: expect.stringMatching(/^\/api\/v1\/integrations\/webhook\/vik_/),
      },
    ]);
    const [am, hook] = applied.secrets ?? [];
    expect(am?.path.endsWith(am.key)).toBe(true);
    expect(await works(am?.key ?? '')).toBe(true);
    expect(await works(hook?.key ?? '')).toBe(true);
    // Only hashes are stored.
    const rows = JSON.stringify(await s.tdb.db.kysely.selectFrom('integrations').selectAll().execute());
    expect(rows).not.toContain(am?.key);

    expect(await stored('grafana')).toEqual({
      name: 'grafana',
      service: 'checkout',
      type: 'webhook',
      rateLimitPerMinute: 600,
      source: 'default',
      revoked: false,
      config: {
        mapping: {
          summary: '$.title',
          severity: '$.commonLabels.severity',
          severityMap: { page: 'critical' },
          action: '$.status',
          actionMap: { firing: 'trigger', resolved: 'resolve' },
          labels: '$.commonLabels',
        },
        routes: [{ match: ['team="payments"'], service: 'payments' }],
      },
    });
    expect((await stored('checkout-am'))?.rateLimitPerMinute).toBe(6000);

    expect(await s.manifests.plan(files, { ...defaults, prune: true })).toMatchObject({ drift: false, changes: [] });
    const again = await s.manifests.apply(admin, files, defaults);
    expect(again.unchanged).toEqual(expect.arrayContaining(['integration:checkout-am', 'integration:grafana']));
    expect(again.secrets).toBeUndefined();
  });

  test('a changed spec is an update naming its fields; the key stays the same', async () => {
    const first = await s.manifests.apply(admin, [file('services.yaml', SERVICES), file('i.yaml', docs(AM, HOOK))], defaults);
    const key = first.secrets?.find((x) => x.ref === 'integration:grafana')?.key ?? '';
    const changed = HOOK.replace('rateLimitPerMinute: 600', 'rateLimitPerMinute: 1200')
      .replace('summary: $.title', 'summary: $.message')
      .replace('service: payments', 'service: checkout');
    const files = [file('services.yaml', SERVICES), file('i.yaml', docs(AM, changed))];
    const plan = await s.manifests.plan(files, defaults);
    expect(plan.changes).toEqual([
      {
        action: 'update',
        ref: 'integration:grafana',
        file: 'i.yaml',
        line: 12,
        fields: [
          { field: 'rateLimitPerMinute', from: 600, to: 1200 },
          { field: 'mapping.summary', from: '$.title', to: '$.message' },
          {
            field: 'routes',
            from: [{ match: ['team="payments"'], service: 'payments' }],
            to: [{ match: ['team="payments"'], service: 'checkout' }],
          },
        ],
      },
    ]);
    const applied = await s.manifests.apply(admin, files, defaults);
    expect(applied.updated).toEqual(['integration:grafana']);
    expect(applied.secrets).toBeUndefined();
    expect(await works(key)).toBe(true);
    expect(await stored('grafana')).toMatchObject({ rateLimitPerMinute: 1200, config: { mapping: { summary: '$.message' } } });

    // The same content under another source only changes hands.
    const other = await s.manifests.plan(files, { source: 'team-repo', prune: false });
    expect(other.drift).toBe(false);
    expect(other.changes.filter((c) => c.ref.startsWith('integration:')).map((c) => c.action)).toEqual(['adopt', 'adopt']);
    const adopted = await s.manifests.apply(admin, files, { source: 'team-repo', prune: false });
    expect(adopted.adopted).toEqual(expect.arrayContaining(['integration:grafana', 'integration:checkout-am']));
    expect((await stored('grafana'))?.source).toBe('team-repo');
  });

  test('mistakes are refused at their file, line and field, in plan as in apply', async () => {
    const bad = `apiVersion: vigil.dev/v1
kind: Integration
metadata:
  name: broken
spec:
  service: checkout
  type: webhook
  rateLimitPerMinute: 0
  mapping:
    summary: title
    severityMap: { p1: urgent }
    colour: blue
  routes:
    - match: ['team=~"("']
      service: payments
`;
    const files = [file('services.yaml', SERVICES), file('alerting/bad.yaml', bad)];
    for (const attempt of [() => s.manifests.plan(files, defaults), () => s.manifests.apply(admin, files, defaults)]) {
      expect(located(await refusal(attempt()))).toEqual([
        expect.stringMatching(/^alerting\/bad\.yaml:8: spec\.rateLimitPerMinute: /),
        expect.stringMatching(/^alerting\/bad\.yaml:10: spec\.mapping\.summary: "title" must start with \$/),
        'alerting/bad.yaml:11: spec.mapping.severityMap.p1: must be one of critical, error, warning or info',
        'alerting/bad.yaml:12: spec.mapping.colour: unknown field',
      ]);
    }
    // What only the kind checks: a mapping on another type, and the matchers' syntax.
    const semantic = AM.replace(
      'type: alertmanager',
      'type: alertmanager\n  mapping: { summary: $.x }\n  routes:\n    - match: [\'team=~"("\']\n      service: payments',
    );
    expect(
      located(await refusal(s.manifests.plan([file('services.yaml', SERVICES), file('am.yaml', semantic)], defaults))),
    ).toEqual([
      expect.stringMatching(/^am\.yaml:8: spec\.mapping: only webhook integrations read a mapping/),
      expect.stringMatching(/^am\.yaml:10: spec\.routes\[0\]\.match\[0\]: invalid regex/),
    ]);

    const elsewhere = HOOK.replace('service: checkout', 'service: storefront').replace('service: payments', 'service: ledger');
    const refs = [file('services.yaml', SERVICES), file('hook.yaml', elsewhere)];
    for (const attempt of [() => s.manifests.plan(refs, defaults), () => s.manifests.apply(admin, refs, defaults)]) {
      expect(located(await refusal(attempt()))).toEqual([
        expect.stringMatching(/^hook\.yaml:6: spec\.service: integration:grafana: service "storefront" is not in the catalog/),
        expect.stringMatching(
          /^hook\.yaml:18: spec\.routes\[0\]\.service: integration:grafana: service "ledger" is not in the catalog/,
        ),
      ]);
    }

    const twice = [file('services.yaml', SERVICES), file('a.yaml', AM), file('b.yaml', `# again\n${AM}`)];
    expect(located(await refusal(s.manifests.plan(twice, defaults)))).toEqual([
      'b.yaml:5: metadata.name: Integration checkout-am is defined twice: here and at a.yaml:4',
    ]);
    expect(await s.alerts.integrationSnapshot()).toEqual([]);

    // A type never changes under its senders.
    await s.manifests.apply(admin, [file('services.yaml', SERVICES), file('am.yaml', AM)], defaults);
    const retyped = [file('services.yaml', SERVICES), file('am.yaml', AM.replace('type: alertmanager', 'type: events-api-v2'))];
    expect(located(await refusal(s.manifests.apply(admin, retyped, defaults)))).toEqual([
      expect.stringMatching(
        /^am\.yaml:7: spec\.type: integration:checkout-am: an integration's type cannot change \(alertmanager → events-api-v2\)/,
      ),
    ]);
    expect(await refusal(s.manifests.plan(retyped, defaults))).toBeInstanceOf(InputError);
  });

  test("only the owner team's members (and admins) apply integrations of a service", async () => {
    await s.manifests.apply(admin, [file('services.yaml', SERVICES)], { source: 'catalog', prune: false });
    const outsider: Principal = { ...admin, role: 'member', scopes: new Set(SCOPES.filter((x) => x !== 'admin')) };
    await expect(s.manifests.apply(outsider, [file('i.yaml', AM)], defaults)).rejects.toBeInstanceOf(NotAllowedError);
    expect(await s.alerts.integrationSnapshot()).toEqual([]);
  });

  test('prune revokes the integrations of its own source; declaring one again makes a new key', async () => {
    await s.manifests.apply(admin, [file('services.yaml', SERVICES)], { source: 'catalog', prune: false });
    const a = await s.manifests.apply(admin, [file('a.yaml', docs(AM, HOOK))], { source: 'team-a', prune: false });
    await s.alerts.createIntegration(admin, { name: 'by-hand', service: 'checkout', type: 'events-api-v2' });
    const amKey = a.secrets?.find((x) => x.ref === 'integration:checkout-am')?.key ?? '';

    const remaining = [file('a.yaml', HOOK)];
    const plan = await s.manifests.plan(remaining, { source: 'team-a', prune: true });
    expect(plan.changes).toEqual([{ action: 'delete', ref: 'integration:checkout-am', fields: [] }]);
    const applied = await s.manifests.apply(admin, remaining, { source: 'team-a', prune: true });
    expect(applied.deleted).toEqual(['integration:checkout-am']);
    expect(await works(amKey)).toBe(false);
    expect((await s.alerts.integrationSnapshot()).map((i) => [i.name, i.revoked])).toEqual([
      ['by-hand', false],
      ['checkout-am', true],
      ['grafana', false],
    ]);
    expect((await s.manifests.plan(remaining, { source: 'team-a', prune: true })).changes).toEqual([]);

    const back = await s.manifests.apply(admin, [file('a.yaml', docs(AM, HOOK))], { source: 'team-a', prune: true });
    expect(back.created).toEqual(['integration:checkout-am']);
    const fresh = back.secrets?.[0]?.key ?? '';
    expect(fresh).not.toBe(amKey);
    expect(await works(fresh)).toBe(true);
  });

  test('export applies back without drift, here and on a fresh server, and never holds a key', async () => {
    const files = [file('services.yaml', SERVICES), file('i.yaml', docs(AM, HOOK))];
    const applied = await s.manifests.apply(admin, files, defaults);
    const yaml = await s.manifests.exportYaml();
    expect(yaml).toContain('kind: Integration');
    expect(yaml).toContain('summary: $.title');
    for (const secret of applied.secrets ?? []) expect(yaml).not.toContain(secret.key);
    const exported = [file('export.yaml', yaml)];
    expect(await s.manifests.plan(exported, { ...defaults, prune: true })).toMatchObject({ drift: false, changes: [] });

    const fresh = await setup(dialect);
    try {
      const restored = await fresh.manifests.apply(admin, exported, { source: 'restored', prune: false });
      expect(restored.secrets?.map((x) => x.ref)).toEqual(['integration:checkout-am', 'integration:grafana']);
      const strip = (xs: Array<{ source: string | null }>) => xs.map((x) => ({ ...x, source: null }));
      expect(strip(await fresh.alerts.integrationSnapshot())).toEqual(strip(await s.alerts.integrationSnapshot()));
    } finally {
      await fresh.tdb.destroy();
    }
  });

  test('the example integrations apply with the example organization, then plan without drift', async () => {
    const files = await readManifestFiles(['examples']);
    const applied = await s.manifests.apply(systemPrincipal('examples'), files, { source: 'examples', prune: false });
    expect(applied.created).toEqual(expect.arrayContaining(['integration:checkout-alertmanager', 'integration:grafana-webhook']));
    expect(applied.secrets?.map((x) => x.ref)).toEqual(['integration:checkout-alertmanager', 'integration:grafana-webhook']);
    expect(await stored('grafana-webhook')).toMatchObject({
      service: 'api-gateway',
      type: 'webhook',
      config: { routes: expect.arrayContaining([{ match: ['team="payments"'], service: 'payments' }]) },
    });
    expect(await s.manifests.plan(files, { source: 'examples', prune: true })).toMatchObject({ drift: false, changes: [] });
  });

  test('Integration is a kind only when the alert service is installed', async () => {
    expect(s.manifests.kinds.get('vigil.dev/v1', 'Integration')).toBeDefined();
    const without = new ManifestService({
      db: s.tdb.db,
      clock: new FakeClock(),
      catalog: new CatalogService({ db: s.tdb.db, clock: new FakeClock(), journal: new Journal(new FakeClock()) }),
    });
    expect(located(await refusal(without.plan([file('i.yaml', AM)], defaults)))).toEqual([
      expect.stringMatching(/^i\.yaml:2: kind: unknown kind "Integration"/),
    ]);
  });

  test('the apply API answers the new keys once; the example server loads them', async () => {
    const t = await createTestVigil(dialect, { examples: 'examples' });
    try {
      expect((await t.vigil.alerts.listIntegrations()).map((i) => i.name)).toEqual(
        expect.arrayContaining(['checkout-alertmanager', 'grafana-webhook']),
      );
      const files = [{ path: 'i.yaml', content: AM.replace('checkout-am', 'checkout-am2') }];
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/manifests/apply',
        headers: t.as('admin'),
        payload: { files, source: 'api' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().secrets).toEqual([
        {
          ref: 'integration:checkout-am2',
          key: expect.stringMatching(/^vik_/),
          path: expect.stringMatching(/^\/api\/v1\/integrations\/alertmanager\//),
        },
      ]);
      const again = await t.app.inject({
        method: 'POST',
        url: '/api/v1/manifests/apply',
        headers: t.as('admin'),
        payload: { files, source: 'api' },
      });
      expect(again.json().secrets).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
