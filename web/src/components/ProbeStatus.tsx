import { formatSpan } from '../format.ts';
import {
  formatUptime,
  type ProbeStatus,
  type ProbeType,
  STATUS_GLYPHS,
  STATUS_HINTS,
  STATUS_LABELS,
  TYPE_LABELS,
  uptimeTone,
} from '../probes.ts';
import { formatAbsolute } from '../time.tsx';

/** A probe's status in a word and a glyph; colour is the third cue, never the only one. */
export function ProbeStatusPill({ status, prefix }: { status: ProbeStatus; prefix?: string }) {
  return (
    <span className={`badge probe-status probe-status-${status}`} title={STATUS_HINTS[status]} data-status={status}>
      <span aria-hidden="true" className="probe-status-glyph">
        {STATUS_GLYPHS[status]}
      </span>{' '}
      {prefix}
      {STATUS_LABELS[status]}
    </span>
  );
}

export function ProbeTypeBadge({ type }: { type: ProbeType }) {
  return <span className={`badge probe-type probe-type-${type}`}>{TYPE_LABELS[type] ?? type}</span>;
}

/** One check's outcome: "✓ OK" or "✕ Failed". */
export function CheckOutcome({ ok }: { ok: boolean }) {
  return (
    <span className={`badge check-outcome ${ok ? 'check-ok' : 'check-fail'}`}>
      <span aria-hidden="true">{ok ? '✓' : '✕'}</span> {ok ? 'OK' : 'Failed'}
    </span>
  );
}

/** An uptime as a short bar with its figure beside it; the bar is decoration, the figure the meaning. */
export function UptimeMini({ ratio }: { ratio: number | null }) {
  const tone = uptimeTone(ratio);
  // The bar shows the last 5 % (95–100 %), where uptimes live; a full bar is 100 %.
  const width = ratio === null || !Number.isFinite(ratio) ? 0 : Math.max(0, Math.min(1, (ratio - 0.95) / 0.05)) * 100;
  return (
    <span className={`uptime-mini uptime-${tone}`}>
      <span className="uptime-mini-track" aria-hidden="true">
        <span className="uptime-mini-fill" style={{ width: `${width}%` }} />
      </span>
      <span className="uptime-mini-text">{formatUptime(ratio)}</span>
    </span>
  );
}

/** How long a probe has been in its status: "for 3h 5m", with the moment as a tooltip. */
export function Since({ at, prefix = 'for ' }: { at: number | null; prefix?: string }) {
  if (at === null) return null;
  return (
    <time dateTime={new Date(at).toISOString()} title={`Since ${formatAbsolute(at)}`}>
      {prefix}
      {formatSpan(Math.max(0, Date.now() - at))}
    </time>
  );
}
