import { z } from 'zod';
import type { Clock } from '../core/clock.ts';
import { parseDuration } from '../core/duration.ts';
import type { Db } from '../db/database.ts';
import type { App } from '../http/types.ts';
import type { Journal, JournalFeed } from './journal.ts';

export const JournalEntryOut = z.object({
  seq: z.number(),
  id: z.string(),
  at: z.number(),
  kind: z.string(),
  actor: z.string(),
  serviceId: z.string().nullable(),
  subjectType: z.string().nullable(),
  subjectId: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export function registerJournalRoutes(app: App, deps: { db: Db; journal: Journal; feed: JournalFeed; clock: Clock }): void {
  app.get(
    '/api/v1/journal',
    {
      config: { access: 'read' },
      schema: {
        tags: ['journal'],
        summary: 'The audit journal, newest first; page with `before`',
        querystring: z.strictObject({
          since: z.string().optional().describe('a duration such as 1h or 7d'),
          kind: z.string().max(100).optional().describe('kind prefix, e.g. catalog.'),
          actor: z.string().max(200).optional(),
          serviceId: z.string().optional(),
          subjectType: z.string().optional(),
          subjectId: z.string().optional(),
          before: z.coerce.number().int().positive().optional().describe('only entries with seq below this'),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: { 200: z.object({ items: z.array(JournalEntryOut), nextBefore: z.number().nullable() }) },
      },
    },
    async (request) => {
      const q = request.query;
      const since = q.since ? deps.clock.now() - parseDuration(q.since, 'query.since') : undefined;
      const items = await deps.journal.list(deps.db.kysely, {
        since,
        kindPrefix: q.kind,
        actor: q.actor,
        serviceId: q.serviceId,
        subjectType: q.subjectType,
        subjectId: q.subjectId,
        beforeSeq: q.before,
        limit: q.limit,
      });
      const last = items.at(-1);
      return { items, nextBefore: items.length === q.limit && last ? last.seq : null };
    },
  );

  app.get(
    '/api/v1/journal/stream',
    {
      config: { access: 'read' },
      schema: { tags: ['journal'], summary: 'Live journal entries as Server-Sent Events (event: journal)' },
    },
    async (request, reply) => {
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      raw.write('retry: 3000\n: connected\n\n');
      const unsubscribe = deps.feed.subscribe((entry) => {
        raw.write(`id: ${entry.seq}\nevent: journal\ndata: ${JSON.stringify(entry)}\n\n`);
      });
      const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
      heartbeat.unref();
      request.raw.on('close', () => {
        clearInterval(heartbeat);
        unsubscribe();
      });
    },
  );
}
