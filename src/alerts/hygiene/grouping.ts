import { z } from 'zod';
import { parseDuration } from '../../core/duration.ts';
import type { FieldIssue } from '../../core/errors.ts';
import type { AlertStatus } from '../alert.model.ts';
import { alertLabels, type LabelledAlert, type Labels, quoteLabelValue } from './labels.ts';
import { inputError, throwIssues, zodIssues } from './validation.ts';

/**
 * Notification grouping with Alertmanager's `group_by`, `group_wait`, `group_interval` and
 * `repeat_interval`, as a deterministic state machine over plain data. The pipeline keeps one
 * {@link GroupingState} per route (in Vigil, per service), stores it as JSON and resumes from it
 * after a restart: every time in it is absolute, so groups whose flush fell during the downtime
 * are simply due at once.
 *
 * The cycle, after `dispatch/dispatch.go` (aggregation groups) and `notify/notify.go`
 * (`DedupStage`, the notification log):
 *
 * 1. {@link onAlert} files a firing or resolved alert into the group of its `group_by` labels. A
 *    new group flushes `group_wait` after its first alert, so alerts that arrive together go out
 *    together.
 * 2. Once it has flushed, a group flushes every `group_interval`, batching whatever changed.
 * 3. At a flush ({@link due}), the group's notification is worked out against the last one sent:
 *    new firing alerts or newly resolved ones make a notification; an unchanged firing group is
 *    re-notified once `repeat_interval` has passed since the last notification; otherwise
 *    nothing is sent.
 * 4. The pipeline sends it and reports back with {@link nextFlush}, which schedules the next
 *    flush, records what the receiver now knows, and forgets resolved alerts that were reported
 *    (or never notified). A group left without alerts is dropped, so a group whose alerts all
 *    resolved sends one resolved notification and is gone.
 *
 * Where Vigil chooses differently from Alertmanager, it says so at the function.
 */

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** How a route groups its alerts and paces notifications. Durations are ms. */
export interface GroupingPolicy {
  /**
   * Labels whose values split alerts into groups. `['...']` groups by all labels (one group
   * per distinct label set); `[]` puts every alert of the route in one group.
   */
  groupBy: string[];
  /** Wait before a new group's first notification, to collect alerts that arrive together. */
  groupWaitMs: number;
  /** Minimum time between two notifications of a group that changed. */
  groupIntervalMs: number;
  /** Time after which an unchanged firing group is notified again. */
  repeatIntervalMs: number;
}

/** Alertmanager's defaults, with one group per service route. */
export const DEFAULT_GROUPING_POLICY: GroupingPolicy = {
  groupBy: [],
  groupWaitMs: 30 * SECOND,
  groupIntervalMs: 5 * MINUTE,
  repeatIntervalMs: 4 * HOUR,
};

/** An alert as grouping sees it. */
export interface GroupedAlert extends LabelledAlert {
  id: string;
  /** Triggered and acknowledged alerts fire; resolved ones do not. */
  status: AlertStatus;
  /** When the alert started (ms). An alert older than `group_wait` flushes a fresh group at once. */
  createdAt?: number;
}

/** An alert in a group. */
export interface GroupMember {
  firing: boolean;
  /** When the alert last changed between firing and resolved in this group (ms). */
  updatedAt: number;
}

/** What the group's receiver was last told: like an entry of Alertmanager's notification log. */
export interface SentNotification {
  /** The flush that sent it (ms). */
  at: number;
  /** The alerts it reported firing, sorted. */
  firing: string[];
}

/** One aggregation group. Plain data. */
export interface GroupState {
  key: string;
  /** The group's `group_by` labels (Alertmanager's `groupLabels`). */
  labels: Record<string, string>;
  /** Alerts by id. */
  alerts: Record<string, GroupMember>;
  /** When the group flushes next (ms). */
  flushAt: number;
  /** Whether the group has flushed once; from then on it flushes every `group_interval`. */
  hasFlushed: boolean;
  lastSent: SentNotification | null;
}

/** The grouping state of one route. Plain data: store it as JSON, resume from it. */
export interface GroupingState {
  /** Identifies the route in group keys, e.g. `service:checkout`. */
  route: string;
  policy: GroupingPolicy;
  groups: Record<string, GroupState>;
}

export type NotifyReason = 'first' | 'new-alerts' | 'resolved-alerts' | 'all-resolved' | 'repeat';

/** A notification to send for a group. Alert ids are sorted. */
export interface GroupNotification {
  groupKey: string;
  groupLabels: Record<string, string>;
  reason: NotifyReason;
  /** Every firing alert of the group: like Alertmanager, a notification shows the whole group. */
  firing: string[];
  /** The firing alerts the receiver has not been told about (a subset of `firing`). */
  newlyFiring: string[];
  /** Alerts the receiver was told were firing that have resolved since. */
  resolved: string[];
}

/** A group whose flush is due: what to send, if anything. */
export interface GroupFlush {
  groupKey: string;
  /** The flush time (the `now` given to {@link due}). */
  at: number;
  /** Null when nothing changed enough to notify; the flush must still be reported. */
  notification: GroupNotification | null;
}

/** The outcome of a flush, reported to {@link nextFlush}. */
export interface FlushEvent extends GroupFlush {
  /** Whether the notification reached the receiver. Ignored when there was none to send. */
  delivered: boolean;
}

/** A fresh state for a route. */
export function initialGroupingState(route: string, policy: GroupingPolicy = DEFAULT_GROUPING_POLICY): GroupingState {
  return { route, policy, groups: {} };
}

/** `{a="1", b="2"}`: names sorted, values quoted and escaped, as Prometheus prints a label set. */
function formatLabelSet(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${quoteLabelValue(labels[n] ?? '')}`).join(', ')}}`;
}

/**
 * The labels that define an alert's group: those named in `groupBy` that the alert has (an
 * alert without a label shares a group with others without it, as in Alertmanager), all of them
 * for `['...']`, none for `[]`.
 */
export function groupLabels(labels: Labels, groupBy: readonly string[]): Record<string, string> {
  if (groupBy.includes('...')) return { ...labels };
  return Object.fromEntries(groupBy.filter((name) => Object.hasOwn(labels, name)).map((name) => [name, labels[name] ?? '']));
}

/**
 * The key of the group an alert with `labels` belongs to on `route`: `route:{a="1", b="2"}`, the
 * form of Alertmanager's group keys (`{}:{alertname="x"}`). Equal keys, same group.
 */
export function groupKey(labels: Labels, groupBy: readonly string[], route = ''): string {
  return `${route}:${formatLabelSet(groupLabels(labels, groupBy))}`;
}

/** The group's record of an alert; own keys only, so an id such as `constructor` is just an id. */
function memberOf(group: GroupState, id: string): GroupMember | undefined {
  return Object.hasOwn(group.alerts, id) ? group.alerts[id] : undefined;
}

function setMember(group: GroupState, id: string, member: GroupMember): GroupState {
  return { ...group, alerts: { ...group.alerts, [id]: member } };
}

/**
 * Files an alert (new, changed or resolved) into its group at `now` and returns the new state;
 * the input is not modified.
 *
 * - A firing alert creates its group when there is none; the group flushes at `now + group_wait`,
 *   or at once when the alert started more than `group_wait` ago and the group has not flushed
 *   yet (Alertmanager's `aggrGroup.insert`).
 * - A resolved alert is marked resolved in its group; a resolved alert the route never saw
 *   firing is ignored, since nobody was told about it.
 * - Repeating an alert's current status changes nothing.
 * - An alert whose labels changed so that it belongs to another group leaves its old group as
 *   resolved: to Alertmanager, a different label set is a different alert, and the old one ended.
 */
export function onAlert(state: GroupingState, alert: GroupedAlert, now: number): GroupingState {
  const { policy } = state;
  const labels = alertLabels(alert);
  const key = groupKey(labels, policy.groupBy, state.route);
  const firing = alert.status !== 'resolved';
  const groups = { ...state.groups };
  let changed = false;

  for (const [k, g] of Object.entries(groups)) {
    if (k !== key && memberOf(g, alert.id)?.firing) {
      groups[k] = setMember(g, alert.id, { firing: false, updatedAt: now });
      changed = true;
    }
  }

  const startedLongAgo = alert.createdAt !== undefined && alert.createdAt + policy.groupWaitMs < now;
  const group = groups[key];
  if (!group) {
    if (!firing) return changed ? { ...state, groups } : state;
    groups[key] = {
      key,
      labels: groupLabels(labels, policy.groupBy),
      alerts: { [alert.id]: { firing: true, updatedAt: now } },
      flushAt: startedLongAgo ? now : now + policy.groupWaitMs,
      hasFlushed: false,
      lastSent: null,
    };
    return { ...state, groups };
  }
  const member = memberOf(group, alert.id);
  if ((!member && !firing) || member?.firing === firing) return changed ? { ...state, groups } : state;
  const updated = setMember(group, alert.id, { firing, updatedAt: now });
  groups[key] =
    !updated.hasFlushed && startedLongAgo && firing ? { ...updated, flushAt: Math.min(updated.flushAt, now) } : updated;
  return { ...state, groups };
}

/** The earliest time a group is due, for the pipeline's timer; null when there is no group. */
export function nextFlushAt(state: GroupingState): number | null {
  let next: number | null = null;
  for (const g of Object.values(state.groups)) if (next === null || g.flushAt < next) next = g.flushAt;
  return next;
}

/**
 * What a group's flush at `now` sends, after Alertmanager's `DedupStage.needsUpdate` with
 * `send_resolved: true`:
 * - `first`: the group has never notified (or only of a resolution) and has firing alerts;
 * - `new-alerts`: some firing alert was not in the last notification;
 * - `all-resolved`: nothing fires any more but the last notification reported firing alerts;
 * - `resolved-alerts`: some alert reported firing has resolved, others still fire;
 * - `repeat`: nothing changed and `repeat_interval` has passed since the last notification
 *   (measured between flush times, so repeats land on the group's flush ticks);
 * - otherwise nothing.
 *
 * Unlike Alertmanager, which lists every resolved alert of the group, `resolved` holds only the
 * alerts the receiver was told were firing: an alert that fired and resolved between two flushes
 * is never mentioned, as Alertmanager already does when it is the only one.
 */
function notificationOf(group: GroupState, now: number, policy: GroupingPolicy): GroupNotification | null {
  const ids = Object.keys(group.alerts).sort();
  const firing = ids.filter((id) => memberOf(group, id)?.firing);
  const told = group.lastSent?.firing ?? [];
  const toldSet = new Set(told);
  const newlyFiring = firing.filter((id) => !toldSet.has(id));
  const resolved = told.filter((id) => memberOf(group, id)?.firing === false);
  let reason: NotifyReason | null = null;
  if (group.lastSent === null || told.length === 0) reason = firing.length > 0 ? 'first' : null;
  else if (newlyFiring.length > 0) reason = 'new-alerts';
  else if (firing.length === 0) reason = 'all-resolved';
  else if (resolved.length > 0) reason = 'resolved-alerts';
  else if (now - group.lastSent.at >= policy.repeatIntervalMs) reason = 'repeat';
  if (reason === null) return null;
  return { groupKey: group.key, groupLabels: { ...group.labels }, reason, firing, newlyFiring, resolved };
}

/**
 * The groups whose flush is due at `now` (their `flushAt` has come), earliest first, each with
 * the notification to send or null. Pure: the state does not change until each flush is
 * reported to {@link nextFlush}, which the pipeline must do for every group listed, with or
 * without a notification, or the group stays due.
 */
export function due(state: GroupingState, now: number): GroupFlush[] {
  return Object.values(state.groups)
    .filter((g) => g.flushAt <= now)
    .sort((a, b) => a.flushAt - b.flushAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((g) => ({ groupKey: g.key, at: now, notification: notificationOf(g, now, state.policy) }));
}

/**
 * Records a flush's outcome and schedules the group's next flush `group_interval` after the
 * flush time (`event.at`, however long the sending took); as in Alertmanager the timer restarts
 * whether or not anything was sent or delivered.
 *
 * - Delivered (or nothing to send): the notification becomes what the receiver knows, and
 *   resolved alerts not changed since the flush are forgotten (Alertmanager's
 *   `DeleteIfNotModified`, so an alert that fired again while the notification was out is kept).
 *   A group left empty is dropped.
 * - Not delivered: nothing is forgotten, and the next flush works the notification out again
 *   with whatever changed meanwhile.
 *
 * A flush for a group that no longer exists changes nothing.
 */
export function nextFlush(state: GroupingState, event: FlushEvent): GroupingState {
  const group = state.groups[event.groupKey];
  if (!group) return state;
  const groups = { ...state.groups };
  const flushAt = event.at + state.policy.groupIntervalMs;
  const done = event.notification === null || event.delivered;
  if (!done) {
    groups[event.groupKey] = { ...group, flushAt, hasFlushed: true };
    return { ...state, groups };
  }
  const alerts: Record<string, GroupMember> = Object.fromEntries(
    Object.entries(group.alerts).filter(([, member]) => member.firing || member.updatedAt > event.at),
  );
  if (Object.keys(alerts).length === 0) {
    delete groups[event.groupKey];
    return { ...state, groups };
  }
  const lastSent = event.notification ? { at: event.at, firing: [...event.notification.firing] } : group.lastSent;
  groups[event.groupKey] = { ...group, alerts, flushAt, hasFlushed: true, lastSent };
  return { ...state, groups };
}

/**
 * Flushes every group due at `now` as if each notification were delivered, and returns the
 * notifications with the new state: {@link due} then {@link nextFlush} for a pipeline whose
 * sends cannot fail, and for tests.
 */
export function flushDue(state: GroupingState, now: number): { state: GroupingState; notifications: GroupNotification[] } {
  let next = state;
  const notifications: GroupNotification[] = [];
  for (const flush of due(state, now)) {
    if (flush.notification) notifications.push(flush.notification);
    next = nextFlush(next, { ...flush, delivered: true });
  }
  return { state: next, notifications };
}

/** A route's grouping as written in configuration; durations as `30s`, `5m`, `4h`. */
export const GroupingPolicyInput = z.object({
  groupBy: z.array(z.string().min(1, 'a label name is required')).default([]),
  groupWait: z.string().default('30s'),
  groupInterval: z.string().default('5m'),
  repeatInterval: z.string().default('4h'),
});
export type GroupingPolicyInput = z.input<typeof GroupingPolicyInput>;

/**
 * Validates a grouping policy. As in Alertmanager, `...` must stand alone in `groupBy`, and
 * `groupInterval` and `repeatInterval` must be longer than zero (`groupWait` may be zero).
 * Throws one {@link InputError} listing every problem.
 */
export function parseGroupingPolicy(input: unknown, field = 'grouping'): GroupingPolicy {
  const parsed = GroupingPolicyInput.safeParse(input ?? {});
  if (!parsed.success) throw inputError(zodIssues(parsed.error, field));
  const spec = parsed.data;
  const issues: FieldIssue[] = [];
  const duration = (name: 'groupWait' | 'groupInterval' | 'repeatInterval', positive: boolean): number => {
    const path = `${field}.${name}`;
    try {
      const ms = parseDuration(spec[name], path);
      if (positive && ms <= 0) issues.push({ path, message: 'must be longer than zero' });
      return ms;
    } catch {
      issues.push({ path, message: `"${spec[name]}" is not a duration (examples: 30s, 5m, 4h)` });
      return 0;
    }
  };
  if (spec.groupBy.includes('...') && spec.groupBy.length > 1) {
    issues.push({ path: `${field}.groupBy`, message: '"..." groups by all labels and cannot be combined with others' });
  }
  const policy: GroupingPolicy = {
    groupBy: [...new Set(spec.groupBy)],
    groupWaitMs: duration('groupWait', false),
    groupIntervalMs: duration('groupInterval', true),
    repeatIntervalMs: duration('repeatInterval', true),
  };
  throwIssues(issues);
  return policy;
}
