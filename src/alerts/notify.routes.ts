import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { systemPrincipal } from '../auth/principal.ts';
import { Name } from '../catalog/catalog.model.ts';
import { ConflictError, NotAllowedError, UnauthenticatedError } from '../core/errors.ts';
import type { App } from '../http/types.ts';
import type { AlertOut, AlertService } from './alert.service.ts';
import { escapeHtml } from './channels/index.ts';
import { LINK_ACTIONS, type LinkSigner } from './links.ts';
import type { Notifier } from './notifier.ts';
import type { NotificationTargets } from './targets.ts';

const TargetOutSchema = z.object({
  name: z.string(),
  service: z.string().nullable(),
  fallback: z.boolean(),
  channel: z.record(z.string(), z.unknown()),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const OutcomeSchema = z.object({
  ok: z.boolean(),
  retryable: z.boolean().optional(),
  status: z.number().optional(),
  durationMs: z.number(),
  detail: z.string(),
  retryAfterMs: z.number().optional(),
});

const AttemptSchema = z.object({
  attempt: z.number().int(),
  at: z.number(),
  ok: z.boolean(),
  retryable: z.boolean().nullable(),
  status: z.number().nullable(),
  durationMs: z.number(),
  detail: z.string(),
});

const DeadSchema = z.object({
  jobId: z.string(),
  kind: z.string(),
  alertId: z.string().nullable(),
  target: z.string().nullable(),
  lastError: z.string().nullable(),
  diedAt: z.number(),
  attempts: z.array(AttemptSchema),
});

function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError('Sign in or send "Authorization: Bearer <token>"');
  return request.principal;
}

/** Who acted, in the journal and on the alert, when a one-click link was followed. */
const LINK_ACTOR = 'link';

export function registerNotifyRoutes(
  app: App,
  deps: { alerts: AlertService; targets: NotificationTargets; notifier: Notifier; links: LinkSigner },
): void {
  const { alerts, targets, notifier, links } = deps;
  const tags = ['notifications'];

  app.get(
    '/api/v1/notification-targets',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Where alerts are sent: targets per service and fallback targets, secrets masked',
        response: { 200: z.object({ items: z.array(TargetOutSchema) }) },
      },
    },
    async () => ({ items: await targets.list() }),
  );

  app.post(
    '/api/v1/notification-targets',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: "Add a notification target for a service's alerts, or a fallback target (fallback: true)",
        description:
          'Fallback targets receive the alerts of services without a target of their own, and notices of failed deliveries.',
        body: z.strictObject({
          name: Name,
          service: Name.nullable().optional(),
          fallback: z.boolean().optional(),
          channel: z.unknown().describe('a channel: webhook, slack, teams or email'),
        }),
        response: { 201: TargetOutSchema },
      },
    },
    async (request, reply) => reply.status(201).send(await targets.create(caller(request), request.body)),
  );

  const NameParams = z.strictObject({ name: Name });
  app.delete(
    '/api/v1/notification-targets/:name',
    {
      config: { access: 'write' },
      schema: { tags, summary: 'Remove a notification target', params: NameParams },
    },
    async (request, reply) => {
      await targets.delete(caller(request), request.params.name);
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/notification-targets/:name/test',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Send a test notification to the target now and report how the delivery went',
        params: NameParams,
        response: { 200: OutcomeSchema },
      },
    },
    (request) => notifier.test(request.params.name),
  );

  app.get(
    '/api/v1/notifications/dead',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Notifications that could not be delivered, with their last error and every attempt',
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        response: { 200: z.object({ items: z.array(DeadSchema) }) },
      },
    },
    async (request) => ({ items: await notifier.listDead(request.query.limit) }),
  );

  app.post(
    '/api/v1/notifications/dead/:jobId/retry',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Try a dead notification again, with a fresh set of attempts',
        params: z.strictObject({ jobId: z.string().min(1).max(100) }),
        response: { 202: z.object({ jobId: z.string() }) },
      },
    },
    async (request, reply) => {
      await notifier.retryDead(request.params.jobId);
      return reply.status(202).send({ jobId: request.params.jobId });
    },
  );

  // ---- One-click links from notifications. The signature is the credential.
  const actSchema = {
    tags,
    summary: 'Acknowledge or resolve an alert from a signed link in a notification; answers with a short HTML page',
    description:
      '`sig` is the hex HMAC-SHA256, under the server secret, of `<id>.<action>.<expires>`; links expire after 7 days. A bad or expired signature gets 403.',
    params: z.strictObject({ id: z.string().min(1).max(100) }),
    querystring: z.object({
      action: z.enum(LINK_ACTIONS),
      expires: z.coerce.number().int().min(0),
      sig: z.string().min(1).max(200),
    }),
  };
  const act = async (
    request: FastifyRequest<{
      Params: { id: string };
      Querystring: { action: (typeof LINK_ACTIONS)[number]; expires: number; sig: string };
    }>,
    reply: FastifyReply,
  ) => {
    const { id } = request.params;
    const { action, expires, sig } = request.query;
    if (!(await links.verify(id, action, expires, sig)))
      throw new NotAllowedError('this link is invalid or has expired; open the alert in Vigil instead');
    const principal = { ...systemPrincipal(LINK_ACTOR), actor: LINK_ACTOR };
    const before = await alerts.get(id);
    let after: AlertOut = before;
    let message: string;
    if (before.status === 'resolved') {
      message = `This alert was already resolved${before.resolvedBy ? ` by ${before.resolvedBy}` : ''}.`;
    } else if (action === 'acknowledge' && before.status === 'acknowledged') {
      message = `This alert was already acknowledged${before.acknowledgedBy ? ` by ${before.acknowledgedBy}` : ''}.`;
    } else {
      try {
        after = action === 'acknowledge' ? await alerts.acknowledge(principal, id) : await alerts.resolve(principal, id);
        message = action === 'acknowledge' ? 'The alert is acknowledged.' : 'The alert is resolved.';
      } catch (error) {
        // Resolved by someone else between the read and the change.
        if (!(error instanceof ConflictError)) throw error;
        after = await alerts.get(id);
        message = 'This alert was already resolved.';
      }
    }
    return reply
      .status(200)
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .send(actPage(after, message));
  };
  app.get('/api/v1/alerts/:id/act', { config: { access: 'public' }, schema: actSchema }, act);
  app.post('/api/v1/alerts/:id/act', { config: { access: 'public' }, schema: actSchema }, act);
}

function actPage(alert: AlertOut, message: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Vigil: ${escapeHtml(message)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem">
<h1 style="font-size: 1.4rem">${escapeHtml(message)}</h1>
<p><strong>${escapeHtml(alert.summary)}</strong></p>
<p>Service: ${escapeHtml(alert.service)} · Severity: ${escapeHtml(alert.severity)} · Status: ${escapeHtml(alert.status)}</p>
</body></html>
`;
}
