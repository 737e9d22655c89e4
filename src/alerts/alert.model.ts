import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Executor } from '../db/database.ts';

/**
 * The shapes alerts arrive in (PagerDuty Events API v2, Alertmanager's webhook) and the one
 * normal form Vigil applies them in. Foreign formats are read leniently, as their senders expect:
 * unknown fields are ignored (Grafana and Alertmanager add some), missing optional ones default.
 */

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const ALERT_STATUSES = ['triggered', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const INTEGRATION_TYPES = ['events-api-v2', 'alertmanager', 'webhook'] as const;
export type IntegrationType = (typeof INTEGRATION_TYPES)[number];

export const MAX_SUMMARY = 1024;
export const MAX_DEDUP_KEY = 255;
/** PagerDuty's limit on an event's size. */
export const MAX_EVENT_BYTES = 512 * 1024;

// ---------------------------------------------------------------------------------------------
// PagerDuty Events API v2

const Link = z.object({ href: z.string().min(1).max(2048), text: z.string().max(1024).optional() });
const Image = z.object({
  src: z.string().min(1).max(2048),
  href: z.string().max(2048).optional(),
  alt: z.string().max(1024).optional(),
});

export const EventsApiV2 = z.object({
  routing_key: z.string({ error: "'routing_key' is missing or blank" }).min(1, "'routing_key' is missing or blank").max(200),
  event_action: z.enum(['trigger', 'acknowledge', 'resolve'], {
    error: "'event_action' must be one of trigger, acknowledge or resolve",
  }),
  dedup_key: z.string().max(MAX_DEDUP_KEY, `'dedup_key' must be at most ${MAX_DEDUP_KEY} characters`).optional(),
  payload: z
    .object({
      summary: z
        .string({ error: "'payload.summary' is missing or blank" })
        .trim()
        .min(1, "'payload.summary' is missing or blank")
        .max(MAX_SUMMARY, `'payload.summary' must be at most ${MAX_SUMMARY} characters`),
      source: z
        .string({ error: "'payload.source' is missing or blank" })
        .trim()
        .min(1, "'payload.source' is missing or blank")
        .max(1024),
      severity: z.enum(SEVERITIES, { error: "'payload.severity' must be one of critical, error, warning or info" }),
      timestamp: z
        .string()
        .refine((t) => Number.isFinite(Date.parse(t)), "'payload.timestamp' must be an ISO 8601 timestamp")
        .optional(),
      component: z.string().max(1024).optional(),
      group: z.string().max(1024).optional(),
      class: z.string().max(1024).optional(),
      custom_details: z.unknown().optional(),
    })
    .optional(),
  links: z.array(Link).max(50).optional(),
  images: z.array(Image).max(50).optional(),
  client: z.string().max(1024).optional(),
  client_url: z.string().max(2048).optional(),
});
export type EventsApiV2 = z.output<typeof EventsApiV2>;

/** The PagerDuty-style error strings for an invalid event (`errors` in the 400 body). */
export function eventErrors(input: unknown): { event: EventsApiV2 } | { errors: string[] } {
  const parsed = EventsApiV2.safeParse(input);
  if (!parsed.success) {
    return {
      errors: parsed.error.issues.map((i) => {
        const path = i.path.map(String).join('.');
        return i.message.startsWith("'") ? i.message : `'${path || 'event'}' ${i.message}`;
      }),
    };
  }
  const e = parsed.data;
  if (e.event_action === 'trigger' && !e.payload) return { errors: ["'payload' is missing or blank"] };
  if (e.event_action !== 'trigger' && !e.dedup_key) {
    return { errors: [`'dedup_key' is required to ${e.event_action} an alert`] };
  }
  return { event: e };
}

// ---------------------------------------------------------------------------------------------
// Alertmanager webhook (version 4)

export const AlertmanagerAlert = z.object({
  status: z.enum(['firing', 'resolved']),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
  startsAt: z.string().optional(),
  endsAt: z.string().optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().optional(),
});

export const AlertmanagerWebhook = z.object({
  version: z.string().optional(),
  groupKey: z.string().optional(),
  truncatedAlerts: z.number().optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  receiver: z.string().optional(),
  groupLabels: z.record(z.string(), z.string()).optional(),
  commonLabels: z.record(z.string(), z.string()).optional(),
  commonAnnotations: z.record(z.string(), z.string()).optional(),
  externalURL: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).max(10_000),
});
export type AlertmanagerWebhook = z.output<typeof AlertmanagerWebhook>;

// ---------------------------------------------------------------------------------------------
// The normal form

export interface NormalizedEvent {
  action: 'trigger' | 'acknowledge' | 'resolve';
  dedupKey: string;
  summary: string | null;
  severity: Severity | null;
  source: string | null;
  component: string | null;
  group: string | null;
  class: string | null;
  details: Record<string, unknown>;
  links: Array<{ href: string; text?: string }>;
  images: Array<{ src: string; href?: string; alt?: string }>;
  labels: Record<string, string>;
  /** When the sender says it happened (ms), if it says. */
  timestamp: number | null;
  /** The event as received, kept in the alert's history. */
  raw: unknown;
}

function objectOf(value: unknown): Record<string, unknown> {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  return value === undefined ? {} : { details: value };
}

export function fromEventsApi(e: EventsApiV2, dedupKey: string): NormalizedEvent {
  const p = e.payload;
  const labels: Record<string, string> = {};
  if (p?.severity) labels.severity = p.severity;
  if (p?.source) labels.source = p.source;
  if (p?.component) labels.component = p.component;
  if (p?.group) labels.group = p.group;
  if (p?.class) labels.class = p.class;
  const links = [...(e.links ?? [])];
  if (e.client_url) links.push({ href: e.client_url, ...(e.client ? { text: e.client } : {}) });
  return {
    action: e.event_action,
    dedupKey,
    summary: p?.summary ?? null,
    severity: p?.severity ?? null,
    source: p?.source ?? null,
    component: p?.component ?? null,
    group: p?.group ?? null,
    class: p?.class ?? null,
    details: objectOf(p?.custom_details),
    links,
    images: e.images ?? [],
    labels,
    timestamp: p?.timestamp ? Date.parse(p.timestamp) : null,
    raw: e,
  };
}

/** Alertmanager severities in the wild (`page`, `critical`, `warning`, `ticket`, …) mapped onto Vigil's four. */
export function severityFromLabel(label: string | undefined): Severity {
  switch ((label ?? '').toLowerCase()) {
    case 'critical':
    case 'page':
    case 'emergency':
    case 'alert':
    case 'p1':
      return 'critical';
    case 'error':
    case 'high':
    case 'major':
    case 'p2':
      return 'error';
    case 'info':
    case 'informational':
    case 'none':
    case 'low':
    case 'p4':
    case 'p5':
      return 'info';
    default:
      return 'warning';
  }
}

/** Alertmanager's fingerprint, or a stable hash of the label set when a sender leaves it out. */
export function fingerprintOf(labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0000${labels[k]}`)
    .join('\u0001');
  return createHash('sha256').update(sorted).digest('hex').slice(0, 16);
}

export function fromAlertmanager(body: AlertmanagerWebhook): NormalizedEvent[] {
  return body.alerts.map((a) => {
    const labels = { ...a.labels };
    const summary = a.annotations.summary ?? a.annotations.description ?? a.annotations.message ?? labels.alertname ?? 'alert';
    const links = a.generatorURL ? [{ href: a.generatorURL, text: 'Source' }] : [];
    if (body.externalURL) links.push({ href: body.externalURL, text: 'Alertmanager' });
    const startsAt = a.startsAt ? Date.parse(a.startsAt) : Number.NaN;
    return {
      action: a.status === 'firing' ? 'trigger' : 'resolve',
      dedupKey: a.fingerprint && a.fingerprint !== '' ? a.fingerprint : fingerprintOf(labels),
      summary: summary.slice(0, MAX_SUMMARY),
      severity: severityFromLabel(labels.severity),
      source: labels.instance ?? labels.job ?? null,
      component: labels.job ?? null,
      group: labels.alertname ?? null,
      class: null,
      details: { ...a.annotations, ...(body.groupKey ? { groupKey: body.groupKey } : {}) },
      links,
      images: [],
      labels,
      timestamp: Number.isFinite(startsAt) && startsAt > 0 ? startsAt : null,
      raw: a,
    };
  });
}

/** An event from one of Vigil's own sources, in the normal form. */
export function internalEvent(input: {
  action: 'trigger' | 'resolve';
  dedupKey: string;
  summary: string;
  severity: Severity;
  source: string;
  component?: string | null;
  details?: Record<string, unknown>;
  labels?: Record<string, string>;
  links?: Array<{ href: string; text?: string }>;
}): NormalizedEvent {
  return {
    action: input.action,
    dedupKey: input.dedupKey,
    summary: input.summary.slice(0, MAX_SUMMARY),
    severity: input.severity,
    source: input.source,
    component: input.component ?? null,
    group: null,
    class: null,
    details: input.details ?? {},
    links: input.links ?? [],
    images: [],
    labels: { severity: input.severity, source: input.source, ...(input.labels ?? {}) },
    timestamp: null,
    raw: { summary: input.summary, details: input.details ?? {} },
  };
}

/** What Vigil's own sources need of the alert pipeline. */
export interface AlertSink {
  applyWithin(trx: Executor, input: { serviceId: string; origin: string; event: NormalizedEvent }): Promise<string | null>;
}
