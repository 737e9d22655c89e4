/** Checks in one minute: `up` of them succeeded, out of `total`. */
export interface MinuteCounts {
  /** Start of the minute, ms since the epoch. */
  minute: number;
  up: number;
  total: number;
}

/** A half-open window `[from, to)` in ms since the epoch. */
export interface TimeWindow {
  from: number;
  to: number;
}

/**
 * Successful checks over all checks for the minutes that start inside `window`; null when no
 * check ran there, because "no data" is not "100 % up". Throws a RangeError on counts that
 * cannot be (negative, fractional, or more up than total).
 */
export function uptimeRatio(minutes: Iterable<MinuteCounts>, window: TimeWindow): number | null {
  let up = 0;
  let total = 0;
  for (const m of minutes) {
    if (!Number.isInteger(m.up) || !Number.isInteger(m.total) || m.up < 0 || m.up > m.total) {
      throw new RangeError(`invalid counts for minute ${m.minute}: up ${m.up}, total ${m.total}`);
    }
    if (m.minute < window.from || m.minute >= window.to) continue;
    up += m.up;
    total += m.total;
  }
  return total === 0 ? null : up / total;
}

export type UpDown = 'up' | 'down';

/** The moment a probe's state changed. */
export interface Transition {
  at: number;
  state: UpDown;
}

/** Reliability figures in ms; each is null when the window holds no period of that kind. */
export interface Reliability {
  /**
   * Mean time to repair: the mean duration of down periods, each from a transition to `down`
   * to the next transition to `up`, both inside the window.
   */
  mttrMs: number | null;
  /**
   * Mean time to failure: the mean duration of up periods that end in a failure, each from a
   * transition to `up` to the next transition to `down`, both inside the window.
   */
  mttfMs: number | null;
  /**
   * Mean time between failures: the mean time between the starts of consecutive failures
   * (transitions to `down`) inside the window. Each such gap is one down period plus the up
   * period after it, so on average MTBF = MTTF + MTTR (exactly, when the window's transitions
   * begin and end with a failure).
   */
  mtbfMs: number | null;
  /** Transitions to `down` inside the window. */
  failures: number;
}

/**
 * MTBF, MTTF and MTTR from a probe's transitions. Only transitions inside `[from, to)` count,
 * so a period cut by the window's edge (its start or end unknown here) is left out rather than
 * counted short. Input need not be sorted; repeated states (up, up) collapse to the first.
 */
export function reliability(transitions: Iterable<Transition>, window: TimeWindow): Reliability {
  const sorted = [...transitions].filter((t) => t.at >= window.from && t.at < window.to).sort((a, b) => a.at - b.at);
  const changes: Transition[] = [];
  for (const t of sorted) if (changes.at(-1)?.state !== t.state) changes.push(t);

  let repair = 0;
  let repairs = 0;
  let uptime = 0;
  let uptimes = 0;
  for (let i = 1; i < changes.length; i++) {
    const prev = changes[i - 1]!;
    const cur = changes[i]!;
    if (prev.state === 'down') {
      repair += cur.at - prev.at;
      repairs += 1;
    } else {
      uptime += cur.at - prev.at;
      uptimes += 1;
    }
  }
  const downs = changes.filter((t) => t.state === 'down');
  const first = downs[0];
  const last = downs.at(-1);
  return {
    mttrMs: repairs === 0 ? null : repair / repairs,
    mttfMs: uptimes === 0 ? null : uptime / uptimes,
    mtbfMs: first && last && downs.length > 1 ? (last.at - first.at) / (downs.length - 1) : null,
    failures: downs.length,
  };
}

/** A probe's state with the streak that may change it. `unknown` until the first verdict. */
export interface ProbeState {
  status: UpDown | 'unknown';
  /** Consecutive failed checks ending with the latest one. */
  failures: number;
  /** Consecutive successful checks ending with the latest one. */
  successes: number;
}

export interface StateRules {
  /**
   * Failed checks retried before the probe is declared down: it goes down on the
   * `retries + 1`-th consecutive failure, so 0 means the first failure.
   */
  retries: number;
  /** Consecutive successes that bring a down probe back up (at least 1). */
  successesBeforeUp: number;
}

export const initialProbeState: ProbeState = { status: 'unknown', failures: 0, successes: 0 };

/**
 * Folds one check result into the state. Up → down after `retries + 1` consecutive failures;
 * down → up after `successesBeforeUp` consecutive successes; a result that breaks a streak
 * resets it, so a flapping target does not change state until a streak completes. An unknown
 * probe goes up on its first success (nothing to recover from) and down by the same rule as
 * an up one. `transition` is set only when the status changed.
 */
export function nextState(
  prev: ProbeState,
  checkOk: boolean,
  rules: StateRules,
): { state: ProbeState; transition: { from: ProbeState['status']; to: UpDown } | null } {
  const failures = checkOk ? 0 : prev.failures + 1;
  const successes = checkOk ? prev.successes + 1 : 0;
  let status = prev.status;
  if (checkOk && (status === 'unknown' || (status === 'down' && successes >= Math.max(1, rules.successesBeforeUp)))) {
    status = 'up';
  } else if (!checkOk && status !== 'down' && failures >= Math.max(0, rules.retries) + 1) {
    status = 'down';
  }
  return {
    state: { status, failures, successes },
    transition: status === prev.status || status === 'unknown' ? null : { from: prev.status, to: status },
  };
}
