import { InputError } from '../../core/errors.ts';

/**
 * Flap detection for one alert (one dedup key): an alert that keeps flipping between triggered
 * and resolved pages people over and over for one underlying problem. Once it is flapping, the
 * pipeline can hold its notifications back and say so instead.
 *
 * The rule, with N changes, a window W and a quiet period Q:
 * - the alert starts flapping at a state change that makes at least N changes within the
 *   window ending there, `(t − W, t]`;
 * - it stops flapping once Q has passed without any change, at `last change + Q`;
 * - it may start again at a later change, by the first rule.
 *
 * The two thresholds differ on purpose (hysteresis): N changes in W to start, a silence of Q to
 * stop. A rule with one threshold would switch on and off at every change near its edge, which is
 * exactly the noise it is meant to remove.
 */

export interface FlappingOptions {
  /** State changes within the window that make an alert flap (N, at least 2). */
  threshold: number;
  /** The window the changes are counted in, in ms (W). */
  windowMs: number;
  /** Time without any change after which a flapping alert is calm again, in ms (Q). */
  quietMs: number;
}

/** 6 changes within an hour; calm after 30 minutes without a change. */
export const DEFAULT_FLAPPING: FlappingOptions = { threshold: 6, windowMs: 3_600_000, quietMs: 1_800_000 };

export interface FlappingStatus {
  flapping: boolean;
  /** State changes within the window ending at `now`, `(now − W, now]`. */
  changes: number;
  /**
   * While flapping, when it started flapping; otherwise when it last stopped flapping, or null
   * when it has not flapped in the history given.
   */
  since: number | null;
}

function validate(options: FlappingOptions): void {
  if (!Number.isInteger(options.threshold) || options.threshold < 2) {
    throw InputError.field('flapping.threshold', `must be a whole number of at least 2, not ${options.threshold}`);
  }
  if (!(options.windowMs > 0)) throw InputError.field('flapping.window', 'must be longer than zero');
  if (!(options.quietMs > 0)) throw InputError.field('flapping.quiet', 'must be longer than zero');
}

/**
 * Whether the alert is flapping at `now`, given the times (ms) its state changed between
 * triggered and resolved. Order does not matter; changes after `now` are ignored, so the answer
 * for a past instant can be asked of a complete history. Throws an {@link InputError} for
 * options that cannot work (fewer than 2 changes, an empty window or quiet period).
 */
export function detectFlapping(
  changeTimes: Iterable<number>,
  now: number,
  options: Partial<FlappingOptions> = {},
): FlappingStatus {
  const { threshold, windowMs, quietMs } = { ...DEFAULT_FLAPPING, ...options };
  validate({ threshold, windowMs, quietMs });
  const times = [...changeTimes].filter((t) => t <= now).sort((a, b) => a - b);

  let flapping = false;
  let since: number | null = null;
  let first = 0; // index of the oldest change within the window ending at the current one
  for (let i = 0; i < times.length; i++) {
    const t = times[i] ?? 0;
    const prev = times[i - 1];
    if (flapping && prev !== undefined && t - prev >= quietMs) {
      flapping = false;
      since = prev + quietMs;
    }
    while ((times[first] ?? t) <= t - windowMs) first += 1;
    if (!flapping && i - first + 1 >= threshold) {
      flapping = true;
      since = t;
    }
  }
  const last = times.at(-1);
  if (flapping && last !== undefined && now - last >= quietMs) {
    flapping = false;
    since = last + quietMs;
  }
  const changes = times.filter((t) => t > now - windowMs).length;
  return { flapping, changes, since };
}
