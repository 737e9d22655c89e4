import type { TeamsChannelSpec } from './channel.model.ts';
import type { DeliverOptions, DeliveryOutcome } from './delivery.ts';
import { postMessage } from './http.ts';
import {
  actionLinks,
  alertFacts,
  clip,
  detailEntries,
  isoTime,
  MAX_LISTED_ALERTS,
  type Notification,
  type NotificationAlert,
  oneLine,
  renderTitle,
  safeLinks,
  worstSeverity,
} from './message.ts';

/**
 * A Microsoft Teams message: an Adaptive Card 1.4 in the `attachments` envelope that both the
 * Workflows webhooks and the older incoming-webhook connectors accept.
 *
 * Teams reads Markdown (bold, italics, lists, links; never HTML) in TextBlocks and facts, and its
 * clients disagree on backslash escapes: the mobile apps show the backslashes. So text from
 * alerts goes into TextRuns, which Teams shows literally, and alert links become TextRuns that
 * open their URL; only fact values, which have no literal form, are escaped.
 *
 * The connectors answer some failures with a 200 whose body says the delivery failed; those
 * count as failures here.
 */

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

/** The card stays well under Teams' 28 KB message limit with these bounds. */
const LIMITS = { title: 200, summary: 500, links: 5 };

export interface TeamsMessage {
  type: 'message';
  attachments: [{ contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }];
}

export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: '1.4';
  body: CardElement[];
  actions: OpenUrlAction[];
  msteams: { width: 'Full' };
}

export interface TextRun {
  type: 'TextRun';
  text: string;
  weight?: 'Bolder';
  size?: 'Small' | 'Medium' | 'Large';
  isSubtle?: boolean;
  selectAction?: OpenUrlAction;
}

export type CardElement =
  | { type: 'TextBlock'; text: string; wrap: true; isSubtle?: boolean; size?: 'Small' }
  | { type: 'RichTextBlock'; inlines: TextRun[]; separator?: boolean; spacing?: 'Medium' }
  | { type: 'FactSet'; facts: { title: string; value: string }[] }
  | { type: 'Container'; style: ContainerStyle; bleed: true; items: CardElement[] };

type ContainerStyle = 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';

/**
 * Backslash-escapes what Teams' Markdown subset reads as emphasis, links or list markers, for
 * fact values. Parentheses need nothing once brackets cannot open a link.
 */
export function escapeTeams(text: string): string {
  return text
    .replace(/[\\*_[\]]/g, '\\$&')
    .replace(/^([-+])|^(\d+)\./, (_m, marker: string | undefined, digits: string | undefined) =>
      marker ? `\\${marker}` : `${digits}\\.`,
    );
}

export function teamsMessage(n: Notification): TeamsMessage {
  const title: TextRun = { type: 'TextRun', text: clip(renderTitle(n), LIMITS.title), weight: 'Bolder', size: 'Medium' };
  const body: CardElement[] = [
    { type: 'Container', style: headlineStyle(n), bleed: true, items: [{ type: 'RichTextBlock', inlines: [title] }] },
  ];
  const listed = n.alerts.slice(0, MAX_LISTED_ALERTS);
  listed.forEach((alert, i) => {
    body.push(...alertElements(alert, i > 0));
  });
  if (n.alerts.length > listed.length) {
    body.push({ type: 'TextBlock', text: `…and ${n.alerts.length - listed.length} more alerts`, wrap: true, isSubtle: true });
  }
  body.push({ type: 'TextBlock', text: `Vigil · sent ${isoTime(n.sentAt)}`, wrap: true, isSubtle: true, size: 'Small' });
  const card: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    actions: actionLinks(n).map((a) => openUrl(a.text, a.url)),
    msteams: { width: 'Full' },
  };
  return { type: 'message', attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: card }] };
}

export function deliverTeams(channel: TeamsChannelSpec, n: Notification, options: DeliverOptions): Promise<DeliveryOutcome> {
  return postMessage(
    {
      url: channel.url,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(teamsMessage(n)),
      failureIn2xx: teamsFailureIn2xx,
    },
    options,
  );
}

/**
 * The status a connector's 200 stands for when its body reports a failure, such as
 * "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 429".
 * A failure without a status is taken as a server error, worth another try.
 */
export function teamsFailureIn2xx(body: string): number | undefined {
  if (!/delivery failed/i.test(body)) return undefined;
  const status = /HTTP error (\d{3})/i.exec(body)?.[1];
  return status === undefined ? 502 : Number(status);
}

function alertElements(alert: NotificationAlert, separated: boolean): CardElement[] {
  // Fact values come clipped from alertFacts and detailEntries, before escaping.
  const facts = alertFacts(alert).map((f) => ({ title: f.title, value: escapeTeams(f.value) }));
  for (const [key, value] of detailEntries(alert)) facts.push({ title: escapeTeams(key), value: escapeTeams(value) });
  const elements: CardElement[] = [
    {
      type: 'RichTextBlock',
      inlines: [{ type: 'TextRun', text: clip(oneLine(alert.summary), LIMITS.summary), weight: 'Bolder' }],
      ...(separated ? { separator: true, spacing: 'Medium' as const } : {}),
    },
    { type: 'FactSet', facts },
  ];
  const links = safeLinks(alert).slice(0, LIMITS.links);
  if (links.length > 0) {
    const inlines = links.flatMap((l, i): TextRun[] => [
      ...(i > 0 ? [{ type: 'TextRun' as const, text: ' · ', size: 'Small' as const }] : []),
      { type: 'TextRun', text: l.text, size: 'Small', selectAction: openUrl(l.text, l.href) },
    ]);
    elements.push({ type: 'RichTextBlock', inlines });
  }
  return elements;
}

function headlineStyle(n: Notification): ContainerStyle {
  switch (n.kind) {
    case 'alert.resolved':
      return 'good';
    case 'alert.acknowledged':
      return 'accent';
    case 'meta.delivery-failed':
      return 'warning';
    case 'test':
      return 'emphasis';
    case 'alert.triggered':
    case 'alert.escalated': {
      const worst = worstSeverity(n);
      return worst === 'critical' || worst === 'error' ? 'attention' : worst === 'warning' ? 'warning' : 'accent';
    }
  }
}

const openUrl = (title: string, url: string): OpenUrlAction => ({ type: 'Action.OpenUrl', title, url });
