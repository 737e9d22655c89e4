import { InputError } from '../core/errors.ts';
import { addLocalDays, addLocalMonths, assertTimeZone, type LocalDateTime, utcToZoned, zonedToUtc } from './calendar.ts';
import { errorShare, tidy } from './nines.ts';
import { type Budgeting, budgetFigures, countSlices, objectiveStatus, type PrefixSums } from './slo.math.ts';
import type { BudgetingMethod, ObjectiveSpec, PolicyAction, SlaSpec, TimeWindow } from './slo.model.ts';

/**
 * The pure half of the SLO reports: report periods (calendar months, ISO weeks), the SLA verdict
 * and credit of a month, the weekly review figures of an objective, and the Markdown both reports
 * render to. Nothing here reads a clock or a database; reports.service.ts loads the data.
 */

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Periods

/** A report period: `[start, end)` in epoch ms, named as the user wrote it (`2026-10`, `2026-W47`). */
export interface ReportPeriod {
  label: string;
  timeZone: string;
  start: number;
  end: number;
}

const midnight = (year: number, month: number, day: number): LocalDateTime => ({
  year,
  month,
  day,
  hour: 0,
  minute: 0,
  second: 0,
  millisecond: 0,
});

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `2026-10` → the calendar month in `timeZone`. Throws an {@link InputError} naming `field`. */
export function monthPeriod(text: string, timeZone = 'UTC', field = 'month'): ReportPeriod {
  assertTimeZone(timeZone, 'timeZone');
  const m = /^(\d{4})-(\d{2})$/.exec(text.trim());
  const month = Number(m?.[2] ?? 0);
  if (!m || month < 1 || month > 12) throw InputError.field(field, `"${text}" is not a month such as 2026-10`);
  const first = midnight(Number(m[1]), month, 1);
  return {
    label: `${m[1]}-${m[2]}`,
    timeZone,
    start: zonedToUtc(first, timeZone),
    end: zonedToUtc(addLocalMonths(first, 1), timeZone),
  };
}

/** The last calendar month in `timeZone` that has ended by `now`: SLA credits are settled on whole months. */
export function lastCompleteMonth(now: number, timeZone = 'UTC'): string {
  assertTimeZone(timeZone, 'timeZone');
  const local = utcToZoned(now, timeZone);
  const previous = addLocalMonths(midnight(local.year, local.month, 1), -1);
  return `${pad(previous.year, 4)}-${pad(previous.month)}`;
}

/** ISO 8601 week-numbering year and week of a calendar date. */
export function isoWeekOf(year: number, month: number, day: number): { year: number; week: number } {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  const weekday = (d.getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  // A week belongs to the year its Thursday falls in.
  d.setUTCDate(d.getUTCDate() - weekday + 3);
  const isoYear = d.getUTCFullYear();
  const jan1 = new Date(0);
  jan1.setUTCFullYear(isoYear, 0, 1);
  return { year: isoYear, week: Math.floor((d.getTime() - jan1.getTime()) / DAY_MS / 7) + 1 };
}

/** The Monday that starts ISO week `week` of `year`, as a local date. */
function isoWeekMonday(year: number, week: number): LocalDateTime {
  // January 4th is always in week 1.
  const jan4 = new Date(0);
  jan4.setUTCFullYear(year, 0, 4);
  const weekday = (jan4.getUTCDay() + 6) % 7;
  return addLocalDays(midnight(year, 1, 4), (week - 1) * 7 - weekday);
}

/** `2026-W47` → Monday 00:00 to the next Monday 00:00 in `timeZone`. */
export function isoWeekPeriod(text: string, timeZone = 'UTC', field = 'week'): ReportPeriod {
  assertTimeZone(timeZone, 'timeZone');
  const m = /^(\d{4})-?W(\d{2})$/i.exec(text.trim());
  const year = Number(m?.[1] ?? 0);
  const week = Number(m?.[2] ?? 0);
  // Years with 53 weeks are those whose December 28th is in week 53.
  const weeks = isoWeekOf(year, 12, 28).week;
  if (!m || week < 1 || week > weeks) throw InputError.field(field, `"${text}" is not an ISO week such as 2026-W47`);
  const monday = isoWeekMonday(year, week);
  return {
    label: `${pad(year, 4)}-W${pad(week)}`,
    timeZone,
    start: zonedToUtc(monday, timeZone),
    end: zonedToUtc(addLocalDays(monday, 7), timeZone),
  };
}

/** The last ISO week in `timeZone` that has ended by `now`. */
export function lastCompleteIsoWeek(now: number, timeZone = 'UTC'): string {
  assertTimeZone(timeZone, 'timeZone');
  const local = utcToZoned(now, timeZone);
  const lastWeek = addLocalDays(midnight(local.year, local.month, local.day), -7);
  const { year, week } = isoWeekOf(lastWeek.year, lastWeek.month, lastWeek.day);
  return `${pad(year, 4)}-W${pad(week)}`;
}

/** The local days of a period in its time zone (23- or 25-hour days across DST changes). */
export function localDays(period: ReportPeriod): Array<{ date: string; start: number; end: number }> {
  const first = utcToZoned(period.start, period.timeZone);
  const out: Array<{ date: string; start: number; end: number }> = [];
  for (let i = 0; ; i++) {
    const day = addLocalDays(midnight(first.year, first.month, first.day), i);
    const start = zonedToUtc(day, period.timeZone);
    if (start >= period.end) break;
    out.push({
      date: `${pad(day.year, 4)}-${pad(day.month)}-${pad(day.day)}`,
      start,
      end: Math.min(zonedToUtc(addLocalDays(day, 1), period.timeZone), period.end),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SLA compliance

/** What an SLA's month came to: met or missed, by how much, and the credit owed. */
export interface SlaVerdict {
  status: 'met' | 'missed' | 'no-data';
  /** The SLO's SLI over the month (events, or slices for time-slice SLOs); null without data. */
  sli: number | null;
  target: number;
  /** SLI − target in percentage points; negative when missed, null without data. */
  marginPoints: number | null;
  /** What the SLI counts: events (Occurrences) or slices (Timeslices, RatioTimeslices). */
  unit: 'events' | 'slices';
  good: number;
  total: number;
  /** Bad events or slices the contract allows for the traffic seen, the bad ones, and how many above the allowance. */
  allowedBad: number;
  bad: number;
  overBad: number;
  /** The same in minutes: bad slices × their length, or the bad share of the month's elapsed minutes. */
  allowedBadMinutes: number;
  badMinutes: number;
  overMinutes: number;
  /** The penalty tier that applies (the highest credit whose `below` the SLI is under), and its credit. */
  tier: { below: number; creditPercent: number } | null;
  creditPercent: number;
}

/** The tier with the highest credit among those whose `below` the SLI falls under; null when none does. */
export function creditTier(sli: number | null, penalties: SlaSpec['penalties']): { below: number; creditPercent: number } | null {
  if (sli === null) return null;
  let best: { below: number; creditPercent: number } | null = null;
  for (const p of penalties) {
    // tidy: an SLI of exactly 99.9 % must not count as below a 0.999 tier through binary noise.
    if (tidy(sli) < p.below && (!best || p.creditPercent > best.creditPercent))
      best = { below: p.below, creditPercent: p.creditPercent };
  }
  return best;
}

/**
 * Judges one SLA over a month from the SLO's counts there: `good`/`total` events for
 * Occurrences, good slices (or the sum of slice ratios) / slices with data otherwise.
 * `minutesPerUnit` turns a bad unit into minutes: the slice length, or for events the elapsed
 * minutes of the month divided by the events, so the bad share of events reads as a share of time.
 * The allowance follows the traffic seen, so "missed" and "over the allowance" always agree.
 */
export function judgeSla(input: {
  target: number;
  penalties: SlaSpec['penalties'];
  unit: 'events' | 'slices';
  good: number;
  total: number;
  minutesPerUnit: number;
}): SlaVerdict {
  const { target, penalties, unit, good, total, minutesPerUnit } = input;
  const e = errorShare(target);
  const bad = tidy(Math.max(0, total - good));
  const allowedBad = tidy(e * total);
  const sli = total > 0 ? good / total : null;
  const tier = creditTier(sli, penalties);
  return {
    status: sli === null ? 'no-data' : tidy(sli) < target ? 'missed' : 'met',
    sli,
    target,
    marginPoints: sli === null ? null : tidy((sli - target) * 100, 9),
    unit,
    good,
    total,
    allowedBad,
    bad,
    overBad: tidy(Math.max(0, bad - allowedBad)),
    allowedBadMinutes: tidy(allowedBad * minutesPerUnit, 6),
    badMinutes: tidy(bad * minutesPerUnit, 6),
    overMinutes: tidy(Math.max(0, bad - allowedBad) * minutesPerUnit, 6),
    tier,
    creditPercent: tier?.creditPercent ?? 0,
  };
}

/** An SLA's verdict from the SLO's per-minute sums over `[from, to)`. */
export function slaVerdictFromSums(input: {
  sums: PrefixSums;
  from: number;
  to: number;
  budgeting: Budgeting;
  target: number;
  penalties: SlaSpec['penalties'];
}): SlaVerdict {
  const { sums, from, to, budgeting, target, penalties } = input;
  if (budgeting.method === 'Occurrences') {
    const s = sums.sum(from, to);
    const elapsedMinutes = Math.max(0, to - from) / MINUTE_MS;
    return judgeSla({
      target,
      penalties,
      unit: 'events',
      good: s.good,
      total: s.total,
      minutesPerUnit: s.total > 0 ? elapsedMinutes / s.total : 0,
    });
  }
  const c = countSlices(sums, from, to, budgeting.sliceMs, budgeting.sliceTarget);
  return judgeSla({
    target,
    penalties,
    unit: 'slices',
    good: budgeting.method === 'Timeslices' ? c.good : c.ratioSum,
    total: c.withData,
    minutesPerUnit: budgeting.sliceMs / MINUTE_MS,
  });
}

// ---------------------------------------------------------------------------------------------
// Weekly review

/** The SLI and remaining budget of an objective's window at one moment. */
export interface BudgetAt {
  at: number;
  sli: number | null;
  remainingRatio: number;
}

/** What a span of time did to an objective's budget. */
export interface SpanBurn {
  /** SLI over the span itself; null without data. */
  sli: number | null;
  /** Bad events (or slices) in the span. */
  badEvents: number;
  /** Bad time in the span: bad slices × their length, or the bad share of the span's minutes. */
  badMinutes: number;
  /** Share of the objective's whole-window budget the span consumed (0.25 = a quarter of it). */
  budgetShare: number;
  /** Average burn rate over the span (null without data). */
  burnRate: number | null;
}

/**
 * The budget share `[from, to)` consumed: its bad minutes over the window's budget minutes,
 * `(1 − target) × window`. For Occurrences the bad minutes are the bad share × the span, so a
 * week burning at 1× consumes 7/28 of a 28-day budget, whatever the traffic did elsewhere.
 */
export function spanBurn(input: {
  sums: PrefixSums;
  from: number;
  to: number;
  target: number;
  budgeting: Budgeting;
  windowMs: number;
}): SpanBurn {
  const { sums, from, to, target, budgeting, windowMs } = input;
  if (!(to > from)) return { sli: null, badEvents: 0, badMinutes: 0, budgetShare: 0, burnRate: null };
  const f = budgetFigures(sums, from, to, to - from, target, budgeting);
  const budgetMinutes = errorShare(target) * (windowMs / MINUTE_MS);
  const spanMinutes = (to - from) / MINUTE_MS;
  return {
    sli: f.sli,
    badEvents: f.consumedEvents,
    badMinutes: tidy(f.consumedMinutes, 6),
    budgetShare: tidy(f.consumedMinutes / budgetMinutes, 9),
    burnRate: f.sli === null ? null : tidy(f.consumedMinutes / spanMinutes / errorShare(target), 6),
  };
}

export interface ObjectiveReview {
  objective: string;
  target: number;
  start: BudgetAt;
  end: BudgetAt;
  /** What the week consumed. */
  week: SpanBurn;
  days: Array<SpanBurn & { date: string }>;
  /** The day that consumed the most budget; null when no day consumed any. */
  worstDay: (SpanBurn & { date: string }) | null;
}

/**
 * One objective over a report period: the SLI and remaining budget of its window at the start
 * and at the end (or `now`, for a week still running), what the period and each local day
 * consumed, and the worst day.
 */
export function reviewObjective(input: {
  sums: PrefixSums;
  objective: Pick<ObjectiveSpec, 'name' | 'target' | 'timeSliceTarget' | 'timeSliceWindow'>;
  method: BudgetingMethod;
  timeWindow: TimeWindow;
  budgeting: Budgeting;
  windowMs: number;
  period: ReportPeriod;
  now: number;
}): ObjectiveReview {
  const { sums, objective, method, timeWindow, budgeting, windowMs, period, now } = input;
  const end = Math.min(period.end, now);
  const at = (t: number): BudgetAt => {
    const s = objectiveStatus({ objective, method, timeWindow, sums, now: t });
    return { at: t, sli: s.sli, remainingRatio: s.remainingRatio };
  };
  const burn = (from: number, to: number): SpanBurn =>
    spanBurn({ sums, from, to: Math.min(to, end), target: objective.target, budgeting, windowMs });
  const days = localDays(period)
    .filter((d) => d.start < end)
    .map((d) => ({ date: d.date, ...burn(d.start, d.end) }));
  let worstDay: ObjectiveReview['worstDay'] = null;
  for (const d of days) if (d.budgetShare > 0 && (!worstDay || d.budgetShare > worstDay.budgetShare)) worstDay = d;
  return {
    objective: objective.name,
    target: objective.target,
    start: at(period.start),
    end: at(end),
    week: burn(period.start, end),
    days,
    worstDay,
  };
}

export type PolicyState = 'ok' | 'warn' | 'halted';

/** A service's policy state at a remaining ratio, as the SLO service decides it (overrides aside). */
export function policyStateAt(
  rules: ReadonlyArray<{ whenRemainingBelow: number; actions: readonly PolicyAction[] }>,
  remainingRatio: number | null,
): PolicyState {
  if (remainingRatio === null) return 'ok';
  const actions = rules.filter((r) => remainingRatio < r.whenRemainingBelow).flatMap((r) => r.actions);
  if (actions.includes('halt-deploys') || actions.includes('halt-flag-ramps')) return 'halted';
  return actions.length > 0 ? 'warn' : 'ok';
}

// ---------------------------------------------------------------------------------------------
// Report shapes

export interface SlaReportRow extends SlaVerdict {
  name: string;
  customer: string | null;
  slo: string;
  sloDisplayName: string | null;
  objective: string;
  budgetingMethod: BudgetingMethod;
  /** Slice verdicts were taken from hourly rollups for part of the month (past the per-minute retention). */
  approximate: boolean;
}

export interface SlaReport {
  month: string;
  timeZone: string;
  start: number;
  end: number;
  /** False while the month is still running: figures cover its start up to now. */
  complete: boolean;
  generatedAt: number;
  services: Array<{
    service: string;
    title: string | null;
    owner: string | null;
    customerFacing: boolean;
    slas: SlaReportRow[];
  }>;
  totals: { slas: number; met: number; missed: number; noData: number };
}

export interface AlertEpisode {
  id: string;
  slo: string;
  objective: string;
  rule: string;
  severity: string;
  firedAt: number;
  resolvedAt: number | null;
  /** Fired within the period (rather than before it and still firing). */
  firedInPeriod: boolean;
  /** Share of the objective's budget consumed while the alert fired, within the period; null for no-data alerts. */
  budgetShare: number | null;
  reason: string | null;
}

export interface ReviewSlo {
  name: string;
  displayName: string | null;
  service: string;
  budgetingMethod: BudgetingMethod;
  objectives: ObjectiveReview[];
  /** Alerts fired in the period. */
  alertsFired: number;
  /** The service's policy state from the remaining budgets at the start and at the end. */
  policy: { start: PolicyState; end: PolicyState };
}

export interface SloReview {
  team: string;
  week: string;
  timeZone: string;
  start: number;
  end: number;
  complete: boolean;
  generatedAt: number;
  /** Team SLOs, most budget burned in the period first. */
  slos: ReviewSlo[];
  /** Alert episodes overlapping the period, most budget consumed first. */
  episodes: AlertEpisode[];
  /** `slo.policy.*` and `slo.alert.*` journal entries of the team's services in the period, oldest first. */
  changes: Array<{ at: number; kind: string; actor: string; service: string | null; summary: string }>;
  /** What the "incidents" section can say until Vigil records incidents. */
  incidentsNote: string;
}

export const INCIDENTS_NOTE =
  'Vigil does not record incidents yet; until it does, the alert episodes below stand for them, with the budget each consumed while it fired.';

// ---------------------------------------------------------------------------------------------
// Markdown

/** 0.99853 → `99.853%`: three decimals near the nines, one elsewhere, no trailing zeros. */
export function pct(ratio: number | null, digits?: number): string {
  if (ratio === null || !Number.isFinite(ratio)) return 'n/a';
  const p = ratio * 100;
  const d = digits ?? (Math.abs(p) >= 99 ? 3 : 1);
  const text = p.toFixed(d);
  return `${text.includes('.') ? text.replace(/\.?0+$/, '') : text}%`;
}

function num(n: number, digits = 2): string {
  return Number(n.toFixed(digits)).toLocaleString('en-US', { maximumFractionDigits: digits });
}

function points(pp: number | null): string {
  if (pp === null) return 'n/a';
  const text = num(Math.abs(pp), 4);
  return `${pp < 0 ? '−' : '+'}${text} pp`;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function table(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ];
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/:00\.000Z$/, 'Z');
}

/** The SLA compliance report as Markdown, one table per service. */
export function slaReportMarkdown(r: SlaReport): string {
  const out = [
    `# SLA compliance, ${r.month}`,
    '',
    `${iso(r.start)} to ${iso(r.end)} (${r.timeZone})${r.complete ? '' : ' — the month is still running; figures cover it up to now'}.`,
    '',
    `${r.totals.slas} SLAs: ${r.totals.met} met, ${r.totals.missed} missed${r.totals.noData > 0 ? `, ${r.totals.noData} without data` : ''}.`,
  ];
  if (r.services.length === 0) out.push('', 'No SLAs are defined. Declare them as `kind: SLA` manifests and run `vigil apply`.');
  for (const s of r.services) {
    out.push(
      '',
      `## ${s.title ? `${s.title} (${s.service})` : s.service}`,
      '',
      `Owner: ${s.owner ?? 'none'}${s.customerFacing ? ' · customer-facing' : ''}`,
      '',
    );
    out.push(
      ...table(
        ['SLA', 'Customer', 'SLO', 'SLI', 'Target', 'Result', 'Over the allowance', 'Credit'],
        s.slas.map((x) => [
          x.name,
          x.customer ?? '—',
          x.objective === 'default' ? x.slo : `${x.slo}/${x.objective}`,
          pct(x.sli),
          pct(x.target),
          x.status === 'no-data' ? 'no data' : `${x.status} (${points(x.marginPoints)})`,
          x.status === 'missed'
            ? `${num(x.overBad)} bad ${x.unit} (${num(x.overMinutes)} min)`
            : x.status === 'met'
              ? `— (${num(x.allowedBad - x.bad)} ${x.unit} to spare)`
              : '—',
          x.tier ? `${num(x.creditPercent)}% (below ${pct(x.tier.below)})` : '0%',
        ]),
      ),
    );
    if (s.slas.some((x) => x.approximate)) {
      out.push('', '_Part of the month is past the per-minute retention: its time slices were judged on hourly rollups._');
    }
  }
  return `${out.join('\n')}\n`;
}

/** The weekly SLO review as Markdown. */
export function sloReviewMarkdown(r: SloReview): string {
  const burned = r.slos.filter((s) => s.objectives.some((o) => o.week.budgetShare > 0));
  const out = [
    `# Weekly SLO review: ${r.team}, ${r.week}`,
    '',
    `${iso(r.start)} to ${iso(r.end)} (${r.timeZone})${r.complete ? '' : ' — the week is still running; figures cover it up to now'}.`,
    '',
    `${r.slos.length} SLOs; ${burned.length} burned budget; ${r.slos.reduce((n, s) => n + s.alertsFired, 0)} alerts fired.`,
    '',
    '## Budgets',
    '',
  ];
  if (r.slos.length === 0) out.push(`Team ${r.team} owns no SLOs.`);
  else
    out.push(
      ...table(
        ['SLO', 'Service', 'SLI start → end', 'Budget left start → end', 'Burned this week', 'Worst day', 'Alerts', 'Policy'],
        r.slos.flatMap((s) =>
          s.objectives.map((o) => [
            s.objectives.length > 1 ? `${s.name}/${o.objective}` : s.name,
            s.service,
            `${pct(o.start.sli)} → ${pct(o.end.sli)}`,
            `${pct(o.start.remainingRatio, 1)} → ${pct(o.end.remainingRatio, 1)}`,
            `${pct(o.week.budgetShare, 1)}${o.week.burnRate !== null ? ` (${num(o.week.burnRate)}×)` : ''}`,
            o.worstDay ? `${o.worstDay.date} (${pct(o.worstDay.budgetShare, 1)})` : '—',
            String(s.alertsFired),
            s.policy.start === s.policy.end ? s.policy.end : `${s.policy.start} → ${s.policy.end}`,
          ]),
        ),
      ),
    );
  out.push('', '## What consumed the budget', '', r.incidentsNote, '');
  if (r.episodes.length === 0) out.push('No alerts fired.');
  else
    out.push(
      ...table(
        ['SLO', 'Rule', 'Severity', 'Fired', 'Resolved', 'Budget consumed', 'Why'],
        r.episodes.map((e) => [
          e.objective === 'default' || e.objective === '*' ? e.slo : `${e.slo}/${e.objective}`,
          e.rule,
          e.severity,
          iso(e.firedAt),
          e.resolvedAt === null ? 'still firing' : iso(e.resolvedAt),
          e.budgetShare === null ? '—' : pct(e.budgetShare, 1),
          e.reason ?? '—',
        ]),
      ),
    );
  out.push('', '## Policy and alert changes', '');
  if (r.changes.length === 0) out.push('None.');
  else for (const c of r.changes) out.push(`- ${iso(c.at)} ${c.summary} (\`${c.kind}\`, ${c.actor})`);
  return `${out.join('\n')}\n`;
}
