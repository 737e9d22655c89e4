/**
 * POST load for the SLO benchmark: autocannon sending precomputed JSON bodies (batches of count
 * events) to `POST /api/v1/slis/:name/events`, the SLI changing with every request. The shared
 * `lib/load.ts` only drives GETs.
 */
import autocannon from 'autocannon';
import { summarize } from './lib/load.ts';
import type { LoadResult } from './lib/types.ts';

export interface PostLoadOptions {
  origin: string;
  /** Path and body of the n-th request. */
  request: (n: number) => { path: string; body: string };
  headers: Record<string, string>;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
}

export async function measurePostLoad(options: PostLoadOptions): Promise<LoadResult> {
  if (options.warmupSeconds > 0) await drive(options, options.warmupSeconds, null);
  const samples: number[] = [];
  const result = await drive(options, options.durationSeconds, samples);
  if (result.errors > 0 || result.non2xx > 0) {
    throw new Error(
      `ingest load against ${options.origin} had ${result.errors} errors and ${result.non2xx} non-2xx responses ` +
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

async function drive(options: PostLoadOptions, seconds: number, samples: number[] | null) {
  let n = 0;
  const instance = autocannon({
    url: options.origin,
    connections: options.connections,
    duration: seconds,
    timeout: 30,
    headers: { ...options.headers, 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        setupRequest: (request) => {
          const { path, body } = options.request(n++);
          return { ...request, method: 'POST', path, body };
        },
      },
    ],
  });
  if (samples) {
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  }
  return await instance;
}
