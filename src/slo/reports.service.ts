import type { Clock } from '../core/clock.ts';
import { NotFoundError } from '../core/errors.ts';
import type { Db } from '../db/database.ts';
import { fromJson } from '../db/json.ts';
import type { Journal, JournalEntry } from '../journal/journal.ts';
import { windowBounds } from './calendar.ts';
import {
  type AlertEpisode,
  INCIDENTS_NOTE,
  isoWeekPeriod,
  lastCompleteIsoWeek,
  lastCompleteMonth,
  monthPeriod,
  policyStateAt,
  type ReportPeriod,
  type ReviewSlo,
  reviewObjective,
  type SlaReport,
  type SlaReportRow,
  type SloReview,
  slaVerdictFromSums,
  spanBurn,
} from './reports.ts';
import { maintenanceIntervals } from './rrule.ts';
import { budgetingOf, type Interval, PrefixSums } from './slo.math.ts';
import {
  type DataSourceSpec,
  ErrorBudgetPolicySpec,
  type MaintenanceWindowSpec,
  type SlaSpec,
  type SliSpec,
  type SloSpec,
} from './slo.model.ts';
import { SLI_RETENTION_MS } from './slo.service.ts';
import * as store from './slo.store.ts';

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
/** A week with more policy and alert changes than this is summarized by its first ones. */
const MAX_CHANGES = 2000;

type Definitions = store.DefinitionRecords<
  SliSpec,
  SloSpec,
  SlaSpec,
  DataSourceSpec,
  ErrorBudgetPolicySpec,
  MaintenanceWindowSpec
>;

/**
 * The SLA compliance report of a month and the weekly SLO review of a team. Reports look back
 * further than the SLO service's in-memory series (a review's start-of-week budget reaches 28
 * days before the week), so they read the stored counts themselves: per-minute counts where the
 * retention keeps them, the hourly rollup before that.
 */
export class ReportService {
  readonly #db: Db;
  readonly #journal: Journal;
  readonly #clock: Clock;

  constructor(deps: { db: Db; clock: Clock; journal: Journal }) {
    this.#db = deps.db;
    this.#journal = deps.journal;
    this.#clock = deps.clock;
  }

  /** Every SLA judged over a calendar month (default: the last complete one), grouped by service. */
  async sla(q: { month?: string; timeZone?: string } = {}): Promise<SlaReport> {
    const now = this.#clock.now();
    const timeZone = q.timeZone ?? 'UTC';
    const period = monthPeriod(q.month ?? lastCompleteMonth(now, timeZone), timeZone);
    const to = Math.min(period.end, now);
    const defs = await this.#definitions();
    const services = await store.services(this.#db.kysely);
    const tags = await this.#serviceTags();
    const byService = new Map<string, SlaReportRow[]>();
    for (const sla of defs.slas) {
      const slo = defs.slos.find((s) => s.id === sla.sloId);
      const objective = slo?.spec.objectives.find((o) => o.name === sla.spec.objective);
      if (!slo || !objective) continue;
      const budgeting = budgetingOf(slo.spec.budgetingMethod, objective);
      const { sums, fromHours } = await this.#sums(defs, slo, period.start, to);
      const verdict = slaVerdictFromSums({
        sums,
        from: period.start,
        to,
        budgeting,
        target: sla.spec.target,
        penalties: sla.spec.penalties,
      });
      const row: SlaReportRow = {
        name: sla.name,
        customer: sla.spec.customer,
        slo: slo.name,
        sloDisplayName: slo.spec.displayName,
        objective: objective.name,
        budgetingMethod: slo.spec.budgetingMethod,
        approximate: fromHours && budgeting.method !== 'Occurrences' && budgeting.sliceMs < HOUR_MS,
        ...verdict,
      };
      const list = byService.get(slo.spec.service);
      if (list) list.push(row);
      else byService.set(slo.spec.service, [row]);
    }
    const rows = [...byService.values()].flat();
    return {
      month: period.label,
      timeZone,
      start: period.start,
      end: period.end,
      complete: now >= period.end,
      generatedAt: now,
      services: [...byService.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([name, slas]) => ({
          service: name,
          title: services.get(name)?.title ?? null,
          owner: services.get(name)?.owner ?? null,
          customerFacing: tags.get(name)?.includes('customer-facing') ?? false,
          slas,
        })),
      totals: {
        slas: rows.length,
        met: rows.filter((r) => r.status === 'met').length,
        missed: rows.filter((r) => r.status === 'missed').length,
        noData: rows.filter((r) => r.status === 'no-data').length,
      },
    };
  }

  /** A team's SLOs over an ISO week (default: the last complete one). */
  async sloReview(q: { team: string; week?: string; timeZone?: string }): Promise<SloReview> {
    const now = this.#clock.now();
    const timeZone = q.timeZone ?? 'UTC';
    const period = isoWeekPeriod(q.week ?? lastCompleteIsoWeek(now, timeZone), timeZone);
    const end = Math.min(period.end, now);
    const team = await this.#db.kysely.selectFrom('teams').select(['id', 'name']).where('name', '=', q.team).executeTakeFirst();
    if (!team) throw new NotFoundError(`no team named "${q.team}"`);
    const defs = await this.#definitions();
    const services = [...(await store.services(this.#db.kysely)).values()].filter((s) => s.ownerTeamId === team.id);
    const serviceNames = new Set(services.map((s) => s.name));
    const slos = defs.slos.filter((s) => serviceNames.has(s.spec.service));
    const alerts = await this.#alerts(
      slos.map((s) => s.id),
      period.start,
      end,
    );

    const reviews: ReviewSlo[] = [];
    const episodes: AlertEpisode[] = [];
    // Remaining ratios per service at the start and the end, for the policy state.
    const remaining = new Map<string, { start: number[]; end: number[] }>();
    for (const slo of slos) {
      const from = Math.min(windowBounds(slo.spec.timeWindow, period.start).start, period.start);
      const { sums } = await this.#sums(defs, slo, from, end);
      const objectives = slo.spec.objectives.map((objective) => {
        const budgeting = budgetingOf(slo.spec.budgetingMethod, objective);
        const bounds = windowBounds(slo.spec.timeWindow, end);
        return {
          budgeting,
          windowMs: bounds.end - bounds.start,
          review: reviewObjective({
            sums,
            objective,
            method: slo.spec.budgetingMethod,
            timeWindow: slo.spec.timeWindow,
            budgeting,
            windowMs: bounds.end - bounds.start,
            period,
            now,
          }),
        };
      });
      const mine = alerts.filter((a) => a.sloId === slo.id);
      for (const a of mine) {
        const o = objectives.find((x) => x.review.objective === a.objective);
        episodes.push({
          id: a.id,
          slo: slo.name,
          objective: a.objective,
          rule: a.rule,
          severity: a.severity,
          firedAt: a.firedAt,
          resolvedAt: a.resolvedAt,
          firedInPeriod: a.firedAt >= period.start && a.firedAt < end,
          // No-data alerts concern the SLI, not one objective's budget.
          budgetShare: o
            ? spanBurn({
                sums,
                from: Math.max(a.firedAt, period.start),
                to: Math.min(a.resolvedAt ?? end, end),
                target: o.review.target,
                budgeting: o.budgeting,
                windowMs: o.windowMs,
              }).budgetShare
            : null,
          reason: typeof a.data.reason === 'string' ? a.data.reason : null,
        });
      }
      const r = remaining.get(slo.spec.service) ?? { start: [], end: [] };
      for (const o of objectives) {
        r.start.push(o.review.start.remainingRatio);
        r.end.push(o.review.end.remainingRatio);
      }
      remaining.set(slo.spec.service, r);
      reviews.push({
        name: slo.name,
        displayName: slo.spec.displayName,
        service: slo.spec.service,
        budgetingMethod: slo.spec.budgetingMethod,
        objectives: objectives.map((o) => o.review),
        alertsFired: mine.filter((a) => a.firedAt >= period.start && a.firedAt < end).length,
        policy: { start: 'ok', end: 'ok' },
      });
    }
    for (const review of reviews) {
      const rules = policyRules(defs, review.service);
      const r = remaining.get(review.service);
      const worst = (xs: number[] | undefined): number | null => (xs && xs.length > 0 ? Math.min(...xs) : null);
      review.policy = { start: policyStateAt(rules, worst(r?.start)), end: policyStateAt(rules, worst(r?.end)) };
    }
    const burned = (s: ReviewSlo): number => Math.max(0, ...s.objectives.map((o) => o.week.budgetShare));
    reviews.sort((a, b) => burned(b) - burned(a) || (a.name < b.name ? -1 : 1));
    episodes.sort((a, b) => (b.budgetShare ?? -1) - (a.budgetShare ?? -1) || a.firedAt - b.firedAt);

    return {
      team: team.name,
      week: period.label,
      timeZone,
      start: period.start,
      end: period.end,
      complete: now >= period.end,
      generatedAt: now,
      slos: reviews,
      episodes,
      changes: await this.#changes(services, period, end),
      incidentsNote: INCIDENTS_NOTE,
    };
  }

  // -------------------------------------------------------------------------------------------

  #definitions(): Promise<Definitions> {
    return store.loadDefinitions(this.#db.kysely);
  }

  /**
   * Prefix sums of an SLO's SLI over `[from, to)`, maintenance excluded: hourly rollups before
   * the per-minute retention edge (the same edge the rollup job prunes at), minutes after it.
   */
  async #sums(
    defs: Definitions,
    slo: store.SloRecord<SloSpec>,
    from: number,
    to: number,
  ): Promise<{ sums: PrefixSums; fromHours: boolean }> {
    const now = this.#clock.now();
    const edge = Math.floor((now - SLI_RETENTION_MS) / HOUR_MS) * HOUR_MS;
    const hours =
      from < edge ? await store.readHours(this.#db.kysely, slo.sliId, Math.floor(from / HOUR_MS), edge / HOUR_MS - 1) : [];
    const rows =
      to > edge
        ? await store.readMinutesPacked(
            this.#db.kysely,
            slo.sliId,
            Math.floor(Math.max(from, edge) / MINUTE_MS),
            Math.ceil(to / MINUTE_MS),
          )
        : [];
    rows.sort((a, b) => a.minute - b.minute);
    const exclude: Interval[] = [];
    for (const m of defs.maintenanceWindows) {
      if (!m.spec.slos.includes(slo.name) && !m.spec.services.includes(slo.spec.service)) continue;
      try {
        exclude.push(...maintenanceIntervals(m.spec, from, to));
      } catch {
        // Validated on apply; a window that cannot be expanded excludes nothing.
      }
    }
    // The same combination of rollups and minutes as the SLO service's long windows.
    const sums = PrefixSums.fromRollup(
      { hours: hours.map((h) => h.hour), good: hours.map((h) => h.good), total: hours.map((h) => h.total) },
      { minutes: rows.map((r) => r.minute), good: rows.map((r) => r.good), total: rows.map((r) => r.total) },
      edge,
      { exclude },
    );
    return { sums, fromHours: hours.length > 0 };
  }

  /** Alert episodes of these SLOs that overlap `[from, to)`. */
  #alerts(sloIds: string[], from: number, to: number): Promise<store.AlertRecord[]> {
    return store.alertsOverlapping(this.#db.kysely, sloIds, from, to);
  }

  /** The `slo.policy.*` and `slo.alert.*` journal entries of these services within the period, oldest first. */
  async #changes(services: store.ServiceRef[], period: ReportPeriod, end: number): Promise<SloReview['changes']> {
    if (services.length === 0) return [];
    const names = new Map(services.map((s) => [s.id, s.name]));
    const entries = await this.#journal.list(this.#db.kysely, {
      serviceIds: [...names.keys()],
      since: period.start,
      until: end,
      kindPrefixes: ['slo.policy.', 'slo.alert.'],
      ascending: true,
      limit: MAX_CHANGES,
    });
    return entries.map((e) => {
      const service = (e.serviceId && names.get(e.serviceId)) ?? null;
      return { at: e.at, kind: e.kind, actor: e.actor, service, summary: summarize(e, service ?? '?') };
    });
  }

  async #serviceTags(): Promise<Map<string, string[]>> {
    const rows = await this.#db.kysely
      .selectFrom('catalog_entities')
      .select(['name', 'tags'])
      .where('kind', '=', 'service')
      .execute();
    return new Map(rows.map((r) => [r.name, fromJson<string[]>(r.tags, [])]));
  }
}

/** The service's configured policy rules, or the defaults (as the SLO service applies them). */
function policyRules(defs: Definitions, service: string): ErrorBudgetPolicySpec['rules'] {
  return (defs.policies.find((p) => p.spec.service === service)?.spec ?? ErrorBudgetPolicySpec.parse({ service })).rules;
}

/** One line for a journal entry in the review. */
function summarize(e: Pick<JournalEntry, 'kind' | 'data'>, service: string): string {
  const d = e.data;
  const str = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : '?');
  switch (e.kind) {
    case 'slo.alert.fired':
      return `${str(d.slo)}: ${str(d.severity)} alert ${str(d.rule)} fired`;
    case 'slo.alert.resolved':
      return `${str(d.slo)}: alert ${str(d.rule)} resolved`;
    case 'slo.policy.overridden':
      return `${service}: policy overridden until ${typeof d.until === 'number' ? new Date(d.until).toISOString() : '?'}: ${str(d.reason)}`;
    default:
      return `${service}: error budget policy ${e.kind.slice('slo.policy.'.length)}`;
  }
}
