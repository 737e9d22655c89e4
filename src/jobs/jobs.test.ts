import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../core/clock.ts';
import { ConflictError, InputError, NotFoundError } from '../core/errors.ts';
import { type Db, openDatabase } from '../db/database.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { createTestDatabase, freshPostgresUrl, TEST_PG_URL, type TestDatabase, testDialects } from '../db/testing.ts';
import { backoffDelay, type Job, JobFailure, JobQueue, type JobQueueDeps } from './jobs.ts';

const policy = fc.record({ baseMs: fc.integer({ min: 1, max: 120_000 }), maxMs: fc.integer({ min: 1, max: 86_400_000 }) });
const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const attempt = fc.integer({ min: 1, max: 200 });

describe('backoffDelay', () => {
  it('never exceeds maxMs and is never negative', () => {
    fc.assert(
      fc.property(attempt, policy, draw, (n, p, r) => {
        const delay = backoffDelay(n, p, () => r);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(p.maxMs);
      }),
    );
  });

  it('grows with the attempt for the same random draw', () => {
    fc.assert(
      fc.property(attempt, policy, draw, (n, p, r) => {
        expect(backoffDelay(n + 1, p, () => r)).toBeGreaterThanOrEqual(backoffDelay(n, p, () => r));
      }),
    );
  });

  it('keeps at least half of the exponential delay, so a retry never comes back at once', () => {
    fc.assert(
      fc.property(attempt, policy, draw, (n, p, r) => {
        const ceiling = Math.min(p.maxMs, p.baseMs * 2 ** Math.min(n - 1, 52));
        expect(backoffDelay(n, p, () => r)).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
      }),
    );
  });

  it('doubles from baseMs until maxMs caps it', () => {
    const p = { baseMs: 1_000, maxMs: 5_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, p, () => 0.999_999))).toEqual([999, 1_999, 3_999, 4_999, 4_999]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, p, () => 0))).toEqual([500, 1_000, 2_000, 2_500]);
  });
});

/**
 * Closes the handles and waits until the server has seen their connections go. pg's
 * `Pool.end()` resolves before its connections have finished closing, and dropping the
 * database `WITH (FORCE)` at that moment kills them mid-goodbye: the pool then emits an
 * unhandled 'error'.
 */
async function closeConnections(dbs: Db[]): Promise<void> {
  for (const db of dbs) await db.close();
  const names = dbs.filter((db) => db.dialect === 'postgres').map((db) => decodeURIComponent(new URL(db.url).pathname.slice(1)));
  if (names.length === 0) return;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    for (let i = 0; i < 400; i++) {
      const { rows } = await admin.query<{ n: number }>(
        'select count(*)::int as n from pg_stat_activity where datname = any($1)',
        [names],
      );
      if (rows[0]?.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    await admin.end();
  }
}

/** A promise with its resolver, for handlers that must wait on the test. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe.each(testDialects)('JobQueue on %s', (dialect) => {
  let test: TestDatabase;
  let clock: FakeClock;

  beforeAll(async () => {
    test = await createTestDatabase(dialect);
  });
  afterAll(async () => {
    await closeConnections([test.db]);
    await test.destroy();
  });
  beforeEach(async () => {
    await test.db.kysely.deleteFrom('jobs').execute();
    clock = new FakeClock('2026-03-02T10:00:00Z');
  });

  function queue(deps: Partial<JobQueueDeps> = {}): JobQueue {
    return new JobQueue({ db: test.db, clock, backoff: { baseMs: 1_000, maxMs: 1_000 }, ...deps });
  }

  async function statusOf(id: string): Promise<string | undefined> {
    const row = await test.db.kysely.selectFrom('jobs').select('status').where('id', '=', id).executeTakeFirst();
    return row?.status;
  }

  it('sweeps finished jobs past their retention, keeping newer, pending and dead ones; until then a key deduplicates', async () => {
    const jobs = queue({ doneRetentionMs: 24 * 3_600_000 });
    jobs.handle('ok', async () => {});
    jobs.handle('bad', async () => {
      throw new JobFailure('no', { permanent: true });
    });
    const old = await jobs.enqueue(test.db.kysely, { kind: 'ok', payload: 1, key: 'old' });
    const dead = await jobs.enqueue(test.db.kysely, { kind: 'bad', payload: 2 });
    expect(await jobs.runDue()).toBe(2);
    clock.advance(12 * 3_600_000);
    const recent = await jobs.enqueue(test.db.kysely, { kind: 'ok', payload: 3 });
    expect(await jobs.runDue()).toBe(1);
    const waiting = await jobs.enqueue(test.db.kysely, { kind: 'ok', payload: 4, runAt: clock.now() + 48 * 3_600_000 });
    // Within the retention the finished job's key still deduplicates.
    expect((await jobs.enqueue(test.db.kysely, { kind: 'ok', payload: 1, key: 'old' })).created).toBe(false);

    clock.advance(13 * 3_600_000); // the first two are 25 h old, the third 13 h
    expect(await jobs.sweep()).toBe(1);
    expect(await statusOf(old.id)).toBeUndefined();
    expect(await statusOf(dead.id)).toBe('dead');
    expect(await statusOf(recent.id)).toBe('done');
    expect(await statusOf(waiting.id)).toBe('pending');
    expect(await jobs.sweep()).toBe(0);
    // Past the retention the key is free again.
    expect((await jobs.enqueue(test.db.kysely, { kind: 'ok', payload: 1, key: 'old' })).created).toBe(true);
  });

  it('runs an enqueued job once, with its payload', async () => {
    const jobs = queue();
    const seen: Job[] = [];
    jobs.handle('mail.send', async (job) => {
      seen.push(job);
    });
    const { id, created } = await jobs.enqueue(test.db.kysely, { kind: 'mail.send', payload: { to: 'alice', n: 1 } });

    expect(created).toBe(true);
    expect(await jobs.depth()).toEqual({ pending: 1, running: 0, dead: 0 });
    expect(await jobs.runDue()).toBe(1);
    expect(await jobs.runDue()).toBe(0);
    expect(seen).toEqual([
      { id, kind: 'mail.send', payload: { to: 'alice', n: 1 }, key: null, attempt: 1, maxAttempts: 8, runAt: clock.now() },
    ]);
    expect(await statusOf(id)).toBe('done');
    expect(await jobs.depth()).toEqual({ pending: 0, running: 0, dead: 0 });
  });

  it('creates one job for an idempotency key, however often it is enqueued', async () => {
    const jobs = queue();
    let runs = 0;
    jobs.handle('page', async () => {
      runs++;
    });
    const first = await jobs.enqueue(test.db.kysely, { kind: 'page', payload: 1, key: 'incident-7:step-1' });
    const second = await jobs.enqueue(test.db.kysely, { kind: 'page', payload: 2, key: 'incident-7:step-1' });
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, created: false });

    await jobs.runDue();
    const afterDone = await jobs.enqueue(test.db.kysely, { kind: 'page', payload: 3, key: 'incident-7:step-1' });
    expect(afterDone).toEqual({ id: first.id, created: false });
    await jobs.runDue();
    expect(runs).toBe(1);
  });

  it('enqueues atomically with the transaction that causes the job', async () => {
    const jobs = queue();
    await expect(
      test.db.kysely.transaction().execute(async (trx) => {
        await jobs.enqueue(trx, { kind: 'notify', payload: null, key: 'rolled-back' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await jobs.depth()).toEqual({ pending: 0, running: 0, dead: 0 });

    await test.db.kysely.transaction().execute(async (trx) => {
      await jobs.enqueue(trx, { kind: 'notify', payload: null, key: 'rolled-back' });
    });
    expect(await jobs.depth()).toEqual({ pending: 1, running: 0, dead: 0 });
  });

  it('does not run a job before its runAt', async () => {
    const jobs = queue();
    let runs = 0;
    jobs.handle('flag.flip', async () => {
      runs++;
    });
    await jobs.enqueue(test.db.kysely, { kind: 'flag.flip', payload: {}, runAt: clock.now() + 60_000 });
    expect(await jobs.runDue()).toBe(0);
    clock.advance(59_999);
    expect(await jobs.runDue()).toBe(0);
    clock.advance(1);
    expect(await jobs.runDue()).toBe(1);
    expect(runs).toBe(1);
  });

  it('retries a failed job only after its backoff', async () => {
    const jobs = queue({ backoff: { baseMs: 1_000, maxMs: 1_000 } });
    const attempts: number[] = [];
    jobs.handle('webhook', async (job) => {
      attempts.push(job.attempt);
      if (job.attempt === 1) throw new Error('502 from receiver');
    });
    const { id } = await jobs.enqueue(test.db.kysely, { kind: 'webhook', payload: {} });

    expect(await jobs.runDue()).toBe(1);
    expect(await statusOf(id)).toBe('pending');
    // The jittered delay after a first failure lies in [500, 1000] ms with this policy.
    clock.advance(499);
    expect(await jobs.runDue()).toBe(0);
    clock.advance(501);
    expect(await jobs.runDue()).toBe(1);
    expect(attempts).toEqual([1, 2]);
    expect(await statusOf(id)).toBe('done');
  });

  it('lets another worker take over a job whose lease expired, counting the attempt', async () => {
    const died = queue({ owner: 'worker-a', leaseMs: 30_000 });
    const survivor = queue({ owner: 'worker-b', leaseMs: 30_000 });
    const seen: number[] = [];
    survivor.handle('rollout.step', async (job) => {
      seen.push(job.attempt);
    });
    const { id } = await died.enqueue(test.db.kysely, { kind: 'rollout.step', payload: {} });

    const [claimed] = await died.claim(1);
    expect(claimed?.attempt).toBe(1);
    expect(await survivor.runDue()).toBe(0);
    clock.advance(29_999);
    expect(await survivor.runDue()).toBe(0);
    clock.advance(1);
    expect(await survivor.runDue()).toBe(1);
    expect(seen).toEqual([2]);
    expect(await statusOf(id)).toBe('done');
  });

  it('ignores the late outcome of a worker that lost its lease', async () => {
    const slow = queue({ owner: 'worker-a', leaseMs: 30_000 });
    const fast = queue({ owner: 'worker-b', leaseMs: 30_000 });
    const started = deferred();
    const gate = deferred();
    slow.handle('escalate', async () => {
      started.resolve();
      await gate.promise;
      throw new Error('timed out after the lease');
    });
    fast.handle('escalate', async () => {});
    const { id } = await slow.enqueue(test.db.kysely, { kind: 'escalate', payload: {} });

    const slowRun = slow.runDue();
    await started.promise;
    clock.advance(30_000);
    expect(await fast.runDue()).toBe(1);
    gate.resolve();
    await slowRun;

    expect(await statusOf(id)).toBe('done');
    expect(await fast.depth()).toEqual({ pending: 0, running: 0, dead: 0 });
  });

  it('records the successes of jobs finishing together in one statement', async () => {
    const jobs = queue({ concurrency: 20 });
    jobs.handle('deliver', async () => {});
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push((await jobs.enqueue(test.db.kysely, { kind: 'deliver', payload: { i } })).id);
    const before = test.db.queries();
    expect(await jobs.runDue(20)).toBe(20);
    // Burying abandoned jobs, the claim, and one update for all twenty successes.
    expect(test.db.queries() - before).toBe(3);
    for (const id of ids) expect(await statusOf(id)).toBe('done');
  });

  it('a late success does not finish a job another worker has taken over', async () => {
    const slow = queue({ owner: 'worker-a', leaseMs: 30_000 });
    const fast = queue({ owner: 'worker-b', leaseMs: 30_000 });
    const started = deferred();
    const gate = deferred();
    const fastStarted = deferred();
    const fastGate = deferred();
    slow.handle('escalate', async () => {
      started.resolve();
      await gate.promise;
    });
    fast.handle('escalate', async () => {
      fastStarted.resolve();
      await fastGate.promise;
    });
    const { id } = await slow.enqueue(test.db.kysely, { kind: 'escalate', payload: {} });
    const slowRun = slow.runDue();
    await started.promise;
    clock.advance(30_000);
    const fastRun = fast.runDue();
    await fastStarted.promise;
    // The first worker finishes after losing its lease: the job stays the second worker's.
    gate.resolve();
    await slowRun;
    expect(await statusOf(id)).toBe('running');
    fastGate.resolve();
    await fastRun;
    expect(await statusOf(id)).toBe('done');
  });

  it('buries a job after maxAttempts and revives it with retryDead', async () => {
    const jobs = queue();
    let healthy = false;
    jobs.handle('deliver', async () => {
      if (!healthy) throw new Error('SMTP refused');
    });
    const { id } = await jobs.enqueue(test.db.kysely, { kind: 'deliver', payload: { to: 'bob' }, maxAttempts: 3 });

    for (let i = 0; i < 3; i++) {
      expect(await jobs.runDue()).toBe(1);
      clock.advance(1_000);
    }
    expect(await jobs.runDue()).toBe(0);
    expect(await jobs.depth()).toEqual({ pending: 0, running: 0, dead: 1 });
    const [dead] = await jobs.listDead();
    expect(dead).toMatchObject({ id, kind: 'deliver', payload: { to: 'bob' }, attempt: 3, maxAttempts: 3 });
    expect(dead?.lastError).toBe('Error: SMTP refused');

    healthy = true;
    await jobs.retryDead(id);
    expect(await jobs.depth()).toEqual({ pending: 1, running: 0, dead: 0 });
    expect(await jobs.runDue()).toBe(1);
    expect(await statusOf(id)).toBe('done');
    expect(await jobs.listDead()).toEqual([]);
  });

  it('buries a job at once when its handler fails permanently', async () => {
    const jobs = queue();
    let runs = 0;
    jobs.handle('deliver', async () => {
      runs++;
      throw new JobFailure('404 from receiver', { permanent: true });
    });
    const { id } = await jobs.enqueue(test.db.kysely, { kind: 'deliver', payload: {}, maxAttempts: 5 });

    expect(await jobs.runDue()).toBe(1);
    expect(await statusOf(id)).toBe('dead');
    clock.advance(60_000);
    expect(await jobs.runDue()).toBe(0);
    expect(runs).toBe(1);
    const [dead] = await jobs.listDead();
    expect(dead).toMatchObject({ id, attempt: 1, maxAttempts: 5, lastError: 'JobFailure: 404 from receiver' });
  });

  it('waits at least the retryAfterMs a handler asks for, however short the backoff', async () => {
    const jobs = queue({ backoff: { baseMs: 1_000, maxMs: 1_000 } });
    const attempts: number[] = [];
    jobs.handle('deliver', async (job) => {
      attempts.push(job.attempt);
      // Any error carrying the property counts, not only JobFailure.
      if (job.attempt === 1) throw Object.assign(new Error('429 from receiver'), { retryAfterMs: 30_000 });
    });
    const { id } = await jobs.enqueue(test.db.kysely, { kind: 'deliver', payload: {} });

    expect(await jobs.runDue()).toBe(1);
    expect(await statusOf(id)).toBe('pending');
    clock.advance(29_999);
    expect(await jobs.runDue()).toBe(0);
    clock.advance(1);
    expect(await jobs.runDue()).toBe(1);
    expect(attempts).toEqual([1, 2]);
    expect(await statusOf(id)).toBe('done');
  });

  it('refuses to revive a job that is missing or not dead', async () => {
    const jobs = queue();
    const { id } = await jobs.enqueue(test.db.kysely, { kind: 'x', payload: null });
    await expect(jobs.retryDead(id)).rejects.toBeInstanceOf(ConflictError);
    await expect(jobs.retryDead('no-such-job')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('buries a job whose final attempt was abandoned instead of running it again', async () => {
    const died = queue({ owner: 'worker-a', leaseMs: 10_000 });
    const other = queue({ owner: 'worker-b' });
    let runs = 0;
    other.handle('once', async () => {
      runs++;
    });
    const { id } = await died.enqueue(test.db.kysely, { kind: 'once', payload: null, maxAttempts: 1 });
    await died.claim(1);
    clock.advance(10_000);

    expect(await other.runDue()).toBe(0);
    expect(runs).toBe(0);
    const [dead] = await other.listDead();
    expect(dead?.id).toBe(id);
    expect(dead?.lastError).toMatch(/lease expired/);
  });

  it('leaves jobs of kinds it has no handler for untouched', async () => {
    const narrow = queue({ owner: 'old-replica' });
    narrow.handle('known', async () => {});
    await narrow.enqueue(test.db.kysely, { kind: 'introduced-later', payload: null });
    await narrow.enqueue(test.db.kysely, { kind: 'known', payload: null });

    expect(await narrow.runDue(10)).toBe(1);
    expect(await narrow.depth()).toEqual({ pending: 1, running: 0, dead: 0 });
    const [other] = await queue({ owner: 'new-replica' }).claim(10);
    expect(other).toMatchObject({ kind: 'introduced-later', attempt: 1 });
  });

  it('gives a claimed job back untouched on release', async () => {
    const jobs = queue();
    await jobs.enqueue(test.db.kysely, { kind: 'k', payload: null });
    const [claimed] = await jobs.claim(1);
    if (!claimed) throw new Error('expected a claim');
    await jobs.release(claimed);
    expect(await jobs.depth()).toEqual({ pending: 1, running: 0, dead: 0 });
    expect((await jobs.claim(1))[0]?.attempt).toBe(1);
  });

  it('claims due jobs oldest first, up to the limit', async () => {
    const jobs = queue();
    const late = await jobs.enqueue(test.db.kysely, { kind: 'k', payload: 'late', runAt: clock.now() - 1_000 });
    const early = await jobs.enqueue(test.db.kysely, { kind: 'k', payload: 'early', runAt: clock.now() - 2_000 });
    await jobs.enqueue(test.db.kysely, { kind: 'k', payload: 'now' });
    expect((await jobs.claim(2)).map((j) => j.id)).toEqual([early.id, late.id]);
  });

  it('rejects invalid specs and a second handler for a kind', async () => {
    const jobs = queue();
    await expect(jobs.enqueue(test.db.kysely, { kind: '', payload: null })).rejects.toBeInstanceOf(InputError);
    await expect(jobs.enqueue(test.db.kysely, { kind: 'k', payload: null, maxAttempts: 0 })).rejects.toBeInstanceOf(InputError);
    await expect(jobs.enqueue(test.db.kysely, { kind: 'k', payload: 1n })).rejects.toBeInstanceOf(InputError);
    jobs.handle('k', async () => {});
    expect(() => jobs.handle('k', async () => {})).toThrow(ConflictError);
  });

  it('runs jobs from its polling loop and waits for them on stop', async () => {
    const jobs = queue({ pollMs: 5, concurrency: 3 });
    const ran: string[] = [];
    const allStarted = deferred();
    const gate = deferred();
    jobs.handle('work', async (job) => {
      ran.push(job.id);
      if (ran.length === 10) allStarted.resolve();
      if (ran.length === 10) await gate.promise;
    });
    for (let i = 0; i < 10; i++) await jobs.enqueue(test.db.kysely, { kind: 'work', payload: i });

    jobs.start();
    await allStarted.promise;
    let stopped = false;
    const stopping = jobs.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stopped).toBe(false);
    gate.resolve();
    await stopping;

    expect(await jobs.depth()).toEqual({ pending: 0, running: 0, dead: 0 });
    await jobs.enqueue(test.db.kysely, { kind: 'work', payload: 'after stop' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(ran).toHaveLength(10);
  });
});

/** Two independent connections to one database: separate pools, or one SQLite file opened twice. */
async function twoConnections(dialect: 'sqlite' | 'postgres'): Promise<{ dbs: [Db, Db]; close(): Promise<void> }> {
  if (dialect === 'postgres') {
    const { url, drop } = freshPostgresUrl();
    const a = await openDatabase(url);
    await migrateToLatest(a);
    const b = await openDatabase(url);
    return {
      dbs: [a, b],
      async close() {
        await closeConnections([a, b]);
        await drop();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-jobs-'));
  const file = join(dir, 'vigil.db');
  const a = await openDatabase(`sqlite:${file}`);
  await migrateToLatest(a);
  const b = await openDatabase(`sqlite:${file}`);
  return {
    dbs: [a, b],
    async close() {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe.each(testDialects)('JobQueue workers racing on %s', (dialect) => {
  it('runs each of 200 jobs exactly once across two connections', async () => {
    const { dbs, close } = await twoConnections(dialect);
    try {
      const clock = new FakeClock('2026-03-02T10:00:00Z');
      const ran: string[] = [];
      const queues = dbs.map((db, i) => {
        const jobs = new JobQueue({ db, clock, owner: `worker-${i}` });
        jobs.handle('race', async (job) => {
          ran.push(job.id);
          // Yield so the other workers' claims interleave with this job's outcome.
          await new Promise((resolve) => setImmediate(resolve));
        });
        return jobs;
      });
      const [first] = queues;
      if (!first) throw new Error('expected two queues');
      const ids = await dbs[0].kysely.transaction().execute(async (trx) => {
        const out: string[] = [];
        for (let i = 0; i < 200; i++) out.push((await first.enqueue(trx, { kind: 'race', payload: i })).id);
        return out;
      });

      const drain = async (jobs: JobQueue): Promise<void> => {
        for (;;) {
          if ((await jobs.runDue(5)) > 0) continue;
          const { pending, running } = await jobs.depth();
          if (pending + running === 0) return;
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      };
      await Promise.all(queues.flatMap((jobs) => [drain(jobs), drain(jobs), drain(jobs)]));

      expect(ran).toHaveLength(200);
      expect(new Set(ran)).toEqual(new Set(ids));
      const attempts = await dbs[1].kysely.selectFrom('jobs').select(['status', 'attempts']).distinct().execute();
      expect(attempts).toEqual([{ status: 'done', attempts: 1 }]);
    } finally {
      await close();
    }
  });
});
