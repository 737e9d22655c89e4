import type { SlackChannelSpec } from './channel.model.ts';
import type { DeliverOptions, DeliveryOutcome } from './delivery.ts';
import { postMessage } from './http.ts';
import {
  actionLinks,
  alertFacts,
  detailEntries,
  isoTime,
  MAX_LISTED_ALERTS,
  type Notification,
  type NotificationAlert,
  type NotificationSeverity,
  oneLine,
  renderTitle,
  safeLinks,
  worstSeverity,
} from './message.ts';

/**
 * A Slack incoming-webhook message: Block Kit blocks for Slack, and a `text` that carries the
 * same essentials in mrkdwn. Slack shows `text` only in notifications when blocks are present;
 * Mattermost and Rocket.Chat ignore blocks and show `text`, so it keeps the links too.
 *
 * Severity shows as an emoji: colour exists only on legacy attachments, which Slack renders
 * apart from the blocks and the compatible servers render differently again.
 *
 * Slack refuses a whole message (400, not worth retrying) over one text that is too long or one
 * field too many, so every limit of Block Kit is kept here rather than left to chance.
 */

const LIMITS = { header: 150, sectionText: 3000, field: 2000, fields: 10, contextElements: 10, url: 3000 };

const SEVERITY_EMOJI: Record<NotificationSeverity, string> = {
  critical: ':red_circle:',
  error: ':large_orange_circle:',
  warning: ':large_yellow_circle:',
  info: ':large_blue_circle:',
};

export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}

export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | {
      type: 'actions';
      elements: { type: 'button'; text: SlackText; url: string; action_id: string; style?: 'primary' | 'danger' }[];
    };

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

/** Escapes the three characters Slack reads as markup (links, mentions such as `<!channel>`). */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackMessage(n: Notification): SlackMessage {
  const emoji = headlineEmoji(n);
  const title = renderTitle(n);
  const blocks: SlackBlock[] = [{ type: 'header', text: plain(escapeClipped(`${emoji} ${title}`, LIMITS.header)) }];
  const listed = n.alerts.slice(0, MAX_LISTED_ALERTS);
  for (const alert of listed) blocks.push(...alertBlocks(alert, n.alerts.length > 1));
  if (n.alerts.length > listed.length) {
    blocks.push({ type: 'context', elements: [mrkdwn(`…and ${n.alerts.length - listed.length} more alerts`)] });
  }
  const actions = actionLinks(n).filter((a) => a.url.length <= LIMITS.url);
  if (actions.length > 0) {
    blocks.push({
      type: 'actions',
      elements: actions.map((a) => ({
        type: 'button' as const,
        text: plain(a.text),
        url: a.url,
        action_id: `vigil-${a.action}`,
        ...(a.action === 'acknowledge' ? { style: 'primary' as const } : {}),
      })),
    });
  }
  blocks.push({ type: 'context', elements: [mrkdwn(`Vigil · sent ${slackDate(n.sentAt)}`)] });
  return { text: fallbackText(n, emoji, title), blocks };
}

export function deliverSlack(channel: SlackChannelSpec, n: Notification, options: DeliverOptions): Promise<DeliveryOutcome> {
  return postMessage(
    { url: channel.url, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify(slackMessage(n)) },
    options,
  );
}

function alertBlocks(alert: NotificationAlert, grouped: boolean): SlackBlock[] {
  const lead = grouped ? `${SEVERITY_EMOJI[alert.severity]} ` : '';
  const fields = alertFacts(alert).map((f) =>
    mrkdwn(`*${f.title}*\n${f.title === 'Since' ? slackDate(alert.createdAt) : escapeSlack(f.value)}`),
  );
  for (const [key, value] of detailEntries(alert)) {
    fields.push(mrkdwn(`*${escapeClipped(key, 200)}*\n${escapeClipped(value, LIMITS.field - 210)}`));
  }
  const blocks: SlackBlock[] = [
    {
      type: 'section',
      text: mrkdwn(`${lead}*${escapeClipped(oneLine(alert.summary), LIMITS.sectionText - 100)}*`),
      fields: fields.slice(0, LIMITS.fields),
    },
  ];
  const links = safeLinks(alert)
    .filter((l) => l.href.length <= LIMITS.url)
    .slice(0, LIMITS.contextElements)
    .map((l) => mrkdwn(slackLink(l.href, l.text)));
  if (links.length > 0) blocks.push({ type: 'context', elements: links });
  return blocks;
}

function fallbackText(n: Notification, emoji: string, title: string): string {
  const lines = [`${emoji} *${escapeSlack(title)}*`];
  const listed = n.alerts.slice(0, MAX_LISTED_ALERTS);
  if (n.alerts.length > 1) {
    for (const a of listed) {
      lines.push(`• ${escapeClipped(oneLine(a.summary), 200)} (${a.severity}, ${escapeClipped(oneLine(a.service), 100)})`);
    }
    if (n.alerts.length > listed.length) lines.push(`…and ${n.alerts.length - listed.length} more`);
  }
  const actions = actionLinks(n).map((a) => slackLink(a.url, a.text));
  if (actions.length > 0) lines.push(actions.join(' · '));
  return lines.join('\n');
}

function headlineEmoji(n: Notification): string {
  switch (n.kind) {
    case 'alert.resolved':
      return ':white_check_mark:';
    case 'alert.acknowledged':
      return ':eyes:';
    case 'meta.delivery-failed':
      return ':warning:';
    case 'test':
      return ':bell:';
    case 'alert.triggered':
    case 'alert.escalated':
      return SEVERITY_EMOJI[worstSeverity(n)];
  }
}

/** Escaped and clipped to `max` characters as sent, without cutting an entity in two. */
function escapeClipped(text: string, max: number): string {
  const escaped = escapeSlack(text);
  if (Array.from(escaped).length <= max) return escaped;
  let out = '';
  let length = 0;
  for (const char of text) {
    const piece = escapeSlack(char);
    if (length + piece.length > max - 1) break;
    out += piece;
    length += piece.length;
  }
  return `${out}…`;
}

/** `<url|text>`; the URL may not contain the characters that end the link. */
function slackLink(url: string, text: string): string {
  const safeUrl = url.replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
  return `<${safeUrl}|${escapeSlack(text)}>`;
}

/** Shown in the reader's time zone by Slack, with the UTC time as the fallback. */
function slackDate(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${isoTime(ms)}>`;
}

const plain = (text: string): SlackText => ({ type: 'plain_text', text, emoji: true });
const mrkdwn = (text: string): SlackText => ({ type: 'mrkdwn', text });
