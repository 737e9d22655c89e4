/**
 * The only source of "now" in Vigil. Nothing calls `Date.now()` directly, so tests can drive
 * weeks of time in milliseconds with a {@link FakeClock}.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class FakeClock implements Clock {
  #now: number;

  constructor(start: number | string | Date = '2026-01-01T00:00:00Z') {
    this.#now = typeof start === 'number' ? start : new Date(start).getTime();
  }

  now(): number {
    return this.#now;
  }

  set(at: number | string | Date): void {
    this.#now = typeof at === 'number' ? at : new Date(at).getTime();
  }

  advance(ms: number): void {
    this.#now += ms;
  }
}
