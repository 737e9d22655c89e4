import { z } from 'zod';
import type { FieldIssue } from '../../core/errors.ts';
import { isTimeZone } from '../../slo/calendar.ts';
import { occurrences, parseRRule } from '../../slo/rrule.ts';
import { inputError, issuesOf, throwIssues, zodIssues } from './validation.ts';

/**
 * Maintenance windows for alerting: planned work on a service during which its alerts are
 * expected. Alerts raised in a window are kept (they show in the service's history and still
 * count for its SLOs) but nobody is notified about them.
 *
 * A window is one-off (`[start, end)`) or recurring: an RFC 5545 RRULE such as
 * `FREQ=WEEKLY;BYDAY=SU`, each occurrence `durationMs` long, expanded by `slo/rrule.ts`, the same
 * code that excludes maintenance from SLOs. Recurrences keep the wall-clock time of `start` in
 * `timeZone`, so a Sunday 02:00 window in Europe/Berlin stays at 02:00 across daylight-saving
 * changes.
 */

export interface OneOffMaintenance {
  id: string;
  /** Names of the services it covers. */
  services: string[];
  /** `[start, end)`, ms since the epoch. */
  start: number;
  end: number;
}

export interface RecurringMaintenance {
  id: string;
  services: string[];
  /** The first occurrence's start (RFC 5545 DTSTART), ms since the epoch. */
  start: number;
  durationMs: number;
  /** e.g. `FREQ=WEEKLY;BYDAY=SU` (FREQ=DAILY|WEEKLY|MONTHLY, see `slo/rrule.ts`). */
  rrule: string;
  /** IANA zone the recurrence keeps its wall-clock time in; UTC when absent. */
  timeZone?: string;
}

export type MaintenanceWindow = OneOffMaintenance | RecurringMaintenance;

function isRecurring(w: MaintenanceWindow): w is RecurringMaintenance {
  return 'rrule' in w && typeof w.rrule === 'string';
}

/**
 * The occurrence of `window` that `at` falls in, `[start, end)`, or null. Throws an
 * {@link InputError} naming `rrule` for a recurring window whose rule is invalid.
 */
export function maintenanceOccurrence(window: MaintenanceWindow, at: number): { start: number; end: number } | null {
  if (!isRecurring(window)) return window.start <= at && at < window.end ? { start: window.start, end: window.end } : null;
  const zone = { timeZone: window.timeZone ?? 'UTC' };
  // Occurrences overlapping [at, at + 1) are exactly those with start <= at < end.
  return occurrences(window.rrule, window.start, window.durationMs, at, at + 1, zone)[0] ?? null;
}

/**
 * The first window (in the order given) that covers `service` at `at`, or null when the service
 * is not in maintenance then. Alerts raised while it is are stored but not notified.
 */
export function inMaintenance(windows: Iterable<MaintenanceWindow>, service: string, at: number): MaintenanceWindow | null {
  for (const w of windows) {
    if (w.services.includes(service) && maintenanceOccurrence(w, at) !== null) return w;
  }
  return null;
}

const Services = z.array(z.string().trim().min(1, 'a service name is required')).min(1, 'at least one service is required');

export const MaintenanceWindowSchema = z.union([
  z.strictObject({
    id: z.string().min(1),
    services: Services,
    start: z.number(),
    durationMs: z.number().positive('must be longer than zero'),
    rrule: z.string().min(1).max(500),
    timeZone: z.string().refine(isTimeZone, 'is not an IANA time zone (e.g. Europe/Berlin, UTC)').optional(),
  }),
  z.strictObject({
    id: z.string().min(1),
    services: Services,
    start: z.number(),
    end: z.number(),
  }),
]);

/**
 * Validates a maintenance window: at least one service, a one-off window that ends after it
 * starts, or a recurring one with a valid RRULE, a positive duration and a known time zone.
 * Throws one {@link InputError} naming each bad field (`maintenance.rrule`).
 */
export function parseMaintenanceWindow(input: unknown, field = 'maintenance'): MaintenanceWindow {
  const parsed = MaintenanceWindowSchema.safeParse(input);
  if (!parsed.success) {
    // For a union, zod reports each branch's issues; the branch the input aimed at is the one to show.
    const recurring = typeof input === 'object' && input !== null && 'rrule' in input;
    const branch = parsed.error.issues.find((i) => i.code === 'invalid_union');
    const errors = branch && 'errors' in branch ? branch.errors[recurring ? 0 : 1] : undefined;
    if (errors) {
      throw inputError(zodIssues(new z.ZodError(errors), field));
    }
    throw inputError(zodIssues(parsed.error, field));
  }
  const w = parsed.data;
  const issues: FieldIssue[] = [];
  if ('end' in w && w.end <= w.start) issues.push({ path: `${field}.end`, message: 'must be after start' });
  if ('rrule' in w) {
    try {
      parseRRule(w.rrule);
    } catch (error) {
      issues.push(...issuesOf(error).map((i) => ({ ...i, path: `${field}.${i.path}` })));
    }
  }
  throwIssues(issues);
  return w;
}
