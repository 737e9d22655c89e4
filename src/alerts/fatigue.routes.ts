import { z } from 'zod';
import { Name } from '../catalog/catalog.model.ts';
import type { Clock } from '../core/clock.ts';
import type { Db } from '../db/database.ts';
import type { App } from '../http/types.ts';
import { fatigueReportOf } from './fatigue.service.ts';
import type { ShiftSchedule } from './fatigue.ts';

const Share = z.number().nullable().describe('a share of the pages, 0 to 1; null without pages');

const Counts = {
  alerts: z.number().describe('alerts triggered in the period, suppressed or not'),
  suppressed: z.number(),
  pages: z.number().describe('alerts triggered and not suppressed'),
  highUrgency: z.number(),
  outsideWorkingHours: z.number(),
  acknowledged: z.number().describe('pages a person acknowledged'),
  noise: z.number().describe('pages resolved without any human action'),
  transient: z.number().describe('noise that resolved itself within five minutes'),
  open: z.number(),
  outsideWorkingHoursShare: Share,
  acknowledgedShare: Share,
  noiseShare: Share,
};

const SourceOut = z.object({
  service: z.string(),
  team: z.string().nullable(),
  via: z.string().describe('the integration, or Vigil’s own origin (slo, probe, heartbeat)'),
  key: z.string().describe('the alert name, or the dedup key without its generated tail'),
  pages: z.number(),
  acknowledged: z.number(),
  noise: z.number(),
  noiseShare: z.number(),
  outsideWorkingHours: z.number(),
  lastAt: z.number(),
});

const ShiftOut = z.object({
  start: z.number(),
  end: z.number(),
  kind: z.enum(['day', 'night']),
  label: z.string(),
  partial: z.boolean(),
  pages: z.number(),
  outsideWorkingHours: z.number(),
  acknowledged: z.number(),
  noise: z.number(),
  hours: z.number().describe('the whole shift’s length in hours, even when the period cuts it short'),
  pagesPer12h: z.number().describe('pages × 12 h / the shift’s length'),
  flagged: z.boolean().describe('more than limitPagesPer12h pages per 12 hours of the shift'),
});

export const FatigueReportOut = z.object({
  from: z.number(),
  to: z.number(),
  timeZone: z.string(),
  generatedAt: z.number(),
  workingHours: z.object({ timeZone: z.string(), days: z.array(z.number()), start: z.string(), end: z.string() }),
  shiftSchedule: z.string(),
  handoffs: z
    .array(z.string())
    .nullable()
    .describe('local times the shifts start at (HH:MM); null for a schedule without fixed ones'),
  limitPagesPer12h: z.number(),
  totals: z.object({ ...Counts, teams: z.number(), flaggedTeams: z.number(), flaggedShifts: z.number() }),
  teams: z.array(
    z.object({
      team: z.string().nullable().describe('null: services without an owner'),
      title: z.string().nullable(),
      ...Counts,
      shiftCount: z.number(),
      hours: z.number(),
      pagesPer12h: z.number(),
      maxShiftPages: z.number(),
      flagged: z.boolean().describe('shifts average more than limitPagesPer12h pages per 12 hours'),
      flaggedShifts: z.number(),
      shifts: z.array(ShiftOut),
      sources: z.array(SourceOut),
    }),
  ),
  sources: z.array(SourceOut),
});

const When = z.string().min(1).max(40);

/** `GET /api/v1/alerts/fatigue`: the alert fatigue report per team and on-call shift. */
export function registerFatigueRoutes(app: App, deps: { db: Db; clock: Clock; shifts?: ShiftSchedule }): void {
  app.get(
    '/api/v1/alerts/fatigue',
    {
      config: { access: 'read' },
      schema: {
        tags: ['alerts'],
        summary:
          'Alert fatigue per team and on-call shift: pages per shift, outside working hours, acknowledged, noise, the noisiest sources',
        querystring: z.strictObject({
          from: When.optional().describe(
            'start: 2026-11-01T00:00:00Z, a local date or date-time in timeZone (2026-11-01), or epoch ms; default `days` before `to`',
          ),
          to: When.optional().describe('end (exclusive), as `from`; default now'),
          days: z.string().max(8).optional().describe('the period’s length when `from` is not given (default 28)'),
          team: Name.optional().describe('only this team'),
          timeZone: z.string().min(1).max(64).optional().describe('IANA time zone of shifts and working hours; default UTC'),
          handoffs: z
            .string()
            .optional()
            .describe(
              'local times on-call hands over, 1 to 6 distinct HH:MM, comma-separated: 09:00,21:00 (two 12-hour shifts), 07:00,15:00,23:00, 09:00 (one 24-hour shift); default 08:00,20:00',
            ),
        }),
        response: { 200: FatigueReportOut },
      },
    },
    async (request) => fatigueReportOf(deps, request.query),
  );
}
