/**
 * HTTP probes at 10,000 every 30 s against loopback targets: scheduling lag, CPU per 1,000 checks, memory and database growth, against blackbox_exporter probing the same targets at the same rate.
 *
 * Two runs, one after the other so they do not share the 2 cores, each with its own targets
 * process (`probes.targets.ts targets`: one HTTP server on each of 127.0.0.1 … 127.0.0.10):
 *
 * - Vigil: a `vigil server` child on SQLite; 10,000 probes created as `kind: Probe` manifests
 *   (`POST /api/v1/manifests/apply`, 1,000 a request; with VIGIL_BENCH_PROBES_CREATE=post, one
 *   `POST /api/v1/probes` each, which takes minutes at this scale since every create makes the
 *   runner re-read all probes). Once every probe has had its first check (which writes its
 *   state, an up transition and journal entries, unlike later ones) the server is restarted, so
 *   its scheduler figures (cumulative since start) begin with every probe in place; it warms up
 *   for at least one interval (longer while checks wait for a slot) and is measured over a window:
 *   `GET /api/v1/probe-scheduler` for checks and lag since the start, the stored raw results for
 *   the lag of the window's own checks (start − planned slot), `/proc/<pid>` for CPU and memory,
 *   the SQLite files and a read-only connection for the database's growth.
 * - blackbox_exporter (Debian package `prometheus-blackbox-exporter`), which probes only when
 *   asked: a driver process (`probes.targets.ts drive`) requests `/probe` for each of the same
 *   10,000 URLs once every 30 s, spread evenly, as a Prometheus scraping 10,000 targets at a 30 s
 *   interval would. Its CPU and memory are read the same way. Skipped, with the install
 *   command, when the program is missing.
 *
 * Options (environment, since the harness's --duration/--warmup are per load run and too short
 * for a 30 s interval): VIGIL_BENCH_PROBES_QUICK=1 (30 s warm-up, 60 s window, for a smoke run),
 * VIGIL_BENCH_PROBES_WARMUP=<s> (default 40), VIGIL_BENCH_PROBES_WINDOW=<s> (default 120),
 * VIGIL_BENCH_PROBES_COUNT=<n> (default 10,000), VIGIL_BENCH_PROBES_ONLY=vigil|blackbox,
 * VIGIL_BENCH_PROBES_CREATE=apply|post (default apply). The server reads its own
 * VIGIL_PROBE_CONCURRENCY / VIGIL_PROBE_PER_HOST from the environment (defaults 256 and 4).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import SQLite from 'better-sqlite3';
import { phaseOffset } from '../src/probes/scheduler.ts';
import { summarize } from './lib/load.ts';
import { type ChildHandle, freePort, startProcess, waitForReady } from './lib/process.ts';
import { markdownTable } from './lib/report.ts';
import type { BenchContext, BenchReport, BenchRow, LatencySummary, LoadResult, Target } from './lib/types.ts';
import { type DriverStats, probeUrl, type TargetAddress, type TargetsReady, targetHosts } from './probes.targets.ts';

const HELPER = join(dirname(fileURLToPath(import.meta.url)), 'probes.targets.ts');
const INTERVAL_MS = 30_000;
const HOSTS = 10;
const SERVICE = 'probe-bench';
const CREATE_CONCURRENCY = 16;
/** Probes per `POST /api/v1/manifests/apply`. */
const APPLY_CHUNK = 1000;
/** At most this long for every probe's first check before the restart. */
const FIRST_PASS_LIMIT_S = 120;
/** The warm-up goes on this long at most while checks still wait for a slot. */
const WARMUP_EXTENSION_S = 60;
const LAG_TARGET: Target = { metric: 'p99', belowMs: 250 };
/** Share of one core Vigil may use for the whole load. */
const CORE_SHARE_TARGET = 0.5;
const DAY_S = 86_400;
const BLACKBOX = 'prometheus-blackbox-exporter';
/** Per-minute rows are kept this long, hourly rows this long, and this many raw results per probe (src/probes/probe.store.ts). */
const MINUTE_RETENTION_DAYS = 2;
const HOUR_RETENTION_DAYS = 400;
const RING_SIZE = 100;

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MiB`;
const size = (bytes: number): string => (Math.abs(bytes) >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(2)} GiB` : mib(bytes));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Options {
  probes: number;
  warmupSeconds: number;
  windowSeconds: number;
  sides: { vigil: boolean; blackbox: boolean };
  /** How the probes are created: manifests in chunks, or one API call each. */
  create: 'apply' | 'post';
}

function options(): Options {
  const env = process.env;
  const quick = env.VIGIL_BENCH_PROBES_QUICK === '1';
  const seconds = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a number of seconds, got ${raw}`);
    return value;
  };
  const probes = Number(env.VIGIL_BENCH_PROBES_COUNT ?? 10_000);
  if (!Number.isInteger(probes) || probes < HOSTS) throw new Error(`VIGIL_BENCH_PROBES_COUNT must be an integer ≥ ${HOSTS}`);
  const only = env.VIGIL_BENCH_PROBES_ONLY;
  if (only && only !== 'vigil' && only !== 'blackbox') throw new Error('VIGIL_BENCH_PROBES_ONLY must be vigil or blackbox');
  const create = env.VIGIL_BENCH_PROBES_CREATE;
  if (create && create !== 'apply' && create !== 'post') throw new Error('VIGIL_BENCH_PROBES_CREATE must be apply or post');
  return {
    probes,
    warmupSeconds: seconds('VIGIL_BENCH_PROBES_WARMUP', quick ? 30 : 40),
    windowSeconds: seconds('VIGIL_BENCH_PROBES_WINDOW', quick ? 60 : 120),
    sides: { vigil: only !== 'blackbox', blackbox: only !== 'vigil' },
    create: env.VIGIL_BENCH_PROBES_CREATE === 'post' ? 'post' : 'apply',
  };
}

// --- /proc ----------------------------------------------------------------------------------

const CLOCK_TICKS = ((): number => {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process (all its threads) and its parent, from /proc/<pid>/stat; null once it is gone. */
function procStat(pid: number): { ppid: number; ticks: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command sits in parentheses and may itself contain spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

/** CPU seconds used so far by a process and every descendant of it. */
function treeCpuSeconds(root: number): number {
  const all = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = procStat(Number(entry));
    if (s) all.set(Number(entry), s);
  }
  const tree = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, s] of all) {
      if (!tree.has(pid) && tree.has(s.ppid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of tree) ticks += all.get(pid)?.ticks ?? 0;
  return ticks / CLOCK_TICKS;
}

/** Resident and peak resident memory in bytes, from /proc/<pid>/status. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 };
}

// --- Children ---------------------------------------------------------------------------------

/** Waits for the `READY <json>` line a helper prints once it listens. */
async function readyLine<T>(child: ChildHandle, deadlineMs = 20_000): Promise<T> {
  const started = Date.now();
  while (Date.now() - started < deadlineMs) {
    const line = /^READY (.*)$/m.exec(child.tail(400))?.[1];
    if (line) return JSON.parse(line) as T;
    if (child.hasExited()) throw new Error(`${child.name} exited with ${await child.exited}; its log ends:\n${child.tail()}`);
    await sleep(50);
  }
  throw new Error(`${child.name} printed no READY line within ${deadlineMs} ms; its log ends:\n${child.tail()}`);
}

function startHelper(ctx: BenchContext, name: string, args: readonly string[]): ChildHandle {
  const child = startProcess(name, process.execPath, ['--import', 'tsx', HELPER, ...args], { cwd: ctx.root });
  ctx.defer(() => child.stop());
  return child;
}

async function startTargets(ctx: BenchContext, label: string): Promise<{ child: ChildHandle; targets: TargetAddress[] }> {
  const child = startHelper(ctx, `targets (${label})`, ['targets', String(HOSTS)]);
  const { targets } = await readyLine<TargetsReady>(child);
  return { child, targets };
}

async function targetsServed(targets: readonly TargetAddress[]): Promise<number> {
  const t = targets[0];
  if (!t) return 0;
  const response = await fetch(`http://${t.host}:${t.port}/__stats`);
  return ((await response.json()) as { served: number }).served;
}

/** Sleeps, failing early when one of the children exits. */
async function hold(seconds: number, children: readonly ChildHandle[]): Promise<void> {
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    for (const child of children) {
      if (child.hasExited()) throw new Error(`${child.name} exited during the run; its log ends:\n${child.tail()}`);
    }
    await sleep(Math.min(1000, until - performance.now()));
  }
}

// --- Vigil ------------------------------------------------------------------------------------

interface SchedulerJson {
  replica: string | number;
  replicas: number;
  assigned: number;
  probes: number;
  running: number;
  waiting: number;
  started: number;
  succeeded: number;
  failed: number;
  skipped: number;
  lag: { count: number; p50: number | null; p99: number | null; max: number | null };
  /** Results waiting to be written. */
  buffered?: number;
  lastFlushAt?: number | null;
  lastFlushError?: string | null;
}

interface DbSnapshot {
  /** Bytes of the database file and its -wal. */
  fileBytes: number;
  /** Pages in use (page_count − freelist_count) × page_size, as a reader sees the latest commit. */
  usedBytes: number;
  /** Per table (and index): rows and bytes of the pages it holds. */
  tables: Map<string, { rows: number | null; bytes: number }>;
}

function dbSnapshot(file: string): DbSnapshot {
  let fileBytes = 0;
  for (const suffix of ['', '-wal']) if (existsSync(file + suffix)) fileBytes += statSync(file + suffix).size;
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const pragma = (name: string): number => Number(db.pragma(name, { simple: true }));
    const usedBytes = (pragma('page_count') - pragma('freelist_count')) * pragma('page_size');
    const tables = new Map<string, { rows: number | null; bytes: number }>();
    const pages = db.prepare('select name, sum(pgsize) as bytes from dbstat group by name').all() as Array<{
      name: string;
      bytes: number;
    }>;
    const isTable = new Set(
      (db.prepare("select name from sqlite_master where type = 'table'").all() as Array<{ name: string }>).map((r) => r.name),
    );
    for (const { name, bytes } of pages) {
      const rows = isTable.has(name)
        ? Number((db.prepare(`select count(*) as n from "${name.replaceAll('"', '""')}"`).get() as { n: number }).n)
        : null;
      tables.set(name, { rows, bytes });
    }
    return { fileBytes, usedBytes, tables };
  } finally {
    db.close();
  }
}

/**
 * The raw results stored with `at` (the check's start) in [from, to): their durations, and their
 * lag against the slot the scheduler planned them for (`k·interval + phaseOffset(id)`, the latest
 * slot at or before the start; a run more than an interval late would have skipped that slot).
 */
function storedChecks(
  file: string,
  from: number,
  to: number,
): { count: number; durationMs: LatencySummary; lagMs: LatencySummary } {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('select probe_id as id, at, duration_ms as ms from probe_results where at >= ? and at < ?')
      .all(from, to) as Array<{ id: string; at: number; ms: number }>;
    const offsets = new Map<string, number>();
    const lags = rows.map((r) => {
      let offset = offsets.get(r.id);
      if (offset === undefined) {
        offset = phaseOffset(r.id, INTERVAL_MS);
        offsets.set(r.id, offset);
      }
      const planned = Math.floor((r.at - offset) / INTERVAL_MS) * INTERVAL_MS + offset;
      return r.at - planned;
    });
    return { count: rows.length, durationMs: summarize(rows.map((r) => r.ms)), lagMs: summarize(lags) };
  } finally {
    db.close();
  }
}

/** Probes whose state records a check (the runner writes it with the check's flush). */
function checkedProbes(file: string): number {
  const db = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return Number(
      (db.prepare('select count(*) as n from probe_states where last_check_at is not null').get() as { n: number }).n,
    );
  } finally {
    db.close();
  }
}

/** How the backlog after a start drains: the scheduler sampled every 2 s. */
interface WarmUpTrace {
  peakWaiting: number;
  /** Seconds after the server was ready. */
  peakAt: number;
  /** First sample after the peak with nothing waiting, seconds after ready; null if it never drained. */
  drainedAt: number | null;
  /** How long the warm-up lasted: the planned time, longer while checks still waited for a slot. */
  seconds: number;
}

/**
 * Warms up for `seconds`, and then for up to {@link WARMUP_EXTENSION_S} more while checks still
 * wait for a slot, so the window starts in the steady state when there is one.
 */
async function warmUp(
  origin: string,
  token: string,
  readyAt: number,
  seconds: number,
  children: readonly ChildHandle[],
): Promise<WarmUpTrace> {
  const trace: WarmUpTrace = { peakWaiting: 0, peakAt: 0, drainedAt: null, seconds: 0 };
  const started = performance.now();
  const planned = started + seconds * 1000;
  const latest = planned + WARMUP_EXTENSION_S * 1000;
  for (;;) {
    const now = performance.now();
    if (now >= latest) break;
    await hold(Math.min(2, Math.max(0.1, (planned - now) / 1000)), children);
    const s = await scheduler(origin, token);
    const at = (performance.now() - readyAt) / 1000;
    if (s.waiting > trace.peakWaiting) {
      trace.peakWaiting = s.waiting;
      trace.peakAt = at;
      trace.drainedAt = null;
    } else if (s.waiting === 0 && trace.drainedAt === null && trace.peakWaiting > 0) {
      trace.drainedAt = at;
    }
    if (performance.now() >= planned && s.waiting === 0) break;
  }
  trace.seconds = (performance.now() - started) / 1000;
  return trace;
}

/** Waits (up to 15 s) for the runner's next flush after `after`, so the window's results are all stored. */
async function awaitFlush(origin: string, token: string, after: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const s = await scheduler(origin, token);
    if (s.lastFlushAt === undefined) {
      await sleep(6000);
      return;
    }
    if (s.lastFlushAt !== null && s.lastFlushAt >= after) return;
    await sleep(250);
  }
}

interface VigilFigures {
  createSeconds: number;
  /** From the last probe created until every probe had its first check stored. */
  firstPassSeconds: number;
  /** Probes with a stored check when the server was restarted. */
  firstPassChecked: number;
  restartSeconds: number;
  windowSeconds: number;
  /** Seconds from the restart to the end of the window: what the cumulative lag covers. */
  lagSpanSeconds: number;
  start: SchedulerJson;
  end: SchedulerJson;
  cpuSeconds: number;
  rss: number;
  peakRss: number;
  served: number;
  dbStart: DbSnapshot;
  dbEnd: DbSnapshot;
  /** The checks the window stored (raw results): their durations and lag against their planned slot. */
  stored: { count: number; durationMs: LatencySummary; lagMs: LatencySummary };
  warmUp: WarmUpTrace;
  /** What the server was started with (defaults unless the environment sets them). */
  concurrency: { overall: string; perHost: string };
}

function startVigil(ctx: BenchContext, dbFile: string, port: number, token: string): ChildHandle {
  const server = startProcess(
    'vigil server',
    process.execPath,
    ['bin/vigil.mjs', 'server', '--db', `sqlite:${dbFile}`, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn'],
    { cwd: ctx.root, env: { VIGIL_ADMIN_TOKEN: token, NODE_ENV: 'production' } },
  );
  ctx.defer(() => server.stop());
  return server;
}

async function api(origin: string, token: string, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${origin}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function scheduler(origin: string, token: string): Promise<SchedulerJson> {
  const response = await api(origin, token, 'GET', '/api/v1/probe-scheduler');
  if (response.status !== 200) throw new Error(`GET /api/v1/probe-scheduler: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as SchedulerJson;
}

function probeSpec(i: number, url: string) {
  return {
    name: probeName(i),
    service: SERVICE,
    type: 'http',
    interval: `${INTERVAL_MS / 1000}s`,
    timeout: '5s',
    http: { url },
    conditions: ['[STATUS] == 200'],
  };
}

const probeName = (i: number): string => `bench-${String(i + 1).padStart(5, '0')}`;

/** One catalog service, then the probes: one `POST /api/v1/probes` each, or `kind: Probe` manifests applied in chunks. */
async function createProbes(
  ctx: BenchContext,
  origin: string,
  token: string,
  urls: readonly string[],
  how: Options['create'],
): Promise<void> {
  const service = await api(origin, token, 'POST', '/api/v1/entities', { kind: 'service', name: SERVICE });
  if (service.status !== 201 && service.status !== 409) {
    throw new Error(`POST /api/v1/entities: HTTP ${service.status} ${await service.text()}`);
  }
  if (how === 'apply') {
    for (let from = 0; from < urls.length; from += APPLY_CHUNK) {
      const docs: string[] = [];
      for (let i = from; i < Math.min(urls.length, from + APPLY_CHUNK); i++) {
        const { name, ...spec } = probeSpec(i, urls[i] ?? '');
        // JSON is YAML: one flow-style document per probe.
        docs.push(JSON.stringify({ apiVersion: 'vigil.dev/v1', kind: 'Probe', metadata: { name }, spec }));
      }
      const response = await api(origin, token, 'POST', '/api/v1/manifests/apply', {
        files: [{ path: `probes-${from}.yaml`, content: docs.join('\n---\n') }],
        source: 'probe-bench',
        prune: false,
      });
      const text = await response.text();
      if (response.status !== 200)
        throw new Error(`POST /api/v1/manifests/apply: HTTP ${response.status} ${text.slice(0, 2000)}`);
      const created = (JSON.parse(text) as { summary: { create: number } }).summary.create;
      if (created !== docs.length) throw new Error(`POST /api/v1/manifests/apply created ${created} probes of ${docs.length}`);
      ctx.log(`Vigil: ${count(from + docs.length)} of ${count(urls.length)} probes created`);
    }
    return;
  }
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < urls.length) {
      const i = next++;
      const body = probeSpec(i, urls[i] ?? '');
      const response = await api(origin, token, 'POST', '/api/v1/probes', body);
      if (response.status !== 201 && response.status !== 200) {
        throw new Error(`POST /api/v1/probes (${body.name}): HTTP ${response.status} ${await response.text()}`);
      }
      await response.arrayBuffer();
      if (++done % 1000 === 0) ctx.log(`Vigil: ${count(done)} of ${count(urls.length)} probes created`);
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, worker));
}

async function measureVigil(ctx: BenchContext, opts: Options): Promise<VigilFigures> {
  const token = `vgl_bench_${randomBytes(16).toString('hex')}`;
  const dir = join(ctx.tmpDir, 'vigil');
  mkdirSync(dir, { recursive: true });
  const dbFile = join(dir, 'bench.db');
  const { child: targetsChild, targets } = await startTargets(ctx, 'Vigil');
  try {
    const urls = Array.from({ length: opts.probes }, (_, i) => probeUrl(i, targets));
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;

    // Create the probes, then restart so the scheduler's cumulative figures start clean.
    let server = startVigil(ctx, dbFile, port, token);
    let createSeconds: number;
    let firstPassSeconds: number;
    let firstPassChecked: number;
    try {
      await waitForReady(`${origin}/readyz`, server, 60_000);
      await scheduler(origin, token);
      ctx.log(`Vigil ready on ${origin} (pid ${server.pid}); creating ${count(opts.probes)} probes`);
      const t0 = performance.now();
      await createProbes(ctx, origin, token, urls, opts.create);
      createSeconds = (performance.now() - t0) / 1000;
      ctx.log(
        `Vigil: ${count(opts.probes)} probes created in ${createSeconds.toFixed(1)} s; waiting for every probe's first check`,
      );
      // A probe's first check writes its state, an up transition and their journal entries; in the
      // steady state measured later a check does not, so that happens before the restart.
      const f0 = performance.now();
      const deadline = performance.now() + FIRST_PASS_LIMIT_S * 1000;
      let checked = checkedProbes(dbFile);
      while (checked < opts.probes && performance.now() < deadline) {
        await hold(2, [server, targetsChild]);
        checked = checkedProbes(dbFile);
      }
      firstPassSeconds = (performance.now() - f0) / 1000;
      firstPassChecked = checked;
      ctx.log(
        `Vigil: ${count(checked)} of ${count(opts.probes)} probes checked at least once after ${firstPassSeconds.toFixed(1)} s; restarting the server`,
      );
    } finally {
      await server.stop(30_000);
    }
    const r0 = performance.now();
    server = startVigil(ctx, dbFile, port, token);
    try {
      await waitForReady(`${origin}/readyz`, server, 60_000);
      const restartedAt = performance.now();
      const restartSeconds = (restartedAt - r0) / 1000;
      const deadline = Date.now() + 60_000;
      let s = await scheduler(origin, token);
      while (s.assigned < opts.probes && Date.now() < deadline) {
        await sleep(500);
        s = await scheduler(origin, token);
      }
      if (s.assigned < opts.probes) throw new Error(`the scheduler holds ${s.assigned} probes, expected ${opts.probes}`);
      ctx.log(
        `Vigil restarted in ${restartSeconds.toFixed(1)} s, ${count(s.assigned)} probes assigned; warming up ${opts.warmupSeconds} s`,
      );
      const warm = await warmUp(origin, token, restartedAt, opts.warmupSeconds, [server, targetsChild]);

      const dbStart = dbSnapshot(dbFile);
      const served0 = await targetsServed(targets);
      const start = await scheduler(origin, token);
      const cpu0 = treeCpuSeconds(server.pid);
      const w0 = performance.now();
      const windowFrom = Date.now();
      ctx.log(`Vigil: measuring ${opts.windowSeconds} s`);
      await hold(opts.windowSeconds, [server, targetsChild]);
      const cpu1 = treeCpuSeconds(server.pid);
      const windowSeconds = (performance.now() - w0) / 1000;
      const end = await scheduler(origin, token);
      const served = (await targetsServed(targets)) - served0;
      const mem = memory(server.pid);
      const dbEnd = dbSnapshot(dbFile);
      const windowTo = windowFrom + windowSeconds * 1000;
      await awaitFlush(origin, token, windowTo);
      const stored = storedChecks(dbFile, windowFrom, windowTo);
      return {
        createSeconds,
        firstPassSeconds,
        firstPassChecked,
        restartSeconds,
        windowSeconds,
        lagSpanSeconds: (performance.now() - restartedAt) / 1000,
        start,
        end,
        cpuSeconds: cpu1 - cpu0,
        rss: mem.rss,
        peakRss: mem.peak,
        served,
        dbStart,
        dbEnd,
        stored,
        warmUp: warm,
        concurrency: {
          overall: process.env.VIGIL_PROBE_CONCURRENCY ?? '256 (default)',
          perHost: process.env.VIGIL_PROBE_PER_HOST ?? '4 (default)',
        },
      };
    } finally {
      await server.stop(30_000);
    }
  } finally {
    await targetsChild.stop();
  }
}

// --- blackbox_exporter ---------------------------------------------------------------------

interface BlackboxFigures {
  version: string;
  windowSeconds: number;
  cpuSeconds: number;
  rss: number;
  peakRss: number;
  served: number;
  start: DriverStats;
  end: DriverStats;
}

function blackboxVersion(): string | null {
  try {
    const out = execFileSync(BLACKBOX, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /version (\S+)/.exec(out)?.[1] ?? 'unknown version';
  } catch {
    return null;
  }
}

const BLACKBOX_CONFIG = `modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      valid_status_codes: [200]
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
`;

async function driverStats(port: number, reset: boolean): Promise<DriverStats> {
  const response = await fetch(`http://127.0.0.1:${port}/stats${reset ? '?reset=1' : ''}`);
  return (await response.json()) as DriverStats;
}

async function measureBlackbox(ctx: BenchContext, opts: Options, version: string): Promise<BlackboxFigures> {
  const dir = join(ctx.tmpDir, 'blackbox');
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, BLACKBOX_CONFIG);
  const { child: targetsChild, targets } = await startTargets(ctx, 'blackbox_exporter');
  try {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const exporter = startProcess(
      'blackbox_exporter',
      BLACKBOX,
      [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { cwd: dir },
    );
    ctx.defer(() => exporter.stop());
    try {
      await waitForReady(`${origin}/-/healthy`, exporter, 30_000);
      const check = await fetch(`${origin}/probe?module=http_2xx&target=${encodeURIComponent(probeUrl(0, targets))}`);
      if (!/^probe_success 1$/m.test(await check.text()))
        throw new Error(`blackbox_exporter: the first probe of ${probeUrl(0, targets)} failed`);
      const driver = startHelper(ctx, 'blackbox driver', [
        'drive',
        origin,
        JSON.stringify(targets),
        String(opts.probes),
        String(INTERVAL_MS),
      ]);
      try {
        const { port: statsPort } = await readyLine<{ port: number }>(driver);
        ctx.log(
          `blackbox_exporter ${version} on ${origin} (pid ${exporter.pid}), driven at ${count(opts.probes)} probes per 30 s; warming up ${opts.warmupSeconds} s`,
        );
        await hold(opts.warmupSeconds, [exporter, driver, targetsChild]);
        const served0 = await targetsServed(targets);
        const start = await driverStats(statsPort, true);
        const cpu0 = treeCpuSeconds(exporter.pid);
        const w0 = performance.now();
        ctx.log(`blackbox_exporter: measuring ${opts.windowSeconds} s`);
        await hold(opts.windowSeconds, [exporter, driver, targetsChild]);
        const cpu1 = treeCpuSeconds(exporter.pid);
        const windowSeconds = (performance.now() - w0) / 1000;
        const end = await driverStats(statsPort, false);
        const served = (await targetsServed(targets)) - served0;
        const mem = memory(exporter.pid);
        return { version, windowSeconds, cpuSeconds: cpu1 - cpu0, rss: mem.rss, peakRss: mem.peak, served, start, end };
      } finally {
        await driver.stop();
      }
    } finally {
      await exporter.stop();
    }
  } finally {
    await targetsChild.stop();
  }
}

// --- Report -----------------------------------------------------------------------------------

const NO_LATENCY: LatencySummary = { p50: Number.NaN, p97_5: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN };

function row(
  scenario: string,
  backend: string,
  system: string,
  checks: number,
  seconds: number,
  latency: LatencySummary,
  target?: Target,
): BenchRow {
  const result: LoadResult = {
    connections: HOSTS,
    durationSeconds: seconds,
    requests: checks,
    requestsPerSecond: checks / seconds,
    latency,
    errors: 0,
    non2xx: 0,
  };
  return target ? { scenario, backend, system, result, target } : { scenario, backend, system, result };
}

interface Side {
  checks: number;
  checksPerSecond: number;
  cpuPer1000: number;
  coreShare: number;
  rss: number;
  peakRss: number;
}

function vigilSide(v: VigilFigures): Side {
  const checks = v.end.started - v.start.started;
  return {
    checks,
    checksPerSecond: checks / v.windowSeconds,
    cpuPer1000: v.cpuSeconds / (checks / 1000),
    coreShare: v.cpuSeconds / v.windowSeconds,
    rss: v.rss,
    peakRss: v.peakRss,
  };
}

function blackboxSide(b: BlackboxFigures): Side {
  const checks = b.end.completed - b.start.completed;
  return {
    checks,
    checksPerSecond: checks / b.windowSeconds,
    cpuPer1000: b.cpuSeconds / (checks / 1000),
    coreShare: b.cpuSeconds / b.windowSeconds,
    rss: b.rss,
    peakRss: b.peakRss,
  };
}

/** Growth of the database over the window, per day, and where it levels off. */
function dbNotes(v: VigilFigures, probes: number): { perDay: number; steady: DbSteadyState | null; lines: string[] } {
  const perDay = (delta: number): number => (delta / v.windowSeconds) * DAY_S;
  const fileGrowth = perDay(v.dbEnd.fileBytes - v.dbStart.fileBytes);
  const usedGrowth = perDay(v.dbEnd.usedBytes - v.dbStart.usedBytes);
  const tables: string[] = [];
  const perRow = new Map<string, number>();
  for (const [name, end] of v.dbEnd.tables) {
    if (end.rows === null) continue;
    const start = v.dbStart.tables.get(name) ?? { rows: 0, bytes: 0 };
    if (end.rows > 0) {
      // The table's bytes with its indexes (sqlite_autoindex_<table>_N and named ones on it are not split out here).
      perRow.set(name, end.bytes / end.rows);
    }
    const rows = end.rows - (start.rows ?? 0);
    if (rows !== 0 || end.bytes !== start.bytes) {
      tables.push(`\`${name}\` ${rows >= 0 ? '+' : ''}${count(rows)} rows (${count(perDay(rows))}/day), ${size(end.bytes)} now`);
    }
  }
  const lines = [
    `Database (SQLite, WAL) over the ${v.windowSeconds.toFixed(0)} s window: files (db + -wal) ${size(v.dbStart.fileBytes)} → ${size(v.dbEnd.fileBytes)}, ` +
      `pages in use ${size(v.dbStart.usedBytes)} → ${size(v.dbEnd.usedBytes)}; extrapolated to a day: **${size(fileGrowth)}/day** on disk, ` +
      `${size(usedGrowth)}/day in pages in use. By table: ${tables.join('; ') || 'no change'}.`,
  ];
  const minute = perRow.get('probe_minutes');
  const hour = perRow.get('probe_hours');
  const result = perRow.get('probe_results');
  let steady: DbSteadyState | null = null;
  if (minute !== undefined && hour !== undefined && result !== undefined) {
    const ring = result * RING_SIZE * probes;
    const minutesPerDay = minute * probes * 1440;
    const hoursPerDay = hour * probes * 24;
    steady = {
      ring,
      firstDaysPerDay: minutesPerDay + hoursPerDay,
      laterPerDay: hoursPerDay,
      afterFirstDays: ring + minutesPerDay * MINUTE_RETENTION_DAYS + hoursPerDay * MINUTE_RETENTION_DAYS,
    };
    lines.push(
      'The window extrapolation overstates the long run: the raw-result ring (what grows most in the window) stops growing once full, ' +
        'and per-minute rows are pruned after their retention. At the measured bytes per row (table pages ÷ rows, the clustered primary key ' +
        `included: ${minute.toFixed(0)} B per minute row, ${hour.toFixed(0)} B per hour row, ${result.toFixed(0)} B per raw result): ` +
        `the ring holds ${RING_SIZE} results per probe, ≈ ${size(ring)}, full after ${(RING_SIZE * INTERVAL_MS) / 60_000} minutes; ` +
        `per-minute rows add ≈ ${size(minutesPerDay)}/day (${count(probes * 1440)} rows) and level off at ≈ ${size(minutesPerDay * MINUTE_RETENTION_DAYS)} ` +
        `after ${MINUTE_RETENTION_DAYS} days; hourly rows add ≈ ${size(hoursPerDay)}/day (${count(probes * 24)} rows) for ${HOUR_RETENTION_DAYS} days ` +
        `(≈ ${size(hoursPerDay * HOUR_RETENTION_DAYS)} then). So: **≈ ${size(steady.firstDaysPerDay)}/day for the first ${MINUTE_RETENTION_DAYS} days ` +
        `(≈ ${size(steady.afterFirstDays)} by then), then ≈ ${size(steady.laterPerDay)}/day**. Written without VACUUM; pruned pages are reused.`,
    );
  }
  return { perDay: fileGrowth, steady, lines };
}

interface DbSteadyState {
  /** Bytes of a full raw-result ring. */
  ring: number;
  /** Bytes a day while per-minute rows are within their retention. */
  firstDaysPerDay: number;
  /** Bytes a day afterwards (hourly rows only). */
  laterPerDay: number;
  /** Size of the probe data once per-minute rows level off. */
  afterFirstDays: number;
}

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const opts = options();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const setup: string[] = [];
  const perInterval = `${count(opts.probes)} HTTP probes every ${INTERVAL_MS / 1000} s`;

  const version = blackboxVersion();
  if (opts.sides.blackbox && version === null) {
    ctx.log(`${BLACKBOX} is not installed; the peer is skipped. Install it with: apt-get install -y ${BLACKBOX}`);
  }

  let vigil: VigilFigures | null = null;
  if (opts.sides.vigil) vigil = await measureVigil(ctx, opts);
  let blackbox: BlackboxFigures | null = null;
  if (opts.sides.blackbox && version !== null) blackbox = await measureBlackbox(ctx, opts, version);

  const v = vigil ? vigilSide(vigil) : null;
  const b = blackbox ? blackboxSide(blackbox) : null;
  let dbPerDay: number | null = null;
  let dbSteady: DbSteadyState | null = null;

  if (vigil && v) {
    const lag = vigil.end.lag;
    const win = vigil.stored.lagMs;
    const num = (x: number | null): number => x ?? Number.NaN;
    rows.push(
      row(
        `scheduling lag in the window (check start − planned slot, stored results), ${perInterval}`,
        'SQLite',
        'Vigil',
        v.checks,
        vigil.windowSeconds,
        win,
        LAG_TARGET,
      ),
      row(
        `scheduling lag since the restart (GET /api/v1/probe-scheduler: start-up + warm-up + window), ${perInterval}`,
        'SQLite',
        'Vigil',
        v.checks,
        vigil.windowSeconds,
        { ...NO_LATENCY, p50: num(lag.p50), p99: num(lag.p99), max: num(lag.max) },
      ),
    );
    const d = {
      started: vigil.end.started - vigil.start.started,
      succeeded: vigil.end.succeeded - vigil.start.succeeded,
      failed: vigil.end.failed - vigil.start.failed,
      skipped: vigil.end.skipped - vigil.start.skipped,
    };
    const expected = (opts.probes * vigil.windowSeconds * 1000) / INTERVAL_MS;
    const w = vigil.warmUp;
    notes.push(
      `Target lag p99 < ${LAG_TARGET.belowMs} ms, judged on the window (steady state): p99 ${win.p99.toFixed(1)} ms (p50 ${win.p50.toFixed(1)} ms, ` +
        `max ${win.max.toFixed(1)} ms) over the ${count(vigil.stored.count)} checks the window stored: **${win.p99 < LAG_TARGET.belowMs ? 'pass' : 'FAIL'}**. ` +
        'Each stored result carries its start time; its planned start is the latest slot `k·30 s + phaseOffset(probe id)` at or before it ' +
        "(the scheduler's own phase function), since the scheduler's endpoint only gives figures cumulative since the server started.",
      `Lag since the restart (the endpoint, ${vigil.lagSpanSeconds.toFixed(0)} s: start-up, warm-up and window): p50 ${num(lag.p50).toFixed(1)} ms, ` +
        `p99 ${num(lag.p99).toFixed(1)} ms, max ${num(lag.max).toFixed(1)} ms over ${count(lag.count)} checks; at the window's start (start-up and warm-up only) ` +
        `p50 ${num(vigil.start.lag.p50).toFixed(1)} ms, p99 ${num(vigil.start.lag.p99).toFixed(1)} ms, max ${num(vigil.start.lag.max).toFixed(1)} ms over ` +
        `${count(vigil.start.lag.count)} checks. ` +
        (w.peakWaiting === 0
          ? `No check waited for a slot during the ${w.seconds.toFixed(0)} s warm-up (sampled every 2 s).`
          : `After the restart, checks waiting for a slot peaked at ${count(w.peakWaiting)} ${w.peakAt.toFixed(0)} s after the server was ready, `) +
        (w.peakWaiting === 0
          ? ''
          : w.drainedAt === null
            ? `and had not drained by the end of the warm-up (${w.seconds.toFixed(0)} s: ${opts.warmupSeconds} s planned, extended by up to ${WARMUP_EXTENSION_S} s while checks waited).`
            : `and the backlog had drained ${w.drainedAt.toFixed(0)} s after ready (sampled every 2 s).`),
      `Target under ${CORE_SHARE_TARGET * 100}% of one core: Vigil used ${vigil.cpuSeconds.toFixed(1)} CPU s in ${vigil.windowSeconds.toFixed(1)} s = ` +
        `**${(v.coreShare * 100).toFixed(1)}%** of one core: **${v.coreShare < CORE_SHARE_TARGET ? 'pass' : 'FAIL'}** (not in the table or the exit code: the table holds latency targets only).`,
      `Vigil in the window: ${count(d.started)} checks started (${count(expected)} planned), ${count(d.succeeded)} succeeded, ${count(d.failed)} failed, ` +
        `${count(d.skipped)} slots skipped; the targets served ${count(vigil.served)} requests. At the end: ${vigil.end.running} running, ${vigil.end.waiting} waiting` +
        (vigil.end.buffered === undefined ? '' : `, ${count(vigil.end.buffered)} results buffered for the next flush`) +
        (vigil.end.lastFlushError ? `; the last flush failed: ${vigil.end.lastFlushError}` : '') +
        `. The checks stored in the window took p50 ${vigil.stored.durationMs.p50.toFixed(1)} ms, p99 ${vigil.stored.durationMs.p99.toFixed(1)} ms ` +
        `(\`duration_ms\`); at most ${vigil.concurrency.perHost} checks run against one host and ${vigil.concurrency.overall} in all, ` +
        `so over ${HOSTS} target addresses at most ${HOSTS} × the per-host bound are in flight.`,
    );
    const db = dbNotes(vigil, opts.probes);
    dbPerDay = db.perDay;
    dbSteady = db.steady;
    notes.push(...db.lines);
    setup.push(
      `Vigil: \`node bin/vigil.mjs server --db sqlite:<tmp>/bench.db --host 127.0.0.1 --log-level warn\` (admin bearer token, NODE_ENV=production). ` +
        `One catalog service (\`POST /api/v1/entities\`), then ${count(opts.probes)} probes ` +
        (opts.create === 'apply'
          ? `as \`kind: Probe\` manifests, ${count(APPLY_CHUNK)} per \`POST /api/v1/manifests/apply\` `
          : `with \`POST /api/v1/probes\`, ${CREATE_CONCURRENCY} at a time `) +
        `(\`type: http\`, \`interval: 30s\`, \`timeout: 5s\`, \`conditions: ["[STATUS] == 200"]\`): ` +
        `${vigil.createSeconds.toFixed(1)} s (${count(opts.probes / vigil.createSeconds)} probes/s). ` +
        (vigil.firstPassChecked >= opts.probes
          ? `Once every probe had its first check stored (${vigil.firstPassSeconds.toFixed(0)} s later: `
          : `After ${vigil.firstPassSeconds.toFixed(0)} s, with ${count(vigil.firstPassChecked)} probes checked (the rest had not been by the ${FIRST_PASS_LIMIT_S} s limit; `) +
        'a first check writes the ' +
        'state, an up transition and journal entries, which later checks do not), the server was restarted ' +
        `(ready in ${vigil.restartSeconds.toFixed(1)} s) so the scheduler's cumulative counters start with every probe in place, ` +
        `warmed up ${w.seconds.toFixed(0)} s (${opts.warmupSeconds} s, extended by up to ${WARMUP_EXTENSION_S} s while checks still waited for a slot) ` +
        `and measured ${opts.windowSeconds} s. Probe concurrency: \`--probe-concurrency\` ${vigil.concurrency.overall}, ` +
        `\`--probe-per-host\` ${vigil.concurrency.perHost} (set VIGIL_PROBE_CONCURRENCY / VIGIL_PROBE_PER_HOST to change them).`,
    );
  }
  if (blackbox && b) {
    const e = blackbox.end;
    const s = blackbox.start;
    rows.push(
      row(
        `\`/probe\` round trip as the driver sees it (driver → exporter → target), ${perInterval}`,
        'none',
        'blackbox_exporter',
        b.checks,
        blackbox.windowSeconds,
        e.roundTrip,
      ),
    );
    notes.push(
      `blackbox_exporter in the window: ${count(b.checks)} probes answered (${count((opts.probes * blackbox.windowSeconds * 1000) / INTERVAL_MS)} planned), ` +
        `${count(e.ok - s.ok)} with probe_success 1, ${count(e.probeFailed - s.probeFailed)} with 0, ${count(e.errors - s.errors)} errors or timeouts; ` +
        `the targets served ${count(blackbox.served)} requests. The exporter's own probe_duration_seconds: p50 ${e.probeDuration.p50.toFixed(1)} ms, ` +
        `p99 ${e.probeDuration.p99.toFixed(1)} ms. The driver sent its requests p50 ${e.sendLag.p50.toFixed(1)} ms, p99 ${e.sendLag.p99.toFixed(1)} ms ` +
        'after their planned time (its own timer; blackbox_exporter has no schedule of its own, so it has no scheduling lag to compare).',
    );
    setup.push(
      `Peer: blackbox_exporter ${blackbox.version} (Debian package \`${BLACKBOX}\`), \`--config.file=<tmp>/blackbox.yml --web.listen-address=127.0.0.1:<port> --log.level=warn\`, ` +
        'module `http_2xx` (`prober: http`, `timeout: 5s`, `valid_status_codes: [200]`, IPv4). blackbox_exporter only probes when scraped, so a driver ' +
        `process (\`probes.targets.ts drive\`, not a real Prometheus) requests \`GET /probe?module=http_2xx&target=<url>\` for each of the same ${count(opts.probes)} URLs ` +
        'once every 30 s, spread evenly over the interval, over keep-alive connections, as a Prometheus scraping that many targets at `scrape_interval: 30s` would. ' +
        `Warmed up ${opts.warmupSeconds} s, measured ${opts.windowSeconds} s.`,
    );
  }
  if (opts.sides.blackbox && version === null) {
    notes.push(`blackbox_exporter was skipped: \`${BLACKBOX}\` is not installed (\`apt-get install -y ${BLACKBOX}\`).`);
  }

  setup.unshift(
    `Targets: a separate process (not counted) with one Node HTTP server on each of ${targetHosts(HOSTS)[0]} … ${targetHosts(HOSTS).at(-1)} ` +
      `(a port each) answering \`200 {"status":"UP"}\`; probe i requests \`http://127.0.0.<1 + i mod ${HOSTS}>:<port>/p/<i>\`, so each address gets ` +
      `${count(opts.probes / HOSTS)} probes. Each side gets a fresh targets process, and the two sides run one after the other, not at the same time.`,
    `CPU: utime + stime of the prober's process (all threads, and any children) from \`/proc/<pid>/stat\` (CLK_TCK ${CLOCK_TICKS}) at the start and end of the window; ` +
      'CPU s per 1,000 checks = CPU s ÷ (checks in the window ÷ 1,000); share of one core = CPU s ÷ wall s. Memory: VmRSS (and VmHWM, the peak) at the end.',
    'In the table, req/s is checks per second in the window and conns the number of target addresses (each check opens its own connection).',
  );
  if (opts.probes !== 10_000 || opts.windowSeconds < 120) {
    setup.push(
      `Shortened run (${count(opts.probes)} probes, ${opts.warmupSeconds} s warm-up, ${opts.windowSeconds} s window): a smoke test, not the figures the issue asks for.`,
    );
  }

  // The side-by-side comparison, as a table of its own (the harness's table holds latencies).
  const cell = (f: (s: Side) => string, s: Side | null): string => (s ? f(s) : '–');
  const ratio = (f: (s: Side) => number): string => (v && b ? `${(f(v) / f(b)).toFixed(2)}×` : '–');
  const sideRows: string[][] = [
    [
      'checks/s in the window',
      cell((s) => s.checksPerSecond.toFixed(1), v),
      cell((s) => s.checksPerSecond.toFixed(1), b),
      ratio((s) => s.checksPerSecond),
      '–',
      '–',
    ],
    [
      'CPU s per 1,000 checks',
      cell((s) => s.cpuPer1000.toFixed(3), v),
      cell((s) => s.cpuPer1000.toFixed(3), b),
      ratio((s) => s.cpuPer1000),
      '–',
      '–',
    ],
    [
      'share of one core',
      cell((s) => `${(s.coreShare * 100).toFixed(1)}%`, v),
      cell((s) => `${(s.coreShare * 100).toFixed(1)}%`, b),
      ratio((s) => s.coreShare),
      `Vigil < ${CORE_SHARE_TARGET * 100}%`,
      v ? (v.coreShare < CORE_SHARE_TARGET ? 'pass' : 'FAIL') : '–',
    ],
    ['RSS at the end', cell((s) => mib(s.rss), v), cell((s) => mib(s.rss), b), ratio((s) => s.rss), '–', '–'],
    ['peak RSS', cell((s) => mib(s.peakRss), v), cell((s) => mib(s.peakRss), b), ratio((s) => s.peakRss), '–', '–'],
    [
      'database growth per day (the window, extrapolated)',
      dbPerDay === null ? '–' : size(dbPerDay),
      'none (stateless)',
      '–',
      '–',
      '–',
    ],
    [
      `database growth per day: first ${MINUTE_RETENTION_DAYS} days, then (retention)`,
      dbSteady === null ? '–' : `${size(dbSteady.firstDaysPerDay)}, then ${size(dbSteady.laterPerDay)}`,
      'none (stateless)',
      '–',
      '–',
      '–',
    ],
  ];
  if (vigil) {
    const lag = vigil.stored.lagMs;
    sideRows.unshift([
      'scheduling lag p50 / p99 (window)',
      `${lag.p50.toFixed(1)} / ${lag.p99.toFixed(1)} ms`,
      '–',
      '–',
      `p99 < ${LAG_TARGET.belowMs} ms`,
      lag.p99 < LAG_TARGET.belowMs ? 'pass' : 'FAIL',
    ]);
  }
  if (v && b) {
    notes.push(
      `CPU ratio (Vigil ÷ blackbox_exporter, CPU s per 1,000 checks): ${v.cpuPer1000.toFixed(3)} ÷ ${b.cpuPer1000.toFixed(3)} = **${(v.cpuPer1000 / b.cpuPer1000).toFixed(2)}×** ` +
        `(below 1: Vigil uses less). Vigil also evaluates the conditions and stores every result (state, ring, per-minute and hourly rows in SQLite); ` +
        'blackbox_exporter keeps nothing and leaves storage to the Prometheus that scrapes it, whose CPU is not counted here.',
    );
  }
  notes.push(
    `Side by side (same run, one after the other):\n\n${markdownTable(
      ['figure', 'Vigil', 'blackbox_exporter', 'Vigil ÷ blackbox', 'target', 'result'],
      sideRows,
      new Set([1, 2, 3]),
    )}`,
  );

  return {
    title: `HTTP probes: ${perInterval} on loopback, against blackbox_exporter`,
    summary:
      `${count(opts.probes)} HTTP probes at a ${INTERVAL_MS / 1000} s interval against local targets on ${HOSTS} loopback addresses. Measured over a ` +
      `${opts.windowSeconds} s window after a ${opts.warmupSeconds} s warm-up: Vigil's scheduling lag (actual minus planned start, p50/p99), checks per second, ` +
      'CPU seconds per 1,000 checks and share of one core, memory, and database growth per day; blackbox_exporter probing the same targets at the same rate ' +
      `gives the CPU ratio. Targets (from the issue): lag p99 < ${LAG_TARGET.belowMs} ms (the table's target) and under ${CORE_SHARE_TARGET * 100}% of one core (in the notes).`,
    peers:
      'blackbox_exporter (Debian package), driven at the same rate by a separate driver process standing in for Prometheus. Its row has a different ' +
      'scenario (it has no scheduler), so the CPU ratio and the side-by-side table are in the notes.',
    setup,
    rows,
    notes,
  };
}
