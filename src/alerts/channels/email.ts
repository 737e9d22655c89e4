import { createHash } from 'node:crypto';
import nodemailer, { type NodemailerError } from 'nodemailer';
import type { EmailChannelSpec, SmtpSettings } from './channel.model.ts';
import { attemptSignal, type DeliverOptions, type DeliveryOutcome, errorMessage, stopwatch } from './delivery.ts';
import {
  actionLinks,
  alertFacts,
  detailEntries,
  isoTime,
  MAX_LISTED_ALERTS,
  type Notification,
  type NotificationSeverity,
  oneLine,
  renderText,
  renderTitle,
  safeLinks,
} from './message.ts';

/**
 * Email through SMTP, one connection per attempt. The subject is the notification's title; the
 * text and HTML parts carry the acknowledge and resolve links.
 *
 * Each message's Message-ID comes from the idempotency key, so every retry of one delivery sends
 * the same Message-ID: mail systems that deduplicate on it drop the copy, and anyone reading the
 * headers can tell a retry from a new notification. Its right-hand side is the sender's domain
 * rather than a made-up name, as RFC 5322 asks of an id meant to be unique.
 *
 * A message some recipients refused and others accepted counts as delivered: trying again would
 * send it a second time to those who have it. The refusals are listed in the outcome's detail.
 */

export interface EmailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  headers: Record<string, string>;
}

export function emailMessage(channel: EmailChannelSpec, smtp: SmtpSettings, n: Notification): EmailMessage {
  return {
    from: smtp.from,
    to: channel.to,
    subject: renderTitle(n),
    text: renderText(n),
    html: renderHtml(n),
    messageId: messageIdFor(n.idempotencyKey, smtp.from),
    headers: {
      'X-Vigil-Idempotency-Key': oneLine(n.idempotencyKey),
      // RFC 3834: no vacation replies to alerts; Exchange reads its own header for the same.
      'Auto-Submitted': 'auto-generated',
      'X-Auto-Response-Suppress': 'All',
    },
  };
}

const DOT_ATOM_RE = /^[A-Za-z0-9_+-]+(\.[A-Za-z0-9_+-]+)*$/;

/**
 * `<key@sender-domain>`; a key that is not a plain dot-atom (or is very long) is replaced by its
 * SHA-256, which is as stable. `X-Vigil-Idempotency-Key` carries the key as it is.
 */
export function messageIdFor(idempotencyKey: string, from: string): string {
  const left =
    DOT_ATOM_RE.test(idempotencyKey) && idempotencyKey.length <= 128 ? idempotencyKey : sha256(idempotencyKey).slice(0, 40);
  const address = /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from;
  const domain = address.slice(address.lastIndexOf('@') + 1).trim();
  return `<${left}@${/^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'vigil'}>`;
}

export async function deliverEmail(
  channel: EmailChannelSpec,
  n: Notification,
  options: DeliverOptions,
): Promise<DeliveryOutcome> {
  const elapsed = stopwatch();
  const smtp = channel.smtp ?? options.smtpDefaults;
  if (!smtp) {
    return {
      ok: false,
      retryable: false,
      durationMs: elapsed(),
      detail: 'no SMTP server: the channel names none and no server-wide SMTP settings are configured',
    };
  }
  if (options.signal?.aborted) return { ok: false, retryable: true, durationMs: elapsed(), detail: 'aborted before sending' };
  const attempt = attemptSignal(options);
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure ?? smtp.port === 465,
    ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    // Nodemailer's own timers stop a stalled step; the attempt's signal bounds the whole send.
    connectionTimeout: attempt.timeoutMs,
    greetingTimeout: attempt.timeoutMs,
    socketTimeout: attempt.timeoutMs,
    dnsTimeout: attempt.timeoutMs,
  });
  try {
    const info = await transport.sendMail({ ...emailMessage(channel, smtp, n), signal: attempt.signal });
    const status = replyCode(info.response);
    const refused = info.rejected.length > 0 ? `; refused ${info.rejected.join(', ')}` : '';
    return {
      ok: true,
      ...(status !== undefined ? { status } : {}),
      durationMs: elapsed(),
      detail: `SMTP ${oneLine(info.response)}; accepted ${info.accepted.length} of ${channel.to.length}${refused}`,
    };
  } catch (err) {
    const failure = smtpFailure(err as NodemailerError, attempt.timedOut(), attempt.signal.aborted, attempt.timeoutMs);
    return { ok: false, ...failure, durationMs: elapsed() };
  } finally {
    transport.close();
  }
}

/** Failures of the config rather than of the server or the network: another try gets the same. */
const CONFIG_ERRORS = new Set(['ECONFIG', 'ENOAUTH', 'EAUTH', 'EREQUIRETLS', 'EENVELOPE', 'EMAXRECIPIENTS']);

function smtpFailure(
  err: NodemailerError,
  timedOut: boolean,
  aborted: boolean,
  timeoutMs: number,
): { retryable: boolean; status?: number; detail: string } {
  if (timedOut || err.code === 'ETIMEDOUT') return { retryable: true, detail: `timed out after ${timeoutMs} ms` };
  if (aborted) return { retryable: true, detail: 'aborted' };
  const code = err.responseCode;
  if (code !== undefined) {
    // RFC 5321: 5yz is permanent (503 only says the session was out of step), 4yz transient.
    const permanent = err.permanent ?? (code >= 500 && code !== 503);
    const command = err.command ? /^[A-Za-z]+(?: (?:TO|FROM))?/i.exec(err.command)?.[0] : undefined;
    const reply = oneLine(err.response ?? `${code} ${err.message}`);
    return { retryable: !permanent, status: code, detail: `SMTP ${reply}${command ? ` (in reply to ${command})` : ''}` };
  }
  if (err.code !== undefined && CONFIG_ERRORS.has(err.code)) return { retryable: false, detail: errorMessage(err) };
  return { retryable: true, detail: `connection failed: ${errorMessage(err)}` };
}

function replyCode(response: string): number | undefined {
  const code = /^(\d{3})/.exec(response)?.[1];
  return code === undefined ? undefined : Number(code);
}

const SEVERITY_COLOURS: Record<NotificationSeverity, string> = {
  critical: '#c62828',
  error: '#e65100',
  warning: '#f9a825',
  info: '#1565c0',
};

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The HTML part: inline styles only, since mail clients drop style sheets. */
export function renderHtml(n: Notification): string {
  const parts: string[] = [];
  parts.push(`<h2 style="margin:0 0 16px;font-size:18px">${escapeHtml(renderTitle(n))}</h2>`);
  const listed = n.alerts.slice(0, MAX_LISTED_ALERTS);
  for (const alert of listed) {
    const colour = SEVERITY_COLOURS[alert.severity];
    const rows = [...alertFacts(alert).map((f) => [f.title, f.value] as const), ...detailEntries(alert)]
      .map(
        ([k, v]) =>
          `<tr><td style="padding:2px 12px 2px 0;color:#555">${escapeHtml(k)}</td><td style="padding:2px 0">${escapeHtml(v)}</td></tr>`,
      )
      .join('');
    const links = safeLinks(alert)
      .map((l) => `<a href="${escapeHtml(l.href)}">${escapeHtml(l.text)}</a>`)
      .join(' · ');
    parts.push(
      `<div style="border-left:4px solid ${colour};padding:4px 12px;margin:0 0 16px">` +
        `<p style="margin:0 0 8px;font-weight:bold">${escapeHtml(oneLine(alert.summary))}</p>` +
        `<table style="border-collapse:collapse;font-size:14px">${rows}</table>` +
        (links ? `<p style="margin:8px 0 0;font-size:14px">${links}</p>` : '') +
        '</div>',
    );
  }
  if (n.alerts.length > listed.length) parts.push(`<p>…and ${n.alerts.length - listed.length} more alerts</p>`);
  const buttons = actionLinks(n)
    .map(
      (a) =>
        `<a href="${escapeHtml(a.url)}" style="display:inline-block;margin:0 8px 8px 0;padding:8px 14px;border-radius:4px;` +
        `background:${a.action === 'acknowledge' ? '#1565c0' : '#455a64'};color:#ffffff;text-decoration:none">${escapeHtml(a.text)}</a>`,
    )
    .join('');
  if (buttons) parts.push(`<p style="margin:16px 0">${buttons}</p>`);
  parts.push(`<p style="color:#777;font-size:12px">Sent by Vigil at ${escapeHtml(isoTime(n.sentAt))}</p>`);
  return (
    '<!doctype html><html><head><meta charset="utf-8"></head>' +
    `<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222">${parts.join('')}</body></html>`
  );
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
