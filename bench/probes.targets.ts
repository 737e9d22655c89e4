/**
 * Helper processes of the `probes` benchmark, each a process of its own so that its CPU is not
 * counted against the prober being measured.
 *
 *   node --import tsx bench/probes.targets.ts targets <hosts>
 *     HTTP targets: one server on each of 127.0.0.1 … 127.0.0.<hosts>, each on a port the kernel
 *     picks, answering every `GET /p/<n>` with `200 {"status":"UP"}`. `GET /__stats` on any of
 *     them returns `{"served": <requests to /p/ so far>}`. Prints `READY <json>` with the addresses.
 *
 *   node --import tsx bench/probes.targets.ts drive <exporter origin> <targets json> <probes> <interval ms>
 *     What a Prometheus with one blackbox_exporter job of <probes> targets would do: requests
 *     `GET /probe?module=http_2xx&target=<url>` for every probe URL once per interval, spread
 *     evenly over it (keep-alive connections to the exporter). Serves its counters on
 *     `GET /stats` (`?reset=1` also restarts the latency samples) on a port it prints as
 *     `READY {"port": …}`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { summarize } from './lib/load.ts';
import type { LatencySummary } from './lib/types.ts';

export interface TargetAddress {
  host: string;
  port: number;
}

/** What the `targets` process prints once every server listens. */
export interface TargetsReady {
  targets: TargetAddress[];
}

/** The `drive` process's counters, cumulative since it started; the summaries cover the time since the last reset. */
export interface DriverStats {
  /** Requests sent to the exporter. */
  sent: number;
  /** Answers received (any status). */
  completed: number;
  /** Answers with `probe_success 1`. */
  ok: number;
  /** Answers with `probe_success 0`. */
  probeFailed: number;
  /** Non-200 answers, socket errors and timeouts. */
  errors: number;
  inFlight: number;
  /** Since the last reset: how late each request left against its planned time, ms. */
  sendLag: LatencySummary;
  /** Since the last reset: time from sending `/probe` to the whole answer, ms. */
  roundTrip: LatencySummary;
  /** Since the last reset: the exporter's own `probe_duration_seconds`, in ms. */
  probeDuration: LatencySummary;
  /** Samples behind the summaries. */
  samples: number;
}

/** Loopback addresses the targets listen on: 127.0.0.1 … 127.0.0.<n>. */
export function targetHosts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `127.0.0.${i + 1}`);
}

/** The URL of probe `i` (0-based): probes take the targets in turn, each with a path of its own. */
export function probeUrl(i: number, targets: readonly TargetAddress[]): string {
  const t = targets[i % targets.length];
  if (!t) throw new Error('no targets');
  return `http://${t.host}:${t.port}/p/${i + 1}`;
}

const UP_BODY = Buffer.from('{"status":"UP"}');

async function serveTargets(hostCount: number): Promise<void> {
  let served = 0;
  const handler: http.RequestListener = (req, res) => {
    if (req.url?.startsWith('/p/')) {
      served++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': UP_BODY.length });
      res.end(UP_BODY);
    } else if (req.url === '/__stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ served }));
    } else {
      res.writeHead(404);
      res.end();
    }
  };
  const targets: TargetAddress[] = [];
  for (const host of targetHosts(hostCount)) {
    const server = http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port: 0, backlog: 4096 }, () => resolve());
    });
    targets.push({ host, port: (server.address() as AddressInfo).port });
  }
  process.stdout.write(`READY ${JSON.stringify({ targets } satisfies TargetsReady)}\n`);
}

async function drive(exporter: string, targets: TargetAddress[], probes: number, intervalMs: number): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const paths = Array.from(
    { length: probes },
    (_, i) => `/probe?module=http_2xx&target=${encodeURIComponent(probeUrl(i, targets))}`,
  );
  const exporterUrl = new URL(exporter);
  const counters = { sent: 0, completed: 0, ok: 0, probeFailed: 0, errors: 0, inFlight: 0 };
  let sendLag: number[] = [];
  let roundTrip: number[] = [];
  let probeDuration: number[] = [];

  const fire = (path: string, plannedAt: number): void => {
    const sentAt = performance.now();
    sendLag.push(sentAt - plannedAt);
    counters.sent++;
    counters.inFlight++;
    let settled = false;
    const settle = (outcome: 'ok' | 'probeFailed' | 'errors', duration?: number): void => {
      if (settled) return;
      settled = true;
      counters.inFlight--;
      counters[outcome]++;
      if (outcome !== 'errors') {
        counters.completed++;
        roundTrip.push(performance.now() - sentAt);
        if (duration !== undefined && Number.isFinite(duration)) probeDuration.push(duration * 1000);
      }
    };
    const req = http.get(
      { host: exporterUrl.hostname, port: exporterUrl.port, path, agent, timeout: 10_000 },
      (res: http.IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return settle('errors');
          const body = Buffer.concat(chunks).toString('utf8');
          const success = /^probe_success (\S+)$/m.exec(body)?.[1];
          const duration = Number(/^probe_duration_seconds (\S+)$/m.exec(body)?.[1]);
          settle(success === '1' ? 'ok' : 'probeFailed', duration);
        });
        res.on('error', () => settle('errors'));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => settle('errors'));
  };

  // Request n (counting across intervals) is planned at start + n·step: each URL once per interval.
  const step = intervalMs / probes;
  const start = performance.now();
  let n = 0;
  const tick = (): void => {
    const now = performance.now();
    while (start + n * step <= now) {
      fire(paths[n % probes] ?? '', start + n * step);
      n++;
    }
    setTimeout(tick, Math.max(0, start + n * step - performance.now()));
  };
  tick();

  const statsServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://stats');
    if (url.pathname !== '/stats') {
      res.writeHead(404);
      res.end();
      return;
    }
    const stats: DriverStats = {
      ...counters,
      sendLag: summarize(sendLag),
      roundTrip: summarize(roundTrip),
      probeDuration: summarize(probeDuration),
      samples: roundTrip.length,
    };
    if (url.searchParams.get('reset') === '1') {
      sendLag = [];
      roundTrip = [];
      probeDuration = [];
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
  });
  await new Promise<void>((resolve) => statsServer.listen(0, '127.0.0.1', () => resolve()));
  process.stdout.write(`READY ${JSON.stringify({ port: (statsServer.address() as AddressInfo).port })}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  const [mode, ...args] = argv;
  if (mode === 'targets') {
    await serveTargets(Number(args[0] ?? 10));
  } else if (mode === 'drive') {
    const [exporter, targetsJson, probes, interval] = args;
    if (!exporter || !targetsJson) throw new Error('drive <exporter origin> <targets json> <probes> <interval ms>');
    await drive(exporter, JSON.parse(targetsJson) as TargetAddress[], Number(probes), Number(interval));
  } else {
    throw new Error('usage: probes.targets.ts targets <hosts> | drive <exporter origin> <targets json> <probes> <interval ms>');
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
