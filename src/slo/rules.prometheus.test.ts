import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { InputError } from '../core/errors.ts';
import { BURN_ALERT_NAME, generatePrometheusRules } from './rules.prometheus.ts';
import { SliSpec, SloSpec } from './slo.model.ts';

/** The real promtool from the Debian package `prometheus`; these tests exist to run it. */
function promtool(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd, timeout: 20_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(
          new Error(
            'promtool is not installed: install the Debian package "prometheus" (apt-get install -y prometheus), as .ci/run does',
          ),
        );
        return;
      }
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

const slis = [
  SliSpec.parse({
    name: 'checkout-errors',
    source: 'prometheus',
    prometheus: {
      dataSource: 'prom',
      bad: 'http_requests_total{job="checkout", code=~"5.."}',
      total: 'http_requests_total{job="checkout"}',
    },
  }),
  SliSpec.parse({
    name: 'search-ok',
    source: 'prometheus',
    prometheus: { dataSource: 'prom', good: 'search_requests_total{result="ok"}', total: 'search_requests_total' },
  }),
  SliSpec.parse({ name: 'pushed', source: 'events' }),
];

const slos = [
  // bad over total, 30 days: the SRE Workbook's 14.4×, 6× and 1×.
  SloSpec.parse({
    name: 'checkout-availability',
    service: 'checkout',
    sli: 'checkout-errors',
    timeWindow: { type: 'rolling', duration: '30d' },
    objectives: [{ target: 0.99 }],
  }),
  // good over total, 28 days, two objectives, one custom page rule, awkward names and labels.
  SloSpec.parse({
    name: 'search-success',
    displayName: 'Search "success" {{ not a template }}',
    service: 'search',
    sli: 'search-ok',
    objectives: [{ target: 0.99 }, { name: 'strict', target: 0.9995 }],
    alerting: { rules: [{ name: 'page-fast', severity: 'page', budgetShare: 0.02, longWindow: '90m', shortWindow: '10m' }] },
    labels: { 'team.io/owner': 'search "core" {{x}}', tier: '1' },
  }),
  SloSpec.parse({ name: 'pushed-latency', service: 'checkout', sli: 'pushed', objectives: [{ target: 0.999 }] }),
];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-rules-'));
  await promtool(['--version'], dir);
  const notes: string[] = [];
  await writeFile(join(dir, 'rules.yml'), generatePrometheusRules({ slos, slis }, { onNote: (m) => notes.push(m) }));
  expect(notes).toEqual(['SLO pushed-latency skipped: its SLI pushed is fed by events, not Prometheus']);
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

function rulesOf(yaml: string): Rule[] {
  const doc = parse(yaml) as { groups: Array<{ name: string; rules: Rule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

describe('generatePrometheusRules', () => {
  it('writes a file that promtool check rules accepts', async () => {
    const { code, output } = await promtool(['check', 'rules', 'rules.yml'], dir);
    expect(output).toMatch(/SUCCESS: \d+ rules found/);
    expect(code).toBe(0);
  });

  it('records Sloth’s series for every window, the SLO window from counts rather than from ratios', () => {
    const rules = rulesOf(generatePrometheusRules({ slos, slis }));
    const records = (id: string): Rule[] => rules.filter((r) => r.record && r.labels.slo_id === id);
    const checkout = records('checkout-checkout-availability');
    const windows = checkout.filter((r) => r.record?.startsWith('slo:sli_error:ratio_rate')).map((r) => r.labels.slo_window);
    expect(windows).toEqual(['5m', '30m', '1h', '2h', '6h', '1d', '3d', '30d']);
    for (const name of [
      'slo:objective:ratio',
      'slo:error_budget:ratio',
      'slo:time_period:days',
      'slo:current_burn_rate:ratio',
      'slo:period_burn_rate:ratio',
      'slo:period_error_budget_remaining:ratio',
    ]) {
      expect(checkout.filter((r) => r.record === name)).toHaveLength(1);
    }
    const byName = new Map(checkout.map((r) => [r.record, r]));
    expect(byName.get('slo:sli_error:count_rate30d')?.expr).toBe(
      'avg_over_time(slo:sli_error:count_rate5m{slo_id="checkout-checkout-availability"}[30d])',
    );
    expect(byName.get('slo:sli_error:ratio_rate30d')?.expr).toBe(
      'slo:sli_error:count_rate30d{slo_id="checkout-checkout-availability"} / slo:sli_total:count_rate30d{slo_id="checkout-checkout-availability"}',
    );
    expect(byName.get('slo:time_period:days')?.expr).toBe('vector(30)');

    // The custom 90m/10m rule adds its windows; the 28-day window comes last.
    const search = records('search-search-success');
    expect(search.filter((r) => r.record?.startsWith('slo:sli_error:ratio_rate')).map((r) => r.labels.slo_window)).toEqual([
      '5m',
      '10m',
      '30m',
      '1h',
      '1h30m',
      '2h',
      '6h',
      '1d',
      '3d',
      '28d',
    ]);
    // Errors of a good-based SLI are total − good; labels keep their values, names become valid.
    expect(search[0]?.expr).toBe(
      'clamp_min(sum(rate(search_requests_total[5m])) - (sum(rate(search_requests_total{result="ok"}[5m])) or vector(0)), 0)',
    );
    expect(search[0]?.labels).toMatchObject({ team_io_owner: 'search "core" {{x}}', tier: '1' });
    expect(search.filter((r) => r.record === 'slo:objective:ratio').map((r) => [r.labels.slo_objective, r.expr])).toEqual([
      ['default', 'vector(0.99)'],
      ['strict', 'vector(0.9995)'],
    ]);
  });

  it('scales burn rates to the SLO window and keeps SLO text out of the alert templates', () => {
    const alerts = rulesOf(generatePrometheusRules({ slos, slis })).filter((r) => r.alert);
    const search = alerts.filter((r) => r.labels.slo_id === 'search-search-success');
    // One alert per objective and rule; 2 % of 28 days in 90 minutes is 8.96×.
    expect(search.map((r) => [r.labels.slo_objective, r.annotations?.burn_rate])).toEqual([
      ['default', '8.96'],
      ['strict', '8.96'],
    ]);
    expect(search[1]?.expr).toContain('> (8.96 * (1 - 0.9995))');
    expect(search[0]?.labels.team_io_owner).toBe('search "core" {{ "{{" }}x}}');
    expect(search[0]?.annotations?.summary).toBe(
      'Search "success" {{ "{{" }} not a template }} (search) burns its error budget more than 8.96× as fast as the SLO allows',
    );
    const checkout = alerts.filter((r) => r.labels.slo_id === 'checkout-checkout-availability');
    expect(checkout.map((r) => [r.labels.severity, r.labels.slo_burn_rule, r.annotations?.burn_rate])).toEqual([
      ['page', 'page-fast', '14.4'],
      ['page', 'page-slow', '6'],
      ['ticket', 'ticket', '1'],
    ]);
  });

  it('refuses PromQL that is not a plain selector, naming the SLI field', () => {
    const broken = SliSpec.parse({
      name: 'broken',
      source: 'prometheus',
      prometheus: { dataSource: 'prom', good: 'sum(rate(x[5m]))', total: 'x' },
    });
    const slo = SloSpec.parse({ name: 'b', service: 'checkout', sli: 'broken', objectives: [{ target: 0.99 }] });
    expect(() => generatePrometheusRules({ slos: [slo], slis: [broken] })).toThrow(InputError);
    expect(() => generatePrometheusRules({ slos: [slo], slis: [broken] })).toThrow(/sli broken: prometheus\.good/);
  });
});

describe('promtool test rules', () => {
  const checkoutLabels = {
    slo_id: 'checkout-checkout-availability',
    slo_service: 'checkout',
    slo_name: 'checkout-availability',
    slo_objective: 'default',
  };
  const checkoutAlert = (rule: string, severity: string, burnRate: string, long: string, short: string, share: string) => ({
    exp_labels: { ...checkoutLabels, severity, slo_burn_rule: rule },
    exp_annotations: {
      summary: `checkout-availability (checkout) burns its error budget more than ${burnRate}× as fast as the SLO allows`,
      description:
        `Over the last ${long} (confirmed over ${short}) the error ratio was 20%, above ${burnRate} × (1 − 0.99): ` +
        `at this pace ${share}% of the 30d error budget of objective default is gone within ${long}.`,
      slo: 'checkout-availability',
      budget_share: `${share}%`,
      burn_rate: burnRate,
    },
  });
  const burning = [
    checkoutAlert('page-fast', 'page', '14.4', '1h', '5m', '2'),
    checkoutAlert('page-slow', 'page', '6', '6h', '30m', '5'),
    checkoutAlert('ticket', 'ticket', '1', '3d', '6h', '10'),
  ];

  it('fires the page alerts on a synthetic burn and stays quiet for a healthy or a quiet service', async () => {
    const tests = {
      rule_files: ['rules.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          name: '20 % errors at 100 requests a minute',
          interval: '1m',
          input_series: [
            { series: 'http_requests_total{job="checkout", code="200"}', values: '0+80x120' },
            { series: 'http_requests_total{job="checkout", code="500"}', values: '0+20x120' },
          ],
          alert_rule_test: [
            { eval_time: '1h', alertname: BURN_ALERT_NAME, exp_alerts: burning },
            { eval_time: '2h', alertname: BURN_ALERT_NAME, exp_alerts: burning },
          ],
          promql_expr_test: [
            {
              expr: 'slo:sli_error:ratio_rate1h',
              eval_time: '1h',
              exp_samples: [
                {
                  labels:
                    'slo:sli_error:ratio_rate1h{slo_id="checkout-checkout-availability", slo_service="checkout", slo_name="checkout-availability", slo_window="1h"}',
                  value: 0.2,
                },
              ],
            },
            {
              // 20 % errors against a 1 % budget: burning 20× and 19 budgets overspent.
              expr: 'round(slo:period_error_budget_remaining:ratio, 0.000001)',
              eval_time: '2h',
              exp_samples: [
                {
                  labels:
                    '{slo_id="checkout-checkout-availability", slo_service="checkout", slo_name="checkout-availability", slo_objective="default", slo_window="30d"}',
                  value: -19,
                },
              ],
            },
            {
              expr: 'round(slo:current_burn_rate:ratio, 0.000001)',
              eval_time: '2h',
              exp_samples: [
                {
                  labels:
                    '{slo_id="checkout-checkout-availability", slo_service="checkout", slo_name="checkout-availability", slo_objective="default", slo_window="5m"}',
                  value: 20,
                },
              ],
            },
          ],
        },
        {
          name: 'a healthy service: 0.1 % errors',
          interval: '1m',
          input_series: [
            { series: 'http_requests_total{job="checkout", code="200"}', values: '0+99.9x120' },
            { series: 'http_requests_total{job="checkout", code="500"}', values: '0+0.1x120' },
            // Another service burning does not page checkout.
            { series: 'http_requests_total{job="other", code="500"}', values: '0+100x120' },
          ],
          alert_rule_test: [
            { eval_time: '1h', alertname: BURN_ALERT_NAME, exp_alerts: [] },
            { eval_time: '2h', alertname: BURN_ALERT_NAME, exp_alerts: [] },
          ],
        },
        {
          name: 'six requests an hour, half of them failing: only windows with 10 events alert',
          interval: '1m',
          input_series: [
            { series: 'http_requests_total{job="checkout", code="200"}', values: '0+0.05x120' },
            { series: 'http_requests_total{job="checkout", code="500"}', values: '0+0.05x120' },
          ],
          alert_rule_test: [
            { eval_time: '1h', alertname: BURN_ALERT_NAME, exp_alerts: [] },
            {
              eval_time: '2h',
              alertname: BURN_ALERT_NAME,
              exp_alerts: [
                { exp_labels: { ...checkoutLabels, severity: 'page', slo_burn_rule: 'page-slow' } },
                { exp_labels: { ...checkoutLabels, severity: 'ticket', slo_burn_rule: 'ticket' } },
              ].map((a, i) => {
                const base = burning[i + 1]!;
                return {
                  ...a,
                  exp_annotations: {
                    ...base.exp_annotations,
                    description: base.exp_annotations.description.replace('20%', '50%'),
                  },
                };
              }),
            },
          ],
        },
        {
          name: 'a good-over-total SLI burning 20 %',
          interval: '1m',
          input_series: [
            { series: 'search_requests_total{result="ok"}', values: '0+80x120' },
            { series: 'search_requests_total{result="error"}', values: '0+20x120' },
          ],
          alert_rule_test: [
            {
              eval_time: '2h',
              alertname: BURN_ALERT_NAME,
              // 20 % errors is above both 8.96 × 1 % and 8.96 × 0.05 %: both objectives page.
              exp_alerts: ['default', 'strict'].map((objective) => ({
                exp_labels: {
                  slo_id: 'search-search-success',
                  slo_service: 'search',
                  slo_name: 'search-success',
                  slo_objective: objective,
                  team_io_owner: 'search "core" {{x}}',
                  tier: '1',
                  severity: 'page',
                  slo_burn_rule: 'page-fast',
                },
                exp_annotations: {
                  summary:
                    'Search "success" {{ not a template }} (search) burns its error budget more than 8.96× as fast as the SLO allows',
                  description:
                    `Over the last 1h30m (confirmed over 10m) the error ratio was 20%, above 8.96 × (1 − ${objective === 'default' ? '0.99' : '0.9995'}): ` +
                    'at this pace 2% of the 28d error budget of objective ' +
                    `${objective} is gone within 1h30m.`,
                  slo: 'search-success',
                  budget_share: '2%',
                  burn_rate: '8.96',
                },
              })),
            },
          ],
        },
      ],
    };
    await writeFile(join(dir, 'rules.test.yml'), stringify(tests));
    const { code, output } = await promtool(['test', 'rules', 'rules.test.yml'], dir);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });
});
