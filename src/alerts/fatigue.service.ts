import type { Clock } from '../core/clock.ts';
import { InputError, NotFoundError } from '../core/errors.ts';
import type { Db, Executor } from '../db/database.ts';
import { assertTimeZone, parseLocalDateTime, zonedToUtc } from '../slo/calendar.ts';
import {
  DAY_MS,
  type FatigueAlert,
  type FatigueReport,
  fatigueReport,
  handoffShifts,
  parseHandoffs,
  type ShiftSchedule,
} from './fatigue.ts';

/**
 * Reads what the alert fatigue report needs in two queries: the teams to report on, and every
 * alert triggered in the period with its service, owner team and integration joined in (no
 * query per team or alert). The figures come from the pure `fatigue.ts`.
 */

export const DEFAULT_FATIGUE_DAYS = 28;
/** The longest period one report covers. */
export const MAX_FATIGUE_DAYS = 366;

export interface FatigueQuery {
  /** ISO 8601 instant (`2026-11-01T00:00:00Z`), local date or date-time in `timeZone` (`2026-11-01`), or epoch ms. */
  from?: string;
  /** As `from`; default now. */
  to?: string;
  /** When `from` is not given: the period is the `days` before `to` (default 28). */
  days?: number | string;
  /** Only this team. */
  team?: string;
  /** IANA time zone of shifts, working hours and local dates; default UTC. */
  timeZone?: string;
  /** Local times on-call hands over, comma-separated (`09:00,21:00`); default `08:00,20:00`. */
  handoffs?: string;
}

const ZONED_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** An instant from a query parameter; throws an {@link InputError} naming `field`. */
export function parseInstant(text: string, timeZone: string, field: string): number {
  const t = text.trim();
  if (/^\d{1,15}$/.test(t)) return Number(t);
  if (ZONED_RE.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
    throw InputError.field(field, `"${text}" is not a valid date-time`);
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) {
    throw InputError.field(field, `"${text}" is not a date or date-time such as 2026-11-01 or 2026-11-01T08:00:00Z`);
  }
  return zonedToUtc(parseLocalDateTime(t, field), timeZone);
}

/** The period `[from, to)` a query asks for; throws an {@link InputError} naming the field at fault. */
export function fatiguePeriod(q: FatigueQuery, now: number): { from: number; to: number; timeZone: string } {
  const timeZone = q.timeZone ?? 'UTC';
  assertTimeZone(timeZone, 'timeZone');
  let days = DEFAULT_FATIGUE_DAYS;
  if (q.days !== undefined && q.days !== '') {
    days = Number(q.days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_FATIGUE_DAYS) {
      throw InputError.field('days', `must be a whole number of days from 1 to ${MAX_FATIGUE_DAYS} (got "${q.days}")`);
    }
  }
  const to = q.to ? parseInstant(q.to, timeZone, 'to') : now;
  const from = q.from ? parseInstant(q.from, timeZone, 'from') : to - days * DAY_MS;
  if (from >= to) throw InputError.field('from', 'must be before to');
  if (to - from > MAX_FATIGUE_DAYS * DAY_MS) throw InputError.field('from', `the period may be at most ${MAX_FATIGUE_DAYS} days`);
  return { from, to, timeZone };
}

/** Every alert triggered in `[from, to)`, of one team's services when `teamId` is given. One query. */
export async function fatigueAlerts(ex: Executor, q: { from: number; to: number; teamId?: string }): Promise<FatigueAlert[]> {
  let query = ex
    .selectFrom('alerts as a')
    .innerJoin('catalog_entities as e', 'e.id', 'a.service_id')
    .leftJoin('teams as t', 't.id', 'e.owner_team_id')
    .leftJoin('integrations as i', 'i.id', 'a.integration_id')
    .select([
      'a.id',
      'e.name as service',
      't.name as team',
      'a.origin',
      'i.name as integration',
      'a.dedup_key',
      'a.grp',
      'a.source',
      'a.urgency',
      'a.suppressed_by',
      'a.created_at',
      'a.acknowledged_at',
      'a.acknowledged_by',
      'a.resolved_at',
      'a.resolved_by',
    ])
    .where('a.created_at', '>=', q.from)
    .where('a.created_at', '<', q.to);
  if (q.teamId !== undefined) query = query.where('e.owner_team_id', '=', q.teamId);
  const rows = await query.orderBy('a.created_at').orderBy('a.id').execute();
  return rows.map((r) => ({
    id: r.id,
    service: r.service,
    team: r.team,
    origin: r.origin,
    integration: r.integration,
    dedupKey: r.dedup_key,
    group: r.grp,
    source: r.source,
    urgency: r.urgency === 'low' ? 'low' : 'high',
    suppressedBy: r.suppressed_by,
    createdAt: Number(r.created_at),
    acknowledgedAt: r.acknowledged_at === null ? null : Number(r.acknowledged_at),
    acknowledgedBy: r.acknowledged_by,
    resolvedAt: r.resolved_at === null ? null : Number(r.resolved_at),
    resolvedBy: r.resolved_by,
  }));
}

/** The alert fatigue report of a period (default: the last 28 days), for every team or one. */
export async function fatigueReportOf(
  deps: { db: Db; clock: Clock; shifts?: ShiftSchedule },
  q: FatigueQuery = {},
): Promise<FatigueReport> {
  const now = deps.clock.now();
  const { from, to, timeZone } = fatiguePeriod(q, now);
  // Handoffs asked for win over the schedule the server was given (on-call rotations, later).
  const asked = q.handoffs !== undefined && q.handoffs.trim() !== '';
  const shifts = asked ? handoffShifts(timeZone, parseHandoffs(q.handoffs)) : deps.shifts;
  const ex = deps.db.kysely;
  let teams: Array<{ id: string; name: string; title: string | null }>;
  if (q.team !== undefined) {
    const team = await ex.selectFrom('teams').select(['id', 'name', 'title']).where('name', '=', q.team).executeTakeFirst();
    if (!team) throw new NotFoundError(`no team named "${q.team}"`);
    teams = [team];
  } else {
    // Every team that owns a service, so quiet teams show up with no pages.
    teams = await ex
      .selectFrom('teams')
      .select(['id', 'name', 'title'])
      .where('id', 'in', ex.selectFrom('catalog_entities').select('owner_team_id').where('kind', '=', 'service'))
      .orderBy('name')
      .execute();
  }
  const alerts = await fatigueAlerts(ex, { from, to, teamId: q.team !== undefined ? teams[0]?.id : undefined });
  return fatigueReport({ from, to, timeZone, generatedAt: now, teams, alerts, shifts });
}
