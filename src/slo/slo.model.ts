import { z } from 'zod';
import { Name } from '../catalog/catalog.model.ts';

/**
 * The SLO model every path maps onto: OpenSLO v1 documents, Vigil's shorter `vigil.dev/v1` SLO
 * kind, the API and the store. Durations are strings as OpenSLO writes them (`28d`, `5m`).
 */

export const Duration = z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/, 'must be a duration such as 5m, 1h or 28d');

export const BUDGETING_METHODS = ['Occurrences', 'Timeslices', 'RatioTimeslices'] as const;
export type BudgetingMethod = (typeof BUDGETING_METHODS)[number];

/** Calendar windows are aligned to `startTime` in `timeZone` and repeat every `duration` (1d, 1w, 1M, 1Q, 1Y). */
export const TimeWindow = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('rolling'), duration: Duration }),
  z.strictObject({
    type: z.literal('calendar'),
    duration: z.string().regex(/^\d+[dwMQY]$/, 'calendar windows are counted in d, w, M (months), Q (quarters) or Y (years)'),
    /** ISO local date-time the calendar starts at, e.g. `2026-01-01 00:00:00` or `2026-01-01T00:00:00`. */
    startTime: z.string().min(10),
    /** IANA time zone, e.g. `Europe/Berlin`. */
    timeZone: z.string().min(1),
  }),
]);
export type TimeWindow = z.output<typeof TimeWindow>;

export const ThresholdOp = z.enum(['lt', 'lte', 'gt', 'gte']);
export type ThresholdOp = z.output<typeof ThresholdOp>;

/** How an SLI gets its data. */
export const SLI_SOURCES = ['events', 'prometheus', 'probe'] as const;

export const SliSpec = z.strictObject({
  name: Name,
  /** Catalog service the SLI measures. */
  service: Name.nullable().default(null),
  description: z.string().max(2000).nullable().default(null),
  source: z.enum(SLI_SOURCES).default('events'),
  /**
   * For raw observations (`{timestamp, value}`): an observation is good when `value op threshold`
   * holds, e.g. latency `lt` 300. Null for SLIs fed with good/total counts.
   */
  threshold: z.strictObject({ op: ThresholdOp, value: z.number() }).nullable().default(null),
  /** PromQL for a `prometheus` SLI; `good` or `bad` (one of them) over `total`, as range-less selectors. */
  prometheus: z
    .strictObject({
      dataSource: Name,
      good: z.string().min(1).nullable().default(null),
      bad: z.string().min(1).nullable().default(null),
      total: z.string().min(1),
    })
    .nullable()
    .default(null),
  /** Probe name for a `probe` SLI. */
  probe: Name.nullable().default(null),
});
export type SliSpec = z.output<typeof SliSpec>;

export const ObjectiveSpec = z.strictObject({
  /** Objectives are named within their SLO; the first defaults to `default`. */
  name: Name.default('default'),
  displayName: z.string().max(200).nullable().default(null),
  /** In (0, 1): 0.9995 for 99.95 %. */
  target: z.number().gt(0).lt(1),
  /** Timeslices: a slice is good when at least this share of its events is good (0.95 ⇔ p95 under the threshold). */
  timeSliceTarget: z.number().gt(0).lte(1).nullable().default(null),
  /** Timeslices / RatioTimeslices: slice length, e.g. `5m` (default `1m`). */
  timeSliceWindow: Duration.nullable().default(null),
});
export type ObjectiveSpec = z.output<typeof ObjectiveSpec>;

/**
 * A burn-rate alert kept as data: fire when `budgetShare` of the window's budget would be spent
 * within `longWindow`, confirmed over `shortWindow`. The burn rate follows from the SLO's window:
 * `budgetShare × window / longWindow` (2 % in 1 h of 30 d = 14.4×).
 */
export const BurnRateRule = z.strictObject({
  name: Name,
  severity: z.enum(['page', 'ticket']),
  budgetShare: z.number().gt(0).lte(1),
  longWindow: Duration,
  shortWindow: Duration,
});
export type BurnRateRule = z.output<typeof BurnRateRule>;

/** The SRE Workbook's multi-window, multi-burn-rate alerts (for a 30-day window: 14.4×, 6×, 1×). */
export const DEFAULT_BURN_RATE_RULES: BurnRateRule[] = [
  { name: 'page-fast', severity: 'page', budgetShare: 0.02, longWindow: '1h', shortWindow: '5m' },
  { name: 'page-slow', severity: 'page', budgetShare: 0.05, longWindow: '6h', shortWindow: '30m' },
  { name: 'ticket', severity: 'ticket', budgetShare: 0.1, longWindow: '3d', shortWindow: '6h' },
];

export const SloAlerting = z.strictObject({
  rules: z.array(BurnRateRule).default(DEFAULT_BURN_RATE_RULES),
  /** Fewer events than this in a rule's long window never fires it (a low-traffic SLO must not page on one error). */
  minEvents: z.number().int().min(0).default(10),
  /** Raise a no-data alert when the SLI has had no events for this long; null turns it off. */
  noDataAfter: Duration.nullable().default('30m'),
});
export type SloAlerting = z.output<typeof SloAlerting>;

export const SloSpec = z.strictObject({
  name: Name,
  displayName: z.string().max(200).nullable().default(null),
  description: z.string().max(5000).nullable().default(null),
  /** Catalog service the SLO belongs to (its owner team owns the SLO). */
  service: Name,
  /** SLI name (inline SLIs are registered under `<slo>-sli`). */
  sli: Name,
  timeWindow: TimeWindow.default({ type: 'rolling', duration: '28d' }),
  budgetingMethod: z.enum(BUDGETING_METHODS).default('Occurrences'),
  objectives: z.array(ObjectiveSpec).min(1),
  alerting: SloAlerting.default({ rules: DEFAULT_BURN_RATE_RULES, minEvents: 10, noDataAfter: '30m' }),
  labels: z.record(z.string(), z.string()).default({}),
});
export type SloSpec = z.output<typeof SloSpec>;

/** A contract on top of an SLO: the target promised to customers and the credits owed below it. */
export const SlaSpec = z.strictObject({
  name: Name,
  slo: Name,
  objective: Name.default('default'),
  /** Contract target, e.g. 0.999. */
  target: z.number().gt(0).lt(1),
  customer: z.string().max(200).nullable().default(null),
  /** Service credits: below `below` (a ratio) the customer is owed `creditPercent` of the monthly fee. Highest tier that applies wins. */
  penalties: z.array(z.strictObject({ below: z.number().gt(0).lte(1), creditPercent: z.number().min(0).max(100) })).default([]),
});
export type SlaSpec = z.output<typeof SlaSpec>;

export const DataSourceSpec = z.strictObject({
  name: Name,
  type: z.enum(['prometheus']),
  url: z.url(),
});
export type DataSourceSpec = z.output<typeof DataSourceSpec>;

export const POLICY_ACTIONS = ['warn', 'halt-deploys', 'halt-flag-ramps', 'page'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** What happens to a service at which remaining budget (a ratio; ≤ 0 means exhausted). */
export const ErrorBudgetPolicySpec = z.strictObject({
  service: Name,
  rules: z
    .array(z.strictObject({ whenRemainingBelow: z.number().min(-10).max(1), actions: z.array(z.enum(POLICY_ACTIONS)).min(1) }))
    .default([
      { whenRemainingBelow: 0.25, actions: ['warn'] },
      { whenRemainingBelow: 0.0000001, actions: ['halt-deploys', 'halt-flag-ramps'] },
    ]),
});
export type ErrorBudgetPolicySpec = z.output<typeof ErrorBudgetPolicySpec>;

/** Planned maintenance excluded from the budget (Nobl9's BudgetAdjustment): one-off or recurring (RRULE). */
export const MaintenanceWindowSpec = z.strictObject({
  name: Name,
  /** SLOs it applies to, or services (every SLO of each). */
  slos: z.array(Name).default([]),
  services: z.array(Name).default([]),
  /** ISO 8601 instant of the (first) start. */
  start: z.iso.datetime({ offset: true }),
  duration: Duration,
  /** RFC 5545 recurrence rule, e.g. `FREQ=WEEKLY;BYDAY=SU`. */
  rrule: z.string().max(500).nullable().default(null),
});
export type MaintenanceWindowSpec = z.output<typeof MaintenanceWindowSpec>;

/** Burn-rate windows reported for every SLO. */
export const BURN_RATE_WINDOWS = ['5m', '30m', '1h', '6h', '1d', '3d'] as const;

/** The budget of one objective at one moment: what `vigil slo status` and the UI show. */
export interface ObjectiveStatus {
  objective: string;
  target: number;
  windowStart: number;
  windowEnd: number;
  /** SLI over the window (good share of events, or of slices); null without data. */
  sli: number | null;
  good: number;
  total: number;
  /** Occurrences: allowed bad events. Timeslices: allowed bad slices. */
  budgetEvents: number;
  /** Time-slice SLOs: allowed bad time in minutes (99.95 % of 28 d → 20.16). Occurrences: the same share of the window. */
  budgetMinutes: number;
  consumedEvents: number;
  consumedMinutes: number;
  /** 1 − consumed / budget; negative when overspent. */
  remainingRatio: number;
  remainingEvents: number;
  remainingMinutes: number;
  burnRates: Record<(typeof BURN_RATE_WINDOWS)[number], number | null>;
  /** Milliseconds until the budget is gone at the current (1 h) burn rate; null when not burning. */
  timeToExhaustionMs: number | null;
  /**
   * True when part of the window is older than the per-minute data and its figures could only be
   * approximated from hourly rollups (time slices shorter than an hour, or a window or
   * maintenance bound inside an hour with events; docs/slo-math.md). Absent when exact.
   */
  approximate?: boolean;
}
