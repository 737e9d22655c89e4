import { type PointerEvent, type RefObject, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { formatAbsolute } from '../time.tsx';

/**
 * A line over time, drawn as plain SVG at the container's pixel width (so labels keep their size
 * on a phone). It is an image with a title and a one-sentence summary for screen readers, and the
 * same points are one click away as a table.
 */

export interface ChartPoint {
  at: number;
  value: number | null;
}

export interface ReferenceLine {
  value: number;
  label: string;
  tone: 'target' | 'zero';
  /** Which end of the line carries the label: the one the data is least likely to cross. */
  labelAt?: 'start' | 'end';
}

export interface TimeChartProps {
  title: string;
  /** What the chart shows, in words: the text alternative to the picture. */
  summary: string;
  points: ChartPoint[];
  from: number;
  to: number;
  yMin: number;
  yMax: number;
  /** Axis labels (short). */
  formatTick: (value: number) => string;
  /** Hover and table values (precise). */
  formatValue: (value: number) => string;
  valueLabel: string;
  references?: ReferenceLine[];
  area?: boolean;
  height?: number;
  className?: string;
}

/** Room around the plot for the axis labels; shared by the charts drawn like this one. */
export const CHART_MARGIN = { top: 14, right: 16, bottom: 28, left: 64 };
const MARGIN = CHART_MARGIN;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
];
const MAX_TABLE_ROWS = 120;

const dayFormat = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function niceStep(range: number, count: number): number {
  const raw = range / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const n = raw / power;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * power;
}

export function valueTicks(min: number, max: number, count = 4): number[] {
  if (!(max > min)) return [min];
  const step = niceStep(max - min, count);
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-6; v += step) ticks.push(Number(v.toFixed(decimals)));
  return ticks;
}

export function timeTicks(from: number, to: number, maxTicks: number): { ticks: number[]; step: number } {
  const step = TIME_STEPS.find((s) => (to - from) / s <= maxTicks) ?? TIME_STEPS[TIME_STEPS.length - 1] ?? DAY;
  // Align to local midnight and hours, so day ticks fall on day boundaries wherever the reader is.
  const offset = -new Date(from).getTimezoneOffset() * MINUTE;
  const ticks: number[] = [];
  for (let t = Math.ceil((from + offset) / step) * step - offset; t <= to; t += step) ticks.push(t);
  return { ticks, step };
}

/** Ticks for a time axis `innerW` pixels wide, and how to label them (days or times of day). */
export function timeAxis(from: number, to: number, innerW: number): { ticks: number[]; format: (t: number) => string } {
  const { ticks, step } = timeTicks(from, to, Math.max(2, Math.floor(innerW / 90)));
  return { ticks, format: (t) => (step >= DAY ? dayFormat.format(t) : timeFormat.format(t)) };
}

/** The clip path, horizontal grid lines with value labels, time labels and the x axis of a chart. */
export function ChartGrid(props: {
  clipId: string;
  innerW: number;
  innerH: number;
  height: number;
  yTicks: number[];
  y: (v: number) => number;
  formatY: (v: number) => string;
  xTicks: number[];
  x: (t: number) => number;
  formatX: (t: number) => string;
}) {
  const { clipId, innerW, innerH, height, yTicks, y, formatY, xTicks, x, formatX } = props;
  return (
    <>
      <defs>
        <clipPath id={clipId}>
          <rect x={MARGIN.left} y={MARGIN.top - 2} width={innerW} height={innerH + 4} />
        </clipPath>
      </defs>
      <g className="chart-grid">
        {yTicks.map((v) => (
          <g key={`y${v}`}>
            <line x1={MARGIN.left} x2={MARGIN.left + innerW} y1={y(v)} y2={y(v)} />
            <text x={MARGIN.left - 8} y={y(v)} dy="0.32em" textAnchor="end" className="chart-tick">
              {formatY(v)}
            </text>
          </g>
        ))}
        {xTicks.map((t) => (
          <text key={`x${t}`} x={x(t)} y={height - 8} textAnchor="middle" className="chart-tick">
            {formatX(t)}
          </text>
        ))}
        <line
          className="chart-axis"
          x1={MARGIN.left}
          x2={MARGIN.left + innerW}
          y1={MARGIN.top + innerH}
          y2={MARGIN.top + innerH}
        />
      </g>
    </>
  );
}

export function useWidth<T extends HTMLElement>(fallback: number): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  // Measure before the first paint: drawing at the fallback width first would overflow a phone's
  // screen until the observer reported.
  useLayoutEffect(() => {
    const w = ref.current?.getBoundingClientRect().width;
    if (w) setWidth(Math.floor(w));
  }, []);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w && Math.abs(w - width) >= 1) setWidth(Math.floor(w));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [width]);
  return [ref, width];
}

export function TimeChart(props: TimeChartProps) {
  const { points, from, to, yMin, yMax, formatTick, formatValue, references = [], height = 220 } = props;
  const id = useId();
  const [wrapRef, width] = useWidth<HTMLDivElement>(720);
  const [hover, setHover] = useState<number | null>(null);

  const innerW = Math.max(10, width - MARGIN.left - MARGIN.right);
  const innerH = height - MARGIN.top - MARGIN.bottom;
  const span = Math.max(1, to - from);
  const x = (at: number) => MARGIN.left + ((at - from) / span) * innerW;
  const y = (v: number) => MARGIN.top + (1 - (v - yMin) / (yMax - yMin || 1)) * innerH;

  const { line, fill } = useMemo(() => {
    let d = '';
    let a = '';
    let run: Array<[number, number]> = [];
    const base = MARGIN.top + (1 - (Math.min(Math.max(0, yMin), yMax) - yMin) / (yMax - yMin || 1)) * innerH;
    const flush = () => {
      if (run.length === 0) return;
      d += run.map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${px.toFixed(1)},${py.toFixed(1)}`).join('');
      if (run.length === 1) d += `h0.1`;
      const first = run[0];
      const last = run[run.length - 1];
      if (first && last) {
        a += `M${first[0].toFixed(1)},${base.toFixed(1)}`;
        a += run.map(([px, py]) => `L${px.toFixed(1)},${py.toFixed(1)}`).join('');
        a += `L${last[0].toFixed(1)},${base.toFixed(1)}Z`;
      }
      run = [];
    };
    for (const p of points) {
      if (p.value === null || !Number.isFinite(p.value)) flush();
      else
        run.push([
          MARGIN.left + ((p.at - from) / span) * innerW,
          MARGIN.top + (1 - (p.value - yMin) / (yMax - yMin || 1)) * innerH,
        ]);
    }
    flush();
    return { line: d, fill: a };
  }, [points, from, span, innerW, innerH, yMin, yMax]);

  const yTicks = valueTicks(yMin, yMax, height < 200 ? 3 : 4);
  const { ticks: xTicks, format: formatTime } = timeAxis(from, to, innerW);

  const onMove = (event: PointerEvent<SVGSVGElement>) => {
    if (points.length === 0) return;
    const rect = event.currentTarget.getBoundingClientRect();
    const at = from + ((event.clientX - rect.left - MARGIN.left) / innerW) * span;
    // Points are in time order: binary search for the nearest.
    let lo = 0;
    let hi = points.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if ((points[mid]?.at ?? 0) < at) lo = mid;
      else hi = mid;
    }
    const nearest = Math.abs((points[lo]?.at ?? 0) - at) <= Math.abs((points[hi]?.at ?? 0) - at) ? lo : hi;
    setHover(nearest);
  };

  const hovered = hover === null ? null : points[hover];
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const clipId = `${id}-clip`;

  const every = Math.max(1, Math.ceil(points.length / MAX_TABLE_ROWS));
  const rows = points.filter((_, i) => i % every === 0 || i === points.length - 1);

  return (
    <figure className={`chart ${props.className ?? ''}`}>
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
          <title id={titleId}>{props.title}</title>
          <ChartGrid
            clipId={clipId}
            innerW={innerW}
            innerH={innerH}
            height={height}
            yTicks={yTicks}
            y={y}
            formatY={formatTick}
            xTicks={xTicks}
            x={x}
            formatX={formatTime}
          />
          <g clipPath={`url(#${clipId})`}>
            {props.area && fill && <path className="chart-area" d={fill} />}
            {line && <path className="chart-line" d={line} />}
          </g>
          {references
            .filter((r) => r.value >= yMin && r.value <= yMax)
            .map((r) => (
              <g key={r.label} className={`chart-ref chart-ref-${r.tone}`}>
                <line x1={MARGIN.left} x2={MARGIN.left + innerW} y1={y(r.value)} y2={y(r.value)} />
                <text
                  x={r.labelAt === 'start' ? MARGIN.left + 4 : MARGIN.left + innerW - 4}
                  y={y(r.value)}
                  dy={y(r.value) - MARGIN.top < 16 ? '1.1em' : '-0.4em'}
                  textAnchor={r.labelAt === 'start' ? 'start' : 'end'}
                >
                  {r.label}
                </text>
              </g>
            ))}
          {hovered && hovered.value !== null && (
            <g className="chart-hover">
              <line x1={x(hovered.at)} x2={x(hovered.at)} y1={MARGIN.top} y2={MARGIN.top + innerH} />
              <circle cx={x(hovered.at)} cy={y(Math.min(yMax, Math.max(yMin, hovered.value)))} r={4} />
              <text
                x={x(hovered.at) > MARGIN.left + innerW / 2 ? x(hovered.at) - 8 : x(hovered.at) + 8}
                y={MARGIN.top + 12}
                textAnchor={x(hovered.at) > MARGIN.left + innerW / 2 ? 'end' : 'start'}
              >
                {formatValue(hovered.value)} · {formatAbsolute(hovered.at)}
              </text>
            </g>
          )}
        </svg>
      </div>
      <figcaption id={descId} className="chart-summary">
        {props.summary}
      </figcaption>
      <details className="chart-table">
        <summary>
          {props.title} as a table
          {every > 1 ? (
            <span className="muted">
              {' '}
              (every {every === 2 ? '2nd' : every === 3 ? '3rd' : `${every}th`} of {points.length} points)
            </span>
          ) : null}
        </summary>
        <div className="table-wrap chart-table-wrap">
          <table className="table">
            <caption className="sr-only">{props.title}</caption>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">{props.valueLabel}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.at}>
                  <td className="nowrap">{formatAbsolute(p.at)}</td>
                  <td className="nowrap num">{p.value === null ? 'no data' : formatValue(p.value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
