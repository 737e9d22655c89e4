import type { z } from 'zod';
import type { CatalogState } from '../catalog/index.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { type FieldIssue, InputError } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import {
  type BurnRateRule,
  DataSourceSpec,
  DEFAULT_BURN_RATE_RULES,
  ErrorBudgetPolicySpec,
  MaintenanceWindowSpec,
  SlaSpec,
  SliSpec,
  type SloAlerting,
  SloSpec,
} from '../slo/slo.model.ts';
import { normalizeSloState, type SloService, type SloState } from '../slo/slo.service.ts';
import { registerAlertPolicyKinds } from './alert-policy.kinds.ts';
import { registerCatalogKinds } from './catalog.kinds.ts';
import { finalServices, same } from './handler-kit.ts';
import { registerIntegrationKinds } from './integration.kinds.ts';
import type { FieldChange, HandlerContext, HandlerPlan, Located, ManifestHandler, PlanOptions } from './kinds.ts';
import { KindRegistry } from './kinds.ts';
import { exportOpenSlo, exportVigilSlo } from './openslo.export.ts';
import { type FieldPath, issueAt, type ManifestDocument, type ManifestFile, manifestError, parseManifests } from './parse.ts';
import { registerProbeKinds } from './probe.kinds.ts';
import {
  type ConditionDraft,
  type Inline,
  type MetricSourceDraft,
  nominalWindowMs,
  type PolicyDraft,
  registerSloKinds,
  roundRatio,
  SLO_HANDLER,
  type SliDraft,
  type SloDraft,
  type SloFragment,
  type SloOrigins,
  type TargetDraft,
  type Threshold,
} from './slo.kinds.ts';

/** Everything the SLO kinds declare, in the model's normal form (sorted by name). */
export interface SloObjects {
  slis: SliSpec[];
  slos: SloSpec[];
  slas: SlaSpec[];
  dataSources: DataSourceSpec[];
  policies: ErrorBudgetPolicySpec[];
  maintenanceWindows: MaintenanceWindowSpec[];
}

type AnySpec = SliSpec | SloSpec | SlaSpec | DataSourceSpec | ErrorBudgetPolicySpec | MaintenanceWindowSpec;

/** A desired object and where it was written. */
interface Declared {
  ref: string;
  doc: ManifestDocument;
  origins: SloOrigins;
  spec: AnySpec;
}

interface Assembled {
  objects: SloObjects;
  declared: Map<string, Declared>;
  /** OpenSLO Service documents: services the catalog must have. */
  services: Array<{ name: string; doc: ManifestDocument; at: FieldPath }>;
}

/** What is stored that documents may refer to without declaring it. */
interface Known {
  /** Stored DataSources (all of them Prometheus). */
  dataSources: ReadonlySet<string>;
  slis: ReadonlyMap<string, SliSpec>;
}

const where = (doc: ManifestDocument, at: FieldPath): string => `${doc.file}:${doc.lineOf(at)}`;

// ---------------------------------------------------------------------------------------------
// Assembly: documents → the desired SLO objects. OpenSLO spreads an SLO over several documents
// (SLI, DataSource, AlertPolicy, AlertCondition), so references are resolved here.

interface Placed<T> {
  value: T;
  doc: ManifestDocument;
}

function assemble(located: ReadonlyArray<Located<SloFragment>>, known: Known): Assembled {
  const issues: FieldIssue[] = [];
  const firsts = new Map<string, { doc: ManifestDocument; at: FieldPath }>();
  /** False (and reported) when `key` was already declared. */
  const claim = (key: string, label: string, doc: ManifestDocument, at: FieldPath): boolean => {
    const first = firsts.get(key);
    if (first) {
      issues.push(issueAt(doc, at, `${label} is defined twice: here and at ${where(first.doc, first.at)}`));
      return false;
    }
    firsts.set(key, { doc, at });
    return true;
  };

  const dataSources = new Map<string, Placed<Extract<SloFragment, { type: 'datasource' }>>>();
  const policies = new Map<string, Placed<PolicyDraft>>();
  const conditions = new Map<string, Placed<ConditionDraft>>();
  const targets = new Map<string, Placed<TargetDraft>>();
  const sliDrafts: Array<Placed<SliDraft>> = [];
  const sloDrafts: Array<Placed<SloDraft>> = [];
  const services: Assembled['services'] = [];
  const declared = new Map<string, Declared>();
  const objects: SloObjects = { slis: [], slos: [], slas: [], dataSources: [], policies: [], maintenanceWindows: [] };

  for (const { fragment: f, doc } of located) {
    switch (f.type) {
      case 'datasource':
        if (claim(`datasource:${f.name}`, `DataSource ${f.name}`, doc, f.origins.self))
          dataSources.set(f.name, { value: f, doc });
        break;
      case 'alert-policy':
        if (
          f.policy.name !== null &&
          claim(`alertpolicy:${f.policy.name}`, `AlertPolicy ${f.policy.name}`, doc, ['metadata', 'name'])
        ) {
          policies.set(f.policy.name, { value: f.policy, doc });
        }
        break;
      case 'alert-condition':
        if (claim(`alertcondition:${f.condition.name}`, `AlertCondition ${f.condition.name}`, doc, ['metadata', 'name'])) {
          conditions.set(f.condition.name, { value: f.condition, doc });
        }
        break;
      case 'notification-target':
        if (claim(`target:${f.target.name}`, `AlertNotificationTarget ${f.target.name}`, doc, ['metadata', 'name'])) {
          targets.set(f.target.name, { value: f.target, doc });
        }
        break;
      case 'service':
        services.push({ name: f.name, doc, at: f.at });
        break;
      case 'sli':
        sliDrafts.push({ value: f.sli, doc });
        break;
      case 'slo':
        if (claim(`slo:${f.slo.name}`, `slo:${f.slo.name}`, doc, f.slo.origins.self)) {
          sloDrafts.push({ value: f.slo, doc });
          if ('inline' in f.slo.sli) sliDrafts.push({ value: f.slo.sli.inline, doc });
        }
        break;
      case 'sla':
        if (claim(`sla:${f.spec.name}`, `sla:${f.spec.name}`, doc, f.origins.self)) {
          declared.set(`sla:${f.spec.name}`, { ref: `sla:${f.spec.name}`, doc, origins: f.origins, spec: f.spec });
        }
        break;
      case 'policy':
        if (claim(`policy:${f.spec.service}`, `the error budget policy of ${f.spec.service}`, doc, f.origins.self)) {
          declared.set(`policy:${f.spec.service}`, { ref: `policy:${f.spec.service}`, doc, origins: f.origins, spec: f.spec });
        }
        break;
      case 'maintenance':
        if (claim(`maintenance:${f.spec.name}`, `maintenance:${f.spec.name}`, doc, f.origins.self)) {
          declared.set(`maintenance:${f.spec.name}`, {
            ref: `maintenance:${f.spec.name}`,
            doc,
            origins: f.origins,
            spec: f.spec,
          });
        }
        break;
    }
  }

  // DataSources: Prometheus ones are stored; any other type only tells its SLIs they are events.
  for (const { value: d, doc } of dataSources.values()) {
    if (d.dsType !== 'prometheus' || d.url === null) continue;
    declared.set(`datasource:${d.name}`, {
      ref: `datasource:${d.name}`,
      doc,
      origins: d.origins,
      spec: { name: d.name, type: 'prometheus', url: d.url },
    });
  }
  // A declared DataSource of another type shadows a stored one of the same name.
  const prometheusNames = new Set([...known.dataSources].filter((n) => !dataSources.has(n)));
  for (const { value: d } of dataSources.values()) if (d.dsType === 'prometheus') prometheusNames.add(d.name);

  // Thresholds that SLO objectives give their SLI (`op`/`value`).
  const sliNameOf = (s: SloDraft): string => ('inline' in s.sli ? s.sli.inline.name : s.sli.ref);
  const givenThresholds = new Map<string, Array<Placed<Threshold & { at: FieldPath }>>>();
  for (const { value: s, doc } of sloDrafts) {
    if (!s.threshold) continue;
    const list = givenThresholds.get(sliNameOf(s)) ?? [];
    list.push({ value: s.threshold, doc });
    givenThresholds.set(sliNameOf(s), list);
  }
  const sameThreshold = (a: Threshold | null, b: Threshold | null): boolean => a?.op === b?.op && a?.value === b?.value;

  /** Every threshold given for one SLI must agree; the first (or null) is the SLI's. */
  // An SLI written inline in several SLOs is resolved once per SLO; its threshold problems are reported once.
  const reported = new Set<string>();
  const thresholdFromSlos = (name: string): Threshold | null => {
    const list = givenThresholds.get(name) ?? [];
    const first = list[0];
    for (const t of reported.has(`agree:${name}`) ? [] : list.slice(1)) {
      if (first && !sameThreshold(first.value, t.value)) {
        issues.push(
          issueAt(
            t.doc,
            t.value.at,
            `SLI "${name}" has one threshold, and ${where(first.doc, first.value.at)} says ${first.value.op} ${first.value.value}`,
          ),
        );
      }
    }
    reported.add(`agree:${name}`);
    return first ? { op: first.value.op, value: first.value.value } : null;
  };

  // SLIs: metric sources resolved against the DataSources.
  const resolveMetric = (
    ms: MetricSourceDraft,
    doc: ManifestDocument,
  ):
    | { kind: 'prometheus'; dataSource: string | null; query: string | null }
    | { kind: 'events' }
    | { kind: 'probe'; probe: string }
    | null => {
    if (ms.type?.toLowerCase() === 'vigil') return ms.probe !== null ? { kind: 'probe', probe: ms.probe } : { kind: 'events' };
    if (ms.ref !== null) {
      const d = dataSources.get(ms.ref)?.value;
      const type = d ? d.dsType : known.dataSources.has(ms.ref) ? 'prometheus' : null;
      if (type === null) {
        issues.push(
          issueAt(doc, [...ms.at, 'metricSourceRef'], `DataSource "${ms.ref}" is not defined in these manifests nor stored`),
        );
        return null;
      }
      if (ms.type !== null && ms.type.toLowerCase() !== type) {
        issues.push(
          issueAt(doc, [...ms.at, 'type'], `DataSource "${ms.ref}" is of type ${d?.dsType ?? 'prometheus'}, not ${ms.type}`),
        );
        return null;
      }
      return type === 'prometheus' ? { kind: 'prometheus', dataSource: ms.ref, query: ms.query } : { kind: 'events' };
    }
    if (ms.type?.toLowerCase() === 'prometheus') return { kind: 'prometheus', dataSource: null, query: ms.query };
    // Sources Vigil cannot query (Datadog, CloudWatch, …) report their data as pushed events.
    return { kind: 'events' };
  };

  const resolveSli = ({ value: d, doc }: Placed<SliDraft>): SliSpec | null => {
    const base = { name: d.name, service: d.service, description: d.description, threshold: null, prometheus: null, probe: null };
    const fromSlos = thresholdFromSlos(d.name);
    const src = d.source;

    /** The threshold of a thresholdMetric SLI: its annotation, else its SLOs', else what is stored. */
    const openSloThreshold = (): Threshold | null => {
      if (d.threshold && fromSlos && !sameThreshold(d.threshold, fromSlos)) {
        const t = givenThresholds.get(d.name)?.[0];
        if (t)
          issues.push(
            issueAt(
              t.doc,
              t.value.at,
              `SLI "${d.name}" says ${d.threshold.op} ${d.threshold.value} at ${where(doc, d.threshold.at)}`,
            ),
          );
      }
      const threshold = d.threshold
        ? { op: d.threshold.op, value: d.threshold.value }
        : (fromSlos ?? known.slis.get(d.name)?.threshold ?? null);
      if (!threshold) {
        issues.push(
          issueAt(
            doc,
            d.origins.self,
            `a thresholdMetric SLI needs its threshold: op and value in the objective of an SLO that uses it, or the annotation vigil.dev/threshold (e.g. "lt 300")`,
          ),
        );
      }
      return threshold;
    };
    /** A ratio SLI has no threshold; `op`/`value` on its SLOs are a mistake. */
    const noThresholdFromSlos = (): void => {
      if (reported.has(`none:${d.name}`)) return;
      reported.add(`none:${d.name}`);
      for (const t of givenThresholds.get(d.name) ?? []) {
        issues.push(
          issueAt(
            t.doc,
            t.value.at,
            `op and value compare a thresholdMetric or a thresholded SLI; SLI "${d.name}" counts good over total`,
          ),
        );
      }
    };

    if (src.kind === 'events') {
      if (src.threshold) {
        if (fromSlos && !sameThreshold(src.threshold, fromSlos)) {
          const t = givenThresholds.get(d.name)?.[0];
          if (t)
            issues.push(
              issueAt(
                t.doc,
                t.value.at,
                `SLI "${d.name}" is judged ${src.threshold.op} ${src.threshold.value} (${where(doc, src.at)})`,
              ),
            );
        }
        return { ...base, source: 'events', threshold: src.threshold };
      }
      noThresholdFromSlos();
      return { ...base, source: 'events' };
    }
    if (src.kind === 'probe') {
      if (fromSlos) noThresholdFromSlos();
      return { ...base, source: 'probe', probe: src.probe };
    }
    if (src.kind === 'prometheus') {
      if (!prometheusNames.has(src.dataSource) && !dataSources.has(src.dataSource)) {
        issues.push(
          issueAt(doc, [...src.at, 'dataSource'], `DataSource "${src.dataSource}" is not defined in these manifests nor stored`),
        );
      } else if (!prometheusNames.has(src.dataSource)) {
        issues.push(issueAt(doc, [...src.at, 'dataSource'], `DataSource "${src.dataSource}" is not a Prometheus server`));
      }
      noThresholdFromSlos();
      return {
        ...base,
        source: 'prometheus',
        prometheus: { dataSource: src.dataSource, good: src.good, bad: src.bad, total: src.total },
      };
    }
    if (d.forceEvents) {
      if (src.kind === 'threshold') return { ...base, source: 'events', threshold: openSloThreshold() };
      noThresholdFromSlos();
      return { ...base, source: 'events' };
    }
    if (src.kind === 'threshold') {
      const r = resolveMetric(src.metric, doc);
      if (!r) return null;
      if (r.kind === 'prometheus') {
        issues.push(
          issueAt(
            doc,
            src.metric.at,
            'Vigil reads Prometheus SLIs as counts of good (or bad) over total events: write a ratioMetric, or annotate the SLI vigil.dev/source: events and push the observations',
          ),
        );
        return null;
      }
      const threshold = openSloThreshold();
      return r.kind === 'probe'
        ? { ...base, source: 'probe', probe: r.probe, threshold }
        : { ...base, source: 'events', threshold };
    }
    if (src.kind === 'raw') {
      const r = resolveMetric(src.raw, doc);
      if (!r) return null;
      if (r.kind === 'prometheus') {
        issues.push(
          issueAt(
            doc,
            src.raw.at,
            'Vigil needs the counts behind a ratio, not the ratio: over a long window an average of ratios weighs a quiet hour like a busy one. Write good (or bad) over total',
          ),
        );
        return null;
      }
      noThresholdFromSlos();
      return r.kind === 'probe' ? { ...base, source: 'probe', probe: r.probe } : { ...base, source: 'events' };
    }
    // A ratio: good (or bad) over total, every part from the same kind of source.
    const parts = [src.good ?? src.bad, src.total].filter((p): p is MetricSourceDraft => p !== null);
    const resolved = parts.map((p) => resolveMetric(p, doc));
    if (resolved.some((r) => r === null)) return null;
    noThresholdFromSlos();
    const kinds = new Set(resolved.map((r) => r?.kind));
    if (kinds.size > 1) {
      issues.push(issueAt(doc, src.total.at.slice(0, -2), 'good (or bad) and total must come from the same kind of source'));
      return null;
    }
    const first = resolved[0];
    if (first?.kind === 'probe') return { ...base, source: 'probe', probe: first.probe };
    if (first?.kind !== 'prometheus') return { ...base, source: 'events' };
    const ratioAt = src.total.at.slice(0, -2);
    if (src.counter === false) {
      issues.push(
        issueAt(
          doc,
          [...ratioAt, 'counter'],
          'Vigil reads Prometheus SLIs as counters (it takes their increase over each window): counter must be true',
        ),
      );
    }
    const named = new Set(resolved.flatMap((r) => (r?.kind === 'prometheus' && r.dataSource !== null ? [r.dataSource] : [])));
    let dataSource = [...named][0] ?? null;
    if (named.size > 1) {
      issues.push(
        issueAt(doc, ratioAt, `good (or bad) and total must be queried from one DataSource, not ${[...named].join(' and ')}`),
      );
      return null;
    }
    if (dataSource === null) {
      const all = [...prometheusNames].sort();
      if (all.length === 1) dataSource = all[0] ?? null;
      else {
        issues.push(
          issueAt(
            doc,
            src.total.at,
            all.length === 0
              ? 'no Prometheus DataSource is defined: add one (kind: DataSource, spec.type: Prometheus) and name it in metricSourceRef'
              : `name the Prometheus DataSource in metricSourceRef; there are ${all.join(', ')}`,
          ),
        );
        return null;
      }
    }
    const query = (p: MetricSourceDraft): string => {
      if (p.query === null)
        issues.push(issueAt(doc, [...p.at, 'spec'], 'a Prometheus metric source needs its PromQL in spec.query'));
      return p.query ?? '';
    };
    const numerator = query(src.good ?? src.bad ?? src.total);
    const total = query(src.total);
    return {
      ...base,
      source: 'prometheus',
      prometheus: {
        dataSource: dataSource ?? '',
        good: src.good ? numerator : null,
        bad: src.good ? null : numerator,
        total,
      },
    };
  };

  const sliDocs = new Map<string, Placed<SliDraft> & { spec: SliSpec }>();
  for (const placed of sliDrafts) {
    const spec = resolveSli(placed);
    if (!spec) continue;
    const first = sliDocs.get(placed.value.name);
    if (first) {
      // The same SLI written inline in several SLOs (or inline and on its own) is fine when it says the same.
      if (!same(first.spec, spec)) {
        issues.push(
          issueAt(
            placed.doc,
            placed.value.origins.self,
            `SLI "${placed.value.name}" is defined twice, differently: here and at ${where(first.doc, first.value.origins.self)}`,
          ),
        );
      }
      continue;
    }
    sliDocs.set(placed.value.name, { ...placed, spec });
    declared.set(`sli:${spec.name}`, { ref: `sli:${spec.name}`, doc: placed.doc, origins: placed.value.origins, spec });
  }
  // SLOs that give op/value for an SLI these manifests do not declare: the stored SLI must agree.
  for (const [name, list] of givenThresholds) {
    if (sliDocs.has(name) || sliDrafts.some((s) => s.value.name === name)) continue;
    const stored = known.slis.get(name);
    const t = list[0];
    if (!stored || !t) continue;
    if (!sameThreshold(stored.threshold, t.value)) {
      issues.push(
        issueAt(
          t.doc,
          t.value.at,
          stored.threshold
            ? `the stored SLI "${name}" is judged ${stored.threshold.op} ${stored.threshold.value}; apply the SLI together with this SLO to change it`
            : `the stored SLI "${name}" counts good over total and has no threshold`,
        ),
      );
    }
  }

  // SLOs.
  for (const { value: s, doc } of sloDrafts) {
    const alerting = s.alerting.kind === 'given' ? s.alerting.alerting : resolveAlerting(s, doc);
    if (!alerting) continue;
    const spec: SloSpec = {
      name: s.name,
      displayName: s.displayName,
      description: s.description,
      service: s.service,
      sli: sliNameOf(s),
      timeWindow: s.timeWindow,
      budgetingMethod: s.budgetingMethod,
      objectives: s.objectives,
      alerting,
      labels: s.labels,
    };
    declared.set(`slo:${s.name}`, { ref: `slo:${s.name}`, doc, origins: s.origins, spec });
  }

  /** OpenSLO alert policies → burn-rate rules (see docs/openslo.md for the mapping). */
  function resolveAlerting(s: SloDraft, doc: ManifestDocument): SloAlerting | null {
    if (s.alerting.kind !== 'openslo') return null;
    const a = s.alerting;
    const windowMs = nominalWindowMs(s.timeWindow);
    const rules: BurnRateRule[] = [];
    const ruleAt = new Map<string, { doc: ManifestDocument; at: FieldPath }>();
    let anyNoData = false;
    let ok = true;
    const deref = <T>(item: Inline<T>, pool: Map<string, Placed<T>>, what: string, owner: ManifestDocument): Placed<T> | null => {
      if ('inline' in item) return { value: item.inline, doc: owner };
      const found = pool.get(item.ref);
      if (!found) {
        issues.push(
          issueAt(
            owner,
            item.at,
            `${what} "${item.ref}" is not defined in these manifests (${what}s live in the SLOs that use them)`,
          ),
        );
        ok = false;
      }
      return found ?? null;
    };
    for (const item of a.policies) {
      const policy = deref(item, policies, 'AlertPolicy', doc);
      if (!policy) continue;
      if (policy.value.alertWhenNoData === true) anyNoData = true;
      for (const t of policy.value.targets) deref(t, targets, 'AlertNotificationTarget', policy.doc);
      for (const c of policy.value.conditions) {
        const condition = deref(c, conditions, 'AlertCondition', policy.doc);
        if (!condition) continue;
        const cv = condition.value;
        const at = [...cv.at, 'spec', 'condition'];
        const longMs = parseDuration(cv.lookbackWindow);
        const budgetShare = roundRatio((cv.threshold * longMs) / windowMs);
        if (budgetShare > 1) {
          issues.push(
            issueAt(
              condition.doc,
              [...at, 'threshold'],
              `burning at ${cv.threshold}× for ${cv.lookbackWindow} spends ${roundRatio(budgetShare * 100)} % of the budget of ${s.name}'s window: the alert could only fire after the budget is gone`,
            ),
          );
          ok = false;
          continue;
        }
        const alertAfterMs = cv.alertAfter === null ? 0 : parseDuration(cv.alertAfter);
        // The SRE Workbook confirms a burn over a window a twelfth of the long one (1 h with 5 m).
        const shortWindow = alertAfterMs > 0 && cv.alertAfter !== null ? cv.alertAfter : formatDuration(Math.round(longMs / 12));
        const first = ruleAt.get(cv.name);
        if (first) {
          if (first.doc !== condition.doc || JSON.stringify(first.at) !== JSON.stringify(cv.at)) {
            issues.push(
              issueAt(
                condition.doc,
                cv.at,
                `SLO ${s.name} already has a burn-rate rule "${cv.name}" (${where(first.doc, first.at)})`,
              ),
            );
            ok = false;
          }
          continue;
        }
        ruleAt.set(cv.name, { doc: condition.doc, at: cv.at });
        rules.push({ name: cv.name, severity: cv.severity, budgetShare, longWindow: cv.lookbackWindow, shortWindow });
      }
    }
    if (!ok) return null;
    const hasPolicies = a.policies.length > 0;
    return {
      rules: a.noRules ? [] : hasPolicies ? rules : DEFAULT_BURN_RATE_RULES.map((r) => ({ ...r })),
      minEvents: a.minEvents ?? 10,
      noDataAfter: a.noDataAfter !== undefined ? a.noDataAfter : !hasPolicies || anyNoData ? '30m' : null,
    };
  }

  // Normal form: the model's schemas fill what the documents left out, as the store does.
  const normal = <T>(schema: z.ZodType<T>, d: Declared): T | null => {
    const parsed = schema.safeParse(d.spec);
    if (parsed.success) return parsed.data;
    for (const i of parsed.error.issues)
      issues.push(issueAt(d.doc, d.origins.self, `${i.path.map(String).join('.')}: ${i.message}`));
    return null;
  };
  /** Parses `d` into its normal form, keeps it as the declaration, and adds it to `list`. */
  const add = <T extends AnySpec>(schema: z.ZodType<T>, d: Declared, list: T[]): void => {
    const spec = normal(schema, d);
    if (!spec) return;
    d.spec = spec;
    list.push(spec);
  };
  for (const d of [...declared.values()].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))) {
    const kind = d.ref.slice(0, d.ref.indexOf(':'));
    if (kind === 'sli') add(SliSpec, d, objects.slis);
    else if (kind === 'slo') add(SloSpec, d, objects.slos);
    else if (kind === 'sla') add(SlaSpec, d, objects.slas);
    else if (kind === 'datasource') add(DataSourceSpec, d, objects.dataSources);
    else if (kind === 'policy') add(ErrorBudgetPolicySpec, d, objects.policies);
    else if (kind === 'maintenance') add(MaintenanceWindowSpec, d, objects.maintenanceWindows);
  }

  if (issues.length > 0) throw manifestError(issues);
  return { objects, declared, services };
}

// References: every name must exist once the apply is done (the same check `applyDesired` makes,
// so that `plan` fails where `apply` would).

type Stored = SloState[keyof SloState][number];

function refOf(kind: keyof SloObjects, spec: AnySpec): string {
  switch (kind) {
    case 'slis':
      return `sli:${(spec as SliSpec).name}`;
    case 'slos':
      return `slo:${(spec as SloSpec).name}`;
    case 'slas':
      return `sla:${(spec as SlaSpec).name}`;
    case 'dataSources':
      return `datasource:${(spec as DataSourceSpec).name}`;
    case 'policies':
      return `policy:${(spec as ErrorBudgetPolicySpec).service}`;
    case 'maintenanceWindows':
      return `maintenance:${(spec as MaintenanceWindowSpec).name}`;
  }
}

/** Which manifests own a stored object (SLIs call it `configSource`, since `source` is where their data comes from). */
const ownerOf = (item: Stored): string | null => ('configSource' in item ? item.configSource : item.source);

const KINDS: ReadonlyArray<keyof SloObjects> = ['dataSources', 'slis', 'slos', 'slas', 'policies', 'maintenanceWindows'];

/** The path an issue about a model object has: `slos[checkout-availability]`. */
const pathOf = (kind: keyof SloObjects, spec: AnySpec): string => {
  const ref = refOf(kind, spec);
  return `${kind}[${ref.slice(ref.indexOf(':') + 1)}]`;
};

function checkReferences(
  current: SloState,
  desired: SloState,
  services: ReadonlySet<string> | null,
  options: PlanOptions,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const finalSpecs = new Map<string, AnySpec>();
  const pruned = new Set<string>();
  for (const kind of KINDS) {
    const want = new Set((desired[kind] as AnySpec[]).map((s) => refOf(kind, s)));
    for (const c of current[kind] as Stored[]) {
      const ref = refOf(kind, c);
      if (options.prune && ownerOf(c) === options.source && !want.has(ref)) pruned.add(ref);
      else finalSpecs.set(ref, c);
    }
    for (const d of desired[kind] as AnySpec[]) finalSpecs.set(refOf(kind, d), d);
  }
  const missing = (ref: string): string | null =>
    finalSpecs.has(ref) ? null : pruned.has(ref) ? 'would be deleted by this prune' : 'is unknown';
  const service = (name: string): string | null =>
    services === null || services.has(name) ? null : 'is not in the catalog; add it there (a Service manifest) first';

  // Declared objects, and stored ones that stay: a prune must not leave them pointing at nothing.
  // Services are checked on declared objects only: the catalog may delete a service that stored SLOs name.
  const staying = <K extends keyof SloObjects>(kind: K): { declared: SloState[K]; kept: SloState[K] } => {
    const declaredRefs = new Set((desired[kind] as AnySpec[]).map((s) => refOf(kind, s)));
    const kept = (current[kind] as Stored[]).filter(
      (c) => !declaredRefs.has(refOf(kind, c)) && finalSpecs.get(refOf(kind, c)) === c,
    );
    return { declared: desired[kind], kept: kept as SloState[K] };
  };

  const slis = staying('slis');
  for (const [sli, isDeclared] of both(slis)) {
    const at = pathOf('slis', sli);
    if (sli.prometheus) {
      const m = missing(`datasource:${sli.prometheus.dataSource}`);
      if (m) issues.push({ path: `${at}.prometheus.dataSource`, message: `DataSource "${sli.prometheus.dataSource}" ${m}` });
    }
    const s = sli.service !== null && isDeclared ? service(sli.service) : null;
    if (s) issues.push({ path: `${at}.service`, message: `service "${sli.service}" ${s}` });
  }
  for (const [slo, isDeclared] of both(staying('slos'))) {
    const at = pathOf('slos', slo);
    const m = missing(`sli:${slo.sli}`);
    if (m) issues.push({ path: `${at}.sli`, message: `SLI "${slo.sli}" ${m}` });
    const s = isDeclared ? service(slo.service) : null;
    if (s) issues.push({ path: `${at}.service`, message: `service "${slo.service}" ${s}` });
  }
  for (const [sla] of both(staying('slas'))) {
    const at = pathOf('slas', sla);
    const m = missing(`slo:${sla.slo}`);
    if (m) issues.push({ path: `${at}.slo`, message: `SLO "${sla.slo}" ${m}` });
    const slo = finalSpecs.get(`slo:${sla.slo}`) as SloSpec | undefined;
    if (slo && !slo.objectives.some((o) => o.name === sla.objective)) {
      issues.push({
        path: `${at}.objective`,
        message: `SLO "${sla.slo}" has no objective "${sla.objective}" (it has ${slo.objectives.map((o) => o.name).join(', ')})`,
      });
    }
  }
  for (const policy of desired.policies) {
    const s = service(policy.service);
    if (s) issues.push({ path: `${pathOf('policies', policy)}.service`, message: `service "${policy.service}" ${s}` });
  }
  for (const [mw, isDeclared] of both(staying('maintenanceWindows'))) {
    const at = pathOf('maintenanceWindows', mw);
    mw.slos.forEach((name, i) => {
      const m = missing(`slo:${name}`);
      if (m) issues.push({ path: `${at}.slos[${i}]`, message: `SLO "${name}" ${m}` });
    });
    if (isDeclared) {
      mw.services.forEach((name, i) => {
        const s = service(name);
        if (s) issues.push({ path: `${at}.services[${i}]`, message: `service "${name}" ${s}` });
      });
    }
  }
  return issues;
}

function both<T>(s: { declared: T[]; kept: T[] }): Array<[T, boolean]> {
  return [...s.declared.map((d): [T, boolean] => [d, true]), ...s.kept.map((k): [T, boolean] => [k, false])];
}

// ---------------------------------------------------------------------------------------------
// Locating: a path in model terms (`slos[checkout].objectives[1].target`) → file, line, field

const MODEL_PATH = /^(slis|slos|slas|dataSources|policies|maintenanceWindows)\[([^\]]+)\](.*)$/;
const PREFIX: Record<string, string> = {
  slis: 'sli',
  slos: 'slo',
  slas: 'sla',
  dataSources: 'datasource',
  policies: 'policy',
  maintenanceWindows: 'maintenance',
};

/**
 * Points an issue about the desired objects at the document field it came from. Indices in the
 * issue refer to the normal form, which sorts some lists (a maintenance window's SLOs, an SLA's
 * penalties), so an element is found again by its value.
 */
function locate(declared: ReadonlyMap<string, Declared>, normal: ReadonlyMap<string, unknown>, issue: FieldIssue): FieldIssue {
  const m = MODEL_PATH.exec(issue.path);
  if (!m) return issue;
  const [, collection = '', name = '', rest = ''] = m;
  const ref = `${PREFIX[collection]}:${name}`;
  const d = declared.get(ref);
  if (!d) return { ...issue, message: `${ref}: ${issue.message}` };
  const segments: Array<string | number> = [];
  for (const s of rest.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)) segments.push(s[1] ?? Number(s[2]));
  const [field, index] = segments;
  let at: FieldPath = d.origins.self;
  if (typeof field === 'string') {
    at = d.origins.fields[field] ?? at;
    let element: FieldPath | undefined;
    if (typeof index === 'number') {
      const written = (d.spec as unknown as Record<string, unknown>)[field];
      const normalList = (normal.get(ref) as Record<string, unknown> | undefined)?.[field];
      const value = Array.isArray(normalList) ? normalList[index] : undefined;
      const found = Array.isArray(written) ? written.findIndex((w) => same(w, value)) : -1;
      element = d.origins.elements[field]?.[found >= 0 ? found : index];
    }
    if (element) at = element;
    const deeper = [...at, ...segments.slice(element ? 2 : 1)];
    if (d.doc.has(deeper)) at = deeper;
  }
  const located = issueAt(d.doc, at, issue.message);
  return { ...located, message: `${ref}: ${issue.message}` };
}

// ---------------------------------------------------------------------------------------------
// Diffing against what is stored, both sides in the SLO service's normal form

function withSource(objects: SloObjects, source: string): SloState {
  const add = <T>(list: T[]): Array<T & { source: string }> => list.map((s) => ({ ...s, source }));
  return normalizeSloState({
    slis: objects.slis.map((s) => ({ ...s, configSource: source })),
    slos: add(objects.slos),
    slas: add(objects.slas),
    dataSources: add(objects.dataSources),
    policies: add(objects.policies),
    maintenanceWindows: add(objects.maintenanceWindows),
  });
}

function normalByRef(state: SloState): Map<string, Stored> {
  const out = new Map<string, Stored>();
  for (const kind of KINDS) for (const s of state[kind] as Stored[]) out.set(refOf(kind, s), s);
  return out;
}

function fieldChanges(before: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const out: FieldChange[] = [];
  for (const field of Object.keys(after)) {
    if (field === 'name') continue;
    if (!same(before[field], after[field])) {
      out.push({ field: field === 'configSource' ? 'source' : field, from: before[field] ?? null, to: after[field] ?? null });
    }
  }
  return out;
}

/** Like the catalog's: a difference in source alone is an adopt, not drift. */
function diff(current: SloState, desired: SloState, declared: ReadonlyMap<string, Declared>, options: PlanOptions): HandlerPlan {
  const plan: HandlerPlan = { changes: [], unchanged: [] };
  const stored = normalByRef(current);
  for (const [ref, after] of normalByRef(desired)) {
    const d = declared.get(ref);
    const before = stored.get(ref);
    const place = d ? { file: d.doc.file, line: d.doc.lineOf(d.origins.self) } : {};
    if (!before) {
      plan.changes.push({ action: 'create', ref, fields: [], ...place });
      continue;
    }
    const fields = fieldChanges(before as unknown as Record<string, unknown>, after as unknown as Record<string, unknown>);
    if (fields.length === 0) plan.unchanged.push(ref);
    else if (fields.length === 1 && fields[0]?.field === 'source') plan.changes.push({ action: 'adopt', ref, fields, ...place });
    else plan.changes.push({ action: 'update', ref, fields, ...place });
  }
  if (options.prune) {
    for (const [ref, spec] of stored) {
      if (ownerOf(spec) === options.source && !declared.has(ref)) plan.changes.push({ action: 'delete', ref, fields: [] });
    }
  }
  const ORDER = ['datasource', 'sli', 'slo', 'sla', 'policy', 'maintenance'];
  const order = (ref: string): number => ORDER.indexOf(ref.slice(0, ref.indexOf(':')));
  const byRef = (a: string, b: string): number => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0);
  plan.changes.sort((a, b) => byRef(a.ref, b.ref));
  plan.unchanged.sort(byRef);
  return plan;
}

// ---------------------------------------------------------------------------------------------
// The handler

/** What the manifests layer needs from the SLO service. */
export type SloPort = Pick<SloService, 'snapshot' | 'applyDesired'>;

export interface SloHandlerDeps {
  slo: SloPort;
  /** SLOs, SLIs and policies name catalog services. */
  catalog: { snapshot(executor?: Executor): Promise<CatalogState> };
}

function knownOf(state: SloState): Known {
  return { dataSources: new Set(state.dataSources.map((d) => d.name)), slis: new Map(state.slis.map((s) => [s.name, s])) };
}

interface Prepared {
  current: SloState;
  desired: SloState;
  assembled: Assembled;
  locate(issue: FieldIssue): FieldIssue;
}

async function prepare(
  executor: Executor,
  deps: SloHandlerDeps,
  fragments: ReadonlyArray<Located<SloFragment>>,
  options: PlanOptions,
  context: HandlerContext | undefined,
): Promise<Prepared> {
  const current = await deps.slo.snapshot(executor);
  const assembled = assemble(fragments, knownOf(current));
  const desired = withSource(assembled.objects, options.source);
  const normal = normalByRef(desired);
  const at = (issue: FieldIssue): FieldIssue => locate(assembled.declared, normal, issue);
  const services = await finalServices(executor, deps.catalog, context, options);
  const issues = checkReferences(current, desired, services, options).map(at);
  for (const s of assembled.services) {
    if (!services.has(s.name)) {
      issues.push(
        issueAt(
          s.doc,
          s.at,
          `service "${s.name}" is not in the catalog; Vigil's services live in the catalog, so add it there (a vigil.dev/v1 Service or a Backstage Component), in these manifests or before`,
        ),
      );
    }
  }
  if (issues.length > 0) throw manifestError(issues);
  return { current, desired, assembled, locate: at };
}

/** Config as code for SLOs: SLIs, SLOs, SLAs, DataSources, error budget policies and maintenance windows. */
export function sloHandler(deps: SloHandlerDeps): ManifestHandler<SloFragment> {
  return {
    ref: SLO_HANDLER,

    async plan(executor, fragments, options, context) {
      const { current, desired, assembled } = await prepare(executor, deps, fragments, options, context);
      return diff(current, desired, assembled.declared, options);
    },

    async apply(trx, principal, fragments, options, context) {
      const { current, desired, assembled, locate: at } = await prepare(trx, deps, fragments, options, context);
      const adopting = new Set(
        diff(current, desired, assembled.declared, options)
          .changes.filter((c) => c.action === 'adopt')
          .map((c) => c.ref),
      );
      try {
        const applied = await deps.slo.applyDesired(trx, principal, desired, options);
        return {
          ...applied,
          updated: applied.updated.filter((ref) => !adopting.has(ref)),
          adopted: applied.updated.filter((ref) => adopting.has(ref)),
        };
      } catch (error) {
        if (error instanceof InputError && error.issues.length > 0) throw manifestError(error.issues.map(at));
        throw error;
      }
    },

    async export(executor) {
      return exportVigilSlo(await deps.slo.snapshot(executor));
    },

    async exportAs(executor, format) {
      return format === 'openslo' ? exportOpenSlo(await deps.slo.snapshot(executor)) : [];
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Without a server

const NOTHING_STORED: SloState = { slis: [], slos: [], slas: [], dataSources: [], policies: [], maintenanceWindows: [] };

/**
 * The SLO objects that manifest files declare, without a database: for tools that work on files
 * alone (`vigil rules prometheus -f slos.yaml`). Catalog documents in the files are read and
 * ignored; references are resolved within the files, and services are not checked. Throws an
 * {@link InputError} whose issues carry file, line and field.
 */
export function parseSloManifests(files: readonly ManifestFile[]): SloObjects {
  // Every kind the examples hold is read, so that folders mixing SLOs with probes, integrations and alert policies parse.
  const registry = registerAlertPolicyKinds(
    registerIntegrationKinds(registerProbeKinds(registerSloKinds(registerCatalogKinds(new KindRegistry())))),
  );
  const interpreted = registry.interpret(parseManifests(files));
  const fragments = (interpreted.get(SLO_HANDLER.name) ?? []) as Array<Located<SloFragment>>;
  const assembled = assemble(fragments, knownOf(NOTHING_STORED));
  const options = { source: 'files', prune: false };
  const desired = withSource(assembled.objects, options.source);
  const normal = normalByRef(desired);
  const issues = checkReferences(NOTHING_STORED, desired, null, options).map((i) => locate(assembled.declared, normal, i));
  if (issues.length > 0) throw manifestError(issues);
  return assembled.objects;
}
