import type { Command } from 'commander';
import { ApiClient, CliError, EXIT, globalOptions, printJson, printTable } from '../cli/context.ts';
import { pct, type SlaReport, type SloReview, slaReportMarkdown, sloReviewMarkdown } from './reports.ts';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** `--json` and `--markdown` pick one output; both at once would leave one unprinted. */
function outputOf(cmd: Command, opts: { markdown?: boolean }): { api: ApiClient; output: 'table' | 'json' | 'markdown' } {
  const options = globalOptions(cmd);
  if (options.json && opts.markdown) throw new CliError('give --json or --markdown, not both', EXIT.invalid);
  return { api: new ApiClient(options), output: options.json ? 'json' : opts.markdown ? 'markdown' : 'table' };
}

const points = (pp: number | null): string | null => (pp === null ? null : `${pp < 0 ? '' : '+'}${Number(pp.toFixed(4))}pp`);

export function registerReportCommands(program: Command): void {
  const report = program.command('report').description('Reports: SLA compliance per month, weekly SLO review per team');

  report
    .command('sla')
    .description('SLA compliance of a calendar month: met or missed, by how much, and the credit owed')
    .option('--month <YYYY-MM>', 'the month (default: the last complete one)')
    .option('--time-zone <zone>', 'IANA time zone the month is counted in (default UTC)')
    .option('--markdown', 'print the report as Markdown', false)
    .action(async (opts: { month?: string; timeZone?: string; markdown?: boolean }, cmd: Command) => {
      const { api, output } = outputOf(cmd, opts);
      // The Markdown is rendered here from the JSON, with the same renderer the server uses.
      const r = await api.get<SlaReport>('/api/v1/reports/sla', { month: opts.month, timeZone: opts.timeZone });
      if (output === 'json') return printJson(r);
      if (output === 'markdown') return void process.stdout.write(slaReportMarkdown(r));
      say(`SLA compliance, ${r.month} (${r.timeZone})${r.complete ? '' : ', month still running'}`);
      say(`${r.totals.slas} SLAs: ${r.totals.met} met, ${r.totals.missed} missed, ${r.totals.noData} without data\n`);
      printTable(
        r.services.flatMap((s) =>
          s.slas.map((x) => ({
            sla: x.name,
            service: s.service,
            customer: x.customer,
            sli: pct(x.sli),
            target: pct(x.target),
            result: x.status,
            margin: points(x.marginPoints),
            over: x.overBad > 0 ? `${Number(x.overBad.toFixed(2))} ${x.unit} / ${Number(x.overMinutes.toFixed(2))}m` : null,
            credit: `${x.creditPercent}%`,
          })),
        ),
        ['sla', 'service', 'customer', 'sli', 'target', 'result', 'margin', 'over', 'credit'],
      );
    });

  report
    .command('slo-review')
    .description("A team's weekly SLO review: budgets at the start and end of the week, what burned, alerts, policy changes")
    .requiredOption('--team <name>', 'the team whose SLOs (through their services) are reviewed')
    .option('--week <YYYY-Www>', 'ISO week such as 2026-W47 (default: the last complete one)')
    .option('--time-zone <zone>', 'IANA time zone the week is counted in (default UTC)')
    .option('--markdown', 'print the review as Markdown', false)
    .action(async (opts: { team: string; week?: string; timeZone?: string; markdown?: boolean }, cmd: Command) => {
      const { api, output } = outputOf(cmd, opts);
      const r = await api.get<SloReview>('/api/v1/reports/slo-review', {
        team: opts.team,
        week: opts.week,
        timeZone: opts.timeZone,
      });
      if (output === 'json') return printJson(r);
      if (output === 'markdown') return void process.stdout.write(sloReviewMarkdown(r));
      say(`Weekly SLO review: ${r.team}, ${r.week} (${r.timeZone})${r.complete ? '' : ', week still running'}\n`);
      printTable(
        r.slos.flatMap((s) =>
          s.objectives.map((o) => ({
            slo: s.objectives.length > 1 ? `${s.name}/${o.objective}` : s.name,
            service: s.service,
            'left start': pct(o.start.remainingRatio, 1),
            'left end': pct(o.end.remainingRatio, 1),
            burned: pct(o.week.budgetShare, 1),
            'worst day': o.worstDay?.date ?? null,
            alerts: s.alertsFired,
            policy: s.policy.start === s.policy.end ? s.policy.end : `${s.policy.start}->${s.policy.end}`,
          })),
        ),
        ['slo', 'service', 'left start', 'left end', 'burned', 'worst day', 'alerts', 'policy'],
      );
      say(`\n${r.episodes.length} alert episodes, ${r.changes.length} policy and alert changes (--markdown for the details).`);
    });
}
