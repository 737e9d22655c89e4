/**
 * What a benchmark module (`bench/<name>.bench.ts`) exports and what the harness gives it.
 * A benchmark measures; the harness prints, compares with peers and writes `bench/RESULTS.md`.
 */

/** Latency percentiles in milliseconds, as seen by the load generator. */
export interface LatencySummary {
  p50: number;
  p97_5: number;
  p99: number;
  max: number;
  mean: number;
}

/** One measured load run: a fixed number of connections for a fixed time. */
export interface LoadResult {
  connections: number;
  durationSeconds: number;
  /** Completed 2xx responses. */
  requests: number;
  requestsPerSecond: number;
  latency: LatencySummary;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
}

/** A limit a row must stay under, from the issue that asked for the benchmark. */
export interface Target {
  metric: 'p50' | 'p97_5' | 'p99' | 'max';
  belowMs: number;
}

export interface BenchRow {
  /** What was asked, e.g. `list page (limit 100, varying offset)`. Rows of the same scenario are compared. */
  scenario: string;
  /** Where it ran, e.g. `SQLite`, `PostgreSQL`. */
  backend: string;
  /** `Vigil`, or the peer's name. Ratios compare each peer row with the Vigil row of the same scenario and backend. */
  system: string;
  result: LoadResult;
  target?: Target;
}

export interface BenchReport {
  /** Section heading in RESULTS.md. */
  title: string;
  /** One paragraph: what is measured and how. */
  summary: string;
  /** The peers this benchmark compares with, or why it has none. */
  peers: string;
  /** Dataset, durations, anything a reader needs to reproduce the figures. */
  setup: string[];
  rows: BenchRow[];
  /** Findings: a missed target's cause, caveats. */
  notes: string[];
}

export interface BenchContext {
  /** The checkout's root (where `package.json` is). */
  root: string;
  /** A folder of this run's own, removed afterwards. */
  tmpDir: string;
  /** Measured seconds per load run (default 10). */
  durationSeconds: number;
  /** Warm-up seconds before each load run, not measured (default 2). */
  warmupSeconds: number;
  /** Progress line on stderr, prefixed with the benchmark's name and the elapsed time. */
  log(message: string): void;
  /** Registers clean-up that runs after the benchmark even when it throws (last registered, first run). */
  defer(cleanup: () => Promise<void> | void): void;
}

export interface BenchModule {
  run(ctx: BenchContext): Promise<BenchReport>;
}
