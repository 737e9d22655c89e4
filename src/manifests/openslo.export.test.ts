import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { readManifestFiles } from './files.ts';
import type { ExportedDocument } from './kinds.ts';
import { exportOpenSlo, exportVigilSlo } from './openslo.export.ts';
import { parseSloManifests, type SloObjects } from './slo.handler.ts';

const asFile = (docs: ExportedDocument[]) => ({ path: 'export.yaml', content: docs.map((d) => `---\n${stringify(d)}`).join('') });

/** Objects that exercise every corner of the mapping: what a round trip must carry unchanged. */
const EDGES = `apiVersion: vigil.dev/v1
kind: DataSource
metadata: { name: prom }
spec: { type: prometheus, url: "http://prometheus:9090/" }
---
apiVersion: vigil.dev/v1
kind: SLI
metadata: { name: errors }
spec:
  description: Requests that did not fail
  prometheus: { dataSource: prom, bad: 'http_requests_total{code=~"5.."}', total: http_requests_total }
---
apiVersion: vigil.dev/v1
kind: SLI
metadata: { name: latency }
spec:
  service: api-gateway
  events: { threshold: { op: lte, value: 250.5 } }
---
apiVersion: vigil.dev/v1
kind: SLI
metadata: { name: home-probe }
spec: { probe: shop-home }
---
apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: errors-custom, displayName: "Errors: custom", labels: { team: platform, tier: "1" } }
spec:
  service: api-gateway
  description: Several objectives and custom alerting
  sli: errors
  window: { calendar: 1Q, timeZone: Asia/Tokyo, startTime: "2026-04-01T09:00:00" }
  objectives:
    - { target: 99 }
    - { name: strict, displayName: Strict, target: 99.9 }
    - { name: lenient, displayName: Quite lenient, target: 98 }
    - { name: objective-4, target: 99.5 }
    - { displayName: Very strict, target: 0.9999 }
  alerting:
    rules:
      - { name: fast, severity: page, budgetShare: 0.03, longWindow: 2h, shortWindow: 10m }
      - { name: slow, severity: ticket, budgetShare: 0.15, longWindow: 3d, shortWindow: 6h }
    minEvents: 100
    noDataAfter: 2h
---
apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: latency-slices }
spec:
  service: api-gateway
  sli: latency
  window: 7d
  budgetingMethod: Timeslices
  timeSlice: { window: 1m, target: 0.99 }
  target: 0.995
  alerting: { noDataAfter: null }
---
apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: latency-ratio-slices }
spec:
  service: api-gateway
  sli: latency
  budgetingMethod: RatioTimeslices
  objectives: [{ name: only, target: 0.99, timeSlice: { window: 10m } }]
  alerting: { rules: [], noDataAfter: 1h }
---
apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: probe-quiet }
spec:
  service: web-frontend
  sli: home-probe
  target: 99.9
  alerting: { rules: [], noDataAfter: null, minEvents: 0 }
`;

function roundTrips(objects: SloObjects): void {
  const openslo = parseSloManifests([asFile(exportOpenSlo(objects))]);
  expect(openslo.slis).toEqual(objects.slis);
  expect(openslo.slos).toEqual(objects.slos);
  expect(openslo.dataSources).toEqual(objects.dataSources);
  expect(parseSloManifests([asFile(exportVigilSlo(objects))])).toEqual(objects);
}

describe('export writes what reads back to the same objects', () => {
  test('the examples, through OpenSLO and through vigil.dev/v1', async () => {
    const objects = parseSloManifests(await readManifestFiles(['examples']));
    expect(objects.slos.length).toBeGreaterThanOrEqual(5);
    roundTrips(objects);
  });

  test('every corner: calendar quarters, named objectives, custom and absent alerting, probes, thresholds', () => {
    const objects = parseSloManifests([{ path: 'edges.yaml', content: EDGES }]);
    expect(objects.slos.find((s) => s.name === 'errors-custom')?.objectives.map((o) => o.name)).toEqual([
      'default',
      'strict',
      'lenient',
      'objective-4',
      'very-strict',
    ]);
    roundTrips(objects);
  });
});

describe('OpenSLO export', () => {
  test('writes the documents OpenSLO tools expect', () => {
    const objects = parseSloManifests([{ path: 'edges.yaml', content: EDGES }]);
    const docs = exportOpenSlo(objects);
    expect(docs.map((d) => `${d.kind}:${(d.metadata as { name: string }).name}`)).toEqual([
      'DataSource:prom',
      'SLI:errors',
      'SLI:home-probe',
      'SLI:latency',
      'SLO:errors-custom',
      'SLO:latency-ratio-slices',
      'SLO:latency-slices',
      'SLO:probe-quiet',
    ]);
    expect(docs[0]).toEqual({
      apiVersion: 'openslo/v1',
      kind: 'DataSource',
      metadata: { name: 'prom' },
      spec: { type: 'Prometheus', connectionDetails: { url: 'http://prometheus:9090/' } },
    });
    expect(docs[1]?.spec).toEqual({
      description: 'Requests that did not fail',
      ratioMetric: {
        counter: true,
        bad: {
          metricSource: { metricSourceRef: 'prom', type: 'Prometheus', spec: { query: 'http_requests_total{code=~"5.."}' } },
        },
        total: { metricSource: { metricSourceRef: 'prom', type: 'Prometheus', spec: { query: 'http_requests_total' } } },
      },
    });
    expect(docs[3]).toMatchObject({
      metadata: { name: 'latency', annotations: { 'vigil.dev/service': 'api-gateway', 'vigil.dev/threshold': 'lte 250.5' } },
      spec: { thresholdMetric: { metricSource: { type: 'Vigil', spec: { events: 'observations' } } } },
    });
    const custom = docs[4] as unknown as { metadata: unknown; spec: Record<string, unknown> };
    expect(custom.metadata).toEqual({
      name: 'errors-custom',
      displayName: 'Errors: custom',
      labels: { team: 'platform', tier: '1' },
      annotations: { 'vigil.dev/min-events': '100', 'vigil.dev/no-data-after': '2h' },
    });
    expect(custom.spec.timeWindow).toEqual([
      { duration: '1Q', calendar: { startTime: '2026-04-01T09:00:00', timeZone: 'Asia/Tokyo' }, isRolling: false },
    ]);
    // Names are written only where reading would not derive them.
    expect(custom.spec.objectives).toEqual([
      { target: 0.99 },
      { displayName: 'Strict', target: 0.999 },
      { displayName: 'Quite lenient', name: 'lenient', target: 0.98 },
      { target: 0.995 },
      { displayName: 'Very strict', target: 0.9999 },
    ]);
    // 3 % of a 90-day budget in 2 h is a burn rate of 32.4.
    expect((custom.spec.alertPolicies as unknown[])[0]).toEqual({
      kind: 'AlertPolicy',
      metadata: { name: 'errors-custom-fast' },
      spec: {
        alertWhenBreaching: true,
        alertWhenNoData: true,
        conditions: [
          {
            kind: 'AlertCondition',
            metadata: { name: 'fast' },
            spec: {
              severity: 'page',
              condition: { kind: 'burnrate', op: 'gte', threshold: 32.4, lookbackWindow: '2h', alertAfter: '10m' },
            },
          },
        ],
      },
    });
    // Objectives of a threshold SLI carry its op and value; defaults are not written.
    expect((docs[6]?.spec as { objectives: unknown } | undefined)?.objectives).toEqual([
      { op: 'lte', value: 250.5, target: 0.995, timeSliceTarget: 0.99, timeSliceWindow: '1m' },
    ]);
    expect(docs[7]?.metadata).toEqual({
      name: 'probe-quiet',
      annotations: { 'vigil.dev/min-events': '0', 'vigil.dev/burn-rate-rules': 'none', 'vigil.dev/no-data-after': 'off' },
    });
  });
});
