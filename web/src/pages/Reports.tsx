import { useId } from 'react';
import { useApi } from '../api.ts';
import { EntityLink, TeamLink } from '../components/badges.tsx';
import { BudgetFigure, PolicyBadge, sloPath } from '../components/slo.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { formatBurn, formatRemaining, formatSli, formatTarget } from '../format.ts';
import { Link, navigate, useLocation, withQuery } from '../router.tsx';
import { useTeams } from '../teams.ts';
import { useTitle } from '../title.ts';
import type { PolicyState } from '../types.ts';

// The report shapes of GET /api/v1/reports/sla and /slo-review (src/slo/reports.ts).

interface SlaRow {
  name: string;
  customer: string | null;
  slo: string;
  sloDisplayName: string | null;
  objective: string;
  status: 'met' | 'missed' | 'no-data';
  sli: number | null;
  target: number;
  marginPoints: number | null;
  unit: 'events' | 'slices';
  allowedBad: number;
  bad: number;
  overBad: number;
  overMinutes: number;
  tier: { below: number; creditPercent: number } | null;
  creditPercent: number;
  approximate: boolean;
}

interface SlaReport {
  month: string;
  timeZone: string;
  complete: boolean;
  services: Array<{ service: string; title: string | null; owner: string | null; customerFacing: boolean; slas: SlaRow[] }>;
  totals: { slas: number; met: number; missed: number; noData: number };
}

interface SpanBurn {
  sli: number | null;
  budgetShare: number;
  burnRate: number | null;
}

interface ReviewObjective {
  objective: string;
  target: number;
  start: { sli: number | null; remainingRatio: number };
  end: { sli: number | null; remainingRatio: number };
  week: SpanBurn & { badEvents: number };
  days: Array<SpanBurn & { date: string }>;
  worstDay: (SpanBurn & { date: string }) | null;
}

interface SloReview {
  team: string;
  week: string;
  timeZone: string;
  complete: boolean;
  slos: Array<{
    name: string;
    displayName: string | null;
    service: string;
    objectives: ReviewObjective[];
    alertsFired: number;
    policy: { start: PolicyState; end: PolicyState };
  }>;
  episodes: Array<{
    id: string;
    slo: string;
    objective: string;
    rule: string;
    severity: string;
    firedAt: number;
    resolvedAt: number | null;
    budgetShare: number | null;
    reason: string | null;
  }>;
  changes: Array<{ at: number; kind: string; actor: string; summary: string }>;
  incidentsNote: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The last complete month and ISO week in UTC, as the API defaults them. */
function defaults(now: Date): { month: string; week: string } {
  const prev = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - 7));
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7) + 3);
  const week = Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000 / 7) + 1;
  return { month: `${prev.getUTCFullYear()}-${pad(prev.getUTCMonth() + 1)}`, week: `${d.getUTCFullYear()}-W${pad(week)}` };
}

const dateTime = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
const share = (r: number | null) => formatRemaining(r);

function points(pp: number | null): string {
  if (pp === null) return '';
  return `${pp < 0 ? '−' : '+'}${Number(Math.abs(pp).toFixed(4))} pp`;
}

export function ReportsPage() {
  useTitle('Reports');
  const { pathname, query } = useLocation();
  const fallback = defaults(new Date());
  const month = query.get('month') || fallback.month;
  const week = query.get('week') || fallback.week;
  const team = query.get('team') ?? '';
  const teams = useTeams();
  const chosenTeam = team || teams.data?.[0]?.name || '';
  const set = (changes: Record<string, string>) =>
    navigate(withQuery(pathname, { month: query.get('month'), week: query.get('week'), team, ...changes }), { replace: true });
  const monthId = useId();
  const weekId = useId();
  const teamId = useId();

  const slaPath = withQuery('/api/v1/reports/sla', { month });
  const reviewPath = chosenTeam ? withQuery('/api/v1/reports/slo-review', { team: chosenTeam, week }) : null;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Reports</h1>
          <p className="lead">SLA compliance per month and the weekly SLO review per team, on screen or as Markdown.</p>
        </div>
      </div>

      <section className="report" aria-labelledby="sla-heading">
        <div className="section-header">
          <h2 id="sla-heading">SLA compliance</h2>
          <a
            className="button button-quiet"
            href={withQuery('/api/v1/reports/sla', { month, format: 'markdown' })}
            download={`sla-${month}.md`}
          >
            Download Markdown
          </a>
        </div>
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor={monthId}>Month (UTC)</label>
            <input id={monthId} type="month" value={month} onChange={(e) => e.target.value && set({ month: e.target.value })} />
          </div>
        </form>
        <SlaSection path={slaPath} />
      </section>

      <section className="report" aria-labelledby="review-heading">
        <div className="section-header">
          <h2 id="review-heading">Weekly SLO review</h2>
          {reviewPath && (
            <a
              className="button button-quiet"
              href={withQuery('/api/v1/reports/slo-review', { team: chosenTeam, week, format: 'markdown' })}
              download={`slo-review-${chosenTeam}-${week}.md`}
            >
              Download Markdown
            </a>
          )}
        </div>
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor={teamId}>Team</label>
            <select id={teamId} value={chosenTeam} onChange={(e) => set({ team: e.target.value })}>
              {(teams.data ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.title || t.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={weekId}>ISO week (UTC)</label>
            <input id={weekId} type="week" value={week} onChange={(e) => e.target.value && set({ week: e.target.value })} />
          </div>
        </form>
        {reviewPath ? (
          <ReviewSection path={reviewPath} />
        ) : teams.error ? (
          <ErrorNotice error={teams.error} onRetry={teams.reload} />
        ) : (
          <Loading label="Loading teams…" />
        )}
      </section>
    </>
  );
}

function SlaSection({ path }: { path: string }) {
  const report = useApi<SlaReport>(path);
  const r = report.data;
  if (report.error && !r) return <ErrorNotice error={report.error} onRetry={report.reload} />;
  if (!r) return <Loading label="Computing SLA compliance…" />;
  if (r.services.length === 0) {
    return (
      <EmptyState title="No SLAs yet">
        <p>
          Declare a <code>kind: SLA</code> on top of an SLO, with its penalty tiers, and run <code>vigil apply</code>.
        </p>
      </EmptyState>
    );
  }
  return (
    <>
      <p role="status" className="muted" data-testid="sla-summary">
        {r.month}
        {r.complete ? '' : ' (still running, figures up to now)'}: {r.totals.slas} {r.totals.slas === 1 ? 'SLA' : 'SLAs'},{' '}
        {r.totals.met} met, <span className={r.totals.missed > 0 ? 'text-danger' : undefined}>{r.totals.missed} missed</span>
        {r.totals.noData > 0 ? `, ${r.totals.noData} without data` : ''}.
      </p>
      <div className="table-wrap">
        <table className="table sla-table stack-on-phone">
          <caption className="sr-only">SLA compliance for {r.month}</caption>
          <thead>
            <tr>
              <th scope="col">SLA</th>
              <th scope="col">Service</th>
              <th scope="col" className="num">
                SLI / target
              </th>
              <th scope="col">Result</th>
              <th scope="col">Over the allowance</th>
              <th scope="col" className="num">
                Credit owed
              </th>
            </tr>
          </thead>
          <tbody>
            {r.services.flatMap((s) =>
              s.slas.map((x) => (
                <tr key={x.name} data-sla={x.name}>
                  <td className="cell-name">
                    <strong>{x.name}</strong>
                    <div className="cell-sub muted">
                      {x.customer ? `${x.customer} · ` : ''}SLO <Link to={sloPath(x.slo)}>{x.sloDisplayName || x.slo}</Link>
                    </div>
                  </td>
                  <td>
                    <EntityLink kind="service" name={s.service} />
                    <div className="cell-sub muted">
                      <TeamLink team={s.owner} />
                      {s.customerFacing ? ' · customer-facing' : ''}
                    </div>
                  </td>
                  <td className="num nowrap">
                    {formatSli(x.sli, x.target)}
                    <span className="muted"> / {formatTarget(x.target)}</span>
                  </td>
                  <td className="nowrap">
                    <span className={`badge sla-${x.status}`}>
                      {x.status === 'met' ? '✓ met' : x.status === 'missed' ? '✕ missed' : 'no data'}
                    </span>{' '}
                    <span className="muted small">{points(x.marginPoints)}</span>
                  </td>
                  <td>
                    {x.status === 'missed' ? (
                      <>
                        {Number(x.overBad.toFixed(2)).toLocaleString('en')} bad {x.unit}
                        <div className="cell-sub muted">{Number(x.overMinutes.toFixed(2))} minutes over</div>
                      </>
                    ) : x.status === 'met' ? (
                      <span className="muted">
                        {Number((x.allowedBad - x.bad).toFixed(2)).toLocaleString('en')} {x.unit} to spare
                      </span>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td className="num nowrap">
                    <strong className={x.creditPercent > 0 ? 'text-danger' : undefined}>{x.creditPercent}%</strong>
                    {x.tier && <div className="cell-sub muted">below {formatTarget(x.tier.below)}</div>}
                  </td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      </div>
    </>
  );
}

function ReviewSection({ path }: { path: string }) {
  const review = useApi<SloReview>(path);
  const r = review.data;
  if (review.error && !r) return <ErrorNotice error={review.error} onRetry={review.reload} />;
  if (!r) return <Loading label="Computing the weekly review…" />;
  const burned = r.slos.filter((s) => s.objectives.some((o) => o.week.budgetShare > 0)).length;
  const alerts = r.slos.reduce((n, s) => n + s.alertsFired, 0);
  return (
    <>
      <dl className="stat-grid">
        <div className="stat">
          <dt>SLOs</dt>
          <dd className="stat-value">{r.slos.length}</dd>
        </div>
        <div className="stat">
          <dt>Burned budget</dt>
          <dd className="stat-value">{burned}</dd>
        </div>
        <div className="stat">
          <dt>Alerts fired</dt>
          <dd className="stat-value">{alerts}</dd>
        </div>
      </dl>
      <p className="muted small">
        {r.week} for team <TeamLink team={r.team} />
        {r.complete ? '' : ' (still running, figures up to now)'}.
      </p>
      {r.slos.length === 0 ? (
        <EmptyState title={`Team ${r.team} owns no SLOs`}>
          <p>SLOs belong to the team that owns their service in the catalog.</p>
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table review-table stack-on-phone">
            <caption className="sr-only">SLOs of {r.team}, most budget burned first</caption>
            <thead>
              <tr>
                <th scope="col">SLO</th>
                <th scope="col" className="num">
                  SLI start → end
                </th>
                <th scope="col">Budget left start → end</th>
                <th scope="col">Burned this week</th>
                <th scope="col">Worst day</th>
                <th scope="col">Alerts</th>
                <th scope="col">Policy</th>
              </tr>
            </thead>
            <tbody>
              {r.slos.flatMap((s) =>
                s.objectives.map((o) => (
                  <tr key={`${s.name}/${o.objective}`} data-slo={s.name}>
                    <td className="cell-name">
                      <Link to={sloPath(s.name)}>{s.displayName || s.name}</Link>
                      <div className="cell-sub muted">
                        service <EntityLink kind="service" name={s.service} />
                        {s.objectives.length > 1 ? ` · ${o.objective}` : ''}
                      </div>
                    </td>
                    <td className="num nowrap">
                      {formatSli(o.start.sli, o.target)} → {formatSli(o.end.sli, o.target)}
                    </td>
                    <td className="nowrap">
                      <BudgetFigure ratio={o.start.remainingRatio} /> → <BudgetFigure ratio={o.end.remainingRatio} />
                    </td>
                    <td>
                      <DayBars days={o.days} />
                      <div className="cell-sub">
                        <strong className={o.week.budgetShare >= 0.25 ? 'text-danger' : undefined}>
                          {share(o.week.budgetShare)}
                        </strong>{' '}
                        <span className="muted">of the budget · {formatBurn(o.week.burnRate)}</span>
                      </div>
                    </td>
                    <td className="nowrap">
                      {o.worstDay ? (
                        <>
                          {o.worstDay.date}
                          <div className="cell-sub muted">{share(o.worstDay.budgetShare)} of the budget</div>
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>{s.alertsFired}</td>
                    <td>
                      {s.policy.start === s.policy.end ? (
                        <PolicyBadge state={s.policy.end} />
                      ) : (
                        <>
                          <PolicyBadge state={s.policy.start} /> → <PolicyBadge state={s.policy.end} />
                        </>
                      )}
                    </td>
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      )}

      <h3>What consumed the budget</h3>
      <p className="muted small">{r.incidentsNote}</p>
      {r.episodes.length === 0 ? (
        <p className="muted">No alerts fired this week.</p>
      ) : (
        <div className="table-wrap">
          <table className="table episodes-table stack-on-phone">
            <caption className="sr-only">Alert episodes, most budget consumed first</caption>
            <thead>
              <tr>
                <th scope="col">SLO</th>
                <th scope="col">Alert</th>
                <th scope="col">Fired</th>
                <th scope="col">Resolved</th>
                <th scope="col" className="num">
                  Budget consumed
                </th>
              </tr>
            </thead>
            <tbody>
              {r.episodes.map((e) => (
                <tr key={e.id}>
                  <td>
                    <Link to={sloPath(e.slo)}>{e.slo}</Link>
                  </td>
                  <td>
                    <span className={`badge severity-${e.severity}`}>{e.severity}</span> {e.rule}
                    {e.reason && <div className="cell-sub muted">{e.reason}</div>}
                  </td>
                  <td className="nowrap">{dateTime.format(e.firedAt)}</td>
                  <td className="nowrap">{e.resolvedAt === null ? 'still firing' : dateTime.format(e.resolvedAt)}</td>
                  <td className="num">{e.budgetShare === null ? '—' : share(e.budgetShare)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h3>Policy and alert changes</h3>
      {r.changes.length === 0 ? (
        <p className="muted">None this week.</p>
      ) : (
        <ul className="report-changes">
          {r.changes.map((c, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: entries are listed once, in order
            <li key={i}>
              <time className="muted small">{dateTime.format(c.at)}</time> {c.summary}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** The budget each day of the week consumed, as small bars; the numbers are in the text beside. */
function DayBars({ days }: { days: Array<SpanBurn & { date: string }> }) {
  const max = Math.max(0.0001, ...days.map((d) => d.budgetShare));
  return (
    <span className="day-bars" aria-hidden="true">
      {days.map((d) => (
        <span
          key={d.date}
          className="day-bar"
          title={`${d.date}: ${share(d.budgetShare)} of the budget`}
          style={{ height: `${Math.max(2, (d.budgetShare / max) * 100)}%` }}
        />
      ))}
    </span>
  );
}
