import { InputError } from '../core/errors.ts';
import { addLocalDays, type LocalDateTime, utcToZoned, zonedToUtc } from '../slo/calendar.ts';
import { DEFAULT_WORKING_HOURS, isWorkingTime, type WorkingHours } from './hygiene/urgency.ts';

/**
 * The alert fatigue report: how often each team is paged, per on-call shift, how much of it at
 * night or at the weekend, how much of it anybody acted on, and which sources page the most for
 * nothing. Pure: it takes the alerts of a period and returns the report (see `docs/alerting.md`,
 * "Alert fatigue report", for the definitions).
 *
 * - A **page** is an alert triggered in the period that was not suppressed (`suppressedBy` null).
 * - A page is **acknowledged** when a person acknowledged it: not Vigil itself (`system:…`) nor
 *   the sending tool (`integration:…`).
 * - A page is **noise** when it was resolved without any human action: no person acknowledged it
 *   and it was resolved by Vigil or the sending tool. How long it was open does not matter; the
 *   noise that went away within {@link TRANSIENT_MS} is also counted as `transient`.
 * - **Shifts** come from a {@link ShiftSchedule}; until on-call rotations exist, every team has
 *   the same shifts between fixed daily handoff times ({@link handoffShifts}), by default 12-hour
 *   day and night shifts 08:00–20:00 and 20:00–08:00.
 * - A shift is **flagged** when it has more than {@link PAGES_PER_12H_LIMIT} pages per 12 hours
 *   of its length (an 8-hour shift with 2 pages is 3 per 12 h); a team, when its pages over the
 *   period average more than that per 12 hours.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** A team is flagged when its shifts average more than this many pages per 12 hours; a shift, when it has more. */
export const PAGES_PER_12H_LIMIT = 2;
/** Noise resolved within this long of being triggered is also counted as transient. */
export const TRANSIENT_MS = 5 * 60_000;
/** How many of the noisiest sources the report lists (overall and per team). */
export const TOP_SOURCES = 10;

/** What the report needs of an alert (one row of `alerts`, with its service, team and integration named). */
export interface FatigueAlert {
  id: string;
  service: string;
  /** Owner team of the service; null when the service has none. */
  team: string | null;
  origin: string;
  /** Name of the integration it came through, if any. */
  integration: string | null;
  dedupKey: string;
  /** `alerts.grp`: Alertmanager's `alertname`, or the Events API `group`. */
  group: string | null;
  /** `alerts.source`: the host or instance the sender named. */
  source: string | null;
  urgency: 'high' | 'low';
  suppressedBy: string | null;
  createdAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  resolvedAt: number | null;
  resolvedBy: string | null;
}

// ---------------------------------------------------------------------------------------------
// Shifts

export interface Shift {
  /** The shift as it falls inside the report's period: `[start, end)`. */
  start: number;
  end: number;
  /** `day` when the shift starts from 06:00 to before 18:00 local time, else `night`. */
  kind: 'day' | 'night';
  /**
   * With the default handoffs `2026-03-01 day`, `2026-03-01 night` (a night is named by the
   * evening it starts); with others the local date it starts and its hours, `2026-03-01 09:00–21:00`.
   */
  label: string;
  /** True when the period cuts the shift short. */
  partial: boolean;
  /** The whole shift's length in ms, even when the period cuts it short; default `end - start`. */
  length?: number;
}

/**
 * Who is on call when. On-call rotations will provide their own; until then every team has the
 * same shifts between fixed daily handoffs ({@link handoffShifts}).
 */
export interface ShiftSchedule {
  readonly name: string;
  /** The local handoff times the shifts start at, when the schedule has fixed daily ones. */
  readonly handoffs?: readonly string[];
  /** The shifts of `team` that overlap `[from, to)`, in order, clipped to it and covering it without gaps. */
  shifts(team: string | null, from: number, to: number): Shift[];
}

/** Day shifts 08:00–20:00 and night shifts 20:00–08:00. */
export const DEFAULT_HANDOFFS: readonly string[] = Object.freeze(['08:00', '20:00']);
/** The most handoffs a day: six four-hour shifts. */
export const MAX_HANDOFFS = 6;
const HANDOFF_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmm = (minutes: number): string =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * The handoff times of a query or option: a comma-separated list (`09:00,21:00`) or an array of
 * 1 to {@link MAX_HANDOFFS} distinct local times `HH:MM` (24-hour), returned in time-of-day order.
 * Empty or missing: {@link DEFAULT_HANDOFFS}. Throws an {@link InputError} naming `field`.
 */
export function parseHandoffs(input: string | readonly string[] | undefined | null, field = 'handoffs'): string[] {
  if (input === undefined || input === null) return [...DEFAULT_HANDOFFS];
  const items = (typeof input === 'string' ? input.split(',') : [...input]).map((x) => x.trim());
  if (items.length === 1 && items[0] === '') return [...DEFAULT_HANDOFFS];
  if (items.length === 0) throw InputError.field(field, 'give at least one handoff time HH:MM, e.g. 09:00');
  const seen = new Set<string>();
  for (const item of items) {
    if (!HANDOFF_RE.test(item)) {
      throw InputError.field(field, `"${item}" is not a time of day HH:MM (24-hour), e.g. 09:00 or 21:30`);
    }
    if (seen.has(item)) throw InputError.field(field, `${item} is given twice; handoff times must differ`);
    seen.add(item);
  }
  if (items.length > MAX_HANDOFFS) {
    throw InputError.field(field, `at most ${MAX_HANDOFFS} handoff times a day (got ${items.length})`);
  }
  return items.sort((a, b) => minutesOf(a) - minutesOf(b));
}

const isDefaultHandoffs = (handoffs: readonly string[]): boolean =>
  handoffs.length === DEFAULT_HANDOFFS.length && handoffs.every((h, i) => h === DEFAULT_HANDOFFS[i]);

function localDate(t: LocalDateTime): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}`;
}

/** A schedule's name: `12-hour shifts (day 08:00–20:00, night 20:00–08:00, UTC)`, `3 shifts a day (…)`. */
function scheduleName(handoffs: readonly string[], timeZone: string): string {
  if (isDefaultHandoffs(handoffs)) return `12-hour shifts (day 08:00–20:00, night 20:00–08:00, ${timeZone})`;
  const n = handoffs.length;
  const spans = handoffs.map((h, i) => `${h}–${handoffs[(i + 1) % n]}`);
  const gaps = handoffs.map((h, i) => (minutesOf(handoffs[(i + 1) % n] as string) - minutesOf(h) + 1440) % 1440 || 1440);
  const even = gaps.every((g) => g === gaps[0]);
  const kind = even ? `${Number(((gaps[0] as number) / 60).toFixed(2))}-hour shifts` : `${n} shifts a day`;
  return `${kind} (${spans.join(', ')}, ${timeZone})`;
}

/**
 * Shifts from each handoff to the next in `timeZone`, every day: with `08:00,20:00` (the default)
 * day shifts 08:00–20:00 and night shifts 20:00–08:00; with `09:00` one 24-hour shift. The
 * handoffs are local times, so across a daylight-saving change the shift that spans it is an hour
 * shorter or longer (a handoff in the skipped hour moves forward by the gap); shifts are cut at
 * `from` and `to`. Throws an {@link InputError} for bad handoffs (see {@link parseHandoffs}).
 */
export function handoffShifts(timeZone: string, handoffs: readonly string[] = DEFAULT_HANDOFFS): ShiftSchedule {
  const list = parseHandoffs(handoffs);
  const minutes = list.map(minutesOf);
  const labelled = isDefaultHandoffs(list);
  const kindOf = (m: number): 'day' | 'night' => (m >= 6 * 60 && m < 18 * 60 ? 'day' : 'night');
  return {
    name: scheduleName(list, timeZone),
    handoffs: list,
    shifts(_team, from, to) {
      const out: Shift[] = [];
      if (!(to > from)) return out;
      const first = utcToZoned(from, timeZone);
      // Start the day before: the last shift that started then may still run at `from`.
      let day: LocalDateTime = addLocalDays({ ...first, hour: 0, minute: 0, second: 0, millisecond: 0 }, -1);
      const at = (d: LocalDateTime, m: number) =>
        zonedToUtc({ ...d, hour: Math.floor(m / 60), minute: m % 60, second: 0, millisecond: 0 }, timeZone);
      for (let guard = 0; guard < 100_000; guard++) {
        const next = addLocalDays(day, 1);
        for (let i = 0; i < minutes.length; i++) {
          const m = minutes[i] as number;
          const s = at(day, m);
          const e = i + 1 < minutes.length ? at(day, minutes[i + 1] as number) : at(next, minutes[0] as number);
          if (e <= from || s >= to || e <= s) continue;
          const start = Math.max(s, from);
          const end = Math.min(e, to);
          const endsAt = minutes[(i + 1) % minutes.length] as number;
          const kind = kindOf(m);
          const label = labelled ? `${localDate(day)} ${kind}` : `${localDate(day)} ${hhmm(m)}–${hhmm(endsAt)}`;
          out.push({ start, end, kind, label, partial: start !== s || end !== e, length: e - s });
        }
        if (at(next, minutes[0] as number) >= to) break;
        day = next;
      }
      return out;
    },
  };
}

/**
 * Day shifts 08:00–20:00 and night shifts 20:00–08:00 in `timeZone`. Across a daylight-saving
 * change a night is 11 or 13 hours long; shifts are cut at `from` and `to`.
 */
export function twelveHourShifts(timeZone: string): ShiftSchedule {
  return handoffShifts(timeZone, DEFAULT_HANDOFFS);
}

// ---------------------------------------------------------------------------------------------
// Classification

/** A person acted: not Vigil itself (`system:…`) and not the sending tool (`integration:…`). */
export function isPerson(actor: string | null): boolean {
  return actor !== null && actor !== '' && !actor.startsWith('system:') && !actor.startsWith('integration:');
}

export function isPage(a: FatigueAlert): boolean {
  return a.suppressedBy === null;
}

export function isAcknowledged(a: FatigueAlert): boolean {
  return a.acknowledgedAt !== null && isPerson(a.acknowledgedBy);
}

/** Resolved without any human action: nobody acknowledged it and Vigil or the sender resolved it. */
export function isNoise(a: FatigueAlert): boolean {
  return a.resolvedAt !== null && !isAcknowledged(a) && !isPerson(a.resolvedBy);
}

// A trailing segment that looks generated: a number, a UUID, or a hex id with a digit in it.
const GENERATED_TAIL =
  /(^|[:/._|#-])(\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?=[0-9a-f]*\d)[0-9a-f]{8,})$/i;

/**
 * A dedup key without its generated tail: `disk-full:node-12` → `disk-full:node`,
 * `checkout/5xx` stays. Empty for keys that are generated through and through.
 */
export function dedupPrefix(key: string): string {
  let k = key.trim();
  for (let i = 0; i < 8; i++) {
    const m = GENERATED_TAIL.exec(k);
    if (!m) break;
    k = k.slice(0, m.index);
  }
  return k;
}

/**
 * Where a page comes from, coarse enough that its repeats add up: the integration it came
 * through (or Vigil's own origin: `slo`, `probe`, `heartbeat`) and what fired: Alertmanager's
 * alert name, else the dedup key without its generated tail, else the sender's source.
 */
export function sourceOf(a: FatigueAlert): { via: string; key: string } {
  const via = a.integration ?? a.origin;
  const key =
    (a.origin === 'alertmanager' && a.group ? a.group : '') || dedupPrefix(a.dedupKey) || a.source || '(generated dedup key)';
  return { via, key };
}

// ---------------------------------------------------------------------------------------------
// The report

export interface FatigueCounts {
  /** Alerts triggered in the period, suppressed or not. */
  alerts: number;
  suppressed: number;
  pages: number;
  highUrgency: number;
  outsideWorkingHours: number;
  acknowledged: number;
  noise: number;
  /** Noise that resolved itself within five minutes. */
  transient: number;
  /** Pages not resolved yet. */
  open: number;
  /** Shares of `pages`, rounded to 4 decimals; null without pages. */
  outsideWorkingHoursShare: number | null;
  acknowledgedShare: number | null;
  noiseShare: number | null;
}

export interface ShiftFatigue extends Shift {
  pages: number;
  outsideWorkingHours: number;
  acknowledged: number;
  noise: number;
  /** The whole shift's length in hours (2 decimals), even when the period cuts it short. */
  hours: number;
  /** Pages per 12 hours of the whole shift's length: `pages × 12 h / length`, rounded to 2 decimals. */
  pagesPer12h: number;
  /** More than {@link PAGES_PER_12H_LIMIT} pages per 12 hours of the shift's length. */
  flagged: boolean;
}

export interface SourceFatigue {
  service: string;
  team: string | null;
  via: string;
  key: string;
  pages: number;
  acknowledged: number;
  noise: number;
  noiseShare: number;
  outsideWorkingHours: number;
  lastAt: number;
}

export interface TeamFatigue extends FatigueCounts {
  /** Null for the pages of services without an owner. */
  team: string | null;
  title: string | null;
  shiftCount: number;
  /** Hours the shifts cover (the period's length). */
  hours: number;
  /** Pages per 12 hours on call, rounded to 2 decimals. */
  pagesPer12h: number;
  maxShiftPages: number;
  /** Shifts average more than {@link PAGES_PER_12H_LIMIT} pages per 12 hours. */
  flagged: boolean;
  flaggedShifts: number;
  shifts: ShiftFatigue[];
  sources: SourceFatigue[];
}

export interface FatigueReport {
  from: number;
  to: number;
  timeZone: string;
  generatedAt: number;
  workingHours: WorkingHours;
  shiftSchedule: string;
  /** The local handoff times of the shifts (`["08:00", "20:00"]`); null for a schedule without fixed ones. */
  handoffs: string[] | null;
  limitPagesPer12h: number;
  totals: FatigueCounts & { teams: number; flaggedTeams: number; flaggedShifts: number };
  teams: TeamFatigue[];
  /** The noisiest sources overall: most pages first, then most noise. */
  sources: SourceFatigue[];
}

export interface FatigueInput {
  from: number;
  to: number;
  timeZone: string;
  generatedAt: number;
  /** Teams to report even when they had no alerts (their titles, too). */
  teams: ReadonlyArray<{ name: string; title: string | null }>;
  alerts: readonly FatigueAlert[];
  /** Default: {@link handoffShifts} of `handoffs` in `timeZone`. */
  shifts?: ShiftSchedule;
  /** Local handoff times when `shifts` is not given; default {@link DEFAULT_HANDOFFS}. */
  handoffs?: readonly string[];
  /** Default: {@link DEFAULT_WORKING_HOURS} in `timeZone`. */
  workingHours?: WorkingHours;
}

const share = (n: number, of: number): number | null => (of > 0 ? round(n / of, 4) : null);
const round = (x: number, decimals: number): number => Number(x.toFixed(decimals));
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Classified {
  alert: FatigueAlert;
  page: boolean;
  acknowledged: boolean;
  noise: boolean;
  outside: boolean;
}

function counts(items: readonly Classified[]): FatigueCounts {
  let suppressed = 0;
  let pages = 0;
  let highUrgency = 0;
  let outside = 0;
  let acknowledged = 0;
  let noise = 0;
  let transient = 0;
  let open = 0;
  for (const c of items) {
    if (!c.page) {
      suppressed++;
      continue;
    }
    pages++;
    if (c.alert.urgency === 'high') highUrgency++;
    if (c.outside) outside++;
    if (c.acknowledged) acknowledged++;
    if (c.noise) {
      noise++;
      if ((c.alert.resolvedAt ?? 0) - c.alert.createdAt < TRANSIENT_MS) transient++;
    }
    if (c.alert.resolvedAt === null) open++;
  }
  return {
    alerts: items.length,
    suppressed,
    pages,
    highUrgency,
    outsideWorkingHours: outside,
    acknowledged,
    noise,
    transient,
    open,
    outsideWorkingHoursShare: share(outside, pages),
    acknowledgedShare: share(acknowledged, pages),
    noiseShare: share(noise, pages),
  };
}

function topSources(pages: readonly Classified[]): SourceFatigue[] {
  const by = new Map<string, SourceFatigue>();
  for (const c of pages) {
    const { via, key } = sourceOf(c.alert);
    const id = JSON.stringify([c.alert.service, via, key]);
    let s = by.get(id);
    if (!s) {
      s = {
        service: c.alert.service,
        team: c.alert.team,
        via,
        key,
        pages: 0,
        acknowledged: 0,
        noise: 0,
        noiseShare: 0,
        outsideWorkingHours: 0,
        lastAt: c.alert.createdAt,
      };
      by.set(id, s);
    }
    s.pages++;
    if (c.acknowledged) s.acknowledged++;
    if (c.noise) s.noise++;
    if (c.outside) s.outsideWorkingHours++;
    s.lastAt = Math.max(s.lastAt, c.alert.createdAt);
  }
  const list = [...by.values()];
  for (const s of list) s.noiseShare = round(s.noise / s.pages, 4);
  return list
    .sort((a, b) => b.pages - a.pages || b.noise - a.noise || cmp(a.service, b.service) || cmp(a.via, b.via) || cmp(a.key, b.key))
    .slice(0, TOP_SOURCES);
}

/** Index of the shift holding `at` (shifts are sorted and contiguous), or -1. */
function shiftIndex(shifts: readonly Shift[], at: number): number {
  let lo = 0;
  let hi = shifts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = shifts[mid] as Shift;
    if (at < s.start) hi = mid - 1;
    else if (at >= s.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

function teamFatigue(
  team: string | null,
  title: string | null,
  items: readonly Classified[],
  input: FatigueInput,
  schedule: ShiftSchedule,
): TeamFatigue {
  const shifts: ShiftFatigue[] = schedule.shifts(team, input.from, input.to).map((s) => ({
    ...s,
    length: s.length ?? s.end - s.start,
    pages: 0,
    outsideWorkingHours: 0,
    acknowledged: 0,
    noise: 0,
    hours: 0,
    pagesPer12h: 0,
    flagged: false,
  }));
  const pages = items.filter((c) => c.page);
  for (const c of pages) {
    const s = shifts[shiftIndex(shifts, c.alert.createdAt)];
    if (!s) continue;
    s.pages++;
    if (c.outside) s.outsideWorkingHours++;
    if (c.acknowledged) s.acknowledged++;
    if (c.noise) s.noise++;
  }
  for (const s of shifts) {
    const length = s.length ?? s.end - s.start;
    const per12h = length > 0 ? (s.pages * 12 * HOUR_MS) / length : 0;
    s.hours = round(length / HOUR_MS, 2);
    s.pagesPer12h = round(per12h, 2);
    s.flagged = per12h > PAGES_PER_12H_LIMIT;
  }
  const covered = shifts.reduce((ms, s) => ms + (s.end - s.start), 0);
  const per12h = covered > 0 ? (pages.length * 12 * HOUR_MS) / covered : 0;
  return {
    team,
    title,
    ...counts(items),
    shiftCount: shifts.length,
    hours: round(covered / HOUR_MS, 2),
    pagesPer12h: round(per12h, 2),
    maxShiftPages: shifts.reduce((m, s) => Math.max(m, s.pages), 0),
    flagged: per12h > PAGES_PER_12H_LIMIT,
    flaggedShifts: shifts.filter((s) => s.flagged).length,
    shifts,
    sources: topSources(pages),
  };
}

/** The report over `[from, to)`: alerts triggered outside it are ignored. */
export function fatigueReport(input: FatigueInput): FatigueReport {
  const workingHours = input.workingHours ?? { ...DEFAULT_WORKING_HOURS, timeZone: input.timeZone };
  const schedule = input.shifts ?? handoffShifts(input.timeZone, input.handoffs ?? DEFAULT_HANDOFFS);
  const classified: Classified[] = input.alerts
    .filter((a) => a.createdAt >= input.from && a.createdAt < input.to)
    .map((alert) => ({
      alert,
      page: isPage(alert),
      acknowledged: isAcknowledged(alert),
      noise: isNoise(alert),
      outside: !isWorkingTime(workingHours, alert.createdAt),
    }));

  const byTeam = new Map<string | null, Classified[]>();
  const titles = new Map<string | null, string | null>();
  for (const t of input.teams) {
    byTeam.set(t.name, []);
    titles.set(t.name, t.title);
  }
  for (const c of classified) {
    const list = byTeam.get(c.alert.team);
    if (list) list.push(c);
    else byTeam.set(c.alert.team, [c]);
  }
  const teams = [...byTeam.entries()]
    .map(([team, items]) => teamFatigue(team, titles.get(team) ?? null, items, input, schedule))
    .sort(
      (a, b) =>
        b.pagesPer12h - a.pagesPer12h || b.pages - a.pages || (a.team === null ? 1 : b.team === null ? -1 : cmp(a.team, b.team)),
    );
  return {
    from: input.from,
    to: input.to,
    timeZone: input.timeZone,
    generatedAt: input.generatedAt,
    workingHours,
    shiftSchedule: schedule.name,
    handoffs: schedule.handoffs ? [...schedule.handoffs] : null,
    limitPagesPer12h: PAGES_PER_12H_LIMIT,
    totals: {
      ...counts(classified),
      teams: teams.length,
      flaggedTeams: teams.filter((t) => t.flagged).length,
      flaggedShifts: teams.reduce((n, t) => n + t.flaggedShifts, 0),
    },
    teams,
    sources: topSources(classified.filter((c) => c.page)),
  };
}
