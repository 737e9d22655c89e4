/** Number and duration formatting for reliability figures, where the third decimal matters. */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How many decimals a percentage needs so its target reads exactly (99.95 → 2, 99.999 → 3). */
function decimalsOf(percent: number): number {
  const text = String(Math.round(percent * 1e6) / 1e6);
  const dot = text.indexOf('.');
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** A target as written: 0.9995 → "99.95%". */
export function formatTarget(ratio: number): string {
  const percent = ratio * 100;
  return `${percent.toFixed(Math.min(6, decimalsOf(percent)))}%`;
}

/**
 * An SLI next to its target: one decimal more than the target has, so 99.951 % and 99.949 %
 * do not both read as "99.95 %" on either side of a 99.95 % objective.
 */
export function formatSli(ratio: number | null, target?: number): string {
  if (ratio === null || !Number.isFinite(ratio)) return 'no data';
  const digits = Math.max(2, target === undefined ? 3 : decimalsOf(target * 100) + 1);
  return `${floorTo(ratio * 100, digits).toFixed(digits)}%`;
}

/** Truncates rather than rounds, so a just-missed 99.9499 % never shows as a met 99.95 %. */
function floorTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.floor(value * f + 1e-9) / f;
}

/** Remaining budget: "63.2%", "−12.4%" when overspent. */
export function formatRemaining(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return 'no data';
  const percent = ratio * 100;
  const text = Math.abs(percent) >= 100 || Number.isInteger(percent) ? percent.toFixed(0) : percent.toFixed(1);
  return `${text.replace('-', '−')}%`;
}

const integer = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const twoDecimals = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

export function formatCount(n: number): string {
  return (Number.isInteger(n) ? integer : oneDecimal).format(n).replace('-', '−');
}

export function plural(n: number, one: string, many: string): string {
  return `${formatCount(n)} ${Math.abs(n) === 1 ? one : many}`;
}

/** Budget minutes the way SLO documents write them: "20.16 minutes". */
export function formatMinutes(minutes: number): string {
  return `${twoDecimals.format(minutes).replace('-', '−')} ${Math.abs(minutes) === 1 ? 'minute' : 'minutes'}`;
}

/** A burn rate: "14.4×"; "no data" when the window has no events. */
export function formatBurn(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return 'no data';
  if (rate === 0) return '0×';
  if (rate < 0.01) return '<0.01×';
  return `${rate >= 100 ? integer.format(rate) : twoDecimals.format(rate)}×`;
}

/** A span in its two largest units: "3d 4h", "2h 5m", "40s". */
export function formatSpan(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < MINUTE) return `${Math.round(abs / 1000)}s`;
  const parts: Array<[number, string]> = [
    [Math.floor(abs / DAY), 'd'],
    [Math.floor((abs % DAY) / HOUR), 'h'],
    [Math.floor((abs % HOUR) / MINUTE), 'm'],
    [Math.floor((abs % MINUTE) / 1000), 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n}${unit}`)
    .join(' ');
}

/** `28d`, `1h30m`, `1.5h` → milliseconds; null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const units: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(trimmed)) return null;
  let total = 0;
  for (const m of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * (units[m[2] ?? ''] ?? 0);
  return total > 0 ? total : null;
}

const CALENDAR_UNITS: Record<string, [string, string]> = {
  d: ['day', 'days'],
  w: ['week', 'weeks'],
  M: ['month', 'months'],
  Q: ['quarter', 'quarters'],
  Y: ['year', 'years'],
};

/** "rolling 28 days", "calendar month (Europe/Berlin)". */
export function describeWindow(w: { type: string; duration: string; timeZone?: string }): string {
  const m = /^(\d+)([a-zA-Z]+)$/.exec(w.duration);
  const n = m ? Number(m[1]) : Number.NaN;
  const unit = m?.[2] ?? '';
  const names = CALENDAR_UNITS[unit] ?? { m: ['minute', 'minutes'], h: ['hour', 'hours'] }[unit];
  const span = names ? (n === 1 ? names[0] : `${n} ${names[1]}`) : w.duration;
  if (w.type === 'calendar') return `calendar ${span}${w.timeZone ? ` (${w.timeZone})` : ''}`;
  return `rolling ${n === 1 && names ? `1 ${names[0]}` : span}`;
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

/** The current window of a calendar SLO: "Nov 1, 2026 – Dec 1, 2026". */
export function formatRange(from: number, to: number): string {
  return `${dateFormat.format(from)} – ${dateFormat.format(to)}`;
}

export const BUDGETING_LABELS: Record<string, string> = {
  Occurrences: 'events',
  Timeslices: 'time slices',
  RatioTimeslices: 'ratio time slices',
};

/** Time-slice SLOs budget bad time; occurrence SLOs budget bad events. */
export function budgetsTime(method: string): boolean {
  return method === 'Timeslices' || method === 'RatioTimeslices';
}
