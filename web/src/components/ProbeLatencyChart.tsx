import { type PointerEvent, useId, useMemo, useState } from 'react';
import { formatMs, type ProbeSeriesPoint } from '../probes.ts';
import { formatAbsolute } from '../time.tsx';
import { CHART_MARGIN, ChartGrid, timeAxis, useWidth, valueTicks } from './TimeChart.tsx';

/**
 * Check latency percentiles over time: p50, p95 and p99 as three lines told apart by dash as well
 * as colour. Drawn like TimeChart (plain SVG at the container's width, a one-sentence summary, the
 * points as a table), which draws a single line.
 */

const SERIES = [
  { key: 'p50', label: 'p50 (median)' },
  { key: 'p95', label: 'p95' },
  { key: 'p99', label: 'p99' },
] as const;
type SeriesKey = (typeof SERIES)[number]['key'];

const MARGIN = CHART_MARGIN;
const MAX_TABLE_ROWS = 120;

function shortMs(v: number): string {
  if (v === 0) return '0';
  return v >= 1000 ? `${Number((v / 1000).toFixed(2))} s` : `${Number(v.toFixed(1))} ms`;
}

export function ProbeLatencyChart({
  title,
  points,
  from,
  to,
  height = 240,
}: {
  title: string;
  points: ProbeSeriesPoint[];
  from: number;
  to: number;
  height?: number;
}) {
  const id = useId();
  const [wrapRef, width] = useWidth<HTMLDivElement>(720);
  const [hover, setHover] = useState<number | null>(null);

  const values = points.flatMap((p) => [p.p50, p.p95, p.p99]).filter((v): v is number => v !== null && Number.isFinite(v));
  const highest = values.length ? Math.max(...values) : 1;
  // The top of the axis is the first tick above the highest point, so every point sits under a label.
  const rough = valueTicks(0, highest * 1.05 || 1, height < 200 ? 3 : 4);
  const tickStep = (rough[1] ?? 1) - (rough[0] ?? 0) || 1;
  const yMax = Math.max(tickStep, Math.ceil((highest * 1.05) / tickStep) * tickStep);
  const ticks = valueTicks(0, yMax, height < 200 ? 3 : 4);
  const innerW = Math.max(10, width - MARGIN.left - MARGIN.right);
  const innerH = height - MARGIN.top - MARGIN.bottom;
  const span = Math.max(1, to - from);
  const x = (at: number) => MARGIN.left + ((at - from) / span) * innerW;
  const y = (v: number) => MARGIN.top + (1 - v / yMax) * innerH;

  const { paths, dots } = useMemo(() => {
    const paths: Record<SeriesKey, string> = { p50: '', p95: '', p99: '' };
    // A point with no neighbour draws no line: it gets a dot, so a single check still shows.
    const dots: Array<{ key: SeriesKey; x: number; y: number }> = [];
    for (const { key } of SERIES) {
      let run: Array<[number, number]> = [];
      const flush = () => {
        const [first] = run;
        if (run.length === 1 && first) dots.push({ key, x: first[0], y: first[1] });
        else if (run.length > 1)
          paths[key] += run.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
        run = [];
      };
      for (const p of points) {
        const v = p[key];
        if (v === null || !Number.isFinite(v)) {
          flush();
          continue;
        }
        run.push([MARGIN.left + ((p.at - from) / span) * innerW, MARGIN.top + (1 - v / yMax) * innerH]);
      }
      flush();
    }
    return { paths, dots };
  }, [points, from, span, innerW, innerH, yMax]);

  const { ticks: xTicks, format: formatTime } = timeAxis(from, to, innerW);

  const onMove = (event: PointerEvent<SVGSVGElement>) => {
    if (points.length === 0) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const at = from + ((event.clientX - rect.left - MARGIN.left) / innerW) * span;
    let lo = 0;
    let hi = points.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((points[mid]?.at ?? 0) < at) lo = mid;
      else hi = mid;
    }
    setHover(Math.abs((points[lo]?.at ?? 0) - at) <= Math.abs((points[hi]?.at ?? 0) - at) ? lo : hi);
  };

  const checked = points.filter((p) => p.total > 0 && p.p50 !== null);
  const p95s = checked.map((p) => p.p95).filter((v): v is number => v !== null);
  const p50s = checked.map((p) => p.p50).filter((v): v is number => v !== null);
  const median = p50s.length ? [...p50s].sort((a, b) => a - b)[Math.floor(p50s.length / 2)] : undefined;
  const ran = points.reduce((sum, p) => sum + p.total, 0);
  const p95Low = p95s.length ? Math.min(...p95s) : 0;
  const p95High = p95s.length ? Math.max(...p95s) : 0;
  const summary =
    checked.length === 0
      ? ran === 0
        ? 'No checks in this range yet.'
        : `${ran === 1 ? 'The one check' : `All ${ran} checks`} in this range failed, so there is no latency to show.`
      : `Latency of passing checks: median p50 ${formatMs(median)}; p95 ${
          formatMs(p95Low) === formatMs(p95High) ? formatMs(p95High) : `between ${formatMs(p95Low)} and ${formatMs(p95High)}`
        }; highest p99 ${formatMs(Math.max(...checked.map((p) => p.p99 ?? 0)))}.`;

  const hovered = hover === null ? null : points[hover];
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const clipId = `${id}-clip`;
  const every = Math.max(1, Math.ceil(points.length / MAX_TABLE_ROWS));
  const rows = points.filter((_, i) => i % every === 0 || i === points.length - 1);
  const hoverX = hovered ? x(hovered.at) : 0;
  const hoverRight = hoverX > MARGIN.left + innerW / 2;

  return (
    <figure className="chart latency-chart">
      <ul className="legend latency-legend" aria-hidden="true">
        {SERIES.map((s) => (
          <li key={s.key}>
            <svg width="26" height="10" className={`latency-key latency-${s.key}`} aria-hidden="true">
              <line x1="1" x2="25" y1="5" y2="5" />
            </svg>
            {s.label}
          </li>
        ))}
      </ul>
      <div ref={wrapRef} className="chart-canvas">
        <svg
          width={width}
          height={height}
          viewBox={`0 0 ${width} ${height}`}
          role="img"
          aria-labelledby={titleId}
          aria-describedby={descId}
          onPointerMove={onMove}
          onPointerLeave={() => setHover(null)}
        >
          <title id={titleId}>{title}</title>
          <ChartGrid
            clipId={clipId}
            innerW={innerW}
            innerH={innerH}
            height={height}
            yTicks={ticks}
            y={y}
            formatY={shortMs}
            xTicks={xTicks}
            x={x}
            formatX={formatTime}
          />
          <g clipPath={`url(#${clipId})`}>
            {SERIES.map((s) =>
              paths[s.key] ? <path key={s.key} className={`latency-line latency-${s.key}`} d={paths[s.key]} /> : null,
            )}
            {dots.map((d) => (
              <circle key={`${d.key}-${d.x}`} className={`latency-dot latency-${d.key}`} cx={d.x} cy={d.y} r={3} />
            ))}
          </g>
          {hovered && hovered.p50 !== null && (
            <g className="chart-hover">
              <line x1={hoverX} x2={hoverX} y1={MARGIN.top} y2={MARGIN.top + innerH} />
              {SERIES.map((s) => {
                const v = hovered[s.key];
                return v === null ? null : (
                  <circle key={s.key} className={`latency-${s.key}`} cx={hoverX} cy={y(Math.min(yMax, v))} r={3.5} />
                );
              })}
              <text x={hoverRight ? hoverX - 8 : hoverX + 8} y={MARGIN.top + 12} textAnchor={hoverRight ? 'end' : 'start'}>
                p50 {formatMs(hovered.p50)} · p95 {formatMs(hovered.p95)} · p99 {formatMs(hovered.p99)}
              </text>
              <text x={hoverRight ? hoverX - 8 : hoverX + 8} y={MARGIN.top + 28} textAnchor={hoverRight ? 'end' : 'start'}>
                {formatAbsolute(hovered.at)}
              </text>
            </g>
          )}
        </svg>
      </div>
      <figcaption id={descId} className="chart-summary">
        {summary}
      </figcaption>
      <details className="chart-table">
        <summary>
          {title} as a table
          {every > 1 ? (
            <span className="muted">
              {' '}
              (every {every === 2 ? '2nd' : every === 3 ? '3rd' : `${every}th`} of {points.length} points)
            </span>
          ) : null}
        </summary>
        <div className="table-wrap chart-table-wrap">
          <table className="table">
            <caption className="sr-only">{title}</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col" className="num">
                  Checks
                </th>
                <th scope="col" className="num">
                  p50
                </th>
                <th scope="col" className="num">
                  p95
                </th>
                <th scope="col" className="num">
                  p99
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.at}>
                  <td className="nowrap">{formatAbsolute(p.at)}</td>
                  <td className="num">{p.total}</td>
                  <td className="num nowrap">{p.total > 0 ? formatMs(p.p50) : 'no data'}</td>
                  <td className="num nowrap">{p.total > 0 ? formatMs(p.p95) : '—'}</td>
                  <td className="num nowrap">{p.total > 0 ? formatMs(p.p99) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
