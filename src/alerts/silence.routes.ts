import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { Name } from '../catalog/catalog.model.ts';
import { UnauthenticatedError } from '../core/errors.ts';
import type { App } from '../http/types.ts';
import type { AlertPolicyService } from './policy.service.ts';
import type { SilenceService } from './silence.service.ts';

const SilenceOutSchema = z.object({
  id: z.string(),
  matchers: z.array(z.string()),
  startsAt: z.number(),
  endsAt: z.number(),
  createdBy: z.string(),
  comment: z.string(),
  state: z.enum(['pending', 'active', 'expired']),
  createdAt: z.number(),
  updatedAt: z.number(),
});

const PolicyOutSchema = z.object({
  service: z.string(),
  custom: z.boolean(),
  policy: z.record(z.string(), z.unknown()),
  source: z.string().nullable(),
  updatedAt: z.number().nullable(),
});

function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError('Sign in or send "Authorization: Bearer <token>"');
  return request.principal;
}

/** Silences, one-click silences from an alert, and each service's alert policy. */
export function registerSilenceRoutes(app: App, deps: { silences: SilenceService; policies: AlertPolicyService }): void {
  const { silences, policies } = deps;
  const tags = ['alerts'];

  app.get(
    '/api/v1/silences',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Silences: active and pending by default, or by state',
        querystring: z.strictObject({
          state: z.enum(['active', 'pending', 'expired', 'all']).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          offset: z.coerce.number().int().min(0).optional(),
        }),
        response: {
          200: z.object({ items: z.array(SilenceOutSchema), total: z.number(), limit: z.number(), offset: z.number() }),
        },
      },
    },
    (request) => silences.list(request.query),
  );

  app.post(
    '/api/v1/silences',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Silence the alerts matching every matcher (Alertmanager syntax) for a time',
        body: z.strictObject({
          matchers: z.array(z.string().min(1).max(1000)).min(1, 'at least one matcher is required').max(50),
          startsAt: z.number().int().optional(),
          endsAt: z.number().int().optional(),
          duration: z.string().max(20).optional(),
          comment: z.string().max(2000),
        }),
        response: { 201: SilenceOutSchema },
      },
    },
    async (request, reply) => reply.code(201).send(await silences.create(caller(request), request.body)),
  );

  const IdParams = z.strictObject({ id: z.string().min(1).max(100) });
  app.get(
    '/api/v1/silences/:id',
    {
      config: { access: 'read' },
      schema: { tags, summary: 'One silence', params: IdParams, response: { 200: SilenceOutSchema } },
    },
    (request) => silences.get(request.params.id),
  );
  app.post(
    '/api/v1/silences/:id/expire',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'End a silence now',
        description:
          'The open alerts it kept quiet are judged again: those still firing that nothing else mutes are notified now, and listed in `notifiedAlerts`.',
        params: IdParams,
        response: { 200: SilenceOutSchema.extend({ notifiedAlerts: z.array(z.string()) }) },
      },
    },
    (request) => silences.expire(caller(request), request.params.id),
  );

  app.post(
    '/api/v1/alerts/:id/silence',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: "Silence this alert's service and dedup key (default for 4h)",
        params: IdParams,
        body: z.strictObject({ duration: z.string().max(20).optional(), comment: z.string().max(2000).optional() }).optional(),
        response: { 201: SilenceOutSchema },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await silences.fromAlert(caller(request), request.params.id, request.body ?? {})),
  );

  const ServiceParams = z.strictObject({ name: Name });
  app.get(
    '/api/v1/alert-policies',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Services with an alert policy of their own',
        response: { 200: z.object({ items: z.array(PolicyOutSchema) }) },
      },
    },
    async () => ({ items: await policies.list() }),
  );
  app.get(
    '/api/v1/services/:name/alert-policy',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: "A service's alert policy: grouping, urgency, working hours, inhibition, flapping",
        params: ServiceParams,
        response: { 200: PolicyOutSchema },
      },
    },
    (request) => policies.get(request.params.name),
  );
  app.put(
    '/api/v1/services/:name/alert-policy',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: "Set a service's alert policy (fields left out take the defaults)",
        params: ServiceParams,
        body: z.record(z.string(), z.unknown()),
        response: { 200: PolicyOutSchema },
      },
    },
    async (request) => {
      await policies.set(caller(request), request.params.name, request.body);
      return policies.get(request.params.name);
    },
  );
  app.delete(
    '/api/v1/services/:name/alert-policy',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: "Return a service's alert policy to the defaults",
        params: ServiceParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await policies.remove(caller(request), request.params.name);
      return reply.code(204).send(null);
    },
  );
}
