import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookChannelSpec } from './channel.model.ts';
import type { DeliverOptions, DeliveryOutcome } from './delivery.ts';
import { type HttpPost, postMessage, USER_AGENT } from './http.ts';
import type { Notification } from './message.ts';

/**
 * The signed webhook: the notification as JSON, signed the way Stripe and Slack sign theirs.
 *
 *   x-vigil-timestamp: <unix seconds of this attempt>
 *   x-vigil-signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * The timestamp is inside the signed string, so a captured request cannot be replayed with a
 * fresh timestamp; a receiver that also rejects timestamps outside a tolerance (5 minutes by
 * default, see {@link verifyWebhookSignature}) bounds replays of the request as captured. Within
 * that window a replay is a duplicate delivery, which receivers already handle through the
 * `idempotency-key` header: the same key on every retry of one delivery, so a receiver answers a
 * key it has seen with a 2xx and does nothing more (a 409 would count as a failed delivery).
 *
 * A signature header may carry several `v1=` values separated by commas; one matching is enough,
 * which lets a receiver accept an old and a new secret while a secret is rotated.
 */

export const WEBHOOK_USER_AGENT = USER_AGENT;
export const WEBHOOK_PAYLOAD_VERSION = 1;
export const SIGNATURE_TOLERANCE_MS = 5 * 60_000;

export interface WebhookPayload {
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  kind: Notification['kind'];
  idempotencyKey: string;
  sentAt: number;
  groupKey?: string;
  alerts: Notification['alerts'];
  urls: Notification['urls'];
}

export function webhookPayload(n: Notification): WebhookPayload {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    kind: n.kind,
    idempotencyKey: n.idempotencyKey,
    sentAt: n.sentAt,
    ...(n.groupKey !== undefined ? { groupKey: n.groupKey } : {}),
    alerts: n.alerts,
    urls: n.urls,
  };
}

/** The `x-vigil-signature` value for a body sent at `timestamp` (unix seconds, as sent in the header). */
export function signWebhook(secret: string, timestamp: string | number, rawBody: string | Uint8Array): string {
  return `v1=${hmac(secret, String(timestamp), rawBody).toString('hex')}`;
}

/** The request one attempt sends, signed at `nowMs`. */
export function webhookRequest(channel: WebhookChannelSpec, n: Notification, nowMs: number): HttpPost {
  const body = JSON.stringify(webhookPayload(n));
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    url: channel.url,
    body,
    headers: {
      // Configured headers first: the model refuses reserved names, and ours win regardless.
      ...channel.headers,
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'idempotency-key': n.idempotencyKey,
      'x-vigil-timestamp': timestamp,
      'x-vigil-signature': signWebhook(channel.secret, timestamp, body),
    },
  };
}

export function deliverWebhook(channel: WebhookChannelSpec, n: Notification, options: DeliverOptions): Promise<DeliveryOutcome> {
  return postMessage(webhookRequest(channel, n, options.clock.now()), options);
}

/**
 * Whether a received webhook is genuine and fresh: `signatureHeader` holds a `v1=` HMAC of
 * `"<timestamp>.<rawBody>"` under `secret`, and `timestamp` (the `x-vigil-timestamp` header) is
 * within `toleranceMs` of `nowMs` either way. Verify the raw body bytes as received, before any
 * JSON parsing, which would not give the same bytes back.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number | null | undefined,
  rawBody: string | Uint8Array,
  signatureHeader: string | null | undefined,
  nowMs: number,
  toleranceMs: number = SIGNATURE_TOLERANCE_MS,
): boolean {
  if (timestamp === null || timestamp === undefined || !signatureHeader) return false;
  const stamp = String(timestamp);
  if (!/^\d{1,12}$/.test(stamp)) return false;
  if (Math.abs(nowMs - Number(stamp) * 1000) > toleranceMs) return false;
  const expected = hmac(secret, stamp, rawBody);
  let matched = false;
  for (const part of signatureHeader.split(',')) {
    const [scheme, hex] = part.trim().split('=', 2);
    if (scheme !== 'v1' || hex === undefined || !/^[0-9a-fA-F]{64}$/.test(hex)) continue;
    // Every candidate is compared, so the time taken does not tell which one matched.
    if (timingSafeEqual(expected, Buffer.from(hex, 'hex'))) matched = true;
  }
  return matched;
}

function hmac(secret: string, timestamp: string, rawBody: string | Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}
