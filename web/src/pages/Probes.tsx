import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useApi } from '../api.ts';
import { EntityLink } from '../components/badges.tsx';
import { LiveIndicator } from '../components/live.tsx';
import { Pagination } from '../components/Pagination.tsx';
import { CheckOutcome, ProbeStatusPill, ProbeTypeBadge, Since, UptimeMini } from '../components/ProbeStatus.tsx';
import { StatusChips } from '../components/StatusChips.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { useJournalRefresh } from '../live.ts';
import {
  formatMs,
  isProbeStatus,
  PROBE_STATUSES,
  PROBE_TYPES,
  type ProbeListOut,
  type ProbeStatus,
  type ProbeSummaryOut,
  probePath,
  STATUS_LABELS,
  TYPE_LABELS,
  useVisibleInterval,
} from '../probes.ts';
import { Link, navigate, useLocation, withQuery } from '../router.tsx';
import { Time } from '../time.tsx';
import { useTitle } from '../title.ts';
import type { EntitySummary, Page } from '../types.ts';

const PAGE_SIZE = 50;
/** Checks run every minute or so; last-check times and latencies move without journal entries. */
const REFRESH_MS = 30_000;
const FILTERS = ['status', 'type', 'service'] as const;
type Filter = (typeof FILTERS)[number];

export function ProbesPage() {
  useTitle('Probes');
  const { pathname, query } = useLocation();
  const q = query.get('q') ?? '';
  const filters = Object.fromEntries(FILTERS.map((f) => [f, query.get(f) ?? ''])) as Record<Filter, string>;
  const offset = Math.max(0, Number.parseInt(query.get('offset') ?? '0', 10) || 0);
  const params = { q, ...filters };
  const href = (changes: Partial<Record<Filter | 'q', string>>, nextOffset = 0) =>
    withQuery(pathname, { ...params, ...changes, offset: nextOffset || null });

  const list = useApi<ProbeListOut>(withQuery('/api/v1/probes', { ...params, limit: PAGE_SIZE, offset }));
  const services = useApi<Page<EntitySummary>>('/api/v1/entities?kind=service&limit=500');
  const live = useJournalRefresh(['probe.'], list.reload);
  useVisibleInterval(list.reload, REFRESH_MS);

  // The box is edited locally and written to the URL after a pause, as the catalog's search does.
  const [text, setText] = useState(q);
  const lastPushed = useRef(q);
  useEffect(() => {
    if (q !== lastPushed.current) {
      lastPushed.current = q;
      setText(q);
    }
  }, [q]);
  useEffect(() => {
    if (text === lastPushed.current) return;
    const timer = setTimeout(() => {
      lastPushed.current = text;
      const current = new URLSearchParams(window.location.search);
      current.set('q', text);
      current.delete('offset');
      navigate(withQuery(window.location.pathname, Object.fromEntries(current)), { replace: true });
    }, 250);
    return () => clearTimeout(timer);
  }, [text]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    lastPushed.current = text;
    navigate(href({ q: text }), { replace: true });
  };
  const setFilter = (name: Filter, value: string) => navigate(href({ [name]: value }), { replace: true });

  const data = list.data;
  // The server counts every status under the other filters, so a status chip never hides its siblings.
  const counts = data?.counts ?? null;
  const filtered = q !== '' || FILTERS.some((f) => filters[f] !== '');
  const serviceNames = (services.data?.items ?? []).map((e) => e.name).sort();

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Probes</h1>
          <p className="lead">
            Black-box checks of what users reach: HTTP endpoints, ports, DNS names, certificates and heartbeats.
          </p>
        </div>
        <LiveIndicator state={live} liveHint="The list updates when a probe goes down or comes back up" />
      </div>

      {list.error && !data ? (
        <ErrorNotice error={list.error} onRetry={list.reload} />
      ) : !data ? (
        <Loading label="Loading probes…" />
      ) : !filtered && data.total === 0 ? (
        <NoProbes />
      ) : (
        <>
          {counts && <ProbeStatusChips counts={counts} current={filters.status} onPick={(s) => setFilter('status', s)} />}
          <search aria-label="Probes">
            <form className="filters" onSubmit={submit}>
              <div className="field field-grow">
                <label htmlFor="probes-q">Search</label>
                <input
                  id="probes-q"
                  type="search"
                  placeholder="Name, target, description…"
                  value={text}
                  onChange={(e) => setText(e.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                />
              </div>
              <div className="field">
                <label htmlFor="probes-status">Status</label>
                <select id="probes-status" value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
                  <option value="">Any status</option>
                  {PROBE_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {STATUS_LABELS[s]}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="probes-type">Type</label>
                <select id="probes-type" value={filters.type} onChange={(e) => setFilter('type', e.target.value)}>
                  <option value="">Any type</option>
                  {PROBE_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {TYPE_LABELS[t]}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="probes-service">Service</label>
                <select id="probes-service" value={filters.service} onChange={(e) => setFilter('service', e.target.value)}>
                  <option value="">Any service</option>
                  {filters.service && !serviceNames.includes(filters.service) && (
                    <option value={filters.service}>{filters.service}</option>
                  )}
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
              {data.total} {data.total === 1 ? 'probe' : 'probes'}
              {filtered ? ' match' : ''}
              {list.loading ? ' · updating…' : ''}
            </p>
            {filtered && (
              <button type="button" className="link-button" onClick={() => navigate(pathname, { replace: true })}>
                Clear filters
              </button>
            )}
          </div>
          {list.error && <ErrorNotice error={list.error} onRetry={list.reload} title="Cannot refresh the list" />}
          {data.items.length === 0 ? (
            <EmptyState title="No probe matches these filters">
              <p>Try a shorter search, another status or service, or clear the filters.</p>
            </EmptyState>
          ) : (
            <>
              <ProbeTable items={data.items} />
              <Pagination total={data.total} limit={data.limit || PAGE_SIZE} offset={data.offset} href={(o) => href({}, o)} />
            </>
          )}
        </>
      )}
    </>
  );
}

function ProbeStatusChips({
  counts,
  current,
  onPick,
}: {
  counts: ProbeListOut['counts'];
  current: string;
  onPick: (status: string) => void;
}) {
  const total = PROBE_STATUSES.reduce((sum, s) => sum + counts[s], 0);
  return (
    <StatusChips
      statuses={PROBE_STATUSES}
      counts={counts}
      current={current}
      cleared=""
      total={
        <>
          <strong>{total}</strong> {total === 1 ? 'probe' : 'probes'}
        </>
      }
      pill={(s: ProbeStatus) => <ProbeStatusPill status={s} />}
      chipClass={(s) => `status-chip-${s}`}
      titleOf={(s, pressed) => (pressed ? 'Show every status' : `Show only ${STATUS_LABELS[s].toLowerCase()} probes`)}
      onPick={onPick}
    />
  );
}

function ProbeTable({ items }: { items: ProbeSummaryOut[] }) {
  return (
    <div className="table-wrap">
      <table className="table probe-table stack-on-phone">
        <caption className="sr-only">Probes, with their status, last check and uptime</caption>
        <thead>
          <tr>
            <th scope="col" className="nowrap">
              Probe
            </th>
            <th scope="col" className="nowrap">
              Status
            </th>
            <th scope="col" className="col-target nowrap">
              Target
            </th>
            <th scope="col" className="nowrap">
              Last check
            </th>
            <th scope="col" className="num nowrap">
              Latency
            </th>
            <th scope="col" className="nowrap">
              Uptime 24h
            </th>
            <th scope="col" className="nowrap">
              Uptime 7d
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((p) => (
            <tr key={p.name} data-probe={p.name} data-status={p.status}>
              <td className="cell-name">
                <Link to={probePath(p.name)}>{p.name}</Link>
                <div className="cell-sub muted">
                  <ProbeTypeBadge type={p.type} /> service <EntityLink kind="service" name={p.service} />
                </div>
                {p.description && <div className="cell-sub muted probe-description">{p.description}</div>}
              </td>
              <td className="nowrap cell-status">
                <ProbeStatusPill status={isProbeStatus(p.status) ? p.status : 'unknown'} />
                {p.since !== null && (
                  <div className="cell-sub muted">
                    <Since at={p.since} />
                  </div>
                )}
              </td>
              <td className="col-target">
                <span className="phone-only muted">Target </span>
                <span className="mono probe-target" title={p.target}>
                  {p.target}
                </span>
                {p.type !== 'heartbeat' && <div className="cell-sub muted">every {p.interval}</div>}
              </td>
              <td className="nowrap">
                <span className="phone-only muted">Last check </span>
                {p.lastCheckAt === null ? (
                  <span className="muted">not yet</span>
                ) : (
                  <>
                    <Time at={p.lastCheckAt} />
                    {p.lastOk !== null && (
                      <div className="cell-sub">
                        <CheckOutcome ok={p.lastOk} />
                      </div>
                    )}
                  </>
                )}
              </td>
              <td className="num nowrap" data-field="latency">
                <span className="phone-only muted">Latency </span>
                {formatMs(p.lastDurationMs)}
              </td>
              <td className="nowrap" data-window="24h">
                <span className="phone-only muted">24h </span>
                <UptimeMini ratio={p.uptime['24h']} />
              </td>
              <td className="nowrap" data-window="7d">
                <span className="phone-only muted">7d </span>
                <UptimeMini ratio={p.uptime['7d']} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The empty state of a server without probes: what one looks like and how to add it. */
export function NoProbes() {
  return (
    <EmptyState title="No probes yet">
      <p>
        A probe checks a service from the outside, the way its users reach it, and records whether it answered and how fast. Write
        probes next to your catalog:
      </p>
      <pre className="code">
        <code>{`apiVersion: vigil.dev/v1
kind: Probe
metadata:
  name: checkout-health
spec:
  service: checkout
  type: http
  interval: 30s
  http:
    url: https://checkout.example.com/healthz
  conditions:
    - "[STATUS] == 200"
    - "[RESPONSE_TIME] < 500"`}</code>
      </pre>
      <p>and apply them:</p>
      <pre className="code">
        <code>vigil apply -f probes.yaml</code>
      </pre>
      <p className="muted small">
        Probes can also check TCP ports, DNS records and TLS certificates, or wait for a heartbeat from a cron job.
      </p>
    </EmptyState>
  );
}
