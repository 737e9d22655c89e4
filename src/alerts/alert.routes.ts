import { randomUUID } from 'node:crypto';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { Name } from '../catalog/catalog.model.ts';
import { UnauthenticatedError, VigilError } from '../core/errors.ts';
import type { App } from '../http/types.ts';
import {
  ALERT_STATUSES,
  AlertmanagerWebhook,
  eventErrors,
  fromAlertmanager,
  fromEventsApi,
  INTEGRATION_TYPES,
  MAX_EVENT_BYTES,
  SEVERITIES,
} from './alert.model.ts';
import type { AlertService } from './alert.service.ts';
import type { IntegrationConfig } from './integration.config.ts';

export const AlertOutSchema = z.object({
  id: z.string(),
  service: z.string(),
  integration: z.string().nullable(),
  origin: z.string(),
  dedupKey: z.string(),
  status: z.enum(ALERT_STATUSES),
  severity: z.enum(SEVERITIES),
  summary: z.string(),
  source: z.string().nullable(),
  component: z.string().nullable(),
  group: z.string().nullable(),
  class: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  links: z.array(z.object({ href: z.string(), text: z.string().optional() })),
  images: z.array(z.object({ src: z.string(), href: z.string().optional(), alt: z.string().optional() })),
  labels: z.record(z.string(), z.string()),
  createdAt: z.number(),
  lastEventAt: z.number(),
  eventCount: z.number().int(),
  acknowledgedAt: z.number().nullable(),
  acknowledgedBy: z.string().nullable(),
  resolvedAt: z.number().nullable(),
  resolvedBy: z.string().nullable(),
  urgency: z.enum(['high', 'low']),
  suppressedBy: z.string().nullable(),
  notifyAt: z.number().nullable(),
});

const IntegrationOutSchema = z.object({
  name: z.string(),
  service: z.string(),
  type: z.enum(INTEGRATION_TYPES),
  keyHint: z.string(),
  rateLimitPerMinute: z.number().int(),
  createdAt: z.number(),
  revokedAt: z.number().nullable(),
  source: z.string().nullable(),
  config: z.record(z.string(), z.unknown()).describe('the webhook mapping and routes; {} when there are none'),
});
/** Validated by the service, so that errors name `config.mapping.summary` and not the body's schema. */
const IntegrationConfigIn = z
  .looseObject({})
  .describe(
    '`{mapping?, routes?}`: `mapping` (webhook integrations only) says where summary, severity, dedupKey, action, source, labels, details and link are in the posted JSON, as JSONPath (`$.alert.title`); `routes` are `{match: ["team=\\"payments\\""], service}` sending matching events to another service',
  );
const IntegrationKeyOut = z.object({ integration: IntegrationOutSchema, key: z.string(), path: z.string() });

function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError('Sign in or send "Authorization: Bearer <token>"');
  return request.principal;
}

/** PagerDuty's error body: `{status, message, errors}`. */
function pdError(reply: FastifyReply, status: number, message: string, errors: string[]) {
  return reply.status(status).send({ status: status === 400 ? 'invalid event' : 'error', message, errors });
}

export function registerAlertRoutes(app: App, deps: { alerts: AlertService }): void {
  const { alerts } = deps;
  const tags = ['alerts'];

  // ---- Ingestion in the formats other tools speak. Bodies are parsed here so that malformed
  // JSON and oversize events get the sender's own error shape, never a 500.
  app.register(async (ingest) => {
    ingest.removeAllContentTypeParsers();
    ingest.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_EVENT_BYTES }, (_request, body, done) =>
      done(null, body),
    );
    ingest.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
        return pdError(reply, 413, 'Request too large', [`the event must be at most ${MAX_EVENT_BYTES / 1024} KB`]);
      }
      if (error instanceof VigilError && error.status === 401)
        return pdError(reply, 400, 'Event object is invalid', ['invalid routing key']);
      if (error instanceof VigilError && error.status < 500) return pdError(reply, error.status, error.message, [error.message]);
      request.log.error({ err: error }, 'alert ingestion failed');
      reply.header('retry-after', '1');
      return pdError(reply, 503, 'Could not store the event; retry', ['temporarily unavailable']);
    });

    const parse = (body: unknown): { ok: true; value: unknown } | { ok: false; error: string } => {
      if (typeof body !== 'string' || body.trim() === '')
        return { ok: false, error: 'the request body is empty; send a JSON event' };
      try {
        return { ok: true, value: JSON.parse(body) };
      } catch {
        return { ok: false, error: 'the request body is not valid JSON' };
      }
    };

    ingest.post(
      '/v2/enqueue',
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary:
            'PagerDuty Events API v2: trigger, acknowledge or resolve an alert (the routing_key is a Vigil integration key)',
          description:
            'Answers as PagerDuty does: 202 `{status, message, dedup_key}` once the event is stored; 400 with `errors` for an invalid event; 429 with Retry-After when the key is over its rate limit. A trigger without dedup_key gets one and returns it.',
        },
      },
      async (request, reply) => {
        const parsed = parse(request.body);
        if (!parsed.ok) return pdError(reply, 400, 'Event object is invalid', [parsed.error]);
        const checked = eventErrors(parsed.value);
        if ('errors' in checked) return pdError(reply, 400, 'Event object is invalid', checked.errors);
        const event = checked.event;
        let integration: Awaited<ReturnType<AlertService['authenticate']>>;
        try {
          integration = await alerts.authenticate(event.routing_key, 'events-api-v2');
        } catch (error) {
          if (error instanceof UnauthenticatedError)
            return pdError(reply, 400, 'Event object is invalid', ["'routing_key' is not a valid integration key"]);
          throw error;
        }
        const admitted = alerts.admit(integration);
        if (!admitted.ok) {
          reply.header('retry-after', String(admitted.retryAfterSeconds));
          return pdError(reply, 429, 'Too many events for this integration key', [
            `over ${integration.rate_limit_per_minute} events per minute`,
          ]);
        }
        const dedupKey = event.dedup_key ?? randomUUID().replace(/-/g, '');
        await alerts.submit(integration, [fromEventsApi(event, dedupKey)], 'events-api-v2');
        return reply.status(202).send({ status: 'success', message: 'Event processed', dedup_key: dedupKey });
      },
    );

    ingest.post(
      '/api/v1/integrations/alertmanager/:key',
      {
        config: { access: 'public' },
        schema: {
          tags,
          summary: "Alertmanager's webhook (version 4): firing and resolved alerts, deduplicated by fingerprint",
          params: z.strictObject({ key: z.string().min(8).max(200) }),
        },
      },
      async (request, reply) => {
        const integration = await alerts.authenticate((request.params as { key: string }).key, 'alertmanager').catch((error) => {
          if (error instanceof UnauthenticatedError) return null;
          throw error;
        });
        if (!integration)
          return reply
            .status(404)
            .send({ status: 'error', message: 'unknown or revoked integration key', errors: ['unknown key'] });
        const parsed = parse(request.body);
        if (!parsed.ok) return pdError(reply, 400, 'Webhook body is invalid', [parsed.error]);
        const body = AlertmanagerWebhook.safeParse(parsed.value);
        if (!body.success) {
          return pdError(
            reply,
            400,
            'Webhook body is invalid',
            body.error.issues.map((i) => `'${i.path.map(String).join('.') || 'body'}' ${i.message}`),
          );
        }
        const events = fromAlertmanager(body.data);
        const admitted = alerts.admit(integration, Math.max(1, events.length));
        if (!admitted.ok) {
          reply.header('retry-after', String(admitted.retryAfterSeconds));
          return pdError(reply, 429, 'Too many events for this integration key', [
            `over ${integration.rate_limit_per_minute} events per minute`,
          ]);
        }
        await alerts.submit(integration, events, 'alertmanager');
        return reply.status(202).send({ status: 'success', message: 'Alerts processed', count: events.length });
      },
    );
  });

  // ---- Managing integrations and alerts.

  app.get(
    '/api/v1/integrations',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Integrations (keys other tools send alerts with), without their keys',
        response: { 200: z.object({ items: z.array(IntegrationOutSchema) }) },
      },
    },
    async () => ({ items: await alerts.listIntegrations() }),
  );

  app.post(
    '/api/v1/integrations',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Create an integration key for a service; the key is shown once',
        body: z.strictObject({
          name: Name,
          service: Name,
          type: z.enum(INTEGRATION_TYPES),
          rateLimitPerMinute: z.number().int().min(1).max(1_000_000).optional(),
          config: IntegrationConfigIn.optional(),
        }),
        response: { 201: IntegrationKeyOut },
      },
    },
    async (request, reply) => {
      const { config, ...input } = request.body;
      const created = await alerts.createIntegration(caller(request), {
        ...input,
        ...(config === undefined ? {} : { config: config as IntegrationConfig }),
      });
      return reply.status(201).send(created);
    },
  );

  app.put(
    '/api/v1/integrations/:name/config',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: "Replace an integration's webhook mapping and routes; the key stays the same",
        params: z.strictObject({ name: Name }),
        body: IntegrationConfigIn,
        response: { 200: IntegrationOutSchema },
      },
    },
    (request) => alerts.updateIntegrationConfig(caller(request), request.params.name, request.body as IntegrationConfig),
  );

  app.post(
    '/api/v1/integrations/:name/rotate',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Replace an integration key; the old one stops working',
        params: z.strictObject({ name: Name }),
        response: { 200: IntegrationKeyOut },
      },
    },
    (request) => alerts.rotateIntegration(caller(request), request.params.name),
  );

  app.post(
    '/api/v1/integrations/:name/revoke',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Revoke an integration key',
        params: z.strictObject({ name: Name }),
        response: { 200: IntegrationOutSchema },
      },
    },
    (request) => alerts.revokeIntegration(caller(request), request.params.name),
  );

  app.get(
    '/api/v1/alerts',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Alerts, newest first; open ones (triggered and acknowledged) by default',
        querystring: z.strictObject({
          status: z
            .string()
            .regex(/^(triggered|acknowledged|resolved|open|all)(,(triggered|acknowledged|resolved|open|all))*$/)
            .default('open')
            .describe('comma-separated: triggered, acknowledged, resolved, open (= triggered,acknowledged) or all'),
          service: Name.optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
        response: {
          200: z.object({
            items: z.array(AlertOutSchema),
            total: z.number().int(),
            limit: z.number().int(),
            offset: z.number().int(),
          }),
        },
      },
    },
    (request) => {
      const words = request.query.status.split(',');
      const status = words.includes('all')
        ? undefined
        : ([...new Set(words.flatMap((w) => (w === 'open' ? ['triggered', 'acknowledged'] : [w])))] as Array<
            (typeof ALERT_STATUSES)[number]
          >);
      return alerts.list({ status, service: request.query.service, limit: request.query.limit, offset: request.query.offset });
    },
  );

  const IdParams = z.strictObject({ id: z.string().min(1).max(100) });
  app.get(
    '/api/v1/alerts/:id',
    { config: { access: 'read' }, schema: { tags, summary: 'One alert', params: IdParams, response: { 200: AlertOutSchema } } },
    (request) => alerts.get(request.params.id),
  );
  app.post(
    '/api/v1/alerts/:id/acknowledge',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Acknowledge an alert: someone is on it (recorded for MTTA)',
        params: IdParams,
        response: { 200: AlertOutSchema },
      },
    },
    (request) => alerts.acknowledge(caller(request), request.params.id),
  );
  app.post(
    '/api/v1/alerts/:id/resolve',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Resolve an alert; a later trigger with the same dedup key opens a new one',
        params: IdParams,
        response: { 200: AlertOutSchema },
      },
    },
    (request) => alerts.resolve(caller(request), request.params.id),
  );
}
