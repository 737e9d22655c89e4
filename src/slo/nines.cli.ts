import type { Command } from 'commander';
import { CliError, EXIT, globalOptions, printJson, printTable } from '../cli/context.ts';
import { parseDuration } from '../core/duration.ts';
import { formatDowntime, ninesTable, parseTargetPercent } from './nines.ts';

/**
 * `vigil nines 99.9 99.95 [--window 28d] [--json]`: allowed downtime per day, week, month,
 * quarter and year (and per SLO window). Offline: it needs no server.
 */
export function registerNinesCommand(program: Command): void {
  program
    .command('nines')
    .description('allowed downtime per day, week, month, quarter and year for targets in percent (offline)')
    .argument('<targets...>', 'targets in percent, e.g. 99.9 99.95 99.99')
    .option('--window <duration>', 'add a column for an SLO window, e.g. 28d')
    .action((targets: string[], opts: { window?: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      let percents: number[];
      let windowMs: number | null = null;
      try {
        percents = targets.map((t, i) => parseTargetPercent(t, `targets[${i}]`));
        if (opts.window !== undefined) {
          windowMs = parseDuration(opts.window, '--window');
          if (windowMs <= 0) throw new Error('--window must be longer than zero');
        }
      } catch (error) {
        throw new CliError((error as Error).message, EXIT.invalid);
      }
      const rows = ninesTable(percents, windowMs);
      if (g.json) return printJson({ window: opts.window ?? null, windowMs, rows });
      const windowColumn = opts.window ? `per ${opts.window.trim()}` : null;
      printTable(
        rows.map((r) => ({
          target: `${r.targetPercent}%`,
          day: formatDowntime(r.day),
          week: formatDowntime(r.week),
          month: formatDowntime(r.month),
          quarter: formatDowntime(r.quarter),
          year: formatDowntime(r.year),
          ...(windowColumn && r.window !== null ? { [windowColumn]: formatDowntime(r.window) } : {}),
        })),
        ['target', 'day', 'week', 'month', 'quarter', 'year', ...(windowColumn ? [windowColumn] : [])],
      );
    });
}
