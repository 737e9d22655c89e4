import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrometheusSource } from './prometheus.source.ts';

const MINUTE = 60_000;
/** Target time between two samples. */
export const STEP_MS = 10_000;
/** Samples 0‥16: the first minute at 10 % errors, the second at 30 %, then 40 s without errors. */
export const LAST_STEP = 16;
const increments = (k: number): { good: number; bad: number } =>
  k <= 6 ? { good: 9, bad: 1 } : k <= 12 ? { good: 7, bad: 3 } : { good: 10, bad: 0 };

/**
 * A real Prometheus (Debian package `prometheus`) scraping a tiny target, for tests. The target
 * stamps each sample with its own timestamp, 10 s of "target time" apart, all in minutes already
 * past, so a test knows exactly which minute each count belongs to whenever Prometheus scrapes.
 */
export class ScrapedPrometheus {
  /** First sample's timestamp: whole minutes, far enough back that the last sample is past too. */
  readonly base = Math.floor(Date.now() / MINUTE) * MINUTE - 3 * MINUTE;
  /** What the target served, by sample timestamp. */
  readonly served = new Map<number, { good: number; bad: number }>();
  url = '';
  #dir = '';
  #target: Server | null = null;
  #child: ChildProcess | null = null;
  #log = '';

  /** What the target served between two of its sample timestamps. */
  servedBetween(fromMs: number, toMs: number): { good: number; total: number } {
    const from = this.served.get(fromMs);
    const to = this.served.get(toMs);
    if (!from || !to) throw new Error(`the target served no sample at ${fromMs} or ${toMs}`);
    const good = to.good - from.good;
    return { good, total: good + to.bad - from.bad };
  }

  /** Starts target and Prometheus, and resolves once the sample closing the second minute is in. */
  async start(): Promise<void> {
    this.#dir = await mkdtemp(join(tmpdir(), 'vigil-prometheus-'));
    let step = 0;
    let good = 0;
    let bad = 0;
    this.#target = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      const at = this.base + step * STEP_MS;
      this.served.set(at, { good, bad });
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
    const targetPort = await listen(this.#target);
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    await writeFile(
      join(this.#dir, 'prometheus.yml'),
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
        `--config.file=${join(this.#dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(this.#dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { cwd: this.#dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    const keep = (chunk: Buffer): void => {
      this.#log = (this.#log + chunk.toString()).slice(-20_000);
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
    await this.#until('waiting for /-/ready', 15_000, async () => ((await fetch(`${this.url}/-/ready`)).ok ? true : undefined));
    const source = new PrometheusSource({ name: 'test', url: this.url });
    await this.#until('waiting for the scrapes', 15_000, async () => {
      const [latest] = await source.query('max(timestamp(http_requests_total))', Date.now());
      return latest && Number(latest.value[1]) * 1000 >= this.base + 12 * STEP_MS ? true : undefined;
    });
  }

  /** Stops Prometheus (by its pid); the target keeps running until {@link close}. */
  async stopPrometheus(): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(
      () => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'),
      5_000,
    );
    await exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.stopPrometheus();
    const target = this.#target;
    if (target) await new Promise((resolve) => target.close(resolve));
    if (this.#dir) await rm(this.#dir, { recursive: true, force: true });
  }

  async #until<T>(what: string, deadlineMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > deadline || (this.#child && this.#child.exitCode !== null)) {
        throw new Error(`${what}: gave up. Prometheus log tail:\n${this.#log.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Listens on a free loopback port and returns it. */
export function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** A port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  const port = await new Promise<number>((resolve) =>
    probe.listen(0, '127.0.0.1', () => resolve((probe.address() as AddressInfo).port)),
  );
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
