import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { ping } from '../db/database.ts';
import { migrationsPending } from '../db/migrate.ts';
import type { HttpMetrics } from './metrics.ts';
import type { App } from './types.ts';

/** Liveness, readiness, metrics and the OpenAPI document. */
export function registerSystemRoutes(app: App, deps: { db: Db; metrics: HttpMetrics; version: string }): void {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Liveness: the process serves requests',
        response: { 200: z.object({ status: z.literal('ok'), version: z.string() }) },
      },
    },
    async () => ({ status: 'ok' as const, version: deps.version }),
  );

  const Ready = z.object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.object({ database: z.boolean(), migrationsPending: z.number().int() }),
  });
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['system'],
        summary: 'Readiness: database reachable and migrations applied',
        response: { 200: Ready, 503: Ready },
      },
    },
    async (_request, reply) => {
      const database = await ping(deps.db);
      const pending = database ? await migrationsPending(deps.db).catch(() => -1) : -1;
      const ready = database && pending === 0;
      return reply
        .status(ready ? 200 : 503)
        .send({ status: ready ? 'ready' : 'unavailable', checks: { database, migrationsPending: pending } });
    },
  );

  app.get(
    '/metrics',
    { config: { access: 'public' }, schema: { tags: ['system'], summary: 'Prometheus metrics', hide: true } },
    async (_request, reply) => {
      reply.type(deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );

  app.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
}
