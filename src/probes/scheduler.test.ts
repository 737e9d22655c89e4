import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import {
  assignShard,
  firstSlot,
  type ProbeJob,
  ProbeScheduler,
  phaseOffset,
  type RunOutcome,
  type SetTimer,
} from './scheduler.ts';

/** One-shot timers that fire only when {@link FakeTimers.advance} moves the FakeClock past them. */
class FakeTimers {
  readonly clock = new FakeClock();
  #timers: Array<{ at: number; fn: () => void; seq: number }> = [];
  #seq = 0;
  /** Every timer fires this late, to simulate a busy event loop. */
  lateByMs = 0;

  readonly setTimer: SetTimer = (fn, ms) => {
    const timer = { at: this.clock.now() + ms + this.lateByMs, fn, seq: this.#seq++ };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  };

  get pending(): number {
    return this.#timers.length;
  }

  /** Fires due timers in time order, letting settled runs' callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await flush();
      const next = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.clock.set(Math.max(this.clock.now(), next.at));
      next.fn();
    }
    this.clock.set(end);
    await flush();
  }
}

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A run that records when it started. */
function stamp(starts: number[], clock: FakeClock): () => Promise<string> {
  return async () => {
    starts.push(clock.now());
    return 'ok';
  };
}

const never = <T>(): Promise<T> => new Promise<T>(() => {});

function job(id: string, run: () => Promise<string>, host = 'example.test', intervalMs = 30_000): ProbeJob<string> {
  return { id, intervalMs, host, run };
}

describe('ProbeScheduler', () => {
  it('spreads the first runs of 1,000 probes at 30 s over the whole interval', async () => {
    const timers = new FakeTimers();
    const t0 = timers.clock.now();
    const starts: number[] = [];
    const scheduler = new ProbeScheduler<string>({
      clock: timers.clock,
      setTimer: timers.setTimer,
      maxConcurrency: 10_000,
      maxPerHost: 10_000,
    });
    for (let i = 0; i < 1_000; i++) {
      scheduler.add(job(`probe-${i}`, stamp(starts, timers.clock), `host-${i % 50}`));
    }
    scheduler.start();
    expect(timers.pending).toBe(1);
    await timers.advance(29_999);
    expect(starts).toHaveLength(1_000);
    // Ten 3-second buckets hold 100 each on average; a herd would put everything in one.
    const buckets = new Array<number>(10).fill(0);
    for (const at of starts) {
      expect(at).toBeGreaterThanOrEqual(t0);
      expect(at).toBeLessThan(t0 + 30_000);
      buckets[Math.floor((at - t0) / 3_000)]! += 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(60);
    for (const count of buckets) expect(count).toBeLessThan(140);
    const perMs = new Map<number, number>();
    for (const at of starts) perMs.set(at, (perMs.get(at) ?? 0) + 1);
    expect(Math.max(...perMs.values())).toBeLessThanOrEqual(5);
    // The next cycle keeps the same phases.
    await timers.advance(30_000);
    expect(starts).toHaveLength(2_000);
    for (let i = 0; i < 1_000; i++) expect(starts[1_000 + i]! - starts[i]!).toBe(30_000);
    await scheduler.stop();
  });

  it('keeps phases stable: the same id and interval always map to the same slot', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.integer({ min: 1, max: 86_400_000 }),
        fc.integer({ min: 0, max: 2 ** 42 }),
        (id, interval, now) => {
          const offset = phaseOffset(id, interval);
          expect(offset).toBeGreaterThanOrEqual(0);
          expect(offset).toBeLessThan(interval);
          const slot = firstSlot(id, interval, now);
          expect(slot).toBeGreaterThanOrEqual(now);
          expect(slot - now).toBeLessThan(interval);
          expect((((slot - offset) % interval) + interval) % interval).toBe(0);
        },
      ),
    );
  });

  it('holds a host whose runs hang to its per-host bound while other hosts keep running', async () => {
    const timers = new FakeTimers();
    let slowStarts = 0;
    const fastStarts = new Map<string, number>();
    const scheduler = new ProbeScheduler<string>({
      clock: timers.clock,
      setTimer: timers.setTimer,
      maxConcurrency: 3,
      maxPerHost: 2,
    });
    for (let i = 0; i < 5; i++) {
      scheduler.add(
        job(
          `slow-${i}`,
          () => {
            slowStarts++;
            return never();
          },
          'slow.test',
        ),
      );
      scheduler.add(
        job(
          `fast-${i}`,
          async () => {
            fastStarts.set(`fast-${i}`, (fastStarts.get(`fast-${i}`) ?? 0) + 1);
            return 'ok';
          },
          `fast-${i}.test`,
        ),
      );
    }
    scheduler.start();
    await timers.advance(90_000);
    expect(slowStarts).toBe(2);
    for (let i = 0; i < 5; i++) expect(fastStarts.get(`fast-${i}`)).toBe(3);
    const stats = scheduler.stats();
    expect(stats.running).toBe(2);
    // The three slow probes that never got a host slot wait once each; their later slots are skipped.
    expect(stats.waiting).toBe(3);
    expect(stats.skipped).toBeGreaterThan(0);
  });

  it('skips the slots of a run still in flight instead of queueing them', async () => {
    const timers = new FakeTimers();
    let starts = 0;
    let finish: (value: string) => void = () => {};
    const outcomes: RunOutcome<string>[] = [];
    const scheduler = new ProbeScheduler<string>({
      clock: timers.clock,
      setTimer: timers.setTimer,
      onResult: (o) => outcomes.push(o),
    });
    scheduler.add(
      job('hangs', () => {
        starts++;
        return new Promise<string>((resolve) => {
          finish = resolve;
        });
      }),
    );
    scheduler.start();
    await timers.advance(30_000);
    expect(starts).toBe(1);
    await timers.advance(5 * 30_000);
    expect(starts).toBe(1);
    expect(scheduler.stats().skipped).toBe(5);
    finish('late');
    await flush();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ id: 'hangs', ok: true, value: 'late' });
    // Settling does not start a catch-up run; the next slot does.
    expect(starts).toBe(1);
    await timers.advance(30_000);
    expect(starts).toBe(2);
    finish('done');
    await scheduler.stop();
  });

  it('stops running a removed probe, and releases the slot of a removed probe still in flight', async () => {
    const timers = new FakeTimers();
    let aRuns = 0;
    let bRuns = 0;
    let finishB: () => void = () => {};
    const scheduler = new ProbeScheduler<string>({ clock: timers.clock, setTimer: timers.setTimer, maxPerHost: 1 });
    scheduler.add(
      job(
        'a',
        async () => {
          aRuns++;
          return 'ok';
        },
        'h',
      ),
    );
    scheduler.add(
      job(
        'b',
        () => {
          bRuns++;
          return new Promise<string>((resolve) => {
            finishB = () => resolve('ok');
          });
        },
        'h2',
      ),
    );
    scheduler.start();
    await timers.advance(30_000);
    expect([aRuns, bRuns]).toEqual([1, 1]);
    expect(scheduler.remove('a')).toBe(true);
    expect(scheduler.remove('b')).toBe(true);
    expect(scheduler.remove('a')).toBe(false);
    await timers.advance(90_000);
    expect([aRuns, bRuns]).toEqual([1, 1]);
    expect(scheduler.stats().running).toBe(1);
    finishB();
    await flush();
    expect(scheduler.stats()).toMatchObject({ probes: 0, running: 0, waiting: 0 });
    await scheduler.stop();
  });

  it('records scheduling lag from a late timer and from waiting for a slot', async () => {
    const timers = new FakeTimers();
    timers.lateByMs = 40;
    const scheduler = new ProbeScheduler<string>({ clock: timers.clock, setTimer: timers.setTimer });
    for (let i = 0; i < 100; i++) scheduler.add(job(`p${i}`, async () => 'ok', `h${i}`));
    scheduler.start();
    // Two slots each; the last due is at most 59,999 ms in and fires 40 ms late.
    await timers.advance(60_039);
    const { lag, started } = scheduler.stats();
    expect(started).toBe(200);
    expect(lag.count).toBe(200);
    expect(lag.p50).toBeGreaterThanOrEqual(39);
    expect(lag.p50).toBeLessThanOrEqual(41);
    expect(lag.p99).toBeLessThanOrEqual(41);
    await scheduler.stop();

    // One global slot, a run of 500 ms: the second probe, due at the same moment, starts 500 ms late.
    const t2 = new FakeTimers();
    const serial = new ProbeScheduler<string>({ clock: t2.clock, setTimer: t2.setTimer, maxConcurrency: 1 });
    const slow = () =>
      new Promise<string>((resolve) => {
        t2.setTimer(() => resolve('ok'), 500);
      });
    // Two ids with the same phase, so they are due together.
    const ids = sameSlotIds(30_000);
    serial.add(job(ids[0], slow, 'x'));
    serial.add(job(ids[1], slow, 'y'));
    serial.start();
    await t2.advance(30_000);
    expect(serial.stats().lag).toMatchObject({ count: 2, max: 500 });
    await serial.stop();
  });

  it('applies add and update while running', async () => {
    const timers = new FakeTimers();
    const starts: number[] = [];
    const scheduler = new ProbeScheduler<string>({ clock: timers.clock, setTimer: timers.setTimer });
    scheduler.start();
    scheduler.add(job('late', stamp(starts, timers.clock), 'h', 10_000));
    await timers.advance(30_000);
    expect(starts).toHaveLength(3);
    expect(() => scheduler.add(job('late', async () => 'ok'))).toThrow(/already scheduled/);
    scheduler.update(job('late', stamp(starts, timers.clock), 'h', 60_000));
    await timers.advance(120_000);
    expect(starts).toHaveLength(5);
    expect(starts[4]! - starts[3]!).toBe(60_000);
    expect(() => scheduler.update(job('missing', async () => 'ok'))).toThrow(/not scheduled/);
    await scheduler.stop();
  });

  it('survives heavy add/update/remove churn with the heap compacted', async () => {
    const timers = new FakeTimers();
    const starts: number[] = [];
    const scheduler = new ProbeScheduler<string>({ clock: timers.clock, setTimer: timers.setTimer });
    scheduler.start();
    for (let i = 0; i < 3_000; i++) {
      scheduler.add(job(`gone-${i}`, async () => 'ok'));
      scheduler.remove(`gone-${i}`);
    }
    scheduler.add(job('kept', stamp(starts, timers.clock), 'h', 10_000));
    for (let i = 0; i < 3_000; i++)
      scheduler.update(job('kept', stamp(starts, timers.clock), 'h', i % 2 === 0 ? 20_000 : 10_000));
    await timers.advance(100_000);
    expect(starts).toHaveLength(10);
    expect(scheduler.stats()).toMatchObject({ probes: 1, started: 10, skipped: 0 });
    await scheduler.stop();
  });

  it('reports a failed or throwing run and keeps going', async () => {
    const timers = new FakeTimers();
    const outcomes: RunOutcome<string>[] = [];
    const scheduler = new ProbeScheduler<string>({
      clock: timers.clock,
      setTimer: timers.setTimer,
      onResult: (o) => {
        outcomes.push(o);
        throw new Error('a consumer bug');
      },
    });
    scheduler.add(job('rejects', () => Promise.reject(new Error('refused'))));
    scheduler.add(
      job('throws', () => {
        throw new Error('sync');
      }),
    );
    scheduler.start();
    await timers.advance(60_000);
    expect(outcomes).toHaveLength(4);
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    expect(scheduler.stats()).toMatchObject({ started: 4, failed: 4, succeeded: 0, running: 0 });
    await scheduler.stop();
  });

  it('stop waits for runs in flight and starts nothing more', async () => {
    const timers = new FakeTimers();
    let starts = 0;
    let finish: () => void = () => {};
    const scheduler = new ProbeScheduler<string>({ clock: timers.clock, setTimer: timers.setTimer });
    scheduler.add(
      job('p', () => {
        starts++;
        return new Promise<string>((resolve) => {
          finish = () => resolve('ok');
        });
      }),
    );
    scheduler.start();
    await timers.advance(30_000);
    let stopped = false;
    const stopping = scheduler.stop().then(() => {
      stopped = true;
    });
    await flush();
    expect(stopped).toBe(false);
    finish();
    await stopping;
    expect(stopped).toBe(true);
    await timers.advance(120_000);
    expect(starts).toBe(1);
    expect(timers.pending).toBe(0);
  });
});

/** Two ids whose phases coincide for `intervalMs`. */
function sameSlotIds(intervalMs: number): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const id = `probe-${i}`;
    const offset = phaseOffset(id, intervalMs);
    const other = seen.get(offset);
    if (other) return [other, id];
    seen.set(offset, id);
  }
}

const ids = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 200 });
const replicaSet = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 });

describe('assignShard', () => {
  it('assigns every probe to exactly one live replica', () => {
    fc.assert(
      fc.property(ids, replicaSet, (probes, replicas) => {
        const owners = assignShard(probes, replicas);
        expect([...owners.keys()].sort()).toEqual([...probes].sort());
        for (const owner of owners.values()) expect(replicas).toContain(owner);
      }),
    );
  });

  it('moves only the probes of a replica that dies', () => {
    fc.assert(
      fc.property(ids, replicaSet, fc.nat(), (probes, replicas, pick) => {
        const dead = replicas[pick % replicas.length]!;
        const before = assignShard(probes, replicas);
        const after = assignShard(
          probes,
          replicas.filter((r) => r !== dead),
        );
        for (const probe of probes) {
          if (before.get(probe) !== dead) expect(after.get(probe)).toBe(before.get(probe));
          else expect(after.get(probe)).not.toBe(dead);
        }
      }),
    );
  });

  it('does not depend on the order replicas are listed in, and assigns nothing without replicas', () => {
    fc.assert(
      fc.property(ids, replicaSet, (probes, replicas) => {
        expect(assignShard(probes, [...replicas].reverse())).toEqual(assignShard(probes, replicas));
      }),
    );
    expect(assignShard(['a'], []).size).toBe(0);
  });

  it('divides 10,000 probes roughly evenly', () => {
    const probes = Array.from({ length: 10_000 }, (_, i) => `probe-${i}`);
    const counts = new Map<string, number>();
    for (const owner of assignShard(probes, ['r1', 'r2', 'r3', 'r4']).values()) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    expect(counts.size).toBe(4);
    for (const count of counts.values()) expect(Math.abs(count - 2_500)).toBeLessThan(250);
  });
});
