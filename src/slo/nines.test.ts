import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { allowedDowntime, errorShare, formatDowntime, ninesTable, PERIODS_MS, parseTargetPercent, tidy } from './nines.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('allowedDowntime', () => {
  it('is (1 − target) × period, free of binary noise', () => {
    expect(allowedDowntime(0.9995, 28 * DAY)).toBe(20.16 * MIN);
    expect(allowedDowntime(0.999, 30 * DAY)).toBe(43.2 * MIN);
    expect(allowedDowntime(0.99, DAY)).toBe(14.4 * MIN);
    expect(errorShare(0.9995)).toBe(0.0005);
    expect(tidy((1 - 0.9995) * 40_320)).toBe(20.16);
  });

  it('takes a ratio, not a percentage', () => {
    expect(() => allowedDowntime(99.9, DAY)).toThrow(InputError);
    expect(() => allowedDowntime(0, DAY)).toThrow(InputError);
    expect(() => allowedDowntime(1, DAY)).toThrow(InputError);
  });
});

describe('formatDowntime', () => {
  it('renders days, hours, minutes and seconds, cutting fractions', () => {
    expect(formatDowntime(2_630_016)).toBe('43m 50s');
    expect(formatDowntime(31_557_600)).toBe('8h 45m 57s');
    expect(formatDowntime(26_300)).toBe('26s');
    expect(formatDowntime(HOUR + 5_000)).toBe('1h 5s');
    expect(formatDowntime(3 * DAY + 15 * HOUR + 39 * MIN + 36_000)).toBe('3d 15h 39m 36s');
    expect(formatDowntime(864)).toBe('864ms');
    expect(formatDowntime(0)).toBe('0ms');
    expect(formatDowntime(-1)).toBe('-');
  });
});

describe('ninesTable', () => {
  const rows = ninesTable([99.9, 99.95, 99.99, 99.995, 99.999], '28d');
  const byTarget = (t: number) => rows.find((r) => r.targetPercent === t)!;

  it('matches the familiar table', () => {
    // Per month (30.44 days) and per year (365.25 days), in minutes / hours as talks quote them.
    expect(tidy(byTarget(99.9).month / MIN, 1)).toBe(43.8);
    expect(tidy(byTarget(99.9).year / HOUR, 2)).toBe(8.77);
    expect(formatDowntime(byTarget(99.9).year)).toBe('8h 45m 57s');
    expect(tidy(byTarget(99.95).month / MIN, 1)).toBe(21.9);
    expect(tidy(byTarget(99.99).month / MIN, 2)).toBe(4.38);
    expect(tidy(byTarget(99.995).month / MIN, 2)).toBe(2.19);
    expect(formatDowntime(byTarget(99.999).month)).toBe('26s');
    expect(tidy(byTarget(99.999).year / MIN, 2)).toBe(5.26);
    expect(formatDowntime(byTarget(99.9).month)).toBe('43m 50s');
  });

  it('has every period and the window column', () => {
    expect(byTarget(99.9)).toEqual({
      targetPercent: 99.9,
      target: 0.999,
      nines: 3,
      day: 86_400,
      week: 604_800,
      month: 2_630_016,
      quarter: 7_889_400,
      year: 31_557_600,
      window: 2_419_200,
    });
    expect(byTarget(99.95).window).toBe(20.16 * MIN);
    expect(byTarget(99.95).target).toBe(0.9995);
    expect(byTarget(99.95).nines).toBe(3.30103);
    expect(ninesTable([99.9])[0]?.window).toBeNull();
    expect(PERIODS_MS.quarter * 4).toBe(PERIODS_MS.year);
  });

  it('rejects targets outside (0, 100) by index', () => {
    for (const bad of [100, 0, -1, 150, Number.NaN]) {
      try {
        ninesTable([99.9, bad]);
        expect.unreachable();
      } catch (e) {
        expect((e as InputError).issues[0]?.path).toBe('targets[1]');
      }
    }
    expect(() => ninesTable([99.9], '0d')).toThrow(InputError);
  });
});

describe('parseTargetPercent', () => {
  it('reads numbers with an optional percent sign', () => {
    expect(parseTargetPercent('99.95')).toBe(99.95);
    expect(parseTargetPercent('99.9%')).toBe(99.9);
    for (const bad of ['100', '0', 'abc', '-5', '99.9.9', '', '1e2']) expect(() => parseTargetPercent(bad)).toThrow(InputError);
  });
});
