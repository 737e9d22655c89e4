import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  initialProbeState,
  nextState,
  type ProbeState,
  reliability,
  type StateRules,
  type Transition,
  uptimeRatio,
} from './stats.ts';

const MINUTE = 60_000;

describe('uptimeRatio', () => {
  const minuteCounts = fc
    .array(
      fc.record({
        minute: fc.integer({ min: 0, max: 10_000 }),
        total: fc.integer({ min: 0, max: 10 }),
        share: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { maxLength: 200 },
    )
    .map((rows) => rows.map((r) => ({ minute: r.minute * MINUTE, total: r.total, up: Math.floor(r.total * r.share) })));

  it('stays within [0, 1], or is null when no check ran in the window', () => {
    fc.assert(
      fc.property(minuteCounts, fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (rows, a, b) => {
        const window = { from: Math.min(a, b) * MINUTE, to: Math.max(a, b) * MINUTE };
        const ratio = uptimeRatio(rows, window);
        const checks = rows.filter((r) => r.minute >= window.from && r.minute < window.to).reduce((n, r) => n + r.total, 0);
        if (checks === 0) expect(ratio).toBeNull();
        else {
          expect(ratio).toBeGreaterThanOrEqual(0);
          expect(ratio).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  it('weighs every check alike and counts only minutes inside the window', () => {
    const rows = [
      { minute: 0, up: 0, total: 10 },
      { minute: MINUTE, up: 9, total: 10 },
      { minute: 2 * MINUTE, up: 2, total: 2 },
      { minute: 3 * MINUTE, up: 0, total: 4 },
    ];
    expect(uptimeRatio(rows, { from: MINUTE, to: 3 * MINUTE })).toBeCloseTo(11 / 12);
    expect(uptimeRatio(rows, { from: 10 * MINUTE, to: 20 * MINUTE })).toBeNull();
    expect(() => uptimeRatio([{ minute: 0, up: 3, total: 2 }], { from: 0, to: MINUTE })).toThrow(RangeError);
  });
});

describe('reliability', () => {
  /** Alternating transitions starting and ending with a failure: down, up, down, …, down. */
  const failureBookended = fc.array(fc.integer({ min: 1, max: 86_400_000 }), { minLength: 1, maxLength: 60 }).map((gaps) => {
    const even = gaps.length % 2 === 0 ? gaps : gaps.slice(0, -1);
    let at = 1_000_000;
    const out: Transition[] = [{ at, state: 'down' }];
    even.forEach((gap, i) => {
      at += gap;
      out.push({ at, state: i % 2 === 0 ? 'up' : 'down' });
    });
    return out;
  });

  it('has MTBF = MTTF + MTTR on alternating sequences that begin and end with a failure', () => {
    fc.assert(
      fc.property(failureBookended, (transitions) => {
        const r = reliability(transitions, { from: 0, to: Number.MAX_SAFE_INTEGER });
        expect(r.failures).toBe(Math.ceil(transitions.length / 2));
        if (transitions.length < 3) {
          expect(r.mtbfMs).toBeNull();
          return;
        }
        expect(r.mtbfMs).not.toBeNull();
        expect(r.mtbfMs!).toBeCloseTo(r.mttfMs! + r.mttrMs!, 3);
      }),
    );
  });

  it('keeps MTBF close to MTTF + MTTR on any alternating sequence', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(fc.integer({ min: 1_000, max: 2_000 }), { minLength: 40, maxLength: 80 }),
        (startsDown, gaps) => {
          let at = 0;
          const transitions: Transition[] = [{ at, state: startsDown ? 'down' : 'up' }];
          for (const gap of gaps) {
            at += gap;
            transitions.push({ at, state: transitions.at(-1)!.state === 'up' ? 'down' : 'up' });
          }
          const r = reliability(transitions, { from: 0, to: at + 1 });
          // One period more or less of either kind shifts the means by at most a few percent here.
          expect(Math.abs(r.mtbfMs! - (r.mttfMs! + r.mttrMs!)) / r.mtbfMs!).toBeLessThan(0.1);
        },
      ),
    );
  });

  it('measures periods precisely and leaves out those cut by the window', () => {
    const transitions: Transition[] = [
      { at: 0, state: 'up' },
      { at: 100, state: 'down' },
      { at: 110, state: 'up' },
      { at: 300, state: 'down' },
      { at: 330, state: 'down' }, // a repeated state changes nothing
      { at: 340, state: 'up' },
      { at: 1_000, state: 'down' },
    ];
    // Up 0–100 and 110–300, down 100–110 and 300–340; 340–1000 up then down at 1000 (outside).
    expect(reliability(transitions, { from: 0, to: 1_000 })).toEqual({
      mttrMs: 25,
      mttfMs: (100 + 190) / 2,
      mtbfMs: 200,
      failures: 2,
    });
    // Unsorted input gives the same answer.
    expect(reliability([...transitions].reverse(), { from: 0, to: 1_000 })).toEqual(
      reliability(transitions, { from: 0, to: 1_000 }),
    );
    expect(reliability(transitions, { from: 0, to: 1_001 })).toEqual({
      mttrMs: 25,
      mttfMs: (100 + 190 + 660) / 3,
      mtbfMs: 450,
      failures: 3,
    });
    expect(reliability([], { from: 0, to: 1 })).toEqual({ mttrMs: null, mttfMs: null, mtbfMs: null, failures: 0 });
  });
});

describe('nextState', () => {
  function feed(results: boolean[], rules: StateRules, from: ProbeState = initialProbeState) {
    let state = from;
    const transitions: string[] = [];
    for (const ok of results) {
      const next = nextState(state, ok, rules);
      state = next.state;
      if (next.transition) transitions.push(`${next.transition.from}->${next.transition.to}`);
    }
    return { state, transitions };
  }
  const results = (pattern: string) => [...pattern].map((c) => c === '+');

  it('goes down after retries + 1 consecutive failures and up after successesBeforeUp successes', () => {
    const rules = { retries: 2, successesBeforeUp: 2 };
    expect(feed(results('+--'), rules).transitions).toEqual(['unknown->up']);
    expect(feed(results('+---'), rules).transitions).toEqual(['unknown->up', 'up->down']);
    expect(feed(results('+---+'), rules).state.status).toBe('down');
    expect(feed(results('+---++'), rules).transitions).toEqual(['unknown->up', 'up->down', 'down->up']);
    expect(feed(results('+-'), { retries: 0, successesBeforeUp: 1 }).transitions).toEqual(['unknown->up', 'up->down']);
  });

  it('starts unknown: up on the first success, down by the same rule as an up probe', () => {
    expect(feed(results('--'), { retries: 2, successesBeforeUp: 3 }).state.status).toBe('unknown');
    expect(feed(results('---'), { retries: 2, successesBeforeUp: 3 }).transitions).toEqual(['unknown->down']);
    expect(feed(results('+'), { retries: 2, successesBeforeUp: 3 }).transitions).toEqual(['unknown->up']);
  });

  it('does not change state on a target flapping faster than either streak', () => {
    const rules = { retries: 1, successesBeforeUp: 2 };
    expect(feed(results(`+${'-+'.repeat(50)}`), rules).transitions).toEqual(['unknown->up']);
    const down = feed(results('+--'), rules);
    expect(down.state.status).toBe('down');
    expect(feed(results('+-'.repeat(50)), rules, down.state).transitions).toEqual([]);
  });

  it('never flips more often than the streaks allow', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { maxLength: 300 }),
        fc.nat(5),
        fc.integer({ min: 1, max: 5 }),
        (checks, retries, successesBeforeUp) => {
          const { transitions } = feed(checks, { retries, successesBeforeUp });
          // Every change after the first needs a full streak behind it.
          expect(Math.max(0, transitions.length - 1)).toBeLessThanOrEqual(
            checks.length / Math.min(retries + 1, successesBeforeUp),
          );
          for (let i = 1; i < transitions.length; i++)
            expect(transitions[i]!.split('->')[0]).toBe(transitions[i - 1]!.split('->')[1]);
        },
      ),
    );
  });
});
