import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { AlertService } from '../alerts/alert.service.ts';
import { AlertPolicyService } from '../alerts/policy.service.ts';
import { type Principal, SCOPES, systemPrincipal } from '../auth/principal.ts';
import { CatalogService } from '../catalog/index.ts';
import { FakeClock } from '../core/clock.ts';
import { InputError, NotAllowedError } from '../core/errors.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { ProbeService } from '../probes/probe.service.ts';
import { SloService } from '../slo/slo.service.ts';
import { createTestVigil } from '../testing/vigil.ts';
import { readManifestFiles } from './files.ts';
import { handlerRef } from './kinds.ts';
import { ManifestService } from './manifests.service.ts';
import type { ManifestFile } from './parse.ts';
import { parseSloManifests } from './slo.handler.ts';

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

const CHECKOUT = `apiVersion: vigil.dev/v1
kind: AlertPolicy
metadata:
  name: checkout
spec:
  grouping:
    groupBy: [alertname]
    groupWait: 30s
    groupInterval: 5m
    repeatInterval: 4h
  workingHours:
    timeZone: Europe/Berlin
    days: [1, 2, 3, 4, 5]
    start: "08:00"
    end: "18:00"
`;

const PAYMENTS = `apiVersion: vigil.dev/v1
kind: AlertPolicy
metadata:
  name: payments
spec:
  urgency: { warning: high }
  inhibitRules:
    - name: database-down-mutes-api
      sourceMatchers: ['dedup_key="db/down"']
      targetMatchers: ['component="api"']
      equal: [service]
  flapping: false
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
  policies: AlertPolicyService;
  catalog: CatalogService;
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
  return {
    tdb,
    policies,
    catalog,
    manifests: new ManifestService({ db: tdb.db, clock, catalog, slo, probes, alerts, policies }),
  };
}

const policyChanges = <T extends { ref: string }>(changes: T[]): T[] => changes.filter((c) => c.ref.startsWith('alert-policy:'));

describe.each(testDialects)('AlertPolicy manifests on %s', (dialect) => {
  let s: Setup;

  beforeEach(async () => {
    s = await setup(dialect);
  });
  afterEach(async () => {
    await s.tdb.destroy();
  });

  test('apply sets the policies with their source; the same files then plan without drift', async () => {
    const files = [file('services.yaml', SERVICES), file('alerting/policies.yaml', docs(CHECKOUT, PAYMENTS))];
    const plan = await s.manifests.plan(files, defaults);
    expect(policyChanges(plan.changes)).toEqual([
      { action: 'create', ref: 'alert-policy:checkout', fields: [], file: 'alerting/policies.yaml', line: 4 },
      { action: 'create', ref: 'alert-policy:payments', fields: [], file: 'alerting/policies.yaml', line: 20 },
    ]);

    const applied = await s.manifests.apply(admin, files, defaults);
    expect(applied.created).toEqual(expect.arrayContaining(['alert-policy:checkout', 'alert-policy:payments']));
    const checkout = await s.policies.get('checkout');
    expect(checkout).toMatchObject({
      custom: true,
      source: 'default',
      policy: {
        grouping: { groupBy: ['alertname'], groupWait: '30s', groupInterval: '5m', repeatInterval: '4h' },
        workingHours: { timeZone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], start: '08:00', end: '18:00' },
        urgency: {},
        flapping: { threshold: 6 },
      },
    });
    expect(await s.policies.get('payments')).toMatchObject({
      custom: true,
      policy: {
        grouping: null,
        urgency: { warning: 'high' },
        inhibitRules: [{ name: 'database-down-mutes-api', equal: ['service'] }],
        flapping: false,
      },
    });

    expect(await s.manifests.plan(files, { ...defaults, prune: true })).toMatchObject({ drift: false, changes: [] });
    const again = await s.manifests.apply(admin, files, defaults);
    expect(again.unchanged).toEqual(expect.arrayContaining(['alert-policy:checkout', 'alert-policy:payments']));
    expect(policyChanges([...again.created, ...again.updated].map((ref) => ({ ref })))).toEqual([]);
  });

  test('a changed spec is an update naming its fields; another source adopts', async () => {
    await s.manifests.apply(admin, [file('services.yaml', SERVICES), file('p.yaml', CHECKOUT)], defaults);
    const changed = CHECKOUT.replace('groupWait: 30s', 'groupWait: 1m').replace('timeZone: Europe/Berlin', 'timeZone: UTC');
    const files = [file('services.yaml', SERVICES), file('p.yaml', `${changed}  urgency: { warning: high }\n`)];
    const plan = await s.manifests.plan(files, defaults);
    expect(plan.changes).toEqual([
      {
        action: 'update',
        ref: 'alert-policy:checkout',
        file: 'p.yaml',
        line: 4,
        fields: [
          { field: 'grouping.groupWait', from: '30s', to: '1m' },
          { field: 'urgency.warning', from: null, to: 'high' },
          { field: 'workingHours.timeZone', from: 'Europe/Berlin', to: 'UTC' },
        ],
      },
    ]);
    const applied = await s.manifests.apply(admin, files, defaults);
    expect(applied.updated).toEqual(['alert-policy:checkout']);
    expect((await s.policies.get('checkout')).policy).toMatchObject({
      grouping: { groupWait: '1m' },
      urgency: { warning: 'high' },
      workingHours: { timeZone: 'UTC' },
    });

    const other = await s.manifests.plan(files, { source: 'team-repo', prune: false });
    expect(other.drift).toBe(false);
    expect(policyChanges(other.changes)).toEqual([
      {
        action: 'adopt',
        ref: 'alert-policy:checkout',
        file: 'p.yaml',
        line: 4,
        fields: [{ field: 'source', from: 'default', to: 'team-repo' }],
      },
    ]);
    const adopted = await s.manifests.apply(admin, files, { source: 'team-repo', prune: false });
    expect(adopted.adopted).toEqual(expect.arrayContaining(['alert-policy:checkout']));
    expect((await s.policies.get('checkout')).source).toBe('team-repo');
  });

  test('mistakes are refused at their file, line and field, in plan as in apply', async () => {
    const bad = `apiVersion: vigil.dev/v1
kind: AlertPolicy
metadata:
  name: checkout
spec:
  grouping:
    groupBy: [alertname]
    groupWait: soon
  urgency: { warning: urgent }
  colour: blue
`;
    const files = [file('services.yaml', SERVICES), file('alerting/bad.yaml', bad)];
    for (const attempt of [() => s.manifests.plan(files, defaults), () => s.manifests.apply(admin, files, defaults)]) {
      expect(located(await refusal(attempt()))).toEqual([
        expect.stringMatching(/^alerting\/bad\.yaml:9: spec\.urgency\.warning: /),
        'alerting/bad.yaml:10: spec.colour: unknown field',
      ]);
    }
    // Past the shape: the grouping's durations and the matchers' syntax.
    const semantic = CHECKOUT.replace('groupWait: 30s', 'groupWait: soon').replace(
      'workingHours:',
      'inhibitRules:\n    - sourceMatchers: [\'a=~"("\']\n      targetMatchers: [\'b="c"\']\n  workingHours:',
    );
    for (const attempt of [
      () => s.manifests.plan([file('services.yaml', SERVICES), file('p.yaml', semantic)], defaults),
      () => s.manifests.apply(admin, [file('services.yaml', SERVICES), file('p.yaml', semantic)], defaults),
    ]) {
      expect(located(await refusal(attempt()))).toEqual([
        expect.stringMatching(/^p\.yaml:8: spec\.grouping\.groupWait: /),
        expect.stringMatching(/^p\.yaml:12: spec\.inhibitRules\[0\]\.sourceMatchers\[0\]: /),
      ]);
    }

    const elsewhere = [file('services.yaml', SERVICES), file('p.yaml', CHECKOUT.replace('name: checkout', 'name: storefront'))];
    for (const attempt of [() => s.manifests.plan(elsewhere, defaults), () => s.manifests.apply(admin, elsewhere, defaults)]) {
      expect(located(await refusal(attempt()))).toEqual([
        expect.stringMatching(/^p\.yaml:4: metadata\.name: alert-policy:storefront: service "storefront" is not in the catalog/),
      ]);
    }

    const twice = [file('services.yaml', SERVICES), file('a.yaml', CHECKOUT), file('b.yaml', `# again\n${CHECKOUT}`)];
    expect(located(await refusal(s.manifests.plan(twice, defaults)))).toEqual([
      'b.yaml:5: metadata.name: AlertPolicy checkout is defined twice: here and at a.yaml:4',
    ]);
    expect(await s.policies.list()).toEqual([]);
  });

  test('all or nothing: another bad document writes no policy and no service', async () => {
    const badIntegration = `apiVersion: vigil.dev/v1
kind: Integration
metadata: { name: ledger-am }
spec: { service: ledger, type: alertmanager }
`;
    const files = [file('services.yaml', SERVICES), file('p.yaml', CHECKOUT), file('i.yaml', badIntegration)];
    expect(located(await refusal(s.manifests.apply(admin, files, defaults)))).toEqual([
      expect.stringMatching(/^i\.yaml:4: spec\.service: integration:ledger-am: service "ledger" is not in the catalog/),
    ]);
    expect(await s.policies.list()).toEqual([]);
    expect((await s.catalog.snapshot()).entities).toEqual([]);

    // A handler failing after the policies were written takes them back too.
    const clock = new FakeClock();
    const failing = new ManifestService({
      db: s.tdb.db,
      clock,
      catalog: s.catalog,
      policies: s.policies,
      handlers: [
        {
          ref: handlerRef('failing'),
          plan: async () => ({ changes: [], unchanged: [] }),
          apply: async () => {
            throw new InputError('no');
          },
          export: async () => [],
        },
      ],
    });
    await expect(
      failing.apply(admin, [file('services.yaml', SERVICES), file('p.yaml', CHECKOUT)], defaults),
    ).rejects.toBeInstanceOf(InputError);
    expect(await s.policies.list()).toEqual([]);
    expect((await s.catalog.snapshot()).entities).toEqual([]);
  });

  test('a policy for a service declared in the same apply works; pruning that service in the plan refuses it', async () => {
    await s.manifests.apply(admin, [file('services.yaml', SERVICES)], { source: 'catalog', prune: false });
    // The catalog is pruned of its services by this apply, so the policy would name nothing.
    const files = [file('p.yaml', CHECKOUT)];
    expect(located(await refusal(s.manifests.plan(files, { source: 'catalog', prune: true })))).toEqual([
      expect.stringMatching(/^p\.yaml:4: metadata\.name: alert-policy:checkout: service "checkout" is not in the catalog/),
    ]);
    expect(policyChanges((await s.manifests.plan(files, { source: 'policies', prune: true })).changes)).toEqual([
      expect.objectContaining({ action: 'create', ref: 'alert-policy:checkout' }),
    ]);
  });

  test("only the owner team's members (and admins) apply a service's policy", async () => {
    await s.manifests.apply(admin, [file('services.yaml', SERVICES)], { source: 'catalog', prune: false });
    const outsider: Principal = { ...admin, role: 'member', scopes: new Set(SCOPES.filter((x) => x !== 'admin')) };
    await expect(s.manifests.apply(outsider, [file('p.yaml', CHECKOUT)], defaults)).rejects.toBeInstanceOf(NotAllowedError);
    expect(await s.policies.list()).toEqual([]);
  });

  test('prune removes the policies of its own source only', async () => {
    await s.manifests.apply(admin, [file('services.yaml', SERVICES)], { source: 'catalog', prune: false });
    await s.manifests.apply(admin, [file('p.yaml', docs(CHECKOUT, PAYMENTS))], { source: 'team-a', prune: false });
    await s.policies.set(admin, 'payments', { urgency: { info: 'high' } }); // by hand: no source
    await s.manifests.apply(admin, [file('p.yaml', CHECKOUT)], { source: 'team-b', prune: false });

    // team-a now declares nothing: payments is no longer theirs (set by hand), checkout is team-b's.
    expect((await s.manifests.plan([], { source: 'team-a', prune: true })).changes).toEqual([]);
    const remaining = [file('p.yaml', PAYMENTS)];
    await s.manifests.apply(admin, remaining, { source: 'team-a', prune: false });
    const plan = await s.manifests.plan([], { source: 'team-a', prune: true });
    expect(plan.changes).toEqual([{ action: 'delete', ref: 'alert-policy:payments', fields: [] }]);
    const applied = await s.manifests.apply(admin, [], { source: 'team-a', prune: true });
    expect(applied.deleted).toEqual(['alert-policy:payments']);
    expect((await s.policies.get('payments')).custom).toBe(false);
    expect((await s.policies.list()).map((p) => [p.service, p.source])).toEqual([['checkout', 'team-b']]);
    expect((await s.manifests.plan([], { source: 'team-a', prune: true })).changes).toEqual([]);
  });

  test('export applies back without drift, here and on a fresh server', async () => {
    const files = [file('services.yaml', SERVICES), file('p.yaml', docs(CHECKOUT, PAYMENTS))];
    await s.manifests.apply(admin, files, defaults);
    await s.policies.set(admin, 'payments', { urgency: { warning: 'high' }, flapping: false, inhibitRules: [] });
    const yaml = await s.manifests.exportYaml();
    expect(yaml).toContain('kind: AlertPolicy');
    expect(yaml).toContain('timeZone: Europe/Berlin');
    // What equals the defaults is left out.
    const checkoutDoc = yaml.slice(yaml.indexOf('name: checkout\nspec:'));
    expect(checkoutDoc.slice(0, checkoutDoc.indexOf('---'))).not.toContain('flapping');
    const exported = [file('export.yaml', yaml)];
    const plan = await s.manifests.plan(exported, { ...defaults, prune: true });
    expect(policyChanges(plan.changes)).toEqual([
      expect.objectContaining({
        action: 'adopt',
        ref: 'alert-policy:payments',
        fields: [{ field: 'source', from: null, to: 'default' }],
      }),
    ]);
    expect(plan.drift).toBe(false);
    await s.manifests.apply(admin, exported, { ...defaults, prune: true });
    expect(await s.manifests.plan(exported, { ...defaults, prune: true })).toMatchObject({ drift: false, changes: [] });

    const fresh = await setup(dialect);
    try {
      await fresh.manifests.apply(admin, exported, { source: 'restored', prune: false });
      const strip = (xs: Array<{ source: string | null; updatedAt: number | null }>) =>
        xs.map((x) => ({ ...x, source: null, updatedAt: null }));
      expect(strip(await fresh.policies.list())).toEqual(strip(await s.policies.list()));
      expect(await fresh.manifests.plan(exported, { source: 'restored', prune: true })).toMatchObject({
        drift: false,
        changes: [],
      });
    } finally {
      await fresh.tdb.destroy();
    }
  });

  test('the example policy applies with the example organization and reads without a server', async () => {
    const files = await readManifestFiles(['examples']);
    const applied = await s.manifests.apply(systemPrincipal('examples'), files, { source: 'examples', prune: false });
    expect(applied.created).toContain('alert-policy:checkout');
    expect(await s.policies.get('checkout')).toMatchObject({
      custom: true,
      source: 'examples',
      policy: { grouping: { groupBy: ['alertname'], repeatInterval: '4h' }, workingHours: { timeZone: 'Europe/Berlin' } },
    });
    expect(await s.manifests.plan(files, { source: 'examples', prune: true })).toMatchObject({ drift: false, changes: [] });
    // `vigil rules prometheus -f examples` reads the same folder without a database.
    expect(() => parseSloManifests(files)).not.toThrow();
  });

  test('AlertPolicy is a kind only when the policy service is installed', async () => {
    expect(s.manifests.kinds.get('vigil.dev/v1', 'AlertPolicy')).toBeDefined();
    const without = new ManifestService({
      db: s.tdb.db,
      clock: new FakeClock(),
      catalog: new CatalogService({ db: s.tdb.db, clock: new FakeClock(), journal: new Journal(new FakeClock()) }),
    });
    expect(located(await refusal(without.plan([file('p.yaml', CHECKOUT)], defaults)))).toEqual([
      expect.stringMatching(/^p\.yaml:2: kind: unknown kind "AlertPolicy"/),
    ]);
  });

  test('an applied policy takes effect: the API shows it with its source; the example server has checkout’s', async () => {
    const t = await createTestVigil(dialect, { examples: 'examples' });
    try {
      const shown = await t.app.inject({ method: 'GET', url: '/api/v1/services/checkout/alert-policy', headers: t.as('admin') });
      expect(shown.statusCode, shown.body).toBe(200);
      expect(shown.json()).toMatchObject({
        custom: true,
        source: 'examples',
        policy: { grouping: { groupBy: ['alertname'], groupWait: '30s' }, workingHours: { timeZone: 'Europe/Berlin' } },
      });

      const files = [{ path: 'p.yaml', content: PAYMENTS }];
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/manifests/apply',
        headers: t.as('admin'),
        payload: { files, source: 'api' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().created).toEqual(['alert-policy:payments']);
      const payments = await t.app.inject({
        method: 'GET',
        url: '/api/v1/services/payments/alert-policy',
        headers: t.as('admin'),
      });
      expect(payments.json()).toMatchObject({
        custom: true,
        source: 'api',
        policy: { urgency: { warning: 'high' }, flapping: false },
      });
    } finally {
      await t.close();
    }
  });
});
