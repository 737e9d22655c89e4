import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UnavailableError } from '../core/errors.ts';
import { PrometheusSource } from './prometheus.source.ts';
import { SliSpec } from './slo.model.ts';

/*
 * A real Prometheus (Debian package `prometheus`) scrapes a tiny target. The target stamps each
 * sample with its own timestamp, 10 s of "target time" apart, all minutes in the past: the test
 * then knows exactly which minute each count belongs to, whenever Prometheus happens to scrape.
 */

const MINUTE = 60_000;
const STEP_MS = 10_000;
/** Samples 0‥16: the first minute at 10 % errors, the second at 30 %, then 40 s without errors. */
const LAST_STEP = 16;
const increments = (k: number): { good: number; bad: number } =>
  k <= 6 ? { good: 9, bad: 1 } : k <= 12 ? { good: 7, bad: 3 } : { good: 10, bad: 0 };

// Whole minutes, far enough back that even the last sample lies in the past.
const base = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
/** What the target served, by sample timestamp. */
const served = new Map<number, { good: number; bad: number }>();

let dir: string;
let target: Server;
let prometheus: ChildProcess | undefined;
let log = '';
let url: string;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

async function freePort(): Promise<number> {
  const probe = createNetServer();
  const port = await new Promise<number>((resolve) =>
    probe.listen(0, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port)),
  );
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline || (prometheus && prometheus.exitCode !== null)) {
      throw new Error(`${what}: gave up. Prometheus log tail:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-prometheus-'));

  let step = 0;
  let good = 0;
  let bad = 0;
  target = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const at = base + step * STEP_MS;
    served.set(at, { good, bad });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      [
        '# HELP http_requests_total Requests served.',
        '# TYPE http_requests_total counter',
        `http_requests_total{code="200"} ${good} ${at}`,
        `http_requests_total{code="500"} ${bad} ${at}`,
        '',
      ].join('\n'),
    );
    // Past the last step the same sample is served again, which Prometheus takes as a duplicate.
    if (step < LAST_STEP) {
      step += 1;
      good += increments(step).good;
      bad += increments(step).bad;
    }
  });
  const targetPort = await listen(target);

  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await writeFile(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 500ms',
      '  scrape_timeout: 400ms',
      'scrape_configs:',
      '  - job_name: app',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${targetPort}']`,
      '',
    ].join('\n'),
  );
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prometheus = child;
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) =>
      reject(
        (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? new Error(
              'prometheus is not installed: install the Debian package "prometheus" (apt-get install -y prometheus), as .ci/run does',
            )
          : error,
      ),
    );
  });

  await until('waiting for /-/ready', 15_000, async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined));
  // Wait until Prometheus holds the sample that closes the second minute.
  const source = new PrometheusSource({ name: 'test', url });
  await until('waiting for the scrapes', 15_000, async () => {
    const [latest] = await source.query('max(timestamp(http_requests_total))', Date.now());
    return latest && Number(latest.value[1]) * 1000 >= base + 12 * STEP_MS ? true : undefined;
  });
}, 40_000);

afterAll(async () => {
  const child = prometheus;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(
      () => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'),
      5_000,
    );
    await exited;
    clearTimeout(timer);
  }
  await new Promise((resolve) => (target ? target.close(resolve) : resolve(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const goodSli = SliSpec.parse({
  name: 'api-good',
  source: 'prometheus',
  prometheus: { dataSource: 'test', good: 'http_requests_total{code="200"}', total: 'http_requests_total' },
});
const badSli = SliSpec.parse({
  name: 'api-bad',
  source: 'prometheus',
  prometheus: { dataSource: 'test', bad: 'http_requests_total{code=~"5.."}', total: 'http_requests_total' },
});

/** What the target served between two of its sample timestamps. */
function servedBetween(fromMs: number, toMs: number): { good: number; total: number } {
  const from = served.get(fromMs);
  const to = served.get(toMs);
  if (!from || !to) throw new Error(`the target served no sample at ${fromMs} or ${toMs}`);
  const good = to.good - from.good;
  return { good, total: good + to.bad - from.bad };
}

describe('PrometheusSource against a real Prometheus', () => {
  it('reads good and total over a window as the target served them, from good or from bad', async () => {
    const source = new PrometheusSource({ name: 'test', url });
    const window = { from: base, to: base + 2 * MINUTE };
    const expected = servedBetween(window.from, window.to);
    expect(expected).toEqual({ good: 96, total: 120 });
    expect(await source.fetchCounts(goodSli, window.from, window.to)).toEqual(expected);
    expect(await source.fetchCounts(badSli, window.from, window.to)).toEqual(expected);
    expect(await source.fetchCounts(badSli, base + MINUTE, base + 2 * MINUTE)).toEqual(
      servedBetween(base + MINUTE, base + 2 * MINUTE),
    );
  });

  it('reads per-minute buckets, leaving out minutes without data', async () => {
    const source = new PrometheusSource({ name: 'test', url });
    const buckets = await source.fetchMinuteBuckets(goodSli, base - MINUTE, base + 2 * MINUTE);
    expect(buckets).toEqual([
      { minute: base / MINUTE, ...servedBetween(base, base + MINUTE) },
      { minute: base / MINUTE + 1, ...servedBetween(base + MINUTE, base + 2 * MINUTE) },
    ]);
    expect(buckets.map((b) => [b.good, b.total])).toEqual([
      [54, 60],
      [42, 60],
    ]);
    expect(await source.fetchMinuteBuckets(badSli, base - MINUTE, base + 2 * MINUTE)).toEqual(buckets);
  });

  it('reports a query Prometheus rejects as bad input and an SLI that is not a selector before asking', async () => {
    const source = new PrometheusSource({ name: 'test', url });
    await expect(source.query('sum(http_requests_total', Date.now())).rejects.toThrow(InputError);
    const broken = SliSpec.parse({ ...goodSli, prometheus: { ...goodSli.prometheus!, total: 'sum(rate(x[5m]))' } });
    await expect(source.fetchCounts(broken, base, base + MINUTE)).rejects.toThrow(/sli api-good: prometheus\.total/);
  });
});

describe('PrometheusSource when Prometheus is not there', () => {
  it('turns a refused connection and a silent server into UnavailableError', async () => {
    const closed = new PrometheusSource({ name: 'gone', url: `http://127.0.0.1:${await freePort()}` });
    await expect(closed.fetchCounts(goodSli, base, base + MINUTE)).rejects.toThrow(UnavailableError);

    const silent: Server = createServer(() => {});
    const port = await listen(silent);
    try {
      const slow = new PrometheusSource({ name: 'slow', url: `http://127.0.0.1:${port}/prometheus` }, { timeoutMs: 300 });
      await expect(slow.fetchCounts(goodSli, base, base + MINUTE)).rejects.toThrow(/"slow" .* no answer within 300 ms/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
