import { type FormEvent, type ReactNode, useCallback, useEffect, useId, useRef, useState } from 'react';
import { ApiError, api, seg, useApi } from '../api.ts';
import { EntityLink, TeamLink } from '../components/badges.tsx';
import { LiveIndicator } from '../components/live.tsx';
import { BudgetBar, BudgetFigure, PolicyBadge, policyState } from '../components/slo.tsx';
import { DetailPage, ErrorNotice, Loading } from '../components/status.tsx';
import { TimeChart } from '../components/TimeChart.tsx';
import {
  BUDGETING_LABELS,
  budgetsTime,
  describeWindow,
  formatBurn,
  formatCount,
  formatMinutes,
  formatRange,
  formatRemaining,
  formatSli,
  formatTarget,
  parseDuration,
  plural,
} from '../format.ts';
import { useJournalRefresh } from '../live.ts';
import { formatAbsolute, Time } from '../time.tsx';
import { useTitle } from '../title.ts';
import {
  BURN_WINDOWS,
  type BurnRateRule,
  type BurnWindow,
  type ObjectiveStatus,
  type ServicePolicy,
  type SloAlert,
  type SloSeries,
  type SloStatus,
} from '../types.ts';
import { Exhaustion } from './Slos.tsx';

/** The SRE Workbook's alerts, which every SLO gets unless it sets its own. */
const DEFAULT_RULES: BurnRateRule[] = [
  { name: 'page-fast', severity: 'page', budgetShare: 0.02, longWindow: '1h', shortWindow: '5m' },
  { name: 'page-slow', severity: 'page', budgetShare: 0.05, longWindow: '6h', shortWindow: '30m' },
  { name: 'ticket', severity: 'ticket', budgetShare: 0.1, longWindow: '3d', shortWindow: '6h' },
];

/** About this many points per chart: enough to see a bad spell, few enough to draw at once. */
const CHART_POINTS = 240;
const STEPS = ['1m', '5m', '10m', '15m', '30m', '1h', '2h', '3h', '6h', '12h', '1d'];

function chartStep(spanMs: number): string {
  return STEPS.find((s) => spanMs / (parseDuration(s) ?? 1) <= CHART_POINTS) ?? '1d';
}

/** Refetches a resource when the page's live generation moves on (an `slo.*` journal entry arrived). */
function useReloadOn(generation: number, reload: () => void): void {
  const seen = useRef(generation);
  useEffect(() => {
    if (seen.current === generation) return;
    seen.current = generation;
    reload();
  }, [generation, reload]);
}

/** A rule's burn-rate threshold: spending `budgetShare` of the window's budget within `longWindow`. */
function ruleThreshold(rule: BurnRateRule, windowMs: number): number {
  if (rule.burnRate !== undefined) return rule.burnRate;
  const long = parseDuration(rule.longWindow) ?? 1;
  return (rule.budgetShare * windowMs) / long;
}

export function SloPage({ name }: { name: string }) {
  useTitle(name);
  const slo = useApi<SloStatus>(`/api/v1/slos/${seg(name)}`);
  const [generation, setGeneration] = useState(0);
  const reloadAll = useCallback(() => {
    slo.reload();
    setGeneration((g) => g + 1);
  }, [slo.reload]);
  const live = useJournalRefresh(['slo.'], reloadAll);

  return (
    <DetailPage trail={[{ to: '/slos', label: 'SLOs' }]} name={name} resource={slo}>
      {(data) => (
        <SloView
          slo={data}
          reload={reloadAll}
          live={<LiveIndicator state={live} liveHint="Figures update as the SLO is evaluated" />}
          generation={generation}
        />
      )}
    </DetailPage>
  );
}

function SloView({ slo, live, generation, reload }: { slo: SloStatus; live: ReactNode; generation: number; reload: () => void }) {
  const firing = slo.alerts.filter((a) => a.state === undefined || a.state === 'firing');
  return (
    <>
      <div className="page-header">
        <div>
          <h1>
            {slo.displayName || slo.name} <PolicyBadge state={slo.policy.state} prefix="Policy: " />
          </h1>
          {slo.displayName && slo.displayName !== slo.name && <p className="muted mono">{slo.name}</p>}
          {slo.description && <p className="lead">{slo.description}</p>}
        </div>
        {live}
      </div>

      <dl className="facts card">
        <div>
          <dt>Service</dt>
          <dd>
            <EntityLink kind="service" name={slo.service} />
          </dd>
        </div>
        <div>
          <dt>Owner</dt>
          <dd>
            <TeamLink team={slo.owner} />
          </dd>
        </div>
        <div>
          <dt>SLI</dt>
          <dd className="mono">{slo.sli}</dd>
        </div>
        <div>
          <dt>Window</dt>
          <dd>
            {describeWindow(slo.timeWindow)}
            {slo.timeWindow.type === 'calendar' && slo.objectives[0] ? (
              <div className="cell-sub muted">now {formatRange(slo.objectives[0].windowStart, slo.objectives[0].windowEnd)}</div>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>Budgeted in</dt>
          <dd>{BUDGETING_LABELS[slo.budgetingMethod] ?? slo.budgetingMethod}</dd>
        </div>
        <div>
          <dt>Firing alerts</dt>
          <dd>{firing.length === 0 ? 'none' : <strong className="text-danger">{firing.length}</strong>}</dd>
        </div>
      </dl>

      {firing.length > 0 && (
        <div className="notice notice-alert">
          <strong>{firing.length === 1 ? 'A burn-rate alert is firing' : `${firing.length} burn-rate alerts are firing`}</strong>
          <ul>
            {firing.map((a) => (
              <li key={a.id ?? `${a.rule}-${a.objective ?? ''}`}>
                <AlertLine alert={a} />
              </li>
            ))}
          </ul>
        </div>
      )}

      {slo.objectives.map((o) => (
        <ObjectiveSection
          key={o.objective}
          slo={slo}
          objective={o}
          single={slo.objectives.length === 1}
          generation={generation}
        />
      ))}

      <AlertsSection slo={slo} generation={generation} />
      <PolicySection service={slo.service} generation={generation} onChanged={reload} />
    </>
  );
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** What an alert says about itself: the burn it saw against its threshold, or why it fired. */
function alertDetail(a: SloAlert): string | null {
  const long = num(a.data.longBurnRate);
  const short = num(a.data.shortBurnRate);
  const threshold = num(a.data.threshold);
  if (a.rule === 'no-data') return typeof a.data.reason === 'string' ? a.data.reason : 'no events';
  if (long === null) return typeof a.data.reason === 'string' ? a.data.reason : null;
  const windows =
    typeof a.data.longWindow === 'string' && typeof a.data.shortWindow === 'string'
      ? ` over ${a.data.longWindow} and ${formatBurn(short)} over ${a.data.shortWindow}`
      : '';
  return `burning at ${formatBurn(long)}${windows}${threshold !== null ? `, threshold ${formatBurn(threshold)}` : ''}`;
}

function AlertLine({ alert: a }: { alert: SloAlert }) {
  const detail = alertDetail(a);
  return (
    <>
      <span className={`badge severity severity-${a.severity}`}>{a.severity}</span> <strong>{a.rule}</strong>
      {a.objective !== 'default' && a.objective !== '*' ? <span className="muted"> · {a.objective}</span> : null}
      {detail ? <span> · {detail}</span> : null}
      <span className="muted">
        {' '}
        · since <Time at={a.firedAt} />
      </span>
    </>
  );
}

function windowMsOf(slo: SloStatus, o: ObjectiveStatus): number {
  return slo.timeWindow.type === 'rolling'
    ? (parseDuration(slo.timeWindow.duration) ?? o.windowEnd - o.windowStart)
    : o.windowEnd - o.windowStart;
}

function ObjectiveSection({
  slo,
  objective: o,
  single,
  generation,
}: {
  slo: SloStatus;
  objective: ObjectiveStatus;
  single: boolean;
  generation: number;
}) {
  const headingId = useId();
  const timeBudget = budgetsTime(slo.budgetingMethod);
  const consumedShare =
    o.budgetEvents > 0 ? o.consumedEvents / o.budgetEvents : o.budgetMinutes > 0 ? o.consumedMinutes / o.budgetMinutes : 0;
  const met = o.sli === null ? null : o.sli >= o.target;
  const title = single ? 'Objective' : `Objective ${o.displayName || o.objective}`;
  return (
    <section className="objective" aria-labelledby={headingId} data-objective={o.objective}>
      <h2 id={headingId}>
        {title} <span className="muted">· {formatTarget(o.target)}</span>
      </h2>
      <div className="stat-grid">
        <Stat label="SLI">
          <span className="stat-value">{formatSli(o.sli, o.target)}</span>
          <span className="stat-sub">
            {met === null ? (
              'no events in the window yet'
            ) : met ? (
              'meets the target'
            ) : (
              <span className="text-danger">below the target</span>
            )}
            {!timeBudget && o.total > 0 ? ` · ${plural(o.good, 'good event', 'good events')} of ${formatCount(o.total)}` : null}
          </span>
        </Stat>
        <Stat label="Target">
          <span className="stat-value">{formatTarget(o.target)}</span>
          <span className="stat-sub">over {describeWindow(slo.timeWindow).replace(/^(rolling|calendar) /, 'a $1 ')}</span>
        </Stat>
        <Stat label="Error budget">
          {timeBudget ? (
            <>
              <span className="stat-value">{formatMinutes(o.budgetMinutes)}</span>
              <span className="stat-sub">of bad time ({plural(o.budgetEvents, 'bad slice', 'bad slices')})</span>
            </>
          ) : (
            <>
              <span className="stat-value">{plural(o.budgetEvents, 'bad event', 'bad events')}</span>
              <span className="stat-sub">
                {formatTarget(1 - o.target)} of {formatCount(o.total)} events; as downtime, {formatMinutes(o.budgetMinutes)}
              </span>
            </>
          )}
        </Stat>
        <Stat label="Consumed">
          <span className="stat-value">
            {timeBudget ? formatMinutes(o.consumedMinutes) : plural(o.consumedEvents, 'bad event', 'bad events')}
          </span>
          <span className="stat-sub">{formatRemaining(consumedShare)} of the budget</span>
        </Stat>
        <Stat label="Remaining">
          <span className="stat-value">
            <BudgetFigure ratio={o.remainingRatio} />
          </span>
          <BudgetBar ratio={o.remainingRatio} label={false} />
          <span className="stat-sub">
            {o.remainingRatio < 0 ? 'overspent by ' : null}
            {timeBudget
              ? formatMinutes(Math.abs(o.remainingMinutes))
              : `${plural(Math.abs(o.remainingEvents), 'bad event', 'bad events')} · ${formatMinutes(Math.abs(o.remainingMinutes))}`}
          </span>
        </Stat>
        <Stat label="Budget exhausted">
          <span className="stat-value">
            <Exhaustion ms={o.timeToExhaustionMs} remaining={o.remainingRatio} />
          </span>
          <span className="stat-sub">
            {o.remainingRatio <= 0 ? 'no budget left in this window' : 'at the current 1h burn rate'}
          </span>
        </Stat>
      </div>

      <BurnRates slo={slo} objective={o} />
      <ObjectiveCharts slo={slo} objective={o} single={single} generation={generation} />
    </section>
  );
}

function Stat({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="stat">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function BurnRates({ slo, objective: o }: { slo: SloStatus; objective: ObjectiveStatus }) {
  const rules = slo.alerting?.rules ?? DEFAULT_RULES;
  const windowMs = windowMsOf(slo, o);
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>Burn rates</h3>
      <p className="muted small">
        How fast the budget is being spent: 1× spends exactly the whole budget over the window. An alert fires when both its long
        and its short window burn above its threshold.
        {slo.alerting ? null : ' The thresholds shown are those of the default alerts (SRE Workbook).'}
      </p>
      <div className="table-wrap">
        <table className="table burn-table">
          <caption className="sr-only">Burn rates by window, with the alert thresholds that use each window</caption>
          <thead>
            <tr>
              <th scope="col">Window</th>
              <th scope="col" className="num">
                Burn rate
              </th>
              <th scope="col">Alert thresholds</th>
            </tr>
          </thead>
          <tbody>
            {BURN_WINDOWS.map((w: BurnWindow) => {
              const rate = o.burnRates[w] ?? null;
              const using = rules.filter((r) => r.longWindow === w || r.shortWindow === w);
              const above = using.filter((r) => rate !== null && rate >= ruleThreshold(r, windowMs));
              return (
                <tr key={w} data-window={w} className={above.length > 0 ? 'row-above' : undefined}>
                  <th scope="row">{w}</th>
                  <td className="num nowrap">
                    {formatBurn(rate)}
                    {above.length > 0 && <span className="text-danger"> ▲ above</span>}
                  </td>
                  <td>
                    {using.length === 0 ? (
                      <span className="muted">—</span>
                    ) : (
                      <ul className="threshold-list">
                        {using.map((r) => (
                          <li key={r.name}>
                            <span className={`badge severity severity-${r.severity}`}>{r.severity}</span> ≥{' '}
                            {formatBurn(ruleThreshold(r, windowMs))}{' '}
                            <span className="muted">
                              {r.longWindow === w
                                ? `${r.name}, confirmed over ${r.shortWindow}`
                                : `${r.name}, short window of ${r.longWindow}`}
                            </span>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function ObjectiveCharts({
  slo,
  objective: o,
  single,
  generation,
}: {
  slo: SloStatus;
  objective: ObjectiveStatus;
  single: boolean;
  generation: number;
}) {
  const from = o.windowStart;
  const to = o.windowEnd;
  const step = chartStep(to - from);
  const series = useApi<SloSeries>(
    `/api/v1/slos/${seg(slo.name)}/series?objective=${seg(o.objective)}&from=${from}&to=${to}&step=${step}`,
  );
  useReloadOn(generation, series.reload);
  if (series.error && !series.data)
    return <ErrorNotice error={series.error} onRetry={series.reload} title="Cannot load the charts" />;
  if (!series.data) return <Loading label="Loading the charts…" />;
  const { sli } = series.data;
  // The series is sampled per step, so its last point can be up to a step old; the status the
  // page shows is current, and the line should end where the figures above say it is.
  const now = Math.min(o.windowEnd, Date.now());
  const lastAt = series.data.burnDown.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
  const burnDown =
    lastAt < now - 60_000 && o.total > 0
      ? [...series.data.burnDown, { at: now, remainingRatio: o.remainingRatio }]
      : series.data.burnDown;
  const spanText = describeWindow(slo.timeWindow);

  const ratios = burnDown.map((p) => p.remainingRatio).filter((v): v is number => v !== null && Number.isFinite(v));
  const lowest = ratios.length ? Math.min(...ratios) : 1;
  const highest = ratios.length ? Math.max(...ratios) : 1;
  const burnMin = Math.min(0, Math.floor(lowest * 10) / 10);
  const burnMax = Math.max(1, Math.ceil(highest * 10) / 10);
  const first = ratios[0];
  const last = ratios[ratios.length - 1];
  const burnSummary =
    first === undefined || last === undefined
      ? 'No budget data in this window yet.'
      : `Remaining error budget over the ${spanText} window: ${formatRemaining(first)} at the start, ${formatRemaining(last)} now, lowest ${formatRemaining(lowest)}.${last <= 0 ? ' The budget is exhausted.' : ''}`;

  const values = sli.map((p) => p.value).filter((v): v is number => v !== null && Number.isFinite(v));
  const sliLow = values.length ? Math.min(...values, o.target) : o.target;
  const gap = Math.max(1 - sliLow, (1 - o.target) * 2);
  const sliMin = Math.max(0, 1 - gap * 1.15);
  const below = sli.filter((p) => p.value !== null && p.value < o.target).length;
  const sliSummary =
    values.length === 0
      ? 'No SLI data in this window yet.'
      : `SLI per ${step} against the ${formatTarget(o.target)} target: lowest ${formatSli(Math.min(...values), o.target)}; ${below === 0 ? 'never below the target' : `below the target in ${below} of ${values.length} intervals`}.`;

  return (
    <div className="grid-2 charts">
      <section className="card" aria-labelledby={`burn-${o.objective}`}>
        <h3 id={`burn-${o.objective}`}>Budget burn-down</h3>
        <TimeChart
          className="burn-down"
          title={single ? 'Remaining error budget' : `Remaining error budget, ${o.displayName || o.objective}`}
          summary={burnSummary}
          points={burnDown.map((p) => ({ at: p.at, value: p.remainingRatio }))}
          from={from}
          to={to}
          yMin={burnMin}
          yMax={burnMax}
          formatTick={(v) => `${Math.round(v * 100)}%`.replace('-', '−')}
          formatValue={formatRemaining}
          valueLabel="Budget left"
          references={[{ value: 0, label: 'budget exhausted', tone: 'zero', labelAt: 'start' }]}
          area
        />
      </section>
      <section className="card" aria-labelledby={`sli-${o.objective}`}>
        <h3 id={`sli-${o.objective}`}>SLI over time</h3>
        <TimeChart
          className="sli-chart"
          title={single ? 'SLI over time' : `SLI over time, ${o.displayName || o.objective}`}
          summary={sliSummary}
          points={sli.map((p) => ({ at: p.at, value: p.total > 0 ? p.value : null }))}
          from={from}
          to={to}
          yMin={sliMin}
          yMax={1}
          formatTick={(v) => `${Number((v * 100).toFixed(4))}%`}
          formatValue={(v) => formatSli(v, o.target)}
          valueLabel="SLI"
          references={[{ value: o.target, label: `target ${formatTarget(o.target)}`, tone: 'target' }]}
        />
      </section>
    </div>
  );
}

function AlertsSection({ slo, generation }: { slo: SloStatus; generation: number }) {
  const alerts = useApi<{ items: SloAlert[] }>(`/api/v1/slo-alerts?slo=${seg(slo.name)}&state=all`);
  useReloadOn(generation, alerts.reload);
  const headingId = useId();
  const items = alerts.data?.items ?? null;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h2 id={headingId}>Burn-rate alerts</h2>
      {alerts.error && !items ? (
        <ErrorNotice error={alerts.error} onRetry={alerts.reload} />
      ) : !items ? (
        <Loading label="Loading alerts…" />
      ) : items.length === 0 ? (
        <p className="muted">No burn-rate alert has fired for this SLO.</p>
      ) : (
        <div className="table-wrap">
          <table className="table stack-on-phone">
            <caption className="sr-only">Burn-rate alerts of {slo.name}, firing and resolved</caption>
            <thead>
              <tr>
                <th scope="col">State</th>
                <th scope="col">Alert</th>
                <th scope="col">Fired</th>
                <th scope="col">Resolved</th>
              </tr>
            </thead>
            <tbody>
              {items.map((a) => {
                const detail = alertDetail(a);
                return (
                  <tr key={a.id} data-alert-state={a.state}>
                    <td>
                      <span className={`badge alert-state alert-${a.state}`}>{a.state}</span>
                    </td>
                    <td>
                      <span className={`badge severity severity-${a.severity}`}>{a.severity}</span> {a.rule}
                      {a.objective !== 'default' && a.objective !== '*' ? <span className="muted"> · {a.objective}</span> : null}
                      {detail ? <div className="cell-sub muted">{detail}</div> : null}
                    </td>
                    <td className="nowrap">
                      <Time at={a.firedAt} />
                    </td>
                    <td className="nowrap">
                      {a.resolvedAt ? <Time at={a.resolvedAt} /> : <span className="muted">still firing</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

const ACTION_LABELS: Record<string, string> = {
  warn: 'warn the owners',
  'halt-deploys': 'halt deploys',
  'halt-flag-ramps': 'halt feature flag ramps',
  page: 'page the on-call',
};

const OVERRIDE_DURATIONS = [
  ['1h', '1 hour'],
  ['4h', '4 hours'],
  ['1d', '1 day'],
  ['3d', '3 days'],
  ['7d', '1 week'],
] as const;

function PolicySection({ service, generation, onChanged }: { service: string; generation: number; onChanged: () => void }) {
  const policy = useApi<ServicePolicy>(`/api/v1/services/${seg(service)}/policy`);
  useReloadOn(generation, policy.reload);
  const headingId = useId();
  return (
    <section className="card" aria-labelledby={headingId} id="policy">
      <h2 id={headingId}>Error budget policy of {service}</h2>
      {policy.error && !policy.data ? (
        <ErrorNotice error={policy.error} onRetry={policy.reload} />
      ) : !policy.data ? (
        <Loading label="Loading the policy…" />
      ) : (
        // The whole page reloads: the SLO's own policy badge changes too.
        <PolicyView policy={policy.data} onChanged={onChanged} />
      )}
    </section>
  );
}

function PolicyView({ policy, onChanged }: { policy: ServicePolicy; onChanged: () => void }) {
  const state = policyState(policy.state);
  return (
    <>
      <p>
        <PolicyBadge state={state} />{' '}
        {policy.remainingRatio !== null && policy.remainingRatio <= 0
          ? policy.override
            ? 'The budget is spent, but the halt is overridden: '
            : 'The budget is spent: '
          : state === 'warn'
            ? 'The budget is running low: '
            : 'Nothing to do while the budget lasts.'}
        {policy.actions.length > 0 && state !== 'ok' && (
          <strong>{policy.actions.map((a) => ACTION_LABELS[a] ?? a).join(', ')}.</strong>
        )}
        {policy.remainingRatio !== null && (
          <span className="muted"> Lowest budget left across its SLOs: {formatRemaining(policy.remainingRatio)}.</span>
        )}
      </p>
      {policy.rules.length > 0 && (
        <>
          <h3>Rules</h3>
          <ul className="rule-list">
            {policy.rules.map((r) => (
              <li key={r.whenRemainingBelow}>
                {r.whenRemainingBelow <= 0.000001 ? 'Budget exhausted' : `Below ${formatRemaining(r.whenRemainingBelow)} left`}:{' '}
                {r.actions.map((a) => ACTION_LABELS[a] ?? a).join(', ')}
              </li>
            ))}
          </ul>
        </>
      )}
      {policy.override ? (
        <div className="notice notice-override" role="status">
          <strong>Halt overridden</strong> by {policy.override.actor} until{' '}
          <time dateTime={new Date(policy.override.until).toISOString()}>{formatAbsolute(policy.override.until)}</time>:{' '}
          {policy.override.reason}
        </div>
      ) : state === 'halted' ? (
        <OverrideForm service={policy.service} onDone={onChanged} />
      ) : null}
    </>
  );
}

function OverrideForm({ service, onDone }: { service: string; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState<string>('4h');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [touched, setTouched] = useState(false);
  const reasonInvalid = touched && reason.trim().length < 3;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTouched(true);
    if (reason.trim().length < 3) return;
    setBusy(true);
    setError(null);
    try {
      // The server reads a duration as "from now", so the client's clock does not matter.
      await api(`/api/v1/services/${seg(service)}/policy/override`, {
        method: 'POST',
        body: { reason: reason.trim(), until: duration },
      });
      setReason('');
      setTouched(false);
      onDone();
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError({ title: 'Error', status: 0, code: 'CLIENT', detail: String(e) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="override-form" onSubmit={submit} noValidate>
      <h3>Override the halt</h3>
      <p className="muted small">
        Deploys and flag ramps stay halted until the budget recovers. An override lets them through for a while; its reason is
        recorded in the audit log.
      </p>
      <div className="field">
        <label htmlFor="override-reason">Reason</label>
        <textarea
          id="override-reason"
          rows={2}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          onBlur={() => setTouched(true)}
          aria-invalid={reasonInvalid}
          aria-describedby={reasonInvalid ? 'override-reason-error' : undefined}
          required
        />
        {reasonInvalid && (
          <p id="override-reason-error" className="field-error">
            Say why the halt should be lifted.
          </p>
        )}
      </div>
      <div className="field">
        <label htmlFor="override-duration">For</label>
        <select id="override-duration" value={duration} onChange={(e) => setDuration(e.target.value)}>
          {OVERRIDE_DURATIONS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {error && <ErrorNotice error={error} title="The override was not recorded" />}
      <div>
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Recording…' : 'Override the halt'}
        </button>
      </div>
    </form>
  );
}
