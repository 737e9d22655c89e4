import { Fragment, type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError, api, useApi } from '../api.ts';
import { EntityLink } from '../components/badges.tsx';
import { LiveIndicator } from '../components/live.tsx';
import { ProbeLatencyChart } from '../components/ProbeLatencyChart.tsx';
import { failureReason, ResultDetails } from '../components/ProbeResult.tsx';
import { CheckOutcome, ProbeStatusPill, ProbeTypeBadge, Since, UptimeMini } from '../components/ProbeStatus.tsx';
import { sloPath } from '../components/slo.tsx';
import { DetailPage, ErrorNotice, Loading } from '../components/status.tsx';
import { UptimeBar } from '../components/UptimeBar.tsx';
import { formatSpan, plural } from '../format.ts';
import { useJournalRefresh } from '../live.ts';
import {
  canWrite,
  formatMs,
  formatUptime,
  type HeartbeatKeyOut,
  isUptimeWindow,
  type ProbeAlertOut,
  type ProbeDetailOut,
  type ProbeResultOut,
  type ProbeSeriesOut,
  type ProbeTransition,
  probeApi,
  STATUS_LABELS,
  UPTIME_WINDOWS,
  type UptimeWindow,
  uptimeTone,
  useVisibleInterval,
  WINDOW_LABELS,
} from '../probes.ts';
import { Link, navigate, useLocation, withQuery } from '../router.tsx';
import { useSession } from '../session.ts';
import { formatAbsolute, Time } from '../time.tsx';
import { useTitle } from '../title.ts';
import type { SloStatus } from '../types.ts';

/** Last-check times, uptimes and the heartbeat deadline move with the clock, not only with journal entries. */
const REFRESH_MS = 30_000;

/** Refetches a resource when the page's live generation moves on. */
function useReloadOn(generation: number, reload: () => void): void {
  const seen = useRef(generation);
  useEffect(() => {
    if (seen.current === generation) return;
    seen.current = generation;
    reload();
  }, [generation, reload]);
}

function toApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError({ title: 'Error', status: 0, code: 'CLIENT', detail: String(e) });
}

export function ProbePage({ name }: { name: string }) {
  useTitle(name);
  const probe = useApi<ProbeDetailOut>(probeApi(name));
  const [generation, setGeneration] = useState(0);
  const reloadAll = useCallback(() => {
    probe.reload();
    setGeneration((g) => g + 1);
  }, [probe.reload]);
  const live = useJournalRefresh(['probe.'], reloadAll);
  useVisibleInterval(reloadAll, REFRESH_MS);

  return (
    <DetailPage trail={[{ to: '/probes', label: 'Probes' }]} name={name} resource={probe}>
      {(data) => (
        <ProbeView
          probe={data}
          generation={generation}
          reload={reloadAll}
          live={<LiveIndicator state={live} liveHint="The page updates when the probe goes down or comes back up" />}
        />
      )}
    </DetailPage>
  );
}

function ProbeView({
  probe,
  generation,
  reload,
  live,
}: {
  probe: ProbeDetailOut;
  generation: number;
  reload: () => void;
  live: ReactNode;
}) {
  const { session } = useSession();
  const writer = canWrite(session.scopes);
  const [run, setRun] = useState<{ result: ProbeResultOut; at: number } | null>(null);
  const [busy, setBusy] = useState<'run' | 'pause' | 'resume' | null>(null);
  const [actionError, setActionError] = useState<{ action: string; error: ApiError } | null>(null);
  const runRef = useRef<HTMLElement>(null);
  const paused = probe.status === 'paused' || probe.spec.enabled === false;
  const heartbeat = probe.type === 'heartbeat';

  const runNow = async () => {
    setBusy('run');
    setActionError(null);
    try {
      const result = await api<ProbeResultOut>(`${probeApi(probe.name)}/run`, { method: 'POST' });
      setRun({ result, at: Date.now() });
      // The answer appears below the header; bring it into view without stealing focus from the button.
      requestAnimationFrame(() => runRef.current?.scrollIntoView({ block: 'nearest', behavior: 'smooth' }));
    } catch (e) {
      setActionError({ action: 'The check did not run', error: toApiError(e) });
    } finally {
      setBusy(null);
    }
  };

  const setPaused = async (pause: boolean) => {
    setBusy(pause ? 'pause' : 'resume');
    setActionError(null);
    try {
      await api<ProbeDetailOut>(`${probeApi(probe.name)}/${pause ? 'pause' : 'resume'}`, { method: 'POST' });
      reload();
    } catch (e) {
      setActionError({ action: pause ? 'The probe was not paused' : 'The probe was not resumed', error: toApiError(e) });
    } finally {
      setBusy(null);
    }
  };

  return (
    <>
      <div className="page-header">
        <div>
          <h1>
            {probe.name} <ProbeStatusPill status={probe.status} />
          </h1>
          {probe.description && <p className="lead">{probe.description}</p>}
          <p className="probe-headline">
            <span className="mono break probe-target">{probe.target}</span>
          </p>
        </div>
        <div className="probe-header-end">
          {live}
          {writer && (
            <div className="probe-actions">
              {!heartbeat && (
                <button type="button" className="button button-primary" onClick={() => void runNow()} disabled={busy !== null}>
                  {busy === 'run' ? 'Running…' : 'Run now'}
                </button>
              )}
              {paused ? (
                <button type="button" className="button" onClick={() => void setPaused(false)} disabled={busy !== null}>
                  {busy === 'resume' ? 'Resuming…' : 'Resume'}
                </button>
              ) : (
                <button type="button" className="button" onClick={() => void setPaused(true)} disabled={busy !== null}>
                  {busy === 'pause' ? 'Pausing…' : 'Pause'}
                </button>
              )}
            </div>
          )}
        </div>
      </div>

      {actionError && <ErrorNotice error={actionError.error} title={actionError.action} />}

      <dl className="facts card probe-facts">
        <div>
          <dt>Status</dt>
          <dd>
            <ProbeStatusPill status={probe.status} />
            {probe.since !== null && (
              <div className="cell-sub muted">
                <Since at={probe.since} prefix="since " />
              </div>
            )}
          </dd>
        </div>
        <div>
          <dt>Service</dt>
          <dd>
            <EntityLink kind="service" name={probe.service} />
          </dd>
        </div>
        <div>
          <dt>Type</dt>
          <dd>
            <ProbeTypeBadge type={probe.type} />
          </dd>
        </div>
        <div>
          <dt>Interval</dt>
          <dd>
            {heartbeat ? 'pushed' : `every ${probe.interval}`}
            {!heartbeat && typeof probe.spec.timeout === 'string' && (
              <div className="cell-sub muted">timeout {probe.spec.timeout}</div>
            )}
          </dd>
        </div>
        <div>
          <dt>Last check</dt>
          <dd>
            {probe.lastCheckAt === null ? (
              <span className="muted">not yet</span>
            ) : (
              <>
                <Time at={probe.lastCheckAt} />
                <div className="cell-sub">
                  {probe.lastOk !== null && <CheckOutcome ok={probe.lastOk} />}{' '}
                  {probe.lastDurationMs !== null && <span className="muted">{formatMs(probe.lastDurationMs)}</span>}
                </div>
              </>
            )}
          </dd>
        </div>
        <div>
          <dt>Managed by</dt>
          <dd>
            {probe.source ? <span title="Written by vigil apply">{probe.source}</span> : <span className="muted">API / UI</span>}
          </dd>
        </div>
      </dl>

      {probe.openAlert && <OpenAlert alert={probe.openAlert} />}
      {paused && (
        <div className="notice notice-override" role="status">
          <strong>Paused.</strong> {heartbeat ? 'Missed pings are not judged' : 'The probe is not checked'} until it is resumed;
          its history is kept.
        </div>
      )}

      {run && (
        <section className="card run-result" aria-labelledby="run-title" ref={runRef} tabIndex={-1} data-ok={run.result.ok}>
          <div className="section-header">
            <h2 id="run-title">Check run just now</h2>
            <button type="button" className="link-button" onClick={() => setRun(null)}>
              Dismiss
            </button>
          </div>
          <p role="status" className="run-summary">
            <CheckOutcome ok={run.result.ok} /> {run.result.ok ? 'The check passed' : 'The check failed'} in{' '}
            {formatMs(run.result.durationMs)}
            {run.result.status !== undefined ? ` with status ${run.result.status}` : ''}.{' '}
            <span className="muted">Runs on demand are not recorded in the history.</span>
          </p>
          <ResultDetails result={run.result} />
        </section>
      )}

      <section className="probe-uptime" aria-labelledby="uptime-title">
        <h2 id="uptime-title">Uptime</h2>
        <dl className="stat-grid uptime-tiles">
          {UPTIME_WINDOWS.map((w) => (
            <div key={w} className="stat" data-window={w}>
              <dt>{w}</dt>
              <dd>
                <span className={`stat-value uptime-value-${uptimeTone(probe.uptimes[w])}`}>
                  {formatUptime(probe.uptimes[w])}
                </span>
                <UptimeMini ratio={probe.uptimes[w]} />
                <span className="stat-sub">{WINDOW_LABELS[w]}</span>
              </dd>
            </div>
          ))}
        </dl>
        <div className="card">
          <h3>Last 90 days</h3>
          <UptimeBar days={probe.daily} probe={probe.name} />
        </div>
      </section>

      <LatencySection probe={probe} generation={generation} />
      <ReliabilitySection probe={probe} />
      {heartbeat && <HeartbeatSection probe={probe} writer={writer} />}

      <div className="grid-2">
        <TransitionsSection transitions={probe.transitions} />
        <SlisSection slis={probe.slis} />
      </div>

      <ResultsSection probe={probe} generation={generation} />
      <AlertsSection probe={probe} generation={generation} />
      <BadgeSection probe={probe} />
    </>
  );
}

function OpenAlert({ alert }: { alert: ProbeAlertOut }) {
  return (
    <div className="notice notice-alert probe-alert" role="alert">
      <strong>
        {alert.kind === 'missed-heartbeat' ? 'No heartbeat in time' : 'The probe is down'} since <Time at={alert.openedAt} />
      </strong>
      <p className="mono break">{alert.reason}</p>
      {alert.excerpt && (
        <details>
          <summary>Response of the check that failed</summary>
          <pre className="code body-excerpt">
            <code>{alert.excerpt}</code>
          </pre>
        </details>
      )}
    </div>
  );
}

function LatencySection({ probe, generation }: { probe: ProbeDetailOut; generation: number }) {
  const { pathname, query } = useLocation();
  const asked = query.get('range') ?? '24h';
  const range: UptimeWindow = isUptimeWindow(asked) ? asked : '24h';
  const series = useApi<ProbeSeriesOut>(`${probeApi(probe.name)}/series?range=${range}`);
  useReloadOn(generation, series.reload);
  const headingId = useId();
  const data = series.data;
  const setRange = (r: UptimeWindow) => navigate(withQuery(pathname, { range: r === '24h' ? null : r }), { replace: true });

  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="section-header latency-header">
        <h2 id={headingId}>Latency</h2>
        <fieldset className="segmented range-switch">
          <legend className="sr-only">Latency range</legend>
          {UPTIME_WINDOWS.map((w) => (
            <button key={w} type="button" aria-pressed={range === w} onClick={() => setRange(w)}>
              {w}
            </button>
          ))}
        </fieldset>
      </div>
      {probe.type === 'heartbeat' ? (
        <p className="muted">Heartbeats are pushed to Vigil, so there is no latency to measure.</p>
      ) : series.error && !data ? (
        <ErrorNotice error={series.error} onRetry={series.reload} title="Cannot load the latency" />
      ) : !data ? (
        <Loading label="Loading the latency…" />
      ) : (
        <>
          <p className="muted small">
            How long passing checks took, per {formatSpan(data.stepMs)}. Failed checks (errors, timeouts) are left out: their time
            says little about the service.
          </p>
          <ProbeLatencyChart
            title={`Check latency of ${probe.name}, ${WINDOW_LABELS[range]}`}
            points={data.points}
            from={data.from}
            to={data.to}
          />
        </>
      )}
    </section>
  );
}

const RELIABILITY: Array<{ key: 'mtbfMs' | 'mttfMs' | 'mttrMs'; abbr: string; name: string; hint: string }> = [
  {
    key: 'mtbfMs',
    abbr: 'MTBF',
    name: 'between failures',
    hint: 'Mean time between failures: from one outage starting to the next one starting.',
  },
  {
    key: 'mttfMs',
    abbr: 'MTTF',
    name: 'to failure',
    hint: 'Mean time to failure: how long the probe stayed up before it went down.',
  },
  {
    key: 'mttrMs',
    abbr: 'MTTR',
    name: 'to repair',
    hint: 'Mean time to repair: how long an outage lasted until the probe was up again.',
  },
];

function ReliabilitySection({ probe }: { probe: ProbeDetailOut }) {
  const r = probe.reliability;
  return (
    <section className="probe-reliability" aria-labelledby="reliability-title">
      <h2 id="reliability-title">Reliability, {WINDOW_LABELS[r.window]}</h2>
      <dl className="stat-grid reliability-tiles">
        {RELIABILITY.map((m) => (
          <div key={m.key} className="stat" data-metric={m.key}>
            <dt>
              <abbr title={m.hint}>{m.abbr}</abbr>
            </dt>
            <dd>
              <span className="stat-value">{r[m.key] === null ? '—' : formatSpan(r[m.key] ?? 0)}</span>
              <span className="stat-sub">mean time {m.name}</span>
            </dd>
          </div>
        ))}
        <div className="stat" data-metric="failures">
          <dt>Failures</dt>
          <dd>
            <span className="stat-value">{r.failures}</span>
            <span className="stat-sub">{r.failures === 0 ? 'no outage in this window' : 'times the probe went down'}</span>
          </dd>
        </div>
      </dl>
      {r.failures < 2 && (
        <p className="muted small">
          The means need outages to measure: MTBF needs two, MTTF and MTTR one that started and ended within the window.
        </p>
      )}
    </section>
  );
}

function HeartbeatSection({ probe, writer }: { probe: ProbeDetailOut; writer: boolean }) {
  const [key, setKey] = useState<HeartbeatKeyOut | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const hb = probe.heartbeat;
  const now = Date.now();
  const spec = probe.spec.heartbeat as { period?: string; grace?: string } | undefined;

  const show = async () => {
    setBusy(true);
    setError(null);
    try {
      setKey(await api<HeartbeatKeyOut>(`${probeApi(probe.name)}/heartbeat-key`));
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  };

  const origin = window.location.origin;
  return (
    <section className="card heartbeat" aria-labelledby="heartbeat-title">
      <h2 id="heartbeat-title">Heartbeat</h2>
      <p className="muted small">
        The job pings Vigil every {spec?.period ?? 'period'}
        {spec?.grace ? `, with ${spec.grace} of grace` : ''}; the probe goes down when a ping is late or reports a failure.
      </p>
      <dl className="facts">
        <div>
          <dt>Last ping</dt>
          <dd data-field="last-ping">{hb?.lastPingAt ? <Time at={hb.lastPingAt} /> : <span className="muted">never</span>}</dd>
        </div>
        <div>
          <dt>Deadline</dt>
          <dd data-field="deadline">
            {hb?.deadlineAt ? (
              <time dateTime={new Date(hb.deadlineAt).toISOString()} title={formatAbsolute(hb.deadlineAt)}>
                {hb.deadlineAt > now ? (
                  `in ${formatSpan(hb.deadlineAt - now)}`
                ) : (
                  <span className="text-danger">overdue by {formatSpan(now - hb.deadlineAt)}</span>
                )}
              </time>
            ) : (
              <span className="muted">none until the first ping</span>
            )}
          </dd>
        </div>
      </dl>
      {writer &&
        (key ? (
          <div className="heartbeat-key">
            <CopyField label="Ping on success" value={`curl -fsS -X POST ${origin}${key.path}`} />
            <CopyField label="Ping on failure" value={`curl -fsS -X POST ${origin}${key.path}/fail`} />
            <p className="muted small">Anyone with this URL can ping the probe; keep it with the job's secrets.</p>
          </div>
        ) : (
          <p>
            <button type="button" className="button" onClick={() => void show()} disabled={busy}>
              {busy ? 'Loading…' : 'Show ping URL'}
            </button>
          </p>
        ))}
      {error && <ErrorNotice error={error} title="Cannot show the ping URL" />}
    </section>
  );
}

function TransitionsSection({ transitions }: { transitions: ProbeTransition[] }) {
  return (
    <section className="card" aria-labelledby="transitions-title">
      <h2 id="transitions-title">State changes</h2>
      {transitions.length === 0 ? (
        <p className="muted">The probe has not changed state yet.</p>
      ) : (
        <ol className="transition-list">
          {transitions.map((t) => (
            <li key={`${t.at}-${t.to}`} data-to={t.to}>
              <ProbeStatusPill status={t.to} /> <span className="muted small">from {STATUS_LABELS[t.from].toLowerCase()}</span> ·{' '}
              <Time at={t.at} />
              {t.reason && <div className="cell-sub mono break">{t.reason}</div>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

function SlisSection({ slis }: { slis: string[] }) {
  const slos = useApi<{ items: SloStatus[] }>(slis.length > 0 ? '/api/v1/slos' : null);
  return (
    <section className="card" aria-labelledby="slis-title">
      <h2 id="slis-title">SLIs fed by this probe</h2>
      {slis.length === 0 ? (
        <p className="muted">
          None. An SLI with a probe source counts this probe's checks as its good and total events, so an SLO can budget its
          uptime.
        </p>
      ) : (
        <ul className="ref-list">
          {slis.map((sli) => {
            const users = slos.data?.items.filter((s) => s.sli === sli) ?? [];
            return (
              <li key={sli}>
                <span className="mono">{sli}</span>
                {users.length > 0 && (
                  <span className="muted">
                    {' '}
                    · SLO{' '}
                    {users.map((s, i) => (
                      <span key={s.name}>
                        {i > 0 ? ', ' : ''}
                        <Link to={sloPath(s.name)}>{s.displayName || s.name}</Link>
                      </span>
                    ))}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function ResultsSection({ probe, generation }: { probe: ProbeDetailOut; generation: number }) {
  const results = useApi<{ items: ProbeResultOut[] }>(`${probeApi(probe.name)}/results?limit=50`);
  useReloadOn(generation, results.reload);
  const [open, setOpen] = useState<number | null>(null);
  const items = results.data?.items ?? null;
  const baseId = useId();
  return (
    <section className="card" aria-labelledby="results-title">
      <h2 id="results-title">Recent checks</h2>
      {results.error && !items ? (
        <ErrorNotice error={results.error} onRetry={results.reload} />
      ) : !items ? (
        <Loading label="Loading the checks…" />
      ) : items.length === 0 ? (
        <p className="muted">
          {probe.type === 'heartbeat' ? 'No ping has arrived yet.' : 'No check has run yet; the first runs within an interval.'}
        </p>
      ) : (
        <>
          <p className="muted small">
            The last {plural(items.length, 'check', 'checks')}, newest first; {items.filter((r) => !r.ok).length} failed.
          </p>
          <div className="table-wrap">
            <table className="table results-table">
              <caption className="sr-only">Recent checks of {probe.name}, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Outcome</th>
                  <th scope="col" className="num col-status">
                    Status
                  </th>
                  <th scope="col" className="num">
                    Duration
                  </th>
                  <th scope="col">Error or failing condition</th>
                </tr>
              </thead>
              <tbody>
                {items.map((r) => {
                  const expanded = open === r.at;
                  const detailsId = `${baseId}-${r.at}`;
                  const reason = failureReason(r);
                  return (
                    <Fragment key={r.at}>
                      <tr className={r.ok ? undefined : 'row-failed'} data-ok={r.ok}>
                        <td className="nowrap">
                          <button
                            type="button"
                            className="link-button expand-button"
                            aria-expanded={expanded}
                            aria-controls={detailsId}
                            onClick={() => setOpen(expanded ? null : r.at)}
                          >
                            <span aria-hidden="true" className="expand-glyph">
                              {expanded ? '▾' : '▸'}
                            </span>
                            <span className="sr-only">Details of the check at </span>
                            {formatAbsolute(r.at)}
                          </button>
                        </td>
                        <td>
                          <CheckOutcome ok={r.ok} />
                        </td>
                        <td className="num mono col-status">{r.status ?? '—'}</td>
                        <td className="num nowrap">{formatMs(r.durationMs)}</td>
                        <td className="break">{reason ? <span className="mono small">{reason}</span> : null}</td>
                      </tr>
                      {expanded && (
                        <tr className="result-expanded">
                          <td colSpan={5} id={detailsId} className="result-expanded-cell">
                            <ResultDetails result={r} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function AlertsSection({ probe, generation }: { probe: ProbeDetailOut; generation: number }) {
  const alerts = useApi<{ items: ProbeAlertOut[] }>(withQuery('/api/v1/probe-alerts', { state: 'all', probe: probe.name }));
  useReloadOn(generation, alerts.reload);
  const items = alerts.data?.items ?? null;
  return (
    <section className="card" aria-labelledby="probe-alerts-title">
      <h2 id="probe-alerts-title">Alerts</h2>
      {alerts.error && !items ? (
        <ErrorNotice error={alerts.error} onRetry={alerts.reload} />
      ) : !items ? (
        <Loading label="Loading alerts…" />
      ) : items.length === 0 ? (
        <p className="muted">No alert has fired for this probe.</p>
      ) : (
        <div className="table-wrap">
          <table className="table stack-on-phone">
            <caption className="sr-only">Alerts of {probe.name}, firing and resolved</caption>
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Reason</th>
                <th scope="col">Opened</th>
                <th scope="col">Resolved</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-alert-state={a.state}>
                  <td>
                    <span className={`badge alert-state alert-${a.state}`}>{a.state}</span>
                  </td>
                  <td>
                    {a.kind === 'missed-heartbeat' ? 'missed heartbeat' : 'down'}
                    <div className="cell-sub mono break">{a.reason}</div>
                  </td>
                  <td className="nowrap">
                    <Time at={a.openedAt} />
                  </td>
                  <td className="nowrap">
                    {a.resolvedAt ? (
                      <>
                        <Time at={a.resolvedAt} />
                        <div className="cell-sub muted">after {formatSpan(a.resolvedAt - a.openedAt)}</div>
                      </>
                    ) : (
                      <span className="muted">still firing</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function BadgeSection({ probe }: { probe: ProbeDetailOut }) {
  const origin = window.location.origin;
  const path = `${probeApi(probe.name)}/badge.svg`;
  const markdown = `![uptime](${origin}${path}?window=30d)`;
  const statusMarkdown = `![status](${origin}${path}?window=status)`;
  return (
    <section className="card badge-section" aria-labelledby="badge-title">
      <h2 id="badge-title">Badge</h2>
      <p className="muted small">
        A public image for a README or a status page. It shows the uptime of a window (<code>24h</code>, <code>7d</code>,{' '}
        <code>30d</code>, <code>90d</code>) or, with <code>window=status</code>, whether the probe is up.
      </p>
      <div className="badge-previews">
        <img src={`${path}?window=30d`} alt={`Uptime badge of ${probe.name} over 30 days`} className="probe-badge" />
        <img src={`${path}?window=status`} alt={`Status badge of ${probe.name}`} className="probe-badge" />
      </div>
      <CopyField label="Markdown, 30-day uptime" value={markdown} />
      <CopyField label="Markdown, status" value={statusMarkdown} />
    </section>
  );
}

/** A read-only snippet with a copy button; the text stays selectable where the clipboard is refused. */
function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(null), 2500);
    return () => clearTimeout(timer);
  }, [copied]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('yes');
    } catch {
      inputRef.current?.select();
      setCopied('no');
    }
  };
  return (
    <div className="field copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input
          ref={inputRef}
          id={id}
          className="mono"
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
        />
        <button type="button" className="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p className="hint" role="status">
        {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'Selected: press Ctrl+C or ⌘C to copy.' : ''}
      </p>
    </div>
  );
}
