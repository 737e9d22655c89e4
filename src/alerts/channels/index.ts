import type { ChannelSpec } from './channel.model.ts';
import { type DeliverOptions, type DeliveryOutcome, errorMessage, stopwatch } from './delivery.ts';
import { deliverEmail } from './email.ts';
import type { Notification } from './message.ts';
import { deliverSlack } from './slack.ts';
import { deliverTeams } from './teams.ts';
import { deliverWebhook } from './webhook.ts';

/**
 * The channel layer of the alerting pipeline. The pipeline owns retries: it calls {@link deliver}
 * once per attempt, with the same notification (and so the same idempotency key) every time,
 * records the outcome and schedules the next attempt from `retryable` and `retryAfterMs`.
 */

export * from './channel.model.ts';
export type { DeliverOptions, DeliveryOutcome } from './delivery.ts';
export { DEFAULT_TIMEOUT_MS } from './delivery.ts';
export { deliverEmail, emailMessage, escapeHtml, messageIdFor, renderHtml } from './email.ts';
export { isRetryableStatus, MAX_RESPONSE_BYTES, parseRetryAfter } from './http.ts';
export * from './message.ts';
export { deliverSlack, escapeSlack, slackMessage } from './slack.ts';
export { deliverTeams, escapeTeams, teamsMessage } from './teams.ts';
export {
  deliverWebhook,
  SIGNATURE_TOLERANCE_MS,
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_USER_AGENT,
  webhookPayload,
  webhookRequest,
} from './webhook.ts';

/**
 * One delivery attempt of `n` to `channel`. Resolves with the outcome whatever happens to the
 * delivery; a failure that no channel foresaw is reported as retryable rather than thrown, so
 * one broken attempt cannot take the pipeline's worker down with it.
 */
export async function deliver(channel: ChannelSpec, n: Notification, options: DeliverOptions): Promise<DeliveryOutcome> {
  const elapsed = stopwatch();
  try {
    switch (channel.type) {
      case 'webhook':
        return await deliverWebhook(channel, n, options);
      case 'slack':
        return await deliverSlack(channel, n, options);
      case 'teams':
        return await deliverTeams(channel, n, options);
      case 'email':
        return await deliverEmail(channel, n, options);
    }
  } catch (err) {
    return { ok: false, retryable: true, durationMs: elapsed(), detail: `unexpected failure: ${errorMessage(err)}` };
  }
}
