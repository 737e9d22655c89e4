import { formatMs, type PhaseTimings } from '../probes.ts';

interface Phase {
  key: string;
  label: string;
  hint: string;
  start: number;
  ms: number;
}

/**
 * Where a check's time went, as browser devtools draw a request: one row per phase, each bar
 * starting where the one before ended, all on the scale of the whole check. Phases that did not
 * happen (no DNS lookup for an IP address, no TLS on plain HTTP) are listed at 0 ms.
 */
export function phasesOf(p: PhaseTimings): Phase[] {
  const steps: Array<Omit<Phase, 'start'>> = [
    { key: 'dns', label: 'DNS', hint: 'Name resolution', ms: p.dnsMs },
    { key: 'connect', label: 'Connect', hint: 'TCP connection', ms: p.connectMs },
    { key: 'tls', label: 'TLS', hint: 'TLS handshake', ms: p.tlsMs },
    { key: 'first-byte', label: 'First byte', hint: 'Request sent until the first byte of the reply', ms: p.firstByteMs },
  ];
  const before = steps.reduce((sum, s) => sum + s.ms, 0);
  const rest = Math.max(0, p.totalMs - before);
  if (rest > 0) steps.push({ key: 'transfer', label: 'Transfer', hint: 'Reading the rest of the reply', ms: rest });
  let start = 0;
  return steps.map((s) => {
    const phase = { ...s, start };
    start += s.ms;
    return phase;
  });
}

export function PhaseWaterfall({ phases, caption = 'Timing of the check' }: { phases: PhaseTimings; caption?: string }) {
  const rows = phasesOf(phases);
  const scale = Math.max(
    phases.totalMs,
    rows.reduce((sum, r) => sum + r.ms, 0),
    0.001,
  );
  const pct = (ms: number) => `${Math.max(0, Math.min(100, (ms / scale) * 100)).toFixed(3)}%`;
  return (
    <figure className="waterfall">
      <figcaption className="waterfall-caption">{caption}</figcaption>
      <ol className="waterfall-rows">
        {rows.map((r) => (
          <li key={r.key} className={`waterfall-row waterfall-${r.key}`} data-phase={r.key} data-ms={r.ms}>
            <span className="waterfall-label" title={r.hint}>
              {r.label}
            </span>
            <span className="waterfall-track" aria-hidden="true">
              <span
                className="waterfall-bar"
                style={{ marginLeft: pct(r.start), width: r.ms > 0 ? `max(2px, ${pct(r.ms)})` : '0' }}
              />
            </span>
            <span className="waterfall-ms">
              {formatMs(r.ms)}
              {r.start > 0 && r.ms > 0 ? <span className="sr-only">, from {formatMs(r.start)}</span> : null}
            </span>
          </li>
        ))}
        <li className="waterfall-row waterfall-total" data-phase="total" data-ms={phases.totalMs}>
          <span className="waterfall-label">Total</span>
          <span className="waterfall-track" aria-hidden="true">
            <span className="waterfall-bar" style={{ width: '100%' }} />
          </span>
          <span className="waterfall-ms">{formatMs(phases.totalMs)}</span>
        </li>
      </ol>
    </figure>
  );
}
