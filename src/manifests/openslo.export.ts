import { parseDuration } from '../core/duration.ts';
import {
  type BurnRateRule,
  DEFAULT_BURN_RATE_RULES,
  type ObjectiveSpec,
  type SliSpec,
  type SloAlerting,
  type SloSpec,
  type TimeWindow,
} from '../slo/slo.model.ts';
import { VIGIL_V1 } from './catalog.kinds.ts';
import type { ExportedDocument } from './kinds.ts';
import type { SloObjects } from './slo.handler.ts';
import { derivedObjectiveName, nominalWindowMs, OPENSLO_V1, SLO_ANNOTATIONS, VIGIL_METRIC_SOURCE } from './slo.kinds.ts';

/**
 * Writes the stored SLO objects back as manifests that apply to exactly the same state: as
 * OpenSLO v1 (`vigil export --openslo`: DataSources, SLIs, SLOs) or as Vigil's own kinds
 * (`vigil export`: those and SLAs, error budget policies and maintenance windows, which OpenSLO
 * v1 has no kinds for). Only what differs from what a reader would assume is written.
 */

/** Drops nulls; everything else is written as it is (an empty rule list is not the default one). */
function present(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** For each objective, whether its name must be written: not when reading would derive it again. */
function namesToWrite(objectives: readonly ObjectiveSpec[]): boolean[] {
  const taken = new Set<string>();
  return objectives.map((o, i) => {
    const derived = derivedObjectiveName(i, o.displayName, taken);
    taken.add(o.name);
    return derived !== o.name;
  });
}

function isDefaultAlerting(a: SloAlerting): boolean {
  return same(a.rules, DEFAULT_BURN_RATE_RULES) && a.minEvents === 10 && a.noDataAfter === '30m';
}

// ---------------------------------------------------------------------------------------------
// vigil.dev/v1

function vigilDocument(kind: string, metadata: Record<string, unknown>, spec: Record<string, unknown>): ExportedDocument {
  return { apiVersion: VIGIL_V1, kind, metadata: present(metadata), spec: present(spec) };
}

function vigilWindow(tw: TimeWindow): unknown {
  return tw.type === 'rolling' ? tw.duration : { calendar: tw.duration, timeZone: tw.timeZone, startTime: tw.startTime };
}

function timeSlice(o: ObjectiveSpec): Record<string, unknown> | null {
  const slice = present({ window: o.timeSliceWindow, target: o.timeSliceTarget });
  return Object.keys(slice).length > 0 ? slice : null;
}

function vigilIndicator(sli: SliSpec): Record<string, unknown> {
  if (sli.source === 'prometheus' && sli.prometheus) {
    const p = sli.prometheus;
    return { prometheus: present({ dataSource: p.dataSource, good: p.good, bad: p.bad, total: p.total }) };
  }
  if (sli.source === 'probe' && sli.probe !== null) return { probe: sli.probe };
  return { events: sli.threshold ? { threshold: sli.threshold } : null };
}

function vigilSlo(slo: SloSpec): ExportedDocument {
  const [only] = slo.objectives;
  const single = slo.objectives.length === 1 && only?.name === 'default' && only.displayName === null ? only : null;
  const write = namesToWrite(slo.objectives);
  return vigilDocument(
    'SLO',
    { name: slo.name, displayName: slo.displayName, labels: Object.keys(slo.labels).length > 0 ? slo.labels : null },
    {
      service: slo.service,
      description: slo.description,
      sli: slo.sli,
      target: single?.target ?? null,
      objectives: single
        ? null
        : slo.objectives.map((o, i) =>
            present({ name: write[i] ? o.name : null, displayName: o.displayName, target: o.target, timeSlice: timeSlice(o) }),
          ),
      window: vigilWindow(slo.timeWindow),
      budgetingMethod: slo.budgetingMethod === 'Occurrences' ? null : slo.budgetingMethod,
      timeSlice: single ? timeSlice(single) : null,
      alerting: isDefaultAlerting(slo.alerting) ? null : slo.alerting,
    },
  );
}

/** The SLO objects as `vigil.dev/v1` documents: data sources, SLIs, SLOs, SLAs, policies, maintenance. */
export function exportVigilSlo(state: SloObjects): ExportedDocument[] {
  const out: ExportedDocument[] = [];
  for (const d of state.dataSources) out.push(vigilDocument('DataSource', { name: d.name }, { type: d.type, url: d.url }));
  for (const sli of state.slis) {
    out.push(
      vigilDocument('SLI', { name: sli.name }, { service: sli.service, description: sli.description, ...vigilIndicator(sli) }),
    );
  }
  for (const slo of state.slos) out.push(vigilSlo(slo));
  for (const sla of state.slas) {
    out.push(
      vigilDocument(
        'SLA',
        { name: sla.name },
        {
          slo: sla.slo,
          objective: sla.objective === 'default' ? null : sla.objective,
          target: sla.target,
          customer: sla.customer,
          penalties: sla.penalties.map((p) => ({ below: p.below, credit: p.creditPercent })),
        },
      ),
    );
  }
  for (const p of state.policies) out.push(vigilDocument('ErrorBudgetPolicy', { name: p.service }, { rules: p.rules }));
  for (const m of state.maintenanceWindows) {
    out.push(
      vigilDocument(
        'MaintenanceWindow',
        { name: m.name },
        {
          slos: m.slos.length > 0 ? m.slos : null,
          services: m.services.length > 0 ? m.services : null,
          start: m.start,
          duration: m.duration,
          rrule: m.rrule,
        },
      ),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// openslo/v1

function openSloDocument(kind: string, metadata: Record<string, unknown>, spec: Record<string, unknown>): ExportedDocument {
  return { apiVersion: OPENSLO_V1, kind, metadata: present(metadata), spec: present(spec) };
}

const vigilSource = (spec: Record<string, string>) => ({ metricSource: { type: VIGIL_METRIC_SOURCE, spec } });

function openSloIndicator(sli: SliSpec): Record<string, unknown> {
  if (sli.source === 'prometheus' && sli.prometheus) {
    const p = sli.prometheus;
    const metric = (query: string) => ({ metricSource: { metricSourceRef: p.dataSource, type: 'Prometheus', spec: { query } } });
    return {
      ratioMetric: present({
        counter: true,
        good: p.good !== null ? metric(p.good) : null,
        bad: p.good === null && p.bad !== null ? metric(p.bad) : null,
        total: metric(p.total),
      }),
    };
  }
  const what = sli.source === 'probe' && sli.probe !== null ? { probe: sli.probe } : null;
  if (sli.threshold) return { thresholdMetric: vigilSource(what ?? { events: 'observations' }) };
  return {
    ratioMetric: {
      counter: true,
      good: vigilSource(what ?? { events: 'good' }),
      total: vigilSource(what ?? { events: 'total' }),
    },
  };
}

function openSloWindow(tw: TimeWindow): unknown[] {
  return tw.type === 'rolling'
    ? [{ duration: tw.duration, isRolling: true }]
    : [{ duration: tw.duration, calendar: { startTime: tw.startTime, timeZone: tw.timeZone }, isRolling: false }];
}

/** One AlertPolicy per burn-rate rule, since an OpenSLO AlertPolicy holds one condition. */
function openSloPolicy(slo: SloSpec, rule: BurnRateRule): Record<string, unknown> {
  // Three digits more than reading keeps, so the budget share reads back exactly (0.1 of 7 d over 3 d is 0.2333…).
  const threshold = Number(
    ((rule.budgetShare * nominalWindowMs(slo.timeWindow)) / parseDuration(rule.longWindow)).toPrecision(15),
  );
  return {
    kind: 'AlertPolicy',
    metadata: { name: `${slo.name}-${rule.name}` },
    spec: {
      alertWhenBreaching: true,
      alertWhenNoData: slo.alerting.noDataAfter !== null,
      conditions: [
        {
          kind: 'AlertCondition',
          metadata: { name: rule.name },
          spec: {
            severity: rule.severity,
            condition: { kind: 'burnrate', op: 'gte', threshold, lookbackWindow: rule.longWindow, alertAfter: rule.shortWindow },
          },
        },
      ],
    },
  };
}

function openSloSlo(slo: SloSpec, sli: SliSpec | undefined): ExportedDocument {
  const a = slo.alerting;
  const annotations: Record<string, string> = {};
  if (a.minEvents !== 10) annotations[SLO_ANNOTATIONS.minEvents] = String(a.minEvents);
  let policies: unknown[] | null = null;
  if (a.rules.length === 0) {
    annotations[SLO_ANNOTATIONS.burnRateRules] = 'none';
    if (a.noDataAfter !== '30m') annotations[SLO_ANNOTATIONS.noDataAfter] = a.noDataAfter ?? 'off';
  } else if (!(same(a.rules, DEFAULT_BURN_RATE_RULES) && a.noDataAfter === '30m')) {
    // The policies' alertWhenNoData says whether there are no-data alerts; only their delay needs an annotation.
    policies = a.rules.map((rule) => openSloPolicy(slo, rule));
    if (a.noDataAfter !== null && a.noDataAfter !== '30m') annotations[SLO_ANNOTATIONS.noDataAfter] = a.noDataAfter;
  }
  const write = namesToWrite(slo.objectives);
  const threshold = sli?.threshold ?? null;
  return openSloDocument(
    'SLO',
    {
      name: slo.name,
      displayName: slo.displayName,
      labels: Object.keys(slo.labels).length > 0 ? slo.labels : null,
      annotations: Object.keys(annotations).length > 0 ? annotations : null,
    },
    {
      description: slo.description,
      service: slo.service,
      indicatorRef: slo.sli,
      timeWindow: openSloWindow(slo.timeWindow),
      budgetingMethod: slo.budgetingMethod,
      objectives: slo.objectives.map((o, i) =>
        present({
          displayName: o.displayName,
          // Not an OpenSLO v1 field; written only where the name could not be derived again.
          name: write[i] ? o.name : null,
          op: threshold?.op ?? null,
          value: threshold?.value ?? null,
          target: o.target,
          timeSliceTarget: o.timeSliceTarget,
          timeSliceWindow: o.timeSliceWindow,
        }),
      ),
      alertPolicies: policies,
    },
  );
}

/** The SLO objects as OpenSLO v1 documents: Prometheus DataSources, SLIs and SLOs. */
export function exportOpenSlo(state: Pick<SloObjects, 'dataSources' | 'slis' | 'slos'>): ExportedDocument[] {
  const out: ExportedDocument[] = [];
  for (const d of state.dataSources) {
    out.push(openSloDocument('DataSource', { name: d.name }, { type: 'Prometheus', connectionDetails: { url: d.url } }));
  }
  const slis = new Map(state.slis.map((s) => [s.name, s]));
  for (const sli of state.slis) {
    const annotations = present({
      [SLO_ANNOTATIONS.service]: sli.service,
      [SLO_ANNOTATIONS.threshold]: sli.threshold ? `${sli.threshold.op} ${sli.threshold.value}` : null,
    });
    out.push(
      openSloDocument(
        'SLI',
        { name: sli.name, annotations: Object.keys(annotations).length > 0 ? annotations : null },
        { description: sli.description, ...openSloIndicator(sli) },
      ),
    );
  }
  for (const slo of state.slos) out.push(openSloSlo(slo, slis.get(slo.sli)));
  return out;
}
