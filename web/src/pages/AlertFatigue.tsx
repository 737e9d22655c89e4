import { useId, useState } from 'react';
import type { FatigueCounts, FatigueReport, ShiftFatigue, TeamFatigue } from '../../../src/alerts/fatigue.ts';
import { useApi } from '../api.ts';
import { EntityLink, TeamLink } from '../components/badges.tsx';
import { EmptyState, ErrorNotice, Loading } from '../components/status.tsx';
import { CHART_MARGIN, ChartGrid, timeAxis, useWidth, valueTicks } from '../components/TimeChart.tsx';
import { plural } from '../format.ts';
import { Link, navigate, useLocation, withQuery } from '../router.tsx';
import { useTitle } from '../title.ts';

// The report of GET /api/v1/alerts/fatigue, as the server types it.
type ShiftRow = ShiftFatigue;
type TeamRow = TeamFatigue;

const PERIODS = [7, 14, 28, 56, 90] as const;
/** The handoffs the report uses when none are asked for (day 08:00–20:00, night 20:00–08:00). */
const DEFAULT_HANDOFFS = '08:00,20:00';
/** Common handoff patterns; anything else is "custom". */
const HANDOFF_PRESETS: ReadonlyArray<[string, string]> = [
  [DEFAULT_HANDOFFS, '08:00 and 20:00 (12 h)'],
  ['09:00,21:00', '09:00 and 21:00 (12 h)'],
  ['07:00,19:00', '07:00 and 19:00 (12 h)'],
  ['07:00,15:00,23:00', '07:00, 15:00, 23:00 (8 h)'],
  ['09:00', '09:00 (24 h)'],
];
const CUSTOM = 'custom';
/** Mirrors the server's check (src/alerts/fatigue.ts parseHandoffs): 1 to 6 distinct HH:MM. */
const HANDOFFS_PATTERN = '\\s*([01]\\d|2[0-3]):[0-5]\\d\\s*(,\\s*([01]\\d|2[0-3]):[0-5]\\d\\s*){0,5}';
const normalHandoffs = (text: string) =>
  text
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '')
    .join(',');
/** The busiest flagged shifts listed; the chart's table has them all. */
const MAX_FLAGGED = 10;
const ALL = '';
/** The chart and the tables key teams by name; services without an owner have none. */
const UNOWNED = '(unowned)';
const keyOf = (t: TeamRow) => t.team ?? UNOWNED;

const percent = (share: number | null) => (share === null ? '—' : `${Math.round(share * 100)}%`);

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function formatIn(timeZone: string, options: Intl.DateTimeFormatOptions) {
  const f = new Intl.DateTimeFormat(undefined, { ...options, timeZone });
  return (at: number) => f.format(at);
}

export default function AlertFatigue() {
  useTitle('Alert fatigue');
  const { pathname, query } = useLocation();
  const days = Number(query.get('days')) || 28;
  const team = query.get('team') ?? ALL;
  const zone = query.get('timeZone') || 'UTC';
  const handoffs = normalHandoffs(query.get('handoffs') ?? '') || DEFAULT_HANDOFFS;
  const local = browserZone();
  const set = (changes: Record<string, string>) =>
    navigate(
      withQuery(pathname, {
        days: query.get('days'),
        team,
        timeZone: query.get('timeZone'),
        handoffs: query.get('handoffs'),
        ...changes,
      }),
      { replace: true },
    );
  const daysId = useId();
  const zoneId = useId();
  const teamId = useId();
  const handoffsId = useId();
  const customId = useId();
  const preset = HANDOFF_PRESETS.some(([value]) => value === handoffs);
  const [custom, setCustom] = useState(!preset);
  const [customText, setCustomText] = useState(preset ? '' : handoffs);
  const applyCustom = () => {
    const text = normalHandoffs(customText);
    if (text !== '' && text !== handoffs) set({ handoffs: text === DEFAULT_HANDOFFS ? '' : text });
  };

  const path = withQuery('/api/v1/alerts/fatigue', {
    days,
    timeZone: zone === 'UTC' ? null : zone,
    handoffs: handoffs === DEFAULT_HANDOFFS ? null : handoffs,
  });
  const report = useApi<FatigueReport>(path);
  const r = report.data;

  return (
    <>
      <div className="page-header">
        <div>
          <h1>Alert fatigue</h1>
          <p className="lead">
            How often each team is paged per on-call shift, how much of it outside working hours, and which alerts page for
            nothing.
          </p>
        </div>
      </div>

      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          if (custom) applyCustom();
        }}
      >
        <div className="field">
          <label htmlFor={daysId}>Period</label>
          <select id={daysId} value={String(days)} onChange={(e) => set({ days: e.target.value })}>
            {(PERIODS.includes(days as (typeof PERIODS)[number]) ? PERIODS : [...PERIODS, days]).map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={zoneId}>Time zone</label>
          <select id={zoneId} value={zone} onChange={(e) => set({ timeZone: e.target.value === 'UTC' ? '' : e.target.value })}>
            {[...new Set(['UTC', local, zone])].map((z) => (
              <option key={z} value={z}>
                {z}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={handoffsId}>Shift handoffs</label>
          <select
            id={handoffsId}
            value={custom ? CUSTOM : handoffs}
            onChange={(e) => {
              if (e.target.value === CUSTOM) {
                setCustom(true);
                setCustomText(handoffs);
                return;
              }
              setCustom(false);
              set({ handoffs: e.target.value === DEFAULT_HANDOFFS ? '' : e.target.value });
            }}
          >
            {HANDOFF_PRESETS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
            <option value={CUSTOM}>Custom…</option>
          </select>
        </div>
        {custom && (
          <div className="field">
            <label htmlFor={customId}>Handoff times</label>
            <input
              id={customId}
              value={customText}
              placeholder="e.g. 06:00,14:00,22:00"
              pattern={HANDOFFS_PATTERN}
              title="1 to 6 local times HH:MM (24-hour), separated by commas"
              onChange={(e) => setCustomText(e.target.value)}
              onBlur={(e) => e.currentTarget.validity.valid && applyCustom()}
              aria-describedby={`${customId}-hint`}
              spellCheck={false}
              autoComplete="off"
              inputMode="numeric"
            />
            <span id={`${customId}-hint`} className="sr-only">
              1 to 6 local times HH:MM, 24-hour, separated by commas; press Enter to apply
            </span>
          </div>
        )}
        <div className="field">
          <label htmlFor={teamId}>Team</label>
          <select id={teamId} value={team} onChange={(e) => set({ team: e.target.value })}>
            <option value={ALL}>All teams</option>
            {(r?.teams ?? []).map((t) => (
              <option key={keyOf(t)} value={keyOf(t)}>
                {t.title || t.team || 'Services without an owner'}
              </option>
            ))}
          </select>
        </div>
      </form>

      {report.error && !r ? (
        <ErrorNotice error={report.error} onRetry={report.reload} />
      ) : !r ? (
        <Loading label="Counting pages…" />
      ) : (
        <Report report={r} days={days} team={team} onTeam={(t) => set({ team: t })} />
      )}
    </>
  );
}

function Report({
  report: r,
  days,
  team,
  onTeam,
}: {
  report: FatigueReport;
  days: number;
  team: string;
  onTeam: (team: string) => void;
}) {
  const limit = r.limitPagesPer12h;
  if (r.totals.alerts === 0) {
    return (
      <EmptyState title={`No alerts in the last ${days} days`} tone="good">
        <p>
          Nobody was paged. Alerts arrive through integrations (<code>vigil integration create</code>) and from Vigil's own SLO
          burn-rate rules and probes.
        </p>
      </EmptyState>
    );
  }
  const teams = team === ALL ? r.teams : r.teams.filter((t) => keyOf(t) === team);
  const focus = teams[0] ?? null;
  const sources = team === ALL ? r.sources : (focus?.sources ?? []);
  const flagged = teams
    .flatMap((t) => t.shifts.filter((s) => s.flagged).map((s) => ({ team: t.team, shift: s })))
    .sort((a, b) => b.shift.pagesPer12h - a.shift.pagesPer12h || b.shift.pages - a.shift.pages || b.shift.start - a.shift.start);
  const at = formatIn(r.timeZone, { dateStyle: 'medium', timeStyle: 'short' });
  const day = formatIn(r.timeZone, { dateStyle: 'medium' });
  // With one team picked, the figures on top are that team's.
  const c: FatigueCounts = team === ALL || !focus ? r.totals : focus;

  return (
    <>
      <dl className="stat-grid">
        <div className="stat">
          <dt>Pages</dt>
          <dd className="stat-value">{c.pages}</dd>
          <dd className="stat-sub muted">{c.suppressed > 0 ? `${c.suppressed} more suppressed` : 'none suppressed'}</dd>
        </div>
        <div className="stat">
          <dt>Outside working hours</dt>
          <dd className="stat-value">{percent(c.outsideWorkingHoursShare)}</dd>
          <dd className="stat-sub muted">{plural(c.outsideWorkingHours, 'page', 'pages')}</dd>
        </div>
        <div className="stat">
          <dt>Noise</dt>
          <dd className={`stat-value${(c.noiseShare ?? 0) >= 0.5 ? ' text-danger' : ''}`}>{percent(c.noiseShare)}</dd>
          <dd className="stat-sub muted">resolved without anyone acting; {percent(c.acknowledgedShare)} acknowledged</dd>
        </div>
      </dl>
      <p className="muted small" data-testid="fatigue-period">
        {at(r.from)} to {at(r.to)} ({r.timeZone}). {r.shiftSchedule}; working hours {r.workingHours.start}–{r.workingHours.end}{' '}
        Monday to Friday. A team or shift with more than {limit} pages per 12 hours (of the shift's length) is flagged.
      </p>

      <section aria-labelledby="fatigue-teams">
        <h2 id="fatigue-teams">Teams</h2>
        <ul className="card-grid">
          {teams.map((t) => (
            <li key={keyOf(t)}>
              <TeamCard team={t} limit={limit} selected={team !== ALL} onSelect={() => onTeam(keyOf(t))} />
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="fatigue-shifts" className="report">
        <h2 id="fatigue-shifts">Pages per shift{focus ? `: ${focus.title || focus.team || 'services without an owner'}` : ''}</h2>
        {focus ? (
          <>
            {team === ALL && r.teams.length > 1 && (
              <p className="muted small">The most paged team is shown; pick a team above or in the filter for another.</p>
            )}
            <ShiftChart team={focus} limit={limit} timeZone={r.timeZone} from={r.from} to={r.to} handoffs={r.handoffs} />
          </>
        ) : (
          <p className="muted">No team owns a service yet.</p>
        )}

        <h3>Shifts over {limit} pages per 12 h</h3>
        {flagged.length === 0 ? (
          <p className="muted">None: no shift had more than {limit} pages per 12 hours.</p>
        ) : (
          <div className="table-wrap">
            <table className="table stack-on-phone" data-testid="flagged-shifts">
              <caption className="sr-only">Shifts with more than {limit} pages per 12 hours, the busiest first</caption>
              <thead>
                <tr>
                  <th scope="col">Team</th>
                  <th scope="col">Shift</th>
                  <th scope="col" className="num">
                    Pages
                  </th>
                  <th scope="col" className="num">
                    Per 12 h
                  </th>
                  <th scope="col" className="num">
                    Outside working hours
                  </th>
                  <th scope="col" className="num">
                    Acknowledged
                  </th>
                  <th scope="col" className="num">
                    Noise
                  </th>
                </tr>
              </thead>
              <tbody>
                {flagged.slice(0, MAX_FLAGGED).map(({ team: t, shift: s }) => (
                  <tr key={`${t}/${s.start}`}>
                    <td>
                      <TeamLink team={t} />
                    </td>
                    <td className="nowrap">
                      {s.label}
                      {s.partial ? <span className="muted"> (part)</span> : null}
                    </td>
                    <td className="num">
                      <strong className="text-danger">{s.pages}</strong>
                    </td>
                    <td className="num">{s.pagesPer12h.toFixed(2)}</td>
                    <td className="num">{s.outsideWorkingHours}</td>
                    <td className="num">{s.acknowledged}</td>
                    <td className="num">{s.noise}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {flagged.length > MAX_FLAGGED && (
          <p className="muted small">and {flagged.length - MAX_FLAGGED} more; every shift is in the table under the chart.</p>
        )}
      </section>

      <section aria-labelledby="fatigue-sources" className="report">
        <h2 id="fatigue-sources">Noisiest sources</h2>
        <p className="muted small">
          Grouped by service, the integration or Vigil's own origin, and the alert name or dedup key without its generated tail.
          Noise: resolved by the sender or by Vigil without anyone acknowledging.
        </p>
        {sources.length === 0 ? (
          <p className="muted">No pages in this period.</p>
        ) : (
          <div className="table-wrap">
            <table className="table stack-on-phone" data-testid="noisy-sources">
              <caption className="sr-only">The sources that paged most, the noisiest first among equals</caption>
              <thead>
                <tr>
                  <th scope="col">Source</th>
                  <th scope="col">Service</th>
                  <th scope="col" className="num">
                    Pages
                  </th>
                  <th scope="col" className="num">
                    Noise
                  </th>
                  <th scope="col" className="num">
                    Acknowledged
                  </th>
                  <th scope="col" className="num">
                    Outside working hours
                  </th>
                  <th scope="col">Last</th>
                </tr>
              </thead>
              <tbody>
                {sources.map((s) => (
                  <tr key={`${s.service}/${s.via}/${s.key}`}>
                    <td className="cell-name">
                      <strong className="mono">{s.key}</strong>
                      <div className="cell-sub muted">via {s.via}</div>
                    </td>
                    <td>
                      <EntityLink kind="service" name={s.service} />
                      <div className="cell-sub muted">
                        <TeamLink team={s.team} />
                      </div>
                    </td>
                    <td className="num">{s.pages}</td>
                    <td className="num nowrap">
                      <span className={s.noiseShare >= 0.5 ? 'text-danger' : undefined}>{s.noise}</span>{' '}
                      <span className="muted">({percent(s.noiseShare)})</span>
                    </td>
                    <td className="num">{s.acknowledged}</td>
                    <td className="num">{s.outsideWorkingHours}</td>
                    <td className="nowrap">{day(s.lastAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}

function TeamCard({
  team: t,
  limit,
  selected,
  onSelect,
}: {
  team: TeamRow;
  limit: number;
  selected: boolean;
  onSelect: () => void;
}) {
  const name = t.title || t.team || 'Services without an owner';
  return (
    <article
      className="card team-card"
      data-team={keyOf(t)}
      data-flagged={t.flagged || undefined}
      style={t.flagged ? { borderColor: 'var(--danger-border)', background: 'var(--danger-bg)' } : undefined}
    >
      <div className="team-card-head">
        <h3 style={{ margin: 0 }}>{t.team ? <Link to={`/teams/${encodeURIComponent(t.team)}`}>{name}</Link> : name}</h3>
        {t.flagged ? (
          <span className="badge" style={{ background: 'var(--danger)', color: '#fff' }}>
            over {limit} / 12 h
          </span>
        ) : t.flaggedShifts > 0 ? (
          <span
            className="badge"
            style={{ background: 'var(--warn-bg)', color: 'var(--warn)', border: '1px solid var(--warn-border)' }}
          >
            {plural(t.flaggedShifts, 'busy shift', 'busy shifts')}
          </span>
        ) : (
          <span
            className="badge"
            style={{ background: 'var(--good-bg)', color: 'var(--good)', border: '1px solid var(--good-border)' }}
          >
            calm
          </span>
        )}
      </div>
      {t.title && t.team && t.title !== t.team ? <p className="muted small mono">{t.team}</p> : null}
      <dl className="facts">
        <div>
          <dt>Pages per 12 h</dt>
          <dd>
            <strong className={t.flagged ? 'text-danger' : undefined}>{t.pagesPer12h.toFixed(2)}</strong>{' '}
            <span className="muted">
              ({plural(t.pages, 'page', 'pages')}, at most {t.maxShiftPages} in a shift)
            </span>
          </dd>
        </div>
        <div>
          <dt>Outside working hours</dt>
          <dd>
            {percent(t.outsideWorkingHoursShare)} <span className="muted">({t.outsideWorkingHours})</span>
          </dd>
        </div>
        <div>
          <dt>Acknowledged</dt>
          <dd>
            {percent(t.acknowledgedShare)} <span className="muted">({t.acknowledged})</span>
          </dd>
        </div>
        <div>
          <dt>Noise</dt>
          <dd>
            <span className={(t.noiseShare ?? 0) >= 0.5 ? 'text-danger' : undefined}>{percent(t.noiseShare)}</span>{' '}
            <span className="muted">
              ({t.noise}
              {t.transient > 0 ? `, ${t.transient} gone within 5 minutes` : ''})
            </span>
          </dd>
        </div>
        {t.suppressed > 0 && (
          <div>
            <dt>Suppressed</dt>
            <dd>{t.suppressed}</dd>
          </div>
        )}
      </dl>
      {!selected && (
        <button type="button" className="button button-quiet" onClick={onSelect}>
          Shifts of {name}
        </button>
      )}
    </article>
  );
}

/** Pages per shift as bars over time: night shifts darker, shifts over the limit in red, the limit as a line. */
function ShiftChart({
  team,
  limit,
  timeZone,
  from,
  to,
  handoffs,
}: {
  team: TeamRow;
  limit: number;
  timeZone: string;
  from: number;
  to: number;
  handoffs: string[] | null;
}) {
  const id = useId();
  const [wrapRef, width] = useWidth<HTMLDivElement>(720);
  const [hover, setHover] = useState<ShiftRow | null>(null);
  const height = 220;
  const M = CHART_MARGIN;
  const innerW = Math.max(10, width - M.left - M.right);
  const innerH = height - M.top - M.bottom;
  const span = Math.max(1, to - from);
  // The limit in pages of each shift: `limit` per 12 hours of its length.
  const shiftLimit = (s: ShiftRow) => (limit * s.hours) / 12;
  const limitMax = team.shifts.reduce((m, s) => Math.max(m, shiftLimit(s)), limit);
  const yMax = Math.max(Math.ceil(limitMax) + 1, team.maxShiftPages);
  const x = (at: number) => M.left + ((at - from) / span) * innerW;
  const y = (v: number) => M.top + (1 - v / yMax) * innerH;
  const yTicks = valueTicks(0, yMax, 4).filter((v) => Number.isInteger(v));
  const { ticks: xTicks, format: formatX } = timeAxis(from, to, innerW);
  const at = formatIn(timeZone, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  const name = team.title || team.team || 'services without an owner';
  const busiest = team.shifts.reduce<ShiftRow | null>((b, s) => (s.pages > (b?.pages ?? 0) ? s : b), null);
  const summary =
    team.pages === 0
      ? `No pages for ${name} in this period.`
      : `${plural(team.pages, 'page', 'pages')} over ${team.shiftCount} shifts, ${team.pagesPer12h.toFixed(2)} per 12 hours on average; ` +
        `${plural(team.flaggedShifts, 'shift', 'shifts')} had more than ${limit} per 12 hours` +
        (busiest ? `, the busiest ${busiest.label} with ${busiest.pages}.` : '.');
  const legend = shiftLegend(handoffs);
  // The limit as a step line: equal shifts make it straight, a shorter or longer shift steps it.
  const limitPath = team.shifts.map((s, i) => `${i === 0 ? 'M' : 'L'}${x(s.start)},${y(shiftLimit(s))}H${x(s.end)}`).join('');
  const lastLimit = team.shifts.length > 0 ? shiftLimit(team.shifts[team.shifts.length - 1] as ShiftRow) : limit;
  const fill = (s: ShiftRow) => (s.flagged ? 'var(--danger)' : s.kind === 'night' ? 'var(--accent-hover)' : 'var(--accent)');

  return (
    <figure className="chart">
      <ul className="legend" aria-hidden="true">
        {legend.day && (
          <li>
            <span className="swatch" style={{ background: 'var(--accent)' }} /> {legend.day}
          </li>
        )}
        {legend.night && (
          <li>
            <span className="swatch" style={{ background: 'var(--accent-hover)', opacity: 0.75 }} /> {legend.night}
          </li>
        )}
        <li>
          <span className="swatch" style={{ background: 'var(--danger)' }} /> More than {limit} pages per 12 h
        </li>
      </ul>
      <div ref={wrapRef} className="chart-canvas">
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby={`${id}-title`}
          aria-describedby={`${id}-desc`}
          onPointerLeave={() => setHover(null)}
        >
          <title id={`${id}-title`}>Pages per shift, {name}</title>
          <ChartGrid
            clipId={`${id}-clip`}
            innerW={innerW}
            innerH={innerH}
            height={height}
            yTicks={yTicks}
            y={y}
            formatY={(v) => String(v)}
            xTicks={xTicks}
            x={x}
            formatX={formatX}
          />
          <g>
            {team.shifts.map((s) => {
              const x0 = x(s.start);
              const w = Math.max(1, x(s.end) - x0 - (innerW / team.shifts.length > 4 ? 1 : 0));
              const h = s.pages === 0 ? 0 : Math.max(2, y(0) - y(s.pages));
              return (
                <g key={s.start} onPointerEnter={() => setHover(s)} data-shift={s.label} data-pages={s.pages}>
                  <rect x={x0} y={M.top} width={w} height={innerH} fill="transparent" />
                  {h > 0 && (
                    <rect
                      x={x0}
                      y={y(0) - h}
                      width={w}
                      height={h}
                      rx={1}
                      style={{ fill: fill(s), opacity: s.kind === 'night' && !s.flagged ? 0.75 : 1 }}
                    >
                      <title>
                        {s.label}: {plural(s.pages, 'page', 'pages')}
                      </title>
                    </rect>
                  )}
                </g>
              );
            })}
          </g>
          <g className="chart-ref chart-ref-target">
            {team.shifts.length > 0 ? (
              // Styled as the stylesheet styles `.chart-ref-target line`.
              <path d={limitPath} fill="none" style={{ stroke: 'var(--warn-fill)', strokeWidth: 1.5, strokeDasharray: '6 4' }} />
            ) : (
              <line x1={M.left} x2={M.left + innerW} y1={y(limit)} y2={y(limit)} />
            )}
            <text x={M.left + innerW - 4} y={y(lastLimit)} dy="-0.4em" textAnchor="end">
              {limit} per 12 h
            </text>
          </g>
          {hover && (
            <g className="chart-hover">
              <text
                x={x(hover.start) > M.left + innerW / 2 ? x(hover.start) - 8 : x(hover.end) + 8}
                y={M.top + 12}
                textAnchor={x(hover.start) > M.left + innerW / 2 ? 'end' : 'start'}
              >
                {hover.label}: {plural(hover.pages, 'page', 'pages')}
                {hover.pages > 0 ? ` · ${hover.noise} noise · ${hover.acknowledged} acknowledged` : ''}
              </text>
            </g>
          )}
        </svg>
      </div>
      <figcaption id={`${id}-desc`} className="chart-summary">
        {summary}
      </figcaption>
      <details className="chart-table">
        <summary>Pages per shift as a table</summary>
        <div className="table-wrap chart-table-wrap">
          <table className="table">
            <caption className="sr-only">Pages per shift, {name}</caption>
            <thead>
              <tr>
                <th scope="col">Shift</th>
                <th scope="col">From</th>
                <th scope="col" className="num">
                  Pages
                </th>
                <th scope="col" className="num">
                  Per 12 h
                </th>
                <th scope="col" className="num">
                  Noise
                </th>
                <th scope="col" className="num">
                  Acknowledged
                </th>
              </tr>
            </thead>
            <tbody>
              {team.shifts.map((s) => (
                <tr key={s.start}>
                  <td className="nowrap">{s.label}</td>
                  <td className="nowrap">{at(s.start)}</td>
                  <td className="num">{s.flagged ? <strong className="text-danger">{s.pages}</strong> : s.pages}</td>
                  <td className="num">{s.pagesPer12h.toFixed(2)}</td>
                  <td className="num">{s.noise}</td>
                  <td className="num">{s.acknowledged}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

/**
 * The chart legend's shift kinds: `Day shift (08–20)` and `Night shift (20–08)` for the default
 * handoffs, else the shifts of each kind by their hours (a shift starting 06:00 to 18:00 is a day shift).
 */
function shiftLegend(handoffs: string[] | null): { day: string | null; night: string | null } {
  if (handoffs === null) return { day: 'Day shift', night: 'Night shift' };
  if (handoffs.join(',') === DEFAULT_HANDOFFS) return { day: 'Day shift (08–20)', night: 'Night shift (20–08)' };
  const day: string[] = [];
  const night: string[] = [];
  handoffs.forEach((h, i) => {
    const span = `${h}–${handoffs[(i + 1) % handoffs.length]}`;
    const minutes = Number(h.slice(0, 2)) * 60 + Number(h.slice(3, 5));
    (minutes >= 360 && minutes < 1080 ? day : night).push(span);
  });
  return {
    day: day.length > 0 ? `${day.length > 1 ? 'Day shifts' : 'Day shift'} (${day.join(', ')})` : null,
    night: night.length > 0 ? `${night.length > 1 ? 'Night shifts' : 'Night shift'} (${night.join(', ')})` : null,
  };
}
