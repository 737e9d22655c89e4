import type { AlertSeverity, AlertStatus, Problem, SilenceState } from './types.ts';

/** Labels, paths and small rules shared by the alert, silence and dead-letter pages. */

export const ALERT_STATUSES = ['triggered', 'acknowledged', 'resolved'] as const satisfies readonly AlertStatus[];
export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const satisfies readonly AlertSeverity[];
export const SILENCE_STATES = ['active', 'pending', 'expired'] as const satisfies readonly SilenceState[];

/** The list's status filter: `open` is triggered or acknowledged. */
export const STATUS_FILTERS = ['open', 'triggered', 'acknowledged', 'resolved', 'all'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

export const STATUS_FILTER_LABELS: Record<StatusFilter, string> = {
  open: 'Open',
  triggered: 'Triggered',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  all: 'All',
};

export const ALERT_STATUS_LABELS: Record<AlertStatus, string> = {
  triggered: 'Triggered',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
};
export const ALERT_STATUS_GLYPHS: Record<AlertStatus, string> = { triggered: '!', acknowledged: '◐', resolved: '✓' };
export const ALERT_STATUS_HINTS: Record<AlertStatus, string> = {
  triggered: 'Firing, and nobody has acknowledged it yet',
  acknowledged: 'Someone is on it',
  resolved: 'Over',
};

export const SEVERITY_LABELS: Record<AlertSeverity, string> = {
  critical: 'Critical',
  error: 'Error',
  warning: 'Warning',
  info: 'Info',
};

export const SILENCE_STATE_LABELS: Record<SilenceState, string> = { active: 'Active', pending: 'Pending', expired: 'Expired' };

/** Durations offered when silencing one alert. */
export const SILENCE_DURATIONS = ['1h', '4h', '8h', '24h', '72h'] as const;

export function isStatusFilter(value: string): value is StatusFilter {
  return (STATUS_FILTERS as readonly string[]).includes(value);
}

export function isAlertStatus(value: string): value is AlertStatus {
  return (ALERT_STATUSES as readonly string[]).includes(value);
}

export function isSeverity(value: string): value is AlertSeverity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export function isSilenceState(value: string): value is SilenceState {
  return (SILENCE_STATES as readonly string[]).includes(value);
}

export const alertPath = (id: string): string => `/alerts/${encodeURIComponent(id)}`;
export const alertApi = (id: string): string => `/api/v1/alerts/${encodeURIComponent(id)}`;
export const silencesPath = '/alerts/silences';

export interface Suppression {
  kind: 'silence' | 'maintenance' | 'inhibited' | 'flapping' | 'other';
  /** The silence id, maintenance window name or inhibiting alert id. */
  ref: string | null;
  text: string;
}

/** `silence:<id>`, `maintenance:<name>`, `inhibited:<alertId>`, `flapping` → words. */
export function describeSuppression(value: string): Suppression {
  const i = value.indexOf(':');
  const head = i < 0 ? value : value.slice(0, i);
  const ref = i < 0 ? null : value.slice(i + 1);
  switch (head) {
    case 'silence':
      return { kind: 'silence', ref, text: 'a silence' };
    case 'maintenance':
      return { kind: 'maintenance', ref, text: ref ? `the maintenance window ${ref}` : 'a maintenance window' };
    case 'inhibited':
      return { kind: 'inhibited', ref, text: 'another alert that inhibits it' };
    case 'flapping':
      return { kind: 'flapping', ref, text: 'flapping: it changes state too often to page on every change' };
    default:
      return { kind: 'other', ref, text: value };
  }
}

/**
 * Which form field a problem's field error belongs to: `body.matchers.1`, `matchers[1]` or
 * `matchers` → `matchers`. Servers name it `path`; `field` is accepted too.
 */
export function fieldOf(issue: { path?: string; field?: string }): string {
  const raw = issue.path ?? issue.field ?? '';
  const parts = raw.split(/[.[\]]/).filter(Boolean);
  if (parts[0] === 'body' || parts[0] === 'querystring' || parts[0] === 'params') parts.shift();
  return parts[0] ?? '';
}

/** The index in a list field (`body.matchers.1` → 1), for "line 2" in messages. */
export function indexOf(issue: { path?: string; field?: string }): number | null {
  const raw = issue.path ?? issue.field ?? '';
  const m = /(?:\.|\[)(\d+)\]?$/.exec(raw);
  return m ? Number(m[1]) : null;
}

/** Field errors of a problem grouped by form field; the rest under `''`. */
export function fieldErrors(problem: Problem, fields: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const issue of (problem.errors ?? []) as Array<{ path?: string; field?: string; message: string }>) {
    const field = fieldOf(issue);
    const key = fields.includes(field) ? field : '';
    const index = indexOf(issue);
    const message = key === 'matchers' && index !== null ? `line ${index + 1}: ${issue.message}` : issue.message;
    const list = out[key] ?? [];
    list.push(key === '' && field ? `${field}: ${message}` : message);
    out[key] = list;
  }
  return out;
}
