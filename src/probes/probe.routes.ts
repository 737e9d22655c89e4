import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { Name } from '../catalog/catalog.model.ts';
import { NotFoundError, UnauthenticatedError } from '../core/errors.ts';
import type { App } from '../http/types.ts';
import { badgeSvg, formatUptime, uptimeColor } from './badge.ts';
import {
  HeartbeatKeyOut,
  PingOut,
  PROBE_STATUSES,
  ProbeAlertOut,
  ProbeDetailOut,
  ProbeListOut,
  ProbeResultOut,
  ProbeSeriesOut,
  UPTIME_WINDOWS,
} from './probe.api.ts';
import { PROBE_TYPES, ProbeSpec } from './probe.model.ts';
import type { RunnerStats } from './probe.runner.ts';
import { MAX_LIST_LIMIT, type ProbeService } from './probe.service.ts';
import { RING_SIZE } from './probe.store.ts';

const NameParams = z.strictObject({ name: Name });
const KeyParams = z.strictObject({ key: z.string().min(8).max(200) });

const ListQuery = z.strictObject({
  service: Name.optional(),
  status: z.enum(PROBE_STATUSES).optional(),
  type: z.enum(PROBE_TYPES).optional(),
  q: z.string().max(100).optional().describe('part of the probe name'),
  limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

const RunnerStatsOut = z.object({
  replica: z.string(),
  replicas: z.number().int(),
  assigned: z.number().int(),
  probes: z.number().int(),
  running: z.number().int(),
  waiting: z.number().int(),
  started: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  buffered: z.number().int(),
  lag: z.object({ count: z.number(), p50: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() }),
  lastFlushAt: z.number().nullable(),
  lastFlushError: z.string().nullable(),
});

function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError('Sign in or send "Authorization: Bearer <token>"');
  return request.principal;
}

export function registerProbeRoutes(app: App, deps: { probes: ProbeService; runner?: { stats(): RunnerStats } | null }): void {
  const { probes } = deps;
  const tags = ['probes'];

  app.get(
    '/api/v1/probes',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'List probes with their status and 24-hour and 7-day uptime, by name, a page at a time',
        querystring: ListQuery,
        response: { 200: ProbeListOut },
      },
    },
    (request) => probes.list(request.query),
  );

  app.post(
    '/api/v1/probes',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Create a probe (HTTP, TCP, DNS, TLS or heartbeat) attached to a catalog service',
        body: ProbeSpec,
        response: { 201: ProbeDetailOut },
      },
    },
    async (request, reply) => reply.status(201).send(await probes.create(caller(request), request.body)),
  );

  app.get(
    '/api/v1/probes/:name',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'A probe: status, uptime over 24h/7d/30d/90d, 90 daily uptimes, MTBF/MTTF/MTTR, transitions, open alert',
        params: NameParams,
        response: { 200: ProbeDetailOut },
      },
    },
    (request) => probes.get(request.params.name),
  );

  app.put(
    '/api/v1/probes/:name',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Replace a probe definition; its history stays',
        params: NameParams,
        body: ProbeSpec,
        response: { 200: ProbeDetailOut },
      },
    },
    (request) => probes.replace(caller(request), request.params.name, request.body),
  );

  app.delete(
    '/api/v1/probes/:name',
    {
      config: { access: 'write' },
      schema: { tags, summary: 'Delete a probe and its history', params: NameParams, response: { 204: z.null() } },
    },
    async (request, reply) => {
      await probes.remove(caller(request), request.params.name);
      return reply.status(204).send(null);
    },
  );

  for (const [verb, enabled] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    app.post(
      `/api/v1/probes/:name/${verb}`,
      {
        config: { access: 'write' },
        schema: {
          tags,
          summary: enabled ? 'Resume a paused probe' : 'Pause a probe: it keeps its history but is not run or judged',
          params: NameParams,
          response: { 200: ProbeDetailOut },
        },
      },
      (request) => probes.setEnabled(caller(request), request.params.name, enabled),
    );
  }

  app.get(
    '/api/v1/probes/:name/results',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: `The latest raw results (at most ${RING_SIZE}), newest first, with phases and condition results`,
        params: NameParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(RING_SIZE).default(50) }),
        response: { 200: z.object({ items: z.array(ProbeResultOut) }) },
      },
    },
    async (request) => ({ items: await probes.results(request.params.name, request.query.limit) }),
  );

  app.get(
    '/api/v1/probes/:name/series',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Uptime and latency p50/p95/p99 over 24h (10-minute steps), 7d (hourly), 30d or 90d',
        params: NameParams,
        querystring: z.strictObject({ range: z.enum(UPTIME_WINDOWS).default('24h') }),
        response: { 200: ProbeSeriesOut },
      },
    },
    (request) => probes.series(request.params.name, request.query.range),
  );

  app.post(
    '/api/v1/probes/:name/run',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Run the probe once now and return each phase’s timing; history and state are not touched',
        params: NameParams,
        response: { 200: ProbeResultOut },
      },
    },
    (request) => probes.runOnce(request.params.name),
  );

  app.get(
    '/api/v1/probes/:name/badge.svg',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: 'A shields-style badge: uptime over a window, or the current status (`window=status`)',
        params: NameParams,
        querystring: z.strictObject({
          window: z.enum([...UPTIME_WINDOWS, 'status']).default('30d'),
          label: z.string().max(40).optional(),
        }),
      },
    },
    async (request, reply) => {
      const { window, label } = request.query;
      reply.header('content-type', 'image/svg+xml; charset=utf-8').header('cache-control', 'max-age=60');
      try {
        const probe = await probes.get(request.params.name);
        if (window === 'status') {
          const color = { up: '#3fb950', down: '#e05d44', unknown: '#9f9f9f', paused: '#9f9f9f' }[probe.status];
          return reply.send(badgeSvg(label ?? probe.name, probe.status, color));
        }
        const ratio = probe.uptimes[window];
        return reply.send(badgeSvg(label ?? `uptime ${window}`, formatUptime(ratio), uptimeColor(ratio)));
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        return reply.status(404).send(badgeSvg(label ?? 'probe', 'not found', '#9f9f9f'));
      }
    },
  );

  app.get(
    '/api/v1/probes/:name/heartbeat-key',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'The ping key of a heartbeat probe and the path to ping',
        params: NameParams,
        response: { 200: HeartbeatKeyOut },
      },
    },
    (request) => probes.heartbeatKey(caller(request), request.params.name),
  );

  app.post(
    '/api/v1/probes/:name/heartbeat-key/rotate',
    {
      config: { access: 'write' },
      schema: {
        tags,
        summary: 'Replace a heartbeat’s ping key; the old one stops working at once',
        params: NameParams,
        response: { 200: HeartbeatKeyOut },
      },
    },
    (request) => probes.heartbeatKey(caller(request), request.params.name, true),
  );

  app.get(
    '/api/v1/probe-alerts',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'Alerts raised by probes going down or heartbeats going missing (firing by default)',
        querystring: z.strictObject({
          state: z.enum(['firing', 'resolved', 'all']).default('firing'),
          probe: Name.optional(),
          limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(100),
        }),
        response: { 200: z.object({ items: z.array(ProbeAlertOut) }) },
      },
    },
    async (request) => ({ items: await probes.alerts(request.query) }),
  );

  app.get(
    '/api/v1/probe-scheduler',
    {
      config: { access: 'read' },
      schema: {
        tags,
        summary: 'This replica’s probe scheduler: probes it runs, runs started, skipped, and start lag (ms)',
        response: { 200: RunnerStatsOut },
      },
    },
    () => {
      if (!deps.runner) throw new NotFoundError('this server runs no probes (started without workers)');
      return deps.runner.stats();
    },
  );

  // Heartbeat pings come from cron jobs and pipelines: `curl -fsS -X POST <url>` or a plain GET,
  // with or without a body (a log excerpt) of any content type.
  app.register(async (pings) => {
    pings.removeAllContentTypeParsers();
    pings.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 100_000 }, (_request, body, done) => done(null, body));
    for (const [suffix, ok] of [
      ['', true],
      ['/fail', false],
    ] as const) {
      for (const method of ['GET', 'POST'] as const) {
        pings.route({
          method,
          url: `/api/v1/heartbeats/:key${suffix}`,
          config: { access: 'public' },
          schema: {
            tags,
            summary: ok ? 'Ping a heartbeat: the job ran' : 'Ping a heartbeat: the job ran and failed',
            description: 'The key in the path is the credential. A body, if any, is kept as the result excerpt (first 1 KiB).',
            params: KeyParams,
            response: { 200: PingOut },
          },
          handler: (request) =>
            probes.ping((request.params as { key: string }).key, ok, typeof request.body === 'string' ? request.body : ''),
        });
      }
    }
  });
}
