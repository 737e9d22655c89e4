import autocannon from 'autocannon';
import type { LatencySummary, LoadResult } from './types.ts';

export interface LoadOptions {
  /** Origin of the server, e.g. `http://127.0.0.1:4600`. */
  origin: string;
  /** The path of each request; called per request so a run can vary offsets or names. */
  path: () => string;
  headers?: Record<string, string>;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

/**
 * Warms up, then drives `connections` keep-alive connections for `durationSeconds` with
 * autocannon. Latencies are taken from each response's own timing (sub-millisecond) rather
 * than autocannon's whole-millisecond histogram. Any non-2xx answer or socket error fails the
 * run: a fast stream of 401s is not a result.
 */
export async function measureLoad(options: LoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await drive(options, options.warmupSeconds, null);
  const samples: number[] = [];
  const result = await drive(options, options.durationSeconds, samples);
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(
      `load run against ${options.origin}${options.path()} had ${result.errors} errors and ${result.non2xx} non-2xx responses ` +
        `(${JSON.stringify(result.statusCodeStats)})`,
    );
  }
  return {
    connections: options.connections,
    durationSeconds: result.duration,
    requests: samples.length,
    requestsPerSecond: samples.length / result.duration,
    latency: summarize(samples),
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

async function drive(options: LoadOptions, seconds: number, samples: number[] | null) {
  const instance = autocannon({
    url: options.origin,
    connections: options.connections,
    duration: seconds,
    timeout: 30,
    headers: options.headers,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: options.path() }) }],
  });
  if (samples) {
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  }
  return await instance;
}

/** Percentiles by the nearest-rank method over every sample. */
export function summarize(samples: readonly number[]): LatencySummary {
  if (samples.length === 0) return { p50: Number.NaN, p97_5: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };
  const sorted = Float64Array.from(samples).sort();
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: at(0.5),
    p97_5: at(0.975),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sum / sorted.length,
  };
}

export interface SequentialOptions {
  origin: string;
  path: () => string;
  headers?: Record<string, string>;
  /** At most this many requests… */
  count: number;
  /** …and no more requests once this much time has passed (at least one is always made). */
  maxSeconds: number;
}

/**
 * One request at a time, timed with fetch: a quick look at an endpoint before loading it, and
 * the whole measurement when one request is too slow for a load run to finish in time.
 */
export async function measureSequential(options: SequentialOptions): Promise<LoadResult> {
  const samples: number[] = [];
  const started = performance.now();
  do {
    const path = options.path();
    const t0 = performance.now();
    const response = await fetch(`${options.origin}${path}`, { headers: options.headers });
    await response.arrayBuffer();
    const elapsed = performance.now() - t0;
    if (response.status < 200 || response.status > 299) throw new Error(`GET ${path}: HTTP ${response.status}`);
    samples.push(elapsed);
  } while (samples.length < options.count && performance.now() - started < options.maxSeconds * 1000);
  const seconds = (performance.now() - started) / 1000;
  return {
    connections: 1,
    durationSeconds: seconds,
    requests: samples.length,
    requestsPerSecond: samples.length / seconds,
    latency: summarize(samples),
    errors: 0,
    non2xx: 0,
  };
}
