import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ApiClient, CliError, EXIT, globalOptions, printJson, printTable } from '../cli/context.ts';
import { INTEGRATION_TYPES } from './alert.model.ts';
import type { AlertOut, IntegrationKeyOut, IntegrationOut } from './alert.service.ts';
import { DEFAULT_HANDOFFS, type FatigueReport, parseHandoffs } from './fatigue.ts';
import type { IntegrationConfig, IntegrationRoute } from './integration.config.ts';

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function ago(at: number | null, now = Date.now()): string | null {
  if (at === null) return null;
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 90) return `${s}s ago`;
  if (s < 5400) return `${Math.round(s / 60)}m ago`;
  if (s < 172_800) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86_400)}d ago`;
}

function printKey(out: IntegrationKeyOut, server: string): void {
  const url = `${server}${out.path}`;
  say(`Integration ${out.integration.name} (${out.integration.type}) for service ${out.integration.service}`);
  say('');
  say(`  key: ${out.key}`);
  say('  (shown only now; rotate it to get a new one)');
  say('');
  if (out.integration.type === 'events-api-v2') {
    say(`  Events API v2 URL: ${url}`);
    say('  Use the key as routing_key, e.g. in Alertmanager:');
    say('    pagerduty_configs:');
    say(`      - routing_key: ${out.key}`);
    say(`        url: ${url}`);
  } else if (out.integration.type === 'alertmanager') {
    say(`  Alertmanager webhook URL: ${url}`);
    say('    webhook_configs:');
    say(`      - url: ${url}`);
    say('        send_resolved: true');
  } else {
    say(`  Webhook URL: ${url}`);
  }
}

/**
 * `--route 'team="payments"=payments'`: Alertmanager matchers (one, or a comma-separated list),
 * then `=` and the service. Service names hold no `=`, so the last one splits them.
 */
export function parseRouteOption(text: string): IntegrationRoute {
  const at = text.lastIndexOf('=');
  const match = text.slice(0, at).trim();
  const service = text.slice(at + 1).trim();
  if (at <= 0 || match === '' || !/^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/.test(service)) {
    throw new CliError(
      `--route must be matchers, "=" and a service, e.g. 'team="payments"=payments' or 'team="payments",severity="critical"=payments' (got "${text}")`,
      EXIT.invalid,
    );
  }
  return { match: [match], service };
}

/** A mapping file (JSON or YAML): the mapping itself, or a whole config with `mapping` and `routes`. */
async function readMappingFile(path: string): Promise<IntegrationConfig> {
  let value: unknown;
  try {
    value = parseYaml(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read the mapping file ${path}: ${(error as Error).message}`, EXIT.invalid);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`${path} must hold a mapping object, e.g. {"summary": "$.title", "severity": "$.level"}`, EXIT.invalid);
  }
  const record = value as Record<string, unknown>;
  return 'mapping' in record || 'routes' in record
    ? (record as IntegrationConfig)
    : { mapping: record as unknown as IntegrationConfig['mapping'] };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

async function configFromOptions(opts: { mappingFile?: string; route?: string[] }): Promise<IntegrationConfig | undefined> {
  if (opts.mappingFile === undefined && opts.route === undefined) return undefined;
  const config: IntegrationConfig = opts.mappingFile ? await readMappingFile(opts.mappingFile) : {};
  if (opts.route) config.routes = opts.route.map(parseRouteOption);
  return config;
}

export function registerAlertCommands(program: Command): void {
  const integration = program.command('integration').description('Integration keys other tools send alerts with');

  integration
    .command('create')
    .description('Create an integration key for a service and print the URL to configure')
    .argument('<name>', 'a name for the integration, e.g. checkout-alertmanager')
    .requiredOption('--service <name>', 'the catalog service its alerts land on')
    .requiredOption('--type <type>', INTEGRATION_TYPES.join(' | '))
    .option('--rate-limit <perMinute>', 'events per minute before 429 (default 6000)')
    .option('--mapping-file <file>', 'webhook type: JSON or YAML mapping, e.g. {"summary": "$.title", "severity": "$.level"}')
    .option(
      '--route <matchers=service>',
      'send matching events to another service, e.g. \'team="payments"=payments\' (repeatable)',
      collect,
    )
    .action(
      async (
        name: string,
        opts: { service: string; type: string; rateLimit?: string; mappingFile?: string; route?: string[] },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        if (!(INTEGRATION_TYPES as readonly string[]).includes(opts.type)) {
          throw new CliError(`--type must be one of ${INTEGRATION_TYPES.join(', ')} (got "${opts.type}")`, EXIT.invalid);
        }
        const rate = opts.rateLimit === undefined ? undefined : Number(opts.rateLimit);
        if (rate !== undefined && (!Number.isInteger(rate) || rate < 1)) {
          throw new CliError(`--rate-limit must be a whole number of at least 1 (got "${opts.rateLimit}")`, EXIT.invalid);
        }
        const config = await configFromOptions(opts);
        const out = await new ApiClient(options).post<IntegrationKeyOut>('/api/v1/integrations', {
          name,
          service: opts.service,
          type: opts.type,
          ...(rate === undefined ? {} : { rateLimitPerMinute: rate }),
          ...(config === undefined ? {} : { config }),
        });
        if (options.json) return printJson({ ...out, url: `${options.server}${out.path}` });
        printKey(out, options.server);
      },
    );

  integration
    .command('config')
    .description("Change an integration's webhook mapping or routes; the key stays the same")
    .argument('<name>')
    .option('--mapping-file <file>', 'JSON or YAML mapping (replaces the current one)')
    .option('--route <matchers=service>', 'routes (replace the current ones; repeatable)', collect)
    .option('--clear-routes', 'remove every route')
    .option('--clear-mapping', 'remove the mapping (a webhook then reads the default mapping)')
    .action(
      async (
        name: string,
        opts: { mappingFile?: string; route?: string[]; clearRoutes?: boolean; clearMapping?: boolean },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        const api = new ApiClient(options);
        const { items } = await api.get<{ items: IntegrationOut[] }>('/api/v1/integrations');
        const current = items.find((i) => i.name === name);
        if (!current) throw new CliError(`no integration named "${name}"`, EXIT.invalid);
        const config: IntegrationConfig = { ...current.config };
        const given = await configFromOptions(opts);
        if (given?.mapping) config.mapping = given.mapping;
        if (given?.routes) config.routes = given.routes;
        if (opts.clearMapping) delete config.mapping;
        if (opts.clearRoutes) delete config.routes;
        const out = await api.put<IntegrationOut>(`/api/v1/integrations/${encodeURIComponent(name)}/config`, config);
        if (options.json) return printJson(out);
        say(
          `Updated ${out.name}: ${out.config.mapping ? 'a mapping' : 'no mapping'}, ${out.config.routes?.length ?? 0} route(s).`,
        );
      },
    );

  integration
    .command('list')
    .description('Integrations with their service, type and key hint (never the key)')
    .action(async (_opts: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const { items } = await new ApiClient(options).get<{ items: IntegrationOut[] }>('/api/v1/integrations');
      if (options.json) return printJson(items);
      if (items.length === 0)
        return say('No integrations yet. Create one: vigil integration create <name> --service <s> --type events-api-v2');
      printTable(
        items.map((i) => ({
          name: i.name,
          service: i.service,
          type: i.type,
          key: `${i.keyHint}…`,
          'limit/min': i.rateLimitPerMinute,
          state: i.revokedAt === null ? 'active' : 'revoked',
        })),
        ['name', 'service', 'type', 'key', 'limit/min', 'state'],
      );
    });

  for (const [verb, description] of [
    ['rotate', 'Replace the key; the old one stops working'],
    ['revoke', 'Revoke the key'],
  ] as const) {
    integration
      .command(verb)
      .description(description)
      .argument('<name>')
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const options = globalOptions(cmd);
        const api = new ApiClient(options);
        if (verb === 'rotate') {
          const out = await api.post<IntegrationKeyOut>(`/api/v1/integrations/${encodeURIComponent(name)}/rotate`);
          if (options.json) return printJson({ ...out, url: `${options.server}${out.path}` });
          return printKey(out, options.server);
        }
        const out = await api.post<IntegrationOut>(`/api/v1/integrations/${encodeURIComponent(name)}/revoke`);
        if (options.json) return printJson(out);
        say(`Revoked ${out.name}: its key is refused from now on.`);
      });
  }

  const alert = program.command('alert').description('Alerts: list, acknowledge, resolve');
  registerFatigueCommand(alert);

  alert
    .command('list')
    .description('Alerts, newest first (open ones unless --status says otherwise)')
    .option('--status <list>', 'triggered, acknowledged, resolved, open or all (comma-separated)', 'open')
    .option('--service <name>', 'only this service')
    .option('--limit <n>', 'at most this many', '50')
    .option('--offset <n>', 'skip this many', '0')
    .action(async (opts: { status: string; service?: string; limit: string; offset: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const page = await new ApiClient(options).get<{ items: AlertOut[]; total: number; limit: number; offset: number }>(
        '/api/v1/alerts',
        {
          status: opts.status,
          service: opts.service,
          limit: opts.limit,
          offset: opts.offset,
        },
      );
      if (options.json) return printJson(page);
      if (page.items.length === 0) return say(opts.status === 'open' ? 'No open alerts.' : 'No alerts match.');
      printTable(
        page.items.map((a) => ({
          id: a.id,
          status: a.status,
          severity: a.severity,
          service: a.service,
          summary: a.summary.length > 70 ? `${a.summary.slice(0, 69)}…` : a.summary,
          events: a.eventCount,
          opened: ago(a.createdAt),
        })),
        ['id', 'status', 'severity', 'service', 'summary', 'events', 'opened'],
      );
      say(`\nshowing ${page.offset + 1}–${page.offset + page.items.length} of ${page.total}`);
    });

  for (const [verb, path, done] of [
    ['ack', 'acknowledge', 'Acknowledged'],
    ['resolve', 'resolve', 'Resolved'],
  ] as const) {
    alert
      .command(verb)
      .description(verb === 'ack' ? 'Acknowledge alerts: you are on it' : 'Resolve alerts')
      .argument('<id...>', 'alert ids (from vigil alert list)')
      .action(async (ids: string[], _opts: unknown, cmd: Command) => {
        const options = globalOptions(cmd);
        const api = new ApiClient(options);
        const out: AlertOut[] = [];
        for (const id of ids) out.push(await api.post<AlertOut>(`/api/v1/alerts/${encodeURIComponent(id)}/${path}`));
        if (options.json) return printJson(out);
        for (const a of out) say(`${done} ${a.id}: ${a.summary} (${a.service})`);
      });
  }
}

function percent(share: number | null): string {
  return share === null ? '-' : `${Math.round(share * 100)}%`;
}

function localTime(at: number, timeZone: string): string {
  // sv-SE writes 2026-03-02 10:00, the order people read in logs and tables.
  return new Intl.DateTimeFormat('sv-SE', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

/** `vigil alert fatigue`: pages per team and shift, off-hours, acknowledged, noise, the noisiest sources. */
function registerFatigueCommand(alert: Command): void {
  alert
    .command('fatigue')
    .description('Alert fatigue per team and on-call shift: pages, off-hours, acknowledged, noise, noisiest sources')
    .option('--team <name>', 'only this team')
    .option('--days <n>', 'the last n days', '28')
    .option('--time-zone <zone>', 'IANA time zone of shifts and working hours', 'UTC')
    .option(
      '--handoffs <times>',
      'local times on-call hands over, 1 to 6 distinct HH:MM, comma-separated (09:00,21:00; 07:00,15:00,23:00; 09:00)',
      DEFAULT_HANDOFFS.join(','),
    )
    .action(async (opts: { team?: string; days: string; timeZone: string; handoffs: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) {
        throw new CliError(`--days must be a whole number from 1 to 366 (got "${opts.days}")`, EXIT.invalid);
      }
      let handoffs: string[];
      try {
        handoffs = parseHandoffs(opts.handoffs, '--handoffs');
      } catch (error) {
        throw new CliError((error as Error).message, EXIT.invalid);
      }
      const r = await new ApiClient(options).get<FatigueReport>('/api/v1/alerts/fatigue', {
        team: opts.team,
        days: String(days),
        timeZone: opts.timeZone,
        handoffs: handoffs.join(','),
      });
      if (options.json) return printJson(r);
      const tz = r.timeZone;
      const limit = r.limitPagesPer12h;
      say(`Alert fatigue ${localTime(r.from, tz)} → ${localTime(r.to, tz)} ${tz} (${days} days)`);
      // With other handoffs than 08:00/20:00 shifts need not be 12 hours long: say "per 12 h".
      const per12h = r.handoffs !== null && r.handoffs.join(',') === DEFAULT_HANDOFFS.join(',') ? '' : ' per 12 h';
      say(
        `Shifts: ${r.shiftSchedule}. A shift with more than ${limit} pages per 12 hours, or a team averaging more, is flagged.`,
      );
      say('');
      if (r.totals.alerts === 0) say('No alerts were triggered in this period.\n');
      printTable(
        r.teams.map((t) => ({
          team: t.team ?? '(no owner)',
          pages: t.pages,
          'per 12h': t.pagesPer12h.toFixed(2),
          'max/shift': t.maxShiftPages,
          'off-hours': `${t.outsideWorkingHours} (${percent(t.outsideWorkingHoursShare)})`,
          acked: `${t.acknowledged} (${percent(t.acknowledgedShare)})`,
          noise: `${t.noise} (${percent(t.noiseShare)})`,
          suppressed: t.suppressed,
          flag: t.flagged ? `over ${limit}/12h` : t.flaggedShifts > 0 ? `${t.flaggedShifts} busy shift(s)` : 'ok',
        })),
        ['team', 'pages', 'per 12h', 'max/shift', 'off-hours', 'acked', 'noise', 'suppressed', 'flag'],
      );
      const flagged = r.teams.flatMap((t) => t.shifts.filter((s) => s.flagged).map((s) => ({ team: t.team, ...s })));
      say('');
      say(`Shifts over ${limit} pages${per12h}: ${flagged.length === 0 ? 'none' : flagged.length}`);
      if (flagged.length > 0) {
        printTable(
          flagged
            .sort((a, b) => b.pages - a.pages || a.start - b.start)
            .slice(0, 20)
            .map((s) => ({
              team: s.team ?? '(no owner)',
              shift: s.label,
              pages: s.pages,
              'off-hours': s.outsideWorkingHours,
              acked: s.acknowledged,
              noise: s.noise,
              'per 12h': s.pagesPer12h.toFixed(2),
            })),
          ['team', 'shift', 'pages', 'off-hours', 'acked', 'noise', 'per 12h'],
        );
        if (flagged.length > 20) say(`… and ${flagged.length - 20} more (--json lists them all)`);
      }
      say('');
      say('Noisiest sources:');
      printTable(
        r.sources.map((s) => ({
          service: s.service,
          via: s.via,
          source: s.key.length > 50 ? `${s.key.slice(0, 49)}…` : s.key,
          pages: s.pages,
          noise: `${s.noise} (${percent(s.noiseShare)})`,
          acked: s.acknowledged,
          'off-hours': s.outsideWorkingHours,
        })),
        ['service', 'via', 'source', 'pages', 'noise', 'acked', 'off-hours'],
      );
    });
}
