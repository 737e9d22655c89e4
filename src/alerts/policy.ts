import { z } from 'zod';
import { formatDuration, parseDuration } from '../core/duration.ts';
import type { FieldIssue } from '../core/errors.ts';
import type { Executor } from '../db/database.ts';
import { fromJson } from '../db/json.ts';
import {
  DEFAULT_FLAPPING,
  DEFAULT_INHIBIT_RULES,
  DEFAULT_WORKING_HOURS,
  type FlappingOptions,
  formatMatcher,
  type GroupingPolicy,
  type InhibitRule,
  parseGroupingPolicy,
  parseInhibitRules,
  parseWorkingHours,
  type UrgencyOverrides,
  UrgencyOverridesSchema,
  type WorkingHours,
} from './hygiene/index.ts';
import { inputError, issuesOf, throwIssues, zodIssues } from './hygiene/validation.ts';

/**
 * A service's alert policy: how its notifications are grouped, which severities page at once
 * and which wait for working hours, which alerts mute others, and when an alert flaps. A
 * service without one gets the defaults: no grouping (every alert is notified on its own, at
 * once), critical and error page, warning and info wait for 09:00–17:00 UTC on weekdays, a
 * critical alert mutes the service's warnings, and six changes in an hour make an alert flap.
 */
export interface AlertPolicy {
  /** Null: every alert is notified on its own as soon as it changes. */
  grouping: GroupingPolicy | null;
  urgency: UrgencyOverrides;
  workingHours: WorkingHours;
  inhibitRules: InhibitRule[];
  /** Null: flap detection is off. */
  flapping: FlappingOptions | null;
}

export const DEFAULT_ALERT_POLICY: AlertPolicy = {
  grouping: null,
  urgency: {},
  workingHours: DEFAULT_WORKING_HOURS,
  inhibitRules: [...DEFAULT_INHIBIT_RULES],
  flapping: DEFAULT_FLAPPING,
};

/** The policy as people write it (API bodies and `kind: AlertPolicy` specs). */
export const AlertPolicyInput = z.strictObject({
  grouping: z.unknown().optional(),
  urgency: UrgencyOverridesSchema.optional(),
  workingHours: z.unknown().optional(),
  inhibitRules: z.unknown().optional(),
  flapping: z
    .union([
      z.literal(false),
      z.strictObject({
        threshold: z.number().int().min(2, 'must be at least 2').max(1000).optional(),
        window: z.string().optional(),
        quiet: z.string().optional(),
      }),
    ])
    .optional(),
});
export type AlertPolicyInput = z.input<typeof AlertPolicyInput>;

/** Validates a policy; throws one InputError naming every bad field under `field`. */
export function parseAlertPolicy(input: unknown, field = 'policy'): AlertPolicy {
  const parsed = AlertPolicyInput.safeParse(input ?? {});
  if (!parsed.success) throw inputError(zodIssues(parsed.error, field));
  const spec = parsed.data;
  const issues: FieldIssue[] = [];
  const attempt = <T>(fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (error) {
      issues.push(...issuesOf(error));
      return fallback;
    }
  };
  const grouping =
    spec.grouping === undefined || spec.grouping === null
      ? null
      : attempt(() => parseGroupingPolicy(spec.grouping, `${field}.grouping`), null);
  const workingHours =
    spec.workingHours === undefined
      ? DEFAULT_WORKING_HOURS
      : attempt(() => parseWorkingHours(spec.workingHours, `${field}.workingHours`), DEFAULT_WORKING_HOURS);
  const inhibitRules =
    spec.inhibitRules === undefined
      ? [...DEFAULT_INHIBIT_RULES]
      : attempt(() => parseInhibitRules(spec.inhibitRules, `${field}.inhibitRules`), []);
  let flapping: FlappingOptions | null = DEFAULT_FLAPPING;
  if (spec.flapping === false) flapping = null;
  else if (spec.flapping) {
    const f = spec.flapping;
    const duration = (name: 'window' | 'quiet', fallback: number): number => {
      const text = f[name];
      if (text === undefined) return fallback;
      const path = `${field}.flapping.${name}`;
      const ms = attempt(() => parseDuration(text, path), 0);
      if (ms <= 0 && !issues.some((i) => i.path === path)) issues.push({ path, message: 'must be longer than zero' });
      return ms;
    };
    flapping = {
      threshold: f.threshold ?? DEFAULT_FLAPPING.threshold,
      windowMs: duration('window', DEFAULT_FLAPPING.windowMs),
      quietMs: duration('quiet', DEFAULT_FLAPPING.quietMs),
    };
  }
  throwIssues(issues);
  return { grouping, urgency: spec.urgency ?? {}, workingHours, inhibitRules, flapping };
}

/** The policy written back in the input form: what export and the API show. */
export function alertPolicyToInput(p: AlertPolicy): Record<string, unknown> {
  return {
    grouping: p.grouping
      ? {
          groupBy: p.grouping.groupBy,
          groupWait: formatDuration(p.grouping.groupWaitMs),
          groupInterval: formatDuration(p.grouping.groupIntervalMs),
          repeatInterval: formatDuration(p.grouping.repeatIntervalMs),
        }
      : null,
    urgency: p.urgency,
    workingHours: p.workingHours,
    inhibitRules: p.inhibitRules.map((r) => ({
      ...(r.name ? { name: r.name } : {}),
      sourceMatchers: r.sourceMatchers.map(formatMatcher),
      targetMatchers: r.targetMatchers.map(formatMatcher),
      equal: r.equal,
    })),
    flapping: p.flapping
      ? {
          threshold: p.flapping.threshold,
          window: formatDuration(p.flapping.windowMs),
          quiet: formatDuration(p.flapping.quietMs),
        }
      : false,
  };
}

/** Every stored policy by service id, parsed; a row that no longer parses falls back to the defaults. */
export async function loadPolicies(ex: Executor): Promise<Map<string, AlertPolicy>> {
  const rows = await ex.selectFrom('alert_policies').select(['service_id', 'spec']).execute();
  const out = new Map<string, AlertPolicy>();
  for (const r of rows) {
    try {
      out.set(r.service_id, parseAlertPolicy(fromJson<unknown>(r.spec, {})));
    } catch {
      out.set(r.service_id, DEFAULT_ALERT_POLICY);
    }
  }
  return out;
}
