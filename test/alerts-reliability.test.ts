import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhookSignature } from '../src/alerts/channels/index.ts';
import type { WebhookPayload } from '../src/alerts/channels/webhook.ts';
import { NOTIFY_JOB } from '../src/alerts/targets.ts';
import type { Db } from '../src/db/database.ts';
import { freshPostgresUrl } from '../src/db/testing.ts';
import { PROJECT_ROOT, startVigil, type VigilOptions } from '../src/server.ts';

/**
 * Alerting under failure, against real servers: a server killed with SIGKILL in the middle of
 * an ingestion burst, a server killed while notifications are being retried, and a receiver
 * that is down for longer than several retry backoffs. Every assertion is on data (what was
 * stored, what the receiver was sent), never on how long something took.
 *
 * Retry backoff, job leases and polling are shortened through `VigilOptions.jobs`, so that a
 * crash or an outage plays out in seconds rather than minutes.
 */

const TOKEN = 'vgl_reliability_admin_token_0123456789';
const SECRET = 'reliability-secret-0123456789';
/** Backoff from 100 ms doubling to 2 s; a lease a dead worker keeps for 4 s; polls every 100 ms. */
const FAST_JOBS: NonNullable<VigilOptions['jobs']> = { backoff: { baseMs: 100, maxMs: 2_000 }, leaseMs: 4_000, pollMs: 100 };

const CHANGES = ['alert.triggered', 'alert.acknowledged', 'alert.resolved'] as const;
type Change = (typeof CHANGES)[number];

// ---------------------------------------------------------------------------------------------
// A Vigil server in a child process, so that SIGKILL is a real crash.

interface ChildVigil {
  url: string;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
}

const children = new Set<ChildProcess>();

function spawnVigil(db: string, jobs?: VigilOptions['jobs']): Promise<ChildVigil> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'support', 'vigil-child.ts')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, VIGIL_CHILD_OPTIONS: JSON.stringify({ db, adminToken: TOKEN, jobs }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => children.delete(child));
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const ready = /VIGIL_READY (\S+)/.exec(stdout);
      if (!ready?.[1]) return;
      resolve({
        url: ready[1],
        async kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
          await exited;
        },
      });
    });
    void exited.then(() => reject(new Error(`vigil child exited before it was ready:\n${stdout}\n${stderr}`)));
  });
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** A server in this process: how the tests restart on a database a killed child left behind. */
function startInProcess(db: string, jobs?: VigilOptions['jobs']) {
  return startVigil({ db, jobs, port: 0, adminToken: TOKEN, examples: null, webRoot: '/nonexistent', logger: false });
}

// ---------------------------------------------------------------------------------------------
// Talking to a server.

async function api<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Team `payments`, service `checkout`, an events-api-v2 key for it; returns the key. */
async function seed(base: string): Promise<string> {
  await api(base, 'POST', '/api/v1/teams', { name: 'payments' });
  await api(base, 'POST', '/api/v1/entities', { kind: 'service', name: 'checkout', owner: 'payments' });
  const created = await api<{ key: string }>(base, 'POST', '/api/v1/integrations', {
    name: 'checkout-pd',
    service: 'checkout',
    type: 'events-api-v2',
    rateLimitPerMinute: 1_000_000,
  });
  return created.key;
}

function enqueue(base: string, key: string, action: 'trigger' | 'acknowledge' | 'resolve', dedupKey: string) {
  return fetch(`${base}/v2/enqueue`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      routing_key: key,
      event_action: action,
      dedup_key: dedupKey,
      ...(action === 'trigger' ? { payload: { summary: `${dedupKey} is failing`, source: 'test', severity: 'critical' } } : {}),
    }),
  });
}

async function send(base: string, key: string, action: 'trigger' | 'acknowledge' | 'resolve', dedupKey: string) {
  const res = await enqueue(base, key, action, dedupKey);
  expect(res.status, await res.text()).toBe(202);
}

async function allAlerts(base: string): Promise<Array<{ id: string; dedupKey: string; status: string }>> {
  const out: Array<{ id: string; dedupKey: string; status: string }> = [];
  for (let offset = 0; ; offset += 500) {
    const page = await api<{ items: typeof out; total: number }>(
      base,
      'GET',
      `/api/v1/alerts?status=all&limit=500&offset=${offset}`,
    );
    out.push(...page.items);
    if (page.items.length < 500) return out;
  }
}

async function eventually<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Notification jobs that are not finished (pending or running) and dead ones. */
async function notifyJobs(db: Db): Promise<{ unfinished: number; dead: number; done: number }> {
  const rows = await db.kysely
    .selectFrom('jobs')
    .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
    .where('kind', '=', NOTIFY_JOB)
    .groupBy('status')
    .execute();
  const n = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { unfinished: n('pending') + n('running'), dead: n('dead'), done: n('done') };
}

// ---------------------------------------------------------------------------------------------
// A webhook receiver that records every request with its idempotency key and answers as told.

interface Delivery {
  key: string;
  kind: string;
  alertId: string;
  /** What the receiver answered; 0 for a request it never answered. */
  status: number;
  genuine: boolean;
}

interface HookReceiver {
  url: string;
  deliveries: Delivery[];
  /** How many requests carried this idempotency key so far. */
  seen(key: string): number;
  close(): Promise<void>;
}

/**
 * `answer(key, n)` picks the status for the n-th request (1-based) carrying `key`, or `hang`
 * to never answer it.
 */
async function startHookReceiver(answer: (key: string, n: number) => number | 'hang'): Promise<HookReceiver> {
  const deliveries: Delivery[] = [];
  const counts = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const key = String(req.headers['idempotency-key'] ?? '');
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      const payload = JSON.parse(raw.toString('utf8')) as WebhookPayload;
      const status = answer(key, n);
      deliveries.push({
        key,
        kind: payload.kind,
        alertId: payload.alerts[0]?.id ?? '',
        status: status === 'hang' ? 0 : status,
        genuine: verifyWebhookSignature(
          SECRET,
          req.headers['x-vigil-timestamp'] as string | undefined,
          raw,
          req.headers['x-vigil-signature'] as string | undefined,
          Date.now(),
        ),
      });
      if (status === 'hang') return;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    deliveries,
    seen: (key) => counts.get(key) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const ok = (d: Delivery) => d.status >= 200 && d.status < 300;

/** Per idempotency key, how many requests the receiver answered with a 2xx. */
function successesByKey(deliveries: readonly Delivery[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of deliveries.filter(ok)) out.set(d.key, (out.get(d.key) ?? 0) + 1);
  return out;
}

// ---------------------------------------------------------------------------------------------

describe.each(['sqlite', 'postgres'] as const)('ingestion survives SIGKILL mid-burst on %s', (dialect) => {
  let dir = '';
  let dbUrl = '';
  let dropPg: (() => Promise<void>) | null = null;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-reliability-'));
    if (dialect === 'sqlite') dbUrl = `sqlite:${join(dir, 'vigil.db')}`;
    else {
      const pg = freshPostgresUrl();
      dbUrl = pg.url;
      dropPg = pg.drop;
    }
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropPg?.();
  });

  it('keeps every event that was answered 202', { timeout: 120_000 }, async () => {
    const first = await spawnVigil(dbUrl);
    const key = await seed(first.url);

    // Many senders at once; the server is killed once 150 events have been accepted, while
    // the others are in flight or not yet sent.
    const total = 600;
    const killAfter = 150;
    const accepted: string[] = [];
    const refused: number[] = [];
    let unanswered = 0;
    let next = 0;
    let killing: Promise<void> | null = null;
    const sender = async () => {
      while (next < total) {
        const dedupKey = `burst-${next++}`;
        try {
          const res = await enqueue(first.url, key, 'trigger', dedupKey);
          await res.text();
          if (res.status === 202) accepted.push(dedupKey);
          else refused.push(res.status);
        } catch {
          unanswered++;
        }
        if (accepted.length >= killAfter) killing ??= first.kill();
      }
    };
    await Promise.all(Array.from({ length: 40 }, sender));
    await killing;

    expect(refused).toEqual([]);
    expect(accepted.length).toBeGreaterThanOrEqual(killAfter);
    // The kill landed mid-burst: some requests never got an answer.
    expect(unanswered).toBeGreaterThan(0);
    expect(accepted.length + unanswered).toBe(total);

    const second = await startInProcess(dbUrl);
    try {
      const stored = new Set((await allAlerts(second.url)).map((a) => a.dedupKey));
      expect(accepted.filter((k) => !stored.has(k))).toEqual([]);
      const events = await second.db.kysely
        .selectFrom('alert_events')
        .select('dedup_key')
        .where('action', '=', 'trigger')
        .where('alert_id', 'is not', null)
        .execute();
      const logged = new Set(events.map((e) => e.dedup_key));
      expect(accepted.filter((k) => !logged.has(k))).toEqual([]);
      // Nothing was stored twice, nor invented.
      expect(events.length).toBe(logged.size);
      expect([...stored].every((k) => /^burst-\d+$/.test(k))).toBe(true);
      // The restarted server takes events again.
      await send(second.url, key, 'trigger', 'after-restart');
      expect((await allAlerts(second.url)).some((a) => a.dedupKey === 'after-restart')).toBe(true);
    } finally {
      await second.close();
    }
  });
});

describe('notifications across a SIGKILL during retries (sqlite)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-reliability-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers each (alert, change) exactly once by idempotency key', { timeout: 120_000 }, async () => {
    const dbUrl = `sqlite:${join(dir, 'vigil.db')}`;
    // Down until the server has been killed and restarted; after that, each key still fails
    // its first two requests. Before the kill, one retry is never answered, so that the server
    // dies in the middle of that delivery and its job is left running under a lease.
    let recovered = false;
    let held: string | null = null;
    const rx = await startHookReceiver((key, n) => {
      if (!recovered && n === 2 && held === null) {
        held = key;
        return 'hang';
      }
      return recovered && n > 2 ? 200 : 503;
    });
    const server = await spawnVigil(dbUrl, FAST_JOBS);
    let restarted: Awaited<ReturnType<typeof startInProcess>> | null = null;
    try {
      const key = await seed(server.url);
      await api(server.url, 'POST', '/api/v1/notification-targets', {
        name: 'checkout-hook',
        service: 'checkout',
        channel: { type: 'webhook', url: rx.url, secret: SECRET },
      });
      // Six alerts; four of them acknowledged and two of those resolved: 12 notifications.
      const expected = new Set<string>();
      for (let i = 0; i < 6; i++) await send(server.url, key, 'trigger', `retry-${i}`);
      for (let i = 0; i < 4; i++) await send(server.url, key, 'acknowledge', `retry-${i}`);
      for (let i = 0; i < 2; i++) await send(server.url, key, 'resolve', `retry-${i}`);
      for (const alert of await allAlerts(server.url)) {
        const i = Number(alert.dedupKey.replace('retry-', ''));
        expected.add(`${alert.id} alert.triggered`);
        if (i < 4) expected.add(`${alert.id} alert.acknowledged`);
        if (i < 2) expected.add(`${alert.id} alert.resolved`);
      }
      expect(expected.size).toBe(12);

      // Kill once every alert's first notification has failed at least twice: retries are under way.
      await eventually('retries of every triggered notification', () => {
        const retried = new Set(
          rx.deliveries.filter((d) => d.kind === 'alert.triggered' && rx.seen(d.key) >= 2).map((d) => d.alertId),
        );
        return retried.size === 6 ? true : undefined;
      });
      await server.kill();
      expect(rx.deliveries.some(ok)).toBe(false);
      expect(held).not.toBeNull();

      recovered = true;
      restarted = await startInProcess(dbUrl, FAST_JOBS);
      const db = restarted.db;
      // Done when every notification job has finished: none can send anything after that.
      await eventually('every notification job to finish', async () => {
        const jobs = await notifyJobs(db);
        return jobs.unfinished === 0 && jobs.done + jobs.dead === 12 ? jobs : undefined;
      });
      expect(await notifyJobs(db)).toEqual({ unfinished: 0, dead: 0, done: 12 });
      const successes = successesByKey(rx.deliveries);
      const delivered = new Set(rx.deliveries.filter(ok).map((d) => `${d.alertId} ${d.kind}`));
      expect([...expected].filter((e) => !delivered.has(e))).toEqual([]);
      expect(delivered.size).toBe(12);
      expect(successes.size).toBe(12);
      // None missing, none answered successfully twice.
      expect([...successes.values()].every((n) => n === 1)).toBe(true);
      // The receiver did see retries, including the one the server died in the middle of.
      expect(rx.deliveries.length).toBeGreaterThan(12);
      expect(successes.get(held ?? '')).toBe(1);
      expect(rx.deliveries.every((d) => d.genuine)).toBe(true);
      // Vigil's own record: exactly one successful attempt per notification.
      const okAttempts = await db.kysely.selectFrom('notification_attempts').select('job_id').where('ok', '=', 1).execute();
      expect(okAttempts.length).toBe(12);
      expect(new Set(okAttempts.map((a) => a.job_id)).size).toBe(12);
    } finally {
      await server.kill();
      await restarted?.close();
      await rx.close();
    }
  });
});

describe('a channel that is down for longer than several retry backoffs (sqlite)', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-reliability-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('delivers every notification after recovery, in order per alert', { timeout: 120_000 }, async () => {
    let down = true;
    const rx = await startHookReceiver(() => (down ? 503 : 200));
    const vigil = await startInProcess(`sqlite:${join(dir, 'vigil.db')}`, FAST_JOBS);
    try {
      const key = await seed(vigil.url);
      await api(vigil.url, 'POST', '/api/v1/notification-targets', {
        name: 'checkout-hook',
        service: 'checkout',
        channel: { type: 'webhook', url: rx.url, secret: SECRET },
      });
      // Each alert is triggered, acknowledged and resolved while the receiver is down.
      const alerts = 4;
      for (let i = 0; i < alerts; i++) {
        for (const action of ['trigger', 'acknowledge', 'resolve'] as const) await send(vigil.url, key, action, `outage-${i}`);
      }
      // The outage lasts until every alert's first notification has failed five times: four
      // backoffs, each twice as long as the one before.
      await eventually('five failed attempts of every triggered notification', () => {
        const failing = rx.deliveries.filter((d) => d.kind === 'alert.triggered' && rx.seen(d.key) >= 5);
        return new Set(failing.map((d) => d.alertId)).size === alerts ? true : undefined;
      });
      down = false;

      await eventually('every notification job to finish', async () => {
        const jobs = await notifyJobs(vigil.db);
        return jobs.unfinished === 0 ? jobs : undefined;
      });
      expect(await notifyJobs(vigil.db)).toEqual({ unfinished: 0, dead: 0, done: alerts * 3 });
      const successes = successesByKey(rx.deliveries);
      expect(successes.size).toBe(alerts * 3);
      expect([...successes.values()].every((n) => n === 1)).toBe(true);
      // Per alert, the successful deliveries came in the order of the changes.
      const byAlert = new Map<string, Change[]>();
      for (const d of rx.deliveries.filter(ok)) byAlert.set(d.alertId, [...(byAlert.get(d.alertId) ?? []), d.kind as Change]);
      expect(byAlert.size).toBe(alerts);
      for (const kinds of byAlert.values()) expect(kinds).toEqual([...CHANGES]);
      // Stronger: no request about a later change, failed or not, went out before the earlier
      // change had been delivered; the later ones waited without spending attempts.
      for (const alertId of byAlert.keys()) {
        const requests = rx.deliveries.filter((d) => d.alertId === alertId);
        for (const [i, change] of CHANGES.entries()) {
          const delivered = requests.findIndex((d) => d.kind === change && ok(d));
          const laterFirst = requests.findIndex((d) => CHANGES.indexOf(d.kind as Change) > i);
          expect(laterFirst === -1 || laterFirst > delivered).toBe(true);
        }
      }
      const jobs = await vigil.db.kysely.selectFrom('jobs').select(['key', 'attempts']).where('kind', '=', NOTIFY_JOB).execute();
      for (const job of jobs) {
        if (job.key?.includes(':alert.triggered:')) expect(Number(job.attempts)).toBeGreaterThanOrEqual(6);
        else expect(Number(job.attempts)).toBe(1);
      }
    } finally {
      await vigil.close();
      await rx.close();
    }
  });
});
