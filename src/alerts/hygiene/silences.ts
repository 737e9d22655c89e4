import { z } from 'zod';
import type { FieldIssue } from '../../core/errors.ts';
import type { Labels } from './labels.ts';
import { ApiMatcherSchema, fromApiMatcher, type Matcher, matches, matchesEmpty, parseMatcherElement } from './matchers.ts';
import { inputError, issuesOf, throwIssues, zodIssues } from './validation.ts';

/**
 * Silences, as in Alertmanager: a set of matchers and a time range. While a silence is active,
 * alerts whose labels it matches are kept and shown, but nobody is notified about them.
 */

/** A silence in normal form, as stored. Times are ms since the epoch. */
export interface Silence {
  id: string;
  /** All must match an alert's labels (see `alertLabels`) for the silence to apply. */
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

export type SilenceState = 'pending' | 'active' | 'expired';

/**
 * A positive matcher that matches the empty string, and so every alert lacking its label
 * (Alertmanager's `matchesEmpty`, which counts negative matchers as selective).
 */
function unselective(m: Matcher): boolean {
  return (m.type === '=' || m.type === '=~') && matchesEmpty(m);
}

/**
 * Where a silence stands at `now`: pending before `startsAt`, active in `[startsAt, endsAt)`,
 * expired from `endsAt` on (Alertmanager's `CalcSilenceState`).
 */
export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  if (now < s.endsAt) return 'active';
  return 'expired';
}

/**
 * The ids of the silences active at `now` whose matchers all match `labels`, sorted as
 * Alertmanager sorts them. An alert is silenced when the list is not empty.
 */
export function silencedBy(silences: Iterable<Silence>, labels: Labels, now: number): string[] {
  const ids: string[] = [];
  for (const s of silences) {
    if (silenceState(s, now) === 'active' && matches(s.matchers, labels)) ids.push(s.id);
  }
  return ids.sort();
}

/**
 * A silence as a user or API client writes it. Matchers may be strings (`severity="warning"`, or
 * several in one: `{service="api", env=~"prod|staging"}`) or API v2 objects.
 */
export const SilenceInput = z.object({
  id: z.string().trim().min(1, 'an id is required'),
  matchers: z.array(z.union([z.string(), ApiMatcherSchema])).min(1, 'at least one matcher is required'),
  startsAt: z.number(),
  endsAt: z.number(),
  createdBy: z.string().trim().min(1, 'the author is required'),
  comment: z.string().trim().min(1, 'a comment is required: say why the alerts are silenced'),
});
export type SilenceInput = z.input<typeof SilenceInput>;

/**
 * Validates a silence and returns it in normal form. Rules, after Alertmanager's
 * `validateSilence` and its API v2 handler:
 * - at least one matcher, each valid (regexes compile);
 * - at least one matcher must not match the empty string: a silence of only `x=~".*"`, `x=""`
 *   or `x=~"a|"` would mute every alert, so it is refused. As in Alertmanager, negative
 *   matchers (`!=`, `!~`) count as selective;
 * - `endsAt` after `startsAt` (equal is refused too);
 * - with `now`, `endsAt` must not be in the past (a new silence that ended already is a mistake);
 * - a comment and an author are required.
 *
 * Throws one {@link InputError} listing every problem, each named by its field (`comment`,
 * `matchers[1]`), prefixed with `field` when given (`silence.comment`).
 */
export function parseSilence(input: unknown, now?: number, field = ''): Silence {
  const prefix = field === '' ? '' : `${field}.`;
  const parsed = SilenceInput.safeParse(input);
  if (!parsed.success) throw inputError(zodIssues(parsed.error, field));
  const spec = parsed.data;
  const issues: FieldIssue[] = [];
  const matchers: Matcher[] = [];
  spec.matchers.forEach((m, index) => {
    try {
      if (typeof m === 'string') matchers.push(...parseMatcherElement(m, index, `${prefix}matchers`));
      else matchers.push(fromApiMatcher(m, index, `${prefix}matchers`));
    } catch (error) {
      issues.push(...issuesOf(error));
    }
  });
  if (issues.length === 0 && matchers.length === 0) {
    issues.push({ path: `${prefix}matchers`, message: 'at least one matcher is required' });
  } else if (issues.length === 0 && matchers.every(unselective)) {
    issues.push({
      path: `${prefix}matchers`,
      message: 'at least one matcher must not match the empty string, or the silence would mute every alert',
    });
  }
  if (spec.endsAt <= spec.startsAt) issues.push({ path: `${prefix}endsAt`, message: 'must be after startsAt' });
  else if (now !== undefined && spec.endsAt <= now) issues.push({ path: `${prefix}endsAt`, message: 'is in the past' });
  throwIssues(issues);
  return {
    id: spec.id,
    matchers,
    startsAt: spec.startsAt,
    endsAt: spec.endsAt,
    createdBy: spec.createdBy,
    comment: spec.comment,
  };
}
