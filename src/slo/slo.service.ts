import { type AlertSink, internalEvent } from '../alerts/alert.model.ts';
import { assertCanWriteOwned, type Principal } from '../auth/principal.ts';
import type { CatalogService } from '../catalog/index.ts';
import type { Clock } from '../core/clock.ts';
import { formatDuration, parseDuration } from '../core/duration.ts';
import { type FieldIssue, InputError, NotAllowedError, NotFoundError, VigilError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type Db, type Executor, retryOnUniqueViolation } from '../db/database.ts';
import type { Journal } from '../journal/journal.ts';
import { windowBounds } from './calendar.ts';
import { type HistogramJson, LatencyHistogram } from './histogram.ts';
import { sliSelectors } from './prometheus.source.ts';
import { maintenanceIntervals } from './rrule.ts';
import { SliSeriesCache } from './sli.cache.ts';
import {
  budgetingOf,
  burnDownSeries,
  evaluateBurnRateRule,
  type Interval,
  objectiveStatus,
  type PrefixSums,
} from './slo.math.ts';
import {
  type BudgetingMethod,
  type DataSourceSpec,
  type ErrorBudgetPolicySpec,
  type MaintenanceWindowSpec,
  type ObjectiveStatus,
  POLICY_ACTIONS,
  type PolicyAction,
  ErrorBudgetPolicySpec as PolicySchema,
  type SlaSpec,
  type SliSpec,
  type SloAlerting,
  type SloSpec,
  type TimeWindow,
} from './slo.model.ts';
import * as store from './slo.store.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Per-minute SLI data is kept, and accepted, for this long; the hourly rollup far longer. */
export const SLI_RETENTION_MS = 35 * DAY_MS;
export const HOURLY_RETENTION_MS = 400 * DAY_MS;
/** Events stamped further ahead than this are refused (clock skew allowance). */
export const MAX_FUTURE_MS = 5 * MINUTE_MS;
export const MAX_BATCH_EVENTS = 10_000;
/** How often the server evaluates burn-rate alerts, and how long the evaluator's lease lasts. */
export const EVALUATION_INTERVAL_MS = 30_000;
const LEASE_MS = 3 * EVALUATION_INTERVAL_MS;
const EVALUATOR_LEASE = 'slo-evaluator';
const ROLLUP_LEASE = 'slo-rollup';
const ROLLUP_INTERVAL_MS = HOUR_MS;
/** The rule name and objective of no-data alerts, which concern the SLI rather than one objective. */
export const NO_DATA_RULE = 'no-data';
export const ALL_OBJECTIVES = '*';
const OVERRIDE_MAX_MS = 30 * DAY_MS;

// ---------------------------------------------------------------------------------------------
// Types

type Owned<T> = T & { source: string | null };

/**
 * An SLI in config-as-code terms. `SliSpec.source` already names where the SLI's data comes
 * from (events, prometheus, probe), so the source that applied it is `configSource` here.
 */
export type SliState = SliSpec & { configSource: string | null };

/** Everything the SLO module keeps as config, in normal form: what `snapshot` returns and `applyDesired` takes. */
export interface SloState {
  slis: SliState[];
  slos: Array<Owned<SloSpec>>;
  slas: Array<Owned<SlaSpec>>;
  dataSources: Array<Owned<DataSourceSpec>>;
  policies: Array<Owned<ErrorBudgetPolicySpec>>;
  maintenanceWindows: Array<Owned<MaintenanceWindowSpec>>;
}

/**
 * What `applyDesired` takes: a state whose SLIs may leave `configSource` out, since the apply
 * records its own source on everything it writes.
 */
export type DesiredSloState = Omit<SloState, 'slis'> & { slis: Array<SliSpec & { configSource?: string | null }> };

export interface ApplyResult {
  /** Refs such as `sli:x`, `slo:x`, `sla:x`, `datasource:x`, `policy:<service>`, `maintenance:x`. */
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

export type CountEvent = { timestamp: string | number; good: number; total: number };
export type RawEvent = { timestamp: string | number; value: number };
export type SliEvent = CountEvent | RawEvent;

export interface IngestResult {
  /** Events added (0 for a duplicate batch). */
  accepted: number;
  rejected: Array<{ index: number; reason: string }>;
  /** The batch id was seen before: nothing was added. */
  duplicate: boolean;
}

export type PolicyState = 'ok' | 'warn' | 'halted';

export interface SloAlert {
  id: string;
  slo: string;
  objective: string;
  rule: string;
  severity: string;
  state: 'firing' | 'resolved';
  firedAt: number;
  resolvedAt: number | null;
  data: Record<string, unknown>;
}

export interface SloStatus {
  name: string;
  displayName: string | null;
  description: string | null;
  service: string;
  /** The service's owner team in the catalog. */
  owner: string | null;
  sli: string;
  budgetingMethod: BudgetingMethod;
  timeWindow: TimeWindow;
  objectives: ObjectiveStatus[];
  /** Firing alerts. */
  alerts: SloAlert[];
  /** The service's error budget policy as this SLO's service stands. */
  policy: { state: PolicyState; actions: PolicyAction[] };
  labels: Record<string, string>;
  /** The SLO's burn-rate rules, traffic gate and no-data period, as applied. */
  alerting: SloAlerting;
}

export interface ServicePolicy {
  service: string;
  state: PolicyState;
  /** Worst remaining ratio among the objectives of the service's SLOs; null without SLOs. */
  remainingRatio: number | null;
  actions: PolicyAction[];
  rules: ErrorBudgetPolicySpec['rules'];
  override: { reason: string; actor: string; until: number } | null;
}

export interface SliSummary extends SliState {
  /** SLOs built on the SLI. */
  slos: string[];
  /** Start of the latest minute with events, within the retention; null without. */
  lastEventAt: number | null;
  /** Prometheus SLIs: when Vigil last read it successfully (ms); null otherwise. */
  lastPulledAt: number | null;
  /** Prometheus SLIs: why the last read failed, until one succeeds; null otherwise. */
  lastError: string | null;
}

export interface SloSeries {
  sli: Array<{ at: number; good: number; total: number; value: number | null }>;
  burnDown: Array<{ at: number; remainingRatio: number }>;
}

export interface OverviewService {
  name: string;
  title: string | null;
  owner: string | null;
  tier: string | null;
  slos: Array<{
    name: string;
    displayName: string | null;
    remainingRatio: number;
    sli: number | null;
    target: number;
    state: SloHealth;
  }>;
  policy: { state: PolicyState };
}

/** An SLO at a glance: its worst objective under its service's policy, without overrides. */
export type SloHealth = 'ok' | 'warn' | 'exhausted' | 'no-data';

export interface EvaluationResult {
  /** False when another replica holds the evaluator lease. */
  evaluated: boolean;
  fired: number;
  resolved: number;
}

type Definitions = store.DefinitionRecords<
  SliSpec,
  SloSpec,
  SlaSpec,
  DataSourceSpec,
  ErrorBudgetPolicySpec,
  MaintenanceWindowSpec
>;

/** An SLO with what its evaluation needs, resolved from the definitions. */
interface Evaluated {
  record: store.SloRecord<SloSpec>;
  sli: store.SliRecord<SliSpec>;
  service: store.ServiceRef | null;
  sums: PrefixSums;
  objectives: ObjectiveStatus[];
}

// ---------------------------------------------------------------------------------------------
// Normal form

const byKey =
  <T>(key: (x: T) => string) =>
  (a: T, b: T): number =>
    key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
const sortedUnique = (xs: readonly string[]): string[] => [...new Set(xs)].sort();

export function normalizeSli(s: SliState): SliState {
  return {
    name: s.name,
    service: s.service,
    description: s.description,
    source: s.source,
    threshold: s.threshold ? { op: s.threshold.op, value: s.threshold.value } : null,
    prometheus: s.prometheus
      ? { dataSource: s.prometheus.dataSource, good: s.prometheus.good, bad: s.prometheus.bad, total: s.prometheus.total }
      : null,
    probe: s.probe,
    configSource: s.configSource,
  };
}

function normalizeWindow(tw: TimeWindow): TimeWindow {
  return tw.type === 'rolling'
    ? { type: 'rolling', duration: tw.duration }
    : { type: 'calendar', duration: tw.duration, startTime: tw.startTime, timeZone: tw.timeZone };
}

export function normalizeSlo(s: Owned<SloSpec>): Owned<SloSpec> {
  return {
    name: s.name,
    displayName: s.displayName,
    description: s.description,
    service: s.service,
    sli: s.sli,
    timeWindow: normalizeWindow(s.timeWindow),
    budgetingMethod: s.budgetingMethod,
    objectives: s.objectives.map((o) => ({
      name: o.name,
      displayName: o.displayName,
      target: o.target,
      timeSliceTarget: o.timeSliceTarget,
      timeSliceWindow: o.timeSliceWindow,
    })),
    alerting: {
      rules: s.alerting.rules.map((r) => ({
        name: r.name,
        severity: r.severity,
        budgetShare: r.budgetShare,
        longWindow: r.longWindow,
        shortWindow: r.shortWindow,
      })),
      minEvents: s.alerting.minEvents,
      noDataAfter: s.alerting.noDataAfter,
    },
    labels: Object.fromEntries(Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    source: s.source,
  };
}

export function normalizeSla(s: Owned<SlaSpec>): Owned<SlaSpec> {
  return {
    name: s.name,
    slo: s.slo,
    objective: s.objective,
    target: s.target,
    customer: s.customer,
    penalties: s.penalties.map((p) => ({ below: p.below, creditPercent: p.creditPercent })).sort((a, b) => b.below - a.below),
    source: s.source,
  };
}

export function normalizeDataSource(d: Owned<DataSourceSpec>): Owned<DataSourceSpec> {
  return { name: d.name, type: d.type, url: d.url, source: d.source };
}

export function normalizePolicy(p: Owned<ErrorBudgetPolicySpec>): Owned<ErrorBudgetPolicySpec> {
  return {
    service: p.service,
    rules: p.rules
      .map((r) => ({ whenRemainingBelow: r.whenRemainingBelow, actions: orderedActions(r.actions) }))
      .sort((a, b) => b.whenRemainingBelow - a.whenRemainingBelow),
    source: p.source,
  };
}

export function normalizeMaintenance(m: Owned<MaintenanceWindowSpec>): Owned<MaintenanceWindowSpec> {
  return {
    name: m.name,
    slos: sortedUnique(m.slos),
    services: sortedUnique(m.services),
    start: m.start,
    duration: m.duration,
    rrule: m.rrule,
    source: m.source,
  };
}

/** Lists sorted by name (policies by service), every item in normal form. */
export function normalizeSloState(s: SloState): SloState {
  return {
    slis: s.slis.map(normalizeSli).sort(byKey((x) => x.name)),
    slos: s.slos.map(normalizeSlo).sort(byKey((x) => x.name)),
    slas: s.slas.map(normalizeSla).sort(byKey((x) => x.name)),
    dataSources: s.dataSources.map(normalizeDataSource).sort(byKey((x) => x.name)),
    policies: s.policies.map(normalizePolicy).sort(byKey((x) => x.service)),
    maintenanceWindows: s.maintenanceWindows.map(normalizeMaintenance).sort(byKey((x) => x.name)),
  };
}

function orderedActions(actions: readonly PolicyAction[]): PolicyAction[] {
  const set = new Set(actions);
  return POLICY_ACTIONS.filter((a) => set.has(a));
}

// ---------------------------------------------------------------------------------------------
// The service

/**
 * SLIs, SLOs, error budgets and policies: config as code, event ingestion into per-minute
 * counts, budget and burn-rate status, burn-rate and no-data alerts, and policy state for the
 * deploy gate and feature flags.
 */
export class SloService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #journal: Journal;
  readonly #catalog: Pick<CatalogService, 'getEntity'>;
  readonly #alerts: AlertSink | undefined;
  readonly #cache = new SliSeriesCache({ horizonMinutes: SLI_RETENTION_MS / MINUTE_MS });
  /** Names this replica in the leases table. */
  readonly #instance = newId();
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #evaluating: Promise<unknown> = Promise.resolve();
  #lastRollupAt: number | null = null;

  constructor(deps: {
    db: Db;
    clock: Clock;
    journal: Journal;
    catalog: Pick<CatalogService, 'getEntity'>;
    /** Where burn-rate and no-data alerts are raised and resolved. */
    alerts?: AlertSink;
  }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#journal = deps.journal;
    this.#catalog = deps.catalog;
    this.#alerts = deps.alerts;
  }

  // -------------------------------------------------------------------------------------------
  // Config as code

  async snapshot(executor?: Executor): Promise<SloState> {
    return toState(await store.loadDefinitions(executor ?? this.#db.kysely));
  }

  /**
   * Makes the SLO definitions match `desired`, recording `opts.source` on everything written.
   * With `prune`, what carries the same source but is no longer desired is deleted. Every
   * reference is checked against the state after the apply, and every permission before the
   * first write; run it inside a transaction so a failure leaves nothing behind.
   */
  async applyDesired(
    trx: Executor,
    p: Principal,
    desired: DesiredSloState,
    opts: { source: string; prune: boolean },
  ): Promise<ApplyResult> {
    const { source, prune } = opts;
    const records = await store.loadDefinitions<
      SliSpec,
      SloSpec,
      SlaSpec,
      DataSourceSpec,
      ErrorBudgetPolicySpec,
      MaintenanceWindowSpec
    >(trx);
    const current = toState(records);
    const want = normalizeSloState({
      slis: desired.slis.map((s) => ({ ...s, configSource: source })),
      slos: desired.slos.map((s) => ({ ...s, source })),
      slas: desired.slas.map((s) => ({ ...s, source })),
      dataSources: desired.dataSources.map((s) => ({ ...s, source })),
      policies: desired.policies.map((s) => ({ ...s, source })),
      maintenanceWindows: desired.maintenanceWindows.map((s) => ({ ...s, source })),
    });

    const plans = {
      dataSources: plan(
        current.dataSources,
        want.dataSources,
        (x) => x.name,
        (x) => x.source,
        source,
        prune,
      ),
      slis: plan(
        current.slis,
        want.slis,
        (x) => x.name,
        (x) => x.configSource,
        source,
        prune,
      ),
      slos: plan(
        current.slos,
        want.slos,
        (x) => x.name,
        (x) => x.source,
        source,
        prune,
      ),
      slas: plan(
        current.slas,
        want.slas,
        (x) => x.name,
        (x) => x.source,
        source,
        prune,
      ),
      policies: plan(
        current.policies,
        want.policies,
        (x) => x.service,
        (x) => x.source,
        source,
        prune,
      ),
      maintenanceWindows: plan(
        current.maintenanceWindows,
        want.maintenanceWindows,
        (x) => x.name,
        (x) => x.source,
        source,
        prune,
      ),
    };
    const final = {
      dataSources: finalState(current.dataSources, plans.dataSources, (x) => x.name),
      slis: finalState(current.slis, plans.slis, (x) => x.name),
      slos: finalState(current.slos, plans.slos, (x) => x.name),
      slas: finalState(current.slas, plans.slas, (x) => x.name),
      policies: finalState(current.policies, plans.policies, (x) => x.service),
      maintenanceWindows: finalState(current.maintenanceWindows, plans.maintenanceWindows, (x) => x.name),
    };
    const removed = {
      dataSources: new Set(plans.dataSources.remove.map((x) => x.name)),
      slis: new Set(plans.slis.remove.map((x) => x.name)),
      slos: new Set(plans.slos.remove.map((x) => x.name)),
    };

    const serviceNames = [
      ...final.slis.flatMap((s) => (s.service ? [s.service] : [])),
      ...final.slos.map((s) => s.service),
      ...final.policies.map((s) => s.service),
      ...final.maintenanceWindows.flatMap((m) => m.services),
      ...current.slos.map((s) => s.service),
      ...current.slis.flatMap((s) => (s.service ? [s.service] : [])),
    ];
    const services = await store.services(trx, serviceNames);
    this.#validate(desired, final, removed, services);

    // Ownership: the owner team of the service an object belongs to, before and after.
    const ownerOf = (service: string | null): string | null =>
      service === null ? null : (services.get(service)?.ownerTeamId ?? null);
    const sloService = (name: string, side: 'before' | 'after'): string | null =>
      (side === 'after' ? final.slos : current.slos).find((s) => s.name === name)?.service ?? null;
    const check = (ref: string, serviceNamesOf: Array<string | null>): void => {
      for (const s of serviceNamesOf) assertCanWriteOwned(p, ownerOf(s), ref);
    };
    for (const x of plans.slis.create) check(`sli:${x.name}`, [x.service]);
    for (const { before, after } of plans.slis.update) check(`sli:${after.name}`, [before.service, after.service]);
    for (const x of plans.slis.remove) check(`sli:${x.name}`, [x.service]);
    for (const x of plans.slos.create) check(`slo:${x.name}`, [x.service]);
    for (const { before, after } of plans.slos.update) check(`slo:${after.name}`, [before.service, after.service]);
    for (const x of plans.slos.remove) check(`slo:${x.name}`, [x.service]);
    for (const x of plans.slas.create) check(`sla:${x.name}`, [sloService(x.slo, 'after')]);
    for (const { before, after } of plans.slas.update) {
      check(`sla:${after.name}`, [sloService(before.slo, 'before'), sloService(after.slo, 'after')]);
    }
    for (const x of plans.slas.remove) check(`sla:${x.name}`, [sloService(x.slo, 'before')]);
    for (const x of [...plans.policies.create, ...plans.policies.remove]) check(`policy:${x.service}`, [x.service]);
    for (const { after } of plans.policies.update) check(`policy:${after.service}`, [after.service]);
    const maintenanceServices = (m: MaintenanceWindowSpec, side: 'before' | 'after'): Array<string | null> => [
      ...m.services,
      ...m.slos.map((s) => sloService(s, side)),
    ];
    for (const x of plans.maintenanceWindows.create) check(`maintenance:${x.name}`, maintenanceServices(x, 'after'));
    for (const { before, after } of plans.maintenanceWindows.update) {
      check(`maintenance:${after.name}`, [...maintenanceServices(before, 'before'), ...maintenanceServices(after, 'after')]);
    }
    for (const x of plans.maintenanceWindows.remove) check(`maintenance:${x.name}`, maintenanceServices(x, 'before'));

    const result: ApplyResult = { created: [], updated: [], deleted: [], unchanged: [] };
    const now = this.#clock.now();
    const actor = p.actor;
    const serviceId = (name: string | null): string | null => (name === null ? null : (services.get(name)?.id ?? null));
    const ids = {
      dataSources: new Map(records.dataSources.map((r) => [r.name, r.id])),
      slis: new Map(records.slis.map((r) => [r.name, r.id])),
      slos: new Map(records.slos.map((r) => [r.name, r.id])),
      slas: new Map(records.slas.map((r) => [r.name, r.id])),
      policies: new Map(records.policies.map((r) => [r.name, r.id])),
      maintenanceWindows: new Map(records.maintenanceWindows.map((r) => [r.name, r.id])),
    };

    /** Creates, updates and records the unchanged of one kind, journaling each change. */
    const write = async <T extends object>(
      kind: { table: store.DefinitionTable | 'error_budget_policies'; subject: string; ref: string },
      kindPlan: Plan<T>,
      idMap: Map<string, string>,
      key: (x: T) => string,
      spec: (x: T) => object,
      links: (x: T) => store.DefinitionLinks,
      service: (x: T) => string | null,
    ): Promise<void> => {
      for (const x of kindPlan.create) {
        const id = newId(now);
        idMap.set(key(x), id);
        await store.insertDefinition(trx, kind.table, { id, name: key(x), spec: spec(x), source, links: links(x) }, now);
        await this.#journalDefinition(trx, actor, kind.subject, 'created', id, serviceId(service(x)), {
          name: key(x),
          source,
          spec: spec(x),
        });
        result.created.push(`${kind.ref}:${key(x)}`);
      }
      for (const { before, after } of kindPlan.update) {
        const id = idMap.get(key(after)) ?? '';
        await store.updateDefinition(trx, kind.table, id, { spec: spec(after), source, links: links(after) }, now);
        await this.#journalDefinition(trx, actor, kind.subject, 'updated', id, serviceId(service(after)), {
          name: key(after),
          source,
          changes: changedFields(before, after),
        });
        result.updated.push(`${kind.ref}:${key(after)}`);
      }
      result.unchanged.push(...kindPlan.unchanged.map((x) => `${kind.ref}:${key(x)}`));
    };
    const remove = async <T extends object>(
      kind: { table: store.DefinitionTable | 'error_budget_policies'; subject: string; ref: string },
      items: T[],
      idMap: Map<string, string>,
      key: (x: T) => string,
      service: (x: T) => string | null,
    ): Promise<void> => {
      for (const x of items) {
        const id = idMap.get(key(x)) ?? '';
        await store.deleteDefinition(trx, kind.table, id);
        await this.#journalDefinition(trx, actor, kind.subject, 'deleted', id, serviceId(service(x)), { name: key(x), source });
        result.deleted.push(`${kind.ref}:${key(x)}`);
      }
    };

    const K = {
      dataSources: { table: 'data_sources', subject: 'datasource', ref: 'datasource' },
      slis: { table: 'slis', subject: 'sli', ref: 'sli' },
      slos: { table: 'slos', subject: 'slo', ref: 'slo' },
      slas: { table: 'slas', subject: 'sla', ref: 'sla' },
      policies: { table: 'error_budget_policies', subject: 'policy', ref: 'policy' },
      maintenanceWindows: { table: 'maintenance_windows', subject: 'maintenance', ref: 'maintenance' },
    } as const;

    // What others point at first; removals in the reverse order, once nothing points at them.
    await write(
      K.dataSources,
      plans.dataSources,
      ids.dataSources,
      (x) => x.name,
      withoutSource,
      () => ({}),
      () => null,
    );
    await write(
      K.slis,
      plans.slis,
      ids.slis,
      (x) => x.name,
      withoutConfigSource,
      (x) => ({ serviceId: serviceId(x.service) }),
      (x) => x.service,
    );
    await write(
      K.slos,
      plans.slos,
      ids.slos,
      (x) => x.name,
      withoutSource,
      (x) => ({ serviceId: serviceId(x.service), sliId: ids.slis.get(x.sli) ?? '' }),
      (x) => x.service,
    );
    await write(
      K.slas,
      plans.slas,
      ids.slas,
      (x) => x.name,
      withoutSource,
      (x) => ({ sloId: ids.slos.get(x.slo) ?? '' }),
      (x) => sloService(x.slo, 'after'),
    );
    await write(
      K.policies,
      plans.policies,
      ids.policies,
      (x) => x.service,
      withoutSource,
      (x) => ({ serviceId: serviceId(x.service) }),
      (x) => x.service,
    );
    await write(
      K.maintenanceWindows,
      plans.maintenanceWindows,
      ids.maintenanceWindows,
      (x) => x.name,
      withoutSource,
      () => ({}),
      () => null,
    );

    await remove(
      K.maintenanceWindows,
      plans.maintenanceWindows.remove,
      ids.maintenanceWindows,
      (x) => x.name,
      () => null,
    );
    await remove(
      K.policies,
      plans.policies.remove,
      ids.policies,
      (x) => x.service,
      (x) => x.service,
    );
    await remove(
      K.slas,
      plans.slas.remove,
      ids.slas,
      (x) => x.name,
      (x) => sloService(x.slo, 'before'),
    );
    await remove(
      K.slos,
      plans.slos.remove,
      ids.slos,
      (x) => x.name,
      (x) => x.service,
    );
    await remove(
      K.slis,
      plans.slis.remove,
      ids.slis,
      (x) => x.name,
      (x) => x.service,
    );
    await remove(
      K.dataSources,
      plans.dataSources.remove,
      ids.dataSources,
      (x) => x.name,
      () => null,
    );
    for (const x of plans.slis.remove) this.#cache.forget(ids.slis.get(x.name) ?? '');
    return result;
  }

  /** Every reference must name something that exists once the apply is done; specs must make sense. */
  #validate(
    desired: DesiredSloState,
    final: {
      dataSources: Array<Owned<DataSourceSpec>>;
      slis: SliState[];
      slos: Array<Owned<SloSpec>>;
      slas: Array<Owned<SlaSpec>>;
      policies: Array<Owned<ErrorBudgetPolicySpec>>;
      maintenanceWindows: Array<Owned<MaintenanceWindowSpec>>;
    },
    removed: { dataSources: Set<string>; slis: Set<string>; slos: Set<string> },
    services: Map<string, store.ServiceRef>,
  ): void {
    const issues: FieldIssue[] = [];
    const once = (kind: string, keys: string[]): void => {
      const seen = new Set<string>();
      for (const k of keys) {
        if (seen.has(k)) issues.push({ path: `${kind}[${k}]`, message: 'declared more than once' });
        seen.add(k);
      }
    };
    once(
      'slis',
      desired.slis.map((x) => x.name),
    );
    once(
      'slos',
      desired.slos.map((x) => x.name),
    );
    once(
      'slas',
      desired.slas.map((x) => x.name),
    );
    once(
      'dataSources',
      desired.dataSources.map((x) => x.name),
    );
    once(
      'policies',
      desired.policies.map((x) => x.service),
    );
    once(
      'maintenanceWindows',
      desired.maintenanceWindows.map((x) => x.name),
    );

    const exists =
      (names: Set<string>, gone: Set<string>) =>
      (name: string): string | null =>
        names.has(name) ? null : gone.has(name) ? 'deleted by this apply (prune)' : 'unknown';
    const dataSource = exists(new Set(final.dataSources.map((x) => x.name)), removed.dataSources);
    const sli = exists(new Set(final.slis.map((x) => x.name)), removed.slis);
    const slo = exists(new Set(final.slos.map((x) => x.name)), removed.slos);
    const service = (name: string): string | null => (services.has(name) ? null : 'no such service in the catalog');
    const now = this.#clock.now();

    for (const s of final.slis) {
      const at = `slis[${s.name}]`;
      if (s.service && service(s.service))
        issues.push({ path: `${at}.service`, message: `service "${s.service}": ${service(s.service)}` });
      if (s.source === 'prometheus' && !s.prometheus) {
        issues.push({ path: `${at}.prometheus`, message: 'a prometheus SLI needs its queries (dataSource, good or bad, total)' });
      }
      if (s.source === 'probe' && !s.probe) issues.push({ path: `${at}.probe`, message: 'a probe SLI names its probe' });
      if (s.prometheus) {
        const missing = dataSource(s.prometheus.dataSource);
        if (missing)
          issues.push({ path: `${at}.prometheus.dataSource`, message: `data source "${s.prometheus.dataSource}": ${missing}` });
        if ((s.prometheus.good === null) === (s.prometheus.bad === null)) {
          issues.push({ path: `${at}.prometheus`, message: 'give exactly one of good and bad, over total' });
        } else if (s.source === 'prometheus') {
          // The puller wraps the selectors in increase(…[1m]): anything else would only fail
          // there, a minute later, away from the file that holds the query.
          try {
            sliSelectors(s);
          } catch (error) {
            if (!(error instanceof InputError)) throw error;
            // sliSelectors names the field as `sli <name>: prometheus.<field>`.
            for (const i of error.issues)
              issues.push({ path: `${at}.${i.path.slice(i.path.indexOf(': ') + 2)}`, message: i.message });
          }
        }
      }
    }
    for (const s of final.slos) {
      const at = `slos[${s.name}]`;
      const missingService = service(s.service);
      if (missingService) issues.push({ path: `${at}.service`, message: `service "${s.service}": ${missingService}` });
      const missingSli = sli(s.sli);
      if (missingSli) issues.push({ path: `${at}.sli`, message: `sli "${s.sli}": ${missingSli}` });
      collect(issues, at, () => windowBounds(s.timeWindow, now));
      const names = new Set<string>();
      s.objectives.forEach((o, i) => {
        if (names.has(o.name))
          issues.push({ path: `${at}.objectives[${i}].name`, message: `objective "${o.name}" is declared more than once` });
        names.add(o.name);
        collect(issues, `${at}.objectives[${i}]`, () => budgetingOf(s.budgetingMethod, o));
      });
      const rules = new Set<string>();
      s.alerting.rules.forEach((r, i) => {
        if (rules.has(r.name) || r.name === NO_DATA_RULE) {
          issues.push({ path: `${at}.alerting.rules[${i}].name`, message: `rule name "${r.name}" is taken` });
        }
        rules.add(r.name);
        collect(issues, `${at}.alerting.rules[${i}]`, () => {
          parseDuration(r.longWindow, 'longWindow');
          parseDuration(r.shortWindow, 'shortWindow');
        });
      });
      if (s.alerting.noDataAfter)
        collect(issues, `${at}.alerting`, () => parseDuration(s.alerting.noDataAfter ?? '', 'noDataAfter'));
    }
    for (const s of final.slas) {
      const at = `slas[${s.name}]`;
      const missing = slo(s.slo);
      if (missing) issues.push({ path: `${at}.slo`, message: `slo "${s.slo}": ${missing}` });
      else {
        const target = final.slos.find((x) => x.name === s.slo);
        if (target && !target.objectives.some((o) => o.name === s.objective)) {
          issues.push({ path: `${at}.objective`, message: `slo "${s.slo}" has no objective "${s.objective}"` });
        }
      }
    }
    for (const s of final.policies) {
      const missing = service(s.service);
      if (missing) issues.push({ path: `policies[${s.service}].service`, message: `service "${s.service}": ${missing}` });
    }
    for (const m of final.maintenanceWindows) {
      const at = `maintenanceWindows[${m.name}]`;
      m.slos.forEach((name, i) => {
        const missing = slo(name);
        if (missing) issues.push({ path: `${at}.slos[${i}]`, message: `slo "${name}": ${missing}` });
      });
      m.services.forEach((name, i) => {
        const missing = service(name);
        if (missing) issues.push({ path: `${at}.services[${i}]`, message: `service "${name}": ${missing}` });
      });
      if (m.slos.length === 0 && m.services.length === 0) {
        issues.push({ path: `${at}.slos`, message: 'name the SLOs or services the window applies to' });
      }
      collect(issues, at, () => maintenanceIntervals(m, now, now + 1));
    }
    throwIfAny(issues);
  }

  // -------------------------------------------------------------------------------------------
  // Ingestion

  /**
   * Adds a batch of events to an SLI's per-minute counts. Bad items are rejected one by one with
   * a reason; the accepted part and the batch id commit in one transaction, so a success means
   * durable and a retried batch (same `batchId`) adds nothing the second time.
   */
  async ingest(p: Principal, sliName: string, batch: { batchId?: string; events: readonly SliEvent[] }): Promise<IngestResult> {
    if (!p.scopes.has('ingest') && !p.scopes.has('admin'))
      throw new NotAllowedError('sending SLI events needs the "ingest" scope');
    if (batch.events.length > MAX_BATCH_EVENTS) {
      throw InputError.field(
        'events',
        `at most ${MAX_BATCH_EVENTS} events per batch (got ${batch.events.length}); split the batch`,
      );
    }
    const sli = await store.findSli<SliSpec>(this.#db.kysely, sliName);
    if (!sli) throw new NotFoundError(`no SLI named "${sliName}"`);
    if (sli.spec.source === 'prometheus') {
      throw new InputError(`SLI "${sliName}" reads its data from Prometheus; it does not accept events`);
    }
    if (sli.spec.source === 'probe') {
      throw new InputError(`SLI "${sliName}" is fed by probe "${sli.spec.probe}"; it does not accept events`);
    }
    const now = this.#clock.now();
    const judged = judgeEvents(batch.events, sli.spec.threshold, now);
    const { accepted, rejected } = judged;
    if (accepted === 0 && batch.batchId === undefined) return { accepted: 0, rejected, duplicate: false };
    const recorded = await this.#db.kysely
      .transaction()
      .execute((trx) => this.#record(trx, sli.id, judged, batch.batchId ?? `auto:${newId(now)}`, now));
    if (!recorded) return { accepted: 0, rejected: [], duplicate: true };
    return { accepted, rejected, duplicate: false };
  }

  /**
   * Feeds every SLI that reads a probe (`source: probe`) with that probe's checks: availability
   * counts successful checks; with a threshold, a check is good when it succeeded within it.
   * Runs in the caller's transaction, next to the probe's own records.
   */
  async recordProbeChecks(
    trx: Executor,
    checks: ReadonlyArray<{ probe: string; at: number; ok: boolean; durationMs: number }>,
  ): Promise<number> {
    if (checks.length === 0) return 0;
    // Only SLIs whose spec mentions a probe can read one (the spec is checked below): most of a
    // large organization's SLIs are not read at every flush.
    const rows = await trx.selectFrom('slis').select(['id', 'spec']).where('spec', 'like', '%"probe"%').execute();
    const byProbe = new Map<string, Array<{ id: string; threshold: SliSpec['threshold'] }>>();
    for (const row of rows) {
      const spec = JSON.parse(row.spec) as SliSpec;
      if (spec.source !== 'probe' || !spec.probe) continue;
      const list = byProbe.get(spec.probe) ?? [];
      list.push({ id: row.id, threshold: spec.threshold });
      byProbe.set(spec.probe, list);
    }
    if (byProbe.size === 0) return 0;
    const now = this.#clock.now();
    const checksOf = new Map<string, Array<(typeof checks)[number]>>();
    for (const c of checks) {
      const list = checksOf.get(c.probe);
      if (list) list.push(c);
      else checksOf.set(c.probe, [c]);
    }
    let fed = 0;
    for (const [probe, slis] of byProbe) {
      const mine = checksOf.get(probe);
      if (!mine) continue;
      for (const sli of slis) {
        const events: SliEvent[] = mine.map((c) =>
          sli.threshold && c.ok ? { timestamp: c.at, value: c.durationMs } : { timestamp: c.at, good: c.ok ? 1 : 0, total: 1 },
        );
        const judged = judgeEvents(events, sli.threshold, now);
        if (judged.accepted === 0) continue;
        await this.#record(trx, sli.id, judged, `probe:${newId(now)}`, now);
        fed += judged.accepted;
      }
    }
    return fed;
  }

  /** Writes judged events and their batch record; false when the batch id was seen before. */
  async #record(trx: Executor, sliId: string, judged: Judged, batchId: string, now: number): Promise<boolean> {
    const rows = [...judged.minutes.values()].sort((a, b) => a.minute - b.minute);
    const nowMinute = Math.floor(now / MINUTE_MS);
    const fresh = await store.recordBatch(trx, {
      sliId,
      // Batches without an id still enter the log: it tells the caches what changed.
      batchId,
      receivedAt: now,
      minMinute: rows[0]?.minute ?? nowMinute,
      maxMinute: rows[rows.length - 1]?.minute ?? nowMinute,
      events: judged.accepted,
    });
    if (!fresh) return false;
    await store.addMinutes(trx, sliId, rows);
    if (judged.histograms.size > 0) {
      const stored = await store.histogramsAt(trx, sliId, [...judged.histograms.keys()]);
      const merged = [...judged.histograms].map(([minute, h]) => {
        const before = stored.get(minute);
        if (before) h.absorb(LatencyHistogram.fromJSON(JSON.parse(before) as HistogramJson));
        return { minute, histogram: JSON.stringify(h.toJSON()) };
      });
      await store.putHistograms(trx, sliId, merged);
    }
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  async listSlis(): Promise<SliSummary[]> {
    const defs = await this.#definitions();
    const now = this.#clock.now();
    await this.#sync(
      defs,
      defs.slis.map((s) => s.id),
    );
    const pulls = await store.pullStates(this.#db.kysely);
    return defs.slis.map((s) => {
      // A pull state outlives a switch away from Prometheus until the puller's next tick.
      const pull = s.spec.source === 'prometheus' ? pulls.get(s.id) : undefined;
      return {
        ...normalizeSli({ ...s.spec, configSource: s.source }),
        slos: defs.slos.filter((o) => o.sliId === s.id).map((o) => o.name),
        lastEventAt: this.#cache.lastEventAt(s.id, now),
        lastPulledAt: pull?.pulledAt ?? null,
        lastError: pull?.lastError ?? null,
      };
    });
  }

  /**
   * The budget of every SLO (or of one), computed from the stored per-minute counts. Sorted by
   * remaining budget, lowest first.
   */
  async status(name?: string): Promise<SloStatus[]> {
    const defs = await this.#definitions();
    const target = name === undefined ? undefined : defs.slos.find((s) => s.name === name);
    if (name !== undefined && !target) throw new NotFoundError(`no SLO named "${name}"`);
    // A policy spans every SLO of a service, so one SLO's status needs its service's SLOs.
    const scope = target ? defs.slos.filter((s) => s.spec.service === target.spec.service) : defs.slos;
    const services = await store.services(this.#db.kysely);
    const evaluated = await this.#evaluateSlos(defs, scope, services);
    const policies = await this.#policies(defs, evaluated);
    const alerts = groupBy(await store.listAlerts(this.#db.kysely, { state: 'firing' }), (a) => a.sloId);
    const out = evaluated
      .filter((e) => !target || e.record.id === target.id)
      .map((e): SloStatus => {
        const policy = policies.get(e.record.spec.service);
        return {
          name: e.record.name,
          displayName: e.record.spec.displayName,
          description: e.record.spec.description,
          service: e.record.spec.service,
          owner: e.service?.owner ?? null,
          sli: e.sli.name,
          budgetingMethod: e.record.spec.budgetingMethod,
          timeWindow: e.record.spec.timeWindow,
          objectives: e.objectives,
          alerts: (alerts.get(e.record.id) ?? []).map(toAlert),
          policy: { state: policy?.state ?? 'ok', actions: policy?.actions ?? [] },
          labels: e.record.spec.labels,
          alerting: e.record.spec.alerting,
        };
      });
    return out.sort((a, b) => worst(a.objectives) - worst(b.objectives) || (a.name < b.name ? -1 : 1));
  }

  async get(name: string): Promise<SloStatus> {
    const [status] = await this.status(name);
    if (!status) throw new NotFoundError(`no SLO named "${name}"`);
    return status;
  }

  /**
   * An SLO's SLI over `[from, to)` per step (raw: maintenance included), and the burn-down of one
   * objective's budget within its current window (maintenance excluded), clipped to the range.
   */
  async series(name: string, q: { objective?: string; from?: number; to?: number; stepMs?: number } = {}): Promise<SloSeries> {
    const defs = await this.#definitions();
    const record = defs.slos.find((s) => s.name === name);
    if (!record) throw new NotFoundError(`no SLO named "${name}"`);
    const objective =
      q.objective === undefined ? record.spec.objectives[0] : record.spec.objectives.find((o) => o.name === q.objective);
    if (!objective) throw InputError.field('objective', `SLO "${name}" has no objective "${q.objective}"`);
    const now = this.#clock.now();
    const bounds = windowBounds(record.spec.timeWindow, now);
    const to = q.to ?? now;
    const from = q.from ?? bounds.start;
    if (!(to > from)) throw InputError.field('from', 'must be before to');
    const stepMs = q.stepMs ?? autoStep(to - from);
    if (!(stepMs >= MINUTE_MS) || stepMs % MINUTE_MS !== 0) throw InputError.field('step', 'must be a whole number of minutes');
    if ((to - from) / stepMs > 10_000) throw InputError.field('step', 'too many points (more than 10,000): use a longer step');

    await this.#sync(defs, [record.sliId]);
    const horizon = this.#cache.horizonStart(now);
    // Older than the per-minute horizon, the hourly rollup answers (buckets keyed by their first minute).
    const reach = Math.min(from, bounds.start);
    if (reach < horizon) await this.#cache.syncHours(this.#db.kysely, now, [record.sliId]);
    const raw = from < horizon ? this.#cache.sumsWithRollup(record.sliId, now) : this.#cache.sums(record.sliId);
    const sli: SloSeries['sli'] = [];
    for (let at = from; at < to; at += stepMs) {
      const { good, total } = raw.sum(at, Math.min(at + stepMs, to));
      sli.push({ at, good, total, value: total > 0 ? good / total : null });
    }

    const exclude = this.#exclusions(defs, record, now, bounds.start);
    const sums =
      bounds.start < horizon ? this.#cache.sumsWithRollup(record.sliId, now, exclude) : this.#cache.sums(record.sliId, exclude);
    // The burn-down counts from the window's start whatever range was asked for; a step too fine
    // for the whole window is coarsened there.
    const burnEnd = Math.min(now, bounds.end);
    const burnStep = (burnEnd - bounds.start) / stepMs > 10_000 ? autoStep(burnEnd - bounds.start) : stepMs;
    const burnDown = burnDownSeries({
      sums,
      target: objective.target,
      start: bounds.start,
      now: burnEnd,
      windowMs: bounds.end - bounds.start,
      stepMs: burnStep,
      budgeting: budgetingOf(record.spec.budgetingMethod, objective),
    })
      .filter((pt) => pt.at >= from && pt.at <= to)
      .map((pt) => ({ at: pt.at, remainingRatio: pt.remainingRatio }));
    return { sli, burnDown };
  }

  async alerts(q: { state?: 'firing' | 'resolved' | 'all'; slo?: string } = {}): Promise<SloAlert[]> {
    let sloId: string | undefined;
    if (q.slo !== undefined) {
      const defs = await store.loadDefinitions<SliSpec, SloSpec, never, never, never, never>(this.#db.kysely);
      sloId = defs.slos.find((s) => s.name === q.slo)?.id;
      if (!sloId) throw new NotFoundError(`no SLO named "${q.slo}"`);
    }
    const state = q.state === 'all' ? undefined : (q.state ?? 'firing');
    return (await store.listAlerts(this.#db.kysely, { state, sloId })).map(toAlert);
  }

  /** The error budget policy state of a service: what the deploy gate and feature flags read. */
  async policy(serviceName: string): Promise<ServicePolicy> {
    const defs = await this.#definitions();
    const service = (await store.services(this.#db.kysely, [serviceName])).get(serviceName);
    if (!service) {
      // Through the catalog, so the answer is the catalog's own not-found.
      await this.#catalog.getEntity('service', serviceName);
      throw new NotFoundError(`no service named "${serviceName}"`);
    }
    const services = new Map([[serviceName, service]]);
    const evaluated = await this.#evaluateSlos(
      defs,
      defs.slos.filter((s) => s.spec.service === serviceName),
      services,
    );
    const policy = (await this.#policies(defs, evaluated, [serviceName])).get(serviceName);
    if (!policy) throw new NotFoundError(`no service named "${serviceName}"`);
    return policy;
  }

  /**
   * Lifts a halting policy until `until` (epoch ms, an ISO instant, or a duration from now such
   * as `2h`), with a reason that the journal keeps. The budget still counts; only the halt goes.
   */
  async overridePolicy(
    p: Principal,
    serviceName: string,
    input: { reason: string; until: number | string },
  ): Promise<ServicePolicy> {
    if (!p.scopes.has('write') && !p.scopes.has('admin'))
      throw new NotAllowedError('overriding a policy needs the "write" scope');
    const reason = input.reason.trim();
    if (reason.length === 0) throw InputError.field('reason', 'say why the policy is overridden');
    const now = this.#clock.now();
    const until = parseUntil(input.until, now);
    if (until <= now) throw InputError.field('until', 'must be in the future');
    if (until - now > OVERRIDE_MAX_MS) throw InputError.field('until', `at most ${formatDuration(OVERRIDE_MAX_MS)} ahead`);
    await this.#db.kysely.transaction().execute(async (trx) => {
      const service = (await store.services(trx, [serviceName])).get(serviceName);
      if (!service) throw new NotFoundError(`no service named "${serviceName}"`);
      assertCanWriteOwned(p, service.ownerTeamId, `service:${serviceName}`);
      const id = newId(now);
      await store.insertOverride(trx, {
        id,
        service: serviceName,
        serviceId: service.id,
        reason,
        actor: p.actor,
        createdAt: now,
        expiresAt: until,
      });
      await this.#journal.append(trx, {
        kind: 'slo.policy.overridden',
        actor: p.actor,
        serviceId: service.id,
        subjectType: 'policy',
        subjectId: id,
        data: { service: serviceName, reason, until },
      });
    });
    return this.policy(serviceName);
  }

  /** Every catalog service with its SLOs' remaining budgets and policy state: the home page. */
  async overview(): Promise<{ services: OverviewService[] }> {
    const defs = await this.#definitions();
    const services = await store.services(this.#db.kysely);
    const evaluated = await this.#evaluateSlos(defs, defs.slos, services);
    const policies = await this.#policies(defs, evaluated, [...services.keys()]);
    const bySlo = groupBy(evaluated, (e) => e.record.spec.service);
    const out: OverviewService[] = [...services.values()].map((s) => {
      const rules = policyRules(defs, s.name);
      return {
        name: s.name,
        title: s.title,
        owner: s.owner,
        tier: s.tier,
        slos: (bySlo.get(s.name) ?? [])
          .map((e) => {
            const w = worstObjective(e.objectives);
            return {
              name: e.record.name,
              displayName: e.record.spec.displayName,
              remainingRatio: w?.remainingRatio ?? 1,
              sli: w?.sli ?? null,
              target: w?.target ?? 0,
              state: health(w, rules),
            };
          })
          .sort((a, b) => a.remainingRatio - b.remainingRatio || (a.name < b.name ? -1 : 1)),
        policy: { state: policies.get(s.name)?.state ?? 'ok' },
      };
    });
    return { services: out };
  }

  // -------------------------------------------------------------------------------------------
  // Evaluation: burn-rate and no-data alerts

  /**
   * Evaluates every SLO's burn-rate rules and no-data condition, firing and resolving alerts.
   * Only the replica holding the evaluator lease evaluates; the others return `evaluated: false`.
   */
  evaluate(): Promise<EvaluationResult> {
    // One evaluation at a time per replica: the lease keeps other replicas out, not this one.
    const run = this.#evaluating.then(() => this.#evaluate());
    this.#evaluating = run.catch(() => {});
    return run;
  }

  async #evaluate(): Promise<EvaluationResult> {
    const now = this.#clock.now();
    if (!(await store.claimLease(this.#db.kysely, EVALUATOR_LEASE, this.#instance, now, now + LEASE_MS))) {
      return { evaluated: false, fired: 0, resolved: 0 };
    }
    const defs = await this.#definitions();
    const services = await store.services(this.#db.kysely);
    const evaluated = await this.#evaluateSlos(defs, defs.slos, services);

    interface Verdict {
      sloId: string;
      slo: string;
      serviceId: string | null;
      objective: string;
      rule: string;
      severity: string;
      firing: boolean;
      data: Record<string, unknown>;
    }
    const verdicts: Verdict[] = [];
    for (const e of evaluated) {
      const spec = e.record.spec;
      const bounds = windowBounds(spec.timeWindow, now);
      const base = { sloId: e.record.id, slo: e.record.name, serviceId: e.service?.id ?? null };
      for (const objective of spec.objectives) {
        const budgeting = budgetingOf(spec.budgetingMethod, objective);
        for (const rule of spec.alerting.rules) {
          const v = evaluateBurnRateRule({
            rule,
            sums: e.sums,
            now,
            target: objective.target,
            windowMs: bounds.end - bounds.start,
            minEvents: spec.alerting.minEvents,
            budgeting,
          });
          verdicts.push({
            ...base,
            objective: objective.name,
            rule: rule.name,
            severity: rule.severity,
            firing: v.firing,
            data: {
              reason: v.reason,
              threshold: v.threshold,
              longWindow: rule.longWindow,
              shortWindow: rule.shortWindow,
              longBurnRate: v.longBurnRate,
              shortBurnRate: v.shortBurnRate,
              longEvents: v.longEvents,
            },
          });
        }
      }
      const noDataAfter = spec.alerting.noDataAfter;
      if (noDataAfter && e.sli.spec.source !== 'prometheus') {
        const ms = parseDuration(noDataAfter, 'noDataAfter');
        const lastEventAt = this.#cache.lastEventAt(e.sli.id, now);
        // An SLO younger than the no-data period has not had the chance to receive data.
        const silentSince = Math.max(lastEventAt === null ? 0 : lastEventAt + MINUTE_MS, e.record.createdAt);
        const firing = now - silentSince >= ms && this.#cache.sums(e.sli.id).sum(now - ms, now).total === 0;
        verdicts.push({
          ...base,
          objective: ALL_OBJECTIVES,
          rule: NO_DATA_RULE,
          severity: 'ticket',
          firing,
          data: {
            reason: firing ? `no events for ${noDataAfter} or longer` : 'events are arriving',
            noDataAfter,
            lastEventAt,
          },
        });
      }
    }

    let fired = 0;
    let resolved = 0;
    // The open alerts are read in the transaction that changes them. Should a replica whose lease
    // ran out mid-evaluation race the new holder, the unique index on open episodes fails one of
    // them, which then starts over and finds the other's alerts.
    await retryOnUniqueViolation(() =>
      this.#db.kysely.transaction().execute(async (trx) => {
        fired = 0;
        resolved = 0;
        const open = await store.listAlerts(trx, { state: 'firing', limit: 100_000 });
        const openByKey = new Map(open.map((a) => [`${a.sloId}|${a.objective}|${a.rule}`, a]));
        const seen = new Set<string>();
        for (const v of verdicts) {
          const key = `${v.sloId}|${v.objective}|${v.rule}`;
          seen.add(key);
          const current = openByKey.get(key);
          if (v.firing && !current) {
            const id = newId(now);
            await store.insertAlert(trx, {
              id,
              sloId: v.sloId,
              objective: v.objective,
              rule: v.rule,
              severity: v.severity,
              firedAt: now,
              data: v.data,
            });
            await this.#journalAlert(trx, 'fired', id, v.serviceId, {
              slo: v.slo,
              objective: v.objective,
              rule: v.rule,
              severity: v.severity,
              ...v.data,
            });
            fired++;
          } else if (!v.firing && current) {
            await store.resolveAlert(trx, current.id, now);
            await this.#journalAlert(trx, 'resolved', current.id, v.serviceId, {
              slo: v.slo,
              objective: v.objective,
              rule: v.rule,
              severity: v.severity,
              firedAt: current.firedAt,
              ...v.data,
            });
            resolved++;
          }
        }
        // An alert whose rule, objective or no-data setting is gone has nothing left to fire on.
        for (const a of open) {
          if (seen.has(`${a.sloId}|${a.objective}|${a.rule}`)) continue;
          await store.resolveAlert(trx, a.id, now);
          const service = evaluated.find((e) => e.record.id === a.sloId)?.service?.id ?? null;
          await this.#journalAlert(trx, 'resolved', a.id, service, {
            slo: a.slo,
            objective: a.objective,
            rule: a.rule,
            severity: a.severity,
            firedAt: a.firedAt,
            reason: 'the rule no longer exists',
          });
          resolved++;
        }
      }),
    );
    return { evaluated: true, fired, resolved };
  }

  /**
   * Rolls complete hours into `sli_hours` and deletes data past retention: per-minute counts,
   * histograms and batch ids after 35 days, hourly rollups after 400. Each run rolls up the hours
   * since the previous run (the last day after a start), again the hours that late batches
   * touched, and whatever minutes are about to be deleted, so nothing leaves unrolled even after
   * a long downtime. One replica at a time (lease).
   */
  async rollup(): Promise<boolean> {
    const now = this.#clock.now();
    if (!(await store.claimLease(this.#db.kysely, ROLLUP_LEASE, this.#instance, now, now + ROLLUP_INTERVAL_MS))) return false;
    const nowMinute = Math.floor(now / MINUTE_MS);
    // Ingestion refuses anything older than the retention, so hours before this edge are final.
    const edge = Math.floor((now - SLI_RETENTION_MS) / HOUR_MS) * 60;
    const since = this.#lastRollupAt ?? now - DAY_MS;
    const from = Math.floor((since - HOUR_MS) / MINUTE_MS);
    await this.#db.kysely.transaction().execute(async (trx) => {
      for (const [sliId, range] of await store.changedSince(trx, since - HOUR_MS)) {
        if (range.from < from)
          await store.rollupHours(trx, { fromMinute: Math.max(range.from, edge), toMinute: from + 60, sliId });
      }
      await store.rollupHours(trx, { fromMinute: from, toMinute: nowMinute });
      await store.rollupHours(trx, { toMinute: edge });
      await store.pruneSeries(trx, {
        minute: edge,
        hour: Math.floor((now - HOURLY_RETENTION_MS) / HOUR_MS),
        receivedAt: now - SLI_RETENTION_MS,
      });
    });
    this.#lastRollupAt = now;
    // Long windows read the hourly rollup from memory; it has just been rewritten.
    this.#cache.invalidateHours();
    return true;
  }

  /**
   * Loads every SLI's series into memory, so the first status request after a start does not
   * pay for it (about 25 ms per 28-day SLI on SQLite).
   */
  async warm(): Promise<void> {
    const defs = await this.#definitions();
    await this.#sync(
      defs,
      defs.slis.map((s) => s.id),
    );
  }

  /** Warms the cache, then starts the evaluation loop (every 30 s) and the hourly rollup. */
  start(intervalMs = EVALUATION_INTERVAL_MS): void {
    if (this.#timer) return;
    this.#running = this.warm()
      .catch(() => {})
      .finally(() => {
        this.#running = null;
      });
    let lastRollup = 0;
    const tick = async (): Promise<void> => {
      await this.evaluate();
      const now = this.#clock.now();
      if (now - lastRollup >= ROLLUP_INTERVAL_MS) {
        lastRollup = now;
        await this.rollup();
      }
    };
    this.#timer = setInterval(() => {
      if (this.#running) return;
      // A failed tick (database away) is retried by the next one.
      this.#running = tick()
        .catch(() => {})
        .finally(() => {
          this.#running = null;
        });
    }, intervalMs);
    this.#timer.unref();
  }

  /** Stops the loop, waits for a running tick, and gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
    await store.releaseLease(this.#db.kysely, EVALUATOR_LEASE, this.#instance).catch(() => {});
  }

  // -------------------------------------------------------------------------------------------
  // Internals

  #definitions(): Promise<Definitions> {
    return store.loadDefinitions(this.#db.kysely);
  }

  async #sync(defs: Definitions, sliIds: readonly string[]): Promise<void> {
    await this.#cache.sync(this.#db.kysely, this.#clock.now(), sliIds, new Set(defs.slis.map((s) => s.id)));
  }

  /** Maintenance intervals that apply to an SLO, from `from` (default: the cache horizon). */
  #exclusions(defs: Definitions, slo: store.SloRecord<SloSpec>, now: number, from = now - SLI_RETENTION_MS): Interval[] {
    const out: Interval[] = [];
    for (const m of defs.maintenanceWindows) {
      if (!m.spec.slos.includes(slo.name) && !m.spec.services.includes(slo.spec.service)) continue;
      try {
        out.push(...maintenanceIntervals(m.spec, Math.min(from, now - SLI_RETENTION_MS), now + MAX_FUTURE_MS));
      } catch {
        // Validated on apply; a window that cannot be expanded excludes nothing.
      }
    }
    return out.sort((a, b) => a.start - b.start || a.end - b.end);
  }

  async #evaluateSlos(
    defs: Definitions,
    slos: ReadonlyArray<store.SloRecord<SloSpec>>,
    services: Map<string, store.ServiceRef>,
  ): Promise<Evaluated[]> {
    const slis = new Map(defs.slis.map((s) => [s.id, s]));
    await this.#sync(
      defs,
      slos.map((s) => s.sliId),
    );
    const now = this.#clock.now();
    const horizon = this.#cache.horizonStart(now);
    // Windows (or burn-rate rule windows) reaching past the per-minute data also sum the hourly
    // rollup; everything else, 28-day SLOs included, stays on the minute series alone.
    const reach = new Map<string, number>();
    for (const record of slos) {
      const start = Math.min(
        windowBounds(record.spec.timeWindow, now).start,
        ...record.spec.alerting.rules.map((r) => now - parseDuration(r.longWindow, 'longWindow')),
      );
      if (start < horizon) reach.set(record.id, start);
    }
    if (reach.size > 0) {
      await this.#cache.syncHours(
        this.#db.kysely,
        now,
        slos.filter((r) => reach.has(r.id)).map((r) => r.sliId),
      );
    }
    const out: Evaluated[] = [];
    for (const record of slos) {
      const sli = slis.get(record.sliId);
      if (!sli) continue;
      const from = reach.get(record.id);
      const sums =
        from === undefined
          ? this.#cache.sums(sli.id, this.#exclusions(defs, record, now))
          : this.#cache.sumsWithRollup(sli.id, now, this.#exclusions(defs, record, now, from));
      const objectives = record.spec.objectives.map((objective) =>
        objectiveStatus({ objective, method: record.spec.budgetingMethod, timeWindow: record.spec.timeWindow, sums, now }),
      );
      out.push({ record, sli, service: services.get(record.spec.service) ?? null, sums, objectives });
    }
    return out;
  }

  /** Policy state of each service that has evaluated SLOs (and of `extra` services). */
  async #policies(
    defs: Definitions,
    evaluated: readonly Evaluated[],
    extra: readonly string[] = [],
  ): Promise<Map<string, ServicePolicy>> {
    const now = this.#clock.now();
    const overrides = new Map<string, store.OverrideRecord>();
    for (const o of await store.activeOverrides(this.#db.kysely, now)) if (!overrides.has(o.service)) overrides.set(o.service, o);
    const bySlo = groupBy(evaluated, (e) => e.record.spec.service);
    const names = new Set([...bySlo.keys(), ...extra]);
    const out = new Map<string, ServicePolicy>();
    for (const service of names) {
      const rules = policyRules(defs, service);
      const objectives = (bySlo.get(service) ?? []).flatMap((e) => e.objectives);
      const remainingRatio = objectives.length === 0 ? null : Math.min(...objectives.map((o) => o.remainingRatio));
      const override = overrides.get(service) ?? null;
      let actions = remainingRatio === null ? [] : actionsAt(rules, remainingRatio);
      if (override) actions = actions.filter((a) => a !== 'halt-deploys' && a !== 'halt-flag-ramps');
      out.set(service, {
        service,
        state: stateOf(actions),
        remainingRatio,
        actions,
        rules,
        override: override ? { reason: override.reason, actor: override.actor, until: override.expiresAt } : null,
      });
    }
    return out;
  }

  #journalDefinition(
    trx: Executor,
    actor: string,
    subject: string,
    verb: 'created' | 'updated' | 'deleted',
    id: string,
    serviceId: string | null,
    data: Record<string, unknown>,
  ): Promise<void> {
    return this.#journal.append(trx, {
      kind: `slo.${subject}.${verb}`,
      actor,
      serviceId,
      subjectType: subject,
      subjectId: id,
      data,
    });
  }

  async #journalAlert(
    trx: Executor,
    verb: 'fired' | 'resolved',
    id: string,
    serviceId: string | null,
    data: Record<string, unknown>,
  ): Promise<void> {
    if (serviceId && this.#alerts) {
      const { slo, objective, rule, severity } = data as { slo: string; objective: string; rule: string; severity: string };
      const summary =
        rule === 'no-data'
          ? `SLO ${slo}: ${String(data.reason ?? 'no events')}`
          : `SLO ${slo} is burning its error budget (${rule}${objective === 'default' ? '' : `, objective ${objective}`})`;
      await this.#alerts.applyWithin(trx, {
        serviceId,
        origin: 'slo',
        event: internalEvent({
          action: verb === 'fired' ? 'trigger' : 'resolve',
          dedupKey: `slo:${slo}:${objective}:${rule}`,
          summary,
          severity: severity === 'page' ? 'critical' : 'warning',
          source: `slo:${slo}`,
          details: data,
          labels: { slo, objective, rule },
          links: [{ href: `/slos/${encodeURIComponent(slo)}`, text: 'SLO' }],
        }),
      });
    }
    await this.#journal.append(trx, {
      kind: `slo.alert.${verb}`,
      actor: 'system:slo-evaluator',
      serviceId,
      subjectType: 'slo-alert',
      subjectId: id,
      data,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface Judged {
  accepted: number;
  rejected: Array<{ index: number; reason: string }>;
  minutes: Map<number, store.MinuteCounts>;
  histograms: Map<number, LatencyHistogram>;
}

const OPS = {
  lt: (v: number, t: number) => v < t,
  lte: (v: number, t: number) => v <= t,
  gt: (v: number, t: number) => v > t,
  gte: (v: number, t: number) => v >= t,
} as const;

/**
 * Checks every event and sums the accepted ones per minute in memory, so a batch of 10,000
 * events becomes a handful of rows to write.
 */
function judgeEvents(events: readonly SliEvent[], threshold: SliSpec['threshold'], now: number): Judged {
  const rejected: Judged['rejected'] = [];
  const minutes = new Map<number, store.MinuteCounts>();
  const histograms = new Map<number, LatencyHistogram>();
  const newest = now + MAX_FUTURE_MS;
  const oldest = now - SLI_RETENTION_MS;
  let accepted = 0;
  for (let index = 0; index < events.length; index++) {
    const e = events[index] as SliEvent;
    const at = typeof e.timestamp === 'number' ? e.timestamp : Date.parse(e.timestamp);
    if (!Number.isFinite(at)) {
      rejected.push({ index, reason: 'timestamp is neither an ISO 8601 instant nor epoch milliseconds' });
      continue;
    }
    if (at > newest) {
      rejected.push({ index, reason: 'timestamp is more than 5 minutes in the future' });
      continue;
    }
    if (at < oldest) {
      rejected.push({ index, reason: 'timestamp is older than the 35-day retention (timestamps are epoch milliseconds)' });
      continue;
    }
    let good: number;
    let total: number;
    if ('value' in e) {
      if (!threshold) {
        rejected.push({ index, reason: 'this SLI has no threshold to judge raw values against; send {timestamp, good, total}' });
        continue;
      }
      if (!Number.isFinite(e.value) || e.value < 0) {
        rejected.push({ index, reason: 'value must be a non-negative number' });
        continue;
      }
      good = OPS[threshold.op](e.value, threshold.value) ? 1 : 0;
      total = 1;
      const minute = Math.floor(at / MINUTE_MS);
      let h = histograms.get(minute);
      if (!h) {
        h = new LatencyHistogram();
        histograms.set(minute, h);
      }
      h.record(e.value);
    } else {
      good = e.good;
      total = e.total;
      if (!Number.isSafeInteger(good) || !Number.isSafeInteger(total) || good < 0 || total < 0) {
        rejected.push({ index, reason: 'good and total must be non-negative whole numbers' });
        continue;
      }
      if (good > total) {
        rejected.push({ index, reason: 'good is greater than total' });
        continue;
      }
    }
    const minute = Math.floor(at / MINUTE_MS);
    const bucket = minutes.get(minute);
    if (bucket) {
      bucket.good += good;
      bucket.total += total;
    } else minutes.set(minute, { minute, good, total });
    accepted++;
  }
  return { accepted, rejected, minutes, histograms };
}

function toState(r: Definitions): SloState {
  return normalizeSloState({
    slis: r.slis.map((x) => ({ ...x.spec, configSource: x.source })),
    slos: r.slos.map((x) => ({ ...x.spec, source: x.source })),
    slas: r.slas.map((x) => ({ ...x.spec, source: x.source })),
    dataSources: r.dataSources.map((x) => ({ ...x.spec, source: x.source })),
    policies: r.policies.map((x) => ({ ...x.spec, source: x.source })),
    maintenanceWindows: r.maintenanceWindows.map((x) => ({ ...x.spec, source: x.source })),
  });
}

function withoutSource<T extends { source: string | null }>(value: T): Omit<T, 'source'> {
  const { source: _source, ...rest } = value;
  return rest;
}

function withoutConfigSource(value: SliState): SliSpec {
  const { configSource: _configSource, ...rest } = value;
  return rest;
}

interface Plan<T> {
  create: T[];
  update: Array<{ before: T; after: T }>;
  unchanged: T[];
  remove: T[];
}

function plan<T>(
  current: readonly T[],
  desired: readonly T[],
  key: (item: T) => string,
  sourceOf: (item: T) => string | null,
  source: string,
  prune: boolean,
): Plan<T> {
  const byName = new Map(current.map((c) => [key(c), c]));
  const wanted = new Set(desired.map(key));
  const out: Plan<T> = { create: [], update: [], unchanged: [], remove: [] };
  for (const d of desired) {
    const before = byName.get(key(d));
    if (!before) out.create.push(d);
    else if (JSON.stringify(before) === JSON.stringify(d)) out.unchanged.push(d);
    else out.update.push({ before, after: d });
  }
  if (prune) out.remove = current.filter((c) => sourceOf(c) === source && !wanted.has(key(c)));
  return out;
}

function finalState<T>(current: readonly T[], p: Plan<T>, key: (item: T) => string): T[] {
  const gone = new Set(p.remove.map(key));
  const replaced = new Map([...p.create, ...p.unchanged, ...p.update.map((u) => u.after)].map((x) => [key(x), x]));
  const kept = current.filter((c) => !gone.has(key(c)) && !replaced.has(key(c)));
  return [...kept, ...replaced.values()];
}

/** Fields whose values differ, compared as JSON (both sides are in normal form). */
function changedFields<T extends object>(before: T, after: T): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of Object.keys(after) as Array<keyof T & string>) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}

/** Runs a check that throws field errors and files them under `prefix`. */
function collect(issues: FieldIssue[], prefix: string, fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof VigilError)) throw error;
    if (error.issues.length === 0) issues.push({ path: prefix, message: error.message });
    for (const i of error.issues) issues.push({ path: `${prefix}.${i.path}`, message: i.message });
  }
}

function throwIfAny(issues: FieldIssue[]): void {
  if (issues.length > 0) throw new InputError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(key(item));
    if (list) list.push(item);
    else out.set(key(item), [item]);
  }
  return out;
}

function toAlert(a: store.AlertRecord): SloAlert {
  return {
    id: a.id,
    slo: a.slo,
    objective: a.objective,
    rule: a.rule,
    severity: a.severity,
    state: a.state,
    firedAt: a.firedAt,
    resolvedAt: a.resolvedAt,
    data: a.data,
  };
}

function worstObjective(objectives: readonly ObjectiveStatus[]): ObjectiveStatus | undefined {
  let w: ObjectiveStatus | undefined;
  for (const o of objectives) if (!w || o.remainingRatio < w.remainingRatio) w = o;
  return w;
}

function worst(objectives: readonly ObjectiveStatus[]): number {
  return worstObjective(objectives)?.remainingRatio ?? 1;
}

/** The service's configured policy rules, or the defaults. */
function policyRules(defs: Definitions, service: string): ErrorBudgetPolicySpec['rules'] {
  const configured = defs.policies.find((x) => x.spec.service === service);
  return normalizePolicy({ ...(configured?.spec ?? PolicySchema.parse({ service })), source: null }).rules;
}

/** Every action of every rule whose threshold the remaining ratio is below. */
function actionsAt(rules: ErrorBudgetPolicySpec['rules'], remainingRatio: number): PolicyAction[] {
  return orderedActions(rules.filter((r) => remainingRatio < r.whenRemainingBelow).flatMap((r) => r.actions));
}

function stateOf(actions: readonly PolicyAction[]): PolicyState {
  if (actions.includes('halt-deploys') || actions.includes('halt-flag-ramps')) return 'halted';
  return actions.length > 0 ? 'warn' : 'ok';
}

function health(o: ObjectiveStatus | undefined, rules: ErrorBudgetPolicySpec['rules']): SloHealth {
  if (!o || o.total === 0) return 'no-data';
  const state = stateOf(actionsAt(rules, o.remainingRatio));
  return state === 'halted' ? 'exhausted' : state;
}

const STEPS_MS = [1, 5, 15, 30, 60, 180, 360, 720, 1440].map((m) => m * MINUTE_MS);

/** The shortest round step that keeps a series at 500 points or fewer. */
function autoStep(spanMs: number): number {
  return STEPS_MS.find((s) => spanMs / s <= 500) ?? Math.ceil(spanMs / 500 / DAY_MS) * DAY_MS;
}

/** `2h` (from now), an ISO 8601 instant, or epoch milliseconds. */
function parseUntil(until: number | string, now: number): number {
  if (typeof until === 'number') return until;
  if (/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(until.trim())) return now + parseDuration(until, 'until');
  const at = Date.parse(until);
  if (!Number.isFinite(at)) throw InputError.field('until', `"${until}" is neither a duration (2h) nor an ISO 8601 instant`);
  return at;
}
