import { z } from 'zod';
import { Name } from '../catalog/catalog.model.ts';
import { parseDuration } from '../core/duration.ts';
import { InputError } from '../core/errors.ts';
import { parseCondition } from './conditions.ts';

/**
 * The probe model every path maps onto: `kind: Probe` manifests, the API and the store.
 * Durations stay strings as manifests write them (`30s`, `5m`); `probeTimings` turns them into
 * milliseconds for the engine, so a spec read back from the store looks like the one written.
 */

export const MIN_INTERVAL_MS = 10_000;
/** Bodies beyond this are not read: one probe returning gigabytes must not starve the others. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

const DURATION_RE = /^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/;
const Duration = z.string().regex(DURATION_RE, 'must be a duration such as 10s, 5m or 1h');

const Host = z.string().min(1).max(253);
const Port = z.number().int().min(1).max(65_535);

export const HttpProbeSpec = z.strictObject({
  url: z.string().refine((u) => {
    try {
      const parsed = new URL(u);
      return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.hostname !== '';
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL'),
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']).default('GET'),
  headers: z.record(z.string().min(1), z.string()).default({}),
  body: z.string().max(1_048_576).optional(),
  followRedirects: z.boolean().default(true),
  tlsVerify: z.boolean().default(true),
  maxBodyBytes: z
    .number()
    .int()
    .min(0)
    .max(64 * 1_048_576)
    .default(DEFAULT_MAX_BODY_BYTES),
});
export type HttpProbeSpec = z.output<typeof HttpProbeSpec>;

export const TcpProbeSpec = z.strictObject({
  host: Host,
  port: Port,
  /** Written once the connection is up, e.g. `PING\r\n`. */
  send: z.string().max(65_536).optional(),
  /** The check fails unless the reply contains this text. */
  expect: z.string().min(1).max(65_536).optional(),
});
export type TcpProbeSpec = z.output<typeof TcpProbeSpec>;

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

export const DnsProbeSpec = z.strictObject({
  name: Host,
  recordType: z.enum(DNS_RECORD_TYPES).default('A'),
  /** `ip` or `ip:port`; the system's resolvers when absent. */
  server: z
    .string()
    .regex(
      /^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/,
      'must be an IP address, optionally with :port',
    )
    .optional(),
  /** The check fails unless one answer equals this (an address, a target name, TXT text). */
  expect: z.string().min(1).optional(),
});
export type DnsProbeSpec = z.output<typeof DnsProbeSpec>;

export const TlsProbeSpec = z.strictObject({
  host: Host,
  port: Port.default(443),
  tlsVerify: z.boolean().default(true),
});
export type TlsProbeSpec = z.output<typeof TlsProbeSpec>;

/**
 * A push check (dead man's switch): a cron job or pipeline pings its URL; no ping within
 * `period` plus `grace` takes the probe down. Vigil makes no requests for it.
 */
export const HeartbeatSpec = z.strictObject({
  /** How often the job pings, e.g. `1h` for an hourly cron job. */
  period: Duration,
  /** Slack after a missed period before the probe goes down (late jobs, clock skew). */
  grace: Duration.default('5m'),
});
export type HeartbeatSpec = z.output<typeof HeartbeatSpec>;

export const PROBE_TYPES = ['http', 'tcp', 'dns', 'tls', 'heartbeat'] as const;
export type ProbeType = (typeof PROBE_TYPES)[number];
/** Types Vigil runs itself; heartbeats are pushed to it. */
export const ACTIVE_PROBE_TYPES = ['http', 'tcp', 'dns', 'tls'] as const;

export const ProbeSpec = z
  .strictObject({
    name: Name,
    service: Name,
    type: z.enum(PROBE_TYPES),
    description: z.string().max(2000).nullable().default(null),
    /** A paused probe keeps its history but is not run (heartbeats: not judged). */
    enabled: z.boolean().default(true),
    interval: Duration.default('60s'),
    timeout: Duration.default('10s'),
    /** Failed checks retried before the probe is down: it goes down on failure `retries + 1` in a row. */
    retries: z.number().int().min(0).max(100).default(2),
    /** Consecutive successes before a down probe is up again. */
    successesBeforeUp: z.number().int().min(1).max(100).default(1),
    http: HttpProbeSpec.optional(),
    tcp: TcpProbeSpec.optional(),
    dns: DnsProbeSpec.optional(),
    tls: TlsProbeSpec.optional(),
    heartbeat: HeartbeatSpec.optional(),
    /** Gatus-style conditions, e.g. `[STATUS] == 200`; all must hold for the check to pass. */
    conditions: z.array(z.string().min(1).max(1000)).max(50).default([]),
  })
  .superRefine((spec, ctx) => {
    const intervalOk = DURATION_RE.test(spec.interval);
    const timeoutOk = DURATION_RE.test(spec.timeout);
    const interval = intervalOk ? parseDuration(spec.interval) : 0;
    const timeout = timeoutOk ? parseDuration(spec.timeout) : 0;
    if (intervalOk && interval < MIN_INTERVAL_MS) {
      ctx.addIssue({ code: 'custom', path: ['interval'], message: 'must be at least 10s' });
    }
    if (timeoutOk && timeout <= 0) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'must be greater than 0' });
    }
    // A check that outlives its interval would overlap the next run of the same probe.
    if (spec.type !== 'heartbeat' && intervalOk && timeoutOk && timeout > interval) {
      ctx.addIssue({ code: 'custom', path: ['timeout'], message: `must not exceed the interval (${spec.interval})` });
    }
    if (spec[spec.type] === undefined) {
      ctx.addIssue({ code: 'custom', path: [spec.type], message: `a probe of type ${spec.type} needs a ${spec.type} section` });
    }
    for (const other of PROBE_TYPES) {
      if (other !== spec.type && spec[other] !== undefined) {
        ctx.addIssue({ code: 'custom', path: [other], message: `not allowed on a probe of type ${spec.type}` });
      }
    }
    if (spec.type === 'heartbeat' && spec.conditions.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['conditions'], message: 'a heartbeat has no conditions: a ping is a success' });
    }
    if (spec.heartbeat && DURATION_RE.test(spec.heartbeat.period) && parseDuration(spec.heartbeat.period) < 60_000) {
      ctx.addIssue({ code: 'custom', path: ['heartbeat', 'period'], message: 'must be at least 1m' });
    }
    spec.conditions.forEach((text, i) => {
      try {
        parseCondition(text, i);
      } catch (err) {
        if (!(err instanceof InputError)) throw err;
        ctx.addIssue({ code: 'custom', path: ['conditions', i], message: err.issues[0]?.message ?? err.message });
      }
    });
  });
export type ProbeSpec = z.output<typeof ProbeSpec>;
export type ProbeSpecInput = z.input<typeof ProbeSpec>;

/** The spec's durations in milliseconds. */
export function probeTimings(spec: ProbeSpec): { intervalMs: number; timeoutMs: number } {
  return { intervalMs: parseDuration(spec.interval, 'interval'), timeoutMs: parseDuration(spec.timeout, 'timeout') };
}

/** A heartbeat's deadline rule in milliseconds: down once `period + grace` pass without a ping. */
export function heartbeatTimings(spec: ProbeSpec): { periodMs: number; graceMs: number } | null {
  if (!spec.heartbeat) return null;
  return {
    periodMs: parseDuration(spec.heartbeat.period, 'heartbeat.period'),
    graceMs: parseDuration(spec.heartbeat.grace, 'heartbeat.grace'),
  };
}

/** What a probe looks at, in one line: a URL, `host:port`, `A example.com` or `heartbeat every 1h`. */
export function probeTarget(spec: ProbeSpec): string {
  switch (spec.type) {
    case 'http':
      return spec.http?.url ?? '';
    case 'tcp':
      return `${spec.tcp?.host}:${spec.tcp?.port}`;
    case 'dns':
      return `${spec.dns?.recordType} ${spec.dns?.name}${spec.dns?.server ? ` @${spec.dns.server}` : ''}`;
    case 'tls':
      return `${spec.tls?.host}:${spec.tls?.port}`;
    case 'heartbeat':
      return `ping every ${spec.heartbeat?.period} (+${spec.heartbeat?.grace} grace)`;
  }
}

/** The host the scheduler's per-host bound counts against. */
export function probeHost(spec: ProbeSpec): string {
  switch (spec.type) {
    case 'http':
      return spec.http ? new URL(spec.http.url).hostname : '';
    case 'tcp':
      return spec.tcp?.host ?? '';
    case 'dns':
      return spec.dns?.server ?? 'dns';
    case 'tls':
      return spec.tls?.host ?? '';
    case 'heartbeat':
      return '';
  }
}

export interface PhaseTimings {
  /** Name resolution; 0 when the target is an IP address. */
  dnsMs: number;
  connectMs: number;
  /** TLS handshake; 0 for plain connections. */
  tlsMs: number;
  /** Request sent → first response byte. */
  firstByteMs: number;
  totalMs: number;
}

export interface ConditionResult {
  condition: string;
  ok: boolean;
  /** Actual against expected, as Gatus shows it: `[STATUS] (500) == 200`. */
  description: string;
}

export interface CheckResult {
  ok: boolean;
  /** Epoch milliseconds the check started, from the Clock. */
  at: number;
  durationMs: number;
  phases: PhaseTimings;
  status?: number;
  /** The first 1 KiB of the body (HTTP) or the reply (TCP) or the answers (DNS). */
  bodyExcerpt: string;
  /** True when the body was cut off at `maxBodyBytes`. */
  bodyTruncated: boolean;
  certificateExpiresAt?: number;
  ip?: string;
  dnsRcode?: string;
  /** Why the target could not be checked (refused, timed out, reset, bad certificate). */
  error?: string;
  conditionResults: ConditionResult[];
}
