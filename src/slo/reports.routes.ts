import { z } from 'zod';
import { Name } from '../catalog/catalog.model.ts';
import type { App } from '../http/types.ts';
import type { ReportService } from './reports.service.ts';
import { slaReportMarkdown, sloReviewMarkdown } from './reports.ts';
import { BUDGETING_METHODS } from './slo.model.ts';

const Nullable = z.number().nullable();
const PolicyState = z.enum(['ok', 'warn', 'halted']);
const Format = z.enum(['json', 'markdown']).default('json').describe('markdown answers text/markdown');
const TimeZone = z.string().min(1).max(64).optional().describe('IANA time zone of the period; default UTC');

const SlaRowOut = z.object({
  name: z.string(),
  customer: z.string().nullable(),
  slo: z.string(),
  sloDisplayName: z.string().nullable(),
  objective: z.string(),
  budgetingMethod: z.enum(BUDGETING_METHODS),
  approximate: z.boolean(),
  status: z.enum(['met', 'missed', 'no-data']),
  sli: Nullable,
  target: z.number(),
  marginPoints: Nullable.describe('SLI − target in percentage points; negative when missed'),
  unit: z.enum(['events', 'slices']),
  good: z.number(),
  total: z.number(),
  allowedBad: z.number(),
  bad: z.number(),
  overBad: z.number(),
  allowedBadMinutes: z.number(),
  badMinutes: z.number(),
  overMinutes: z.number(),
  tier: z.object({ below: z.number(), creditPercent: z.number() }).nullable(),
  creditPercent: z.number(),
});

export const SlaReportOut = z.object({
  month: z.string(),
  timeZone: z.string(),
  start: z.number(),
  end: z.number(),
  complete: z.boolean(),
  generatedAt: z.number(),
  services: z.array(
    z.object({
      service: z.string(),
      title: z.string().nullable(),
      owner: z.string().nullable(),
      customerFacing: z.boolean(),
      slas: z.array(SlaRowOut),
    }),
  ),
  totals: z.object({ slas: z.number(), met: z.number(), missed: z.number(), noData: z.number() }),
});

const SpanBurnOut = z.object({
  sli: Nullable,
  badEvents: z.number(),
  badMinutes: z.number(),
  budgetShare: z.number(),
  burnRate: Nullable,
});
const BudgetAtOut = z.object({ at: z.number(), sli: Nullable, remainingRatio: z.number() });
const DayOut = SpanBurnOut.extend({ date: z.string() });

export const SloReviewOut = z.object({
  team: z.string(),
  week: z.string(),
  timeZone: z.string(),
  start: z.number(),
  end: z.number(),
  complete: z.boolean(),
  generatedAt: z.number(),
  slos: z.array(
    z.object({
      name: z.string(),
      displayName: z.string().nullable(),
      service: z.string(),
      budgetingMethod: z.enum(BUDGETING_METHODS),
      objectives: z.array(
        z.object({
          objective: z.string(),
          target: z.number(),
          start: BudgetAtOut,
          end: BudgetAtOut,
          week: SpanBurnOut,
          days: z.array(DayOut),
          worstDay: DayOut.nullable(),
        }),
      ),
      alertsFired: z.number(),
      policy: z.object({ start: PolicyState, end: PolicyState }),
    }),
  ),
  episodes: z.array(
    z.object({
      id: z.string(),
      slo: z.string(),
      objective: z.string(),
      rule: z.string(),
      severity: z.string(),
      firedAt: z.number(),
      resolvedAt: Nullable,
      firedInPeriod: z.boolean(),
      budgetShare: Nullable,
      reason: z.string().nullable(),
    }),
  ),
  changes: z.array(
    z.object({ at: z.number(), kind: z.string(), actor: z.string(), service: z.string().nullable(), summary: z.string() }),
  ),
  incidentsNote: z.string(),
});

const MARKDOWN = 'text/markdown; charset=utf-8';

export function registerReportRoutes(app: App, deps: { reports: ReportService }): void {
  const { reports } = deps;

  app.get(
    '/api/v1/reports/sla',
    {
      config: { access: 'read' },
      schema: {
        tags: ['reports'],
        summary: 'SLA compliance of a calendar month: met or missed, by how much, and the credit owed, per service',
        querystring: z.strictObject({
          month: z.string().max(16).optional().describe('YYYY-MM; default the last complete month'),
          timeZone: TimeZone,
          format: Format,
        }),
        response: { 200: z.union([SlaReportOut, z.string().describe('the report as Markdown (text/markdown)')]) },
      },
    },
    async (request, reply) => {
      const { month, timeZone, format } = request.query;
      const report = await reports.sla({ month, timeZone });
      if (format === 'markdown') return reply.type(MARKDOWN).send(slaReportMarkdown(report));
      return report;
    },
  );

  app.get(
    '/api/v1/reports/slo-review',
    {
      config: { access: 'read' },
      schema: {
        tags: ['reports'],
        summary:
          "A team's weekly SLO review: budgets at the start and end of an ISO week, what burned, alerts and policy changes",
        querystring: z.strictObject({
          team: Name,
          week: z.string().max(16).optional().describe('ISO week such as 2026-W47; default the last complete week'),
          timeZone: TimeZone,
          format: Format,
        }),
        response: { 200: z.union([SloReviewOut, z.string().describe('the review as Markdown (text/markdown)')]) },
      },
    },
    async (request, reply) => {
      const { team, week, timeZone, format } = request.query;
      const review = await reports.sloReview({ team, week, timeZone });
      if (format === 'markdown') return reply.type(MARKDOWN).send(sloReviewMarkdown(review));
      return review;
    },
  );
}
