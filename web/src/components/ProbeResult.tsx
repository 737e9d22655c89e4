import { formatSpan } from '../format.ts';
import { formatMs, type ProbeResultOut } from '../probes.ts';
import { formatAbsolute } from '../time.tsx';
import { PhaseWaterfall } from './PhaseWaterfall.tsx';
import { CheckOutcome } from './ProbeStatus.tsx';

/** The reason a check failed, in one line: its error, else the first condition that did not hold. */
export function failureReason(r: ProbeResultOut): string | null {
  if (r.ok) return null;
  if (r.error) return r.error;
  const failed = r.conditionResults.find((c) => !c.ok);
  return failed ? failed.description || failed.condition : null;
}

export function ConditionList({ results }: { results: ProbeResultOut['conditionResults'] }) {
  if (results.length === 0) return <p className="muted small">No conditions: a check passes when the target answers.</p>;
  return (
    <ul className="condition-list" aria-label="Conditions">
      {results.map((c, i) => (
        // Conditions may repeat; their place in the list is their identity.
        // biome-ignore lint/suspicious/noArrayIndexKey: see above
        <li key={i} className={c.ok ? 'condition-ok' : 'condition-fail'} data-ok={c.ok}>
          <span className="condition-glyph" aria-hidden="true">
            {c.ok ? '✓' : '✕'}
          </span>
          <span className="sr-only">{c.ok ? 'Holds: ' : 'Fails: '}</span>
          <code>{c.description || c.condition}</code>
          {c.description && c.description !== c.condition ? <span className="muted small"> {c.condition}</span> : null}
        </li>
      ))}
    </ul>
  );
}

export function BodyExcerpt({ result }: { result: ProbeResultOut }) {
  if (!result.bodyExcerpt) return <p className="muted small">The reply had no body.</p>;
  return (
    <>
      <pre className="code body-excerpt">
        <code>{result.bodyExcerpt}</code>
      </pre>
      {result.bodyTruncated ? (
        <p className="muted small">The reply was longer than the probe reads; only its start was checked.</p>
      ) : new TextEncoder().encode(result.bodyExcerpt).length >= 1024 ? (
        <p className="muted small">Only the first kilobyte is shown.</p>
      ) : null}
    </>
  );
}

/** What else a check saw: its address, DNS answer code, certificate expiry. */
export function ResultFacts({ result, now }: { result: ProbeResultOut; now: number }) {
  return (
    <dl className="result-facts">
      <div>
        <dt>Outcome</dt>
        <dd>
          <CheckOutcome ok={result.ok} />
        </dd>
      </div>
      {result.status !== undefined && (
        <div>
          <dt>Status</dt>
          <dd className="mono" data-field="status">
            {result.status}
          </dd>
        </div>
      )}
      <div>
        <dt>Duration</dt>
        <dd data-field="duration">{formatMs(result.durationMs)}</dd>
      </div>
      {result.ip && (
        <div>
          <dt>Address</dt>
          <dd className="mono">{result.ip}</dd>
        </div>
      )}
      {result.dnsRcode && (
        <div>
          <dt>DNS answer</dt>
          <dd className="mono">{result.dnsRcode}</dd>
        </div>
      )}
      {result.certificateExpiresAt !== undefined && (
        <div>
          <dt>Certificate expires</dt>
          <dd>
            <time
              dateTime={new Date(result.certificateExpiresAt).toISOString()}
              title={formatAbsolute(result.certificateExpiresAt)}
            >
              {result.certificateExpiresAt > now
                ? `in ${formatSpan(result.certificateExpiresAt - now)}`
                : `${formatSpan(now - result.certificateExpiresAt)} ago`}
            </time>
          </dd>
        </div>
      )}
    </dl>
  );
}

/** A check in full: what it saw, where its time went, which conditions held and what came back. */
export function ResultDetails({ result, waterfall = true }: { result: ProbeResultOut; waterfall?: boolean }) {
  const now = Date.now();
  return (
    <div className="result-details">
      <ResultFacts result={result} now={now} />
      {result.error && (
        <p className="result-error">
          <strong>Error:</strong> <span className="mono">{result.error}</span>
        </p>
      )}
      {waterfall && <PhaseWaterfall phases={result.phases} />}
      <div className="result-columns">
        <div>
          <h4>Conditions</h4>
          <ConditionList results={result.conditionResults} />
        </div>
        <div>
          <h4>Body</h4>
          <BodyExcerpt result={result} />
        </div>
      </div>
    </div>
  );
}
