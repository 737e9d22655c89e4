/**
 * The notification every channel renders, and the renderings they share: the title, the plain
 * text (email's text part and every channel's fallback) and the few facts each alert shows.
 *
 * Alert content comes from senders Vigil does not control (summaries, details, link targets),
 * so nothing here trusts it: each channel escapes for its own format, links that are not
 * absolute http(s) URLs are dropped (a `javascript:` href must not become a button), and long
 * values are clipped so a huge summary cannot make a receiver reject the whole message.
 */

export const NOTIFICATION_KINDS = [
  'alert.triggered',
  'alert.acknowledged',
  'alert.resolved',
  'alert.escalated',
  'meta.delivery-failed',
  'test',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export type NotificationSeverity = 'critical' | 'error' | 'warning' | 'info';
export type NotificationAlertStatus = 'triggered' | 'acknowledged' | 'resolved';

export interface NotificationLink {
  href: string;
  text?: string;
}

export interface NotificationAlert {
  id: string;
  summary: string;
  severity: NotificationSeverity;
  status: NotificationAlertStatus;
  service: string;
  source: string | null;
  dedupKey: string;
  /** Epoch milliseconds. */
  createdAt: number;
  details: Record<string, unknown>;
  links: NotificationLink[];
}

/** One message to deliver to one channel: one alert, or a group of alerts sent together. */
export interface Notification {
  /** Stable across retries of the same delivery; receivers deduplicate on it. */
  idempotencyKey: string;
  kind: NotificationKind;
  alerts: NotificationAlert[];
  /** Set when several alerts are grouped into one notification. */
  groupKey?: string;
  /** Absolute URLs; `acknowledge` and `resolve` are signed one-click links. */
  urls: { alert?: string; acknowledge?: string; resolve?: string };
  /** Epoch milliseconds. */
  sentAt: number;
}

const KIND_LABELS: Record<NotificationKind, string> = {
  'alert.triggered': 'TRIGGERED',
  'alert.acknowledged': 'ACKNOWLEDGED',
  'alert.resolved': 'RESOLVED',
  'alert.escalated': 'ESCALATED',
  'meta.delivery-failed': 'DELIVERY FAILED',
  test: 'TEST',
};

const SEVERITY_RANK: Record<NotificationSeverity, number> = { critical: 0, error: 1, warning: 2, info: 3 };

/** Most alerts a channel lists one by one; the rest are counted. */
export const MAX_LISTED_ALERTS = 10;
/** Most `details` entries a chat message shows per alert; the webhook sends them all. */
export const MAX_LISTED_DETAILS = 6;
const MAX_TITLE = 200;
const MAX_DETAIL_VALUE = 300;

export function kindLabel(kind: NotificationKind): string {
  return KIND_LABELS[kind];
}

/** The most severe severity among the alerts, `info` when there are none. */
export function worstSeverity(n: Notification): NotificationSeverity {
  let worst: NotificationSeverity = 'info';
  for (const a of n.alerts) if (SEVERITY_RANK[a.severity] < SEVERITY_RANK[worst]) worst = a.severity;
  return worst;
}

/**
 * One line: `[TRIGGERED] checkout: Error rate 5% (critical)` for one alert,
 * `[TRIGGERED] 3 alerts on checkout (critical)` for a group. Used as the email subject.
 */
export function renderTitle(n: Notification): string {
  const label = `[${kindLabel(n.kind)}]`;
  const [first] = n.alerts;
  if (first === undefined) return `${label} ${n.kind === 'test' ? 'Vigil test notification' : 'Vigil notification'}`;
  // The severity is kept whole; only the part before it is clipped.
  if (n.alerts.length === 1) {
    const head = clip(`${label} ${oneLine(first.service)}: ${oneLine(first.summary)}`, MAX_TITLE - 12);
    return `${head} (${first.severity})`;
  }
  const services = [...new Set(n.alerts.map((a) => oneLine(a.service)))];
  const where = services.length === 1 ? services[0] : services.length <= 3 ? services.join(', ') : `${services.length} services`;
  const head = clip(`${label} ${n.alerts.length} alerts on ${where}`, MAX_TITLE - 12);
  return `${head} (${worstSeverity(n)})`;
}

/** The whole notification as plain text: the email's text part and the fallback of chat messages. */
export function renderText(n: Notification): string {
  const lines = [renderTitle(n), ''];
  const listed = n.alerts.slice(0, MAX_LISTED_ALERTS);
  for (const alert of listed) {
    lines.push(oneLine(alert.summary));
    for (const fact of alertFacts(alert)) lines.push(`  ${fact.title}: ${fact.value}`);
    for (const [key, value] of detailEntries(alert)) lines.push(`  ${oneLine(key)}: ${value}`);
    for (const link of safeLinks(alert)) lines.push(`  ${link.text}: ${link.href}`);
    lines.push('');
  }
  if (n.alerts.length > listed.length) lines.push(`…and ${n.alerts.length - listed.length} more`, '');
  for (const action of actionLinks(n)) lines.push(`${action.text}: ${action.url}`);
  return `${lines.join('\n').trimEnd()}\n`;
}

export interface Fact {
  title: string;
  value: string;
}

/** What every channel shows of an alert besides its summary, values already on one line. */
export function alertFacts(alert: NotificationAlert): Fact[] {
  const facts: Fact[] = [
    { title: 'Severity', value: alert.severity },
    { title: 'Status', value: alert.status },
    { title: 'Service', value: clip(oneLine(alert.service), MAX_DETAIL_VALUE) },
  ];
  if (alert.source) facts.push({ title: 'Source', value: clip(oneLine(alert.source), MAX_DETAIL_VALUE) });
  facts.push({ title: 'Since', value: isoTime(alert.createdAt) });
  return facts;
}

/** The first few `details` entries as display strings: objects as JSON, everything clipped. */
export function detailEntries(alert: NotificationAlert, max = MAX_LISTED_DETAILS): [string, string][] {
  return Object.entries(alert.details)
    .slice(0, max)
    .map(([key, value]) => [clip(key, 100), clip(oneLine(displayValue(value)), MAX_DETAIL_VALUE)]);
}

function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    // Cycles or BigInts: a details object is display-only here.
    return String(value);
  }
}

export interface ActionLink {
  action: 'acknowledge' | 'resolve' | 'open';
  text: string;
  url: string;
}

/**
 * The one-click links a message offers. Acknowledge only while some alert is still triggered,
 * resolve while some is not resolved: a resolved notification offers only the way to Vigil.
 */
export function actionLinks(n: Notification): ActionLink[] {
  const links: ActionLink[] = [];
  const { acknowledge, resolve, alert } = n.urls;
  if (acknowledge && isHttpUrl(acknowledge) && n.alerts.some((a) => a.status === 'triggered')) {
    links.push({ action: 'acknowledge', text: 'Acknowledge', url: acknowledge });
  }
  if (resolve && isHttpUrl(resolve) && n.alerts.some((a) => a.status !== 'resolved')) {
    links.push({ action: 'resolve', text: 'Resolve', url: resolve });
  }
  if (alert && isHttpUrl(alert)) links.push({ action: 'open', text: 'Open in Vigil', url: alert });
  return links;
}

/** An alert's links that are absolute http(s) URLs, each with display text. */
export function safeLinks(alert: NotificationAlert): Required<NotificationLink>[] {
  return alert.links
    .filter((l) => isHttpUrl(l.href))
    .slice(0, 10)
    .map((l) => ({ href: l.href, text: clip(oneLine(l.text?.trim() || l.href), 75) }));
}

const MAX_URL = 2048;

export function isHttpUrl(value: string): boolean {
  if (value.length > MAX_URL) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Collapses line breaks and other control characters so a value cannot start new lines or headers. */
export function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed.
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

/** At most `max` characters, with an ellipsis when cut; never splits a surrogate pair. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : 'unknown';
}
