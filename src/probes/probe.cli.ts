import type { Command } from 'commander';
import { ApiClient, CliError, EXIT, globalOptions, printJson, printTable } from '../cli/context.ts';
import { percent, shortDuration } from '../slo/slo.cli.ts';
import {
  type DailyUptimeOut,
  type HeartbeatKeyOut,
  PROBE_STATUSES,
  type ProbeAlertOut,
  type ProbeDetailOut,
  type ProbeListOut,
  type ProbeResultOut,
  type ProbeSummaryOut,
} from './probe.api.ts';
import { PROBE_TYPES } from './probe.model.ts';

/**
 * `vigil probe …` and `vigil heartbeat …`: list, inspect, run and pause probes, read their
 * alerts, and ping heartbeats from cron jobs. Everything goes through the HTTP API.
 */

/**
 * `vigil probe run` exits with this when the check ran but failed, so a script can tell "the
 * target is broken" (2) from "the check could not be asked for" (1, 3, 4, 5). It is the code
 * `vigil plan` uses for drift: "ran fine, and found a problem".
 */
export const CHECK_FAILED = EXIT.drift;

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function client(cmd: Command): { api: ApiClient; json: boolean; server: string } {
  const options = globalOptions(cmd);
  return { api: new ApiClient(options), json: options.json, server: options.server };
}

const probePath = (name: string): string => `/api/v1/probes/${encodeURIComponent(name)}`;

// ---------------------------------------------------------------------------------------------
// Formatting

/** A latency for people: `87ms`, `1.42s`; `-` when unknown. */
export function latency(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  return `${(ms / 1000).toFixed(2).replace(/\.?0+$/, '')}s`;
}

/** How long ago an instant was, from this machine's clock: `12s ago`; `just now` within a second (or ahead of it). */
export function ago(at: number | null, now = Date.now()): string | null {
  if (at === null) return null;
  const ms = now - at;
  return ms < 1000 ? 'just now' : `${shortDuration(ms)} ago`;
}

/** A mean time such as MTTR: `3d4h`, or `—` when the window holds no such period. */
export function meanTime(ms: number | null): string {
  return ms === null ? '—' : shortDuration(ms);
}

/** One character per day: `█` ≥ 99.9 %, `▆` ≥ 99 %, `▃` ≥ 95 %, `▁` below, `·` no checks. */
export function uptimeChar(uptime: number | null): string {
  if (uptime === null) return '·';
  if (uptime >= 0.999) return '█';
  if (uptime >= 0.99) return '▆';
  if (uptime >= 0.95) return '▃';
  return '▁';
}

/** The daily uptimes (oldest first) as a text bar, one character per day. */
export function uptimeBar(daily: ReadonlyArray<Pick<DailyUptimeOut, 'uptime'>>): string {
  return daily.map((d) => uptimeChar(d.uptime)).join('');
}

const BAR_LEGEND = '█ ≥99.9%  ▆ ≥99%  ▃ ≥95%  ▁ <95%  · no checks';

/** `since` is when the probe last turned up or down; a paused probe shows no duration. */
function statusSince(p: Pick<ProbeSummaryOut, 'status' | 'since'>, now: number): string {
  if (p.since === null || p.status === 'paused') return p.status;
  return `${p.status} (${shortDuration(Math.max(0, now - p.since))})`;
}

function lastCheck(p: ProbeSummaryOut, now: number): string | null {
  if (p.lastCheckAt === null) return null;
  return `${ago(p.lastCheckAt, now)}${p.lastOk === false ? ', failed' : ''}`;
}

const LIST_COLUMNS = ['name', 'service', 'type', 'status', 'last check', 'latency', '24h', '7d'];

function listRows(items: ProbeSummaryOut[]): Array<Record<string, unknown>> {
  const now = Date.now();
  return items.map((p) => ({
    name: p.name,
    service: p.service,
    type: p.type,
    status: statusSince(p, now),
    'last check': lastCheck(p, now),
    // A ping takes no time worth showing.
    latency: p.type === 'heartbeat' ? null : latency(p.lastDurationMs),
    '24h': percent(p.uptime['24h']),
    '7d': percent(p.uptime['7d']),
  }));
}

function countsLine(counts: ProbeListOut['counts']): string {
  return `${counts.up} up, ${counts.down} down, ${counts.unknown} unknown, ${counts.paused} paused`;
}

function printList(items: ProbeSummaryOut[], total: number, offset: number, counts: ProbeListOut['counts']): void {
  printTable(listRows(items), LIST_COLUMNS);
  const range = items.length === 0 ? `none of ${total}` : `${offset + 1}–${offset + items.length} of ${total}`;
  say(`\n${countsLine(counts)} · showing ${range}`);
}

const NO_PROBES = 'No probes yet. Declare them in manifests (kind: Probe) and run `vigil apply`, or POST /api/v1/probes.';

/** Failing conditions first, then the error: why a check failed, in one line. */
function failureReason(r: ProbeResultOut): string | null {
  if (r.ok) return null;
  const failed = r.conditionResults.filter((c) => !c.ok).map((c) => c.description);
  return [r.error, ...failed].filter((x): x is string => Boolean(x)).join('; ') || 'failed';
}

function iso(at: number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}

function printDetail(p: ProbeDetailOut, results: ProbeResultOut[]): void {
  const now = Date.now();
  const row = (label: string, value: string): void => say(`${label.padEnd(12)}${value}`);
  say(`${p.name}  (${p.type} probe of ${p.service}${p.source ? `, from ${p.source}` : ''})`);
  if (p.description) say(`  ${p.description}`);
  say();
  row(
    'status',
    p.since === null || p.status === 'paused'
      ? p.status
      : `${p.status} since ${iso(p.since)} (${shortDuration(Math.max(0, now - p.since))})`,
  );
  row('target', p.target);
  if (p.type !== 'heartbeat') row('interval', p.interval);
  if (p.lastCheckAt !== null) {
    const took = p.type === 'heartbeat' ? '' : ` in ${latency(p.lastDurationMs) ?? '?'}`;
    row('last check', `${ago(p.lastCheckAt, now)}, ${p.lastOk ? 'passed' : 'failed'}${took}`);
  }
  if (p.heartbeat) {
    row(
      'last ping',
      p.heartbeat.lastPingAt === null ? 'never' : `${iso(p.heartbeat.lastPingAt)} (${ago(p.heartbeat.lastPingAt, now)})`,
    );
    if (p.heartbeat.deadlineAt !== null) {
      const left = p.heartbeat.deadlineAt - now;
      row(
        'deadline',
        `${iso(p.heartbeat.deadlineAt)} (${left > 0 ? `in ${shortDuration(left)}` : `${shortDuration(-left)} ago`})`,
      );
    }
  }
  const up = (w: keyof ProbeDetailOut['uptimes']): string => `${w} ${percent(p.uptimes[w]) ?? '—'}`;
  row('uptime', [up('24h'), up('7d'), up('30d'), up('90d')].join('   '));
  const r = p.reliability;
  row(
    'reliability',
    `MTBF ${meanTime(r.mtbfMs)}   MTTF ${meanTime(r.mttfMs)}   MTTR ${meanTime(r.mttrMs)}   (${r.failures} failure${r.failures === 1 ? '' : 's'} in ${r.window})`,
  );
  if (p.slis.length > 0) row('SLIs', p.slis.join(', '));
  say();
  say(`${p.daily.length} days, oldest first:`);
  say(`  ${uptimeBar(p.daily)}`);
  say(`  ${BAR_LEGEND}`);

  const a = p.openAlert;
  say();
  if (a) {
    say(`Alert firing since ${iso(a.openedAt)} (${a.kind}): ${a.reason}`);
    for (const line of excerptLines(a.excerpt, 5)) say(`  | ${line}`);
  } else {
    say('No alert open.');
  }

  say('\nTransitions (latest first):');
  printTable(
    p.transitions.slice(0, 10).map((t) => ({ at: iso(t.at), from: t.from, to: t.to, reason: t.reason })),
    ['at', 'from', 'to', 'reason'],
  );
  say('\nResults (latest first):');
  printTable(
    results.slice(0, 10).map((x) => ({
      at: iso(x.at),
      result: x.ok ? 'ok' : 'FAIL',
      status: x.status ?? null,
      latency: latency(x.durationMs),
      why: failureReason(x),
    })),
    ['at', 'result', 'status', 'latency', 'why'],
  );
}

/** The first `max` lines of a body excerpt, and whether more were cut. */
function excerptLines(text: string, max: number): string[] {
  const lines = text.replace(/\r\n/g, '\n').replace(/\n+$/, '').split('\n');
  if (text.trim() === '') return [];
  return lines.length > max ? [...lines.slice(0, max), `… (${lines.length - max} more lines)`] : lines;
}

const PHASES: Array<[keyof ProbeResultOut['phases'], string]> = [
  ['dnsMs', 'DNS'],
  ['connectMs', 'Connect'],
  ['tlsMs', 'TLS'],
  ['firstByteMs', 'First byte'],
  ['totalMs', 'Total'],
];

/** A run on demand, in the manner of blackbox_exporter's debug output. */
export function formatRun(name: string, r: ProbeResultOut): string {
  const lines: string[] = [];
  const row = (label: string, value: string): void => {
    lines.push(`${label.padEnd(14)}${value}`);
  };
  lines.push(`Probe ${name}, checked at ${new Date(r.at).toISOString()}`);
  for (const [key, label] of PHASES) row(label, `${r.phases[key].toFixed(1)} ms`);
  if (r.status !== undefined) row('Status', String(r.status));
  if (r.ip !== undefined) row('IP', r.ip);
  if (r.dnsRcode !== undefined) row('DNS rcode', r.dnsRcode);
  if (r.certificateExpiresAt !== undefined) row('Certificate', `expires ${new Date(r.certificateExpiresAt).toISOString()}`);
  if (r.error !== undefined) row('Error', r.error);
  if (r.conditionResults.length > 0) {
    lines.push('Conditions');
    for (const c of r.conditionResults) lines.push(`  ${c.ok ? '✓' : '✗'} ${c.description}`);
  }
  const body = excerptLines(r.bodyExcerpt, 10);
  if (body.length > 0) {
    lines.push(`Body${r.bodyTruncated ? ' (truncated at the probe’s body limit)' : ''}`);
    for (const line of body) lines.push(`  | ${line}`);
  }
  lines.push(r.ok ? `Check passed in ${latency(r.durationMs)}` : `Check FAILED after ${latency(r.durationMs)}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Options

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliError(`${flag} must be one of ${allowed.join(', ')} (got "${value}")`, EXIT.invalid);
  }
  return value as T;
}

function count(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new CliError(`${flag} must be a whole number of at least ${min} (got "${value}")`, EXIT.invalid);
  }
  return Number(value);
}

/** Every page of the probe list, following `offset` until `total` is reached. */
async function allProbes(api: ApiClient): Promise<ProbeListOut> {
  const first = await api.get<ProbeListOut>('/api/v1/probes');
  const items = [...first.items];
  while (items.length < first.total) {
    const page = await api.get<ProbeListOut>('/api/v1/probes', { limit: first.limit, offset: items.length });
    if (page.items.length === 0) break;
    items.push(...page.items);
  }
  return { ...first, items, offset: 0, limit: items.length };
}

// ---------------------------------------------------------------------------------------------
// Commands

export function registerProbeCommands(program: Command): void {
  const probe = program
    .command('probe')
    .description('Uptime probes (HTTP, TCP, DNS, TLS, heartbeat): status, uptime, runs on demand, alerts');

  probe
    .command('list')
    .description('Probes with their status, last check, latency and 24h / 7d uptime')
    .option('--service <name>', 'only probes of this service')
    .option('--status <status>', 'up, down, unknown or paused')
    .option('--type <type>', 'http, tcp, dns, tls or heartbeat')
    .option('-q, --query <text>', 'only probes whose name contains this')
    .option('--limit <n>', 'at most this many')
    .option('--offset <n>', 'skip this many')
    .action(
      async (
        opts: { service?: string; status?: string; type?: string; query?: string; limit?: string; offset?: string },
        cmd: Command,
      ) => {
        const query = {
          service: opts.service,
          status: oneOf('--status', opts.status, PROBE_STATUSES),
          type: oneOf('--type', opts.type, PROBE_TYPES),
          q: opts.query,
          limit: count('--limit', opts.limit, 1),
          offset: count('--offset', opts.offset, 0),
        };
        const { api, json } = client(cmd);
        const list = await api.get<ProbeListOut>('/api/v1/probes', query);
        if (json) return printJson(list);
        const filtered = [opts.service, opts.status, opts.type, opts.query].some((x) => x !== undefined);
        if (list.total === 0) return say(filtered ? 'No probes match.' : NO_PROBES);
        printList(list.items, list.total, list.offset, list.counts);
      },
    );

  probe
    .command('status [name]')
    .description('Every probe (all pages), or one in detail: uptimes, MTBF/MTTR, 90-day bar, alert, transitions, results')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      if (!name) {
        const list = await allProbes(api);
        if (json) return printJson(list);
        if (list.total === 0) return say(NO_PROBES);
        printList(list.items, list.total, 0, list.counts);
        return;
      }
      const detail = await api.get<ProbeDetailOut>(probePath(name));
      const { items: results } = await api.get<{ items: ProbeResultOut[] }>(`${probePath(name)}/results`, { limit: 10 });
      if (json) return printJson({ ...detail, results });
      printDetail(detail, results);
    });

  probe
    .command('run <name>')
    .description(`Run a check now and show its phases, conditions and body; exits ${CHECK_FAILED} when the check fails`)
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      const result = await api.post<ProbeResultOut>(`${probePath(name)}/run`);
      if (json) printJson(result);
      else process.stdout.write(formatRun(name, result));
      if (!result.ok) process.exitCode = CHECK_FAILED;
    });

  for (const [verb, description] of [
    ['pause', 'Stop running a probe (its history stays; a paused heartbeat is not judged)'],
    ['resume', 'Run a paused probe again; it is unknown until its first check'],
  ] as const) {
    probe
      .command(`${verb} <name>`)
      .description(description)
      .action(async (name: string, _opts: unknown, cmd: Command) => {
        const { api, json } = client(cmd);
        const detail = await api.post<ProbeDetailOut>(`${probePath(name)}/${verb}`);
        if (json) return printJson(detail);
        say(`${detail.name}: ${verb === 'pause' ? 'paused' : 'resumed'} (status ${detail.status})`);
      });
  }

  probe
    .command('delete <name>')
    .description('Delete a probe and its history')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const { api, json } = client(cmd);
      await api.delete<null>(probePath(name));
      if (json) return printJson({ name, deleted: true });
      say(`${name}: deleted`);
    });

  probe
    .command('alerts')
    .description('Probe alerts: down and missed-heartbeat (firing by default)')
    .option('--state <state>', 'firing, resolved or all', 'firing')
    .option('--probe <name>', 'only this probe')
    .action(async (opts: { state: string; probe?: string }, cmd: Command) => {
      const state = oneOf('--state', opts.state, ['firing', 'resolved', 'all'] as const);
      const { api, json } = client(cmd);
      const { items } = await api.get<{ items: ProbeAlertOut[] }>('/api/v1/probe-alerts', { state, probe: opts.probe });
      if (json) return printJson({ items });
      if (items.length === 0) return say(state === 'firing' ? 'No probe alerts firing.' : 'No probe alerts.');
      printTable(
        items.map((a) => ({
          probe: a.probe,
          service: a.service,
          kind: a.kind,
          state: a.state,
          opened: iso(a.openedAt),
          resolved: iso(a.resolvedAt),
          reason: a.reason,
        })),
        ['probe', 'service', 'kind', 'state', 'opened', 'resolved', 'reason'],
      );
    });

  const heartbeat = program.command('heartbeat').description('Heartbeat probes: ping URLs for cron jobs, and pings');

  heartbeat
    .command('key <probe>')
    .description("A heartbeat probe's key, its ping URL and a curl line for the job (--rotate: a new key; the old stops working)")
    .option('--rotate', 'replace the key', false)
    .action(async (name: string, opts: { rotate: boolean }, cmd: Command) => {
      const { api, json, server } = client(cmd);
      const path = `${probePath(name)}/heartbeat-key`;
      const hb = opts.rotate ? await api.post<HeartbeatKeyOut>(`${path}/rotate`) : await api.get<HeartbeatKeyOut>(path);
      const url = `${server}${hb.path}`;
      if (json) return printJson({ ...hb, url, failUrl: `${url}/fail` });
      if (opts.rotate) say(`New key for ${hb.probe}; the old one no longer works.\n`);
      say(`probe     ${hb.probe}`);
      say(`key       ${hb.key}`);
      say(`ping URL  ${url}`);
      say(`fail URL  ${url}/fail`);
      say('\nAt the end of each successful run:');
      say(`  curl -fsS -m 10 --retry 3 -X POST ${url}`);
      say('or:');
      say(`  vigil heartbeat ping ${hb.key} --server ${server}`);
    });

  heartbeat
    .command('ping <key>')
    .description('Ping a heartbeat (the key, or its whole ping URL); exits non-zero unless the ping is accepted')
    .option('--fail', 'report a failed run: the probe goes down at once', false)
    .action(async (key: string, opts: { fail: boolean }, cmd: Command) => {
      const options = globalOptions(cmd);
      // The key is the credential: no token is sent, so a cron job needs nothing else.
      let server = options.server;
      let path = `/api/v1/heartbeats/${encodeURIComponent(key)}`;
      let fail = opts.fail;
      if (/^https?:\/\//.test(key)) {
        // A whole ping URL, as `vigil heartbeat key` prints it; its fail URL reports a failure.
        const url = key.replace(/\/+$/, '');
        fail ||= url.endsWith('/fail');
        server = url.replace(/\/fail$/, '');
        path = '';
      }
      const api = new ApiClient({ server });
      const res = await api.post<{ ok: boolean; probe: string; status: string }>(`${path}${fail ? '/fail' : ''}`);
      if (!res?.ok) throw new CliError('the ping was not accepted');
      if (options.json) return printJson(res);
      say(`${fail ? 'failure reported' : 'ping accepted'}: ${res.probe} is ${res.status}`);
    });
}
