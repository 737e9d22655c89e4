import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { AlertService } from '../alerts/alert.service.ts';
import { AlertPolicyService } from '../alerts/policy.service.ts';
import { systemPrincipal } from '../auth/principal.ts';
import { CatalogService } from '../catalog/index.ts';
import { FakeClock } from '../core/clock.ts';
import { InputError } from '../core/errors.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { ProbeService } from '../probes/probe.service.ts';
import { SloService, type SloState } from '../slo/slo.service.ts';
import { readManifestFiles } from './files.ts';
import { ManifestService } from './manifests.service.ts';
import type { ManifestFile } from './parse.ts';

const admin = systemPrincipal('test');
const defaults = { source: 'default', prune: false };

const SERVICES = `apiVersion: vigil.dev/v1
kind: Service
metadata: { name: checkout }
---
apiVersion: vigil.dev/v1
kind: Service
metadata: { name: api-gateway }
`;

const file = (path: string, content: string): ManifestFile => ({ path, content });

async function refusal(promise: Promise<unknown>): Promise<InputError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  if (error instanceof InputError) return error;
  throw new Error(`expected an InputError, got ${String(error)}`);
}

const located = (e: InputError) => e.issues.map((i) => `${i.file}:${i.line}: ${i.path}: ${i.message}`);

/** The stored SLO objects without their owners, to compare states applied from different sources. */
function unsourced(state: SloState): unknown {
  const strip = <T extends object>(xs: T[]) => xs.map((x) => ({ ...x, source: null, configSource: null }));
  return {
    slis: strip(state.slis),
    slos: strip(state.slos),
    slas: strip(state.slas),
    dataSources: strip(state.dataSources),
    policies: strip(state.policies),
    maintenanceWindows: strip(state.maintenanceWindows),
  };
}

interface Setup {
  tdb: TestDatabase;
  catalog: CatalogService;
  slo: SloService;
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
  return { tdb, catalog, slo, manifests: new ManifestService({ db: tdb.db, clock, catalog, slo, probes, alerts, policies }) };
}

describe.each(testDialects)('SLO manifests on %s', (dialect) => {
  let s: Setup;

  beforeEach(async () => {
    s = await setup(dialect);
  });
  afterEach(async () => {
    await s.tdb.destroy();
  });

  test('the examples apply with their catalog, then plan without drift', async () => {
    const files = await readManifestFiles(['examples']);
    const plan = await s.manifests.plan(files, { source: 'examples', prune: false });
    expect(plan.changes).toContainEqual({
      action: 'create',
      ref: 'slo:api-gateway-latency',
      fields: [],
      file: 'examples/slo/openslo.yaml',
      line: expect.any(Number),
    });

    const applied = await s.manifests.apply(systemPrincipal('examples'), files, { source: 'examples', prune: false });
    expect(applied.created).toEqual(
      expect.arrayContaining([
        'service:checkout',
        'sli:checkout-requests',
        'slo:checkout-availability',
        'slo:payments-availability',
        'slo:api-gateway-latency',
        'slo:auth-logins',
        'slo:web-frontend-availability',
        'sla:checkout-enterprise',
        'policy:payments',
        'policy:checkout',
        'maintenance:ledger-weekly',
      ]),
    );
    const state = await s.slo.snapshot();
    expect(state.slos.find((x) => x.name === 'api-gateway-latency')).toMatchObject({
      budgetingMethod: 'Timeslices',
      objectives: [{ target: 0.9995, timeSliceTarget: 0.95, timeSliceWindow: '5m' }],
      source: 'examples',
    });
    expect(state.slis.find((x) => x.name === 'api-gateway-latency')).toMatchObject({
      threshold: { op: 'lt', value: 100 },
      configSource: 'examples',
    });
    expect(state.slos.find((x) => x.name === 'payments-availability')?.alerting.rules).toEqual([
      { name: 'payments-fast-burn', severity: 'page', budgetShare: 0.02, longWindow: '1h', shortWindow: '5m' },
      { name: 'slow-burn', severity: 'ticket', budgetShare: 0.1, longWindow: '1d', shortWindow: '2h' },
    ]);

    const again = await s.manifests.plan(files, { source: 'examples', prune: true });
    expect(again).toMatchObject({ drift: false, changes: [] });
  });

  test('export --openslo applies back unchanged: no drift here, the same SLOs elsewhere', async () => {
    const examples = await readManifestFiles(['examples']);
    await s.manifests.apply(admin, examples, { source: 'examples', prune: false });
    const yaml = await s.manifests.exportYaml('openslo');
    expect(yaml.startsWith('# Vigil SLOs as OpenSLO v1')).toBe(true);
    const docs = parseAllDocuments(yaml);
    const kinds = (Array.isArray(docs) ? docs : []).map((d) => `${d.get('apiVersion')} ${d.get('kind')}`);
    expect(new Set(kinds)).toEqual(new Set(['openslo/v1 SLI', 'openslo/v1 SLO']));

    // Against the server it came from: the SLO objects would only change hands.
    const exported = [file('export.yaml', yaml)];
    const plan = await s.manifests.plan(exported, defaults);
    expect(plan.drift).toBe(false);
    expect(new Set(plan.changes.map((c) => c.action))).toEqual(new Set(['adopt']));
    expect((await s.manifests.plan(exported, { source: 'examples', prune: false })).changes).toEqual([]);

    // On a fresh server with the same catalog, the export recreates the same SLIs and SLOs.
    const other = await setup(dialect);
    try {
      const catalogFiles = await readManifestFiles(['examples/catalog', 'examples/backstage']);
      await other.manifests.apply(admin, [...catalogFiles, ...exported], defaults);
      expect((await other.manifests.plan([...catalogFiles, ...exported], defaults)).drift).toBe(false);
      const before = unsourced(await s.slo.snapshot()) as Record<string, unknown>;
      const after = unsourced(await other.slo.snapshot()) as Record<string, unknown>;
      expect(after.slis).toEqual(before.slis);
      expect(after.slos).toEqual(before.slos);
      expect(await other.manifests.exportYaml('openslo')).toBe(yaml);
    } finally {
      await other.tdb.destroy();
    }
  });

  test('export (vigil.dev/v1) carries SLAs, policies and maintenance windows too', async () => {
    await s.manifests.apply(admin, await readManifestFiles(['examples']), { source: 'examples', prune: false });
    const yaml = await s.manifests.exportYaml();
    for (const kind of ['SLI', 'SLO', 'SLA', 'ErrorBudgetPolicy', 'MaintenanceWindow']) expect(yaml).toContain(`kind: ${kind}\n`);
    const exported = [file('export.yaml', yaml)];
    expect((await s.manifests.plan(exported, defaults)).drift).toBe(false);

    const other = await setup(dialect);
    try {
      await other.manifests.apply(admin, exported, defaults);
      expect((await other.manifests.plan(exported, { ...defaults, prune: true })).drift).toBe(false);
      expect(unsourced(await other.slo.snapshot())).toEqual(unsourced(await s.slo.snapshot()));
      expect(await other.manifests.exportYaml()).toBe(yaml);
    } finally {
      await other.tdb.destroy();
    }
  });

  test('a changed target is an update with its field, file and line; apply journals nothing else', async () => {
    const slo = (target: string) =>
      file(
        'slo.yaml',
        `apiVersion: vigil.dev/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  indicator: { events: {} }
  target: ${target}
`,
      );
    const services = file('services.yaml', SERVICES);
    await s.manifests.apply(admin, [services, slo('99.9')], defaults);
    const plan = await s.manifests.plan([services, slo('99.95')], defaults);
    expect(plan.drift).toBe(true);
    expect(plan.changes).toEqual([
      {
        action: 'update',
        ref: 'slo:checkout-availability',
        fields: [
          {
            field: 'objectives',
            from: [{ name: 'default', displayName: null, target: 0.999, timeSliceTarget: null, timeSliceWindow: null }],
            to: [{ name: 'default', displayName: null, target: 0.9995, timeSliceTarget: null, timeSliceWindow: null }],
          },
        ],
        file: 'slo.yaml',
        line: 4,
      },
    ]);
    const applied = await s.manifests.apply(admin, [services, slo('99.95')], defaults);
    expect(applied.updated).toEqual(['slo:checkout-availability']);
    expect(applied.unchanged).toContain('sli:checkout-availability-sli');
  });

  test('SLOs name catalog services: declared in the same manifests, stored, or refused at their line', async () => {
    const sloFor = (service: string) =>
      file(
        'slo.yaml',
        `apiVersion: openslo/v1
kind: Service
metadata:
  name: ${service}
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: availability
spec:
  service: ${service}
  indicator:
    metadata: { name: requests }
    spec:
      ratioMetric:
        counter: true
        good: { metricSource: { type: Vigil, spec: {} } }
        total: { metricSource: { type: Vigil, spec: {} } }
  budgetingMethod: Occurrences
  objectives: [{ targetPercent: 99.9 }]
`,
      );
    for (const attempt of [
      () => s.manifests.plan([sloFor('nope')], defaults),
      () => s.manifests.apply(admin, [sloFor('nope')], defaults),
    ]) {
      expect(located(await refusal(attempt()))).toEqual([
        'slo.yaml:13: spec.indicator.metadata.name: sli:requests: service "nope" is not in the catalog; add it there (a Service manifest) first',
        'slo.yaml:11: spec.service: slo:availability: service "nope" is not in the catalog; add it there (a Service manifest) first',
        expect.stringMatching(
          /^slo\.yaml:4: metadata\.name: service "nope" is not in the catalog; Vigil's services live in the catalog/,
        ),
      ]);
    }
    expect((await s.slo.snapshot()).slos).toEqual([]);

    // The catalog Service in the same apply: the catalog handler runs first.
    const withCatalog = [file('services.yaml', SERVICES), sloFor('checkout')];
    const plan = await s.manifests.plan(withCatalog, defaults);
    expect(plan.changes.map((c) => `${c.action} ${c.ref}`)).toEqual([
      'create service:api-gateway',
      'create service:checkout',
      'create sli:requests',
      'create slo:availability',
    ]);
    await s.manifests.apply(admin, withCatalog, defaults);
    // Stored now: the SLO file alone is fine.
    expect((await s.manifests.plan([sloFor('checkout')], defaults)).drift).toBe(false);
  });

  test('prune deletes SLO objects of the same source, never leaving a reference dangling', async () => {
    const objects = file(
      'slos.yaml',
      `apiVersion: vigil.dev/v1
kind: SLI
metadata: { name: reqs }
spec: { service: checkout }
---
apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: checkout-availability }
spec: { service: checkout, sli: reqs, target: 99.9 }
---
apiVersion: vigil.dev/v1
kind: SLA
metadata: { name: gold }
spec: { slo: checkout-availability, target: 99 }
`,
    );
    const services = file('services.yaml', SERVICES);
    await s.manifests.apply(admin, [services, objects], { source: 'repo', prune: false });

    const sloOnly = file(
      'slo.yaml',
      `apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: checkout-availability }
spec:
  service: checkout
  sli: reqs
  target: 99.9
`,
    );
    const e = await refusal(s.manifests.plan([services, sloOnly], { source: 'repo', prune: true }));
    expect(located(e)).toEqual(['slo.yaml:6: spec.sli: slo:checkout-availability: SLI "reqs" would be deleted by this prune']);

    const plan = await s.manifests.plan([services], { source: 'repo', prune: true });
    expect(plan.changes.map((c) => `${c.action} ${c.ref}`)).toEqual([
      'delete sli:reqs',
      'delete slo:checkout-availability',
      'delete sla:gold',
    ]);
    const applied = await s.manifests.apply(admin, [services], { source: 'repo', prune: true });
    expect(applied.deleted).toEqual(expect.arrayContaining(['sli:reqs', 'slo:checkout-availability', 'sla:gold']));
    expect(unsourced(await s.slo.snapshot())).toEqual({
      slis: [],
      slos: [],
      slas: [],
      dataSources: [],
      policies: [],
      maintenanceWindows: [],
    });
  });

  test('refusals of the SLO service come back at the line that caused them, and nothing is written', async () => {
    const bad = file(
      'slo.yaml',
      `apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: checkout-availability }
spec:
  service: checkout
  indicator: { events: {} }
  target: 99.9
  alerting:
    rules:
      - name: no-data
        severity: page
        budgetShare: 0.02
        longWindow: 1h
        shortWindow: 5m
`,
    );
    const e = await refusal(s.manifests.apply(admin, [file('services.yaml', SERVICES), bad], defaults));
    expect(located(e)).toEqual([
      expect.stringMatching(
        /^slo\.yaml:10: spec\.alerting\.rules\[0\]\.name: slo:checkout-availability: rule name "no-data" is taken/,
      ),
    ]);
    // One transaction: the services of the same apply were rolled back too.
    expect((await s.catalog.snapshot()).entities).toEqual([]);
  });

  test('a Prometheus DataSource and SLI, in OpenSLO', async () => {
    const files = [
      file('services.yaml', SERVICES),
      file(
        'prom.yaml',
        `apiVersion: openslo/v1
kind: DataSource
metadata: { name: prom }
spec:
  type: Prometheus
  connectionDetails: { url: "http://prometheus:9090" }
---
apiVersion: openslo/v1
kind: SLO
metadata: { name: gateway-errors }
spec:
  service: api-gateway
  indicator:
    metadata: { name: gateway-requests }
    spec:
      ratioMetric:
        counter: true
        bad: { metricSource: { metricSourceRef: prom, type: Prometheus, spec: { query: 'http_requests_total{code=~"5.."}' } } }
        total: { metricSource: { metricSourceRef: prom, type: Prometheus, spec: { query: http_requests_total } } }
  timeWindow: [{ duration: 30d, isRolling: true }]
  budgetingMethod: Occurrences
  objectives: [{ target: 0.999 }]
`,
      ),
    ];
    const applied = await s.manifests.apply(admin, files, defaults);
    expect(applied.created).toEqual(expect.arrayContaining(['datasource:prom', 'sli:gateway-requests', 'slo:gateway-errors']));
    const yaml = await s.manifests.exportYaml('openslo');
    expect(yaml).toContain('kind: DataSource');
    // The export names the stored DataSource; applied alone it reads back the same.
    expect((await s.manifests.plan([file('export.yaml', yaml)], defaults)).drift).toBe(false);
  });
});
