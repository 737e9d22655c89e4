import { z } from 'zod';
import { PROBE_TYPES } from './probe.model.ts';

/**
 * What the probe API returns. The routes validate their replies against these schemas, the
 * OpenAPI document is generated from them, and the CLI and web UI read the same shapes.
 * Times are epoch milliseconds; ratios are in [0, 1] and null when nothing was checked.
 */

export const PROBE_STATUSES = ['up', 'down', 'unknown', 'paused'] as const;
export type ProbeStatus = (typeof PROBE_STATUSES)[number];

export const UPTIME_WINDOWS = ['24h', '7d', '30d', '90d'] as const;
export type UptimeWindow = (typeof UPTIME_WINDOWS)[number];

const Ratio = z.number().nullable();

export const PhaseTimingsOut = z.object({
  dnsMs: z.number(),
  connectMs: z.number(),
  tlsMs: z.number(),
  firstByteMs: z.number(),
  totalMs: z.number(),
});

export const ConditionResultOut = z.object({ condition: z.string(), ok: z.boolean(), description: z.string() });

/** One check as it ran: a ring entry, or the answer of a run on demand. */
export const ProbeResultOut = z.object({
  at: z.number(),
  ok: z.boolean(),
  durationMs: z.number(),
  phases: PhaseTimingsOut,
  status: z.number().optional(),
  error: z.string().optional(),
  /** The first 1 KiB of the body, reply or answers. */
  bodyExcerpt: z.string(),
  bodyTruncated: z.boolean(),
  certificateExpiresAt: z.number().optional(),
  ip: z.string().optional(),
  dnsRcode: z.string().optional(),
  conditionResults: z.array(ConditionResultOut),
});
export type ProbeResultOut = z.output<typeof ProbeResultOut>;

export const ProbeAlertOut = z.object({
  id: z.string(),
  probe: z.string(),
  service: z.string(),
  /** `down`: checks failed; `missed-heartbeat`: no ping in time. */
  kind: z.enum(['down', 'missed-heartbeat']),
  state: z.enum(['firing', 'resolved']),
  openedAt: z.number(),
  resolvedAt: z.number().nullable(),
  /** The failing condition or error, e.g. `[STATUS] (503) == 200`. */
  reason: z.string(),
  /** Response excerpt of the check that took the probe down. */
  excerpt: z.string(),
});
export type ProbeAlertOut = z.output<typeof ProbeAlertOut>;

export const ProbeSummaryOut = z.object({
  name: z.string(),
  service: z.string(),
  type: z.enum(PROBE_TYPES),
  description: z.string().nullable(),
  /** URL, `host:port`, `A example.com`, or the heartbeat's period. */
  target: z.string(),
  interval: z.string(),
  status: z.enum(PROBE_STATUSES),
  /** When the probe entered its current status; null while unknown. */
  since: z.number().nullable(),
  lastCheckAt: z.number().nullable(),
  lastOk: z.boolean().nullable(),
  lastDurationMs: z.number().nullable(),
  uptime: z.object({ '24h': Ratio, '7d': Ratio }),
  /** Config-as-code owner (`vigil apply` source), or null when created through the API/UI. */
  source: z.string().nullable(),
});
export type ProbeSummaryOut = z.output<typeof ProbeSummaryOut>;

export const ProbeListOut = z.object({
  items: z.array(ProbeSummaryOut),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
  /** Counts over all probes matching the filter, for the list header. */
  counts: z.object({ up: z.number().int(), down: z.number().int(), unknown: z.number().int(), paused: z.number().int() }),
});
export type ProbeListOut = z.output<typeof ProbeListOut>;

export const TransitionOut = z.object({
  at: z.number(),
  from: z.enum(['up', 'down', 'unknown']),
  to: z.enum(['up', 'down']),
  reason: z.string(),
});

export const DailyUptimeOut = z.object({
  /** Start of the UTC day. */
  day: z.number(),
  total: z.number().int(),
  ok: z.number().int(),
  uptime: Ratio,
});
export type DailyUptimeOut = z.output<typeof DailyUptimeOut>;

export const ReliabilityOut = z.object({
  window: z.enum(UPTIME_WINDOWS),
  /** Mean time between failures: from one down transition to the next. */
  mtbfMs: z.number().nullable(),
  /** Mean time to failure: up periods that ended in a failure. */
  mttfMs: z.number().nullable(),
  /** Mean time to repair: down periods that ended in recovery. */
  mttrMs: z.number().nullable(),
  failures: z.number().int(),
});

export const ProbeDetailOut = ProbeSummaryOut.extend({
  /** The probe as written (the shape `POST /api/v1/probes` and `kind: Probe` accept). */
  spec: z.record(z.string(), z.unknown()),
  uptimes: z.object({ '24h': Ratio, '7d': Ratio, '30d': Ratio, '90d': Ratio }),
  reliability: ReliabilityOut,
  /** 90 UTC days, oldest first. */
  daily: z.array(DailyUptimeOut),
  openAlert: ProbeAlertOut.nullable(),
  transitions: z.array(TransitionOut).describe('latest first, at most 20'),
  /** SLIs fed by this probe. */
  slis: z.array(z.string()),
  heartbeat: z
    .object({
      lastPingAt: z.number().nullable(),
      /** When the probe goes down unless pinged. */
      deadlineAt: z.number().nullable(),
    })
    .nullable(),
});
export type ProbeDetailOut = z.output<typeof ProbeDetailOut>;

export const ProbeSeriesPointOut = z.object({
  at: z.number(),
  total: z.number().int(),
  ok: z.number().int(),
  uptime: Ratio,
  p50: z.number().nullable(),
  p95: z.number().nullable(),
  p99: z.number().nullable(),
});
export const ProbeSeriesOut = z.object({
  from: z.number(),
  to: z.number(),
  stepMs: z.number(),
  points: z.array(ProbeSeriesPointOut),
});
export type ProbeSeriesOut = z.output<typeof ProbeSeriesOut>;

export const HeartbeatKeyOut = z.object({
  probe: z.string(),
  key: z.string(),
  /** Path to ping (`POST` or `GET`); append `/fail` to report a failed run. */
  path: z.string(),
});
export type HeartbeatKeyOut = z.output<typeof HeartbeatKeyOut>;

export const PingOut = z.object({ ok: z.literal(true), probe: z.string(), status: z.enum(PROBE_STATUSES) });
