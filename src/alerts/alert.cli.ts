import type { Command } from 'commander';
import { ApiClient, CliError, EXIT, globalOptions, printJson, printTable } from '../cli/context.ts';
import { INTEGRATION_TYPES } from './alert.model.ts';
import type { AlertOut, IntegrationKeyOut, IntegrationOut } from './alert.service.ts';

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

export function registerAlertCommands(program: Command): void {
  const integration = program.command('integration').description('Integration keys other tools send alerts with');

  integration
    .command('create')
    .description('Create an integration key for a service and print the URL to configure')
    .argument('<name>', 'a name for the integration, e.g. checkout-alertmanager')
    .requiredOption('--service <name>', 'the catalog service its alerts land on')
    .requiredOption('--type <type>', INTEGRATION_TYPES.join(' | '))
    .option('--rate-limit <perMinute>', 'events per minute before 429 (default 6000)')
    .action(async (name: string, opts: { service: string; type: string; rateLimit?: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      if (!(INTEGRATION_TYPES as readonly string[]).includes(opts.type)) {
        throw new CliError(`--type must be one of ${INTEGRATION_TYPES.join(', ')} (got "${opts.type}")`, EXIT.invalid);
      }
      const rate = opts.rateLimit === undefined ? undefined : Number(opts.rateLimit);
      if (rate !== undefined && (!Number.isInteger(rate) || rate < 1)) {
        throw new CliError(`--rate-limit must be a whole number of at least 1 (got "${opts.rateLimit}")`, EXIT.invalid);
      }
      const out = await new ApiClient(options).post<IntegrationKeyOut>('/api/v1/integrations', {
        name,
        service: opts.service,
        type: opts.type,
        ...(rate === undefined ? {} : { rateLimitPerMinute: rate }),
      });
      if (options.json) return printJson({ ...out, url: `${options.server}${out.path}` });
      printKey(out, options.server);
    });

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
