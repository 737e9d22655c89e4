import { useId, useState } from 'react';
import { formatCount } from '../format.ts';
import { type DailyUptimeOut, formatDay, formatUptime, uptimeTone } from '../probes.ts';

function describeDay(d: DailyUptimeOut): string {
  if (d.total === 0 || d.uptime === null) return `${formatDay(d.day)}: no data`;
  return `${formatDay(d.day)}: ${formatUptime(d.uptime)} uptime, ${formatCount(d.ok)} of ${formatCount(d.total)} checks passed`;
}

/**
 * Uptime per UTC day, oldest first, in the manner of a status page: one bar a day, coloured by
 * its uptime, grey where nothing was checked. Each bar names its day and figure; the same days are
 * one click away as a table for keyboards and screen readers.
 */
export function UptimeBar({ days, probe }: { days: DailyUptimeOut[]; probe: string }) {
  const [hover, setHover] = useState<number | null>(null);
  const captionId = useId();
  const hovered = hover === null ? null : days[hover];
  const checked = days.filter((d) => d.total > 0 && d.uptime !== null);
  const bad = checked.filter((d) => uptimeTone(d.uptime) === 'bad').length;
  const degraded = checked.filter((d) => uptimeTone(d.uptime) === 'degraded').length;
  const summary =
    checked.length === 0
      ? `No checks in the last ${days.length} days.`
      : `${checked.length} of ${days.length} days checked; ${bad === 0 && degraded === 0 ? 'every one at 99.9% or better' : `${bad} below 99%, ${degraded} between 99% and 99.9%`}.`;

  return (
    <figure className="uptime-bar-figure">
      <ol
        className="uptime-bar"
        aria-label={`Uptime per day of ${probe}, last ${days.length} days`}
        aria-describedby={captionId}
        onPointerLeave={() => setHover(null)}
      >
        {days.map((d, i) => {
          const label = describeDay(d);
          return (
            <li
              key={d.day}
              className={`uptime-day uptime-${uptimeTone(d.total > 0 ? d.uptime : null)}${hover === i ? ' uptime-day-hover' : ''}`}
              title={label}
              aria-label={label}
              data-day={new Date(d.day).toISOString().slice(0, 10)}
              data-uptime={d.uptime ?? ''}
              onPointerEnter={() => setHover(i)}
            />
          );
        })}
      </ol>
      <div className="uptime-bar-axis" aria-hidden="true">
        <span>
          <span className="uptime-axis-long">{days.length} days ago</span>
          <span className="uptime-axis-short">30 days ago</span>
        </span>
        <span className="uptime-bar-hover">{hovered ? describeDay(hovered) : ''}</span>
        <span>Today</span>
      </div>
      <figcaption id={captionId} className="chart-summary">
        {summary}
      </figcaption>
      <details className="chart-table">
        <summary>Daily uptime as a table</summary>
        <div className="table-wrap chart-table-wrap">
          <table className="table uptime-table">
            <caption className="sr-only">Uptime per UTC day of {probe}, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                <th scope="col" className="num">
                  Uptime
                </th>
                <th scope="col" className="num">
                  Checks passed
                </th>
              </tr>
            </thead>
            <tbody>
              {[...days].reverse().map((d) => (
                <tr key={d.day}>
                  <td className="nowrap">{formatDay(d.day)}</td>
                  <td className="num nowrap">{d.total > 0 ? formatUptime(d.uptime) : 'no data'}</td>
                  <td className="num nowrap">{d.total > 0 ? `${formatCount(d.ok)} of ${formatCount(d.total)}` : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
