import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../core/errors.ts';
import { bucketBounds, bucketIndex, LatencyHistogram } from './histogram.ts';

const valueArb = fc.oneof(
  fc.double({ min: 0.001, max: 1e7, noNaN: true, noDefaultInfinity: true }),
  fc.integer({ min: 0, max: 10_000 }),
);
const valuesArb = fc.array(valueArb, { maxLength: 200 });

function histogramOf(values: number[]): LatencyHistogram {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
}

/** Nearest-rank quantile: the ⌈q·n⌉-th smallest value. */
function exactQuantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? Number.NaN;
}

/** Compares histograms by content; sums may differ in the last bits when added in another order. */
function expectSame(a: LatencyHistogram, b: LatencyHistogram): void {
  const ja = a.toJSON();
  const jb = b.toJSON();
  expect({ ...ja, sum: 0 }).toEqual({ ...jb, sum: 0 });
  expect(ja.sum).toBeCloseTo(jb.sum, 3);
}

describe('buckets', () => {
  it('hold their values, with a width of at most 1/64 of the lower edge', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-9, max: 1e12, noNaN: true, noDefaultInfinity: true }), (v) => {
        const { lower, upper } = bucketBounds(bucketIndex(v));
        expect(lower).toBeLessThanOrEqual(v);
        expect(upper).toBeGreaterThan(v);
        expect((upper - lower) / lower).toBeLessThanOrEqual(1 / 64 + 1e-12);
      }),
    );
  });

  it('put edges on round thresholds', () => {
    for (const t of [1, 10, 50, 100, 128, 200, 250, 300, 500, 1_000, 2_000]) {
      expect(bucketBounds(bucketIndex(t)).lower).toBe(t);
    }
  });
});

describe('LatencyHistogram', () => {
  it('estimates quantiles within 1 % of the exact nearest-rank quantile', () => {
    fc.assert(
      fc.property(
        fc.array(valueArb, { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const estimate = histogramOf(values).quantile(q);
          const exact = exactQuantile(values, q);
          expect(estimate).not.toBeNull();
          expect(Math.abs((estimate ?? 0) - exact)).toBeLessThanOrEqual(exact * 0.01);
        },
      ),
    );
  });

  it('merges commutatively and associatively, and like recording everything into one', () => {
    fc.assert(
      fc.property(valuesArb, valuesArb, valuesArb, (a, b, c) => {
        const [ha, hb, hc] = [histogramOf(a), histogramOf(b), histogramOf(c)];
        expectSame(ha.merge(hb), hb.merge(ha));
        expectSame(ha.merge(hb).merge(hc), ha.merge(hb.merge(hc)));
        expectSame(ha.merge(hb).merge(hc), histogramOf([...a, ...b, ...c]));
        // Inputs stay as they were.
        expect(ha.count).toBe(a.length);
      }),
    );
  });

  it('counts values below a bucket-edge threshold exactly', () => {
    fc.assert(
      fc.property(valuesArb, fc.constantFrom(50, 100, 300, 500, 1_000), (values, t) => {
        expect(histogramOf(values).countBelow(t)).toBe(values.filter((v) => v < t).length);
      }),
    );
  });

  it('misjudges only values within 1 % of any other threshold', () => {
    fc.assert(
      fc.property(valuesArb, fc.double({ min: 0.01, max: 1e6, noNaN: true }), (values, t) => {
        const counted = histogramOf(values).countBelow(t);
        const surelyBelow = values.filter((v) => v < t * 0.99).length;
        const maybeBelow = values.filter((v) => v < t * 1.01).length;
        expect(counted).toBeGreaterThanOrEqual(surelyBelow);
        expect(counted).toBeLessThanOrEqual(maybeBelow);
      }),
    );
  });

  it('keeps count, sum, min, max and zeros', () => {
    const h = new LatencyHistogram().record(0).record(10, 3).record(250);
    expect(h.count).toBe(5);
    expect(h.sum).toBe(280);
    expect(h.min).toBe(0);
    expect(h.max).toBe(250);
    expect(h.quantile(0.2)).toBe(0);
    expect(h.quantile(1)).toBe(250);
    expect(h.countBelow(10)).toBe(1);
    expect(h.countBelow(11)).toBe(4);
    expect(new LatencyHistogram().quantile(0.5)).toBeNull();
    expect(new LatencyHistogram().min).toBeNull();
  });

  it('round-trips through JSON, sparse', () => {
    fc.assert(
      fc.property(valuesArb, (values) => {
        const h = histogramOf(values);
        const json = JSON.parse(JSON.stringify(h));
        expect(LatencyHistogram.fromJSON(json).toJSON()).toEqual(h.toJSON());
      }),
    );
    const h = histogramOf([12, 12, 12, 95, 340]);
    expect(h.toJSON().buckets).toHaveLength(3);
  });

  it('answers p95 under a threshold as countBelow ≥ 95 % of the count', () => {
    // 100 requests, 5 of them slow: p95 is still fast (nearest rank 95 is a fast one).
    const h = histogramOf([...Array.from({ length: 95 }, (_, i) => 20 + (i % 60)), 150, 160, 170, 180, 190]);
    expect(h.quantile(0.95)).toBeLessThan(100);
    expect(h.countBelow(100) / h.count).toBeGreaterThanOrEqual(0.95);
    h.record(200);
    expect(h.quantile(0.95)).toBeGreaterThan(100);
    expect(h.countBelow(100) / h.count).toBeLessThan(0.95);
  });

  it('rejects negative and non-finite values, and malformed JSON', () => {
    expect(() => new LatencyHistogram().record(-1)).toThrow(InputError);
    expect(() => new LatencyHistogram().record(Number.NaN)).toThrow(InputError);
    expect(() => new LatencyHistogram().record(Number.POSITIVE_INFINITY)).toThrow(InputError);
    expect(() => new LatencyHistogram().record(1, 1.5)).toThrow(InputError);
    expect(() => new LatencyHistogram().quantile(1.5)).toThrow(InputError);
    expect(() => LatencyHistogram.fromJSON({ zeros: 0, buckets: [[1, -1]], count: 0, sum: 0, min: null, max: null })).toThrow(
      InputError,
    );
    expect(() => LatencyHistogram.fromJSON(null as never)).toThrow(InputError);
  });
});
