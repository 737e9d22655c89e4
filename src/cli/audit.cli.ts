import type { Command } from 'commander';
import { ApiClient, globalOptions, printJson, printTable } from './context.ts';

interface Entry {
  seq: number;
  at: number;
  kind: string;
  actor: string;
  subjectType: string | null;
  subjectId: string | null;
  data: Record<string, unknown>;
}

/** `vigil audit`: the journal, newest first. */
export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('show the audit journal (every change, who made it and when)')
    .option('--since <duration>', 'only entries newer than this, e.g. 1h, 7d', '24h')
    .option('--kind <prefix>', 'only kinds starting with this, e.g. catalog.')
    .option('--actor <actor>', 'only this actor, e.g. user:alice')
    .option('--limit <n>', 'at most this many entries', '100')
    .action(async (opts: { since: string; kind?: string; actor?: string; limit: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      const api = new ApiClient(g);
      const page = await api.get<{ items: Entry[]; nextBefore: number | null }>('/api/v1/journal', {
        since: opts.since,
        kind: opts.kind,
        actor: opts.actor,
        limit: opts.limit,
      });
      if (g.json) return printJson(page);
      printTable(
        page.items.map((e) => ({
          time: new Date(e.at).toISOString().replace('T', ' ').slice(0, 19),
          kind: e.kind,
          actor: e.actor,
          subject: e.subjectType ? `${e.subjectType}:${(e.data.name as string | undefined) ?? e.subjectId}` : '-',
        })),
        ['time', 'kind', 'actor', 'subject'],
      );
      if (page.nextBefore) process.stdout.write(`(more: narrow with --since or raise --limit)\n`);
    });
}
