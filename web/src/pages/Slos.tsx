import { useMemo } from 'react';
import { useApi } from '../api.ts';
import { EntityLink, TeamLink } from '../components/badges.tsx';
import { LiveIndicator } from '../components/live.tsx';
import { AlertsBadge, BudgetBar, PolicyBadge, sloPath } from '../components/slo.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { formatBurn, formatSli, formatSpan, formatTarget } from '../format.ts';
import { useJournalRefresh } from '../live.ts';
import { Link, navigate, useLocation, withQuery } from '../router.tsx';
import { useTitle } from '../title.ts';
import type { ObjectiveStatus, SloStatus } from '../types.ts';
import { NoSlos } from './Overview.tsx';

/** The objective with the least budget left speaks for a multi-objective SLO in the list. */
export function worstObjective(slo: SloStatus): ObjectiveStatus | null {
  let worst: ObjectiveStatus | null = null;
  for (const o of slo.objectives) if (!worst || o.remainingRatio < worst.remainingRatio) worst = o;
  return worst;
}

export function Exhaustion({ ms, remaining }: { ms: number | null; remaining: number | null }) {
  if (remaining !== null && remaining <= 0) return <span className="text-danger">exhausted</span>;
  if (ms === null || !Number.isFinite(ms)) return <span className="muted">not burning</span>;
  return <span className={ms < 86_400_000 ? 'text-danger' : undefined}>in {formatSpan(ms)}</span>;
}

export function SlosPage() {
  useTitle('SLOs');
  const { pathname, query } = useLocation();
  const service = query.get('service') ?? '';
  const owner = query.get('owner') ?? '';
  const list = useApi<{ items: SloStatus[] }>('/api/v1/slos');
  const live = useJournalRefresh(['slo.'], list.reload);

  const items = list.data?.items ?? null;
  const services = useMemo(() => [...new Set(items?.map((s) => s.service))].sort(), [items]);
  const owners = useMemo(() => [...new Set(items?.map((s) => s.owner).filter((o): o is string => !!o))].sort(), [items]);
  const shown = items?.filter((s) => (!service || s.service === service) && (!owner || s.owner === owner)) ?? null;
  const filtered = service !== '' || owner !== '';
  const setFilter = (changes: { service?: string; owner?: string }) =>
    navigate(withQuery(pathname, { service, owner, ...changes }), { replace: true });

  return (
    <>
      <div className="page-header">
        <div>
          <h1>SLOs</h1>
          <p className="lead">Every service level objective, least error budget left first.</p>
        </div>
        <LiveIndicator state={live} liveHint="The list updates as SLOs are evaluated" />
      </div>

      {list.error && !items ? (
        <ErrorNotice error={list.error} onRetry={list.reload} />
      ) : !items || !shown ? (
        <Loading label="Loading SLOs…" />
      ) : items.length === 0 ? (
        <NoSlos />
      ) : (
        <>
          <search aria-label="SLOs">
            <div className="filters">
              <div className="field">
                <label htmlFor="slos-service">Service</label>
                <select id="slos-service" value={service} onChange={(e) => setFilter({ service: e.target.value })}>
                  <option value="">Any service</option>
                  {service && !services.includes(service) && <option value={service}>{service}</option>}
                  {services.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              </div>
              <div className="field">
                <label htmlFor="slos-owner">Owner</label>
                <select id="slos-owner" value={owner} onChange={(e) => setFilter({ owner: e.target.value })}>
                  <option value="">Any team</option>
                  {owner && !owners.includes(owner) && <option value={owner}>{owner}</option>}
                  {owners.map((o) => (
                    <option key={o} value={o}>
                      {o}
                    </option>
                  ))}
                </select>
              </div>
            </div>
          </search>
          <div className="results-bar">
            <p role="status" className="muted">
              {shown.length} {shown.length === 1 ? 'SLO' : 'SLOs'}
              {filtered ? ` of ${items.length}` : ''}
            </p>
            {filtered && (
              <button type="button" className="link-button" onClick={() => navigate(pathname, { replace: true })}>
                Clear filters
              </button>
            )}
          </div>
          {shown.length === 0 ? (
            <EmptyState title="No SLO matches these filters">
              <p>Pick another service or team, or clear the filters.</p>
            </EmptyState>
          ) : (
            <SloTable items={shown} />
          )}
        </>
      )}
    </>
  );
}

function SloTable({ items }: { items: SloStatus[] }) {
  return (
    <div className="table-wrap">
      <table className="table slo-table stack-on-phone">
        <caption className="sr-only">SLOs, least error budget left first</caption>
        <thead>
          <tr>
            <th scope="col">SLO</th>
            <th scope="col" className="col-owner">
              Owner
            </th>
            <th scope="col" className="num">
              SLI / target
            </th>
            <th scope="col">Budget left</th>
            <th scope="col" className="num">
              Burn 1h
            </th>
            <th scope="col">Exhausted</th>
            <th scope="col">Policy</th>
            <th scope="col">Alerts</th>
          </tr>
        </thead>
        <tbody>
          {items.map((slo) => {
            const o = worstObjective(slo);
            const firing = slo.alerts.filter((a) => a.state === undefined || a.state === 'firing').length;
            return (
              <tr key={slo.name} data-slo={slo.name} data-remaining={o ? o.remainingRatio : 1}>
                <td className="cell-name">
                  <Link to={sloPath(slo.name)}>{slo.displayName || slo.name}</Link>
                  <div className="cell-sub muted">
                    service <EntityLink kind="service" name={slo.service} />
                    {slo.objectives.length > 1 ? <span> · {slo.objectives.length} objectives, worst shown</span> : null}
                  </div>
                </td>
                <td className="col-owner">
                  <span className="phone-only muted">Owner </span>
                  <TeamLink team={slo.owner} />
                </td>
                <td className="num nowrap">
                  <span className="phone-only muted">SLI </span>
                  {o ? (
                    <>
                      {formatSli(o.sli, o.target)}
                      <span className="muted">
                        <span aria-hidden="true"> / </span>
                        <span className="sr-only"> against a target of </span>
                        {formatTarget(o.target)}
                      </span>
                    </>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="cell-budget">
                  <span className="phone-only muted">Budget left </span>
                  <BudgetBar ratio={o && o.total > 0 ? o.remainingRatio : null} note={false} />
                </td>
                <td className="num nowrap">
                  <span className="phone-only muted">Burn 1h </span>
                  {formatBurn(o?.burnRates['1h'])}
                </td>
                <td className="nowrap">
                  <span className="phone-only muted">Exhausted </span>
                  <Exhaustion ms={o?.timeToExhaustionMs ?? null} remaining={o?.remainingRatio ?? null} />
                </td>
                <td>
                  <PolicyBadge state={slo.policy.state} />
                </td>
                <td>
                  <span className="phone-only muted">Alerts </span>
                  <AlertsBadge count={firing} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
