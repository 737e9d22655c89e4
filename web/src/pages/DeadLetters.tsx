import { useState } from 'react';
import { alertPath } from '../alerts.ts';
import { ApiError, api, seg, useApi } from '../api.ts';
import { LiveIndicator } from '../components/live.tsx';
import { CheckOutcome } from '../components/ProbeStatus.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { plural } from '../format.ts';
import { useJournalRefresh } from '../live.ts';
import { canWrite, formatMs } from '../probes.ts';
import { Link } from '../router.tsx';
import { useSession } from '../session.ts';
import { formatAbsolute, Time } from '../time.tsx';
import { useTitle } from '../title.ts';
import type { DeadNotification } from '../types.ts';

const KIND_LABELS: Record<string, string> = {
  'alert.triggered': 'alert triggered',
  'alert.acknowledged': 'alert acknowledged',
  'alert.resolved': 'alert resolved',
  'meta.delivery-failed': 'notice of a failed delivery',
};

function toApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError({ title: 'Error', status: 0, code: 'CLIENT', detail: String(e) });
}

export function DeadLettersPage() {
  useTitle('Dead letters');
  const list = useApi<{ items: DeadNotification[] }>('/api/v1/notifications/dead');
  const live = useJournalRefresh(['alert.', 'notification'], list.reload);
  const { session } = useSession();
  const writer = canWrite(session.scopes);
  const [retrying, setRetrying] = useState<string | null>(null);
  const [retried, setRetried] = useState<string[]>([]);
  const [error, setError] = useState<ApiError | null>(null);

  const retry = async (jobId: string) => {
    setRetrying(jobId);
    setError(null);
    try {
      await api<{ jobId: string }>(`/api/v1/notifications/dead/${seg(jobId)}/retry`, { method: 'POST' });
      setRetried((r) => [...r, jobId]);
      list.reload();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setRetrying(null);
    }
  };

  const items = list.data?.items ?? null;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Dead letters</h1>
          <p className="lead">
            Notifications that failed their last delivery attempt: a webhook that answered 4xx, a Slack URL that no longer exists,
            an SMTP server that never answered. Fix the target, then send them again.
          </p>
        </div>
        <LiveIndicator state={live} liveHint="The list updates when alerts change" />
      </div>

      {error && <ErrorNotice error={error} title="The notification was not sent again" />}
      {retried.length > 0 && (
        <p role="status" className="notice notice-override">
          {plural(retried.length, 'notification', 'notifications')} queued again with a fresh set of attempts.
        </p>
      )}

      {list.error && !items ? (
        <ErrorNotice error={list.error} onRetry={list.reload} />
      ) : !items ? (
        <Loading label="Loading failed deliveries…" />
      ) : items.length === 0 ? (
        <EmptyState title="No failed deliveries" tone="good">
          <p>Every notification reached its target, or is still being retried.</p>
        </EmptyState>
      ) : (
        <>
          <p className="muted" role="status">
            {plural(items.length, 'failed delivery', 'failed deliveries')}
            {list.loading ? ' · updating…' : ''}
          </p>
          <ul className="dead-list">
            {items.map((d) => (
              <li key={d.jobId} className="card dead-letter" data-job={d.jobId}>
                <div className="section-header">
                  <h2 className="dead-title">
                    {d.target ? <span className="mono">{d.target}</span> : <span className="muted">a deleted target</span>}
                    <span className="muted small"> · {KIND_LABELS[d.kind] ?? d.kind}</span>
                  </h2>
                  {writer && (
                    <button
                      type="button"
                      className="button"
                      onClick={() => void retry(d.jobId)}
                      disabled={retrying !== null}
                      aria-label={`Retry the delivery to ${d.target ?? 'a deleted target'}`}
                    >
                      {retrying === d.jobId ? 'Retrying…' : 'Retry'}
                    </button>
                  )}
                </div>
                <p className="small">
                  Gave up <Time at={d.diedAt} /> after {plural(d.attempts.length, 'attempt', 'attempts')}
                  {d.alertId && (
                    <>
                      {' '}
                      · <Link to={alertPath(d.alertId)}>the alert</Link>
                    </>
                  )}
                </p>
                {d.lastError && <p className="mono break small text-danger dead-error">{d.lastError}</p>}
                {d.attempts.length > 0 && (
                  <details className="dead-attempts">
                    <summary>Attempts</summary>
                    <div className="table-wrap">
                      <table className="table">
                        <caption className="sr-only">Delivery attempts, oldest first</caption>
                        <thead>
                          <tr>
                            <th scope="col">#</th>
                            <th scope="col">Time</th>
                            <th scope="col">Outcome</th>
                            <th scope="col" className="num">
                              Status
                            </th>
                            <th scope="col" className="num">
                              Duration
                            </th>
                            <th scope="col">Detail</th>
                          </tr>
                        </thead>
                        <tbody>
                          {d.attempts.map((a) => (
                            <tr key={a.attempt} data-ok={a.ok}>
                              <td className="num">{a.attempt}</td>
                              <td className="nowrap" title={formatAbsolute(a.at)}>
                                <Time at={a.at} />
                              </td>
                              <td className="nowrap">
                                <CheckOutcome ok={a.ok} />
                                {!a.ok && a.retryable === false && <div className="cell-sub muted">permanent</div>}
                              </td>
                              <td className="num mono">{a.status ?? '—'}</td>
                              <td className="num nowrap">{formatMs(a.durationMs)}</td>
                              <td className="break small">{a.detail}</td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  </details>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
