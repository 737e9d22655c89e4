import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type Insertable, type Selectable, type SqlBool, sql } from 'kysely';
import type { Clock } from '../core/clock.ts';
import { ConflictError, InputError, NotFoundError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { type Logger, silentLogger } from '../core/logger.ts';
import { BatchWriter } from '../db/coalesce.ts';
import type { Db, Executor } from '../db/database.ts';
import { fromJson, toJson } from '../db/json.ts';
import type { JobsTable } from '../db/schema.ts';

/** What to run, and when. */
export interface JobSpec {
  /** Which handler runs the job, e.g. `notify.delivery`. */
  kind: string;
  /** Any JSON-serializable value; the handler receives it parsed. */
  payload: unknown;
  /**
   * Idempotency key. Enqueueing a key that already exists (in any status, done included)
   * creates nothing and returns the existing job's id.
   */
  key?: string;
  /** Earliest time (ms since the epoch) the job may run. Defaults to now. */
  runAt?: number;
  /** Attempts before the job is declared dead. Defaults to 8. */
  maxAttempts?: number;
}

/** A claimed job, as a handler sees it. */
export interface Job {
  id: string;
  kind: string;
  payload: unknown;
  key: string | null;
  /** 1-based: the first run is attempt 1, its first retry attempt 2. */
  attempt: number;
  maxAttempts: number;
  runAt: number;
}

/** A job that exhausted its attempts. */
export type DeadJob = Job & { lastError: string | null };

/**
 * What a handler may throw to steer the retry of its job (any error with these properties
 * does the same): `permanent` makes the job dead at once, since trying again cannot help;
 * `retryAfterMs` makes the next attempt no earlier than that, even when backoff is shorter.
 */
export class JobFailure extends Error {
  readonly permanent: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: { permanent?: boolean; retryAfterMs?: number } = {}) {
    super(message);
    this.name = 'JobFailure';
    this.permanent = options.permanent ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/**
 * What a handler throws when its job must wait for another one before it can do anything:
 * the job goes back to pending, due in `delayMs`, as if this claim had never happened (the
 * attempt is not counted and the last error is kept). Notifications use it to go out in order.
 */
export class JobDeferral extends Error {
  readonly delayMs: number;

  constructor(message: string, delayMs: number) {
    super(message);
    this.name = 'JobDeferral';
    this.delayMs = Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0;
  }
}

/**
 * Runs one job. A rejection schedules a retry with backoff (see {@link JobFailure}). A handler
 * may run more than once for the same job (a lease can expire mid-run), so its effects must be
 * idempotent.
 */
export type JobHandler = (job: Job) => Promise<void>;

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** No delay is ever longer than this. */
  maxMs: number;
}

export interface JobQueueDeps {
  db: Db;
  clock: Clock;
  logger?: Logger;
  /** Names this worker in `lease_owner`. Defaults to host, pid and a random suffix. */
  owner?: string;
  /** How long a claim is exclusive before another worker may take the job over. Default 30 s. */
  leaseMs?: number;
  /** How often the loop started by {@link JobQueue.start} looks for due jobs. Default 500 ms. */
  pollMs?: number;
  /** Retry delays. Default 1 s doubling up to 10 min, with jitter. */
  backoff?: BackoffPolicy;
  /** Jobs the loop runs at once, and the default batch of {@link JobQueue.runDue}. Default 4. */
  concurrency?: number;
  /**
   * How long a finished job is kept before the loop deletes it. Its key deduplicates enqueues
   * until then. Dead jobs are kept until someone retries or they are dealt with. Default 7 days.
   */
  doneRetentionMs?: number;
}

export interface JobDepth {
  pending: number;
  running: number;
  dead: number;
}

const DEFAULT_MAX_ATTEMPTS = 8;
const DEFAULT_DONE_RETENTION_MS = 7 * 24 * 3_600_000;
/** The loop sweeps old finished jobs at most this often, this many at a time. */
const SWEEP_EVERY_MS = 60_000;
const SWEEP_BATCH = 5_000;
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 600_000 };
const MAX_ERROR_LENGTH = 2_000;
const LEASE_LOST_ON_FINAL_ATTEMPT = 'lease expired during the final attempt (worker stopped or stalled)';

/**
 * Delay before retrying after failed attempt `attempt` (1-based): exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" (half fixed, half random). Jitter spreads retries of
 * jobs that failed together; keeping half fixed means a retry never comes back at once. For a
 * given `random()` value the delay never shrinks as attempts grow.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const maxMs = Math.max(0, policy.maxMs);
  const baseMs = Math.max(0, policy.baseMs);
  // Past 2^52 the cap always wins; clamping the exponent keeps the arithmetic finite.
  const exponent = Math.min(Math.max(Math.floor(attempt), 1) - 1, 52);
  const ceiling = Math.min(maxMs, baseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(ceiling / 2 + (ceiling / 2) * r);
}

/**
 * Durable jobs: rows in `jobs`, claimed under a lease, retried with backoff, and dead after
 * `maxAttempts`. Any number of queues, in one process or many replicas, may share a database;
 * each due job is claimed by exactly one of them at a time. Delivery is at least once: a job
 * whose worker dies mid-run is run again when its lease expires.
 *
 * A queue only claims kinds it has a handler for. A job of another kind stays untouched,
 * attempts included, for a replica that does handle it (during a rolling upgrade, say).
 */
export class JobQueue {
  /** This worker's name in `lease_owner`. */
  readonly owner: string;
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #leaseMs: number;
  readonly #pollMs: number;
  readonly #backoff: BackoffPolicy;
  readonly #concurrency: number;
  readonly #handlers = new Map<string, JobHandler>();

  #active = false;
  #timer: NodeJS.Timeout | null = null;
  #ticking: Promise<void> | null = null;
  /** True when the last poll filled every free slot, so more work is probably waiting. */
  #backlog = false;
  #wakeAgain = false;
  readonly #doneRetentionMs: number;
  #lastSweep = Number.NEGATIVE_INFINITY;
  readonly #inFlight = new Set<Promise<void>>();
  /** Successes of jobs finishing close together, recorded in one statement. */
  readonly #successes = new BatchWriter<Job, boolean>((jobs) => this.#markDone(jobs));

  constructor(deps: JobQueueDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#logger = deps.logger ?? silentLogger;
    this.owner = deps.owner ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.#leaseMs = positive('leaseMs', deps.leaseMs ?? 30_000);
    this.#pollMs = positive('pollMs', deps.pollMs ?? 500);
    this.#concurrency = positiveInteger('concurrency', deps.concurrency ?? 4);
    this.#doneRetentionMs = positive('doneRetentionMs', deps.doneRetentionMs ?? DEFAULT_DONE_RETENTION_MS);
    const backoff = deps.backoff ?? DEFAULT_BACKOFF;
    this.#backoff = { baseMs: positive('backoff.baseMs', backoff.baseMs), maxMs: positive('backoff.maxMs', backoff.maxMs) };
  }

  /**
   * Adds a job. Pass the transaction that makes the change causing the job, so that the job
   * exists if and only if the change commits. With a `key` that already exists nothing is
   * added and `created` is false.
   */
  async enqueue(executor: Executor, spec: JobSpec): Promise<{ id: string; created: boolean }> {
    const [row] = this.rows([spec]);
    if (!row) throw new InputError('no job to enqueue');
    const { kind, key } = row;
    const inserted = await executor
      .insertInto('jobs')
      .values(row)
      // A plain INSERT would abort a PostgreSQL transaction on a duplicate key; DO NOTHING
      // lets the caller's transaction carry on.
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { id: inserted.id, created: true };
    if (key != null) {
      const existing = await executor.selectFrom('jobs').select('id').where('key', '=', key).executeTakeFirst();
      if (existing) return { id: existing.id, created: false };
    }
    throw new ConflictError(`job ${kind} could not be enqueued: a conflicting job vanished`);
  }

  /**
   * Enqueues several jobs in one statement per 200; keys already present are skipped, as
   * {@link enqueue} does. For callers that enqueue many jobs in one transaction and need no ids.
   */
  async enqueueMany(executor: Executor, specs: readonly JobSpec[]): Promise<void> {
    const rows = this.rows(specs);
    for (let i = 0; i < rows.length; i += 200) {
      await executor
        .insertInto('jobs')
        .values(rows.slice(i, i + 200))
        .onConflict((oc) => oc.column('key').doNothing())
        .execute();
    }
  }

  /**
   * The rows {@link enqueueMany} would insert (validated), for a caller that writes them in a
   * statement of its own, with `on conflict (key) do nothing`.
   */
  rows(specs: readonly JobSpec[]): Array<Insertable<JobsTable>> {
    const now = this.#clock.now();
    return specs.map((spec) => {
      const { kind, key, runAt, maxAttempts, payload } = validateSpec(spec);
      return {
        id: newId(now),
        kind,
        payload,
        key,
        status: 'pending' as const,
        run_at: runAt ?? now,
        attempts: 0,
        max_attempts: maxAttempts,
        lease_until: null,
        lease_owner: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      };
    });
  }

  /**
   * Polls now instead of at the next interval: for a caller that has just committed jobs that
   * are due, so they start within milliseconds rather than up to `pollMs` later.
   */
  wake(): void {
    if (!this.#active) return;
    if (this.#ticking) {
      this.#wakeAgain = true;
      return;
    }
    this.#schedule(0);
  }

  /** Registers the handler for a kind. One handler per kind. */
  handle(kind: string, handler: JobHandler): void {
    if (this.#handlers.has(kind)) throw new ConflictError(`a handler for job kind "${kind}" is already registered`);
    this.#handlers.set(kind, handler);
  }

  /**
   * Claims up to `limit` due jobs for this worker: pending jobs whose `run_at` has come, and
   * running jobs whose lease has expired. Each claim counts an attempt and takes a lease of
   * `leaseMs`. With `kinds`, only jobs of those kinds are claimed.
   *
   * A job whose lease expired during its final attempt is marked dead rather than returned.
   */
  async claim(limit: number, kinds?: readonly string[]): Promise<Job[]> {
    if (limit < 1 || (kinds && kinds.length === 0)) return [];
    const now = this.#clock.now();
    await this.#buryAbandoned(now);

    const kysely = this.#db.kysely;
    let due = kysely
      .selectFrom('jobs')
      .select('id')
      .where((eb) =>
        eb.or([
          eb.and([eb('status', '=', 'pending'), eb('run_at', '<=', now)]),
          eb.and([eb('status', '=', 'running'), eb('lease_until', '<=', now), eb('attempts', '<', eb.ref('max_attempts'))]),
        ]),
      );
    if (kinds) due = due.where('kind', 'in', kinds);
    due = due.orderBy('run_at').orderBy('id').limit(Math.floor(limit));

    // PostgreSQL: SKIP LOCKED lets concurrent claimers pass over each other's rows instead of
    // queueing behind them. ARRAY(subquery) is evaluated exactly once, as an init plan; under
    // `IN (subquery)` the planner may rescan the locking subquery and claim more than LIMIT.
    // (Kysely supplies the subquery's parentheses.)
    // SQLite: a write statement holds the database's only write lock from its first read to
    // its commit, so the subquery and the update cannot interleave with another claimer.
    const claimed = kysely.updateTable('jobs').set({
      status: 'running',
      attempts: sql<number>`attempts + 1`,
      lease_until: now + this.#leaseMs,
      lease_owner: this.owner,
      updated_at: now,
    });
    const rows = await (this.#db.dialect === 'postgres'
      ? claimed.where(sql<SqlBool>`id = any(array${due.forUpdate().skipLocked()})`)
      : claimed.where('id', 'in', due)
    )
      .returningAll()
      .execute();
    // RETURNING order is unspecified on both engines.
    return rows.map(toJob).sort((a, b) => a.runAt - b.runAt || (a.id < b.id ? -1 : 1));
  }

  /**
   * Gives a claimed job back as if it had never been claimed: pending, attempt not counted,
   * lease cleared. Does nothing if the lease has since passed to another worker.
   */
  async release(job: Job): Promise<void> {
    await this.#fenced(job)
      .set({
        status: 'pending',
        attempts: sql<number>`attempts - 1`,
        lease_until: null,
        lease_owner: null,
        updated_at: this.#clock.now(),
      })
      .execute();
  }

  /**
   * Claims up to `limit` due jobs of the kinds this queue handles, runs them concurrently and
   * records each outcome. Resolves with the number of jobs run, once all have finished.
   */
  async runDue(limit: number = this.#concurrency): Promise<number> {
    const kinds = [...this.#handlers.keys()];
    if (kinds.length === 0) return 0;
    const jobs = await this.claim(limit, kinds);
    await Promise.all(jobs.map((job) => this.#execute(job)));
    return jobs.length;
  }

  /**
   * Starts polling for due jobs every `pollMs` (sooner while a backlog remains), running up to
   * `concurrency` at once. Timestamps come from the clock; the polling uses real timers.
   */
  start(): void {
    if (this.#active) return;
    this.#active = true;
    this.#schedule(0);
  }

  /** Stops polling and resolves once every job this loop started has finished. */
  async stop(): Promise<void> {
    this.#active = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#ticking;
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  /** Jobs per status; done jobs are not counted. */
  async depth(): Promise<JobDepth> {
    const rows = await this.#db.kysely
      .selectFrom('jobs')
      .select((eb) => ['status', eb.fn.countAll<number>().as('count')])
      .where('status', 'in', ['pending', 'running', 'dead'])
      .groupBy('status')
      .execute();
    const depth: JobDepth = { pending: 0, running: 0, dead: 0 };
    for (const row of rows) if (row.status !== 'done') depth[row.status] = Number(row.count);
    return depth;
  }

  /** Dead jobs, most recently buried first. */
  async listDead(limit = 100): Promise<DeadJob[]> {
    const rows = await this.#db.kysely
      .selectFrom('jobs')
      .selectAll()
      .where('status', '=', 'dead')
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(Math.max(Math.floor(limit), 1), 1000))
      .execute();
    return rows.map((row) => ({ ...toJob(row), lastError: row.last_error }));
  }

  /**
   * Revives a dead job: due now, with a fresh set of attempts. Its last error is kept until
   * the next attempt replaces or outlives it.
   */
  async retryDead(id: string): Promise<void> {
    const now = this.#clock.now();
    const result = await this.#db.kysely
      .updateTable('jobs')
      .set({ status: 'pending', attempts: 0, run_at: now, lease_until: null, lease_owner: null, updated_at: now })
      .where('id', '=', id)
      .where('status', '=', 'dead')
      .executeTakeFirst();
    if (result.numUpdatedRows > 0n) return;
    const job = await this.#db.kysely.selectFrom('jobs').select('status').where('id', '=', id).executeTakeFirst();
    if (!job) throw new NotFoundError(`job ${id} not found`);
    throw new ConflictError(`job ${id} is ${job.status}, not dead`);
  }

  /** Marks dead the jobs whose lease expired during their final attempt. */
  async #buryAbandoned(now: number): Promise<void> {
    await this.#db.kysely
      .updateTable('jobs')
      .set({ status: 'dead', last_error: LEASE_LOST_ON_FINAL_ATTEMPT, lease_until: null, lease_owner: null, updated_at: now })
      .where('status', '=', 'running')
      .where('lease_until', '<=', now)
      .where('attempts', '>=', (eb) => eb.ref('max_attempts'))
      .execute();
  }

  /** Runs one claimed job and records its outcome; never rejects. */
  async #execute(job: Job): Promise<void> {
    const handler = this.#handlers.get(job.kind);
    if (!handler) {
      await this.release(job).catch((error: unknown) => this.#logOutcomeFailure(job, error));
      return;
    }
    // Renewing at a third of the lease leaves two chances before another worker may take over.
    const heartbeat = setInterval(() => void this.#renewLease(job), Math.max(1, Math.floor(this.#leaseMs / 3)));
    heartbeat.unref();
    let failure: { error: unknown } | null = null;
    try {
      await handler(job);
    } catch (error) {
      failure = { error };
    } finally {
      clearInterval(heartbeat);
    }
    try {
      if (failure?.error instanceof JobDeferral) await this.#recordDeferral(job, failure.error.delayMs);
      else if (failure) await this.#recordFailure(job, failure.error);
      else await this.#recordSuccess(job);
    } catch (error) {
      this.#logOutcomeFailure(job, error);
    }
  }

  async #recordSuccess(job: Job): Promise<void> {
    if (!(await this.#successes.write(job))) this.#warnLeaseLost(job);
  }

  /**
   * Marks the jobs done, fenced like {@link #fenced} (still this worker's, at this attempt);
   * says for each whether it was.
   */
  async #markDone(jobs: readonly Job[]): Promise<boolean[]> {
    const done = new Set<string>();
    for (let i = 0; i < jobs.length; i += 200) {
      const slice = jobs.slice(i, i + 200);
      const rows = await this.#db.kysely
        .updateTable('jobs')
        .set({ status: 'done', lease_until: null, lease_owner: null, updated_at: this.#clock.now() })
        .where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple('id', 'attempts'),
            'in',
            slice.map((j) => tuple(j.id, j.attempt)),
          ),
        )
        .where('status', '=', 'running')
        .where('lease_owner', '=', this.owner)
        .returning('id')
        .execute();
      for (const r of rows) done.add(r.id);
    }
    return jobs.map((j) => done.has(j.id));
  }

  async #recordFailure(job: Job, error: unknown): Promise<void> {
    const now = this.#clock.now();
    const lastError = describeError(error);
    const { permanent, retryAfterMs } = failureHints(error);
    const dead = permanent || job.attempt >= job.maxAttempts;
    const update = dead
      ? { status: 'dead' as const, last_error: lastError, lease_until: null, lease_owner: null, updated_at: now }
      : {
          status: 'pending' as const,
          run_at: now + Math.max(backoffDelay(job.attempt, this.#backoff), retryAfterMs ?? 0),
          last_error: lastError,
          lease_until: null,
          lease_owner: null,
          updated_at: now,
        };
    const result = await this.#fenced(job).set(update).executeTakeFirst();
    if (result.numUpdatedRows === 0n) return this.#warnLeaseLost(job);
    const context = { jobId: job.id, kind: job.kind, attempt: job.attempt, err: error };
    if (dead) this.#logger.error(context, 'job failed its final attempt and is dead');
    else this.#logger.warn(context, 'job failed; retry scheduled');
  }

  /** Like {@link release}, but due only after `delayMs`. */
  async #recordDeferral(job: Job, delayMs: number): Promise<void> {
    const now = this.#clock.now();
    await this.#fenced(job)
      .set({
        status: 'pending',
        attempts: sql<number>`attempts - 1`,
        run_at: now + delayMs,
        lease_until: null,
        lease_owner: null,
        updated_at: now,
      })
      .execute();
  }

  async #renewLease(job: Job): Promise<void> {
    try {
      const now = this.#clock.now();
      await this.#fenced(job)
        .set({ lease_until: now + this.#leaseMs, updated_at: now })
        .execute();
    } catch (error) {
      this.#logger.warn({ jobId: job.id, kind: job.kind, err: error }, 'could not renew job lease');
    }
  }

  /**
   * An update that applies only while this worker still holds this attempt's lease. The
   * attempt number is the fencing token: once the lease expires and another worker claims
   * the job, the attempt count moves on and a late outcome from here changes nothing.
   */
  #fenced(job: Job) {
    return this.#db.kysely
      .updateTable('jobs')
      .where('id', '=', job.id)
      .where('status', '=', 'running')
      .where('attempts', '=', job.attempt)
      .where('lease_owner', '=', this.owner);
  }

  #warnLeaseLost(job: Job): void {
    this.#logger.warn(
      { jobId: job.id, kind: job.kind, attempt: job.attempt },
      'job lease was lost before its outcome was recorded; another worker owns the job now',
    );
  }

  #logOutcomeFailure(job: Job, error: unknown): void {
    this.#logger.error(
      { jobId: job.id, kind: job.kind, attempt: job.attempt, err: error },
      'could not record job outcome; the job runs again when its lease expires',
    );
  }

  #schedule(delayMs: number): void {
    if (!this.#active) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#onTimer(), delayMs);
  }

  #onTimer(): void {
    this.#timer = null;
    // A poll already under way schedules the next one when it ends.
    if (!this.#active || this.#ticking) return;
    this.#ticking = this.#poll().finally(() => {
      this.#ticking = null;
    });
  }

  /**
   * Deletes up to `limit` jobs that finished more than the retention ago (every notification is
   * a job, so without this the table grows with every alert); how many it deleted.
   */
  async sweep(limit = SWEEP_BATCH): Promise<number> {
    const cutoff = this.#clock.now() - this.#doneRetentionMs;
    const old = this.#db.kysely
      .selectFrom('jobs')
      .select('id')
      .where('status', '=', 'done')
      // run_at ≤ updated_at for a finished job, so the (status, run_at) index narrows the scan.
      .where('run_at', '<', cutoff)
      .where('updated_at', '<', cutoff)
      .limit(Math.max(1, Math.floor(limit)));
    const result = await this.#db.kysely.deleteFrom('jobs').where('id', 'in', old).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async #poll(): Promise<void> {
    let nextMs = this.#pollMs;
    const now = this.#clock.now();
    if (now - this.#lastSweep >= SWEEP_EVERY_MS) {
      this.#lastSweep = now;
      try {
        const deleted = await this.sweep();
        if (deleted > 0) this.#logger.info({ deleted }, 'deleted finished jobs past their retention');
      } catch (error) {
        this.#logger.warn({ err: error }, 'could not delete old finished jobs; trying again later');
      }
    }
    try {
      const free = this.#concurrency - this.#inFlight.size;
      const kinds = [...this.#handlers.keys()];
      if (free > 0 && kinds.length > 0) {
        const jobs = await this.claim(free, kinds);
        for (const job of jobs) this.#track(this.#execute(job));
        this.#backlog = jobs.length === free;
        if (this.#backlog) nextMs = 0;
      }
    } catch (error) {
      this.#logger.error({ err: error }, 'could not claim jobs; retrying at the next poll');
    }
    if (this.#wakeAgain) {
      this.#wakeAgain = false;
      nextMs = 0;
    }
    this.#schedule(nextMs);
  }

  #track(run: Promise<void>): void {
    this.#inFlight.add(run);
    void run.finally(() => {
      this.#inFlight.delete(run);
      if (this.#backlog) this.#schedule(0);
    });
  }
}

function toJob(row: Selectable<JobsTable>): Job {
  return {
    id: row.id,
    kind: row.kind,
    payload: fromJson<unknown>(row.payload, null),
    key: row.key,
    attempt: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAt: Number(row.run_at),
  };
}

function validateSpec(spec: JobSpec): {
  kind: string;
  key: string | null;
  runAt: number | undefined;
  maxAttempts: number;
  payload: string;
} {
  if (typeof spec.kind !== 'string' || spec.kind.trim() === '') throw InputError.field('kind', 'must be a non-empty string');
  if (spec.key !== undefined && (typeof spec.key !== 'string' || spec.key === '')) {
    throw InputError.field('key', 'must be a non-empty string when given');
  }
  if (spec.runAt !== undefined && !Number.isFinite(spec.runAt)) throw InputError.field('runAt', 'must be a finite number of ms');
  const maxAttempts = spec.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw InputError.field('maxAttempts', 'must be an integer of at least 1');
  let payload: string;
  try {
    payload = toJson(spec.payload);
  } catch (error) {
    throw InputError.field('payload', `must be JSON-serializable: ${(error as Error).message}`);
  }
  return { kind: spec.kind, key: spec.key ?? null, runAt: spec.runAt, maxAttempts, payload };
}

/** `permanent` and `retryAfterMs` from whatever a handler threw. */
function failureHints(error: unknown): { permanent: boolean; retryAfterMs: number | undefined } {
  if (typeof error !== 'object' || error === null) return { permanent: false, retryAfterMs: undefined };
  const { permanent, retryAfterMs } = error as { permanent?: unknown; retryAfterMs?: unknown };
  return {
    permanent: permanent === true,
    retryAfterMs:
      typeof retryAfterMs === 'number' && Number.isFinite(retryAfterMs) && retryAfterMs > 0 ? retryAfterMs : undefined,
  };
}

/** The message only: dead jobs are listed to operators, and stacks belong in the logs. */
function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw InputError.field(name, 'must be a positive number');
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw InputError.field(name, 'must be a positive integer');
  return value;
}
