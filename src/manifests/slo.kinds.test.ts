import { describe, expect, test } from 'vitest';
import { InputError } from '../core/errors.ts';
import { DEFAULT_BURN_RATE_RULES } from '../slo/slo.model.ts';
import { parseSloManifests, type SloObjects } from './slo.handler.ts';

/** Parses documents given as one file each (`a.yaml`, `b.yaml`, …), or as one file when a string. */
function parse(...contents: string[]): SloObjects {
  return parseSloManifests(contents.map((content, i) => ({ path: `${String.fromCharCode(97 + i)}.yaml`, content })));
}

function refusal(...contents: string[]): InputError {
  try {
    parse(...contents);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected the manifests to be refused');
}

/** `file:line: path: message` of every issue, as the CLI prints them. */
function problems(...contents: string[]): string[] {
  return refusal(...contents).issues.map((i) => `${i.file}:${i.line}: ${i.path}: ${i.message}`);
}

const PROM = `apiVersion: openslo/v1
kind: DataSource
metadata:
  name: prom
spec:
  type: Prometheus
  connectionDetails:
    url: http://prometheus:9090
`;

const eventsRatio = `ratioMetric:
        counter: true
        good:
          metricSource:
            type: Vigil
            spec: { events: good }
        total:
          metricSource:
            type: Vigil
            spec: { events: total }`;

const slo = (spec: string, metadata = '') => `apiVersion: openslo/v1
kind: SLO
metadata:
  name: checkout-availability
${metadata}spec:
  service: checkout
${spec}`;

const inlineEvents = `  indicator:
    metadata:
      name: checkout-requests
    spec:
      ${eventsRatio}
`;

const occurrences = `  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
`;

describe('OpenSLO v1', () => {
  test('an SLO with an inline SLI, a rolling window and targetPercent', () => {
    const out = parse(
      slo(`${inlineEvents}${occurrences}  objectives:\n    - displayName: Checkout succeeds\n      targetPercent: 99.9\n`),
    );
    expect(out.slis).toEqual([
      {
        name: 'checkout-requests',
        service: 'checkout',
        description: null,
        source: 'events',
        threshold: null,
        prometheus: null,
        probe: null,
      },
    ]);
    expect(out.slos).toEqual([
      {
        name: 'checkout-availability',
        displayName: null,
        description: null,
        service: 'checkout',
        sli: 'checkout-requests',
        timeWindow: { type: 'rolling', duration: '28d' },
        budgetingMethod: 'Occurrences',
        objectives: [
          { name: 'default', displayName: 'Checkout succeeds', target: 0.999, timeSliceTarget: null, timeSliceWindow: null },
        ],
        alerting: { rules: DEFAULT_BURN_RATE_RULES, minEvents: 10, noDataAfter: '30m' },
        labels: {},
      },
    ]);
  });

  test('an SLI by reference, from a Prometheus DataSource, with good or bad over total', () => {
    const sli = (name: string, numerator: 'good' | 'bad') => `---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: ${name}
spec:
  description: Checkout requests
  ratioMetric:
    counter: true
    ${numerator}:
      metricSource:
        metricSourceRef: prom
        type: Prometheus
        spec:
          query: http_requests_total{job="checkout",code${numerator === 'good' ? '!' : '='}~"5.."}
    total:
      metricSource:
        metricSourceRef: prom
        spec:
          promql: http_requests_total{job="checkout"}
`;
    const out = parse(
      PROM,
      `${sli('good-total', 'good')}${sli('bad-total', 'bad')}`,
      slo(`  indicatorRef: bad-total\n${occurrences}  objectives:\n    - target: 0.999\n`),
    );
    expect(out.dataSources).toEqual([{ name: 'prom', type: 'prometheus', url: 'http://prometheus:9090' }]);
    expect(out.slis.map((s) => [s.name, s.source, s.service, s.prometheus])).toEqual([
      [
        'bad-total',
        'prometheus',
        null,
        {
          dataSource: 'prom',
          good: null,
          bad: 'http_requests_total{job="checkout",code=~"5.."}',
          total: 'http_requests_total{job="checkout"}',
        },
      ],
      [
        'good-total',
        'prometheus',
        null,
        {
          dataSource: 'prom',
          good: 'http_requests_total{job="checkout",code!~"5.."}',
          bad: null,
          total: 'http_requests_total{job="checkout"}',
        },
      ],
    ]);
    expect(out.slos[0]?.sli).toBe('bad-total');
  });

  test('a Prometheus metric source without a ref uses the one Prometheus DataSource', () => {
    const out = parse(
      PROM,
      slo(`  indicator:
    metadata: { name: reqs }
    spec:
      ratioMetric:
        counter: true
        good: { metricSource: { type: Prometheus, spec: { query: good_total } } }
        total: { metricSource: { type: Prometheus, spec: { query: all_total } } }
${occurrences}  objectives: [{ target: 0.99 }]
`),
    );
    expect(out.slis[0]?.prometheus).toEqual({ dataSource: 'prom', good: 'good_total', bad: null, total: 'all_total' });
  });

  test('other metric sources, the Vigil type and the vigil.dev/source annotation are pushed events', () => {
    const sli = (name: string, source: string, annotations = '') => `---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: ${name}
${annotations}spec:
  ratioMetric:
    counter: true
    good: { metricSource: ${source} }
    total: { metricSource: ${source} }
`;
    const out = parse(
      `${PROM}---
apiVersion: openslo/v1
kind: DataSource
metadata:
  name: dd
spec:
  type: Datadog
  connectionDetails: { apiKey: x }
${sli('datadog-inline', '{ type: Datadog, spec: { query: "sum:x" } }')}${sli('datadog-ref', '{ metricSourceRef: dd, spec: { query: "sum:x" } }')}${sli('vigil', '{ type: Vigil, spec: {} }')}${sli('forced', '{ metricSourceRef: prom, spec: { query: x } }', '  annotations:\n    vigil.dev/source: events\n')}${sli('probe', '{ type: Vigil, spec: { probe: shop-home } }')}`,
    );
    expect(out.slis.map((s) => [s.name, s.source, s.probe])).toEqual([
      ['datadog-inline', 'events', null],
      ['datadog-ref', 'events', null],
      ['forced', 'events', null],
      ['probe', 'probe', 'shop-home'],
      ['vigil', 'events', null],
    ]);
    // Only Prometheus DataSources are stored; the Datadog one just made its SLIs events.
    expect(out.dataSources.map((d) => d.name)).toEqual(['prom']);
  });

  test('thresholdMetric with op/value and time slices: the seed latency SLO', () => {
    const out = parse(`apiVersion: openslo/v1
kind: SLO
metadata:
  name: api-latency
  displayName: API latency
spec:
  service: api-gateway
  indicator:
    metadata: { name: api-latency }
    spec:
      thresholdMetric:
        metricSource: { type: Vigil, spec: { events: observations } }
  timeWindow: [{ duration: 28d, isRolling: true }]
  budgetingMethod: Timeslices
  objectives:
    - displayName: p95 under 100 ms
      op: lt
      value: 100
      target: 0.9995
      timeSliceTarget: 0.95
      timeSliceWindow: 5m
`);
    expect(out.slis[0]).toMatchObject({
      name: 'api-latency',
      service: 'api-gateway',
      source: 'events',
      threshold: { op: 'lt', value: 100 },
    });
    expect(out.slos[0]).toMatchObject({
      budgetingMethod: 'Timeslices',
      objectives: [
        { name: 'default', displayName: 'p95 under 100 ms', target: 0.9995, timeSliceTarget: 0.95, timeSliceWindow: '5m' },
      ],
    });
  });

  test('a bare timeSliceWindow is minutes; RatioTimeslices takes only the window', () => {
    const out = parse(
      slo(`${inlineEvents}  budgetingMethod: RatioTimeslices\n  objectives: [{ target: 0.99, timeSliceWindow: 5 }]\n`),
    );
    expect(out.slos[0]?.objectives[0]).toMatchObject({ timeSliceWindow: '5m', timeSliceTarget: null });
    expect(out.slos[0]?.timeWindow).toEqual({ type: 'rolling', duration: '28d' });
  });

  test('a calendar window with its start time and IANA time zone', () => {
    const out = parse(
      slo(`${inlineEvents}  timeWindow:
    - duration: 1M
      calendar:
        startTime: 2022-01-01 12:00:00
        timeZone: America/New_York
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }]
`),
    );
    expect(out.slos[0]?.timeWindow).toEqual({
      type: 'calendar',
      duration: '1M',
      startTime: '2022-01-01 12:00:00',
      timeZone: 'America/New_York',
    });
  });

  test('several objectives are named: the first default, the others from their display names', () => {
    const out = parse(
      slo(`${inlineEvents}${occurrences}  objectives:
    - displayName: Good
      target: 0.99
    - displayName: Very good
      targetPercent: 99.9
    - target: 0.999
    - name: best
      target: 0.9999
`),
    );
    expect(out.slos[0]?.objectives.map((o) => [o.name, o.target])).toEqual([
      ['default', 0.99],
      ['very-good', 0.999],
      ['objective-3', 0.999],
      ['best', 0.9999],
    ]);
  });

  test('per-objective indicators are accepted when they are the SLO’s one SLI', () => {
    const out = parse(
      slo(`${occurrences}  objectives:
    - target: 0.99
      indicator:
        metadata: { name: reqs }
        spec:
          ${eventsRatio.replaceAll('\n', '\n    ')}
    - target: 0.999
      indicatorRef: reqs
`),
    );
    expect(out.slos[0]?.sli).toBe('reqs');
    expect(out.slis.map((s) => s.name)).toEqual(['reqs']);
  });

  test('burn-rate alert policies, inline and by reference, become burn-rate rules', () => {
    const out = parse(
      slo(
        `${inlineEvents}${occurrences}  objectives: [{ target: 0.999 }]
  alertPolicies:
    - alertPolicyRef: fast
    - kind: AlertPolicy
      metadata: { name: slow }
      spec:
        conditions:
          - kind: AlertCondition
            metadata: { name: slow-burn }
            spec:
              severity: warning
              condition: { kind: burnrate, op: gte, threshold: 2.8, lookbackWindow: 1d }
        notificationTargets:
          - kind: AlertNotificationTarget
            metadata: { name: OnCallMail }
            spec: { target: email }
`,
        '  annotations:\n    vigil.dev/min-events: "50"\n',
      ),
      `apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: fast
spec:
  alertWhenNoData: true
  conditions: [{ conditionRef: fast-burn }]
  notificationTargets: [{ targetRef: pager }]
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast-burn
spec:
  severity: page
  condition: { kind: burnrate, op: gte, threshold: 13.44, lookbackWindow: 1h, alertAfter: 5m }
---
apiVersion: openslo/v1
kind: AlertNotificationTarget
metadata:
  name: pager
spec:
  target: pagerduty
`,
    );
    expect(out.slos[0]?.alerting).toEqual({
      rules: [
        { name: 'fast-burn', severity: 'page', budgetShare: 0.02, longWindow: '1h', shortWindow: '5m' },
        // No alertAfter: the short window is a twelfth of the long one, as in the SRE Workbook.
        { name: 'slow-burn', severity: 'ticket', budgetShare: 0.1, longWindow: '1d', shortWindow: '2h' },
      ],
      minEvents: 50,
      noDataAfter: '30m',
    });
  });

  test('alert policies without alertWhenNoData turn no-data alerts off; annotations say the rest', () => {
    const policy = `  alertPolicies:
    - kind: AlertPolicy
      spec:
        conditions:
          - kind: AlertCondition
            metadata: { name: fast }
            spec: { severity: page, condition: { op: gte, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m } }
`;
    const quiet = parse(slo(`${inlineEvents}${occurrences}  objectives: [{ target: 0.999 }]\n${policy}`));
    expect(quiet.slos[0]?.alerting.noDataAfter).toBeNull();
    const annotated = parse(
      slo(
        `${inlineEvents}${occurrences}  objectives: [{ target: 0.999 }]\n${policy}`,
        '  annotations:\n    vigil.dev/no-data-after: 1h\n',
      ),
    );
    expect(annotated.slos[0]?.alerting.noDataAfter).toBe('1h');
    const none = parse(
      slo(
        `${inlineEvents}${occurrences}  objectives: [{ target: 0.999 }]\n`,
        '  annotations:\n    vigil.dev/burn-rate-rules: none\n',
      ),
    );
    expect(none.slos[0]?.alerting.rules).toEqual([]);
  });

  test('labels, display name and description are kept; list labels are joined', () => {
    const out = parse(
      slo(
        `  description: Orders placed\n${inlineEvents}${occurrences}  objectives: [{ target: 0.999 }]\n`,
        '  displayName: Checkout\n  labels:\n    team: checkout\n    tags: [revenue, purchase]\n',
      ),
    );
    expect(out.slos[0]).toMatchObject({
      displayName: 'Checkout',
      description: 'Orders placed',
      labels: { team: 'checkout', tags: 'revenue,purchase' },
    });
  });

  test('the same inline SLI in two SLOs is one SLI; different ones are an error', () => {
    const twice = (second: string) =>
      parse(
        slo(`${inlineEvents}${occurrences}  objectives: [{ target: 0.999 }]\n`),
        slo(`${second}${occurrences}  objectives: [{ target: 0.99 }]\n`).replace('checkout-availability', 'checkout-relaxed'),
      );
    expect(twice(inlineEvents).slis.map((s) => s.name)).toEqual(['checkout-requests']);
    expect(() => twice(inlineEvents.replace('events: good', 'probe: x').replace('events: total', 'probe: x'))).toThrow(
      /b\.yaml:\d+: .*SLI "checkout-requests" is defined twice, differently: here and at a\.yaml:9/,
    );
  });
});

describe('OpenSLO errors carry file, line and field', () => {
  test('wrong kinds and apiVersions', () => {
    expect(problems('apiVersion: openslo/v1\nkind: Slo\nmetadata: { name: x }\nspec: {}\n')).toEqual([
      expect.stringMatching(
        /^a\.yaml:2: kind: unknown kind "Slo" for openslo\/v1; known: SLO, SLI, DataSource, Service, AlertPolicy/,
      ),
    ]);
    expect(problems('apiVersion: openslo/v2\nkind: SLO\n')[0]).toMatch(
      /^a\.yaml:1: apiVersion: unknown apiVersion "openslo\/v2"/,
    );
  });

  test('targets outside (0, 1) and targetPercent outside (0, 100)', () => {
    const out = problems(
      slo(`${inlineEvents}${occurrences}  objectives:
    - target: 1
    - targetPercent: 100
    - target: 0.9
      targetPercent: 90
    - displayName: none
    - target: 0
`),
    );
    expect(out).toEqual([
      'a.yaml:26: spec.objectives[0].target: 1 is outside (0, 1): a target is a ratio such as 0.9995 (use targetPercent for 99.95)',
      'a.yaml:27: spec.objectives[1].targetPercent: 100 is outside (0, 100): a targetPercent is a percent such as 99.95',
      'a.yaml:29: spec.objectives[2].targetPercent: give target or targetPercent, not both',
      'a.yaml:30: spec.objectives[3]: an objective needs target (0.9995) or targetPercent (99.95)',
      'a.yaml:31: spec.objectives[4].target: 0 is outside (0, 1): a target is a ratio such as 0.9995 (use targetPercent for 99.95)',
    ]);
  });

  test('unknown references: indicatorRef, metricSourceRef, alertPolicyRef, conditionRef, targetRef', () => {
    const out = problems(
      slo(
        `  indicatorRef: nothing\n${occurrences}  objectives: [{ target: 0.99 }]\n  alertPolicies: [{ alertPolicyRef: nope }]\n`,
      ),
      `apiVersion: openslo/v1
kind: SLI
metadata: { name: reqs }
spec:
  ratioMetric:
    counter: true
    good: { metricSource: { metricSourceRef: missing, spec: { query: a } } }
    total: { metricSource: { metricSourceRef: missing, spec: { query: b } } }
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata: { name: p }
spec:
  conditions: [{ conditionRef: gone }]
  notificationTargets: [{ targetRef: nobody }]
---
apiVersion: openslo/v1
kind: SLO
metadata: { name: other }
spec:
  service: checkout
  indicatorRef: reqs
  budgetingMethod: Occurrences
  objectives: [{ target: 0.99 }]
  alertPolicies: [p]
`,
    );
    expect(out).toEqual(
      expect.arrayContaining([
        'b.yaml:7: spec.ratioMetric.good.metricSource.metricSourceRef: DataSource "missing" is not defined in these manifests nor stored',
        'b.yaml:8: spec.ratioMetric.total.metricSource.metricSourceRef: DataSource "missing" is not defined in these manifests nor stored',
        'a.yaml:13: spec.alertPolicies[0].alertPolicyRef: AlertPolicy "nope" is not defined in these manifests (AlertPolicys live in the SLOs that use them)',
        'b.yaml:15: spec.notificationTargets[0].targetRef: AlertNotificationTarget "nobody" is not defined in these manifests (AlertNotificationTargets live in the SLOs that use them)',
        'b.yaml:14: spec.conditions[0].conditionRef: AlertCondition "gone" is not defined in these manifests (AlertConditions live in the SLOs that use them)',
      ]),
    );
    // References between stored objects are checked once the documents are whole.
    const sli = problems(slo(`  indicatorRef: nothing\n${occurrences}  objectives: [{ target: 0.99 }]\n`));
    expect(sli).toEqual(['a.yaml:7: spec.indicatorRef: slo:checkout-availability: SLI "nothing" is unknown']);
  });

  test('bad durations, windows and time zones', () => {
    const window = (w: string) =>
      problems(slo(`${inlineEvents}  timeWindow:\n${w}  budgetingMethod: Occurrences\n  objectives: [{ target: 0.99 }]\n`));
    expect(window('    - duration: 1M\n      isRolling: true\n')).toEqual([
      'a.yaml:22: spec.timeWindow[0].duration: "1M" is a calendar duration; rolling windows are counted in m, h, d or w (e.g. 28d), or make it a calendar window',
    ]);
    expect(window('    - duration: 28 days\n')[0]).toMatch(
      /^a\.yaml:22: spec\.timeWindow\[0\]\.duration: "28 days" is not a duration/,
    );
    expect(window('    - duration: 1M\n      calendar: { startTime: "2022-13-01", timeZone: Mars/Olympus }\n')).toEqual([
      'a.yaml:23: spec.timeWindow[0].calendar.startTime: "2022-13-01" is not a valid date-time',
      'a.yaml:23: spec.timeWindow[0].calendar.timeZone: "Mars/Olympus" is not an IANA time zone such as Europe/Berlin or America/New_York',
    ]);
    expect(window('    - duration: 1h30\n      calendar: { startTime: "2022-01-01", timeZone: UTC }\n')[0]).toMatch(
      /^a\.yaml:22: spec\.timeWindow\[0\]\.duration: "1h30" is not a calendar duration/,
    );
    expect(window('    - duration: 28d\n      isRolling: false\n')[0]).toMatch(
      /^a\.yaml:22: spec\.timeWindow\[0\]\.calendar: a window that is not rolling/,
    );
    const slice = problems(
      slo(`${inlineEvents}  budgetingMethod: Timeslices\n  objectives: [{ target: 0.99, timeSliceWindow: 5 minutes }]\n`),
    );
    expect(slice).toEqual([
      'a.yaml:22: spec.objectives[0].timeSliceWindow: "5 minutes" is not a duration such as 1m or 5m',
      expect.stringMatching(/^a\.yaml:22: spec\.objectives\[0\]\.timeSliceTarget: required for Timeslices/),
    ]);
    const lookback = problems(
      slo(`${inlineEvents}${occurrences}  objectives: [{ target: 0.99 }]
  alertPolicies:
    - kind: AlertPolicy
      spec:
        conditions:
          - kind: AlertCondition
            metadata: { name: fast }
            spec: { severity: page, condition: { kind: burnrate, op: gte, threshold: 2, lookbackWindow: 1M } }
`),
    );
    expect(lookback[0]).toMatch(
      /^a\.yaml:32: spec\.alertPolicies\[0\]\.spec\.conditions\[0\]\.spec\.condition\.lookbackWindow: "1M" is a calendar duration/,
    );
  });

  test('what Vigil cannot model is refused with the reason', () => {
    const sliDoc = (spec: string) => `${PROM}---
apiVersion: openslo/v1
kind: SLI
metadata: { name: reqs }
spec:
${spec}`;
    expect(
      problems(sliDoc('  thresholdMetric:\n    metricSource: { metricSourceRef: prom, spec: { query: latency } }\n')),
    ).toEqual([expect.stringMatching(/^a\.yaml:15: spec\.thresholdMetric\.metricSource: Vigil reads Prometheus SLIs as counts/)]);
    expect(
      problems(
        sliDoc(
          '  ratioMetric:\n    rawType: success\n    raw: { metricSource: { metricSourceRef: prom, spec: { query: ratio } } }\n',
        ),
      ),
    ).toEqual([
      expect.stringMatching(/^a\.yaml:16: spec\.ratioMetric\.raw\.metricSource: Vigil needs the counts behind a ratio/),
    ]);
    expect(
      problems(
        sliDoc(
          '  ratioMetric:\n    counter: false\n    good: { metricSource: { metricSourceRef: prom, spec: { query: a } } }\n    total: { metricSource: { metricSourceRef: prom, spec: { query: b } } }\n',
        ),
      ),
    ).toEqual([
      'a.yaml:15: spec.ratioMetric.counter: Vigil reads Prometheus SLIs as counters (it takes their increase over each window): counter must be true',
    ]);
    expect(
      problems(sliDoc('  ratioMetric:\n    counter: true\n    total: { metricSource: { type: Vigil, spec: {} } }\n')),
    ).toEqual(['a.yaml:14: spec.ratioMetric: a ratioMetric needs good or bad over total (or raw)']);
    // A threshold SLI without a threshold: no SLO gives op/value, no annotation.
    expect(problems(sliDoc('  thresholdMetric:\n    metricSource: { type: Vigil, spec: {} }\n'))).toEqual([
      expect.stringMatching(/^a\.yaml:12: metadata\.name: a thresholdMetric SLI needs its threshold/),
    ]);
    const policy = (condition: string) =>
      problems(
        slo(`${inlineEvents}${occurrences}  objectives: [{ target: 0.99 }]
  alertPolicies:
    - kind: AlertPolicy
      spec:
        conditions:
          - kind: AlertCondition
            metadata: { name: fast }
            spec: ${condition}
`),
      );
    expect(policy('{ severity: page, condition: { kind: burnrate, op: lte, threshold: 2, lookbackWindow: 1h } }')).toEqual([
      'a.yaml:32: spec.alertPolicies[0].spec.conditions[0].spec.condition.op: Vigil alerts when the burn rate rises to the threshold: use gte (or gt)',
    ]);
    expect(policy('{ severity: sev9, condition: { kind: burnrate, op: gte, threshold: 2, lookbackWindow: 1h } }')[0]).toMatch(
      /^a\.yaml:32: spec\.alertPolicies\[0\]\.spec\.conditions\[0\]\.spec\.severity: "sev9" is not a severity Vigil knows/,
    );
    expect(policy('{ severity: page, condition: { kind: burnrate, op: gte, threshold: 1000, lookbackWindow: 1d } }')).toEqual([
      expect.stringMatching(
        /^a\.yaml:32: spec\.alertPolicies\[0\]\.spec\.conditions\[0\]\.spec\.condition\.threshold: burning at 1000× for 1d spends/,
      ),
    ]);
  });

  test('one SLI per SLO, and one threshold per SLI', () => {
    expect(
      problems(
        slo(`  indicatorRef: a\n${occurrences}  objectives:\n    - target: 0.99\n      indicatorRef: b\n`),
        'apiVersion: openslo/v1\nkind: SLI\nmetadata: { name: a }\nspec:\n  thresholdMetric: { metricSource: { type: Vigil, spec: {} } }\n',
      )[0],
    ).toMatch(/^a\.yaml:14: spec\.objectives\[0\]\.indicatorRef: Vigil measures one SLI per SLO, and this SLO already uses "a"/);
    expect(
      problems(
        slo(
          `  indicatorRef: lat\n  budgetingMethod: Occurrences\n  objectives:\n    - { op: lt, value: 100, target: 0.99 }\n    - { op: lt, value: 200, target: 0.999 }\n`,
        ),
        'apiVersion: openslo/v1\nkind: SLI\nmetadata: { name: lat }\nspec:\n  thresholdMetric: { metricSource: { type: Vigil, spec: {} } }\n',
      ),
    ).toEqual(['a.yaml:11: spec.objectives[1].op: Vigil keeps one threshold per SLI; objective 1 says lt 100']);
    // op/value on an SLO whose SLI counts good over total.
    expect(problems(slo(`${inlineEvents}${occurrences}  objectives: [{ op: lt, value: 1, target: 0.99 }]\n`))).toEqual([
      expect.stringMatching(/^a\.yaml:25: spec\.objectives\[0\]\.op: op and value compare a thresholdMetric/),
    ]);
  });

  test('duplicates name both places', () => {
    const doc = slo(`${inlineEvents}${occurrences}  objectives: [{ target: 0.99 }]\n`);
    expect(problems(doc, doc)).toEqual([
      'b.yaml:4: metadata.name: slo:checkout-availability is defined twice: here and at a.yaml:4',
    ]);
  });

  test('problems of every document are reported together', () => {
    const out = refusal(
      slo(`${inlineEvents}${occurrences}  objectives: [{ target: 2 }]\n`),
      'apiVersion: openslo/v1\nkind: DataSource\nmetadata: { name: Prom }\nspec: { type: Prometheus }\n',
    );
    expect(out.issues.map((i) => `${i.file}:${i.line}: ${i.path}`)).toEqual([
      'a.yaml:25: spec.objectives[0].target',
      'b.yaml:3: metadata.name',
    ]);
    expect(out.message).toMatch(
      /^2 problems in the manifests; the first: a\.yaml:25: spec\.objectives\[0\]\.target: 2 is outside/,
    );
  });
});

describe('vigil.dev/v1 kinds map onto the same model as OpenSLO', () => {
  test('the checkout SLO written both ways', () => {
    const openslo = parse(slo(`${inlineEvents}${occurrences}  objectives: [{ targetPercent: 99.9 }]\n`));
    const vigil = parse(`apiVersion: vigil.dev/v1
kind: SLI
metadata:
  name: checkout-requests
spec:
  service: checkout
---
apiVersion: vigil.dev/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  sli: checkout-requests
  target: 99.9
`);
    expect(vigil).toEqual(openslo);
  });

  test('the latency SLO with an inline indicator, written both ways', () => {
    const openslo = parse(`apiVersion: openslo/v1
kind: SLO
metadata: { name: api-latency }
spec:
  service: api-gateway
  indicator:
    metadata: { name: api-latency-sli }
    spec:
      thresholdMetric: { metricSource: { type: Vigil, spec: {} } }
  timeWindow: [{ duration: 28d, isRolling: true }]
  budgetingMethod: Timeslices
  objectives: [{ op: lt, value: 100, targetPercent: 99.95, timeSliceTarget: 0.95, timeSliceWindow: 5m }]
`);
    const vigil = parse(`apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: api-latency }
spec:
  service: api-gateway
  indicator:
    events: { threshold: { op: lt, value: 100 } }
  target: 0.9995
  budgetingMethod: Timeslices
  timeSlice: { window: 5m, target: 95 }
`);
    expect(vigil).toEqual(openslo);
  });

  test('a calendar window, several objectives, Prometheus and alerting', () => {
    const openslo = parse(
      PROM,
      `apiVersion: openslo/v1
kind: SLO
metadata: { name: auth-logins, displayName: Logins, labels: { team: identity } }
spec:
  service: auth
  description: Logins that work
  indicator:
    metadata: { name: logins }
    spec:
      ratioMetric:
        counter: true
        good: { metricSource: { metricSourceRef: prom, spec: { query: logins_ok_total } } }
        total: { metricSource: { metricSourceRef: prom, spec: { query: logins_total } } }
  timeWindow:
    - duration: 1M
      calendar: { startTime: "2024-01-01 00:00:00", timeZone: Europe/Berlin }
  budgetingMethod: Occurrences
  objectives:
    - { displayName: Usually, target: 0.99 }
    - { displayName: Nearly always, targetPercent: 99.9 }
  alertPolicies:
    - kind: AlertPolicy
      spec:
        alertWhenNoData: true
        conditions:
          - kind: AlertCondition
            metadata: { name: page }
            spec: { severity: page, condition: { op: gte, threshold: 14.4, lookbackWindow: 1h, alertAfter: 5m } }
`,
    );
    const vigil = parse(`apiVersion: vigil.dev/v1
kind: DataSource
metadata: { name: prom }
spec: { type: prometheus, url: "http://prometheus:9090" }
---
apiVersion: vigil.dev/v1
kind: SLI
metadata: { name: logins }
spec:
  service: auth
  prometheus: { dataSource: prom, good: logins_ok_total, total: logins_total }
---
apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: auth-logins, displayName: Logins, labels: { team: identity } }
spec:
  service: auth
  description: Logins that work
  sli: logins
  window: { calendar: 1M, timeZone: Europe/Berlin }
  objectives:
    - { displayName: Usually, target: 99 }
    - { displayName: Nearly always, target: 0.999 }
  alerting:
    rules: [{ name: page, severity: page, budgetShare: 0.02, longWindow: 1h, shortWindow: 5m }]
`);
    expect(vigil).toEqual(openslo);
    expect(vigil.slos[0]?.objectives.map((o) => o.name)).toEqual(['default', 'nearly-always']);
  });

  test('SLA, error budget policy, maintenance window', () => {
    const out = parse(`apiVersion: vigil.dev/v1
kind: SLA
metadata: { name: checkout-enterprise }
spec:
  slo: checkout-availability
  target: 99.9
  customer: Enterprise
  penalties:
    - { below: 99.9, credit: 10 }
    - { below: 99, credit: 25 }
---
apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: checkout-availability }
spec: { service: checkout, indicator: { events: {} }, target: 99.95 }
---
apiVersion: vigil.dev/v1
kind: ErrorBudgetPolicy
metadata: { name: payments }
---
apiVersion: vigil.dev/v1
kind: ErrorBudgetPolicy
metadata: { name: checkout-policy }
spec:
  service: checkout
  rules: [{ whenRemainingBelow: 0, actions: [halt-deploys] }]
---
apiVersion: vigil.dev/v1
kind: MaintenanceWindow
metadata: { name: ledger-weekly }
spec:
  services: [ledger]
  start: "2026-01-04T02:00:00+01:00"
  duration: 2h
  rrule: FREQ=WEEKLY;BYDAY=SU
`);
    expect(out.slas).toEqual([
      {
        name: 'checkout-enterprise',
        slo: 'checkout-availability',
        objective: 'default',
        target: 0.999,
        customer: 'Enterprise',
        penalties: [
          { below: 0.999, creditPercent: 10 },
          { below: 0.99, creditPercent: 25 },
        ],
      },
    ]);
    expect(out.policies.map((p) => [p.service, p.rules.length])).toEqual([
      ['checkout', 1],
      ['payments', 2],
    ]);
    expect(out.maintenanceWindows).toEqual([
      {
        name: 'ledger-weekly',
        slos: [],
        services: ['ledger'],
        start: '2026-01-04T02:00:00+01:00',
        duration: '2h',
        rrule: 'FREQ=WEEKLY;BYDAY=SU',
      },
    ]);
    expect(out.slis.map((s) => s.name)).toEqual(['checkout-availability-sli']);
  });

  test('vigil.dev/v1 is strict and its errors are located', () => {
    expect(
      problems(`apiVersion: vigil.dev/v1
kind: SLO
metadata: { name: x }
spec:
  service: checkout
  sli: reqs
  targt: 99.9
---
apiVersion: vigil.dev/v1
kind: SLA
metadata: { name: y }
spec:
  slo: x
  target: 99.9
  penalties: [{ below: 99.95, credit: 10 }]
---
apiVersion: vigil.dev/v1
kind: MaintenanceWindow
metadata: { name: z }
spec:
  start: "2026-01-04 02:00"
  duration: 2h
  rrule: FREQ=HOURLY
`),
    ).toEqual([
      'a.yaml:7: spec.targt: unknown field',
      'a.yaml:15: spec.penalties[0].below: a credit applies below the contract target (99.9 %), not above it',
      'a.yaml:21: spec.start: must be an ISO 8601 instant with its offset, e.g. 2026-03-01T02:00:00Z',
    ]);
    expect(
      problems(`apiVersion: vigil.dev/v1
kind: MaintenanceWindow
metadata: { name: z }
spec:
  start: "2026-01-04T02:00:00Z"
  duration: 2h
  rrule: FREQ=HOURLY
`),
    ).toEqual([
      'a.yaml:4: spec: name the slos or services the maintenance applies to',
      expect.stringMatching(/^a\.yaml:7: spec\.rrule: /),
    ]);
    expect(
      problems('apiVersion: vigil.dev/v1\nkind: SLO\nmetadata: { name: x }\nspec: { service: a, sli: b, target: 100 }\n'),
    ).toEqual(['a.yaml:4: spec.target: a target must be below 100 % (1): a perfect target leaves no error budget']);
  });

  test('references within files: an SLA to an unknown SLO, a maintenance window to an unknown SLO', () => {
    expect(
      problems(`apiVersion: vigil.dev/v1
kind: SLA
metadata: { name: y }
spec: { slo: nothing, target: 99 }
---
apiVersion: vigil.dev/v1
kind: MaintenanceWindow
metadata: { name: z }
spec: { slos: [b, a], start: "2026-01-04T02:00:00Z", duration: 2h }
`),
    ).toEqual([
      'a.yaml:4: spec.slo: sla:y: SLO "nothing" is unknown',
      // Located by name although the normal form sorts the list.
      'a.yaml:9: spec.slos[1]: maintenance:z: SLO "a" is unknown',
      'a.yaml:9: spec.slos[0]: maintenance:z: SLO "b" is unknown',
    ]);
  });
});
