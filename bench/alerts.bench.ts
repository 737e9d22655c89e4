/**
 * Alert ingestion and notification: Events API v2 throughput on SQLite and PostgreSQL and latency from event to signed webhook at 1,000 events/s, against Alertmanager's POST /api/v2/alerts.
 *
 * For each system, one after the other so they do not share the 2 cores:
 *
 * - Vigil (`node bin/vigil.mjs server` child, on a SQLite file and then on a fresh PostgreSQL
 *   database): a team and two services applied as manifests, an `events-api-v2` integration on
 *   each (rate limit 1,000,000 a minute, the API's maximum) and a webhook notification target on
 *   the second only. Throughput: `--warmup` then `--duration` seconds of a closed loop of
 *   concurrent senders (an undici Pool, one keep-alive connection each) posting distinct trigger
 *   events (severity critical) to `POST /v2/enqueue` with the first service's key, which has no
 *   target, so the figure is ingestion alone. Latency: an open loop at 1,000 events/s with the
 *   second service's key; a receiver in the bench process verifies each webhook's signature,
 *   reads the alert's dedup key and records its arrival; latency is arrival minus the moment the
 *   event was sent (and minus its 202, in the notes).
 * - Alertmanager (Debian package `prometheus-alertmanager`, no cluster): a route with
 *   `group_by: ['...']` (one group per alert), `group_wait: 0s` and hour-long group and repeat
 *   intervals; alerts labelled `phase="latency"` go to a webhook receiver, the rest to a receiver
 *   without integrations. The same two loops post one alert per `POST /api/v2/alerts` with labels
 *   alertname, dedup, service, severity and phase.
 *
 * Alertmanager keeps alerts in memory and answers before anything is on disk; Vigil commits each
 * event (group commit) before its 202.
 *
 * Options (environment): VIGIL_BENCH_ALERTS_ONLY=sqlite,postgres,alertmanager (any subset),
 * VIGIL_BENCH_ALERTS_CONNECTIONS=<n> (default 64), VIGIL_BENCH_ALERTS_RATE=<events/s> (default
 * 1,000), VIGIL_BENCH_ALERTS_PROFILE=<dir> (writes a V8 CPU profile of each Vigil server there),
 * VIGIL_BENCH_ALERTS_SERVER_ROOT=<checkout> (runs that checkout's `bin/vigil.mjs`, to compare
 * versions; the figures then say so).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { verifyWebhookSignature } from '../src/alerts/channels/index.ts';
import {
  awaitArrivals,
  type ClosedLoopResult,
  closedLoop,
  newPool,
  type OpenLoopResult,
  openLoop,
  type Receiver,
  type Sender,
  startReceiver,
} from './alerts-load.ts';
import { summarize } from './lib/load.ts';
import { freshPostgresDatabase, postgresVersion } from './lib/postgres.ts';
import { type ChildHandle, freePort, startProcess, waitForReady } from './lib/process.ts';
import { markdownTable } from './lib/report.ts';
import type { BenchContext, BenchReport, BenchRow, LatencySummary, LoadResult, Target } from './lib/types.ts';

const ALERTMANAGER = 'prometheus-alertmanager';
const THROUGHPUT_TARGET = 5_000;
/** Connections of the sustained run's pool: enough that the sender never waits for one. */
const SUSTAINED_CONNECTIONS = 256;
/** The sustained run kept up when every event was answered, p99 and the last answer within this. */
const SUSTAINED_BOUND_MS = 1_000;
const LATENCY_TARGET: Target = { metric: 'p99', belowMs: 500 };
/** The API's maximum per integration; the bucket starts full, so no run here comes near it. */
const RATE_LIMIT_PER_MINUTE = 1_000_000;
/** How long after the last measured event the run waits for its notifications. */
const DELIVERY_GRACE_MS = 20_000;
const WEBHOOK_SECRET = `bench-secret-${randomBytes(12).toString('hex')}`;
const RECEIVER_PATH_VIGIL = '/vigil';
const RECEIVER_PATH_AM = '/alertmanager';

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '–');
/** a ÷ b as `0.42×`, or `–` when either side has no finite figure. */
const times = (a: number, b: number, digits = 2): string => {
  const r = a / b;
  return Number.isFinite(r) ? `${r.toFixed(digits)}×` : '–';
};

interface Options {
  connections: number;
  rate: number;
  sides: Set<'sqlite' | 'postgres' | 'alertmanager'>;
  profileDir: string | null;
  /** The checkout whose `bin/vigil.mjs` runs (default this one), for before/after comparisons. */
  serverRoot: string | null;
}

function options(): Options {
  const env = process.env;
  const positive = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number ≥ 1, got ${raw}`);
    return n;
  };
  const all = ['sqlite', 'postgres', 'alertmanager'] as const;
  const only = (env.VIGIL_BENCH_ALERTS_ONLY ?? '').split(',').filter(Boolean);
  for (const o of only) if (!(all as readonly string[]).includes(o)) throw new Error(`VIGIL_BENCH_ALERTS_ONLY: unknown ${o}`);
  return {
    connections: positive('VIGIL_BENCH_ALERTS_CONNECTIONS', 64),
    rate: positive('VIGIL_BENCH_ALERTS_RATE', 1000),
    sides: new Set(only.length > 0 ? (only as Array<(typeof all)[number]>) : all),
    profileDir: env.VIGIL_BENCH_ALERTS_PROFILE || null,
    serverRoot: env.VIGIL_BENCH_ALERTS_SERVER_ROOT || null,
  };
}

// --- /proc ------------------------------------------------------------------------------------

/** CPU seconds (user + system) a process has used so far; NaN once it is gone. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds every PostgreSQL server process has used so far (0 where there is none). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (!stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).startsWith('postgres')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}

function rssBytes(pid: number): number {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib ? Number(kib) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

// --- One system's figures -----------------------------------------------------------------------

interface Throughput {
  result: ClosedLoopResult;
  /** CPU seconds of the server per 1,000 accepted events over warm-up and window. */
  cpuPer1000: number;
  /** Share of one core the server used during the window. */
  coreShare: number;
  /** Share of one core the bench process (load generator) used, warm-up and window. */
  generatorShare: number;
  /** Share of one core PostgreSQL's server processes used during the window (0 on SQLite). */
  databaseShare: number;
}

interface Latency {
  open: OpenLoopResult;
  /** Sent → notification received, ms; undelivered events count as +∞. */
  fromSend: number[];
  /** 2xx received → notification received, ms. */
  fromAccepted: number[];
  delivered: number;
  missing: number;
  /** Seconds from the last measured send until the last notification (or until the grace ran out). */
  drainSeconds: number;
  deliveredPerSecond: number;
  coreShare: number;
  /** Share of one core PostgreSQL's server processes used while sending (0 on SQLite). */
  databaseShare: number;
}

/** An open loop offering the throughput target: does the server keep up? */
interface Sustained {
  open: OpenLoopResult;
  rate: number;
  connections: number;
  /** Answered with the success status. */
  answered: number;
  /** Seconds from the last send until the last answer. */
  drainSeconds: number;
  coreShare: number;
  databaseShare: number;
  keptUp: boolean;
}

interface SystemFigures {
  label: string;
  backend: string;
  system: string;
  throughput: Throughput;
  sustained: Sustained;
  latency: Latency;
  rss: number;
}

async function measureThroughput(
  ctx: BenchContext,
  label: string,
  origin: string,
  sender: Sender,
  pid: number,
  opts: Options,
  counter: { next: number },
): Promise<Throughput> {
  const pool = newPool(origin, opts.connections);
  try {
    const cpu0 = cpuSeconds(pid);
    const own0 = process.cpuUsage();
    const t0 = performance.now();
    const cpu = cpuWindow(ctx, pid);
    const result = await closedLoop(pool, sender, opts.connections, ctx.warmupSeconds, ctx.durationSeconds, counter);
    const cpu1 = cpuSeconds(pid);
    const { server: coreShare, database: databaseShare } = cpu.shares(ctx.durationSeconds);
    const own = process.cpuUsage(own0);
    const wall = (performance.now() - t0) / 1000;
    const generatorShare = (own.user + own.system) / 1e6 / wall;
    if (result.failures > 0) {
      throw new Error(`${label}: ${result.failures} of the measured events were refused; the first: ${result.firstFailure}`);
    }
    ctx.log(
      `${label}: ${count(result.perSecond)} events/s with ${opts.connections} connections, p50 ${fmt(summarize(result.latencies).p50)} ms, ` +
        `server ${(coreShare * 100).toFixed(0)}% of a core, load generator ${(generatorShare * 100).toFixed(0)}%, ` +
        `PostgreSQL ${(databaseShare * 100).toFixed(0)}%`,
    );
    return { result, cpuPer1000: ((cpu1 - cpu0) / result.acceptedAll) * 1000, coreShare, generatorShare, databaseShare };
  } finally {
    await pool.close();
  }
}

/**
 * CPU of the server and of PostgreSQL over the measured window, which starts after the
 * warm-up: `shares(seconds)` gives each as a share of one core.
 */
function cpuWindow(ctx: BenchContext, pid: number): { shares(windowSeconds: number): { server: number; database: number } } {
  let server = Number.NaN;
  let database = Number.NaN;
  const mark = setTimeout(() => {
    server = cpuSeconds(pid);
    database = postgresCpuSeconds();
  }, ctx.warmupSeconds * 1000);
  return {
    shares(windowSeconds) {
      clearTimeout(mark);
      return {
        server: (cpuSeconds(pid) - server) / windowSeconds,
        database: (postgresCpuSeconds() - database) / windowSeconds,
      };
    },
  };
}

async function measureSustained(
  ctx: BenchContext,
  label: string,
  origin: string,
  sender: Sender,
  pid: number,
  counter: { next: number },
): Promise<Sustained> {
  const pool = newPool(origin, SUSTAINED_CONNECTIONS);
  try {
    const cpu = cpuWindow(ctx, pid);
    const windowStart = performance.now() + ctx.warmupSeconds * 1000;
    const open = await openLoop(
      pool,
      sender,
      THROUGHPUT_TARGET,
      ctx.warmupSeconds,
      ctx.durationSeconds,
      counter,
      DELIVERY_GRACE_MS,
    );
    let lastAnswer = 0;
    for (const at of open.sentAt.values()) if (Number.isFinite(at.accepted)) lastAnswer = Math.max(lastAnswer, at.accepted);
    const windowSeconds = (Math.max(lastAnswer, open.lastSentAt) - windowStart) / 1000;
    const { server: coreShare, database: databaseShare } = cpu.shares(windowSeconds);
    const answered = open.responseLatencies.length;
    const drainSeconds = Math.max(0, (lastAnswer - open.lastSentAt) / 1000);
    const r = summarize(open.responseLatencies);
    const keptUp =
      answered === open.sent && open.failures === 0 && r.p99 < SUSTAINED_BOUND_MS && drainSeconds * 1000 < SUSTAINED_BOUND_MS;
    ctx.log(
      `${label}: ${count(open.sent)} events offered at ${count(THROUGHPUT_TARGET)}/s, ${count(answered)} answered; ` +
        `p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, last answer ${drainSeconds.toFixed(2)} s after the last send; ` +
        `server ${(coreShare * 100).toFixed(0)}% of a core, PostgreSQL ${(databaseShare * 100).toFixed(0)}%: ${keptUp ? 'kept up' : 'fell behind'}`,
    );
    return {
      open,
      rate: THROUGHPUT_TARGET,
      connections: SUSTAINED_CONNECTIONS,
      answered,
      drainSeconds,
      coreShare,
      databaseShare,
      keptUp,
    };
  } finally {
    await pool.destroy();
  }
}

async function measureLatency(
  ctx: BenchContext,
  label: string,
  origin: string,
  sender: Sender,
  receiver: Receiver,
  pid: number,
  opts: Options,
  counter: { next: number },
): Promise<Latency> {
  const pool = newPool(origin, opts.connections);
  try {
    const cpu = cpuWindow(ctx, pid);
    const windowStart = performance.now() + ctx.warmupSeconds * 1000;
    const open = await openLoop(pool, sender, opts.rate, ctx.warmupSeconds, ctx.durationSeconds, counter, DELIVERY_GRACE_MS);
    const { server: coreShare, database: databaseShare } = cpu.shares((performance.now() - windowStart) / 1000);
    if (open.failures > 0 && open.firstFailure?.startsWith('HTTP 4') && !open.firstFailure.startsWith('HTTP 429')) {
      throw new Error(`${label}: ${open.failures} of the measured events were refused; the first: ${open.firstFailure}`);
    }
    const missingKeys = await awaitArrivals(receiver, open.sentAt.keys(), open.lastSentAt, DELIVERY_GRACE_MS);
    const fromSend: number[] = [];
    const fromAccepted: number[] = [];
    let lastArrival = 0;
    let firstArrival = Number.POSITIVE_INFINITY;
    for (const [key, at] of open.sentAt) {
      const arrived = receiver.arrivals.get(key);
      if (arrived === undefined) {
        fromSend.push(Number.POSITIVE_INFINITY);
        continue;
      }
      fromSend.push(arrived - at.sent);
      if (Number.isFinite(at.accepted)) fromAccepted.push(arrived - at.accepted);
      lastArrival = Math.max(lastArrival, arrived);
      firstArrival = Math.min(firstArrival, arrived);
    }
    const delivered = open.sent - missingKeys.length;
    const drainSeconds = missingKeys.length > 0 ? DELIVERY_GRACE_MS / 1000 : Math.max(0, (lastArrival - open.lastSentAt) / 1000);
    const s = summarize(fromSend);
    ctx.log(
      `${label}: ${count(open.sent)} events at ${opts.rate}/s, ${count(delivered)} notified; sent → webhook p50 ${fmt(s.p50)} ms, ` +
        `p99 ${fmt(s.p99)} ms${missingKeys.length ? `, ${count(missingKeys.length)} missing after ${DELIVERY_GRACE_MS / 1000} s` : ''}; ` +
        `server ${(coreShare * 100).toFixed(0)}% of a core, PostgreSQL ${(databaseShare * 100).toFixed(0)}%`,
    );
    return {
      open,
      fromSend,
      fromAccepted,
      delivered,
      missing: missingKeys.length,
      drainSeconds,
      deliveredPerSecond: delivered / Math.max(0.001, (lastArrival - firstArrival) / 1000),
      coreShare,
      databaseShare,
    };
  } finally {
    // Requests an overloaded server has not answered yet are abandoned, not awaited.
    await pool.destroy();
  }
}

// --- Vigil -------------------------------------------------------------------------------------

const MANIFESTS = [
  'apiVersion: vigil.dev/v1\nkind: Team\nmetadata:\n  name: bench-team\nspec:\n  type: platform\n',
  'apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: alerts-ingest\nspec:\n  owner: bench-team\n  tier: tier-1\n',
  'apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: alerts-notify\nspec:\n  owner: bench-team\n  tier: tier-1\n',
].join('---\n');

async function api(origin: string, token: string, path: string, body: unknown): Promise<unknown> {
  const response = await fetch(`${origin}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as unknown;
}

function eventsApiSender(key: string, service: string, runId: string): Sender {
  return {
    okStatus: 202,
    request(n) {
      const dedup = `${runId}-${service}-${n}`;
      return {
        key: dedup,
        path: '/v2/enqueue',
        body: JSON.stringify({
          routing_key: key,
          event_action: 'trigger',
          dedup_key: dedup,
          payload: {
            summary: `BenchAlert ${n} on ${service}: error rate above 5%`,
            source: `host-${n % 97}`,
            severity: 'critical',
            component: 'api',
            group: 'web',
            class: 'http',
            custom_details: { alertname: 'BenchAlert', instance: `host-${n % 97}:9100` },
          },
        }),
      };
    },
  };
}

async function runVigil(
  ctx: BenchContext,
  label: 'SQLite' | 'PostgreSQL',
  dbUrl: string,
  receiver: Receiver,
  opts: Options,
): Promise<SystemFigures> {
  const token = `vgl_bench_${randomBytes(16).toString('hex')}`;
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const nodeArgs = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(opts.profileDir, label)}`] : [];
  const server = startProcess(
    `vigil server (${label})`,
    process.execPath,
    [
      ...nodeArgs,
      'bin/vigil.mjs',
      'server',
      '--db',
      dbUrl,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--log-level',
      'warn',
      '--no-probes',
      '--public-url',
      origin,
    ],
    { cwd: opts.serverRoot ?? ctx.root, env: { VIGIL_ADMIN_TOKEN: token, NODE_ENV: 'production' } },
  );
  // A thrown-away server need not drain its backlog; a profiled one must exit cleanly to write its profile.
  const grace = opts.profileDir ? 60_000 : 5_000;
  ctx.defer(() => server.stop(grace));
  try {
    await waitForReady(`${origin}/readyz`, server, 60_000);
    await api(origin, token, '/api/v1/manifests/apply', { files: [{ path: 'bench.yaml', content: MANIFESTS }] });
    const integration = async (name: string, service: string): Promise<string> =>
      (
        (await api(origin, token, '/api/v1/integrations', {
          name,
          service,
          type: 'events-api-v2',
          rateLimitPerMinute: RATE_LIMIT_PER_MINUTE,
        })) as { key: string }
      ).key;
    const ingestKey = await integration('bench-ingest', 'alerts-ingest');
    const notifyKey = await integration('bench-notify', 'alerts-notify');
    await api(origin, token, '/api/v1/notification-targets', {
      name: 'bench-webhook',
      service: 'alerts-notify',
      channel: { type: 'webhook', url: `${receiver.origin}${RECEIVER_PATH_VIGIL}`, secret: WEBHOOK_SECRET },
    });
    const runId = randomBytes(4).toString('hex');
    const counter = { next: 0 };
    ctx.log(`${label}: Vigil ready on ${origin} (pid ${server.pid}); throughput run`);
    const throughput = await measureThroughput(
      ctx,
      `Vigil ${label} throughput`,
      origin,
      eventsApiSender(ingestKey, 'alerts-ingest', runId),
      server.pid,
      opts,
      counter,
    );
    assertAlive(server);
    ctx.log(`${label}: sustained run at ${count(THROUGHPUT_TARGET)} events/s`);
    const sustained = await measureSustained(
      ctx,
      `Vigil ${label} sustained`,
      origin,
      eventsApiSender(ingestKey, 'alerts-ingest', runId),
      server.pid,
      counter,
    );
    assertAlive(server);
    ctx.log(`${label}: latency run at ${opts.rate} events/s`);
    const latency = await measureLatency(
      ctx,
      `Vigil ${label} latency`,
      origin,
      eventsApiSender(notifyKey, 'alerts-notify', runId),
      receiver,
      server.pid,
      opts,
      counter,
    );
    assertAlive(server);
    return {
      label: `Vigil (${label})`,
      backend: label,
      system: 'Vigil',
      throughput,
      sustained,
      latency,
      rss: rssBytes(server.pid),
    };
  } finally {
    await server.stop(grace);
  }
}

function assertAlive(child: ChildHandle): void {
  if (child.hasExited()) throw new Error(`${child.name} exited during the run; its log ends:\n${child.tail()}`);
}

// --- Alertmanager -------------------------------------------------------------------------------

function alertmanagerSender(phase: string, runId: string): Sender {
  return {
    okStatus: 200,
    request(n) {
      const dedup = `${runId}-${phase}-${n}`;
      return {
        key: dedup,
        path: '/api/v2/alerts',
        body: JSON.stringify([
          {
            labels: {
              alertname: 'BenchAlert',
              dedup,
              service: phase === 'latency' ? 'alerts-notify' : 'alerts-ingest',
              severity: 'critical',
              instance: `host-${n % 97}:9100`,
              phase,
            },
            annotations: { summary: `BenchAlert ${n}: error rate above 5%` },
            startsAt: new Date().toISOString(),
          },
        ]),
      };
    },
  };
}

async function alertmanagerVersion(): Promise<string> {
  const child = startProcess('alertmanager --version', ALERTMANAGER, ['--version'], { cwd: '/' });
  await child.exited;
  return /version (\S+)/.exec(child.tail())?.[1] ?? '?';
}

async function runAlertmanager(ctx: BenchContext, receiver: Receiver, opts: Options): Promise<SystemFigures> {
  const dir = join(ctx.tmpDir, 'alertmanager');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const config = join(ctx.tmpDir, 'alertmanager.yml');
  writeFileSync(
    config,
    [
      'route:',
      '  receiver: blackhole',
      "  group_by: ['...']",
      '  group_wait: 0s',
      '  group_interval: 1h',
      '  repeat_interval: 24h',
      '  routes:',
      '    - receiver: webhook',
      '      matchers: [ phase="latency" ]',
      'receivers:',
      '  - name: blackhole',
      '  - name: webhook',
      '    webhook_configs:',
      `      - url: ${receiver.origin}${RECEIVER_PATH_AM}`,
      '        send_resolved: false',
      '',
    ].join('\n'),
  );
  const am = startProcess(
    'alertmanager',
    ALERTMANAGER,
    [`--config.file=${config}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
    { cwd: ctx.tmpDir },
  );
  ctx.defer(() => am.stop());
  try {
    await waitForReady(`${origin}/-/ready`, am, 30_000);
    ctx.log(`Alertmanager ready on ${origin} (pid ${am.pid}); throughput run`);
    const runId = randomBytes(4).toString('hex');
    const counter = { next: 0 };
    const throughput = await measureThroughput(
      ctx,
      'Alertmanager throughput',
      origin,
      alertmanagerSender('throughput', runId),
      am.pid,
      opts,
      counter,
    );
    assertAlive(am);
    ctx.log(`Alertmanager: sustained run at ${count(THROUGHPUT_TARGET)} alerts/s`);
    const sustained = await measureSustained(
      ctx,
      'Alertmanager sustained',
      origin,
      alertmanagerSender('sustained', runId),
      am.pid,
      counter,
    );
    assertAlive(am);
    ctx.log(`Alertmanager: latency run at ${opts.rate} alerts/s`);
    const latency = await measureLatency(
      ctx,
      'Alertmanager latency',
      origin,
      alertmanagerSender('latency', runId),
      receiver,
      am.pid,
      opts,
      counter,
    );
    assertAlive(am);
    return {
      label: 'Alertmanager',
      backend: 'memory',
      system: 'Alertmanager',
      throughput,
      sustained,
      latency,
      rss: rssBytes(am.pid),
    };
  } finally {
    await am.stop();
  }
}

/** `db44ef3` or `db44ef3 + uncommitted changes under src/`: what the server ran. */
function codeVersion(root: string): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    const head = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src').length > 0;
    return dirty ? `${head} + uncommitted changes under src/` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

// --- The report --------------------------------------------------------------------------------

function loadResult(connections: number, seconds: number, requests: number, latency: LatencySummary): LoadResult {
  return {
    connections,
    durationSeconds: seconds,
    requests,
    requestsPerSecond: requests / seconds,
    latency,
    errors: 0,
    non2xx: 0,
  };
}

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const opts = options();
  const setup: string[] = [];
  const notes: string[] = [];
  const rows: BenchRow[] = [];
  const figures: SystemFigures[] = [];

  const receiver = await startReceiver();
  ctx.defer(() => receiver.close());
  receiver.setReader(RECEIVER_PATH_VIGIL, (body, headers) => {
    const stamp = headers['x-vigil-timestamp'];
    const signature = headers['x-vigil-signature'];
    if (
      !verifyWebhookSignature(
        WEBHOOK_SECRET,
        typeof stamp === 'string' ? stamp : undefined,
        body,
        typeof signature === 'string' ? signature : undefined,
        Date.now(),
      )
    )
      return null;
    const parsed = JSON.parse(body) as { kind?: string; alerts?: Array<{ dedupKey?: string }> };
    if (parsed.kind !== 'alert.triggered') return [];
    return (parsed.alerts ?? []).map((a) => a.dedupKey ?? '');
  });
  receiver.setReader(RECEIVER_PATH_AM, (body) => {
    const parsed = JSON.parse(body) as { alerts?: Array<{ labels?: Record<string, string> }> };
    return (parsed.alerts ?? []).map((a) => a.labels?.dedup ?? '');
  });

  let amVersion: string | null = null;
  let amMissing = false;
  if (opts.sides.has('alertmanager')) {
    try {
      amVersion = await alertmanagerVersion();
    } catch {
      amMissing = true;
    }
    if (amVersion === null || amVersion === '?') amMissing = true;
  }

  if (opts.sides.has('sqlite')) {
    figures.push(await runVigil(ctx, 'SQLite', `sqlite:${join(ctx.tmpDir, 'alerts.db')}`, receiver, opts));
  }
  let pg = 'PostgreSQL';
  if (opts.sides.has('postgres')) {
    const database = await freshPostgresDatabase();
    ctx.defer(database.drop);
    try {
      pg = await postgresVersion().catch(() => 'PostgreSQL');
      figures.push(await runVigil(ctx, 'PostgreSQL', database.url, receiver, opts));
    } finally {
      await database.drop();
    }
  }
  if (opts.sides.has('alertmanager')) {
    if (amMissing) {
      notes.push(
        `Alertmanager skipped: \`${ALERTMANAGER}\` is not installed (apt-get install -y ${ALERTMANAGER}, as .ci/run does).`,
      );
    } else {
      figures.push(await runAlertmanager(ctx, receiver, opts));
    }
  }

  const w = ctx.durationSeconds;
  for (const f of figures) {
    rows.push({
      scenario: `throughput: distinct trigger events, closed loop (events/s = req/s)`,
      backend: f.backend,
      system: f.system,
      result: loadResult(
        f.throughput.result.connections,
        w,
        f.throughput.result.accepted,
        summarize(f.throughput.result.latencies),
      ),
    });
  }
  for (const f of figures) {
    const su = f.sustained;
    rows.push({
      scenario: `sustained: ${count(su.rate)} events/s offered, open loop (req/s = answered/s)`,
      backend: f.backend,
      system: f.system,
      result: {
        connections: su.connections,
        durationSeconds: w,
        requests: su.answered,
        requestsPerSecond: su.answered / w,
        latency: summarize(su.open.responseLatencies),
        errors: su.open.failures,
        non2xx: 0,
      },
    });
  }
  for (const f of figures) {
    const l = f.latency;
    rows.push({
      scenario: `latency: event sent → webhook received, ${count(opts.rate)} events/s (req/s = delivered/s)`,
      backend: f.backend,
      system: f.system,
      result: {
        connections: opts.connections,
        durationSeconds: w,
        requests: l.delivered,
        requestsPerSecond: l.deliveredPerSecond,
        latency: summarize(l.fromSend),
        errors: 0,
        non2xx: 0,
      },
      target: f.system === 'Vigil' ? LATENCY_TARGET : undefined,
    });
  }

  // Verdicts on throughput (not a latency, so in the notes as in the slo benchmark).
  for (const f of figures.filter((x) => x.system === 'Vigil')) {
    const su = f.sustained;
    const r = summarize(su.open.responseLatencies);
    notes.push(
      `Target ingestion ≥ ${count(THROUGHPUT_TARGET)} events/s sustained — ${f.backend}: offered ${count(su.rate)} events/s for ${w} s ` +
        `(open loop, ${su.connections} connections), ${count(su.answered)} of ${count(su.open.sent)} answered 202, p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms, ` +
        `the last answer ${su.drainSeconds.toFixed(2)} s after the last send; the server used ${(su.coreShare * 100).toFixed(0)}% of a core` +
        `${f.backend === 'PostgreSQL' ? `, PostgreSQL's processes ${(su.databaseShare * 100).toFixed(0)}%` : ''}. ` +
        `Kept up (every event answered, p99 and the last answer within ${count(SUSTAINED_BOUND_MS)} ms): **${su.keptUp ? 'pass' : 'FAIL'}**.`,
    );
  }
  for (const f of figures.filter((x) => x.system === 'Vigil')) {
    const t = f.throughput;
    notes.push(
      `Closed loop — ${f.backend}: ${count(t.result.perSecond)} events/s with ${t.result.connections} connections ` +
        `(p50 ${fmt(summarize(t.result.latencies).p50)} ms, p99 ${fmt(summarize(t.result.latencies).p99)} ms per request; the server used ` +
        `${(t.coreShare * 100).toFixed(0)}% of a core, ${t.cpuPer1000.toFixed(3)} CPU s per 1,000 events; the load generator ${(t.generatorShare * 100).toFixed(0)}%` +
        `${f.backend === 'PostgreSQL' ? `; PostgreSQL's processes ${(t.databaseShare * 100).toFixed(0)}%` : ''}); with ${t.result.connections} senders each waiting for its answer, ` +
        `the rate is bounded by the answer's latency (Little's law) rather than by the server, which the sustained run above measures.`,
    );
  }
  for (const f of figures.filter((x) => x.system === 'Vigil')) {
    const s = summarize(f.latency.fromSend);
    notes.push(
      `Target sent → webhook p99 < ${LATENCY_TARGET.belowMs} ms — ${f.backend}: p50 ${fmt(s.p50)} ms, p99 ${fmt(s.p99)} ms, max ${fmt(s.max)} ms ` +
        `(${count(f.latency.delivered)} of ${count(f.latency.open.sent)} notified${f.latency.missing ? `, ${count(f.latency.missing)} still missing ${DELIVERY_GRACE_MS / 1000} s after the last send (counted as ∞)` : ''}): ` +
        `**${s.p99 < LATENCY_TARGET.belowMs ? 'pass' : 'FAIL'}**.`,
    );
  }
  for (const f of figures) {
    const l = f.latency;
    const r = summarize(l.open.responseLatencies);
    const a = summarize(l.fromAccepted);
    const unanswered =
      l.open.unanswered > 0 || l.open.failures > 0
        ? ` (${count(l.open.unanswered)} of ${count(l.open.sent)} not answered ${DELIVERY_GRACE_MS / 1000} s after the last send` +
          `${l.open.failures ? `, ${count(l.open.failures)} refused, the first: ${l.open.firstFailure}` : ''})`
        : '';
    notes.push(
      `${f.label} at ${count(opts.rate)} events/s: response (${f.system === 'Vigil' ? '202' : '200'}) p50 ${fmt(r.p50)} ms, p99 ${fmt(r.p99)} ms${unanswered}; ` +
        `response → webhook p50 ${fmt(a.p50)} ms, p99 ${fmt(a.p99)} ms; the last notification came ${l.drainSeconds.toFixed(1)} s after the last send; ` +
        `server ${(l.coreShare * 100).toFixed(0)}% of a core while sending` +
        `${f.backend === 'PostgreSQL' ? ` (PostgreSQL's processes ${(l.databaseShare * 100).toFixed(0)}%)` : ''}; RSS at the end ${(f.rss / 1024 ** 2).toFixed(0)} MiB.`,
    );
  }
  if (receiver.rejected > 0 || receiver.duplicates > 0) {
    notes.push(
      `Receiver: ${receiver.rejected} notifications rejected (bad signature or shape), ${receiver.duplicates} duplicates of an alert already notified.`,
    );
  }

  // Side by side with Alertmanager.
  const am = figures.find((f) => f.system === 'Alertmanager');
  const vigils = figures.filter((f) => f.system === 'Vigil');
  if (am && vigils.length > 0) {
    const amT = am.throughput.result.perSecond;
    const amL = summarize(am.latency.fromSend);
    const side: string[][] = [];
    for (const v of vigils) {
      const vL = summarize(v.latency.fromSend);
      side.push(
        [
          `throughput, events/s (${v.backend})`,
          count(v.throughput.result.perSecond),
          count(amT),
          `**${times(v.throughput.result.perSecond, amT)}**`,
        ],
        [
          `CPU s per 1,000 events, throughput run (${v.backend})`,
          v.throughput.cpuPer1000.toFixed(3),
          am.throughput.cpuPer1000.toFixed(3),
          times(v.throughput.cpuPer1000, am.throughput.cpuPer1000),
        ],
        [
          `server / load generator share of a core, throughput run (${v.backend})`,
          `${(v.throughput.coreShare * 100).toFixed(0)}% / ${(v.throughput.generatorShare * 100).toFixed(0)}%`,
          `${(am.throughput.coreShare * 100).toFixed(0)}% / ${(am.throughput.generatorShare * 100).toFixed(0)}%`,
          '–',
        ],
        [
          `answer p99 at ${count(THROUGHPUT_TARGET)} events/s offered, ms (${v.backend})`,
          fmt(summarize(v.sustained.open.responseLatencies).p99),
          fmt(summarize(am.sustained.open.responseLatencies).p99),
          times(summarize(v.sustained.open.responseLatencies).p99, summarize(am.sustained.open.responseLatencies).p99),
        ],
        [`sent → webhook p50, ms (${v.backend})`, fmt(vL.p50), fmt(amL.p50), times(vL.p50, amL.p50)],
        [`sent → webhook p99, ms (${v.backend})`, fmt(vL.p99), fmt(amL.p99), `**${times(vL.p99, amL.p99)}**`],
      );
    }
    notes.push(
      `Vigil ÷ Alertmanager (throughput: above 1, Vigil accepts more; latency and CPU: below 1, Vigil is faster or cheaper). Not like for like: ` +
        'Alertmanager keeps alerts in memory and answers before anything is durable (its snapshot to disk runs every 15 minutes), while Vigil commits each ' +
        'event (alert row, event row, journal entry and, for the notified service, a delivery job) to the database before its 202:\n\n' +
        markdownTable(['figure', 'Vigil', 'Alertmanager', 'Vigil ÷ Alertmanager'], side, new Set([1, 2, 3])),
    );
  }

  setup.push(
    `Vigil: \`node bin/vigil.mjs server --db <url> --host 127.0.0.1 --log-level warn --no-probes\` (NODE_ENV=production), a child process per database, ` +
      'with a team and two services applied as manifests, an `events-api-v2` integration on each ' +
      `(rate limit ${count(RATE_LIMIT_PER_MINUTE)} a minute, the API's maximum), and a signed webhook notification target on \`alerts-notify\` only, ` +
      'default settings (no grouping); `alerts-ingest` has no target (and there is no fallback target), so the throughput run measures ingestion alone.',
    `Throughput: undici Pool of ${opts.connections} keep-alive connections, one sender per connection posting its next event when the previous one is answered, ` +
      `${ctx.warmupSeconds} s warm-up then ${ctx.durationSeconds} s measured; each event a distinct \`trigger\` (own dedup key, severity critical, ` +
      'summary, source, component, group, class, two custom details), so every event opens a new alert. Only events answered 202 (Alertmanager: 200) count; any other answer fails the run.',
    `Sustained: an open loop offering ${count(THROUGHPUT_TARGET)} events/s (the target; sent in 5 ms ticks whatever the answers take) on a pool of ` +
      `${SUSTAINED_CONNECTIONS} connections, ${ctx.warmupSeconds} s unmeasured then ${ctx.durationSeconds} s, the same events as the throughput run; ` +
      `the server kept up when every event was answered 202 (200), with p99 and the last answer within ${count(SUSTAINED_BOUND_MS)} ms of its send ` +
      '(a server that cannot keep up builds a backlog that grows through the run).',
    `Latency: an open loop at ${count(opts.rate)} events/s (sent in 5 ms ticks whatever the answers take), ${ctx.warmupSeconds} s unmeasured then ${ctx.durationSeconds} s, ` +
      `on the same pool; a receiver in the bench process answers 200 at once, checks Vigil's \`x-vigil-signature\` with \`verifyWebhookSignature\`, ` +
      'takes the dedup key from the body (Alertmanager: the `dedup` label) and records the arrival on the same monotonic clock as the send. ' +
      `Events not notified ${DELIVERY_GRACE_MS / 1000} s after the last send count as ∞.`,
    `Databases: SQLite (better-sqlite3, WAL, temp file) and ${pg} (fresh \`vigil_bench_*\` database on the local server, dropped afterwards). ` +
      'Each run starts from an empty database; the latency run follows the throughput run on the same server (its alerts stay open).',
    amVersion && !amMissing
      ? `Peer: Alertmanager ${amVersion} (Debian package \`${ALERTMANAGER}\`), \`--cluster.listen-address=\` (no gossip), route \`group_by: ['...']\` ` +
          '(one group per alert), `group_wait: 0s`, `group_interval: 1h`, `repeat_interval: 24h`; `phase="latency"` alerts go to a `webhook_configs` receiver, ' +
          'the throughput run to a receiver without integrations. One alert per `POST /api/v2/alerts` (labels alertname, dedup, service, severity, instance, phase; ' +
          'a summary annotation; startsAt now).'
      : 'Peer: Alertmanager not installed; skipped.',
    'Machine: 2 shared cores; the load generator and the webhook receiver run in the bench process on the same machine as the server ' +
      '(and PostgreSQL), so every figure includes their CPU use. Servers run one after the other. CPU shares come from `/proc/<pid>/stat` of the server ' +
      '(for PostgreSQL, the database server’s own CPU is not included).',
  );
  setup.push(`Code: ${codeVersion(opts.serverRoot ?? ctx.root)}.`);
  if (opts.serverRoot) setup.push(`Vigil server run from another checkout: \`${opts.serverRoot}\` (not this working tree).`);
  if (opts.rate !== 1000 || opts.connections !== 64) {
    setup.push(`Non-default options: ${opts.connections} connections, ${opts.rate} events/s.`);
  }

  return {
    title: 'alert ingestion (Events API v2) and event → webhook latency, against Alertmanager',
    summary:
      'Vigil ingesting PagerDuty Events API v2 trigger events (`POST /v2/enqueue`) on SQLite and PostgreSQL, as fast as ' +
      `${opts.connections} concurrent senders can post them, and the time from an event's send to its signed webhook notification at a steady ` +
      `${count(opts.rate)} events/s; Alertmanager receiving the same alerts on \`POST /api/v2/alerts\` side by side. Targets (from the issue): ingestion ` +
      `≥ ${count(THROUGHPUT_TARGET)} events/s (judged in the notes) and event → webhook p99 < ${LATENCY_TARGET.belowMs} ms (the table's target).`,
    peers:
      'Alertmanager (Debian package), in-memory: it answers before an alert is durable, Vigil after its commit. Its backend differs from Vigil’s, so the ' +
      'Vigil ÷ Alertmanager ratios are in the notes.',
    setup,
    rows,
    notes,
  };
}
