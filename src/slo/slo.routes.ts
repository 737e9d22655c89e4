import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../auth/principal.ts';
import { Name } from '../catalog/catalog.model.ts';
import { parseDuration } from '../core/duration.ts';
import { InputError, UnauthenticatedError } from '../core/errors.ts';
import type { App } from '../http/types.ts';
import {
  BUDGETING_METHODS,
  BURN_RATE_WINDOWS,
  POLICY_ACTIONS,
  SLI_SOURCES,
  SloAlerting,
  ThresholdOp,
  TimeWindow,
} from './slo.model.ts';
import { MAX_BATCH_EVENTS, type SloService } from './slo.service.ts';

const Timestamp = z
  .union([z.string().max(64), z.number()])
  .describe('ISO 8601 instant (`2026-03-02T10:00:00Z`) or epoch milliseconds');

const CountEvent = z.strictObject({
  timestamp: Timestamp,
  good: z.number().describe('good events in this count'),
  total: z.number().describe('all events in this count'),
});
const RawEvent = z.strictObject({
  timestamp: Timestamp,
  value: z.number().describe('a raw observation, judged against the SLI threshold (e.g. a latency in ms)'),
});

const IngestBody = z.strictObject({
  batchId: z.string().min(1).max(200).optional().describe('makes a retried batch count once'),
  events: z.array(z.union([CountEvent, RawEvent])).max(MAX_BATCH_EVENTS),
});

const IngestOut = z.object({
  accepted: z.number().int(),
  rejected: z.array(z.object({ index: z.number().int(), reason: z.string() })),
  duplicate: z.boolean(),
});

const Nullable = z.number().nullable();
const PolicyState = z.enum(['ok', 'warn', 'halted']);
const PolicyAction = z.enum(POLICY_ACTIONS);

export const ObjectiveStatusOut = z.object({
  objective: z.string(),
  target: z.number(),
  windowStart: z.number(),
  windowEnd: z.number(),
  sli: Nullable,
  good: z.number(),
  total: z.number(),
  budgetEvents: z.number(),
  budgetMinutes: z.number(),
  consumedEvents: z.number(),
  consumedMinutes: z.number(),
  remainingRatio: z.number(),
  remainingEvents: z.number(),
  remainingMinutes: z.number(),
  burnRates: z.object(
    Object.fromEntries(BURN_RATE_WINDOWS.map((w) => [w, Nullable])) as Record<
      (typeof BURN_RATE_WINDOWS)[number],
      typeof Nullable
    >,
  ),
  timeToExhaustionMs: Nullable,
  /** Present (true) when part of the window could only be approximated from hourly rollups. */
  approximate: z.boolean().optional(),
});

export const SloAlertOut = z.object({
  id: z.string(),
  slo: z.string(),
  objective: z.string().describe('objective name, or `*` for a no-data alert'),
  rule: z.string().describe('burn-rate rule name, or `no-data`'),
  severity: z.string(),
  state: z.enum(['firing', 'resolved']),
  firedAt: z.number(),
  resolvedAt: Nullable,
  data: z.record(z.string(), z.unknown()),
});

export const SloStatusOut = z.object({
  name: z.string(),
  displayName: z.string().nullable(),
  description: z.string().nullable(),
  service: z.string(),
  owner: z.string().nullable(),
  sli: z.string(),
  budgetingMethod: z.enum(BUDGETING_METHODS),
  timeWindow: TimeWindow,
  objectives: z.array(ObjectiveStatusOut),
  alerts: z.array(SloAlertOut),
  policy: z.object({ state: PolicyState, actions: z.array(PolicyAction) }),
  labels: z.record(z.string(), z.string()),
  alerting: SloAlerting,
});

const SliOut = z.object({
  name: z.string(),
  service: z.string().nullable(),
  description: z.string().nullable(),
  source: z.enum(SLI_SOURCES),
  threshold: z.object({ op: ThresholdOp, value: z.number() }).nullable(),
  prometheus: z
    .object({ dataSource: z.string(), good: z.string().nullable(), bad: z.string().nullable(), total: z.string() })
    .nullable(),
  probe: z.string().nullable(),
  configSource: z.string().nullable().describe('the config-as-code source that applied it'),
  slos: z.array(z.string()),
  lastEventAt: Nullable,
  lastPulledAt: Nullable,
  lastError: z.string().nullable(),
});

export const PolicyOut = z.object({
  service: z.string(),
  state: PolicyState,
  remainingRatio: Nullable,
  actions: z.array(PolicyAction),
  rules: z.array(z.object({ whenRemainingBelow: z.number(), actions: z.array(PolicyAction) })),
  override: z.object({ reason: z.string(), actor: z.string(), until: z.number() }).nullable(),
});

const SeriesOut = z.object({
  sli: z.array(z.object({ at: z.number(), good: z.number(), total: z.number(), value: Nullable })),
  burnDown: z.array(z.object({ at: z.number(), remainingRatio: z.number() })),
});

const OverviewOut = z.object({
  services: z.array(
    z.object({
      name: z.string(),
      title: z.string().nullable(),
      owner: z.string().nullable(),
      tier: z.string().nullable(),
      slos: z.array(
        z.object({
          name: z.string(),
          displayName: z.string().nullable(),
          remainingRatio: z.number(),
          sli: Nullable,
          target: z.number(),
          state: z.enum(['ok', 'warn', 'exhausted', 'no-data']),
        }),
      ),
      policy: z.object({ state: PolicyState }),
    }),
  ),
});

const NameParams = z.object({ name: Name });
const SeriesQuery = z.strictObject({
  objective: Name.optional(),
  from: z.string().max(64).optional().describe('ISO 8601 instant or epoch ms; default the window start'),
  to: z.string().max(64).optional().describe('ISO 8601 instant or epoch ms; default now'),
  step: z.string().max(32).optional().describe('duration such as 5m or 1h; default keeps 500 points or fewer'),
});
const AlertsQuery = z.strictObject({
  state: z.enum(['firing', 'resolved', 'all']).default('firing'),
  slo: Name.optional(),
});
const OverrideBody = z.strictObject({
  reason: z.string().min(1).max(2000),
  until: z.union([z.string().max(64), z.number()]).describe('a duration from now (2h), an ISO 8601 instant, or epoch ms'),
});

function caller(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthenticatedError('Sign in or send "Authorization: Bearer <token>"');
  return request.principal;
}

function instant(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const at = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(at))
    throw InputError.field(`query.${field}`, `"${text}" is neither an ISO 8601 instant nor epoch milliseconds`);
  return at;
}

/** Batches of up to 10,000 events are larger than the default body limit allows. */
const INGEST_BODY_LIMIT = 8 * 1024 * 1024;

export function registerSloRoutes(app: App, deps: { slo: SloService }): void {
  const { slo } = deps;

  app.post(
    '/api/v1/slis/:name/events',
    {
      config: { access: 'ingest' },
      bodyLimit: INGEST_BODY_LIMIT,
      schema: {
        tags: ['slo'],
        summary: 'Send a batch of SLI events: good/total counts or raw observations',
        description:
          'Up to 10,000 events per batch. Items that cannot count (timestamps more than 5 minutes ahead or older than the 35-day retention, good > total, negative numbers) are rejected one by one; the accepted part is durable once this returns 200. A repeated batchId adds nothing and answers duplicate: true.',
        params: NameParams,
        body: IngestBody,
        response: { 200: IngestOut },
      },
    },
    (request) => slo.ingest(caller(request), request.params.name, request.body),
  );

  app.get(
    '/api/v1/slis',
    {
      config: { access: 'read' },
      schema: {
        tags: ['slo'],
        summary: 'List SLIs with the SLOs built on them and their latest event',
        response: { 200: z.object({ items: z.array(SliOut) }) },
      },
    },
    async () => ({ items: await slo.listSlis() }),
  );

  app.get(
    '/api/v1/slos',
    {
      config: { access: 'read' },
      schema: {
        tags: ['slo'],
        summary: 'Every SLO with its error budget, burn rates and policy state, lowest remaining budget first',
        response: { 200: z.object({ items: z.array(SloStatusOut) }) },
      },
    },
    async () => ({ items: await slo.status() }),
  );

  app.get(
    '/api/v1/slos/:name',
    {
      config: { access: 'read' },
      schema: {
        tags: ['slo'],
        summary: 'One SLO with its error budget, burn rates, firing alerts and policy state',
        params: NameParams,
        response: { 200: SloStatusOut },
      },
    },
    (request) => slo.get(request.params.name),
  );

  app.get(
    '/api/v1/slos/:name/series',
    {
      config: { access: 'read' },
      schema: {
        tags: ['slo'],
        summary: 'The SLI over time and the burn-down of an objective’s budget',
        params: NameParams,
        querystring: SeriesQuery,
        response: { 200: SeriesOut },
      },
    },
    (request) => {
      const q = request.query;
      let stepMs: number | undefined;
      if (q.step !== undefined) {
        try {
          stepMs = parseDuration(q.step, 'query.step');
        } catch {
          throw InputError.field('query.step', `"${q.step}" is not a duration such as 5m or 1h`);
        }
      }
      return slo.series(request.params.name, {
        objective: q.objective,
        from: instant(q.from, 'from'),
        to: instant(q.to, 'to'),
        stepMs,
      });
    },
  );

  app.get(
    '/api/v1/services/:name/policy',
    {
      config: { access: 'read' },
      schema: {
        tags: ['slo'],
        summary: 'The error budget policy state of a service (what the deploy gate and flags read)',
        params: NameParams,
        response: { 200: PolicyOut },
      },
    },
    (request) => slo.policy(request.params.name),
  );

  app.post(
    '/api/v1/services/:name/policy/override',
    {
      config: { access: 'write' },
      schema: {
        tags: ['slo'],
        summary: 'Lift a halting error budget policy until a time, with a reason (service owners and admins)',
        params: NameParams,
        body: OverrideBody,
        response: { 200: PolicyOut },
      },
    },
    (request) => slo.overridePolicy(caller(request), request.params.name, request.body),
  );

  app.get(
    '/api/v1/slo-alerts',
    {
      config: { access: 'read' },
      schema: {
        tags: ['slo'],
        summary: 'Burn-rate and no-data alerts, newest first',
        querystring: AlertsQuery,
        response: { 200: z.object({ items: z.array(SloAlertOut) }) },
      },
    },
    async (request) => ({ items: await slo.alerts(request.query) }),
  );

  app.get(
    '/api/v1/overview',
    {
      config: { access: 'read' },
      schema: {
        tags: ['slo'],
        summary: 'Every service’s SLOs, remaining budgets and policy state: the reliability overview',
        response: { 200: OverviewOut },
      },
    },
    () => slo.overview(),
  );
}
