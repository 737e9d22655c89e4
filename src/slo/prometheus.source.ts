import { formatDuration } from '../core/duration.ts';
import { InputError, UnavailableError } from '../core/errors.ts';
import type { WindowSums } from './slo.math.ts';
import type { DataSourceSpec, SliSpec } from './slo.model.ts';
import type { MinuteCounts } from './slo.store.ts';

/**
 * Reads a Prometheus-based SLI's good and total counts from the PromQL HTTP API
 * (`/api/v1/query`, `/api/v1/query_range`).
 *
 * Counts come from `increase()`, which Prometheus extrapolates to the edges of each window, so
 * they are estimates that Vigil rounds to whole events. Per-minute buckets are rounded so that
 * their running sum stays the rounded running sum of the estimates: rounding never drifts.
 */

export interface PrometheusSourceOptions {
  /** Per request (default 10 s). */
  timeoutMs?: number;
  /** For tests and proxies; the global `fetch` by default. */
  fetch?: typeof fetch;
}

/** The PromQL of an SLI: range-less selectors, `good` or `bad` (exactly one) over `total`. */
export interface SliSelectors {
  total: string;
  good: string | null;
  bad: string | null;
}

interface InstantSample {
  metric: Record<string, string>;
  value: [number, string];
}

interface RangeSeries {
  metric: Record<string, string>;
  values: Array<[number, string]>;
}

interface ApiResponse {
  status?: 'success' | 'error';
  data?: { resultType?: string; result?: unknown };
  errorType?: string;
  error?: string;
}

const MINUTE_MS = 60_000;
/** Prometheus refuses range queries of more than 11 000 points per series. */
const MAX_STEPS = 10_000;
const DEFAULT_TIMEOUT_MS = 10_000;

/**
 * A range-less instant selector (`metric{label="v"}` or `{__name__="m"}`), the only form that can
 * be wrapped in `increase(…[w])`. Anything else is refused here, naming the field, rather than by
 * Prometheus later with a parse error about a query the user never wrote.
 */
const SELECTOR = /^(?:[a-zA-Z_:][a-zA-Z0-9_:]*)?\s*(?:\{(?:[^{}"'`]|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)*\})?$/s;

/** Whether `expr` is a series selector that `rate(…[w])` and `increase(…[w])` can take. */
export function isSeriesSelector(expr: string): boolean {
  const trimmed = expr.trim();
  return /[\w}]/.test(trimmed) && SELECTOR.test(trimmed);
}

/** The SLI's selectors, checked. Throws an {@link InputError} naming `sli <name>: prometheus.<field>`. */
export function sliSelectors(sli: SliSpec): SliSelectors {
  const prom = sli.prometheus;
  if (sli.source !== 'prometheus' || !prom) {
    throw InputError.field(`sli ${sli.name}: source`, `is ${sli.source}, not prometheus`);
  }
  const check = (expr: string | null, field: string): string | null => {
    if (expr === null) return null;
    if (!isSeriesSelector(expr)) {
      throw InputError.field(
        `sli ${sli.name}: prometheus.${field}`,
        `"${expr}" must be a series selector without a range, e.g. http_requests_total{job="api"}`,
      );
    }
    return expr.trim();
  };
  const good = check(prom.good, 'good');
  const bad = check(prom.bad, 'bad');
  if ((good === null) === (bad === null)) {
    throw InputError.field(`sli ${sli.name}: prometheus`, 'needs exactly one of good and bad, over total');
  }
  return { total: check(prom.total, 'total') as string, good, bad };
}

export class PrometheusSource {
  readonly name: string;
  readonly #api: URL;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(dataSource: Pick<DataSourceSpec, 'name' | 'url'>, options: PrometheusSourceOptions = {}) {
    this.name = dataSource.name;
    const url = new URL(dataSource.url);
    this.#headers = { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' };
    // fetch refuses URLs that carry credentials; Prometheus behind basic auth is common.
    if (url.username || url.password) {
      const user = decodeURIComponent(url.username);
      const password = decodeURIComponent(url.password);
      this.#headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      url.username = '';
      url.password = '';
    }
    // Keep a path prefix (Prometheus behind /prometheus/) when resolving api/v1/….
    if (!url.pathname.endsWith('/')) url.pathname += '/';
    this.#api = url;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Good and total events of the SLI in the window `[fromMs, toMs]`, evaluated at `toMs`. */
  async fetchCounts(sli: SliSpec, fromMs: number, toMs: number): Promise<WindowSums> {
    const sel = sliSelectors(sli);
    if (!(toMs > fromMs)) throw new InputError(`the window must end after it starts (${fromMs} … ${toMs})`);
    const range = formatDuration(toMs - fromMs);
    const [total, part] = await Promise.all([
      this.query(`sum(increase(${sel.total}[${range}]))`, toMs),
      this.query(`sum(increase(${sel.good ?? sel.bad}[${range}]))`, toMs),
    ]);
    const t = total[0] ? Math.max(0, Math.round(sampleValue(total[0].value[1]))) : 0;
    const p = part[0] ? clamp(Math.round(sampleValue(part[0].value[1])), t) : 0;
    return { total: t, good: sel.good !== null ? p : t - p };
  }

  /**
   * Per-minute counts for every whole minute in `[fromMs, toMs)`, as the SLO store keeps them:
   * `minute` is the epoch minute (ms / 60 000) the bucket starts at. A minute's counts are
   * `increase(…[1m])` evaluated at its end. Minutes without any `total` series are left out
   * (Prometheus had no data); a minute with series but no requests comes back as zeros.
   */
  async fetchMinuteBuckets(sli: SliSpec, fromMs: number, toMs: number): Promise<MinuteCounts[]> {
    const sel = sliSelectors(sli);
    const first = Math.ceil(fromMs / MINUTE_MS);
    const end = Math.floor(toMs / MINUTE_MS);
    const out: MinuteCounts[] = [];
    let cumTotal = 0;
    let cumPart = 0;
    for (let chunk = first; chunk < end; chunk += MAX_STEPS) {
      const last = Math.min(end, chunk + MAX_STEPS) - 1;
      // Each point is evaluated at its minute's end and looks back over that minute.
      const startMs = (chunk + 1) * MINUTE_MS;
      const endMs = (last + 1) * MINUTE_MS;
      const [total, part] = await Promise.all([
        this.queryRange(`sum(increase(${sel.total}[1m]))`, startMs, endMs, MINUTE_MS),
        this.queryRange(`sum(increase(${sel.good ?? sel.bad}[1m]))`, startMs, endMs, MINUTE_MS),
      ]);
      const parts = new Map<number, number>();
      for (const [ts, v] of part[0]?.values ?? []) parts.set(Math.round(ts * 1000), sampleValue(v));
      for (const [ts, v] of total[0]?.values ?? []) {
        const atMs = Math.round(ts * 1000);
        const prevTotal = Math.round(cumTotal);
        const prevPart = Math.round(cumPart);
        cumTotal += Math.max(0, sampleValue(v));
        cumPart += Math.max(0, parts.get(atMs) ?? 0);
        const t = Math.round(cumTotal) - prevTotal;
        const p = clamp(Math.round(cumPart) - prevPart, t);
        out.push({ minute: atMs / MINUTE_MS - 1, total: t, good: sel.good !== null ? p : t - p });
      }
    }
    return out;
  }

  /** An instant query at `atMs`. */
  async query(promql: string, atMs: number): Promise<InstantSample[]> {
    const data = await this.#call('api/v1/query', { query: promql, time: seconds(atMs) });
    if (data.resultType !== 'vector' || !Array.isArray(data.result)) {
      throw new UnavailableError(
        `${this.#who()} answered "${promql}" with a ${data.resultType ?? 'malformed'} result, not an instant vector`,
      );
    }
    return data.result as InstantSample[];
  }

  /** A range query; timestamps in the answer are seconds, as Prometheus writes them. */
  async queryRange(promql: string, startMs: number, endMs: number, stepMs: number): Promise<RangeSeries[]> {
    const data = await this.#call('api/v1/query_range', {
      query: promql,
      start: seconds(startMs),
      end: seconds(endMs),
      step: seconds(stepMs),
    });
    if (data.resultType !== 'matrix' || !Array.isArray(data.result)) {
      throw new UnavailableError(
        `${this.#who()} answered "${promql}" with a ${data.resultType ?? 'malformed'} result, not a matrix`,
      );
    }
    return data.result as RangeSeries[];
  }

  async #call(path: string, params: Record<string, string>): Promise<{ resultType?: string; result?: unknown }> {
    const url = new URL(path, this.#api);
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: 'POST',
        headers: this.#headers,
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const reason =
        (error as Error).name === 'TimeoutError' ? `no answer within ${this.#timeoutMs} ms` : (error as Error).message;
      throw new UnavailableError(`${this.#who()} did not answer: ${reason}`);
    }
    const text = await response.text().catch(() => '');
    let body: ApiResponse | null = null;
    try {
      body = JSON.parse(text) as ApiResponse;
    } catch {
      body = null;
    }
    if (response.ok && body?.status === 'success' && body.data) return body.data;
    const detail = body?.error ?? (text.slice(0, 200) || response.statusText);
    // bad_data is a query Prometheus cannot parse or run as written: the SLI definition is wrong,
    // and retrying will not help. Everything else (timeouts, overload, auth) may pass.
    if (body?.errorType === 'bad_data') {
      throw new InputError(`${this.#who()} rejected "${params.query}": ${detail}`, [{ path: 'query', message: detail }]);
    }
    throw new UnavailableError(
      `${this.#who()} failed (HTTP ${response.status}${body?.errorType ? `, ${body.errorType}` : ''}): ${detail}`,
    );
  }

  #who(): string {
    return `Prometheus data source "${this.name}" (${this.#api.origin})`;
  }
}

function seconds(ms: number): string {
  return String(ms / 1000);
}

/** Prometheus writes sample values as strings, `NaN` and `+Inf` included; those count as nothing. */
function sampleValue(text: string): number {
  const n = Number(text);
  return Number.isFinite(n) ? n : 0;
}

function clamp(n: number, max: number): number {
  return Math.min(Math.max(n, 0), max);
}
