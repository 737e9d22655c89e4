import type { ReactNode } from 'react';
import {
  ALERT_STATUS_GLYPHS,
  ALERT_STATUS_HINTS,
  ALERT_STATUS_LABELS,
  ALERT_STATUSES,
  alertPath,
  describeSuppression,
  isStatusFilter,
  SEVERITY_LABELS,
  STATUS_FILTER_LABELS,
  STATUS_FILTERS,
  type StatusFilter,
  silencesPath,
} from '../alerts.ts';
import { useApi } from '../api.ts';
import { EntityLink } from '../components/badges.tsx';
import { LiveIndicator } from '../components/live.tsx';
import { Pagination } from '../components/Pagination.tsx';
import { StatusChips } from '../components/StatusChips.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { plural } from '../format.ts';
import { useJournalRefresh } from '../live.ts';
import { useVisibleInterval } from '../probes.ts';
import { Link, navigate, useLocation, withQuery } from '../router.tsx';
import { formatAbsolute, Time } from '../time.tsx';
import { useTitle } from '../title.ts';
import type { Alert, AlertSeverity, AlertStatus, EntitySummary, Page } from '../types.ts';

const PAGE_SIZE = 50;
/** Relative times and deferrals move with the clock, not only with journal entries. */
const REFRESH_MS = 30_000;

const SUBPAGES = [
  { to: '/alerts', label: 'Alerts' },
  { to: silencesPath, label: 'Silences' },
  { to: '/alerts/dead', label: 'Dead letters' },
  { to: '/alerts/fatigue', label: 'Fatigue' },
];

/** The alerting pages' own navigation: Alerts · Silences · Dead letters · Fatigue. */
export function AlertsNav() {
  const { pathname } = useLocation();
  const here = pathname.replace(/\/$/, '') || '/';
  return (
    <nav aria-label="Alerting" className="subnav">
      <ul>
        {SUBPAGES.map((p) => (
          <li key={p.to}>
            <Link to={p.to} className="subnav-link" aria-current={here === p.to ? 'page' : undefined}>
              {p.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** A page of the alerting section under its sub-navigation. */
export function AlertsShell({ children }: { children: ReactNode }) {
  return (
    <>
      <AlertsNav />
      {children}
    </>
  );
}

export function SeverityBadge({ severity }: { severity: AlertSeverity }) {
  return (
    <span className={`badge alert-severity alert-severity-${severity}`} data-severity={severity}>
      {SEVERITY_LABELS[severity] ?? severity}
    </span>
  );
}

/** An alert's status in a word and a glyph; colour is the third cue. */
export function AlertStatusPill({ status }: { status: AlertStatus }) {
  return (
    <span className={`badge alert-status alert-status-${status}`} title={ALERT_STATUS_HINTS[status]} data-status={status}>
      <span aria-hidden="true" className="alert-status-glyph">
        {ALERT_STATUS_GLYPHS[status]}
      </span>{' '}
      {ALERT_STATUS_LABELS[status] ?? status}
    </span>
  );
}

const clockFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const weekFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: '2-digit', minute: '2-digit' });
const laterFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** A moment ahead, as a clock reads it: "14:30" today, "tomorrow 09:00", "Tue 09:00" this week, "Dec 9, 09:00" later. */
export function formatUntil(at: number, now = Date.now()): string {
  const day = (t: number) => new Date(t).toDateString();
  if (day(at) === day(now)) return clockFormat.format(at);
  if (day(at) === day(now + 86_400_000)) return `tomorrow ${clockFormat.format(at)}`;
  return (at - now < 6 * 86_400_000 ? weekFormat : laterFormat).format(at);
}

const SUPPRESSION_WORDS: Record<ReturnType<typeof describeSuppression>['kind'], string> = {
  silence: 'silenced',
  maintenance: 'maintenance',
  inhibited: 'inhibited',
  flapping: 'flapping',
  other: 'suppressed',
};

/** "suppressed · silenced": notifications of the alert are held back, and why in a word. */
export function SuppressedMarker({ by }: { by: string }) {
  const s = describeSuppression(by);
  return (
    <span className="badge alert-marker alert-suppressed" title={`Notifications held back by ${s.text}`} data-suppressed={by}>
      suppressed{s.kind === 'other' ? '' : ` · ${SUPPRESSION_WORDS[s.kind]}`}
    </span>
  );
}

export function DeferredMarker({ at }: { at: number }) {
  return (
    <span className="badge alert-marker alert-deferred" title={`Notifications deferred until ${formatAbsolute(at)}`}>
      deferred until{' '}
      <time dateTime={new Date(at).toISOString()} className="alert-deferred-time">
        {formatUntil(at)}
      </time>
    </span>
  );
}

/**
 * When the alert's notifications are still held back for working hours: `notifyAt` stays on
 * the alert after the deferred notification went out, so only a moment ahead is a deferral.
 */
export function deferredUntil(alert: Alert, now = Date.now()): number | null {
  const at = alert.notifyAt;
  return at !== null && at !== undefined && at > now && alert.status !== 'resolved' ? at : null;
}

/** Suppressed and deferred markers of an alert, when it has any. */
export function AlertMarkers({ alert }: { alert: Alert }) {
  const deferred = deferredUntil(alert);
  if (!alert.suppressedBy && deferred === null) return null;
  return (
    <span className="alert-markers">
      {alert.suppressedBy ? <SuppressedMarker by={alert.suppressedBy} /> : null}
      {deferred !== null ? <DeferredMarker at={deferred} /> : null}
    </span>
  );
}

const countPath = (status: AlertStatus, service: string) =>
  withQuery('/api/v1/alerts', { status, service: service || null, limit: 1 });

export function AlertsPage() {
  useTitle('Alerts');
  const { pathname, query } = useLocation();
  const asked = query.get('status') ?? 'open';
  const status: StatusFilter = isStatusFilter(asked) ? asked : 'open';
  const service = query.get('service') ?? '';
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const href = (changes: { status?: string; service?: string }, nextOffset = 0) => {
    const next = { status, service, ...changes };
    return withQuery(pathname, {
      status: next.status === 'open' ? null : next.status,
      service: next.service,
      offset: nextOffset || null,
    });
  };

  const list = useApi<Page<Alert>>(withQuery('/api/v1/alerts', { status, service, limit: PAGE_SIZE, offset }));
  const triggered = useApi<Page<Alert>>(countPath('triggered', service));
  const acknowledged = useApi<Page<Alert>>(countPath('acknowledged', service));
  const resolved = useApi<Page<Alert>>(countPath('resolved', service));
  const services = useApi<Page<EntitySummary>>('/api/v1/entities?kind=service&limit=500');
  const reload = () => {
    list.reload();
    triggered.reload();
    acknowledged.reload();
    resolved.reload();
  };
  const live = useJournalRefresh(['alert.', 'silence.'], reload);
  useVisibleInterval(reload, REFRESH_MS);

  const counts: Record<AlertStatus, number> | null =
    triggered.data && acknowledged.data && resolved.data
      ? { triggered: triggered.data.total, acknowledged: acknowledged.data.total, resolved: resolved.data.total }
      : null;
  const setFilter = (changes: { status?: string; service?: string }) => navigate(href(changes), { replace: true });
  const data = list.data;
  const filtered = status !== 'open' || service !== '';
  const serviceNames = (services.data?.items ?? []).map((e) => e.name).sort();
  const noun = status === 'all' ? '' : STATUS_FILTER_LABELS[status].toLowerCase();
  const everAlerted = counts ? counts.triggered + counts.acknowledged + counts.resolved > 0 : true;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Alerts</h1>
          <p className="lead">
            What Alertmanager, Grafana, probes and SLO burn rates raised, deduplicated per service: acknowledge what you are on,
            resolve what is over.
          </p>
        </div>
        <LiveIndicator state={live} liveHint="The list updates when an alert is triggered, acknowledged or resolved" />
      </div>

      {list.error && !data ? (
        <ErrorNotice error={list.error} onRetry={list.reload} />
      ) : !data ? (
        <Loading label="Loading alerts…" />
      ) : !everAlerted && service === '' ? (
        <NoAlerts />
      ) : (
        <>
          {counts && <StatusCounts counts={counts} current={status} onPick={(s) => setFilter({ status: s })} />}
          <search aria-label="Alerts">
            <form className="filters" onSubmit={(e) => e.preventDefault()}>
              <div className="field">
                <label htmlFor="alerts-status">Status</label>
                <select id="alerts-status" value={status} onChange={(e) => setFilter({ status: e.target.value })}>
                  {STATUS_FILTERS.map((s) => (
                    <option key={s} value={s}>
                      {STATUS_FILTER_LABELS[s]}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="alerts-service">Service</label>
                <select id="alerts-service" value={service} onChange={(e) => setFilter({ service: e.target.value })}>
                  <option value="">Any service</option>
                  {service && !serviceNames.includes(service) && <option value={service}>{service}</option>}
                  {serviceNames.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </div>
            </form>
          </search>
          <div className="results-bar">
            <p role="status" className="muted">
              {plural(data.total, `${noun} alert`, `${noun} alerts`).replace('  ', ' ')}
              {service ? ` on ${service}` : ''}
              {list.loading ? ' · updating…' : ''}
            </p>
            {filtered && (
              <button type="button" className="link-button" onClick={() => navigate(pathname, { replace: true })}>
                Show open alerts of every service
              </button>
            )}
          </div>
          {list.error && <ErrorNotice error={list.error} onRetry={list.reload} title="Cannot refresh the list" />}
          {data.items.length === 0 ? (
            status === 'open' ? (
              <EmptyState title={service ? `No open alerts on ${service}` : 'No open alerts'} tone="good">
                <p>
                  Nothing is firing{service ? ` on ${service}` : ''}.{' '}
                  <Link to={href({ status: 'resolved' })}>See resolved alerts</Link>.
                </p>
              </EmptyState>
            ) : (
              <EmptyState title="No alert matches these filters">
                <p>Try another status or service, or show every status.</p>
              </EmptyState>
            )
          ) : (
            <>
              <AlertTable items={data.items} />
              <Pagination total={data.total} limit={data.limit || PAGE_SIZE} offset={data.offset} href={(o) => href({}, o)} />
            </>
          )}
        </>
      )}
    </>
  );
}

function StatusCounts({
  counts,
  current,
  onPick,
}: {
  counts: Record<AlertStatus, number>;
  current: StatusFilter;
  onPick: (status: StatusFilter) => void;
}) {
  return (
    <StatusChips
      className="alert-counts"
      statuses={ALERT_STATUSES}
      counts={counts}
      current={current}
      cleared="open"
      total={
        <>
          <strong>{counts.triggered + counts.acknowledged}</strong> open
        </>
      }
      pill={(s) => <AlertStatusPill status={s} />}
      titleOf={(s, pressed) => (pressed ? 'Show open alerts' : `Show only ${ALERT_STATUS_LABELS[s].toLowerCase()} alerts`)}
      onPick={(s) => onPick(s as StatusFilter)}
    />
  );
}

function AlertTable({ items }: { items: Alert[] }) {
  return (
    <div className="table-wrap">
      <table className="table alert-table stack-on-phone">
        <caption className="sr-only">Alerts, newest first, with their severity, status and service</caption>
        <thead>
          <tr>
            <th scope="col">Alert</th>
            <th scope="col" className="nowrap">
              Severity
            </th>
            <th scope="col" className="nowrap">
              Status
            </th>
            <th scope="col" className="nowrap">
              Opened
            </th>
            <th scope="col" className="nowrap col-last-event">
              Last event
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.id} data-alert={a.id} data-status={a.status} data-severity={a.severity}>
              <td className="cell-name">
                <Link to={alertPath(a.id)} className="alert-summary">
                  {a.summary}
                </Link>
                <div className="cell-sub muted">
                  service <EntityLink kind="service" name={a.service} /> · {a.integration ?? a.origin}
                </div>
                <AlertMarkers alert={a} />
              </td>
              <td className="nowrap cell-severity">
                <SeverityBadge severity={a.severity} />
                {a.urgency === 'low' && <div className="cell-sub muted">low urgency</div>}
              </td>
              <td className="nowrap cell-status">
                <AlertStatusPill status={a.status} />
                {a.status === 'acknowledged' && a.acknowledgedBy && <div className="cell-sub muted">by {a.acknowledgedBy}</div>}
                {a.status === 'resolved' && a.resolvedBy && <div className="cell-sub muted">by {a.resolvedBy}</div>}
              </td>
              <td className="nowrap">
                <span className="phone-only muted">Opened </span>
                <Time at={a.createdAt} />
              </td>
              <td className="nowrap col-last-event">
                <span className="phone-only muted">Last event </span>
                <Time at={a.lastEventAt} />
                <div className="cell-sub muted">{plural(a.eventCount, 'event', 'events')}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A server that has never received an alert: how to send one. */
function NoAlerts() {
  return (
    <EmptyState title="No alerts yet">
      <p>
        Alerts arrive through an integration key that belongs to a service. Point Alertmanager, Grafana or any sender of the
        PagerDuty Events API v2 at Vigil:
      </p>
      <pre className="code">
        <code>{`vigil integration create checkout-pd --service checkout --type events-api-v2

curl -X POST ${window.location.origin}/v2/enqueue -H 'content-type: application/json' -d '{
  "routing_key": "vik_…", "event_action": "trigger", "dedup_key": "checkout/5xx",
  "payload": {"summary": "Error rate 5% on checkout", "source": "checkout-7f9", "severity": "critical"}
}'`}</code>
      </pre>
      <p className="muted small">Probes, heartbeats and SLO burn-rate rules raise alerts here too, without any setup.</p>
    </EmptyState>
  );
}
