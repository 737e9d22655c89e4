import { performance } from 'node:perf_hooks';
import type { Clock } from '../../core/clock.ts';
import type { SmtpSettings } from './channel.model.ts';

/**
 * What one delivery attempt came to. A channel never throws for a failed delivery: the pipeline
 * records every outcome and decides from `retryable` (and `retryAfterMs`) whether and when to
 * try again.
 */
export type DeliveryOutcome =
  | {
      ok: true;
      /** The HTTP status, or for email the SMTP reply code. */
      status?: number;
      durationMs: number;
      detail: string;
    }
  | {
      ok: false;
      /** False when trying again cannot help: the config is wrong or the receiver refuses the message for good. */
      retryable: boolean;
      status?: number;
      durationMs: number;
      detail: string;
      /** How long the receiver asked to be left alone (`Retry-After`), when it said so. */
      retryAfterMs?: number;
    };

export interface DeliverOptions {
  /** Stamps signatures and turns a `Retry-After` date into a delay; durations use a monotonic timer. */
  clock: Clock;
  /** Bounds the whole attempt, connecting included. Default 10 s. */
  timeoutMs?: number;
  /** Ends the attempt early, e.g. on shutdown; the outcome is then a retryable failure. */
  signal?: AbortSignal;
  /** The server-wide SMTP settings for email channels that name no server of their own. */
  smtpDefaults?: SmtpSettings;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** The attempt's signal: the caller's, ended as well after the timeout. */
export interface AttemptSignal {
  signal: AbortSignal;
  timeoutMs: number;
  timedOut(): boolean;
}

export function attemptSignal(options: DeliverOptions): AttemptSignal {
  const timeoutMs = options.timeoutMs !== undefined && options.timeoutMs > 0 ? options.timeoutMs : DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  // The caller's abort wins when both happened: a shutdown is not the receiver's slowness.
  return { signal, timeoutMs, timedOut: () => timeout.aborted && !options.signal?.aborted };
}

/** Measures an attempt with the monotonic clock, so a fake Clock in tests cannot distort it. */
export function stopwatch(): () => number {
  const started = performance.now();
  return () => Math.round((performance.now() - started) * 100) / 100;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
