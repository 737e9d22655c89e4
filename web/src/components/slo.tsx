import { formatRemaining } from '../format.ts';
import type { PolicyState } from '../types.ts';

export const POLICY_LABELS: Record<PolicyState, string> = { ok: 'OK', warn: 'Warning', halted: 'Halted' };
const POLICY_GLYPHS: Record<PolicyState, string> = { ok: '✓', warn: '!', halted: '■' };
const POLICY_HINTS: Record<PolicyState, string> = {
  ok: 'Error budget policy: no action needed',
  warn: 'Error budget policy: budget running low',
  halted: 'Error budget policy: deploys and flag ramps halted until the budget recovers or an override is recorded',
};

/** Worst first: halted, then warn, then ok. */
export const POLICY_RANK: Record<string, number> = { halted: 0, warn: 1, ok: 2 };

export function policyState(value: string | undefined | null): PolicyState {
  return value === 'halted' || value === 'warn' ? value : 'ok';
}

/** The policy state in words and a glyph, with colour as a third cue, never the only one. */
export function PolicyBadge({ state, prefix }: { state: string; prefix?: string }) {
  const s = policyState(state);
  return (
    <span className={`badge policy policy-${s}`} title={POLICY_HINTS[s]}>
      <span aria-hidden="true" className="policy-glyph">
        {POLICY_GLYPHS[s]}
      </span>{' '}
      {prefix}
      {POLICY_LABELS[s]}
    </span>
  );
}

/** Below this share of budget left a bar turns amber, as the default policy's warn rule does. */
const LOW = 0.25;

export function budgetTone(ratio: number | null): 'none' | 'ok' | 'low' | 'out' {
  if (ratio === null || !Number.isFinite(ratio)) return 'none';
  if (ratio <= 0) return 'out';
  return ratio < LOW ? 'low' : 'ok';
}

/**
 * Remaining budget as a bar with its number beside it; the bar itself is decoration. `note` adds
 * "exhausted" in words where no other column says so.
 */
export function BudgetBar({ ratio, label = true, note = true }: { ratio: number | null; label?: boolean; note?: boolean }) {
  const tone = budgetTone(ratio);
  const width = ratio === null || !Number.isFinite(ratio) ? 0 : Math.max(0, Math.min(1, ratio)) * 100;
  return (
    <span className={`budget budget-${tone}`}>
      <span className="budget-track" aria-hidden="true">
        <span className="budget-fill" style={{ width: `${width}%` }} />
      </span>
      {label && (
        <span className="budget-text">
          {formatRemaining(ratio)}
          {note && tone === 'out' ? <span className="budget-note"> exhausted</span> : null}
        </span>
      )}
    </span>
  );
}

/** The remaining budget in words, toned like the bar: "63.2% left", "−12% exhausted". */
export function BudgetFigure({ ratio }: { ratio: number | null }) {
  const tone = budgetTone(ratio);
  return (
    <span className={`budget-figure budget-${tone}`}>
      <span className="budget-text">{formatRemaining(ratio)}</span>
      {tone === 'out' ? ' exhausted' : tone === 'none' ? '' : ' left'}
    </span>
  );
}

export function AlertsBadge({ count }: { count: number }) {
  if (count === 0) return <span className="muted">none</span>;
  return (
    <span className="badge alerts-firing">
      <span aria-hidden="true">▲ </span>
      {count} firing
    </span>
  );
}

export const sloPath = (name: string): string => `/slos/${encodeURIComponent(name)}`;
