import { type FormEvent, type ReactNode, useId, useRef, useState } from 'react';
import { alertApi, alertPath, describeSuppression, fieldErrors, SILENCE_DURATIONS, silencesPath } from '../alerts.ts';
import { ApiError, api, useApi } from '../api.ts';
import { EntityLink } from '../components/badges.tsx';
import { LiveIndicator } from '../components/live.tsx';
import { DetailPage, ErrorNotice } from '../components/status.tsx';
import { formatSpan, plural } from '../format.ts';
import { useJournalRefresh } from '../live.ts';
import { canWrite } from '../probes.ts';
import { Link, withQuery } from '../router.tsx';
import { useSession } from '../session.ts';
import { formatAbsolute, Time } from '../time.tsx';
import { useTitle } from '../title.ts';
import type { Alert, Silence } from '../types.ts';
import { AlertMarkers, AlertStatusPill, deferredUntil, formatUntil, SeverityBadge } from './Alerts.tsx';

function toApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError({ title: 'Error', status: 0, code: 'CLIENT', detail: String(e) });
}

/** Only web links become anchors and images; anything else an event carried is shown as text. */
const isWebUrl = (url: string): boolean => /^https?:\/\//i.test(url);

export function AlertPage({ id }: { id: string }) {
  const alert = useApi<Alert>(alertApi(id));
  useTitle(alert.data?.summary ?? 'Alert');
  const live = useJournalRefresh(['alert.', 'silence.'], alert.reload);
  return (
    <DetailPage trail={[{ to: '/alerts', label: 'Alerts' }]} name={alert.data?.summary ?? 'Alert'} resource={alert}>
      {(data) => (
        <AlertView
          alert={data}
          reload={alert.reload}
          live={<LiveIndicator state={live} liveHint="The page updates when the alert changes" />}
        />
      )}
    </DetailPage>
  );
}

function AlertView({ alert, reload, live }: { alert: Alert; reload: () => void; live: ReactNode }) {
  const { session } = useSession();
  const writer = canWrite(session.scopes);
  const [busy, setBusy] = useState<'acknowledge' | 'resolve' | null>(null);
  const [actionError, setActionError] = useState<{ action: string; error: ApiError } | null>(null);
  const [silencing, setSilencing] = useState(false);
  const [silence, setSilence] = useState<Silence | null>(null);
  const silenceButton = useRef<HTMLButtonElement>(null);

  const act = async (action: 'acknowledge' | 'resolve') => {
    setBusy(action);
    setActionError(null);
    try {
      await api<Alert>(`${alertApi(alert.id)}/${action}`, { method: 'POST' });
      reload();
    } catch (e) {
      setActionError({
        action: action === 'acknowledge' ? 'The alert was not acknowledged' : 'The alert was not resolved',
        error: toApiError(e),
      });
      reload();
    } finally {
      setBusy(null);
    }
  };

  const open = alert.status !== 'resolved';
  return (
    <>
      <div className="page-header">
        <div>
          <h1 className="alert-title">
            {alert.summary} <AlertStatusPill status={alert.status} />
          </h1>
          <p className="alert-headline">
            <SeverityBadge severity={alert.severity} /> on <EntityLink kind="service" name={alert.service} /> ·{' '}
            <span className="muted">
              opened <Time at={alert.createdAt} />
            </span>{' '}
            <AlertMarkers alert={alert} />
          </p>
        </div>
        <div className="probe-header-end alert-header-end">
          {live}
          {writer && (
            <div className="probe-actions">
              {alert.status === 'triggered' && (
                <button
                  type="button"
                  className="button button-primary"
                  onClick={() => void act('acknowledge')}
                  disabled={busy !== null}
                >
                  {busy === 'acknowledge' ? 'Acknowledging…' : 'Acknowledge'}
                </button>
              )}
              {open && (
                <button type="button" className="button" onClick={() => void act('resolve')} disabled={busy !== null}>
                  {busy === 'resolve' ? 'Resolving…' : 'Resolve'}
                </button>
              )}
              <button
                ref={silenceButton}
                type="button"
                className="button"
                aria-expanded={silencing}
                aria-controls="silence-form"
                onClick={() => setSilencing((s) => !s)}
              >
                Silence…
              </button>
            </div>
          )}
        </div>
      </div>

      {actionError && <ErrorNotice error={actionError.error} title={actionError.action} />}

      {silence && (
        <div className="notice notice-override silence-created" role="status">
          <strong>Silenced until {formatAbsolute(silence.endsAt)}.</strong>
          <p>
            Notifications of alerts matching <MatcherList matchers={silence.matchers} /> are held back; the alert itself stays
            open. <Link to={withQuery(silencesPath, { state: 'all' })}>See it on the Silences page</Link>
          </p>
        </div>
      )}

      {writer && silencing && (
        <SilenceForm
          alert={alert}
          onCancel={() => {
            setSilencing(false);
            silenceButton.current?.focus();
          }}
          onDone={(s) => {
            setSilence(s);
            setSilencing(false);
            reload();
          }}
        />
      )}

      <Suppression alert={alert} />

      <dl className="facts card alert-facts">
        <div>
          <dt>Status</dt>
          <dd data-field="status">
            <AlertStatusPill status={alert.status} />
          </dd>
        </div>
        <div>
          <dt>Severity</dt>
          <dd data-field="severity">
            <SeverityBadge severity={alert.severity} />
          </dd>
        </div>
        <div>
          <dt>Urgency</dt>
          <dd data-field="urgency">
            {alert.urgency ? (
              <span className={`badge alert-urgency alert-urgency-${alert.urgency}`}>{alert.urgency}</span>
            ) : (
              <span className="muted">—</span>
            )}
          </dd>
        </div>
        <div>
          <dt>Service</dt>
          <dd data-field="service">
            <EntityLink kind="service" name={alert.service} />
          </dd>
        </div>
        <div>
          <dt>Integration</dt>
          <dd data-field="integration">
            {alert.integration ?? <span className="muted">none</span>}
            <div className="cell-sub muted">via {alert.origin}</div>
          </dd>
        </div>
        <div className="alert-fact-wide">
          <dt>Dedup key</dt>
          <dd data-field="dedup-key" className="mono break">
            {alert.dedupKey}
          </dd>
        </div>
        {(['source', 'component', 'group', 'class'] as const).map((k) =>
          alert[k] ? (
            <div key={k}>
              <dt>{k}</dt>
              <dd className="break">{alert[k]}</dd>
            </div>
          ) : null,
        )}
      </dl>

      <div className="grid-2">
        <Timeline alert={alert} />
        <section className="card" aria-labelledby="alert-labels-title">
          <h2 id="alert-labels-title">Labels</h2>
          {Object.keys(alert.labels).length === 0 ? (
            <p className="muted">No labels.</p>
          ) : (
            <ul className="tags alert-labels" aria-label="Labels">
              {Object.entries(alert.labels)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => (
                  <li key={k} className="tag mono">
                    {k}={v}
                  </li>
                ))}
            </ul>
          )}
          {alert.links.length > 0 && (
            <>
              <h3>Links</h3>
              <ul className="alert-links">
                {alert.links.map((l) => (
                  <li key={`${l.href}-${l.text ?? ''}`}>
                    {isWebUrl(l.href) ? (
                      <a href={l.href} target="_blank" rel="noopener noreferrer" className="break">
                        {l.text || l.href}
                      </a>
                    ) : (
                      <span className="mono break">{l.text ? `${l.text}: ${l.href}` : l.href}</span>
                    )}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      </div>

      <section className="card" aria-labelledby="alert-details-title">
        <h2 id="alert-details-title">Details</h2>
        {Object.keys(alert.details).length === 0 ? (
          <p className="muted">The event carried no details.</p>
        ) : (
          <pre className="code alert-details">
            <code>{JSON.stringify(alert.details, null, 2)}</code>
          </pre>
        )}
      </section>

      {alert.images.length > 0 && (
        <section className="card" aria-labelledby="alert-images-title">
          <h2 id="alert-images-title">Images</h2>
          <ul className="alert-images">
            {alert.images.map((img) => {
              if (!isWebUrl(img.src)) return null;
              const picture = <img src={img.src} alt={img.alt ?? 'Image attached to the alert'} loading="lazy" />;
              return (
                <li key={img.src}>
                  {img.href && isWebUrl(img.href) ? (
                    <a href={img.href} target="_blank" rel="noopener noreferrer">
                      {picture}
                    </a>
                  ) : (
                    picture
                  )}
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </>
  );
}

function MatcherList({ matchers }: { matchers: string[] }) {
  return (
    <>
      {matchers.map((m, i) => (
        <span key={m}>
          {i > 0 ? ', ' : ''}
          <code>{m}</code>
        </span>
      ))}
    </>
  );
}

function Suppression({ alert }: { alert: Alert }) {
  const deferred = deferredUntil(alert);
  if (!alert.suppressedBy && deferred === null) return null;
  const s = alert.suppressedBy ? describeSuppression(alert.suppressedBy) : null;
  return (
    <div className="notice notice-override alert-suppression" data-suppressed-by={alert.suppressedBy ?? undefined}>
      {s && (
        <p>
          <strong>Notifications suppressed</strong> by{' '}
          {s.kind === 'silence' ? (
            <>
              <Link to={withQuery(silencesPath, { state: 'all' })}>a silence</Link>
              {s.ref ? <span className="muted mono small"> ({s.ref})</span> : null}
            </>
          ) : s.kind === 'inhibited' && s.ref ? (
            <>
              <Link to={alertPath(s.ref)}>another alert</Link> that inhibits it
            </>
          ) : (
            s.text
          )}
          . The alert is kept and counted; nobody is paged for it.
        </p>
      )}
      {deferred !== null && (
        <p>
          <strong>Notifications deferred</strong> until {formatAbsolute(deferred)} ({formatUntil(deferred)}): a low-urgency alert
          waits for working hours.
        </p>
      )}
    </div>
  );
}

function Timeline({ alert }: { alert: Alert }) {
  const steps: Array<{ key: string; at: number; text: ReactNode }> = [
    { key: 'created', at: alert.createdAt, text: <>Opened{alert.integration ? ` by ${alert.integration}` : ''}</> },
  ];
  if (alert.acknowledgedAt !== null)
    steps.push({
      key: 'acknowledged',
      at: alert.acknowledgedAt,
      text: (
        <>
          Acknowledged{alert.acknowledgedBy ? ` by ${alert.acknowledgedBy}` : ''}{' '}
          <span className="muted small">after {formatSpan(alert.acknowledgedAt - alert.createdAt)}</span>
        </>
      ),
    });
  if (alert.resolvedAt !== null)
    steps.push({
      key: 'resolved',
      at: alert.resolvedAt,
      text: (
        <>
          Resolved{alert.resolvedBy ? ` by ${alert.resolvedBy}` : ''}{' '}
          <span className="muted small">after {formatSpan(alert.resolvedAt - alert.createdAt)}</span>
        </>
      ),
    });
  // A deferral that has passed: the notification went out then, not when the alert opened.
  const notifiedAt = alert.notifyAt ?? null;
  if (notifiedAt !== null && notifiedAt > alert.createdAt && notifiedAt <= (alert.resolvedAt ?? Date.now()))
    steps.push({
      key: 'notified',
      at: notifiedAt,
      text: <>Notified, deferred to working hours</>,
    });
  steps.sort((a, b) => a.at - b.at);
  return (
    <section className="card" aria-labelledby="alert-timeline-title">
      <h2 id="alert-timeline-title">Timeline</h2>
      <ol className="transition-list alert-timeline">
        {steps.map((s) => (
          <li key={s.key} data-step={s.key}>
            {s.text} · <Time at={s.at} />
          </li>
        ))}
      </ol>
      <p className="muted small" data-field="events">
        {plural(alert.eventCount, 'event', 'events')} received; the last <Time at={alert.lastEventAt} />.
      </p>
    </section>
  );
}

/** The Silences page with its form filled in with this alert's service. */
function customSilencePath(alert: Alert): string {
  const query = new URLSearchParams();
  query.append('matcher', `service="${alert.service}"`);
  return `${silencesPath}?${query.toString()}`;
}

function SilenceForm({ alert, onCancel, onDone }: { alert: Alert; onCancel: () => void; onDone: (silence: Silence) => void }) {
  const id = useId();
  const [duration, setDuration] = useState<string>('4h');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (comment.trim() === '') {
      setErrors({ comment: ['Say why, so whoever sees the silence knows whether it can be lifted.'] });
      return;
    }
    setBusy(true);
    setErrors({});
    setError(null);
    try {
      const s = await api<Silence>(`${alertApi(alert.id)}/silence`, {
        method: 'POST',
        body: { duration, comment: comment.trim() },
      });
      onDone(s);
    } catch (e) {
      const err = toApiError(e);
      const byField = fieldErrors(err.problem, ['duration', 'comment']);
      setErrors(byField);
      if (!byField.duration && !byField.comment) setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="card silence-form" id="silence-form" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Silence this alert</h2>
      <p className="muted small">
        Holds back notifications of this alert and of any new one with the same service and dedup key. The alert stays open and
        counted.
      </p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="form-row">
          <div className="field">
            <label htmlFor={`${id}-duration`}>For</label>
            <select
              id={`${id}-duration`}
              value={duration}
              onChange={(e) => setDuration(e.target.value)}
              aria-invalid={errors.duration ? true : undefined}
              aria-describedby={errors.duration ? `${id}-duration-error` : undefined}
            >
              {SILENCE_DURATIONS.map((d) => (
                <option key={d} value={d}>
                  {d}
                </option>
              ))}
            </select>
            {errors.duration && (
              <p id={`${id}-duration-error`} className="field-error">
                {errors.duration.join('; ')}
              </p>
            )}
          </div>
          <div className="field field-grow">
            <label htmlFor={`${id}-comment`}>Comment</label>
            <textarea
              id={`${id}-comment`}
              rows={2}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              placeholder="Why: known issue, fix deploying, …"
              aria-invalid={errors.comment ? true : undefined}
              aria-describedby={errors.comment ? `${id}-comment-error` : undefined}
            />
            {errors.comment && (
              <p id={`${id}-comment-error`} className="field-error">
                {errors.comment.join('; ')}
              </p>
            )}
          </div>
        </div>
        {error && <ErrorNotice error={error} title="The alert was not silenced" />}
        {errors[''] && (
          <ul className="field-error">
            {errors[''].map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Silencing…' : `Silence for ${duration}`}
          </button>
          <button type="button" className="button button-quiet" onClick={onCancel}>
            Cancel
          </button>
        </div>
        <p className="muted small">
          To silence more than this alert (the whole service, a severity, a label),{' '}
          <Link to={customSilencePath(alert)}>write the matchers on the Silences page</Link>.
        </p>
      </form>
    </section>
  );
}
