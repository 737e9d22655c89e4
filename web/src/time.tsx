import { useEffect, useState } from 'react';

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['week', 7 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatRelative(at: number, now: number): string {
  const diff = at - now;
  if (Math.abs(diff) < 10_000) return 'just now';
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'second') return relative.format(Math.round(diff / ms), unit);
  }
  return relative.format(0, 'second');
}

export function formatAbsolute(at: number): string {
  return absolute.format(new Date(at));
}

// One shared ticker keeps every relative time on screen current without a timer per element.
const subscribers = new Set<(now: number) => void>();
let timer: ReturnType<typeof setInterval> | null = null;

function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    subscribers.add(setNow);
    if (!timer)
      timer = setInterval(() => {
        const t = Date.now();
        for (const s of subscribers) s(t);
      }, 30_000);
    return () => {
      subscribers.delete(setNow);
      if (subscribers.size === 0 && timer) {
        clearInterval(timer);
        timer = null;
      }
    };
  }, []);
  return now;
}

/** "5 minutes ago", with the exact time as a tooltip and machine-readable datetime. */
export function Time({ at }: { at: number }) {
  // The ticker only triggers re-renders; reading the clock here keeps just-arrived entries from showing as future.
  useNow();
  return (
    <time dateTime={new Date(at).toISOString()} title={formatAbsolute(at)}>
      {formatRelative(at, Date.now())}
    </time>
  );
}
