import { InputError } from '../core/errors.ts';

/**
 * A mergeable latency histogram with log-linear buckets, as HdrHistogram lays them out: every
 * power of two is split into 64 equal sub-buckets, so a bucket is at most 1/64 of its lower
 * bound wide and its midpoint is within 0.79 % of any value in it (bounded relative error ≤ 1 %).
 *
 * Buckets are fixed by the value alone, so histograms recorded anywhere merge by adding counts:
 * per-minute histograms add up to a 5-minute slice or a whole window exactly as if every
 * observation had been recorded into one histogram. Only buckets that were hit are kept.
 *
 * Bucket edges fall on round numbers where thresholds usually are: every integer up to 128, every
 * even number up to 256, every multiple of 4 up to 512 (300, 500), of 8 up to 1024 (1000), …
 * so {@link LatencyHistogram.countBelow} is exact for thresholds such as 100 ms or 300 ms.
 */

/** Sub-buckets per power of two. */
const SUB = 64;

/** JSON form of a {@link LatencyHistogram}; `buckets` are `[index, count]` pairs, ascending. */
export interface HistogramJson {
  zeros: number;
  buckets: Array<[number, number]>;
  count: number;
  sum: number;
  min: number | null;
  max: number | null;
}

/** The bucket index of a positive value: 64 per power of two, counted from 2^0. */
export function bucketIndex(value: number): number {
  let e = Math.floor(Math.log2(value));
  // Math.log2 may round across a power of two; the bucket must contain the value exactly.
  if (2 ** e > value) e -= 1;
  else if (2 ** (e + 1) <= value) e += 1;
  const sub = Math.min(SUB - 1, Math.floor((value / 2 ** e - 1) * SUB));
  return e * SUB + sub;
}

/** The `[lower, upper)` bounds of a bucket. */
export function bucketBounds(index: number): { lower: number; upper: number } {
  const e = Math.floor(index / SUB);
  const sub = index - e * SUB;
  const base = 2 ** e;
  return { lower: base * (1 + sub / SUB), upper: base * (1 + (sub + 1) / SUB) };
}

/** A sparse, mergeable histogram of non-negative values (latencies in any unit). */
export class LatencyHistogram {
  readonly #counts = new Map<number, number>();
  #zeros = 0;
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /** Observations recorded. */
  get count(): number {
    return this.#count;
  }

  /** Sum of the observations (exact, not bucketed), for the mean. */
  get sum(): number {
    return this.#sum;
  }

  get min(): number | null {
    return this.#count > 0 ? this.#min : null;
  }

  get max(): number | null {
    return this.#count > 0 ? this.#max : null;
  }

  /**
   * Records `value` `times` times. Throws an {@link InputError} naming `value` for negative or
   * non-finite values, which no latency can be.
   */
  record(value: number, times = 1): this {
    if (!Number.isFinite(value) || value < 0) throw InputError.field('value', `${value} is not a non-negative finite number`);
    if (!Number.isInteger(times) || times < 0) throw InputError.field('times', `${times} is not a count`);
    if (times === 0) return this;
    if (value === 0) this.#zeros += times;
    else {
      const i = bucketIndex(value);
      this.#counts.set(i, (this.#counts.get(i) ?? 0) + times);
    }
    this.#count += times;
    this.#sum += value * times;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
    return this;
  }

  /** Adds `other`'s observations into this histogram (in place). */
  absorb(other: LatencyHistogram): this {
    for (const [i, c] of other.#counts) this.#counts.set(i, (this.#counts.get(i) ?? 0) + c);
    this.#zeros += other.#zeros;
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
    return this;
  }

  /** A new histogram holding both histograms' observations; neither input changes. */
  merge(other: LatencyHistogram): LatencyHistogram {
    return new LatencyHistogram().absorb(this).absorb(other);
  }

  /**
   * The `q`-quantile (0 ≤ q ≤ 1) by nearest rank: the value of the ⌈q·n⌉-th smallest observation,
   * estimated by its bucket's midpoint and clamped to the observed min and max. Within 1 % of
   * the exact quantile. Null when empty.
   */
  quantile(q: number): number | null {
    if (!(q >= 0 && q <= 1)) throw InputError.field('q', `${q} is not a quantile between 0 and 1`);
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = this.#zeros;
    if (seen >= rank) return 0;
    for (const i of [...this.#counts.keys()].sort((a, b) => a - b)) {
      seen += this.#counts.get(i) ?? 0;
      if (seen >= rank) {
        const { lower, upper } = bucketBounds(i);
        return Math.min(this.#max, Math.max(this.#min, (lower + upper) / 2));
      }
    }
    return this.#max;
  }

  /**
   * Observations below `threshold`: every bucket that ends at or below it, and the bucket the
   * threshold falls inside when its midpoint is below it. Exact when the threshold is a bucket
   * edge (see the module comment); otherwise only values within 1 % of the threshold may be
   * misjudged.
   */
  countBelow(threshold: number): number {
    if (!(threshold > 0)) return 0;
    let n = this.#zeros;
    for (const [i, c] of this.#counts) {
      const { lower, upper } = bucketBounds(i);
      if (upper <= threshold || (lower < threshold && (lower + upper) / 2 < threshold)) n += c;
    }
    return n;
  }

  toJSON(): HistogramJson {
    return {
      zeros: this.#zeros,
      buckets: [...this.#counts.entries()].sort((a, b) => a[0] - b[0]),
      count: this.#count,
      sum: this.#sum,
      min: this.min,
      max: this.max,
    };
  }

  /** Rebuilds a histogram from {@link LatencyHistogram.toJSON}; throws an {@link InputError} on a malformed one. */
  static fromJSON(json: HistogramJson): LatencyHistogram {
    const h = new LatencyHistogram();
    const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
    if (!json || !isCount(json.zeros) || !Array.isArray(json.buckets)) throw InputError.field('histogram', 'not a histogram');
    h.#zeros = json.zeros;
    let count = json.zeros;
    for (const pair of json.buckets) {
      const [i, c] = Array.isArray(pair) ? pair : [];
      if (!Number.isInteger(i) || !isCount(c))
        throw InputError.field('histogram.buckets', 'buckets must be [index, count] pairs');
      h.#counts.set(i as number, (h.#counts.get(i as number) ?? 0) + c);
      count += c;
    }
    h.#count = count;
    h.#sum = typeof json.sum === 'number' ? json.sum : 0;
    if (count > 0) {
      h.#min = typeof json.min === 'number' ? json.min : 0;
      h.#max = typeof json.max === 'number' ? json.max : 0;
    }
    return h;
  }
}
