import { z } from 'zod';
import { Name } from '../catalog/index.ts';
import { parseDuration } from '../core/duration.ts';
import { InputError } from '../core/errors.ts';
import { isTimeZone, parseLocalDateTime } from '../slo/calendar.ts';
import { parseRRule } from '../slo/rrule.ts';
import {
  BUDGETING_METHODS,
  type BudgetingMethod,
  Duration,
  ErrorBudgetPolicySpec as ErrorBudgetPolicySchema,
  type ErrorBudgetPolicySpec,
  MaintenanceWindowSpec as MaintenanceWindowSchema,
  type MaintenanceWindowSpec,
  type ObjectiveSpec,
  type SlaSpec,
  SloAlerting,
  ThresholdOp,
  type TimeWindow,
} from '../slo/slo.model.ts';
import { VIGIL_V1 } from './catalog.kinds.ts';
import { handlerRef, type KindContext, type KindRegistry } from './kinds.ts';
import type { FieldPath } from './parse.ts';

/**
 * The SLO kinds: OpenSLO v1 as the specification writes it, and Vigil's shorter `vigil.dev/v1`
 * forms. Both only describe what a document asks for; references between documents (an SLO's
 * `indicatorRef`, a `metricSourceRef`, an `alertPolicyRef`) are resolved by the SLO handler,
 * which sees every document of the apply and what is stored.
 */

export const OPENSLO_V1 = 'openslo/v1';

/** Annotations through which OpenSLO documents say what OpenSLO has no field for. */
export const SLO_ANNOTATIONS = {
  /** On an SLI: `events` makes Vigil receive its data as pushed events whatever the metric source says. */
  source: 'vigil.dev/source',
  /** On an SLI: the catalog service it measures (an inline SLI measures its SLO's service). */
  service: 'vigil.dev/service',
  /** On a thresholdMetric SLI: `lt 300`; otherwise its threshold comes from its SLOs' `op` and `value`. */
  threshold: 'vigil.dev/threshold',
  /** On an SLO: fewer events than this in a rule's long window never fire it (default 10). */
  minEvents: 'vigil.dev/min-events',
  /** On an SLO: a duration, or `off`; overrides what the alert policies' `alertWhenNoData` imply. */
  noDataAfter: 'vigil.dev/no-data-after',
  /** On an SLO: `none` when it has no burn-rate alerts at all (no alert policies means the defaults). */
  burnRateRules: 'vigil.dev/burn-rate-rules',
} as const;

/** Metric source type that means "Vigil's own data": pushed events, or a probe with `spec.probe`. */
export const VIGIL_METRIC_SOURCE = 'Vigil';

/** Where, within the document it came from, each model field of an object was written. */
export interface SloOrigins {
  /** Where the object is named. */
  self: FieldPath;
  /** Model field → document field: `sli` → `spec.indicatorRef`. */
  fields: Partial<Record<string, FieldPath>>;
  /** List field → element index → document field. */
  elements: Partial<Record<string, FieldPath[]>>;
}

// ---------------------------------------------------------------------------------------------
// Fragments: what the kinds hand the SLO handler. OpenSLO parts stay unresolved until the
// handler has every document, since a metric source's type may live in another file.

/** An OpenSLO `metricSource`, as written. */
export interface MetricSourceDraft {
  ref: string | null;
  type: string | null;
  /** `spec.query` (or `spec.promql`). */
  query: string | null;
  /** `spec.probe` of a `Vigil` metric source. */
  probe: string | null;
  /** The `metricSource` field. */
  at: FieldPath;
}

export type Threshold = { op: z.output<typeof ThresholdOp>; value: number };

export type SliSourceDraft =
  | {
      kind: 'ratio';
      counter: boolean | null;
      good: MetricSourceDraft | null;
      bad: MetricSourceDraft | null;
      total: MetricSourceDraft;
    }
  | { kind: 'raw'; raw: MetricSourceDraft }
  /** Raw observations judged against the threshold that the SLOs' objectives give (`op`, `value`). */
  | { kind: 'threshold'; metric: MetricSourceDraft }
  | { kind: 'events'; threshold: Threshold | null; at: FieldPath }
  | { kind: 'prometheus'; dataSource: string; good: string | null; bad: string | null; total: string; at: FieldPath }
  | { kind: 'probe'; probe: string; at: FieldPath };

export interface SliDraft {
  name: string;
  service: string | null;
  description: string | null;
  /** `vigil.dev/source: events`: the metric sources are for other tools; Vigil gets pushed events. */
  forceEvents: boolean;
  /** `vigil.dev/threshold` of an OpenSLO SLI: the threshold without an SLO's objective to carry it. */
  threshold: (Threshold & { at: FieldPath }) | null;
  source: SliSourceDraft;
  origins: SloOrigins;
}

export interface ConditionDraft {
  name: string;
  severity: 'page' | 'ticket';
  threshold: number;
  lookbackWindow: string;
  alertAfter: string | null;
  /** The AlertCondition (its document, or the inline item). */
  at: FieldPath;
}

export interface TargetDraft {
  name: string;
  target: string;
  at: FieldPath;
}

export type Inline<T> = { inline: T } | { ref: string; at: FieldPath };

export interface PolicyDraft {
  name: string | null;
  alertWhenNoData: boolean | null;
  conditions: Array<Inline<ConditionDraft>>;
  targets: Array<Inline<TargetDraft>>;
  at: FieldPath;
}

/** How an SLO gets its burn-rate alerts. */
export type AlertingDraft =
  | { kind: 'given'; alerting: SloAlerting }
  | {
      kind: 'openslo';
      policies: Array<Inline<PolicyDraft>>;
      minEvents: number | null;
      /** From the annotation: a duration, null for `off`, undefined when not annotated. */
      noDataAfter: string | null | undefined;
      /** `vigil.dev/burn-rate-rules: none`. */
      noRules: boolean;
    };

export interface SloDraft {
  name: string;
  displayName: string | null;
  description: string | null;
  service: string;
  timeWindow: TimeWindow;
  budgetingMethod: BudgetingMethod;
  objectives: ObjectiveSpec[];
  labels: Record<string, string>;
  /** The SLI by name, or declared inside the SLO. */
  sli: { ref: string; at: FieldPath } | { inline: SliDraft };
  /** `op`/`value` of the objectives: the threshold of the SLI (one per SLI). */
  threshold: (Threshold & { at: FieldPath }) | null;
  alerting: AlertingDraft;
  origins: SloOrigins;
}

export type SloFragment =
  | { type: 'sli'; sli: SliDraft }
  | { type: 'slo'; slo: SloDraft }
  /** Any DataSource; only Prometheus ones are stored, the others decide that their SLIs are events. */
  | { type: 'datasource'; name: string; dsType: string; url: string | null; origins: SloOrigins }
  /** An OpenSLO Service: a service the catalog must have. */
  | { type: 'service'; name: string; at: FieldPath }
  | { type: 'alert-policy'; policy: PolicyDraft }
  | { type: 'alert-condition'; condition: ConditionDraft }
  | { type: 'notification-target'; target: TargetDraft }
  | { type: 'sla'; spec: SlaSpec; origins: SloOrigins }
  | { type: 'policy'; spec: ErrorBudgetPolicySpec; origins: SloOrigins }
  | { type: 'maintenance'; spec: MaintenanceWindowSpec; origins: SloOrigins };

export const SLO_HANDLER = handlerRef<SloFragment>('slo');

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** Ratios are written with 12 significant digits: 99.9 / 100 is 0.999, not 0.9990000000000001. */
export function roundRatio(x: number): number {
  return Number(x.toPrecision(12));
}

const CALENDAR_DURATION = /^([1-9]\d*)([dwMQY])$/;
const NOMINAL_DAYS: Record<string, number> = { d: 1, w: 7, M: 30, Q: 90, Y: 365 };

/**
 * The length burn rates are scaled by: a rolling window's duration, or a calendar period at its
 * nominal length (a month is 30 days, a quarter 90, a year 365). OpenSLO burn-rate thresholds and
 * Vigil's budget shares convert through it, in both directions, so the choice only has to be fixed.
 */
export function nominalWindowMs(tw: TimeWindow): number {
  if (tw.type === 'rolling') return parseDuration(tw.duration);
  const m = CALENDAR_DURATION.exec(tw.duration);
  return Number(m?.[1] ?? 1) * (NOMINAL_DAYS[m?.[2] ?? 'd'] ?? 1) * 86_400_000;
}

/** A display name as a name: `Fast checkout` → `fast-checkout`. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/**
 * The name an objective gets when none is written: the first is `default` (what SLAs refer to by
 * default), the others take their display name, or their position. Export writes a name only
 * where this would not find it again.
 */
export function derivedObjectiveName(index: number, displayName: string | null, taken: ReadonlySet<string>): string {
  if (index === 0) return 'default';
  const fromDisplay = displayName ? slug(displayName) : '';
  if (fromDisplay && Name.safeParse(fromDisplay).success && !taken.has(fromDisplay)) return fromDisplay;
  return `objective-${index + 1}`;
}

/** A zod schema applied to a part of the document, its problems reported at their place. */
function parseAt<T>(ctx: KindContext, schema: z.ZodType<T>, value: unknown, base: FieldPath): T | null {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const path = [...base, ...issue.path.filter((p): p is string | number => typeof p !== 'symbol')];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) ctx.issue([...path, key], 'unknown field');
    } else if (issue.code === 'invalid_type' && !ctx.doc.has(path)) {
      ctx.issue(path, `required (${issue.expected})`);
    } else ctx.issue(path, issue.message);
  }
  return null;
}

/** Model errors (`InputError.field`) as issues at a document field. */
function attempt(ctx: KindContext, at: FieldPath, check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    ctx.issue(at, error.issues[0]?.message ?? error.message);
    return false;
  }
}

function rollingWindow(ctx: KindContext, duration: string, at: FieldPath): TimeWindow | null {
  if (CALENDAR_DURATION.test(duration) && /[MQY]$/.test(duration)) {
    ctx.issue(
      at,
      `"${duration}" is a calendar duration; rolling windows are counted in m, h, d or w (e.g. 28d), or make it a calendar window`,
    );
    return null;
  }
  if (!Duration.safeParse(duration).success) {
    ctx.issue(at, `"${duration}" is not a duration such as 7d, 28d or 4w`);
    return null;
  }
  if (parseDuration(duration) <= 0) {
    ctx.issue(at, 'a rolling window must be longer than zero');
    return null;
  }
  return { type: 'rolling', duration };
}

function calendarWindow(
  ctx: KindContext,
  w: { duration: string; startTime: string; timeZone: string },
  at: { duration: FieldPath; startTime: FieldPath; timeZone: FieldPath },
): TimeWindow | null {
  let ok = true;
  if (!CALENDAR_DURATION.test(w.duration)) {
    ctx.issue(
      at.duration,
      `"${w.duration}" is not a calendar duration; calendar windows are counted in d, w, M (months), Q or Y (e.g. 1M)`,
    );
    ok = false;
  }
  ok = attempt(ctx, at.startTime, () => parseLocalDateTime(w.startTime, 'startTime')) && ok;
  if (!isTimeZone(w.timeZone)) {
    ctx.issue(at.timeZone, `"${w.timeZone}" is not an IANA time zone such as Europe/Berlin or America/New_York`);
    ok = false;
  }
  return ok ? { type: 'calendar', duration: w.duration, startTime: w.startTime.trim(), timeZone: w.timeZone } : null;
}

/** Percent or ratio: values up to 1 are ratios (0.9995), values above are percents (99.95). */
const RatioOrPercent = z
  .number()
  .gt(0, 'must be a ratio such as 0.9995 or a percent such as 99.95')
  .lte(100, 'must be a ratio such as 0.9995 or a percent such as 99.95')
  .transform((v) => (v <= 1 ? v : roundRatio(v / 100)));

/** A target: above 0 and below 1 (100 %). */
const Target = RatioOrPercent.refine((v) => v < 1, 'a target must be below 100 % (1): a perfect target leaves no error budget');

const TimeSlice = z.strictObject({
  window: Duration.optional(),
  /** Share of a slice's events that must be good for the slice to be good: 0.95, or 95. */
  target: RatioOrPercent.optional(),
});

function checkTimeSlices(
  ctx: KindContext,
  method: BudgetingMethod,
  o: { timeSliceTarget: number | null; timeSliceWindow: string | null },
  at: { target: FieldPath; window: FieldPath },
  words: { target: string; window: string },
): void {
  if (method === 'Occurrences') {
    if (o.timeSliceTarget !== null)
      ctx.issue(at.target, `${words.target} applies to Timeslices SLOs; this one counts Occurrences`);
    if (o.timeSliceWindow !== null)
      ctx.issue(at.window, `${words.window} applies to Timeslices and RatioTimeslices SLOs; this one counts Occurrences`);
  } else if (method === 'Timeslices' && o.timeSliceTarget === null) {
    ctx.issue(
      at.target,
      `required for Timeslices: the share of a slice's events that must be good for the slice to count as good (0.95 ⇔ p95)`,
    );
  } else if (method === 'RatioTimeslices' && o.timeSliceTarget !== null) {
    ctx.issue(at.target, `${words.target} applies to Timeslices; RatioTimeslices averages the slices' ratios`);
  }
  if (o.timeSliceWindow !== null && parseDuration(o.timeSliceWindow) <= 0)
    ctx.issue(at.window, 'a time slice must be longer than zero');
}

// ---------------------------------------------------------------------------------------------
// openslo/v1: documents as the specification writes them. Fields Vigil does not model are
// ignored; the fields it does model are validated.

/** Policies and notification targets are only referred to, never stored, so names as OpenSLO's examples write them are fine. */
const LooseName = z.string().min(1).max(255);

const OpenSloMetadata = z.object({
  name: Name,
  displayName: z.string().max(200).optional(),
  labels: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
type OpenSloMetadata = z.output<typeof OpenSloMetadata>;

const LooseMetadata = OpenSloMetadata.extend({ name: LooseName });

const MetricSource = z.object({
  metricSourceRef: z.string().min(1).optional(),
  type: z.string().min(1).optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
});
const MetricSpec = z.object({ metricSource: MetricSource });

const OpenSloSliSpec = z.object({
  description: z.string().max(5000).optional(),
  thresholdMetric: MetricSpec.optional(),
  ratioMetric: z
    .object({
      counter: z.boolean().optional(),
      good: MetricSpec.optional(),
      bad: MetricSpec.optional(),
      total: MetricSpec.optional(),
      rawType: z.enum(['success', 'failure']).optional(),
      raw: MetricSpec.optional(),
    })
    .optional(),
});
type OpenSloSliSpec = z.output<typeof OpenSloSliSpec>;

const OpenSloSliDoc = z.object({ apiVersion: z.string(), kind: z.string(), metadata: OpenSloMetadata, spec: OpenSloSliSpec });
const InlineSli = z.object({ metadata: OpenSloMetadata, spec: OpenSloSliSpec });

const OpenSloObjective = z.object({
  displayName: z.string().max(200).optional(),
  /** Not in OpenSLO v1: objectives there are unnamed. Vigil reads it so SLAs can name an objective. */
  name: Name.optional(),
  op: ThresholdOp.optional(),
  value: z.number().optional(),
  target: z.number().optional(),
  targetPercent: z.number().optional(),
  timeSliceTarget: z.number().optional(),
  timeSliceWindow: z.union([z.number(), z.string()]).optional(),
  indicator: z.unknown().optional(),
  indicatorRef: z.string().optional(),
});

const OpenSloTimeWindow = z.object({
  duration: z.string().min(1),
  isRolling: z.boolean().optional(),
  calendar: z.object({ startTime: z.string().min(1), timeZone: z.string().min(1) }).optional(),
});

const OpenSloSloDoc = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: OpenSloMetadata,
  spec: z.object({
    description: z.string().max(5000).optional(),
    service: Name,
    indicator: z.unknown().optional(),
    indicatorRef: z.string().optional(),
    timeWindow: z.array(OpenSloTimeWindow).optional(),
    budgetingMethod: z.enum(BUDGETING_METHODS),
    objectives: z.array(OpenSloObjective).min(1),
    alertPolicies: z.array(z.unknown()).optional(),
  }),
});
type OpenSloSloDoc = z.output<typeof OpenSloSloDoc>;

const OpenSloDataSourceDoc = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: OpenSloMetadata,
  spec: z.object({
    description: z.string().optional(),
    type: z.string().min(1),
    connectionDetails: z.record(z.string(), z.unknown()).optional(),
  }),
});

const OpenSloServiceDoc = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: OpenSloMetadata,
  spec: z.object({ description: z.string().optional() }).optional(),
});

const ConditionSpec = z.object({
  description: z.string().optional(),
  severity: z.string().min(1),
  condition: z.object({
    kind: z.string().default('burnrate'),
    op: ThresholdOp,
    threshold: z.number(),
    lookbackWindow: z.string().min(1),
    alertAfter: z.string().optional(),
  }),
});
const OpenSloConditionDoc = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: OpenSloMetadata,
  spec: ConditionSpec,
});
const InlineCondition = z.object({ kind: z.literal('AlertCondition'), metadata: OpenSloMetadata, spec: ConditionSpec });

const TargetSpec = z.object({ target: z.string().min(1), description: z.string().optional() });
const OpenSloTargetDoc = z.object({ apiVersion: z.string(), kind: z.string(), metadata: LooseMetadata, spec: TargetSpec });
const InlineTarget = z.object({ kind: z.literal('AlertNotificationTarget'), metadata: LooseMetadata, spec: TargetSpec });

const PolicySpec = z.object({
  description: z.string().optional(),
  alertWhenNoData: z.boolean().optional(),
  alertWhenResolved: z.boolean().optional(),
  alertWhenBreaching: z.boolean().optional(),
  conditions: z.array(z.unknown()).min(1),
  notificationTargets: z.array(z.unknown()).optional(),
});
const OpenSloPolicyDoc = z.object({ apiVersion: z.string(), kind: z.string(), metadata: LooseMetadata, spec: PolicySpec });
type OpenSloPolicyDoc = z.output<typeof OpenSloPolicyDoc>;
const InlinePolicy = z.object({ kind: z.literal('AlertPolicy'), metadata: LooseMetadata.partial().optional(), spec: PolicySpec });

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function metricSourceDraft(raw: z.output<typeof MetricSpec>, at: FieldPath, ctx: KindContext): MetricSourceDraft {
  const ms = raw.metricSource;
  const spec = ms.spec ?? {};
  const query = spec.query ?? spec.promql;
  const queryKey = spec.query !== undefined ? 'query' : 'promql';
  if (query !== undefined && typeof query !== 'string') ctx.issue([...at, 'metricSource', 'spec', queryKey], 'must be a string');
  const probe = spec.probe;
  if (probe !== undefined && (typeof probe !== 'string' || !Name.safeParse(probe).success)) {
    ctx.issue([...at, 'metricSource', 'spec', 'probe'], 'must be a probe name');
  }
  if (ms.metricSourceRef === undefined && ms.type === undefined) {
    ctx.issue([...at, 'metricSource'], 'give metricSourceRef (a DataSource) or type (e.g. Prometheus)');
  }
  return {
    ref: ms.metricSourceRef ?? null,
    type: ms.type ?? null,
    query: typeof query === 'string' ? query : null,
    probe: typeof probe === 'string' ? probe : null,
    at: [...at, 'metricSource'],
  };
}

function labelsOf(m: OpenSloMetadata): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.labels ?? {})) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/** An OpenSLO SLI, standalone (`base` = []) or inline in an SLO (`base` = its path). */
function openSloSliDraft(
  ctx: KindContext,
  sli: { metadata: OpenSloMetadata; spec: OpenSloSliSpec },
  base: FieldPath,
  inlineService: string | null,
): SliDraft | null {
  const { metadata: m, spec: s } = sli;
  const annotations = m.annotations ?? {};
  const annotationAt = (key: string): FieldPath => [...base, 'metadata', 'annotations', key];
  const sourceAnnotation = annotations[SLO_ANNOTATIONS.source];
  if (sourceAnnotation !== undefined && sourceAnnotation !== 'events') {
    ctx.issue(annotationAt(SLO_ANNOTATIONS.source), 'the only value is "events" (Vigil receives the SLI as pushed events)');
  }
  let service = inlineService;
  const serviceAnnotation = annotations[SLO_ANNOTATIONS.service];
  if (serviceAnnotation !== undefined) {
    if (Name.safeParse(serviceAnnotation).success) service = serviceAnnotation;
    else ctx.issue(annotationAt(SLO_ANNOTATIONS.service), 'must be a catalog service name');
  }
  let threshold: SliDraft['threshold'] = null;
  const thresholdText = annotations[SLO_ANNOTATIONS.threshold];
  if (thresholdText !== undefined) {
    const m = /^\s*(lte|lt|gte|gt)\s+(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*$/.exec(thresholdText);
    if (m) threshold = { op: m[1] as Threshold['op'], value: Number(m[2]), at: annotationAt(SLO_ANNOTATIONS.threshold) };
    else ctx.issue(annotationAt(SLO_ANNOTATIONS.threshold), 'an operator and a number, such as "lt 300"');
  }
  const specAt = [...base, 'spec'];
  let source: SliSourceDraft | null = null;
  if (s.thresholdMetric && s.ratioMetric) {
    ctx.issue([...specAt, 'ratioMetric'], 'an SLI has either a thresholdMetric or a ratioMetric, not both');
  } else if (s.thresholdMetric) {
    source = { kind: 'threshold', metric: metricSourceDraft(s.thresholdMetric, [...specAt, 'thresholdMetric'], ctx) };
  } else if (s.ratioMetric) {
    const r = s.ratioMetric;
    const at = [...specAt, 'ratioMetric'];
    if (r.raw) {
      if (r.good || r.bad || r.total)
        ctx.issue([...at, 'raw'], 'raw is a precomputed ratio and cannot be combined with good, bad or total');
      if (!r.rawType) ctx.issue([...at, 'rawType'], 'required with raw: success (good/total) or failure (bad/total)');
      source = { kind: 'raw', raw: metricSourceDraft(r.raw, [...at, 'raw'], ctx) };
    } else {
      if (r.good && r.bad) ctx.issue([...at, 'bad'], 'give good or bad over total, not both');
      if (!r.good && !r.bad) ctx.issue(at, 'a ratioMetric needs good or bad over total (or raw)');
      if (!r.total) ctx.issue([...at, 'total'], 'required with good or bad');
      if (r.total && (r.good || r.bad)) {
        source = {
          kind: 'ratio',
          counter: r.counter ?? null,
          good: r.good ? metricSourceDraft(r.good, [...at, 'good'], ctx) : null,
          bad: r.bad && !r.good ? metricSourceDraft(r.bad, [...at, 'bad'], ctx) : null,
          total: metricSourceDraft(r.total, [...at, 'total'], ctx),
        };
      }
    }
  } else {
    ctx.issue(specAt, 'an SLI needs a thresholdMetric or a ratioMetric');
  }
  if (!source) return null;
  if (threshold && source.kind !== 'threshold') {
    ctx.issue(annotationAt(SLO_ANNOTATIONS.threshold), 'only a thresholdMetric SLI has a threshold');
  }
  return {
    name: m.name,
    service,
    description: s.description ?? null,
    forceEvents: sourceAnnotation === 'events',
    threshold,
    source,
    origins: {
      self: [...base, 'metadata', 'name'],
      fields: {
        service: serviceAnnotation !== undefined ? annotationAt(SLO_ANNOTATIONS.service) : [...base, 'metadata', 'name'],
        description: [...specAt, 'description'],
        source: specAt,
        threshold: specAt,
        prometheus: specAt,
        probe: specAt,
      },
      elements: {},
    },
  };
}

const SEVERITIES: Record<string, 'page' | 'ticket'> = {
  page: 'page',
  critical: 'page',
  high: 'page',
  sev1: 'page',
  sev2: 'page',
  p1: 'page',
  p2: 'page',
  ticket: 'ticket',
  warning: 'ticket',
  medium: 'ticket',
  low: 'ticket',
  info: 'ticket',
  sev3: 'ticket',
  sev4: 'ticket',
  sev5: 'ticket',
  p3: 'ticket',
  p4: 'ticket',
  p5: 'ticket',
};

function conditionDraft(
  ctx: KindContext,
  c: { metadata: OpenSloMetadata; spec: z.output<typeof ConditionSpec> },
  base: FieldPath,
): ConditionDraft | null {
  const at = [...base, 'spec', 'condition'];
  const { condition } = c.spec;
  let ok = true;
  const severity = SEVERITIES[c.spec.severity.toLowerCase()];
  if (!severity) {
    ctx.issue(
      [...base, 'spec', 'severity'],
      `"${c.spec.severity}" is not a severity Vigil knows; page (or critical, high, sev1, sev2, p1, p2) or ticket (or warning, medium, low, info, sev3…, p3…)`,
    );
    ok = false;
  }
  if (condition.kind !== 'burnrate') {
    ctx.issue([...at, 'kind'], `"${condition.kind}" conditions are not supported; Vigil alerts on burn rate (kind: burnrate)`);
    ok = false;
  }
  if (condition.op !== 'gt' && condition.op !== 'gte') {
    ctx.issue([...at, 'op'], 'Vigil alerts when the burn rate rises to the threshold: use gte (or gt)');
    ok = false;
  }
  if (!(condition.threshold > 0)) {
    ctx.issue([...at, 'threshold'], 'a burn-rate threshold must be above 0 (1 spends the budget exactly over the window)');
    ok = false;
  }
  if (!rollingWindow(ctx, condition.lookbackWindow, [...at, 'lookbackWindow'])) ok = false;
  const alertAfter = condition.alertAfter ?? null;
  if (alertAfter !== null && !Duration.safeParse(alertAfter).success) {
    ctx.issue([...at, 'alertAfter'], `"${alertAfter}" is not a duration such as 5m`);
    ok = false;
  }
  if (!ok) return null;
  return {
    name: c.metadata.name,
    severity: severity ?? 'page',
    threshold: condition.threshold,
    lookbackWindow: condition.lookbackWindow,
    alertAfter,
    at: base,
  };
}

function targetDraft(t: { metadata: { name: string }; spec: { target: string } }, base: FieldPath): TargetDraft {
  return { name: t.metadata.name, target: t.spec.target, at: base };
}

/** A list item that is a reference (`{ conditionRef: x }`, or a bare name) or an inline object of `kind`. */
function inlineOrRef<T>(
  ctx: KindContext,
  item: unknown,
  at: FieldPath,
  refKey: string,
  kind: string,
  inline: (value: unknown) => T | null,
): Inline<T> | null {
  if (typeof item === 'string') return { ref: item, at };
  if (isRecord(item) && refKey in item) {
    const ref = item[refKey];
    if (typeof ref !== 'string' || ref === '') {
      ctx.issue([...at, refKey], `must be the name of an ${kind}`);
      return null;
    }
    return { ref, at: [...at, refKey] };
  }
  if (isRecord(item) && item.kind === kind) {
    const value = inline(item);
    return value === null ? null : { inline: value };
  }
  ctx.issue(at, `an inline ${kind} (kind: ${kind}, metadata, spec) or a reference (${refKey}: name)`);
  return null;
}

function policyDraft(
  ctx: KindContext,
  p: { metadata?: Partial<{ name: string }>; spec: z.output<typeof PolicySpec> },
  base: FieldPath,
): PolicyDraft {
  const conditions: Array<Inline<ConditionDraft>> = [];
  p.spec.conditions.forEach((item, i) => {
    const at = [...base, 'spec', 'conditions', i];
    const c = inlineOrRef(ctx, item, at, 'conditionRef', 'AlertCondition', (v) => {
      const parsed = parseAt(ctx, InlineCondition, v, at);
      return parsed ? conditionDraft(ctx, parsed, at) : null;
    });
    if (c) conditions.push(c);
  });
  const targets: Array<Inline<TargetDraft>> = [];
  (p.spec.notificationTargets ?? []).forEach((item, i) => {
    const at = [...base, 'spec', 'notificationTargets', i];
    const t = inlineOrRef(ctx, item, at, 'targetRef', 'AlertNotificationTarget', (v) => {
      const parsed = parseAt(ctx, InlineTarget, v, at);
      return parsed ? targetDraft(parsed, at) : null;
    });
    if (t) targets.push(t);
  });
  return { name: p.metadata?.name ?? null, alertWhenNoData: p.spec.alertWhenNoData ?? null, conditions, targets, at: base };
}

function openSloWindow(ctx: KindContext, items: OpenSloSloDoc['spec']['timeWindow']): TimeWindow | null {
  // OpenSLO makes the window optional; Vigil's default is the SRE Workbook's four weeks.
  if (!items || items.length === 0) return { type: 'rolling', duration: '28d' };
  const at: FieldPath = ['spec', 'timeWindow', 0];
  if (items.length > 1) {
    ctx.issue(['spec', 'timeWindow', 1], 'an SLO has exactly one time window');
    return null;
  }
  const w = items[0];
  if (!w) return null;
  if (w.calendar) {
    if (w.isRolling === true) {
      ctx.issue([...at, 'isRolling'], 'a calendar window is not rolling: remove isRolling or the calendar');
      return null;
    }
    return calendarWindow(
      ctx,
      { duration: w.duration, startTime: w.calendar.startTime, timeZone: w.calendar.timeZone },
      { duration: [...at, 'duration'], startTime: [...at, 'calendar', 'startTime'], timeZone: [...at, 'calendar', 'timeZone'] },
    );
  }
  if (w.isRolling === false) {
    ctx.issue(
      [...at, 'calendar'],
      'a window that is not rolling is calendar-aligned: give calendar.startTime and calendar.timeZone',
    );
    return null;
  }
  return rollingWindow(ctx, w.duration, [...at, 'duration']);
}

function openSloSlo(doc: OpenSloSloDoc, ctx: KindContext): SloFragment[] {
  const { metadata: m, spec: s } = doc;
  const out: SloFragment[] = [];

  // The SLI: Vigil measures one per SLO, given at the SLO or (as later OpenSLO drafts allow) per objective.
  const candidates: Array<{ name: string; draft: SliDraft | null; at: FieldPath }> = [];
  const inlineSli = (value: unknown, at: FieldPath): void => {
    const parsed = parseAt(ctx, InlineSli, value, at);
    if (!parsed) return;
    const draft = openSloSliDraft(ctx, parsed, at, s.service);
    if (draft) candidates.push({ name: draft.name, draft, at: [...at, 'metadata', 'name'] });
  };
  const refSli = (value: string, at: FieldPath): void => {
    if (Name.safeParse(value).success) candidates.push({ name: value, draft: null, at });
    else ctx.issue(at, `"${value}" is not an SLI name`);
  };
  if (s.indicator !== undefined && s.indicatorRef !== undefined) {
    ctx.issue(['spec', 'indicatorRef'], 'give the SLI once: inline as indicator, or by name as indicatorRef');
  }
  if (s.indicator !== undefined) inlineSli(s.indicator, ['spec', 'indicator']);
  else if (s.indicatorRef !== undefined) refSli(s.indicatorRef, ['spec', 'indicatorRef']);
  s.objectives.forEach((o, i) => {
    if (o.indicator !== undefined) inlineSli(o.indicator, ['spec', 'objectives', i, 'indicator']);
    if (o.indicatorRef !== undefined) refSli(o.indicatorRef, ['spec', 'objectives', i, 'indicatorRef']);
  });
  const first = candidates[0];
  if (!first && s.indicator === undefined && s.indicatorRef === undefined) {
    ctx.issue(['spec'], 'an SLO needs its SLI: spec.indicator (inline) or spec.indicatorRef (by name)');
  }
  for (const c of candidates.slice(1)) {
    if (first && c.name !== first.name) {
      ctx.issue(c.at, `Vigil measures one SLI per SLO, and this SLO already uses "${first.name}"; make one SLO per SLI`);
    }
  }
  const inlineDraft = candidates.find((c) => c.draft)?.draft ?? null;

  const timeWindow = openSloWindow(ctx, s.timeWindow);

  // Objectives; `op`/`value` belong to the SLI's threshold, which the model keeps on the SLI.
  const objectives: ObjectiveSpec[] = [];
  const taken = new Set(s.objectives.flatMap((o) => (o.name ? [o.name] : [])));
  let threshold: (Threshold & { at: FieldPath }) | null = null;
  const objectiveAt: FieldPath[] = [];
  s.objectives.forEach((o, i) => {
    const at: FieldPath = ['spec', 'objectives', i];
    objectiveAt.push(at);
    let target: number | null = null;
    if (o.target !== undefined && o.targetPercent !== undefined) {
      ctx.issue([...at, 'targetPercent'], 'give target or targetPercent, not both');
    } else if (o.target !== undefined) {
      if (o.target > 0 && o.target < 1) target = o.target;
      else
        ctx.issue(
          [...at, 'target'],
          `${o.target} is outside (0, 1): a target is a ratio such as 0.9995 (use targetPercent for 99.95)`,
        );
    } else if (o.targetPercent !== undefined) {
      if (o.targetPercent > 0 && o.targetPercent < 100) target = roundRatio(o.targetPercent / 100);
      else
        ctx.issue([...at, 'targetPercent'], `${o.targetPercent} is outside (0, 100): a targetPercent is a percent such as 99.95`);
    } else {
      ctx.issue(at, 'an objective needs target (0.9995) or targetPercent (99.95)');
    }
    if ((o.op === undefined) !== (o.value === undefined)) {
      ctx.issue(
        [...at, o.op === undefined ? 'op' : 'value'],
        'op and value go together: the SLI is good while it is op value (lt 100)',
      );
    } else if (o.op !== undefined && o.value !== undefined) {
      if (!threshold) threshold = { op: o.op, value: o.value, at: [...at, 'op'] };
      else if (threshold.op !== o.op || threshold.value !== o.value) {
        ctx.issue([...at, 'op'], `Vigil keeps one threshold per SLI; objective 1 says ${threshold.op} ${threshold.value}`);
      }
    }
    let timeSliceTarget: number | null = null;
    if (o.timeSliceTarget !== undefined) {
      if (o.timeSliceTarget > 0 && o.timeSliceTarget <= 1) timeSliceTarget = o.timeSliceTarget;
      else ctx.issue([...at, 'timeSliceTarget'], `${o.timeSliceTarget} is outside (0, 1]`);
    }
    let timeSliceWindow: string | null = null;
    if (typeof o.timeSliceWindow === 'number') {
      // OpenSLO reads a bare number as minutes.
      if (Number.isInteger(o.timeSliceWindow) && o.timeSliceWindow > 0) timeSliceWindow = `${o.timeSliceWindow}m`;
      else ctx.issue([...at, 'timeSliceWindow'], 'a number of minutes must be a whole number above 0');
    } else if (o.timeSliceWindow !== undefined) {
      if (Duration.safeParse(o.timeSliceWindow).success) timeSliceWindow = o.timeSliceWindow;
      else ctx.issue([...at, 'timeSliceWindow'], `"${o.timeSliceWindow}" is not a duration such as 1m or 5m`);
    }
    checkTimeSlices(
      ctx,
      s.budgetingMethod,
      { timeSliceTarget, timeSliceWindow },
      { target: [...at, 'timeSliceTarget'], window: [...at, 'timeSliceWindow'] },
      { target: 'timeSliceTarget', window: 'timeSliceWindow' },
    );
    const name = o.name ?? derivedObjectiveName(i, o.displayName ?? null, taken);
    if (objectives.some((x) => x.name === name))
      ctx.issue([...at, o.name ? 'name' : 'displayName'], `two objectives are named "${name}"`);
    taken.add(name);
    if (target !== null) objectives.push({ name, displayName: o.displayName ?? null, target, timeSliceTarget, timeSliceWindow });
  });

  // Alerting: Vigil's annotations, then the alert policies (resolved by the handler).
  const annotations = m.annotations ?? {};
  const annotationAt = (key: string): FieldPath => ['metadata', 'annotations', key];
  let minEvents: number | null = null;
  const minEventsText = annotations[SLO_ANNOTATIONS.minEvents];
  if (minEventsText !== undefined) {
    if (/^\d+$/.test(minEventsText)) minEvents = Number(minEventsText);
    else ctx.issue(annotationAt(SLO_ANNOTATIONS.minEvents), 'must be a whole number of events');
  }
  let noDataAfter: string | null | undefined;
  const noDataText = annotations[SLO_ANNOTATIONS.noDataAfter];
  if (noDataText !== undefined) {
    if (noDataText === 'off') noDataAfter = null;
    else if (Duration.safeParse(noDataText).success) noDataAfter = noDataText;
    else ctx.issue(annotationAt(SLO_ANNOTATIONS.noDataAfter), 'must be a duration such as 30m, or off');
  }
  const rulesText = annotations[SLO_ANNOTATIONS.burnRateRules];
  if (rulesText !== undefined && rulesText !== 'none') {
    ctx.issue(annotationAt(SLO_ANNOTATIONS.burnRateRules), 'the only value is "none" (no burn-rate alerts)');
  }
  const policies: Array<Inline<PolicyDraft>> = [];
  (s.alertPolicies ?? []).forEach((item, i) => {
    const at: FieldPath = ['spec', 'alertPolicies', i];
    const p = inlineOrRef(ctx, item, at, 'alertPolicyRef', 'AlertPolicy', (v) => {
      const parsed = parseAt(ctx, InlinePolicy, v, at);
      return parsed ? policyDraft(ctx, parsed, at) : null;
    });
    if (p) policies.push(p);
  });
  if (rulesText === 'none' && policies.length > 0) {
    ctx.issue(annotationAt(SLO_ANNOTATIONS.burnRateRules), 'says there are no burn-rate alerts, but the SLO has alertPolicies');
  }

  if (!timeWindow || !first) return out;
  const sli: SloDraft['sli'] = inlineDraft ? { inline: inlineDraft } : { ref: first.name, at: first.at };
  out.push({
    type: 'slo',
    slo: {
      name: m.name,
      displayName: m.displayName ?? null,
      description: s.description ?? null,
      service: s.service,
      timeWindow,
      budgetingMethod: s.budgetingMethod,
      objectives,
      labels: labelsOf(m),
      sli,
      threshold,
      alerting: { kind: 'openslo', policies, minEvents, noDataAfter, noRules: rulesText === 'none' },
      origins: {
        self: ['metadata', 'name'],
        fields: {
          displayName: ['metadata', 'displayName'],
          description: ['spec', 'description'],
          service: ['spec', 'service'],
          sli: first.at,
          timeWindow: ['spec', 'timeWindow'],
          budgetingMethod: ['spec', 'budgetingMethod'],
          objectives: ['spec', 'objectives'],
          alerting: ['spec', 'alertPolicies'],
          labels: ['metadata', 'labels'],
        },
        elements: { objectives: objectiveAt },
      },
    },
  });
  return out;
}

function registerOpenSloKinds(registry: KindRegistry): void {
  registry.register({
    apiVersion: OPENSLO_V1,
    kind: 'SLO',
    description:
      'an OpenSLO SLO: service, SLI (inline or indicatorRef), time window, budgeting method, objectives, alert policies',
    schema: OpenSloSloDoc,
    handler: SLO_HANDLER,
    toDesired: openSloSlo,
  });

  registry.register({
    apiVersion: OPENSLO_V1,
    kind: 'SLI',
    description: 'an OpenSLO SLI: a ratioMetric (good or bad over total) or a thresholdMetric',
    schema: OpenSloSliDoc,
    handler: SLO_HANDLER,
    toDesired: (doc, ctx): SloFragment[] => {
      const sli = openSloSliDraft(ctx, doc, [], null);
      return sli ? [{ type: 'sli', sli }] : [];
    },
  });

  registry.register({
    apiVersion: OPENSLO_V1,
    kind: 'DataSource',
    description: 'an OpenSLO DataSource; Prometheus ones are queried, others make their SLIs pushed events',
    schema: OpenSloDataSourceDoc,
    handler: SLO_HANDLER,
    toDesired: (doc, ctx): SloFragment[] => {
      const url = doc.spec.connectionDetails?.url;
      const prometheus = doc.spec.type.toLowerCase() === 'prometheus';
      if (prometheus && (typeof url !== 'string' || !URL.canParse(url))) {
        ctx.issue(
          ['spec', 'connectionDetails', 'url'],
          'a Prometheus DataSource needs the URL of its HTTP API, e.g. http://prometheus:9090',
        );
        return [];
      }
      return [
        {
          type: 'datasource',
          name: doc.metadata.name,
          dsType: doc.spec.type.toLowerCase(),
          url: typeof url === 'string' ? url : null,
          origins: {
            self: ['metadata', 'name'],
            fields: { type: ['spec', 'type'], url: ['spec', 'connectionDetails', 'url'] },
            elements: {},
          },
        },
      ];
    },
  });

  registry.register({
    apiVersion: OPENSLO_V1,
    kind: 'Service',
    description: 'an OpenSLO Service: names a service of the catalog (Vigil does not create services from it)',
    schema: OpenSloServiceDoc,
    handler: SLO_HANDLER,
    toDesired: (doc): SloFragment[] => [{ type: 'service', name: doc.metadata.name, at: ['metadata', 'name'] }],
  });

  registry.register({
    apiVersion: OPENSLO_V1,
    kind: 'AlertPolicy',
    description: 'an OpenSLO AlertPolicy; its burn-rate conditions become the burn-rate alerts of the SLOs that use it',
    schema: OpenSloPolicyDoc,
    handler: SLO_HANDLER,
    toDesired: (doc: OpenSloPolicyDoc, ctx): SloFragment[] => [{ type: 'alert-policy', policy: policyDraft(ctx, doc, []) }],
  });

  registry.register({
    apiVersion: OPENSLO_V1,
    kind: 'AlertCondition',
    description: 'an OpenSLO AlertCondition of kind burnrate',
    schema: OpenSloConditionDoc,
    handler: SLO_HANDLER,
    toDesired: (doc, ctx): SloFragment[] => {
      const condition = conditionDraft(ctx, doc, []);
      return condition ? [{ type: 'alert-condition', condition }] : [];
    },
  });

  registry.register({
    apiVersion: OPENSLO_V1,
    kind: 'AlertNotificationTarget',
    description: 'an OpenSLO AlertNotificationTarget (checked; routing arrives with alerting)',
    schema: OpenSloTargetDoc,
    handler: SLO_HANDLER,
    toDesired: (doc): SloFragment[] => [{ type: 'notification-target', target: targetDraft(doc, []) }],
  });
}

// ---------------------------------------------------------------------------------------------
// vigil.dev/v1: strict, so a misspelt field is an error rather than a silent default.

const VigilThreshold = z.strictObject({ op: ThresholdOp, value: z.number() });

const VigilIndicatorFields = {
  /** Pushed events: good/total counts, or raw observations judged against `threshold`. */
  events: z.strictObject({ threshold: VigilThreshold.optional() }).optional(),
  prometheus: z
    .strictObject({
      dataSource: Name,
      good: z.string().min(1).optional(),
      bad: z.string().min(1).optional(),
      total: z.string().min(1),
    })
    .optional(),
  probe: Name.optional(),
};

const VigilSliDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name }),
  spec: z
    .strictObject({ service: Name.optional(), description: z.string().max(2000).optional(), ...VigilIndicatorFields })
    .prefault({}),
});
type VigilIndicator = {
  events?: { threshold?: Threshold };
  prometheus?: { dataSource: string; good?: string; bad?: string; total: string };
  probe?: string;
};

const VigilWindow = z.union([
  z.string(),
  z.strictObject({ calendar: z.string(), timeZone: z.string(), startTime: z.string().optional() }),
]);

const VigilObjective = z.strictObject({
  name: Name.optional(),
  displayName: z.string().max(200).optional(),
  target: Target,
  timeSlice: TimeSlice.optional(),
});

const VigilSloDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({
    name: Name,
    displayName: z.string().max(200).optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
  spec: z.strictObject({
    service: Name,
    description: z.string().max(5000).optional(),
    sli: Name.optional(),
    indicator: z.strictObject(VigilIndicatorFields).optional(),
    target: Target.optional(),
    objectives: z.array(VigilObjective).min(1).optional(),
    window: VigilWindow.default('28d'),
    budgetingMethod: z.enum(BUDGETING_METHODS).default('Occurrences'),
    timeSlice: TimeSlice.optional(),
    alerting: SloAlerting.optional(),
  }),
});
type VigilSloDoc = z.output<typeof VigilSloDoc>;

/**
 * A calendar window without `startTime` is aligned to this Monday midnight: months, quarters and
 * years start on the 1st, weeks on Mondays, as people expect.
 */
export const DEFAULT_CALENDAR_START = '2024-01-01 00:00:00';

function vigilIndicator(ctx: KindContext, ind: VigilIndicator, at: FieldPath, required: boolean): SliSourceDraft | null {
  const given = (['events', 'prometheus', 'probe'] as const).filter((k) => ind[k] !== undefined);
  if (given.length > 1) {
    ctx.issue([...at, given[1] ?? 'probe'], `an SLI gets its data one way: ${given.join(' or ')}`);
    return null;
  }
  if (ind.prometheus) {
    const p = ind.prometheus;
    if (p.good !== undefined && p.bad !== undefined)
      ctx.issue([...at, 'prometheus', 'bad'], 'give good or bad over total, not both');
    if (p.good === undefined && p.bad === undefined) ctx.issue([...at, 'prometheus'], 'give good or bad (PromQL) over total');
    return {
      kind: 'prometheus',
      dataSource: p.dataSource,
      good: p.good ?? null,
      bad: p.good === undefined ? (p.bad ?? null) : null,
      total: p.total,
      at: [...at, 'prometheus'],
    };
  }
  if (ind.probe !== undefined) return { kind: 'probe', probe: ind.probe, at: [...at, 'probe'] };
  if (ind.events || !required)
    return { kind: 'events', threshold: ind.events?.threshold ?? null, at: [...at, 'events', 'threshold'] };
  ctx.issue(at, 'say where the SLI data comes from: events, prometheus or probe');
  return null;
}

function vigilSlo(doc: VigilSloDoc, ctx: KindContext): SloFragment[] {
  const { metadata: m, spec: s } = doc;
  let sli: SloDraft['sli'] | null = null;
  if (s.sli !== undefined && s.indicator !== undefined) {
    ctx.issue(['spec', 'indicator'], 'give the SLI once: by name as sli, or inline as indicator');
  } else if (s.sli !== undefined) {
    sli = { ref: s.sli, at: ['spec', 'sli'] };
  } else if (s.indicator !== undefined) {
    const source = vigilIndicator(ctx, s.indicator, ['spec', 'indicator'], true);
    if (source) {
      sli = {
        inline: {
          // The model's convention for SLIs that have no name of their own.
          name: `${m.name}-sli`.length <= 63 ? `${m.name}-sli` : m.name,
          service: s.service,
          description: null,
          forceEvents: false,
          threshold: null,
          source,
          origins: { self: ['spec', 'indicator'], fields: { service: ['spec', 'service'] }, elements: {} },
        },
      };
    }
  } else {
    ctx.issue(['spec'], 'an SLO needs its SLI: sli (a name) or indicator (inline)');
  }

  let timeWindow: TimeWindow | null = null;
  if (typeof s.window === 'string') timeWindow = rollingWindow(ctx, s.window, ['spec', 'window']);
  else {
    timeWindow = calendarWindow(
      ctx,
      { duration: s.window.calendar, startTime: s.window.startTime ?? DEFAULT_CALENDAR_START, timeZone: s.window.timeZone },
      {
        duration: ['spec', 'window', 'calendar'],
        startTime: ['spec', 'window', 'startTime'],
        timeZone: ['spec', 'window', 'timeZone'],
      },
    );
  }

  const objectives: ObjectiveSpec[] = [];
  const objectiveAt: FieldPath[] = [];
  const written = s.target !== undefined ? [{ target: s.target }] : (s.objectives ?? []);
  if (s.target !== undefined && s.objectives !== undefined)
    ctx.issue(['spec', 'objectives'], 'give target (one objective) or objectives, not both');
  if (s.target === undefined && s.objectives === undefined) ctx.issue(['spec'], 'an SLO needs a target (99.9) or objectives');
  const taken = new Set(written.flatMap((o) => ('name' in o && o.name ? [o.name] : [])));
  written.forEach((o: z.output<typeof VigilObjective> | { target: number }, i) => {
    const at: FieldPath = s.target !== undefined ? ['spec', 'target'] : ['spec', 'objectives', i];
    objectiveAt.push(at);
    const own = 'timeSlice' in o ? o.timeSlice : undefined;
    const timeSliceTarget = own?.target ?? s.timeSlice?.target ?? null;
    const timeSliceWindow = own?.window ?? s.timeSlice?.window ?? null;
    const sliceAt: FieldPath = own ? [...at, 'timeSlice'] : ['spec', 'timeSlice'];
    checkTimeSlices(
      ctx,
      s.budgetingMethod,
      { timeSliceTarget, timeSliceWindow },
      { target: [...sliceAt, 'target'], window: [...sliceAt, 'window'] },
      { target: 'timeSlice.target', window: 'timeSlice.window' },
    );
    const displayName = 'displayName' in o ? (o.displayName ?? null) : null;
    const name = ('name' in o ? o.name : undefined) ?? derivedObjectiveName(i, displayName, taken);
    if (objectives.some((x) => x.name === name)) ctx.issue([...at, 'name'], `two objectives are named "${name}"`);
    taken.add(name);
    objectives.push({ name, displayName, target: o.target, timeSliceTarget, timeSliceWindow });
  });

  if (!sli || !timeWindow) return [];
  return [
    {
      type: 'slo',
      slo: {
        name: m.name,
        displayName: m.displayName ?? null,
        description: s.description ?? null,
        service: s.service,
        timeWindow,
        budgetingMethod: s.budgetingMethod,
        objectives,
        labels: m.labels ?? {},
        sli,
        threshold: null,
        alerting: { kind: 'given', alerting: s.alerting ?? SloAlerting.parse({}) },
        origins: {
          self: ['metadata', 'name'],
          fields: {
            displayName: ['metadata', 'displayName'],
            description: ['spec', 'description'],
            service: ['spec', 'service'],
            sli: s.sli !== undefined ? ['spec', 'sli'] : ['spec', 'indicator'],
            timeWindow: ['spec', 'window'],
            budgetingMethod: ['spec', 'budgetingMethod'],
            objectives: s.target !== undefined ? ['spec', 'target'] : ['spec', 'objectives'],
            alerting: ['spec', 'alerting'],
            labels: ['metadata', 'labels'],
          },
          elements: { objectives: objectiveAt },
        },
      },
    },
  ];
}

const VigilSlaDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name }),
  spec: z.strictObject({
    slo: Name,
    objective: Name.default('default'),
    target: Target,
    customer: z.string().max(200).optional(),
    /** Service credits: below `below` (percent or ratio), `credit` percent of the monthly fee. */
    penalties: z.array(z.strictObject({ below: RatioOrPercent, credit: z.number().min(0).max(100) })).default([]),
  }),
});

const VigilDataSourceDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name }),
  spec: z.strictObject({ type: z.literal('prometheus'), url: z.url() }),
});

const VigilPolicyDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name }),
  spec: z.strictObject({ service: Name.optional(), rules: ErrorBudgetPolicySchema.shape.rules }).prefault({}),
});

const VigilMaintenanceDoc = z.strictObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.strictObject({ name: Name }),
  spec: z.strictObject({
    slos: MaintenanceWindowSchema.shape.slos,
    services: MaintenanceWindowSchema.shape.services,
    start: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset, e.g. 2026-03-01T02:00:00Z' }),
    duration: Duration,
    rrule: z.string().max(500).optional(),
  }),
});

function registerVigilSloKinds(registry: KindRegistry): void {
  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'SLO',
    description: 'an SLO: service, SLI (by name or inline), target(s), window, budgeting method, burn-rate alerts',
    schema: VigilSloDoc,
    handler: SLO_HANDLER,
    toDesired: vigilSlo,
  });

  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'SLI',
    description: 'an SLI: pushed events (optionally judged against a threshold), Prometheus queries or a probe',
    schema: VigilSliDoc,
    handler: SLO_HANDLER,
    toDesired: (doc, ctx): SloFragment[] => {
      const source = vigilIndicator(ctx, doc.spec, ['spec'], false);
      if (!source) return [];
      return [
        {
          type: 'sli',
          sli: {
            name: doc.metadata.name,
            service: doc.spec.service ?? null,
            description: doc.spec.description ?? null,
            forceEvents: false,
            threshold: null,
            source,
            origins: {
              self: ['metadata', 'name'],
              fields: {
                service: ['spec', 'service'],
                description: ['spec', 'description'],
                source: ['spec'],
                threshold: ['spec', 'events', 'threshold'],
                prometheus: ['spec', 'prometheus'],
                probe: ['spec', 'probe'],
              },
              elements: {},
            },
          },
        },
      ];
    },
  });

  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'SLA',
    description: 'an SLA: a contract target on an SLO objective, the customer, and service credits below it',
    schema: VigilSlaDoc,
    handler: SLO_HANDLER,
    toDesired: (doc, ctx): SloFragment[] => {
      const s = doc.spec;
      s.penalties.forEach((p, i) => {
        if (p.below > s.target) {
          ctx.issue(
            ['spec', 'penalties', i, 'below'],
            `a credit applies below the contract target (${roundRatio(s.target * 100)} %), not above it`,
          );
        }
      });
      return [
        {
          type: 'sla',
          spec: {
            name: doc.metadata.name,
            slo: s.slo,
            objective: s.objective,
            target: s.target,
            customer: s.customer ?? null,
            penalties: s.penalties.map((p) => ({ below: p.below, creditPercent: p.credit })),
          },
          origins: {
            self: ['metadata', 'name'],
            fields: {
              slo: ['spec', 'slo'],
              objective: ['spec', 'objective'],
              target: ['spec', 'target'],
              customer: ['spec', 'customer'],
              penalties: ['spec', 'penalties'],
            },
            elements: { penalties: s.penalties.map((_, i) => ['spec', 'penalties', i]) },
          },
        },
      ];
    },
  });

  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'DataSource',
    description: 'a Prometheus server that SLIs query',
    schema: VigilDataSourceDoc,
    handler: SLO_HANDLER,
    toDesired: (doc): SloFragment[] => [
      {
        type: 'datasource',
        name: doc.metadata.name,
        dsType: 'prometheus',
        url: doc.spec.url,
        origins: { self: ['metadata', 'name'], fields: { type: ['spec', 'type'], url: ['spec', 'url'] }, elements: {} },
      },
    ],
  });

  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'ErrorBudgetPolicy',
    description: "a service's error budget policy: which actions apply below which remaining budget",
    schema: VigilPolicyDoc,
    handler: SLO_HANDLER,
    toDesired: (doc): SloFragment[] => [
      {
        type: 'policy',
        spec: { service: doc.spec.service ?? doc.metadata.name, rules: doc.spec.rules },
        origins: {
          self: doc.spec.service !== undefined ? ['spec', 'service'] : ['metadata', 'name'],
          fields: {
            service: doc.spec.service !== undefined ? ['spec', 'service'] : ['metadata', 'name'],
            rules: ['spec', 'rules'],
          },
          elements: { rules: doc.spec.rules.map((_, i) => ['spec', 'rules', i]) },
        },
      },
    ],
  });

  registry.register({
    apiVersion: VIGIL_V1,
    kind: 'MaintenanceWindow',
    description: 'planned maintenance excluded from the error budget, one-off or recurring (RRULE)',
    schema: VigilMaintenanceDoc,
    handler: SLO_HANDLER,
    toDesired: (doc, ctx): SloFragment[] => {
      const s = doc.spec;
      if (s.slos.length === 0 && s.services.length === 0)
        ctx.issue(['spec'], 'name the slos or services the maintenance applies to');
      const rrule = s.rrule?.trim().replace(/^RRULE:/i, '') ?? null;
      // The parser that expands the windows checks the rule, so what applies is what evaluates.
      if (rrule !== null) attempt(ctx, ['spec', 'rrule'], () => parseRRule(rrule));
      if (parseDuration(s.duration) <= 0) ctx.issue(['spec', 'duration'], 'a maintenance window must be longer than zero');
      return [
        {
          type: 'maintenance',
          spec: { name: doc.metadata.name, slos: s.slos, services: s.services, start: s.start, duration: s.duration, rrule },
          origins: {
            self: ['metadata', 'name'],
            fields: {
              slos: ['spec', 'slos'],
              services: ['spec', 'services'],
              start: ['spec', 'start'],
              duration: ['spec', 'duration'],
              rrule: ['spec', 'rrule'],
            },
            elements: {
              slos: s.slos.map((_, i) => ['spec', 'slos', i]),
              services: s.services.map((_, i) => ['spec', 'services', i]),
            },
          },
        },
      ];
    },
  });
}

/** Registers the OpenSLO v1 kinds and Vigil's own SLO kinds. */
export function registerSloKinds(registry: KindRegistry): KindRegistry {
  registerOpenSloKinds(registry);
  registerVigilSloKinds(registry);
  return registry;
}
