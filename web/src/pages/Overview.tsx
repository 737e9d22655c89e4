import { type ReactNode, useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '../api.ts';
import { entityPath, TeamLink, TierBadge } from '../components/badges.tsx';
import { LiveIndicator } from '../components/live.tsx';
import { BudgetBar, BudgetFigure, POLICY_LABELS, POLICY_RANK, PolicyBadge, policyState, sloPath } from '../components/slo.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { formatSli, formatTarget } from '../format.ts';
import { useJournalRefresh } from '../live.ts';
import { Link } from '../router.tsx';
import { useTitle } from '../title.ts';
import type { OverviewService, PolicyState } from '../types.ts';

/**
 * Extension points for features that build on the overview. Open incidents, who is on call and
 * recent deploys each add a panel above the services or a line on every service card; until they
 * exist these lists are empty and nothing of them is rendered.
 */
export interface OverviewPanel {
  id: string;
  render: (services: OverviewService[]) => ReactNode;
}
export interface ServiceCardSlot {
  id: string;
  render: (service: OverviewService) => ReactNode;
}
export const OVERVIEW_PANELS: OverviewPanel[] = [];
export const SERVICE_CARD_SLOTS: ServiceCardSlot[] = [];

/** Budgets move with the clock too, not only with journaled changes. */
const REFRESH_MS = 30_000;

function worstRemaining(s: OverviewService): number {
  let worst = Number.POSITIVE_INFINITY;
  for (const slo of s.slos) if (slo.remainingRatio !== null && slo.remainingRatio < worst) worst = slo.remainingRatio;
  return worst;
}

export function sortServices(services: OverviewService[]): OverviewService[] {
  return [...services].sort(
    (a, b) =>
      (POLICY_RANK[a.policy.state] ?? 3) - (POLICY_RANK[b.policy.state] ?? 3) ||
      worstRemaining(a) - worstRemaining(b) ||
      a.name.localeCompare(b.name),
  );
}

/** Re-renders with fresh data while the tab is visible. */
function useVisibleInterval(callback: () => void, ms: number): void {
  const saved = useRef(callback);
  saved.current = callback;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms]);
}

export function OverviewPage() {
  useTitle('Overview');
  const overview = useApi<{ services: OverviewService[] }>('/api/v1/overview');
  const live = useJournalRefresh(['slo.'], overview.reload);
  useVisibleInterval(overview.reload, REFRESH_MS);

  const data = overview.data;
  const all = useMemo(() => (data ? sortServices(data.services) : null), [data]);
  const withSlos = all?.filter((s) => s.slos.length > 0) ?? null;
  const withoutSlos = all?.filter((s) => s.slos.length === 0) ?? [];

  // Screen readers hear when a service changes policy state; the colour change alone says nothing to them.
  const [announcement, setAnnouncement] = useState('');
  const previous = useRef<Map<string, string> | null>(null);
  useEffect(() => {
    if (!all) return;
    const now = new Map(all.map((s) => [s.name, s.policy.state]));
    const before = previous.current;
    previous.current = now;
    if (!before) return;
    const changed = all.filter((s) => before.has(s.name) && before.get(s.name) !== s.policy.state);
    if (changed.length > 0)
      setAnnouncement(changed.map((s) => `${s.title || s.name} is now ${POLICY_LABELS[policyState(s.policy.state)]}`).join('. '));
  }, [all]);

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Reliability overview</h1>
          <p className="lead">Every service's SLOs and the error budget it has left, worst first.</p>
        </div>
        <LiveIndicator state={live} liveHint="Budgets and policy states update as SLOs are evaluated" />
      </div>
      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>

      {overview.error && !overview.data ? (
        <ErrorNotice error={overview.error} onRetry={overview.reload} />
      ) : !all || !withSlos ? (
        <Loading label="Loading the overview…" />
      ) : withSlos.length === 0 ? (
        <NoSlos />
      ) : (
        <>
          <StateSummary services={withSlos} />
          {OVERVIEW_PANELS.map((panel) => (
            <section key={panel.id} className="overview-panel" data-slot={panel.id}>
              {panel.render(withSlos)}
            </section>
          ))}
          <ul className="service-grid" aria-label="Services by error budget, worst first">
            {withSlos.map((s) => (
              <ServiceCard key={s.name} service={s} />
            ))}
          </ul>
          {withoutSlos.length > 0 && (
            <section className="no-slo-services" aria-labelledby="no-slo-title">
              <h2 id="no-slo-title">Services without SLOs ({withoutSlos.length})</h2>
              <ul className="inline-list">
                {withoutSlos.map((s) => (
                  <li key={s.name}>
                    <Link to={entityPath('service', s.name)}>{s.title || s.name}</Link>
                  </li>
                ))}
              </ul>
            </section>
          )}
        </>
      )}
    </>
  );
}

function StateSummary({ services }: { services: OverviewService[] }) {
  const counts: Record<PolicyState, number> = { halted: 0, warn: 0, ok: 0 };
  for (const s of services) counts[policyState(s.policy.state)]++;
  const total = services.length;
  return (
    <div className="state-summary">
      <p className="state-summary-total">
        <strong>{total}</strong> {total === 1 ? 'service' : 'services'} with SLOs
      </p>
      <ul aria-label="Services by policy state">
        {(['halted', 'warn', 'ok'] as const).map((state) => (
          <li key={state} className={`state-count state-count-${state}${counts[state] === 0 ? ' state-count-zero' : ''}`}>
            <PolicyBadge state={state} /> <strong>{counts[state]}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

function ServiceCard({ service: s }: { service: OverviewService }) {
  const state = policyState(s.policy.state);
  const slos = [...s.slos].sort((a, b) => (a.remainingRatio ?? 2) - (b.remainingRatio ?? 2));
  const headingId = `svc-${s.name}`;
  return (
    <li className={`card service-card service-${state}`} aria-labelledby={headingId} data-service={s.name}>
      <div className="service-card-head">
        <h2 id={headingId}>
          <Link className="service-link" to={entityPath('service', s.name)}>
            {s.title || s.name}
          </Link>
        </h2>
        <PolicyBadge state={state} />
      </div>
      <p className="service-meta muted">
        <span>
          <span className="sr-only">Owner </span>
          <TeamLink team={s.owner} />
        </span>
        {s.tier && <TierBadge tier={s.tier} />}
      </p>
      <ul className="service-slos" aria-label={`SLOs of ${s.title || s.name}`}>
        {slos.map((slo) => (
          <li key={slo.name} data-slo-state={slo.state}>
            <div className="service-slo-head">
              <Link to={sloPath(slo.name)}>{slo.displayName || slo.name}</Link>
              <span className="nowrap">
                <span className="sr-only">Error budget: </span>
                <BudgetFigure ratio={slo.state === 'no-data' ? null : slo.remainingRatio} />
              </span>
            </div>
            <BudgetBar ratio={slo.state === 'no-data' ? null : slo.remainingRatio} label={false} />
            <p className="service-slo-sli muted">
              SLI {formatSli(slo.sli, slo.target)} · target {formatTarget(slo.target)}
            </p>
          </li>
        ))}
      </ul>
      {SERVICE_CARD_SLOTS.map((slot) => (
        <div key={slot.id} className="service-slot" data-slot={slot.id}>
          {slot.render(s)}
        </div>
      ))}
    </li>
  );
}

export function NoSlos() {
  return (
    <EmptyState title="No SLOs yet">
      <p>
        An SLO says how reliable a service must be: for example, 99.9 % of storefront pages load without an error over 28 days.
        Vigil then tracks the error budget that leaves, how fast it burns and when to stop shipping. Write one (in Vigil's short
        form, or in OpenSLO v1) and apply it:
      </p>
      <pre className="code">
        <code>{`apiVersion: vigil.dev/v1
kind: SLO
metadata:
  name: web-frontend-availability
  displayName: Storefront availability
spec:
  service: web-frontend
  indicator:
    events: {}
  target: 99.9
  window: 28d`}</code>
      </pre>
      <pre className="code">
        <code>vigil apply -f slos.yaml</code>
      </pre>
      <p>
        Then send good and total counts to <code>POST /api/v1/slis/web-frontend-availability-sli/events</code>, or point the SLI
        at Prometheus. <code>docs/slo.md</code> explains SLOs in Vigil and <code>docs/openslo.md</code> every field; the endpoints
        are in the <a href="/api/docs">API reference</a>. The <Link to="/nines">nines calculator</Link> shows what a target
        allows.
      </p>
    </EmptyState>
  );
}
