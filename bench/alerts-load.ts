/**
 * Load generation and a webhook receiver for the alerts benchmark: a closed loop of concurrent
 * senders (throughput), an open loop at a fixed rate (latency to the webhook), both over an
 * undici Pool with keep-alive connections, and an HTTP server that records when each alert's
 * notification arrives. Everything here runs in the bench process, so send and arrival times
 * come from the same monotonic clock (`performance.now()`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface Sender {
  /** The request for the n-th event; `key` identifies the alert in the notification it causes. */
  request(n: number): { key: string; path: string; body: string };
  /** Status codes counted as accepted (Vigil answers 202, Alertmanager 200). */
  okStatus: number;
}

export interface ClosedLoopResult {
  connections: number;
  seconds: number;
  accepted: number;
  /** Accepted over warm-up and window together, requests straddling the edges included. */
  acceptedAll: number;
  perSecond: number;
  /** Request latencies of the measured requests, ms. */
  latencies: number[];
  failures: number;
  firstFailure: string | null;
}

export function newPool(origin: string, connections: number): Pool {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000 });
}

async function send(pool: Pool, path: string, body: string): Promise<{ status: number; text: string }> {
  const response = await pool.request({
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.body.text();
  return { status: response.statusCode, text };
}

/**
 * `connections` senders, each posting its next event as soon as the previous one is answered,
 * for `warmupSeconds` (not measured) and then `seconds`. `next` numbers the events across both.
 */
export async function closedLoop(
  pool: Pool,
  sender: Sender,
  connections: number,
  warmupSeconds: number,
  seconds: number,
  counter: { next: number },
): Promise<ClosedLoopResult> {
  const latencies: number[] = [];
  let failures = 0;
  let firstFailure: string | null = null;
  const start = performance.now();
  const measureFrom = start + warmupSeconds * 1000;
  const end = measureFrom + seconds * 1000;
  let accepted = 0;
  let acceptedAll = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= end) return;
      const { path, body } = sender.request(counter.next++);
      let outcome: { status: number; text: string };
      try {
        outcome = await send(pool, path, body);
      } catch (error) {
        outcome = { status: 0, text: (error as Error).message };
      }
      const t1 = performance.now();
      if (outcome.status === sender.okStatus) acceptedAll++;
      // A request counts in the window it was sent in and must finish inside it too.
      if (t0 < measureFrom || t1 > end) continue;
      if (outcome.status === sender.okStatus) {
        accepted++;
        latencies.push(t1 - t0);
      } else {
        failures++;
        firstFailure ??= `HTTP ${outcome.status}: ${outcome.text.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return { connections, seconds, accepted, acceptedAll, perSecond: accepted / seconds, latencies, failures, firstFailure };
}

export interface OpenLoopResult {
  /** Events sent in the measured window. */
  sent: number;
  /** Measured events with no answer by the end of the grace period. */
  unanswered: number;
  /** Keys of the measured events, with their send time and the time their 2xx came back (NaN until it did). */
  sentAt: Map<string, { sent: number; accepted: number }>;
  /** Response latencies of the measured events, ms. */
  responseLatencies: number[];
  failures: number;
  firstFailure: string | null;
  /** performance.now() when the last measured event was sent. */
  lastSentAt: number;
}

/**
 * Sends events at `ratePerSecond` (in ticks of 5 ms, whatever the answers take: an open loop, so
 * a slow server makes requests queue rather than lowering the rate), `warmupSeconds` unmeasured
 * then `seconds` measured. Resolves once every request has been answered, or `graceMs` after the
 * last send with the rest counted as unanswered.
 */
export async function openLoop(
  pool: Pool,
  sender: Sender,
  ratePerSecond: number,
  warmupSeconds: number,
  seconds: number,
  counter: { next: number },
  graceMs: number,
): Promise<OpenLoopResult> {
  const sentAt = new Map<string, { sent: number; accepted: number }>();
  const responseLatencies: number[] = [];
  const pending: Array<Promise<void>> = [];
  let failures = 0;
  let firstFailure: string | null = null;
  const start = performance.now();
  const warmupEvents = Math.round(warmupSeconds * ratePerSecond);
  const total = warmupEvents + Math.round(seconds * ratePerSecond);
  let issued = 0;
  let lastSentAt = start;
  while (issued < total) {
    const now = performance.now();
    const due = Math.min(total, Math.floor(((now - start) / 1000) * ratePerSecond));
    for (; issued < due; issued++) {
      const measured = issued >= warmupEvents;
      const { key, path, body } = sender.request(counter.next++);
      const t0 = performance.now();
      const record = measured ? { sent: t0, accepted: Number.NaN } : null;
      if (record) {
        sentAt.set(key, record);
        lastSentAt = t0;
      }
      pending.push(
        send(pool, path, body).then(
          (outcome) => {
            if (!record) return;
            if (outcome.status === sender.okStatus) {
              record.accepted = performance.now();
              responseLatencies.push(record.accepted - record.sent);
            } else {
              failures++;
              firstFailure ??= `HTTP ${outcome.status}: ${outcome.text.slice(0, 300)}`;
            }
          },
          (error: Error) => {
            if (!record) return;
            failures++;
            firstFailure ??= error.message;
          },
        ),
      );
    }
    await sleep(5);
  }
  const settled = await Promise.race([Promise.all(pending).then(() => true), sleep(graceMs).then(() => false)]);
  let unanswered = 0;
  if (!settled) for (const r of sentAt.values()) if (Number.isNaN(r.accepted)) unanswered++;
  // Failures are counted among the unanswered ones too; keep them apart.
  unanswered = Math.max(0, unanswered - failures);
  return {
    sent: sentAt.size,
    unanswered,
    sentAt,
    responseLatencies: [...responseLatencies],
    failures,
    firstFailure,
    lastSentAt,
  };
}

/** Keys found in one notification body (one alert per body for both systems here). */
export type KeyReader = (body: string, headers: Record<string, string | string[] | undefined>) => string[] | null;

export interface Receiver {
  origin: string;
  /** Arrival time of each key's first notification. */
  arrivals: Map<string, number>;
  duplicates: number;
  /** Bodies that failed the reader (bad signature, unexpected shape). */
  rejected: number;
  requests: number;
  setReader(path: string, reader: KeyReader): void;
  close(): Promise<void>;
}

/** An HTTP server that answers every POST at once with 200 and records when each key arrived. */
export async function startReceiver(): Promise<Receiver> {
  const readers = new Map<string, KeyReader>();
  const arrivals = new Map<string, number>();
  const state = { duplicates: 0, rejected: 0, requests: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      state.requests++;
      const reader = readers.get((req.url ?? '').split('?')[0] ?? '');
      const keys = reader ? reader(Buffer.concat(chunks).toString('utf8'), req.headers) : null;
      if (!keys) {
        state.rejected++;
      } else {
        for (const key of keys) {
          if (arrivals.has(key)) state.duplicates++;
          else arrivals.set(key, at);
        }
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    arrivals,
    get duplicates() {
      return state.duplicates;
    },
    get rejected() {
      return state.rejected;
    },
    get requests() {
      return state.requests;
    },
    setReader: (path, reader) => void readers.set(path, reader),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Waits until every key in `keys` has arrived, or `graceMs` after `from` (performance.now()),
 * whichever is first; returns the keys still missing.
 */
export async function awaitArrivals(
  receiver: Receiver,
  keys: Iterable<string>,
  from: number,
  graceMs: number,
): Promise<string[]> {
  const wanted = [...keys];
  for (;;) {
    const missing = wanted.filter((k) => !receiver.arrivals.has(k));
    if (missing.length === 0 || performance.now() - from > graceMs) return missing;
    await sleep(100);
  }
}
