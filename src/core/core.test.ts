import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { InputError } from './errors.ts';
import { newId } from './ids.ts';

describe('durations', () => {
  it('parses the forms Prometheus and OpenSLO write', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('28d')).toBe(28 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('250ms')).toBe(250);
  });

  it('rejects garbage with the field named', () => {
    for (const bad of ['', '5', 'm5', '5 minutes', '1h-', '3y']) {
      expect(() => parseDuration(bad, 'spec.window')).toThrow(InputError);
    }
    try {
      parseDuration('soon', 'spec.window');
    } catch (error) {
      expect((error as InputError).issues[0]?.path).toBe('spec.window');
    }
  });

  it('formats and parses back to the same value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 * 365 * 86_400_000 }), (ms) => {
        expect(parseDuration(formatDuration(ms))).toBe(ms);
      }),
    );
  });
});

describe('ids', () => {
  it('are UUIDv7 and sort by creation time', () => {
    const a = newId(1_000);
    const b = newId(2_000);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a < b).toBe(true);
    expect(new Set(Array.from({ length: 1000 }, () => newId(5))).size).toBe(1000);
  });
});

describe('FakeClock', () => {
  it('moves only when told', () => {
    const clock = new FakeClock('2026-01-01T00:00:00Z');
    const t0 = clock.now();
    clock.advance(28 * 86_400_000);
    expect(clock.now() - t0).toBe(28 * 86_400_000);
    clock.set('2026-02-01T00:00:00Z');
    expect(new Date(clock.now()).toISOString()).toBe('2026-02-01T00:00:00.000Z');
  });
});
