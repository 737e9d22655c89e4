/**
 * Reports SLI events to Vigil in batches. Each batch carries an id, so a batch retried after a
 * timeout (the server may have stored it) counts once. No dependencies: global `fetch` only.
 */
export type SliEvent = { timestamp: number | string; good: number; total: number } | { timestamp: number | string; value: number };

export interface SliReporterOptions {
  /** Vigil base URL, e.g. `http://localhost:4600`. */
  url: string;
  /** A token with the `ingest` scope. */
  token: string;
  /** SLI name. */
  sli: string;
  /** Send when this many events are buffered (default 500, at most 10,000). */
  batchSize?: number;
  /** Send buffered events at least this often (default 5 s). */
  flushIntervalMs?: number;
  /** Attempts per batch before it is handed to `onError` (default 5). */
  maxAttempts?: number;
  /** Called with a batch that could not be delivered after every attempt. */
  onError?: (error: Error, events: SliEvent[]) => void;
  /** Injected for tests. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface IngestResult {
  accepted: number;
  rejected: Array<{ index: number; reason: string }>;
  duplicate: boolean;
}

class PermanentError extends Error {}

export class SliReporter {
  readonly #opts: Required<Omit<SliReporterOptions, 'onError' | 'fetch' | 'sleep'>> & Pick<SliReporterOptions, 'onError'>;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  #buffer: SliEvent[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;
  #sending: Promise<void> = Promise.resolve();
  #seq = 0;
  readonly #prefix = Math.random().toString(36).slice(2, 10);

  constructor(options: SliReporterOptions) {
    this.#opts = {
      url: options.url.replace(/\/+$/, ''),
      token: options.token,
      sli: options.sli,
      batchSize: Math.min(options.batchSize ?? 500, 10_000),
      flushIntervalMs: options.flushIntervalMs ?? 5_000,
      maxAttempts: options.maxAttempts ?? 5,
      onError: options.onError,
    };
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.#timer = setInterval(() => void this.flush(), this.#opts.flushIntervalMs);
    this.#timer.unref?.();
  }

  /** Records good/total counts, e.g. `record({ good: 99, total: 100 })`. */
  record(counts: { good: number; total: number; timestamp?: number }): void {
    this.#push({ timestamp: counts.timestamp ?? Date.now(), good: counts.good, total: counts.total });
  }

  /** Records a raw observation (e.g. a latency in ms) judged against the SLI's threshold by Vigil. */
  observe(value: number, timestamp: number = Date.now()): void {
    this.#push({ timestamp, value });
  }

  #push(event: SliEvent): void {
    this.#buffer.push(event);
    if (this.#buffer.length >= this.#opts.batchSize) void this.flush();
  }

  /** Sends everything buffered; resolves when it has been delivered or given up. */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      while (this.#buffer.length > 0) {
        const events = this.#buffer.splice(0, this.#opts.batchSize);
        const batchId = `${this.#prefix}-${++this.#seq}`;
        try {
          await this.#send(batchId, events);
        } catch (error) {
          this.#opts.onError?.(error as Error, events);
        }
      }
    };
    this.#sending = this.#sending.then(run, run);
    return this.#sending;
  }

  async #send(batchId: string, events: SliEvent[]): Promise<IngestResult> {
    let lastError: Error = new Error('not sent');
    for (let attempt = 1; attempt <= this.#opts.maxAttempts; attempt++) {
      try {
        const res = await this.#fetch(`${this.#opts.url}/api/v1/slis/${encodeURIComponent(this.#opts.sli)}/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.#opts.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ batchId, events }),
        });
        if (res.ok) return (await res.json()) as IngestResult;
        const body = await res.text();
        // 4xx other than 408/429 will not get better by retrying the same batch.
        if (res.status < 500 && res.status !== 408 && res.status !== 429) throw new PermanentError(`${res.status}: ${body.slice(0, 300)}`);
        lastError = new Error(`${res.status}: ${body.slice(0, 300)}`);
      } catch (error) {
        if (error instanceof PermanentError) throw error;
        lastError = error as Error;
      }
      if (attempt < this.#opts.maxAttempts) await this.#sleep(Math.min(200 * 2 ** (attempt - 1), 10_000));
    }
    throw lastError;
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.flush();
  }
}
