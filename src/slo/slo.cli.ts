import type { Command } from 'commander';
import { ApiClient, CliError, EXIT, globalOptions, printJson, printTable } from '../cli/context.ts';
import type { ServicePolicy, SloAlert, SloStatus } from './slo.service.ts';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function client(cmd: Command): { api: ApiClient; json: boolean } {
  const options = globalOptions(cmd);
  return { api: new ApiClient(options), json: options.json };
}

/** 0.99953 → `99.953%`: enough decimals to tell nines apart, no trailing noise. */
export function percent(ratio: number | null): string | null {
  if (ratio === null) return null;
  const p = ratio * 100;
  const text = Math.abs(p) >= 99 ? p.toFixed(3) : p.toFixed(1);
  return `${text.replace(/\.?0+$/, '')}%`;
}

/** A span in its largest unit and the next one down: `3d4h`, `47m`, `1h` (for 1h0m30s), `12s`. */
export function shortDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  const rest = Math.max(0, Math.round(ms));
  const first = units.findIndex(([, size]) => rest >= size);
  if (first < 0) return '0s';
  const [unit, size] = units[first] as [string, number];
  const whole = Math.floor(rest / size);
  const next = units[first + 1];
  const part = next ? Math.floor((rest - whole * size) / next[1]) : 0;
  return `${whole}${unit}${next && part > 0 ? `${part}${next[0]}` : ''}`;
}

function burn(rate: number | null): string | null {
  if (rate === null) return null;
  return `${rate >= 10 ? rate.toFixed(1) : rate.toFixed(2)}×`;
}

function statusRows(items: SloStatus[]): Array<Record<string, unknown>> {
  return items.flatMap((s) =>
    s.objectives.map((o) => ({
      name: s.objectives.length > 1 ? `${s.name}/${o.objective}` : s.name,
      service: s.service,
      sli: percent(o.sli),
      target: percent(o.target),
      remaining: percent(o.remainingRatio),
      'burn 1h': burn(o.burnRates['1h']),
      exhaustion:
        o.timeToExhaustionMs === null ? null : o.remainingRatio <= 0 ? 'exhausted' : shortDuration(o.timeToExhaustionMs),
      policy: s.policy.state,
      alerts: s.alerts.length > 0 ? s.alerts.map((a) => a.rule).join(',') : null,
    })),
  );
}
const STATUS_COLUMNS = ['name', 'service', 'sli', 'target', 'remaining', 'burn 1h', 'exhaustion', 'policy', 'alerts'];

function printPolicy(p: ServicePolicy): void {
  say(`${p.service}: ${p.state}${p.actions.length > 0 ? ` (${p.actions.join(', ')})` : ''}`);
  say(`  remaining budget: ${p.remainingRatio === null ? 'no SLOs' : percent(p.remainingRatio)}`);
  if (p.override) {
    say(`  override until ${new Date(p.override.until).toISOString()} by ${p.override.actor}: ${p.override.reason}`);
  }
}

export function registerSloCommands(program: Command): void {
  const slo = program.command('slo').description('SLOs and error budgets: status, alerts, policy overrides');

  slo
    .command('status [name]')
    .description('Remaining error budget, burn rate and policy of every SLO (or of one), lowest budget first')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const items = name
        ? [await api.get<SloStatus>(`/api/v1/slos/${encodeURIComponent(name)}`)]
        : (await api.get<{ items: SloStatus[] }>('/api/v1/slos')).items;
      if (json) return printJson(name ? items[0] : { items });
      if (items.length === 0) {
        say('No SLOs yet. Declare them in manifests (OpenSLO or vigil.dev/v1) and run `vigil apply`.');
        return;
      }
      printTable(statusRows(items), STATUS_COLUMNS);
      const halted = [...new Set(items.filter((s) => s.policy.state === 'halted').map((s) => s.service))];
      if (halted.length > 0) say(`\nBudget exhausted, deploys halted: ${halted.join(', ')} (see \`vigil slo override\`)`);
    });

  slo
    .command('alerts')
    .description('Burn-rate and no-data alerts (firing by default)')
    .option('--state <state>', 'firing, resolved or all', 'firing')
    .option('--slo <name>', 'only this SLO')
    .action(async (opts: { state: string; slo?: string }, cmd: Command) => {
      if (!['firing', 'resolved', 'all'].includes(opts.state)) {
        throw new CliError(`--state must be firing, resolved or all (got "${opts.state}")`, EXIT.invalid);
      }
      const { api, json } = client(cmd);
      const { items } = await api.get<{ items: SloAlert[] }>('/api/v1/slo-alerts', { state: opts.state, slo: opts.slo });
      if (json) return printJson({ items });
      if (items.length === 0) {
        say(opts.state === 'firing' ? 'No alerts firing.' : 'No alerts.');
        return;
      }
      printTable(
        items.map((a) => ({
          slo: a.slo,
          objective: a.objective,
          rule: a.rule,
          severity: a.severity,
          state: a.state,
          fired: new Date(a.firedAt).toISOString(),
          resolved: a.resolvedAt === null ? null : new Date(a.resolvedAt).toISOString(),
          reason: typeof a.data.reason === 'string' ? a.data.reason : null,
        })),
        ['slo', 'objective', 'rule', 'severity', 'state', 'fired', 'resolved', 'reason'],
      );
    });

  slo
    .command('policy <service>')
    .description("A service's error budget policy state")
    .action(async (service: string, _opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const policy = await api.get<ServicePolicy>(`/api/v1/services/${encodeURIComponent(service)}/policy`);
      if (json) return printJson(policy);
      printPolicy(policy);
    });

  slo
    .command('override <service>')
    .description('Lift a halting error budget policy for a while, with a reason the journal keeps')
    .requiredOption('--reason <text>', 'why deploys must go ahead despite the budget')
    .requiredOption('--until <when>', 'a duration from now (2h) or an ISO 8601 instant')
    .action(async (service: string, opts: { reason: string; until: string }, cmd: Command) => {
      const { api, json } = client(cmd);
      const policy = await api.post<ServicePolicy>(`/api/v1/services/${encodeURIComponent(service)}/policy/override`, {
        reason: opts.reason,
        until: opts.until,
      });
      if (json) return printJson(policy);
      printPolicy(policy);
    });
}
