import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../core/errors.ts';
import { DEFAULT_FLAPPING, detectFlapping } from './flapping.ts';

const M = 60_000;
const T0 = Date.UTC(2026, 5, 1, 9);
const at = (...minutes: number[]): number[] => minutes.map((m) => T0 + m * M);

describe('detectFlapping', () => {
  it('is calm with fewer than 6 changes', () => {
    expect(detectFlapping(at(0, 1, 2, 3, 4), T0 + 5 * M)).toEqual({ flapping: false, changes: 5, since: null });
    expect(detectFlapping([], T0)).toEqual({ flapping: false, changes: 0, since: null });
  });

  it('starts flapping at the 6th change within an hour', () => {
    const changes = at(0, 10, 20, 30, 40, 50);
    expect(detectFlapping(changes, T0 + 49 * M)).toEqual({ flapping: false, changes: 5, since: null });
    expect(detectFlapping(changes, T0 + 50 * M)).toEqual({ flapping: true, changes: 6, since: T0 + 50 * M });
  });

  it('does not flap when the changes are spread wider than the window', () => {
    const every15 = at(0, 15, 30, 45, 60, 75, 90, 105);
    expect(detectFlapping(every15, T0 + 105 * M)).toMatchObject({ flapping: false, changes: 4 });
    // The window is half-open: a change exactly an hour before does not count.
    expect(detectFlapping(at(0, 12, 24, 36, 48, 60), T0 + 60 * M).flapping).toBe(false);
  });

  it('keeps flapping while changes continue, though fewer than 6 an hour (hysteresis)', () => {
    const changes = [...at(0, 1, 2, 3, 4, 5), ...at(25, 50, 75, 100)];
    expect(detectFlapping(changes, T0 + 100 * M)).toEqual({ flapping: true, changes: 3, since: T0 + 5 * M });
    expect(detectFlapping(changes, T0 + 129 * M).flapping).toBe(true);
  });

  it('stops after 30 quiet minutes, and may start again', () => {
    const burst = at(0, 1, 2, 3, 4, 5);
    expect(detectFlapping(burst, T0 + 35 * M - 1).flapping).toBe(true);
    expect(detectFlapping(burst, T0 + 35 * M)).toEqual({ flapping: false, changes: 6, since: T0 + 35 * M });
    // One more change 40 minutes in: 7 within the hour, flapping again from that change.
    expect(detectFlapping([...burst, ...at(40)], T0 + 40 * M)).toEqual({ flapping: true, changes: 7, since: T0 + 40 * M });
    // Much later, a lone change does not restart it.
    expect(detectFlapping([...burst, ...at(200)], T0 + 200 * M)).toEqual({ flapping: false, changes: 1, since: T0 + 35 * M });
  });

  it('ignores changes after now and accepts them in any order', () => {
    const changes = at(5, 0, 4, 1, 3, 2, 500);
    expect(detectFlapping(changes, T0 + 5 * M)).toEqual({ flapping: true, changes: 6, since: T0 + 5 * M });
  });

  it('takes its own thresholds', () => {
    expect(detectFlapping(at(0, 1, 2), T0 + 2 * M, { threshold: 3 }).flapping).toBe(true);
    expect(detectFlapping(at(0, 1, 2), T0 + 2 * M, { threshold: 3, windowMs: 2 * M }).flapping).toBe(false);
    expect(detectFlapping(at(0, 1, 2), T0 + 7 * M, { threshold: 3, quietMs: 5 * M }).flapping).toBe(false);
    for (const bad of [{ threshold: 1 }, { threshold: 2.5 }, { windowMs: 0 }, { quietMs: -1 }]) {
      expect(() => detectFlapping([], T0, bad)).toThrow(InputError);
    }
  });

  const history = fc.array(fc.integer({ min: 0, max: 6 * 60 }), { maxLength: 40 }).map((ms) => ms.map((m) => T0 + m * M));
  const nowArb = fc.integer({ min: 0, max: 7 * 60 }).map((m) => T0 + m * M);

  it('counts the changes within the window ending now', () => {
    fc.assert(
      fc.property(history, nowArb, (changes, now) => {
        const expected = changes.filter((t) => t <= now && t > now - DEFAULT_FLAPPING.windowMs).length;
        expect(detectFlapping(changes, now).changes).toBe(expected);
      }),
    );
  });

  it('flaps only with enough changes and a recent one, and always after a fresh burst', () => {
    fc.assert(
      fc.property(history, nowArb, (changes, now) => {
        const { flapping, since } = detectFlapping(changes, now);
        const past = changes.filter((t) => t <= now).sort((a, b) => a - b);
        const last = past.at(-1);
        if (past.length < DEFAULT_FLAPPING.threshold) expect(flapping).toBe(false);
        if (flapping) {
          expect(last).toBeDefined();
          expect(now - last!).toBeLessThan(DEFAULT_FLAPPING.quietMs);
          expect(since).not.toBeNull();
          expect(since!).toBeLessThanOrEqual(now);
        }
        if (last !== undefined && now - last < DEFAULT_FLAPPING.quietMs) {
          const burst = past.filter((t) => t > last - DEFAULT_FLAPPING.windowMs).length;
          if (burst >= DEFAULT_FLAPPING.threshold) expect(flapping).toBe(true);
        }
      }),
    );
  });
});
