import { z } from 'zod';
import type { FieldIssue } from '../../core/errors.ts';
import type { AlertStatus } from '../alert.model.ts';
import { alertLabels, type LabelledAlert, labelValue } from './labels.ts';
import { ApiMatcherSchema, fromApiMatcher, type Matcher, matches, parseMatcherElement } from './matchers.ts';
import { inputError, issuesOf, throwIssues, zodIssues } from './validation.ts';

/**
 * Inhibition, as in Alertmanager's `inhibit_rules`: while a source alert fires, target alerts it
 * makes redundant are muted. The classic case: when a service is down (critical), its
 * "latency high" warnings say nothing new.
 */

/** One rule: sources matching `sourceMatchers` mute targets matching `targetMatchers`. */
export interface InhibitRule {
  /** For people reading why an alert was muted. */
  name?: string;
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  /** Labels that must have the same value on source and target (a missing label is `""`). */
  equal: string[];
}

/** An alert as inhibition sees it: its id, its label set (see `alertLabels`) and whether it fires. */
export interface InhibitionAlert extends LabelledAlert {
  id: string;
  /** Resolved alerts inhibit nothing; without a status the alert is taken as firing. */
  status?: AlertStatus;
}

/**
 * The rule Vigil ships: a critical alert on a service mutes that service's warnings and infos
 * (`source severity="critical"`, `target severity=~"warning|info"`, `equal: [service]`).
 */
export const CRITICAL_MUTES_WARNINGS: InhibitRule = {
  name: 'critical-mutes-warnings',
  sourceMatchers: [{ name: 'severity', type: '=', value: 'critical' }],
  targetMatchers: [{ name: 'severity', type: '=~', value: 'warning|info' }],
  equal: ['service'],
};

export const DEFAULT_INHIBIT_RULES: readonly InhibitRule[] = [CRITICAL_MUTES_WARNINGS];

/**
 * The ids of the alerts in `activeAlerts` that inhibit `target`, in their order there; the target
 * is inhibited when the list is not empty. Follows Alertmanager's `Inhibitor.Mutes`:
 * - a rule applies when its target matchers match the target's labels;
 * - a source is any alert, not resolved, whose labels match the rule's source matchers and that
 *   agrees with the target on every `equal` label. A label missing on both sides agrees, as
 *   Alertmanager compares values with missing ones read as `""`;
 * - when the target matches the rule's source matchers too, sources that also match its target
 *   matchers are left out (Alertmanager's `excludeTwoSidedMatch`), so two alerts that each fit
 *   both sides of a rule cannot mute each other and both go silent;
 * - an alert never inhibits itself (same id).
 */
export function inhibitedBy(
  rules: readonly InhibitRule[],
  target: InhibitionAlert,
  activeAlerts: Iterable<InhibitionAlert>,
): string[] {
  const targetLabels = alertLabels(target);
  const applicable = rules.filter((r) => matches(r.targetMatchers, targetLabels));
  if (applicable.length === 0) return [];
  const out: string[] = [];
  for (const source of activeAlerts) {
    if (source.id === target.id || source.status === 'resolved' || out.includes(source.id)) continue;
    const sourceLabels = alertLabels(source);
    const inhibits = applicable.some((rule) => {
      if (!matches(rule.sourceMatchers, sourceLabels)) return false;
      if (!rule.equal.every((name) => labelValue(sourceLabels, name) === labelValue(targetLabels, name))) return false;
      const twoSided = matches(rule.sourceMatchers, targetLabels);
      return !(twoSided && matches(rule.targetMatchers, sourceLabels));
    });
    if (inhibits) out.push(source.id);
  }
  return out;
}

const MatcherInput = z.union([z.string(), ApiMatcherSchema]);

/** A rule as written in configuration; matchers as strings (`severity="critical"`) or API v2 objects. */
export const InhibitRuleInput = z.object({
  name: z.string().trim().min(1).optional(),
  sourceMatchers: z.array(MatcherInput).default([]),
  targetMatchers: z.array(MatcherInput).default([]),
  equal: z.array(z.string().min(1, 'a label name is required')).default([]),
});
export type InhibitRuleInput = z.input<typeof InhibitRuleInput>;

function matcherList(list: ReadonlyArray<z.output<typeof MatcherInput>>, field: string, issues: FieldIssue[]): Matcher[] {
  const out: Matcher[] = [];
  list.forEach((m, index) => {
    try {
      out.push(...(typeof m === 'string' ? parseMatcherElement(m, index, field) : [fromApiMatcher(m, index, field)]));
    } catch (error) {
      issues.push(...issuesOf(error));
    }
  });
  return out;
}

/**
 * Validates inhibition rules from configuration. A rule without target matchers is refused:
 * it would let its sources mute every other alert, which nobody means. Throws one
 * {@link InputError} listing every problem (`inhibitRules[1].sourceMatchers[0]`).
 */
export function parseInhibitRules(input: unknown, field = 'inhibitRules'): InhibitRule[] {
  const parsed = z.array(InhibitRuleInput).safeParse(input);
  if (!parsed.success) throw inputError(zodIssues(parsed.error, field));
  const issues: FieldIssue[] = [];
  const rules = parsed.data.map((spec, i): InhibitRule => {
    const at = `${field}[${i}]`;
    const rule: InhibitRule = {
      sourceMatchers: matcherList(spec.sourceMatchers, `${at}.sourceMatchers`, issues),
      targetMatchers: matcherList(spec.targetMatchers, `${at}.targetMatchers`, issues),
      equal: spec.equal,
    };
    if (spec.targetMatchers.length === 0)
      issues.push({ path: `${at}.targetMatchers`, message: 'at least one matcher is required' });
    return spec.name === undefined ? rule : { name: spec.name, ...rule };
  });
  throwIssues(issues);
  return rules;
}
