import { useEffect, useRef } from 'react';
import type {
  DailyUptimeOut,
  HeartbeatKeyOut,
  ProbeAlertOut,
  ProbeDetailOut,
  ProbeListOut,
  ProbeResultOut,
  ProbeSeriesOut,
  ProbeStatus,
  ProbeSummaryOut,
  UptimeWindow,
} from '../../src/probes/probe.api.ts';
import type { ProbeType } from '../../src/probes/probe.model.ts';

/**
 * The probe API's shapes come from the server's own schemas (type-only: nothing of the server is
 * bundled), so the pages and the routes cannot drift apart. The lists below are the values of
 * those enums, spelled out for the filters.
 */
export type {
  DailyUptimeOut,
  HeartbeatKeyOut,
  ProbeAlertOut,
  ProbeDetailOut,
  ProbeListOut,
  ProbeResultOut,
  ProbeSeriesOut,
  ProbeStatus,
  ProbeSummaryOut,
  ProbeType,
  UptimeWindow,
};

export type ProbeTransition = ProbeDetailOut['transitions'][number];
export type ProbeSeriesPoint = ProbeSeriesOut['points'][number];
export type PhaseTimings = ProbeResultOut['phases'];

export const PROBE_STATUSES = ['up', 'down', 'unknown', 'paused'] as const satisfies readonly ProbeStatus[];
export const PROBE_TYPES = ['http', 'tcp', 'dns', 'tls', 'heartbeat'] as const satisfies readonly ProbeType[];
export const UPTIME_WINDOWS = ['24h', '7d', '30d', '90d'] as const satisfies readonly UptimeWindow[];

export const STATUS_LABELS: Record<ProbeStatus, string> = { up: 'Up', down: 'Down', unknown: 'Unknown', paused: 'Paused' };
export const STATUS_GLYPHS: Record<ProbeStatus, string> = { up: '▲', down: '▼', unknown: '?', paused: '❚❚' };
export const STATUS_HINTS: Record<ProbeStatus, string> = {
  up: 'The last checks passed',
  down: 'Checks are failing',
  unknown: 'Not checked yet',
  paused: 'Paused: not checked until resumed',
};

export const TYPE_LABELS: Record<ProbeType, string> = {
  http: 'HTTP',
  tcp: 'TCP',
  dns: 'DNS',
  tls: 'TLS',
  heartbeat: 'Heartbeat',
};

export const WINDOW_LABELS: Record<UptimeWindow, string> = {
  '24h': 'last 24 hours',
  '7d': 'last 7 days',
  '30d': 'last 30 days',
  '90d': 'last 90 days',
};

export function isProbeStatus(value: string): value is ProbeStatus {
  return (PROBE_STATUSES as readonly string[]).includes(value);
}

export function isUptimeWindow(value: string): value is UptimeWindow {
  return (UPTIME_WINDOWS as readonly string[]).includes(value);
}

export const probePath = (name: string): string => `/probes/${encodeURIComponent(name)}`;
export const probeApi = (name: string): string => `/api/v1/probes/${encodeURIComponent(name)}`;

/** Truncates rather than rounds, so 99.996 % never shows as a perfect 100 %. */
function floorTo(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.floor(value * f + 1e-9) / f;
}

/** An uptime: "100%", "99.95%", "no data". */
export function formatUptime(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return 'no data';
  if (ratio >= 1) return '100%';
  return `${floorTo(ratio * 100, 2).toFixed(2)}%`;
}

export type UptimeTone = 'none' | 'ok' | 'degraded' | 'bad';

/** Three nines or better is fine, two nines is degraded, anything less is an outage to look at. */
export function uptimeTone(ratio: number | null | undefined): UptimeTone {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return 'none';
  if (ratio >= 0.999) return 'ok';
  return ratio >= 0.99 ? 'degraded' : 'bad';
}

const msFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });
const secondsFormat = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

/** A latency: "0.4 ms", "182 ms", "1.25 s"; "—" when unknown. */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${secondsFormat.format(ms / 1000)} s`;
  if (ms >= 10) return `${Math.round(ms)} ms`;
  return `${msFormat.format(ms)} ms`;
}

const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });

/** A UTC day as the API counts days: "Mar 4, 2026". */
export function formatDay(day: number): string {
  return dayFormat.format(day);
}

/** Re-runs `callback` every `ms` while the tab is visible (figures that move with the clock). */
export function useVisibleInterval(callback: () => void, ms: number): void {
  const saved = useRef(callback);
  saved.current = callback;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') saved.current();
    }, ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/** Whether the signed-in caller may change things (pause, run, show a ping key). */
export function canWrite(scopes: readonly string[]): boolean {
  return scopes.includes('write') || scopes.includes('admin');
}
