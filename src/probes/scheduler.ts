import type { Clock } from '../core/clock.ts';
import { LatencyHistogram } from '../slo/histogram.ts';

/** One periodic check. `host` is what the per-host bound counts against (usually the target's host name). */
export interface ProbeJob<T> {
  id: string;
  intervalMs: number;
  host: string;
  run(): Promise<T>;
}

/** What happened to one run, handed to {@link SchedulerDeps.onResult}. */
export type RunOutcome<T> = {
  id: string;
  /** The slot the run belonged to (ms since the epoch). */
  plannedAt: number;
  startedAt: number;
  finishedAt: number;
} & ({ ok: true; value: T } | { ok: false; error: unknown });

/** Arms a one-shot timer; the returned function cancels it. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

export interface SchedulerDeps<T> {
  clock: Clock;
  /** Defaults to `setTimeout`; tests pass a fake driven together with a FakeClock. */
  setTimer?: SetTimer;
  /** Runs in flight across all probes. Defaults to 256. */
  maxConcurrency?: number;
  /** Runs in flight against one host. Defaults to 4. */
  maxPerHost?: number;
  /** Called after every run settles. A throw here is swallowed so one bad consumer cannot stop the scheduler. */
  onResult?: (outcome: RunOutcome<T>) => void;
}

export interface SchedulerStats {
  probes: number;
  running: number;
  /** Due runs waiting for a global or per-host slot. */
  waiting: number;
  started: number;
  succeeded: number;
  failed: number;
  /**
   * Slots that passed without a run: the probe's previous run was still in flight or still
   * waiting for a slot, or the scheduler itself fell more than an interval behind.
   */
  skipped: number;
  /** Actual start minus planned start, in ms. */
  lag: { count: number; p50: number | null; p99: number | null; max: number | null };
}

const MAX_TIMER_MS = 2 ** 31 - 1;

const defaultSetTimer: SetTimer = (fn, ms) => {
  const handle = setTimeout(fn, ms);
  return () => clearTimeout(handle);
};

type Phase = 'idle' | 'waiting' | 'running';

interface Entry<T> {
  job: ProbeJob<T>;
  phase: Phase;
  /** Next planned start; the live heap item carries this time and {@link Entry.gen}. */
  nextAt: number;
  /** Bumped whenever nextAt changes or the entry is removed, so older heap items are recognisably stale. */
  gen: number;
  removed: boolean;
  /** Planned start of the slot the entry is waiting or running for. */
  dueAt: number;
  /** Host the running run is counted against; `update` may change job.host mid-run. */
  runningHost: string | null;
}

interface HeapItem<T> {
  at: number;
  gen: number;
  entry: Entry<T>;
}

interface HostState<T> {
  active: number;
  waiting: Entry<T>[];
}

/**
 * Runs thousands of periodic probes from one timer.
 *
 * - Each probe runs on slots `k·intervalMs + offset`, with `offset` derived from a hash of its id.
 *   Slots are aligned to the epoch rather than to `start()`, so probes are spread over their
 *   interval, and a probe keeps its phase across restarts and when it moves to another replica.
 * - Next-run times live in a binary min-heap (O(log n) per run) and a single timer is armed for
 *   the earliest one; removed or rescheduled probes leave stale heap items that are dropped
 *   when popped (and compacted away if they pile up).
 * - A due run waits for a global slot and a slot of its host. Hosts with waiting runs are served
 *   round-robin, so a host whose runs hang holds at most `maxPerHost` slots and never delays
 *   others.
 * - A probe whose previous run is still in flight (or still waiting) when its next slot comes
 *   skips that slot: queueing would let a slow target pile up work without bound.
 */
export class ProbeScheduler<T> {
  readonly #clock: Clock;
  readonly #setTimer: SetTimer;
  readonly #maxConcurrency: number;
  readonly #maxPerHost: number;
  readonly #onResult: ((outcome: RunOutcome<T>) => void) | undefined;

  readonly #entries = new Map<string, Entry<T>>();
  readonly #heap: HeapItem<T>[] = [];
  readonly #hosts = new Map<string, HostState<T>>();
  /** Hosts with waiting runs and a free host slot, in round-robin order (a Set keeps insertion order). */
  readonly #runnable = new Set<string>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #lag = new LatencyHistogram();

  #running = false;
  #active = 0;
  #waiting = 0;
  #cancelTimer: (() => void) | null = null;
  #armedAt = Number.POSITIVE_INFINITY;
  #started = 0;
  #succeeded = 0;
  #failed = 0;
  #skipped = 0;

  constructor(deps: SchedulerDeps<T>) {
    this.#clock = deps.clock;
    this.#setTimer = deps.setTimer ?? defaultSetTimer;
    this.#maxConcurrency = positiveInt(deps.maxConcurrency ?? 256, 'maxConcurrency');
    this.#maxPerHost = positiveInt(deps.maxPerHost ?? 4, 'maxPerHost');
    this.#onResult = deps.onResult;
  }

  /** Adds a probe; throws if its id is already scheduled. */
  add(job: ProbeJob<T>): void {
    if (this.#entries.has(job.id)) throw new Error(`probe ${job.id} is already scheduled`);
    positiveInt(job.intervalMs, 'intervalMs');
    const entry: Entry<T> = { job, phase: 'idle', nextAt: 0, gen: 0, removed: false, dueAt: 0, runningHost: null };
    this.#entries.set(job.id, entry);
    if (this.#running) this.#schedule(entry, firstSlot(job.id, job.intervalMs, this.#clock.now()));
  }

  /**
   * Replaces a probe's definition. A run in flight finishes under the old definition; the next
   * slot follows the new interval (and its phase, which depends on the interval).
   */
  update(job: ProbeJob<T>): void {
    const entry = this.#entries.get(job.id);
    if (!entry) throw new Error(`probe ${job.id} is not scheduled`);
    positiveInt(job.intervalMs, 'intervalMs');
    const intervalChanged = entry.job.intervalMs !== job.intervalMs;
    const hostChanged = entry.job.host !== job.host;
    if (entry.phase === 'waiting' && hostChanged) this.#unwait(entry);
    entry.job = job;
    if (entry.phase === 'waiting' && hostChanged) this.#enqueue(entry);
    if (this.#running && intervalChanged) this.#schedule(entry, firstSlot(job.id, job.intervalMs, this.#clock.now()));
    this.#dispatch();
  }

  /** Stops scheduling a probe. A run in flight is not interrupted, but its slot is released when it settles. */
  remove(id: string): boolean {
    const entry = this.#entries.get(id);
    if (!entry) return false;
    this.#entries.delete(id);
    entry.removed = true;
    entry.gen += 1;
    if (entry.phase === 'waiting') this.#unwait(entry);
    this.#compactIfStale();
    return true;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const now = this.#clock.now();
    for (const entry of this.#entries.values()) this.#schedule(entry, firstSlot(entry.job.id, entry.job.intervalMs, now), false);
    this.#arm();
  }

  /** Stops starting runs, drops waiting ones, and resolves once every run in flight has settled. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#disarm();
    this.#heap.length = 0;
    for (const entry of this.#entries.values()) if (entry.phase === 'waiting') this.#unwait(entry);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  stats(): SchedulerStats {
    return {
      probes: this.#entries.size,
      running: this.#active,
      waiting: this.#waiting,
      started: this.#started,
      succeeded: this.#succeeded,
      failed: this.#failed,
      skipped: this.#skipped,
      lag: {
        count: this.#lag.count,
        p50: this.#lag.quantile(0.5),
        p99: this.#lag.quantile(0.99),
        max: this.#lag.max,
      },
    };
  }

  /** Planned start of a probe's next slot, or null when it is not scheduled. */
  nextRunAt(id: string): number | null {
    const entry = this.#entries.get(id);
    return entry && this.#running ? entry.nextAt : null;
  }

  /** `arm: false` lets `start()` push every probe and arm the timer once, not once per earlier probe. */
  #schedule(entry: Entry<T>, at: number, arm = true): void {
    entry.nextAt = at;
    entry.gen += 1;
    heapPush(this.#heap, { at, gen: entry.gen, entry });
    this.#compactIfStale();
    if (arm && at < this.#armedAt) this.#arm();
  }

  #arm(): void {
    this.#disarm();
    const top = this.#heap[0];
    if (!this.#running || !top) return;
    this.#armedAt = top.at;
    // setTimeout treats delays above 2^31 − 1 ms (~24.8 days) as 1 ms; waking early just re-arms.
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, top.at - this.#clock.now()));
    this.#cancelTimer = this.#setTimer(() => this.#tick(), delay);
  }

  #disarm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  #tick(): void {
    this.#cancelTimer = null;
    this.#armedAt = Number.POSITIVE_INFINITY;
    if (!this.#running) return;
    const now = this.#clock.now();
    for (let top = this.#heap[0]; top && top.at <= now; top = this.#heap[0]) {
      heapPop(this.#heap);
      const entry = top.entry;
      if (entry.removed || top.gen !== entry.gen) continue;
      this.#due(entry, top.at, now);
    }
    // #due pushed the next slots without arming; one timer for the new earliest is armed below.
    this.#dispatch();
    this.#arm();
  }

  #due(entry: Entry<T>, plannedAt: number, now: number): void {
    const interval = entry.job.intervalMs;
    // Slots the scheduler itself overslept count as skipped; the run goes to the latest due slot.
    const behind = Math.floor((now - plannedAt) / interval);
    this.#skipped += behind;
    const slot = plannedAt + behind * interval;
    if (entry.phase === 'idle') {
      entry.dueAt = slot;
      this.#enqueue(entry);
    } else {
      this.#skipped += 1;
    }
    this.#schedule(entry, slot + interval, false);
  }

  #host(name: string): HostState<T> {
    let state = this.#hosts.get(name);
    if (!state) {
      state = { active: 0, waiting: [] };
      this.#hosts.set(name, state);
    }
    return state;
  }

  #enqueue(entry: Entry<T>): void {
    entry.phase = 'waiting';
    this.#waiting += 1;
    const host = this.#host(entry.job.host);
    host.waiting.push(entry);
    if (host.active < this.#maxPerHost) this.#runnable.add(entry.job.host);
  }

  #unwait(entry: Entry<T>): void {
    const name = entry.job.host;
    const host = this.#hosts.get(name);
    const i = host ? host.waiting.indexOf(entry) : -1;
    if (host && i >= 0) host.waiting.splice(i, 1);
    entry.phase = 'idle';
    this.#waiting -= 1;
    if (host && host.waiting.length === 0) this.#runnable.delete(name);
    this.#forgetHostIfIdle(name);
  }

  #forgetHostIfIdle(name: string): void {
    const host = this.#hosts.get(name);
    if (host && host.active === 0 && host.waiting.length === 0) this.#hosts.delete(name);
  }

  #dispatch(): void {
    if (!this.#running) return;
    while (this.#active < this.#maxConcurrency) {
      const name = this.#runnable.values().next();
      if (name.done) return;
      this.#runnable.delete(name.value);
      const host = this.#host(name.value);
      const entry = host.waiting.shift();
      if (!entry) continue;
      this.#waiting -= 1;
      this.#launch(entry, host);
      // Back of the line: the next waiting host goes first, whichever host has the most waiting.
      if (host.waiting.length > 0 && host.active < this.#maxPerHost) this.#runnable.add(name.value);
    }
  }

  #launch(entry: Entry<T>, host: HostState<T>): void {
    const startedAt = this.#clock.now();
    const plannedAt = entry.dueAt;
    entry.phase = 'running';
    entry.runningHost = entry.job.host;
    host.active += 1;
    this.#active += 1;
    this.#started += 1;
    this.#lag.record(Math.max(0, startedAt - plannedAt));
    const job = entry.job;
    const settled = (ok: boolean, value: T | undefined, error: unknown): void => {
      this.#inFlight.delete(promise);
      this.#release(entry);
      if (ok) this.#succeeded += 1;
      else this.#failed += 1;
      if (!this.#onResult) return;
      const base = { id: job.id, plannedAt, startedAt, finishedAt: this.#clock.now() };
      try {
        this.#onResult(ok ? { ...base, ok: true, value: value as T } : { ...base, ok: false, error });
      } catch {
        // A consumer's bug must not stop every other probe.
      }
    };
    let run: Promise<T>;
    try {
      run = job.run();
    } catch (error) {
      run = Promise.reject(error);
    }
    const promise: Promise<void> = run.then(
      (value) => settled(true, value, undefined),
      (error: unknown) => settled(false, undefined, error),
    );
    this.#inFlight.add(promise);
  }

  #release(entry: Entry<T>): void {
    const name = entry.runningHost ?? entry.job.host;
    entry.runningHost = null;
    entry.phase = 'idle';
    this.#active -= 1;
    const host = this.#hosts.get(name);
    if (host) {
      host.active -= 1;
      if (host.waiting.length > 0 && host.active < this.#maxPerHost) this.#runnable.add(name);
      this.#forgetHostIfIdle(name);
    }
    this.#dispatch();
  }

  #compactIfStale(): void {
    // Each live entry has one live heap item; rebuild when stale ones outnumber them well.
    if (this.#heap.length <= 2 * this.#entries.size + 1024) return;
    const live = this.#heap.filter((item) => !item.entry.removed && item.gen === item.entry.gen);
    this.#heap.length = 0;
    for (const item of live) heapPush(this.#heap, item);
  }
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** FNV-1a over UTF-16 code units, finished with murmur3's avalanche so nearby ids land far apart. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A probe's stable offset within its interval, in `[0, intervalMs)`. */
export function phaseOffset(id: string, intervalMs: number): number {
  return hash32(id) % intervalMs;
}

/** The first slot `k·intervalMs + offset` at or after `now`. */
export function firstSlot(id: string, intervalMs: number, now: number): number {
  const offset = phaseOffset(id, intervalMs);
  const k = Math.ceil((now - offset) / intervalMs);
  return k * intervalMs + offset;
}

/**
 * Divides probes among live replicas by rendezvous (highest-random-weight) hashing: each probe
 * goes to the replica with the highest hash of (probe, replica). A probe's owner only changes
 * when its owner leaves or a new replica outscores it, so when a replica dies only its probes
 * move, spread evenly over the survivors. Returns probe id → replica id; empty when there are no
 * replicas.
 */
export function assignShard(probeIds: Iterable<string>, replicas: Iterable<string>): Map<string, string> {
  const live = [...new Set(replicas)];
  const owners = new Map<string, string>();
  if (live.length === 0) return owners;
  for (const probe of probeIds) {
    let best: string | null = null;
    let bestScore = -1;
    for (const replica of live) {
      const key = `${probe}\u0000${replica}`;
      // Two independent 32-bit hashes make a 53-bit score, so ties are vanishingly rare.
      const score = (hash32(key) >>> 11) * 2 ** 32 + hash32(key, 0x9747b28c);
      if (score > bestScore || (score === bestScore && best !== null && replica < best)) {
        best = replica;
        bestScore = score;
      }
    }
    if (best !== null) owners.set(probe, best);
  }
  return owners;
}

function heapPush<T>(heap: HeapItem<T>[], item: HeapItem<T>): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    const p = heap[parent]!;
    if (p.at <= item.at) break;
    heap[i] = p;
    i = parent;
  }
  heap[i] = item;
}

function heapPop<T>(heap: HeapItem<T>[]): HeapItem<T> | undefined {
  const top = heap[0];
  const last = heap.pop();
  if (!top || !last || heap.length === 0) return top;
  let i = 0;
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const child = r < n && heap[r]!.at < heap[l]!.at ? r : l;
    const c = heap[child]!;
    if (c.at >= last.at) break;
    heap[i] = c;
    i = child;
  }
  heap[i] = last;
  return top;
}
