/**
 * Gathers database calls made close together into one statement. Many concurrent callers (the
 * job workers delivering notifications, say) each needing one row, or each writing one row,
 * become one query per turn of the event loop instead of one each: fewer round trips and, for
 * writes outside a transaction, one commit instead of many.
 *
 * A call made while the previous statement is still running waits for it and goes into the
 * next one, so a slow database makes statements bigger rather than more numerous (the same
 * group commit the alert ingestion does).
 */
abstract class Coalescer<I, O> {
  readonly #max: number;
  #pending: Array<{ item: I; resolve: (value: O) => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;
  #running: Promise<void> | null = null;

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  protected enqueue(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate: after this turn's I/O callbacks, so calls made by everything that woke up
    // in this turn go together.
    setImmediate(() => {
      this.#scheduled = false;
      if (this.#running) {
        void this.#running.then(() => this.#schedule());
        return;
      }
      const taken = this.#pending.splice(0, this.#max);
      if (this.#pending.length > 0) this.#schedule();
      if (taken.length === 0) return;
      this.#running = this.#run(taken).finally(() => {
        this.#running = null;
      });
    });
  }

  async #run(taken: Array<{ item: I; resolve: (value: O) => void; reject: (error: unknown) => void }>): Promise<void> {
    try {
      const out = await this.run(taken.map((t) => t.item));
      for (const [i, t] of taken.entries()) t.resolve(out[i] as O);
    } catch (error) {
      for (const t of taken) t.reject(error);
    }
  }

  /** Runs one statement for the items; returns one output per item, in order. */
  protected abstract run(items: readonly I[]): Promise<readonly O[]>;
}

/** Loads rows by key, many keys per query. */
export class BatchLoader<K, V> extends Coalescer<K, V | undefined> {
  readonly #load: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>;

  constructor(load: (keys: readonly K[]) => Promise<ReadonlyMap<K, V>>, max = 500) {
    super(max);
    this.#load = load;
  }

  /** The value for the key, or undefined when there is none. */
  load(key: K): Promise<V | undefined> {
    return this.enqueue(key);
  }

  protected async run(keys: readonly K[]): Promise<ReadonlyArray<V | undefined>> {
    const found = await this.#load([...new Set(keys)]);
    return keys.map((k) => found.get(k));
  }
}

/** Writes items, many per statement; `write` resolves once all of them are durable. */
export class BatchWriter<I, O = void> extends Coalescer<I, O> {
  readonly #write: (items: readonly I[]) => Promise<readonly O[] | undefined>;

  constructor(write: (items: readonly I[]) => Promise<readonly O[] | undefined>, max = 500) {
    super(max);
    this.#write = write;
  }

  write(item: I): Promise<O> {
    return this.enqueue(item);
  }

  protected async run(items: readonly I[]): Promise<readonly O[]> {
    const out = await this.#write(items);
    return out ?? items.map(() => undefined as O);
  }
}
