import { createHash } from 'node:crypto';
import type { FieldIssue } from '../core/errors.ts';
import { MAX_DEDUP_KEY, MAX_SUMMARY, type NormalizedEvent, SEVERITIES, type Severity } from './alert.model.ts';

/**
 * The generic JSON webhook: any JSON a tool sends, turned into an alert event by a field mapping
 * that points into the body with JSONPath. Grafana, Datadog, Sentry and home-grown scripts each
 * post their own shape; the mapping says where the summary, severity, dedup key and the rest are.
 *
 * Paths are a small subset of JSONPath (RFC 9535), enough to name one value: `$` (the whole
 * body), `.name`, `['odd.name']` or `["odd.name"]`, and `[0]` for an array element. There are no
 * wildcards, filters or slices: a mapping field names one value.
 */

export const EVENT_ACTIONS = ['trigger', 'acknowledge', 'resolve'] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

/** Where each field of an event is found in a webhook's body. */
export type WebhookMapping = {
  summary: string;
  severity?: string;
  /** Sender severities (`P1`, `high`, `alerting`) onto Vigil's; values neither here nor Vigil's own are `error`. */
  severityMap?: Record<string, Severity>;
  dedupKey?: string;
  action?: string;
  /** Sender actions or states (`firing`, `ok`, `resolved`) onto Vigil's event actions. */
  actionMap?: Record<string, EventAction>;
  /** Instead of `action`: the event resolves when this value equals `equals` (or one of them), and triggers otherwise. */
  resolveWhen?: { path: string; equals: Scalar | Scalar[] };
  source?: string;
  /** An object (`{team: "payments"}`), a list of `key:value` or `key=value` strings, or a list of `[key, value]` pairs. */
  labels?: string;
  details?: string;
  /** A URL back to the sender (dashboard, issue), kept as the alert's link. */
  link?: string;
};

export type Scalar = string | number | boolean | null;

/**
 * What a webhook integration without a mapping reads: a flat body in Vigil's own words, e.g.
 * `{"summary": "…", "severity": "critical", "dedup_key": "…", "action": "resolve", "labels": {…}}`.
 */
export const DEFAULT_WEBHOOK_MAPPING: WebhookMapping = {
  summary: '$.summary',
  severity: '$.severity',
  dedupKey: '$.dedup_key',
  action: '$.action',
  source: '$.source',
  labels: '$.labels',
  details: '$.details',
  link: '$.url',
};

// ---------------------------------------------------------------------------------------------
// Paths

export type PathSegment = string | number;

const BARE = /^[^.[\]\s'"]+/;
const PATH_HELP = "write $.field, $.list[0] or $['odd.field']";

/** Parses a path such as `$.alert.title`, `$.items[0].id` or `$['labels']['app.kubernetes.io/name']`. */
export function parseJsonPath(text: string): { segments: PathSegment[] } | { error: string } {
  if (!text.startsWith('$')) return { error: `"${text}" must start with $; ${PATH_HELP}` };
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '.') {
      const bare = BARE.exec(text.slice(i + 1));
      if (!bare) return { error: `"${text}" has no field name after the dot at ${i + 1}; ${PATH_HELP}` };
      segments.push(bare[0]);
      i += 1 + bare[0].length;
    } else if (c === '[') {
      const index = /^\[(\d+)\]/.exec(text.slice(i));
      if (index) {
        segments.push(Number(index[1]));
        i += index[0].length;
        continue;
      }
      const quote = text[i + 1];
      if (quote !== "'" && quote !== '"') return { error: `"${text}": expected [index] or ['name'] at ${i + 1}; ${PATH_HELP}` };
      let name = '';
      let j = i + 2;
      let closed = false;
      for (; j < text.length; j++) {
        const d = text[j];
        if (d === '\\' && j + 1 < text.length) {
          name += text[j + 1];
          j += 1;
        } else if (d === quote) {
          closed = true;
          break;
        } else {
          name += d;
        }
      }
      if (!closed || text[j + 1] !== ']') return { error: `"${text}": unterminated [${quote}…${quote}] at ${i + 1}` };
      segments.push(name);
      i = j + 2;
    } else {
      return { error: `"${text}": unexpected "${c}" at ${i + 1}; ${PATH_HELP}` };
    }
  }
  return { segments };
}

/** The value a parsed path names in `body`, or undefined when any step is missing. */
export function readPath(body: unknown, segments: readonly PathSegment[]): unknown {
  let at: unknown = body;
  for (const s of segments) {
    if (typeof s === 'number') {
      if (!Array.isArray(at) || s >= at.length) return undefined;
      at = at[s];
    } else {
      if (!isPlain(at) || !Object.hasOwn(at, s)) return undefined;
      at = at[s];
    }
  }
  return at;
}

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// ---------------------------------------------------------------------------------------------
// Mapping a body onto an event

/** A mapping whose paths are parsed once, to apply to many bodies. */
export interface CompiledMapping {
  readonly mapping: WebhookMapping;
  readonly paths: ReadonlyMap<string, PathSegment[]>;
}

/** Parses every path of a mapping (validated before it was stored, so errors here are a bug). */
export function compileMapping(mapping: WebhookMapping): CompiledMapping {
  const paths = new Map<string, PathSegment[]>();
  const add = (field: string, path: string | undefined) => {
    if (path === undefined) return;
    const parsed = parseJsonPath(path);
    if ('error' in parsed) throw new Error(`mapping.${field}: ${parsed.error}`);
    paths.set(field, parsed.segments);
  };
  for (const field of ['summary', 'severity', 'dedupKey', 'action', 'source', 'labels', 'details', 'link'] as const) {
    add(field, mapping[field]);
  }
  add('resolveWhen.path', mapping.resolveWhen?.path);
  return { mapping, paths };
}

/** Scalars as text; objects and arrays are not text. */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return null;
}

/** A key of `map` equal to `value`, exactly or else ignoring case. */
function lookup<T>(map: Record<string, T> | undefined, value: string): T | undefined {
  if (!map) return undefined;
  if (Object.hasOwn(map, value)) return map[value];
  const lower = value.toLowerCase();
  const key = Object.keys(map).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : map[key];
}

function severityOf(mapping: WebhookMapping, value: unknown): Severity {
  const text = textOf(value);
  if (text === null) return 'error';
  const mapped = lookup(mapping.severityMap, text);
  if (mapped) return mapped;
  const own = text.toLowerCase();
  return (SEVERITIES as readonly string[]).includes(own) ? (own as Severity) : 'error';
}

/** Labels from an object, `["k:v", "k=v"]`, `[["k", "v"]]` or `"k:v,k2:v2"` (Datadog's `$TAGS`). */
export function labelsOf(value: unknown): Record<string, string> | null {
  const out: Record<string, string> = {};
  const put = (key: string, v: unknown) => {
    const k = key.trim();
    if (k === '' || v === undefined || v === null) return;
    const text = textOf(v) ?? JSON.stringify(v);
    out[k] = text.slice(0, MAX_SUMMARY);
  };
  const pair = (text: string) => {
    const at = text.search(/[:=]/);
    if (at < 0) put(text, '');
    else put(text.slice(0, at), text.slice(at + 1).trim());
  };
  if (isPlain(value)) {
    for (const [k, v] of Object.entries(value)) put(k, v);
  } else if (Array.isArray(value)) {
    for (const item of value) {
      if (typeof item === 'string') pair(item);
      else if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string') put(item[0], item[1]);
      else if (isPlain(item) && typeof item.key === 'string') put(item.key, item.value);
      else return null;
    }
  } else if (typeof value === 'string') {
    for (const part of value.split(',')) if (part.trim() !== '') pair(part);
  } else {
    return null;
  }
  return out;
}

/** The dedup key of an event that names none: stable for the same summary and source. */
export function derivedDedupKey(summary: string, source: string | null): string {
  return createHash('sha256')
    .update(`${summary}\u0000${source ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * One webhook body as an event, or the problems with it, each naming the mapping field and its
 * path (`summary: $.alert.title is missing`). Fields other than the summary are optional: what
 * the body lacks takes its default (trigger, severity `error`, a derived dedup key).
 */
export function mapWebhookBody(body: unknown, compiled: CompiledMapping): { event: NormalizedEvent } | { issues: FieldIssue[] } {
  const { mapping, paths } = compiled;
  const issues: FieldIssue[] = [];
  const read = (field: string): unknown => {
    const segments = paths.get(field);
    return segments ? readPath(body, segments) : undefined;
  };
  const pathOf = (field: string): string =>
    (field === 'resolveWhen.path' ? mapping.resolveWhen?.path : (mapping as unknown as Record<string, string>)[field]) ?? '';
  const fail = (field: string, message: string) => issues.push({ path: field, message: `${pathOf(field)} ${message}` });

  const source = textOf(read('source'))?.slice(0, 1024) ?? null;
  const severity = severityOf(mapping, read('severity'));

  let action: EventAction = 'trigger';
  if (mapping.resolveWhen) {
    const value = read('resolveWhen.path');
    const wanted = Array.isArray(mapping.resolveWhen.equals) ? mapping.resolveWhen.equals : [mapping.resolveWhen.equals];
    if (value !== undefined && wanted.some((w) => (w === null ? value === null : textOf(value) === String(w))))
      action = 'resolve';
  } else if (paths.has('action')) {
    const value = read('action');
    const text = textOf(value);
    if (text !== null) {
      const mapped = lookup(mapping.actionMap, text) ?? EVENT_ACTIONS.find((a) => a === text.toLowerCase());
      if (mapped) action = mapped;
      else
        fail(
          'action',
          `is "${text.slice(0, 100)}", which is not trigger, acknowledge or resolve; map it with actionMap${
            mapping.actionMap ? ` (maps ${Object.keys(mapping.actionMap).join(', ')})` : ''
          }`,
        );
    } else if (value !== undefined && value !== null) {
      fail('action', 'is not text');
    }
  }

  const rawDedup = read('dedupKey');
  let dedupKey = textOf(rawDedup);
  if (rawDedup !== undefined && rawDedup !== null && dedupKey === null) fail('dedupKey', 'is not text');
  if (dedupKey !== null && dedupKey.trim() === '') dedupKey = null;
  // Long keys (a URL, a whole group key) are hashed rather than refused or cut, so they still deduplicate.
  if (dedupKey !== null && dedupKey.length > MAX_DEDUP_KEY) dedupKey = createHash('sha256').update(dedupKey).digest('hex');

  // A summary is needed to open an alert, and to derive a dedup key; an acknowledge or resolve with a key needs none.
  const rawSummary = read('summary');
  let summary = textOf(rawSummary)?.trim() ?? null;
  const needsSummary = action === 'trigger' || dedupKey === null;
  if (rawSummary === undefined || rawSummary === null) {
    if (needsSummary) fail('summary', 'is missing');
  } else if (summary === null) fail('summary', `is ${Array.isArray(rawSummary) ? 'a list' : 'an object'}, not text`);
  else if (summary === '' && needsSummary) fail('summary', 'is empty');
  summary = summary ? summary.slice(0, MAX_SUMMARY) : null;

  const rawLabels = read('labels');
  const labels = rawLabels === undefined || rawLabels === null ? {} : labelsOf(rawLabels);
  if (labels === null) fail('labels', 'is not an object, a list of key:value strings or a list of [key, value] pairs');

  const rawDetails = read('details');
  const details = rawDetails === undefined ? {} : isPlain(rawDetails) ? rawDetails : { details: rawDetails };
  const link = textOf(read('link'));
  const links = link && /^https?:\/\//i.test(link) ? [{ href: link.slice(0, 2048), text: 'Source' }] : [];

  if (issues.length > 0) return { issues };
  const eventLabels: Record<string, string> = { ...(labels ?? {}), severity };
  if (source !== null && eventLabels.source === undefined) eventLabels.source = source;
  return {
    event: {
      action,
      dedupKey: dedupKey ?? derivedDedupKey(summary ?? '', source),
      summary,
      severity,
      source,
      component: null,
      group: null,
      class: null,
      details,
      links,
      images: [],
      labels: eventLabels,
      timestamp: null,
      raw: body,
    },
  };
}
