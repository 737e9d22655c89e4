import { request } from 'undici';
import { attemptSignal, type DeliverOptions, type DeliveryOutcome, errorMessage, stopwatch } from './delivery.ts';
import { oneLine } from './message.ts';

/**
 * One HTTP POST of a rendered message and what came of it, shared by the webhook, Slack and
 * Teams channels. Uses the runtime's `fetch` with redirects off: a channel URL that redirects is
 * a config to fix, and following it would send a signed body somewhere nobody configured.
 */

/** Sent with every request, so receivers can tell Vigil's notifications in their logs. */
export const USER_AGENT = 'Vigil-Notifier/1';

/** Responses are read this far at most; a receiver answering with megabytes costs nothing more. */
export const MAX_RESPONSE_BYTES = 65_536;
/** How much of the response body an outcome quotes. */
export const EXCERPT_BYTES = 512;

export interface HttpPost {
  url: string;
  headers: Record<string, string>;
  body: string;
  /**
   * Looks at a 2xx response's body for a failure reported inside a success, which some
   * receivers do (Teams connectors); returns the status the failure amounts to.
   */
  failureIn2xx?: (body: string) => number | undefined;
}

export async function postMessage(post: HttpPost, options: DeliverOptions): Promise<DeliveryOutcome> {
  const elapsed = stopwatch();
  if (options.signal?.aborted) return { ok: false, retryable: true, durationMs: elapsed(), detail: 'aborted before sending' };
  const attempt = attemptSignal(options);
  // undici's request rather than fetch: no WHATWG streams or Headers objects per delivery,
  // which made fetch cost several times more CPU than the delivery's database work. Redirects
  // are not followed; connections are kept alive between deliveries to the same receiver.
  let response: Awaited<ReturnType<typeof request>>;
  try {
    response = await request(post.url, {
      method: 'POST',
      headers: { 'user-agent': USER_AGENT, ...post.headers },
      body: post.body,
      signal: attempt.signal,
    });
  } catch (err) {
    const failure = requestFailure(err, post.url, attempt.timedOut(), attempt.signal.aborted, attempt.timeoutMs);
    return { ok: false, ...failure, durationMs: elapsed() };
  }
  // A body cut short by the timeout still leaves a status to judge: the receiver has answered.
  const body = await readBody(response.body);
  const headers = response.headers;
  const get = (name: string): string | null => {
    const value = headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  };
  return judgeResponse(response.statusCode, { get }, body, options.clock.now(), elapsed(), post.failureIn2xx);
}

export interface ResponseBody {
  text: string;
  /** Why reading stopped early, when it did. */
  problem?: string;
}

async function readBody(body: AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown }): Promise<ResponseBody> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size >= MAX_RESPONSE_BYTES) {
        // The rest is never pulled off the connection.
        body.destroy();
        return { text: decode(chunks), problem: `response longer than ${MAX_RESPONSE_BYTES} bytes, not read to the end` };
      }
    }
    return { text: decode(chunks) };
  } catch (err) {
    body.destroy();
    return { text: decode(chunks), problem: `response body not read to the end: ${errorMessage(err)}` };
  }
}

function decode(chunks: Uint8Array[]): string {
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

export function judgeResponse(
  status: number,
  headers: { get(name: string): string | null },
  body: ResponseBody,
  nowMs: number,
  durationMs: number,
  failureIn2xx?: (body: string) => number | undefined,
): DeliveryOutcome {
  const quoted = excerpt(body.text);
  const detail = `HTTP ${status}${quoted ? `: ${quoted}` : ''}${body.problem ? ` (${body.problem})` : ''}`;
  if (status >= 200 && status < 300) {
    const reported = failureIn2xx?.(body.text);
    if (reported === undefined) return { ok: true, status, durationMs, detail };
    return {
      ok: false,
      retryable: isRetryableStatus(reported),
      status,
      durationMs,
      detail: `${detail} (a failure reported as a success)`,
    };
  }
  if (status >= 300 && status < 400) {
    const location = headers.get('location');
    return {
      ok: false,
      retryable: false,
      status,
      durationMs,
      detail: `HTTP ${status}: redirected to ${location ? oneLine(location) : '(no Location header)'}; redirects are not followed, configure the final URL`,
    };
  }
  const retryable = isRetryableStatus(status);
  const retryAfterMs = retryable ? parseRetryAfter(headers.get('retry-after'), nowMs) : undefined;
  return { ok: false, retryable, status, durationMs, detail, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/**
 * Rate limits, request timeouts and server errors pass; any other 4xx says the URL, the
 * credentials or the message is wrong, and the same request would be refused again.
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

const HTTP_DATE_RE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/** `Retry-After` as a delay: delta-seconds, or an HTTP-date measured from `nowMs`. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d{1,12}$/.test(trimmed)) return Number(trimmed) * 1000;
  // Date.parse reads much that is no HTTP-date ("7.5" is a July date), so only dates that look like one count.
  if (!HTTP_DATE_RE.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

interface RequestFailure {
  retryable: boolean;
  detail: string;
}

function requestFailure(err: unknown, url: string, timedOut: boolean, aborted: boolean, timeoutMs: number): RequestFailure {
  if (timedOut) return { retryable: true, detail: `timed out after ${timeoutMs} ms` };
  if (aborted) return { retryable: true, detail: 'aborted' };
  // The socket's error (ECONNREFUSED, ENOTFOUND, a TLS failure), sometimes wrapped in a cause.
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  const reason = errorMessage(cause);
  if (err instanceof Error && (err as NodeJS.ErrnoException).code === 'ERR_INVALID_URL') {
    return { retryable: false, detail: `"${url}" is not a URL that can be posted to` };
  }
  return { retryable: true, detail: `connection failed: ${reason}` };
}

/** The first bytes of a response body on one line. */
export function excerpt(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  // Cutting mid-character leaves a replacement character at the end, which is fine for display.
  const head = bytes.length <= EXCERPT_BYTES ? text : bytes.subarray(0, EXCERPT_BYTES).toString('utf8');
  return oneLine(head).replace(/\s+/g, ' ');
}
