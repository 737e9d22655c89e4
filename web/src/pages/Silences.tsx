import { type FormEvent, useId, useState } from 'react';
import { fieldErrors, isSilenceState, SILENCE_STATE_LABELS, SILENCE_STATES } from '../alerts.ts';
import { ApiError, api, seg, useApi } from '../api.ts';
import { LiveIndicator } from '../components/live.tsx';
import { Pagination } from '../components/Pagination.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { formatSpan, parseDuration, plural } from '../format.ts';
import { useJournalRefresh } from '../live.ts';
import { canWrite } from '../probes.ts';
import { Link, navigate, useLocation, withQuery } from '../router.tsx';
import { useSession } from '../session.ts';
import { formatAbsolute, Time } from '../time.tsx';
import { useTitle } from '../title.ts';
import type { Page, Silence, SilenceState } from '../types.ts';

/** `current` (the server's default) is active and pending: what holds notifications back now or soon. */
const STATE_FILTERS = ['current', ...SILENCE_STATES, 'all'] as const;
type StateFilter = (typeof STATE_FILTERS)[number];
const STATE_FILTER_LABELS: Record<StateFilter, string> = { current: 'Current', ...SILENCE_STATE_LABELS, all: 'All' };
const PAGE_SIZE = 100;
const FIELDS = ['matchers', 'duration', 'startsAt', 'endsAt', 'comment'] as const;

function toApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError({ title: 'Error', status: 0, code: 'CLIENT', detail: String(e) });
}

export function SilenceStatePill({ state }: { state: SilenceState }) {
  return (
    <span className={`badge silence-state silence-state-${state}`} data-state={state}>
      {SILENCE_STATE_LABELS[state] ?? state}
    </span>
  );
}

export function SilencesPage() {
  useTitle('Silences');
  const { pathname, query } = useLocation();
  const asked = query.get('state') ?? 'current';
  const state: StateFilter = asked === 'all' || isSilenceState(asked) ? asked : 'current';
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const list = useApi<Page<Silence>>(
    withQuery('/api/v1/silences', { state: state === 'current' ? null : state, limit: PAGE_SIZE, offset }),
  );
  const live = useJournalRefresh(['silence.'], list.reload);
  const { session } = useSession();
  const writer = canWrite(session.scopes);
  const [created, setCreated] = useState<Silence | null>(null);
  const [expireError, setExpireError] = useState<ApiError | null>(null);
  const [expiring, setExpiring] = useState<string | null>(null);
  /** The silence just expired, and the alerts it kept quiet that were notified then. */
  const [expired, setExpired] = useState<{ silence: Silence; notified: string[] } | null>(null);

  const setState = (s: StateFilter) => navigate(withQuery(pathname, { state: s === 'current' ? null : s }), { replace: true });

  const expire = async (silence: Silence) => {
    setExpiring(silence.id);
    setExpireError(null);
    try {
      const out = await api<Silence & { notifiedAlerts: string[] }>(`/api/v1/silences/${seg(silence.id)}/expire`, {
        method: 'POST',
      });
      setExpired({ silence: out, notified: out.notifiedAlerts ?? [] });
      if (created?.id === silence.id) setCreated(null);
      list.reload();
    } catch (e) {
      setExpireError(toApiError(e));
    } finally {
      setExpiring(null);
    }
  };

  const items = list.data?.items ?? null;
  return (
    <>
      <div className="page-header">
        <div>
          <h1>Silences</h1>
          <p className="lead">
            A silence holds back the notifications of the alerts its matchers select, for a while: planned work, a known issue
            being fixed. The alerts are still recorded and counted.
          </p>
        </div>
        <LiveIndicator state={live} liveHint="The list updates when a silence is created or expired" />
      </div>

      {writer && (
        <NewSilence
          onCreated={(s) => {
            setCreated(s);
            if (state !== 'all' && state !== 'current' && state !== s.state) setState(s.state);
            list.reload();
          }}
        />
      )}
      {created && (
        <p role="status" className="notice notice-override">
          Silence created: <code>{created.matchers.join(', ')}</code> until {formatAbsolute(created.endsAt)}.
        </p>
      )}

      <section aria-labelledby="silences-list-title">
        <div className="section-header">
          <h2 id="silences-list-title">
            {state === 'current' ? 'Active and pending silences' : `${STATE_FILTER_LABELS[state]} silences`}
          </h2>
        </div>
        <fieldset className="segmented silence-states">
          <legend className="sr-only">Show silences</legend>
          {STATE_FILTERS.map((s) => (
            <button key={s} type="button" aria-pressed={state === s} onClick={() => setState(s)}>
              {STATE_FILTER_LABELS[s]}
            </button>
          ))}
        </fieldset>
        {expireError && <ErrorNotice error={expireError} title="The silence was not expired" />}
        {expired && (
          <p role="status" className="notice">
            Silence <code>{expired.silence.matchers.join(', ')}</code> expired.{' '}
            {expired.notified.length === 0 ? (
              'No alert it kept quiet is still firing.'
            ) : (
              <>
                {expired.notified.length === 1
                  ? 'One alert it kept quiet still fires and was notified: '
                  : `${expired.notified.length} alerts it kept quiet still fire and were notified: `}
                {expired.notified.map((id, i) => (
                  <span key={id}>
                    {i > 0 && ', '}
                    <Link to={`/alerts/${seg(id)}`}>{id.slice(-8)}</Link>
                  </span>
                ))}
                .
              </>
            )}
          </p>
        )}
        {list.error && !items ? (
          <ErrorNotice error={list.error} onRetry={list.reload} />
        ) : !items ? (
          <Loading label="Loading silences…" />
        ) : items.length === 0 ? (
          <EmptyState
            title={
              state === 'all'
                ? 'No silences yet'
                : state === 'current'
                  ? 'No active or pending silences'
                  : `No ${SILENCE_STATE_LABELS[state].toLowerCase()} silences`
            }
          >
            <p>
              {state === 'current' || state === 'active'
                ? 'Every alert notifies as usual. Silence one alert from its page, or write matchers above for a group of them.'
                : 'Try another state.'}
            </p>
          </EmptyState>
        ) : (
          <>
            <p className="muted" role="status">
              {plural(list.data?.total ?? items.length, 'silence', 'silences')}
              {list.loading ? ' · updating…' : ''}
            </p>
            <SilenceTable
              items={items}
              writer={writer}
              expiring={expiring}
              highlight={created?.id ?? null}
              onExpire={(s) => void expire(s)}
            />
            {list.data && (
              <Pagination
                total={list.data.total}
                limit={list.data.limit || PAGE_SIZE}
                offset={list.data.offset}
                href={(o) => withQuery(pathname, { state: state === 'current' ? null : state, offset: o || null })}
              />
            )}
          </>
        )}
      </section>
    </>
  );
}

function SilenceTable({
  items,
  writer,
  expiring,
  highlight,
  onExpire,
}: {
  items: Silence[];
  writer: boolean;
  expiring: string | null;
  highlight: string | null;
  onExpire: (s: Silence) => void;
}) {
  return (
    <div className="table-wrap">
      <table className="table silence-table stack-on-phone">
        <caption className="sr-only">Silences, with their matchers, state and time span</caption>
        <thead>
          <tr>
            <th scope="col">Matchers</th>
            <th scope="col">State</th>
            <th scope="col" className="nowrap">
              Starts
            </th>
            <th scope="col" className="nowrap">
              Ends
            </th>
            <th scope="col">Comment</th>
            {writer && (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={s.id} data-silence={s.id} data-state={s.state} className={highlight === s.id ? 'row-fresh' : undefined}>
              <td>
                <ul className="matcher-list" aria-label="Matchers">
                  {s.matchers.map((m) => (
                    <li key={m}>
                      <code className="matcher">{m}</code>
                    </li>
                  ))}
                </ul>
              </td>
              <td className="nowrap">
                <SilenceStatePill state={s.state} />
              </td>
              <td className="nowrap">
                <span className="phone-only muted">Starts </span>
                <Time at={s.startsAt} />
              </td>
              <td className="nowrap">
                <span className="phone-only muted">Ends </span>
                <Time at={s.endsAt} />
                <div className="cell-sub muted">lasts {formatSpan(s.endsAt - s.startsAt)}</div>
              </td>
              <td className="silence-comment">
                <span className="break">{s.comment}</span>
                <div className="cell-sub muted">
                  by {s.createdBy} · <Time at={s.createdAt} />
                </div>
              </td>
              {writer && (
                <td className="nowrap cell-actions">
                  {s.state !== 'expired' && (
                    <button
                      type="button"
                      className="button"
                      onClick={() => onExpire(s)}
                      disabled={expiring !== null}
                      aria-label={`Expire the silence ${s.matchers.join(', ')}`}
                    >
                      {expiring === s.id ? 'Expiring…' : 'Expire'}
                    </button>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `2026-11-29T14:30` from a `datetime-local` input → epoch ms in the browser's time zone. */
function localToMs(value: string): number | null {
  if (!value) return null;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : null;
}

function NewSilence({ onCreated }: { onCreated: (s: Silence) => void }) {
  const id = useId();
  const { query } = useLocation();
  const [matchers, setMatchers] = useState(() => query.getAll('matcher').join('\n'));
  const [duration, setDuration] = useState('2h');
  const [starts, setStarts] = useState('');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const lines = matchers
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    const local: Record<string, string[]> = {};
    if (lines.length === 0) local.matchers = ['Write at least one matcher, such as service="checkout".'];
    const startsAt = localToMs(starts);
    const span = parseDuration(duration);
    if (startsAt !== null && span === null) local.duration = ['A duration such as 30m, 2h or 1d.'];
    if (comment.trim() === '') local.comment = ['Say why, so whoever sees the silence knows whether it can be lifted.'];
    setErrors(local);
    setError(null);
    if (Object.keys(local).length > 0) return;
    const body =
      startsAt !== null && span !== null
        ? { matchers: lines, startsAt, endsAt: startsAt + span, comment: comment.trim() }
        : { matchers: lines, duration: duration.trim(), comment: comment.trim() };
    setBusy(true);
    try {
      const s = await api<Silence>('/api/v1/silences', { method: 'POST', body });
      setMatchers('');
      setComment('');
      setStarts('');
      onCreated(s);
    } catch (e) {
      const err = toApiError(e);
      const byField = fieldErrors(err.problem, FIELDS);
      // A span given as start and end is reported on the fields the form shows.
      const when = [...(byField.startsAt ?? []), ...(byField.endsAt ?? [])];
      setErrors({
        ...byField,
        ...(when.length > 0 ? { starts: when } : {}),
      });
      if (Object.keys(byField).length === 0) setError(err);
    } finally {
      setBusy(false);
    }
  };

  const describe = (field: string, hint?: string) =>
    [hint, errors[field] ? `${id}-${field}-error` : undefined].filter(Boolean).join(' ') || undefined;
  const fieldError = (field: string) =>
    errors[field] ? (
      <p id={`${id}-${field}-error`} className="field-error">
        {errors[field].join('; ')}
      </p>
    ) : null;

  return (
    <section className="card new-silence" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>New silence</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="form-row">
          <div className="field field-grow">
            <label htmlFor={`${id}-matchers`}>Matchers</label>
            <textarea
              id={`${id}-matchers`}
              rows={3}
              className="mono"
              value={matchers}
              onChange={(e) => setMatchers(e.target.value)}
              placeholder={'service="checkout"\nseverity=~"warning|info"'}
              spellCheck={false}
              aria-invalid={errors.matchers ? true : undefined}
              aria-describedby={describe('matchers', `${id}-matchers-hint`)}
            />
            <p id={`${id}-matchers-hint`} className="hint">
              One per line, as Alertmanager writes them: <code>=</code>, <code>!=</code>, <code>=~</code>, <code>!~</code> on
              labels and <code>service</code>, <code>severity</code>. An alert must match every line.
            </p>
            {fieldError('matchers')}
          </div>
        </div>
        <div className="form-row">
          <div className="field">
            <label htmlFor={`${id}-duration`}>For</label>
            <input
              id={`${id}-duration`}
              value={duration}
              onChange={(e) => setDuration(e.target.value)}
              spellCheck={false}
              autoComplete="off"
              aria-invalid={errors.duration ? true : undefined}
              aria-describedby={describe('duration', `${id}-duration-hint`)}
            />
            <p id={`${id}-duration-hint`} className="hint">
              30m, 2h, 1d…
            </p>
            {fieldError('duration')}
          </div>
          <div className="field">
            <label htmlFor={`${id}-starts`}>Starts</label>
            <input
              id={`${id}-starts`}
              type="datetime-local"
              value={starts}
              onChange={(e) => setStarts(e.target.value)}
              aria-invalid={errors.starts ? true : undefined}
              aria-describedby={describe('starts', `${id}-starts-hint`)}
            />
            <p id={`${id}-starts-hint`} className="hint">
              Empty: now.
            </p>
            {fieldError('starts')}
          </div>
          <div className="field field-grow">
            <label htmlFor={`${id}-comment`}>Comment</label>
            <textarea
              id={`${id}-comment`}
              rows={2}
              value={comment}
              onChange={(e) => setComment(e.target.value)}
              placeholder="Why: planned database failover, known issue…"
              aria-invalid={errors.comment ? true : undefined}
              aria-describedby={describe('comment')}
            />
            {fieldError('comment')}
          </div>
        </div>
        {errors[''] && (
          <ul className="field-error" role="alert">
            {errors[''].map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        )}
        {error && <ErrorNotice error={error} title="The silence was not created" />}
        <div className="form-actions">
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create silence'}
          </button>
        </div>
      </form>
    </section>
  );
}
