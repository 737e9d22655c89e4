import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ApiClient, CliError, EXIT, globalOptions, printJson, printTable } from '../cli/context.ts';
import type { AlertPolicyOut } from './policy.service.ts';
import type { SilenceOut } from './silence.service.ts';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function when(at: number): string {
  return new Date(at).toISOString().replace('.000Z', 'Z');
}

function printSilence(s: SilenceOut): void {
  say(`Silence ${s.id} (${s.state})`);
  say(`  matchers: ${s.matchers.join(', ')}`);
  say(`  from ${when(s.startsAt)} until ${when(s.endsAt)}`);
  say(`  by ${s.createdBy}: ${s.comment}`);
}

/** `vigil silence …` and `vigil alert-policy …`. */
export function registerSilenceCommands(program: Command): void {
  const silence = program.command('silence').description('Silences: mute matching alerts for a time');

  silence
    .command('create')
    .description(
      'Silence the alerts matching every matcher, e.g. vigil silence create \'service="checkout"\' --for 2h -c "deploy"',
    )
    .argument('<matchers...>', 'Alertmanager matchers: name="value", name!="value", name=~"regex", name!~"regex"')
    .option('--for <duration>', 'how long, from now or --start (e.g. 30m, 2h, 1d)', '2h')
    .option('--start <time>', 'ISO 8601 start (default: now)')
    .option('--end <time>', 'ISO 8601 end, instead of --for')
    .requiredOption('-c, --comment <text>', 'why the alerts are silenced')
    .action(async (matchers: string[], opts: { for: string; start?: string; end?: string; comment: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const instant = (text: string, flag: string): number => {
        const ms = Date.parse(text);
        if (!Number.isFinite(ms)) throw new CliError(`${flag} must be an ISO 8601 time, e.g. 2026-12-01T02:00:00Z`, EXIT.invalid);
        return ms;
      };
      const body = {
        matchers,
        comment: opts.comment,
        ...(opts.start ? { startsAt: instant(opts.start, '--start') } : {}),
        ...(opts.end ? { endsAt: instant(opts.end, '--end') } : { duration: opts.for }),
      };
      const out = await new ApiClient(options).post<SilenceOut>('/api/v1/silences', body);
      if (options.json) return printJson(out);
      printSilence(out);
    });

  silence
    .command('alert')
    .description("Silence one alert's service and dedup key (one click in the UI)")
    .argument('<alert-id>')
    .option('--for <duration>', 'how long (e.g. 30m, 4h)', '4h')
    .option('-c, --comment <text>', 'why')
    .action(async (id: string, opts: { for: string; comment?: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const out = await new ApiClient(options).post<SilenceOut>(`/api/v1/alerts/${encodeURIComponent(id)}/silence`, {
        duration: opts.for,
        ...(opts.comment ? { comment: opts.comment } : {}),
      });
      if (options.json) return printJson(out);
      printSilence(out);
    });

  silence
    .command('list')
    .description('Silences: active and pending unless --state says otherwise')
    .option('--state <state>', 'active, pending, expired or all')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (opts: { state?: string; limit: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const page = await new ApiClient(options).get<{ items: SilenceOut[]; total: number }>('/api/v1/silences', {
        state: opts.state,
        limit: opts.limit,
      });
      if (options.json) return printJson(page);
      if (page.items.length === 0) return say(opts.state ? `No ${opts.state} silences.` : 'No active or pending silences.');
      printTable(
        page.items.map((s) => ({
          id: s.id,
          state: s.state,
          matchers: s.matchers.join(', '),
          ends: when(s.endsAt),
          by: s.createdBy,
          comment: s.comment.length > 40 ? `${s.comment.slice(0, 39)}…` : s.comment,
        })),
        ['id', 'state', 'matchers', 'ends', 'by', 'comment'],
      );
    });

  silence
    .command('expire')
    .description('End silences now')
    .argument('<ids...>')
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const api = new ApiClient(options);
      const out: Array<SilenceOut & { notifiedAlerts: string[] }> = [];
      for (const id of ids) {
        out.push(await api.post<SilenceOut & { notifiedAlerts: string[] }>(`/api/v1/silences/${encodeURIComponent(id)}/expire`));
      }
      if (options.json) return printJson(out);
      for (const s of out) {
        const n = s.notifiedAlerts.length;
        say(
          `Expired ${s.id} (${s.matchers.join(', ')})` +
            (n > 0
              ? `; ${n} alert${n === 1 ? '' : 's'} it kept quiet still fire and ${n === 1 ? 'was' : 'were'} notified: ${s.notifiedAlerts.join(', ')}`
              : ''),
        );
      }
    });

  const policy = program
    .command('alert-policy')
    .description("A service's alert grouping, urgency, working hours, inhibition and flapping");
  policy
    .command('get')
    .argument('<service>')
    .action(async (service: string, _opts: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const out = await new ApiClient(options).get<AlertPolicyOut>(
        `/api/v1/services/${encodeURIComponent(service)}/alert-policy`,
      );
      if (options.json) return printJson(out);
      say(`Alert policy of ${out.service}${out.custom ? '' : ' (the defaults)'}`);
      say(JSON.stringify(out.policy, null, 2));
    });
  policy
    .command('set')
    .argument('<service>')
    .requiredOption('-f, --file <path>', 'a YAML or JSON file with the policy')
    .action(async (service: string, opts: { file: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      let body: unknown;
      try {
        body = parseYaml(await readFile(opts.file, 'utf8'));
      } catch (error) {
        throw new CliError(`cannot read ${opts.file}: ${(error as Error).message}`, EXIT.invalid);
      }
      const out = await new ApiClient(options).put<AlertPolicyOut>(
        `/api/v1/services/${encodeURIComponent(service)}/alert-policy`,
        body,
      );
      if (options.json) return printJson(out);
      say(`Alert policy of ${out.service} updated.`);
    });
  policy
    .command('reset')
    .argument('<service>')
    .action(async (service: string, _opts: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      await new ApiClient(options).delete(`/api/v1/services/${encodeURIComponent(service)}/alert-policy`);
      if (options.json) return printJson({ service, custom: false });
      say(`Alert policy of ${service} is back to the defaults.`);
    });
}
