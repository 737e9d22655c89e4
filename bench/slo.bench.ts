/**
 * SLOs at 1,000 with 28 days of per-minute data: evaluating every budget and burn rate, ingesting count events over HTTP, and the same 28-day budget queries on a backfilled Prometheus.
 *
 * The dataset (`slo.dataset.ts`) goes into SQLite through the store's bulk path; the evaluation
 * is timed in this process on a fresh SloService (see the notes for why), and over HTTP on a
 * `vigil server` child; ingestion is driven over HTTP on SQLite and PostgreSQL; the peer is a real
 * Prometheus on a TSDB backfilled with promtool from the same counts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { systemPrincipal } from '../src/auth/principal.ts';
import { CatalogService } from '../src/catalog/index.ts';
import { systemClock } from '../src/core/clock.ts';
import { type Db, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { Journal } from '../src/journal/journal.ts';
import { SloService } from '../src/slo/slo.service.ts';
import * as store from '../src/slo/slo.store.ts';
import { summarize } from './lib/load.ts';
import { freshPostgresDatabase, postgresVersion } from './lib/postgres.ts';
import { type ChildHandle, freePort, startProcess, waitForReady } from './lib/process.ts';
import type { BenchContext, BenchReport, BenchRow, LoadResult, Target } from './lib/types.ts';
import {
  catalogState,
  MINUTES,
  SERVICE_COUNT,
  SLO_COUNT,
  series,
  sliName,
  sloName,
  sloState,
  TARGET,
  TIMESLICES_EVERY,
  writeOpenMetrics,
} from './slo.dataset.ts';
import { measurePostLoad } from './slo.load.ts';

const MINUTE_MS = 60_000;
const EVAL_TARGET: Target = { metric: 'max', belowMs: 1000 };
const INGEST_TARGET_EVENTS_PER_SECOND = 200_000;
const BATCH = 10_000;
const INGEST_CONNECTIONS = 4;
/** Distinct precomputed request bodies, cycled. */
const BODIES = 16;
const EVAL_RUNS = 7;
const PROM_RUNS = 5;
/** SLOs loaded into Prometheus (all of them; lower it to scale the peer down). */
const PEER_SLOS = SLO_COUNT;
/** SLIs loaded per transaction while seeding. */
const SLIS_PER_TRANSACTION = 10;
const count = (n: number): string => Math.round(n).toLocaleString('en-US');

function runsResult(samples: readonly number[]): LoadResult {
  const seconds = samples.reduce((a, b) => a + b, 0) / 1000;
  return {
    connections: 1,
    durationSeconds: seconds,
    requests: samples.length,
    requestsPerSecond: samples.length / seconds,
    latency: summarize(samples),
    errors: 0,
    non2xx: 0,
  };
}

async function timeRuns(runs: number, call: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
  }
  return samples;
}

/** Creates the catalog services and the 1,000 SLIs/SLOs in one transaction. */
async function applyDefinitions(db: Db): Promise<{ slo: SloService; seconds: number }> {
  const journal = new Journal(systemClock);
  const catalog = new CatalogService({ db, clock: systemClock, journal });
  const slo = new SloService({ db, clock: systemClock, journal, catalog });
  const t0 = performance.now();
  await db.kysely.transaction().execute(async (trx) => {
    await catalog.applyDesired(trx, systemPrincipal('bench'), catalogState(), { source: 'bench', prune: false });
    await slo.applyDesired(trx, systemPrincipal('bench'), sloState(), { source: 'bench', prune: false });
  });
  return { slo, seconds: (performance.now() - t0) / 1000 };
}

/** 28 days × 1,000 SLIs of minute rows through `store.addMinutes`, a few SLIs per transaction. */
async function loadSeries(ctx: BenchContext, db: Db, firstMinute: number): Promise<{ seconds: number; rows: number }> {
  const ids = new Map((await store.loadDefinitions(db.kysely)).slis.map((s) => [s.name, s.id]));
  const t0 = performance.now();
  let rows = 0;
  for (let i = 0; i < SLO_COUNT; i += SLIS_PER_TRANSACTION) {
    await db.kysely.transaction().execute(async (trx) => {
      for (let j = i; j < Math.min(SLO_COUNT, i + SLIS_PER_TRANSACTION); j++) {
        const id = ids.get(sliName(j));
        if (!id) throw new Error(`no SLI ${sliName(j)}`);
        const s = series(j);
        const minutes: store.MinuteCounts[] = new Array(MINUTES);
        for (let m = 0; m < MINUTES; m++) minutes[m] = { minute: firstMinute + m, good: s.good[m] ?? 0, total: s.total[m] ?? 0 };
        await store.addMinutes(trx, id, minutes);
        rows += MINUTES;
      }
    });
    if ((i + SLIS_PER_TRANSACTION) % 200 === 0) ctx.log(`SQLite: ${i + SLIS_PER_TRANSACTION} of ${SLO_COUNT} series loaded`);
  }
  return { seconds: (performance.now() - t0) / 1000, rows };
}

function startVigil(ctx: BenchContext, label: string, url: string, port: number, token: string): ChildHandle {
  const server = startProcess(
    `vigil server (${label})`,
    process.execPath,
    ['bin/vigil.mjs', 'server', '--db', url, '--port', String(port), '--host', '127.0.0.1', '--log-level', 'warn'],
    { cwd: ctx.root, env: { VIGIL_ADMIN_TOKEN: token, NODE_ENV: 'production' } },
  );
  ctx.defer(() => server.stop());
  return server;
}

/** Precomputed batches: 10,000 single-event counts (good 0 or 1, total 1) over the last 30 minutes. */
function ingestBodies(nowMs: number): string[] {
  const bodies: string[] = [];
  const newest = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
  for (let b = 0; b < BODIES; b++) {
    const events: string[] = new Array(BATCH);
    for (let e = 0; e < BATCH; e++) {
      const timestamp = newest - ((e * 7 + b) % 30) * MINUTE_MS + ((e * 13) % 60) * 1000;
      const good = (e + b) % 997 === 0 ? 0 : 1;
      events[e] = `{"timestamp":${timestamp},"good":${good},"total":1}`;
    }
    bodies.push(`{"events":[${events.join(',')}]}`);
  }
  return bodies;
}

interface IngestFigures {
  result: LoadResult;
  eventsPerSecond: number;
}

async function measureIngest(ctx: BenchContext, label: string, origin: string, token: string): Promise<IngestFigures> {
  const headers = { authorization: `Bearer ${token}` };
  const bodies = ingestBodies(Date.now());
  // The figures only count if the batches are accepted whole.
  const check = await fetch(`${origin}/api/v1/slis/${sliName(0)}/events`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: bodies[0],
  });
  const answer = (await check.json()) as { accepted?: number; rejected?: unknown[] };
  if (check.status !== 200 || answer.accepted !== BATCH) {
    throw new Error(
      `${label}: a batch of ${BATCH} was not accepted whole: HTTP ${check.status} ${JSON.stringify(answer).slice(0, 300)}`,
    );
  }
  ctx.log(`${label}: ingest, ${INGEST_CONNECTIONS} connections`);
  const result = await measurePostLoad({
    origin,
    headers,
    connections: INGEST_CONNECTIONS,
    durationSeconds: ctx.durationSeconds,
    warmupSeconds: ctx.warmupSeconds,
    request: (n) => ({ path: `/api/v1/slis/${sliName((n * 37) % SLO_COUNT)}/events`, body: bodies[n % BODIES] ?? '' }),
  });
  return { result, eventsPerSecond: result.requestsPerSecond * BATCH };
}

interface PromFigures {
  bySlo: number[];
  sequential: number[];
  sli: Map<string, number>;
  burn1h: Map<string, number>;
}

async function promQuery(
  origin: string,
  query: string,
  time: number,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const response = await fetch(`${origin}/api/v1/query?query=${encodeURIComponent(query)}&time=${time}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  if (response.status !== 200 || body.status !== 'success' || !body.data)
    throw new Error(`Prometheus ${query}: HTTP ${response.status} ${body.error ?? ''}`);
  return body.data.result;
}

const errorRatio = (selector: string, window: string, by: string): string =>
  `1 - (sum${by}(increase(slo_good_total${selector}[${window}])) / sum${by}(increase(slo_requests_total${selector}[${window}])))`;

async function measurePrometheus(origin: string, time: number): Promise<PromFigures> {
  const budgetAll = errorRatio('', '28d', ' by (slo) ');
  const burnAll = `(${errorRatio('', '1h', ' by (slo) ')}) / ${(1 - TARGET).toFixed(6)}`;
  const all = async (): Promise<void> => {
    await Promise.all([promQuery(origin, budgetAll, time), promQuery(origin, burnAll, time)]);
  };
  await all(); // warm-up: pages the chunks in
  const bySlo = await timeRuns(PROM_RUNS, async () => {
    await promQuery(origin, budgetAll, time);
    await promQuery(origin, burnAll, time);
  });
  const sequential = await timeRuns(1, async () => {
    for (let i = 0; i < PEER_SLOS; i++) {
      const selector = `{slo="${sloName(i)}"}`;
      await promQuery(origin, errorRatio(selector, '28d', ''), time);
      await promQuery(origin, `(${errorRatio(selector, '1h', '')}) / ${(1 - TARGET).toFixed(6)}`, time);
    }
  });
  const sli = new Map((await promQuery(origin, budgetAll, time)).map((r) => [r.metric.slo ?? '', 1 - Number(r.value[1])]));
  const burn1h = new Map((await promQuery(origin, burnAll, time)).map((r) => [r.metric.slo ?? '', Number(r.value[1])]));
  return { bySlo, sequential, sli, burn1h };
}

export async function run(ctx: BenchContext): Promise<BenchReport> {
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  const setup: string[] = [];
  // The data ends with the last complete minute before the run.
  const endMinute = Math.floor(Date.now() / MINUTE_MS) - 1;
  const firstMinute = endMinute - MINUTES + 1;
  const token = `vgl_bench_${randomBytes(16).toString('hex')}`;

  // --- The peer's input first, so promtool backfills while SQLite loads (neither is a target).
  const promDir = join(ctx.tmpDir, 'prometheus');
  mkdirSync(join(promDir, 'data'), { recursive: true });
  const omFile = join(promDir, 'slo.om');
  let t0 = performance.now();
  const samples = await writeOpenMetrics(omFile, endMinute, PEER_SLOS);
  const omSeconds = (performance.now() - t0) / 1000;
  ctx.log(`OpenMetrics: ${count(samples)} samples written in ${omSeconds.toFixed(1)} s`);
  t0 = performance.now();
  // Without --max-block-duration promtool makes 2-hour blocks and re-parses the whole file for
  // each of the 336 (7 minutes for 50 SLOs); with it, two blocks and two passes.
  const promtool = startProcess(
    'promtool',
    'promtool',
    ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=700h', '-q', omFile, join(promDir, 'data')],
    { cwd: promDir },
  );
  ctx.defer(() => promtool.stop());
  ctx.defer(() => rmSync(promDir, { recursive: true, force: true }));
  const promtoolDone = promtool.exited.then((code) => ({ code, seconds: (performance.now() - t0) / 1000 }));

  // --- SQLite: definitions and 28 days of minutes.
  const sqliteUrl = `sqlite:${join(ctx.tmpDir, 'slo.db')}`;
  let db = await openDatabase(sqliteUrl);
  let applySeconds: number;
  let load: { seconds: number; rows: number };
  try {
    await migrateToLatest(db);
    ({ seconds: applySeconds } = await applyDefinitions(db));
    ctx.log(`SQLite: ${SLO_COUNT} SLIs and SLOs applied in ${applySeconds.toFixed(1)} s; loading series`);
    load = await loadSeries(ctx, db, firstMinute);
    ctx.log(`SQLite: ${count(load.rows)} minute rows in ${load.seconds.toFixed(1)} s`);
  } finally {
    await db.close();
  }
  const backfill = await promtoolDone;
  if (backfill.code !== 0) throw new Error(`promtool exited with ${backfill.code}; its log ends:\n${promtool.tail()}`);
  rmSync(omFile, { force: true });
  ctx.log(`promtool: backfilled in ${backfill.seconds.toFixed(1)} s`);

  // --- Evaluation in this process, on a fresh SloService (nothing else running).
  db = await openDatabase(sqliteUrl);
  let warmSeconds: number;
  let statusSamples: number[];
  let evaluateSamples: number[];
  let vigilSli = new Map<string, number>();
  let vigilBurn = new Map<string, number>();
  let evaluatedAt = 0;
  let firstEvaluation = { fired: 0 };
  try {
    const journal = new Journal(systemClock);
    const catalog = new CatalogService({ db, clock: systemClock, journal });
    const slo = new SloService({ db, clock: systemClock, journal, catalog });
    t0 = performance.now();
    await slo.warm();
    warmSeconds = (performance.now() - t0) / 1000;
    ctx.log(`in-process: cache warmed in ${warmSeconds.toFixed(1)} s`);
    statusSamples = await timeRuns(EVAL_RUNS, () => slo.status());
    evaluatedAt = Date.now();
    const statuses = await slo.status();
    if (statuses.length !== SLO_COUNT) throw new Error(`status(): ${statuses.length} SLOs, expected ${SLO_COUNT}`);
    vigilSli = new Map(statuses.map((s) => [s.name, s.objectives[0]?.sli ?? Number.NaN]));
    vigilBurn = new Map(statuses.map((s) => [s.name, s.objectives[0]?.burnRates['1h'] ?? Number.NaN]));
    evaluateSamples = [];
    for (let i = 0; i < EVAL_RUNS; i++) {
      const e0 = performance.now();
      const r = await slo.evaluate();
      evaluateSamples.push(performance.now() - e0);
      if (!r.evaluated) throw new Error('evaluate(): did not get the evaluator lease');
      if (i === 0) firstEvaluation = r;
    }
    await slo.stop();
  } finally {
    await db.close();
  }
  ctx.log(
    `in-process: status() p50 ${summarize(statusSamples).p50.toFixed(0)} ms, evaluate() p50 ${summarize(evaluateSamples).p50.toFixed(0)} ms`,
  );
  rows.push(
    {
      scenario: `status() of all ${count(SLO_COUNT)} SLOs, in-process`,
      backend: 'SQLite',
      system: 'Vigil',
      result: runsResult(statusSamples),
      target: EVAL_TARGET,
    },
    {
      scenario: `evaluate() of all ${count(SLO_COUNT)} SLOs, in-process`,
      backend: 'SQLite',
      system: 'Vigil',
      result: runsResult(evaluateSamples),
      target: EVAL_TARGET,
    },
  );

  // --- The child server on SQLite: status over HTTP, then ingestion.
  const ingest: Array<{ label: string; figures: IngestFigures }> = [];
  {
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const server = startVigil(ctx, 'SQLite', sqliteUrl, port, token);
    try {
      await waitForReady(`${origin}/readyz`, server, 60_000);
      const headers = { authorization: `Bearer ${token}` };
      const get = async (): Promise<void> => {
        const response = await fetch(`${origin}/api/v1/slos`, { headers });
        const body = (await response.json()) as { items?: unknown[] };
        if (response.status !== 200 || body.items?.length !== SLO_COUNT)
          throw new Error(`GET /api/v1/slos: HTTP ${response.status}, ${body.items?.length} items`);
      };
      t0 = performance.now();
      await get(); // waits for the server's own warm-up of the cache
      const firstGet = performance.now() - t0;
      const httpSamples = await timeRuns(EVAL_RUNS, get);
      rows.push({
        scenario: `GET /api/v1/slos (all ${count(SLO_COUNT)}), over HTTP`,
        backend: 'SQLite',
        system: 'Vigil',
        result: runsResult(httpSamples),
      });
      notes.push(
        `SQLite server: the first \`GET /api/v1/slos\` after the start took ${(firstGet / 1000).toFixed(1)} s (it waits for the server's cache warm-up, in-process ${warmSeconds.toFixed(1)} s); the row shows the ${EVAL_RUNS} after it.`,
      );
      ingest.push({ label: 'SQLite', figures: await measureIngest(ctx, 'SQLite', origin, token) });
      if (server.hasExited()) throw new Error(`${server.name} exited during the run; its log ends:\n${server.tail()}`);
    } finally {
      await server.stop();
    }
  }
  rmSync(join(ctx.tmpDir, 'slo.db'), { force: true });

  // --- PostgreSQL: the same definitions (no history), then ingestion.
  const pgDatabase = await freshPostgresDatabase();
  ctx.defer(pgDatabase.drop);
  let pgApplySeconds = 0;
  try {
    const pgDb = await openDatabase(pgDatabase.url);
    try {
      await migrateToLatest(pgDb);
      pgApplySeconds = (await applyDefinitions(pgDb)).seconds;
    } finally {
      await pgDb.close();
    }
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const server = startVigil(ctx, 'PostgreSQL', pgDatabase.url, port, token);
    try {
      await waitForReady(`${origin}/readyz`, server, 60_000);
      ingest.push({ label: 'PostgreSQL', figures: await measureIngest(ctx, 'PostgreSQL', origin, token) });
      if (server.hasExited()) throw new Error(`${server.name} exited during the run; its log ends:\n${server.tail()}`);
    } finally {
      await server.stop();
    }
  } finally {
    await pgDatabase.drop();
  }
  for (const { label, figures } of ingest) {
    rows.push({
      scenario: `ingest: POST batches of ${count(BATCH)} count events (events/s = ${count(BATCH)} × req/s)`,
      backend: label,
      system: 'Vigil',
      result: figures.result,
    });
  }

  // --- Prometheus on the backfilled TSDB.
  const port = await freePort();
  const promOrigin = `http://127.0.0.1:${port}`;
  writeFileSync(join(promDir, 'prometheus.yml'), 'global:\n  evaluation_interval: 1h\n');
  const prometheus = startProcess(
    'prometheus',
    'prometheus',
    [
      `--config.file=${join(promDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(promDir, 'data')}`,
      '--storage.tsdb.retention.time=60d',
      `--web.listen-address=127.0.0.1:${port}`,
      '--query.max-samples=500000000',
      '--query.timeout=5m',
    ],
    { cwd: promDir },
  );
  ctx.defer(() => prometheus.stop());
  let prom: PromFigures;
  try {
    await waitForReady(`${promOrigin}/-/ready`, prometheus, 120_000);
    ctx.log(`Prometheus ready on ${promOrigin} (pid ${prometheus.pid}); querying`);
    prom = await measurePrometheus(promOrigin, (endMinute + 1) * 60);
  } finally {
    await prometheus.stop();
  }
  const promVersion = 'Prometheus 2.42 (Debian package)';
  rows.push(
    {
      scenario: `28-day budget + 1h burn of all ${count(PEER_SLOS)} SLOs, 2 \`by (slo)\` queries`,
      backend: 'TSDB',
      system: 'Prometheus',
      result: runsResult(prom.bySlo),
    },
    {
      scenario: `28-day budget + 1h burn of all ${count(PEER_SLOS)} SLOs, 2 queries per SLO, sequential`,
      backend: 'TSDB',
      system: 'Prometheus',
      result: runsResult(prom.sequential),
    },
  );

  // --- Verdicts and comparisons.
  const med = (s: readonly number[]): number => summarize(s).p50;
  const vStatus = med(statusSamples);
  const vEval = med(evaluateSamples);
  const pBy = med(prom.bySlo);
  const pSeq = med(prom.sequential);
  const verdict = (ok: boolean): string => (ok ? 'pass' : 'FAIL');
  for (const { label, figures } of ingest) {
    notes.push(
      `Target ingest ≥ ${count(INGEST_TARGET_EVENTS_PER_SECOND)} events/s — ${label}: ${count(figures.eventsPerSecond)} events/s ` +
        `(${figures.result.requestsPerSecond.toFixed(1)} batches/s, p50 ${figures.result.latency.p50.toFixed(0)} ms per batch with ${INGEST_CONNECTIONS} connections): ` +
        `**${verdict(figures.eventsPerSecond >= INGEST_TARGET_EVENTS_PER_SECOND)}**.`,
    );
  }
  notes.push(
    `Target evaluation < 1 s (judged on the max of ${EVAL_RUNS} runs): status() max ${summarize(statusSamples).max.toFixed(0)} ms, ` +
      `evaluate() max ${summarize(evaluateSamples).max.toFixed(0)} ms: **${verdict(Math.max(summarize(statusSamples).max, summarize(evaluateSamples).max) < 1000)}**. ` +
      `The first evaluate() fired ${firstEvaluation.fired} alerts (journal and alert rows written); the later ones found nothing to change.`,
  );
  const per = (ms: number, n: number): string => `${((ms / n) * 1000).toFixed(0)} µs per SLO`;
  notes.push(
    `Vigil ÷ Prometheus time (medians; below 1: Vigil is faster): status() of all ${count(SLO_COUNT)} ${vStatus.toFixed(0)} ms ÷ ` +
      `Prometheus \`by (slo)\` ${pBy.toFixed(0)} ms = **${(vStatus / pBy).toFixed(3)}×**; ÷ Prometheus one SLO at a time ` +
      `${pSeq.toFixed(0)} ms = **${(vStatus / pSeq).toFixed(4)}×**; evaluate() ${vEval.toFixed(0)} ms ÷ \`by (slo)\` = ${(vEval / pBy).toFixed(3)}×` +
      (PEER_SLOS === SLO_COUNT ? '.' : ` (per SLO: Vigil ${per(vStatus, SLO_COUNT)}, Prometheus ${per(pBy, PEER_SLOS)}).`) +
      ' Vigil computes more per SLO (SLI, budget, consumed and remaining in events and minutes, burn rates over 5m/30m/1h/6h/1d/3d, ' +
      'time to exhaustion, policy state; evaluate() also the three burn-rate rules and no-data per SLO) than the two PromQL ' +
      'expressions (28-day error ratio and 1h burn rate).',
  );
  let maxSliDiff = 0;
  let maxBurnDiff = 0;
  for (let i = 0; i < PEER_SLOS; i++) {
    const name = sloName(i);
    const a = vigilSli.get(name);
    const b = prom.sli.get(name);
    if (a !== undefined && b !== undefined && i % TIMESLICES_EVERY !== TIMESLICES_EVERY - 1)
      maxSliDiff = Math.max(maxSliDiff, Math.abs(a - b));
    const c = vigilBurn.get(name);
    const d = prom.burn1h.get(name);
    if (c !== undefined && d !== undefined && i % TIMESLICES_EVERY !== TIMESLICES_EVERY - 1)
      maxBurnDiff = Math.max(maxBurnDiff, Math.abs(c - d));
  }
  const lagMinutes = Math.round((evaluatedAt - (endMinute + 1) * MINUTE_MS) / MINUTE_MS);
  notes.push(
    `Same answers: over the Occurrences SLOs, the largest difference between Vigil's 28-day SLI and Prometheus' is ${maxSliDiff.toExponential(2)}, ` +
      `of the 1h burn rate ${maxBurnDiff.toFixed(2)}. Vigil evaluates at the wall clock, ${lagMinutes} minutes after the data ends ` +
      "(its window has dropped the oldest minutes and its 1h window holds fewer minutes of data); Prometheus at the data's end.",
  );
  notes.push(
    'Why the evaluation is timed in-process: in a `vigil server` child the evaluator runs on its own every 30 s and holds the ' +
      'evaluator lease, so evaluate() cannot be called from outside, and no endpoint runs it. status() is the same computation the ' +
      'API serves; the HTTP row shows it end to end (including 1,000 SLOs of JSON).',
  );

  const pg = await postgresVersion().catch(() => 'PostgreSQL');
  setup.push(
    `Dataset (\`slo.dataset.ts\`, deterministic): ${count(SLO_COUNT)} event-fed SLIs, one SLO each over ${SERVICE_COUNT} catalog services ` +
      `(one team), ${(TARGET * 100).toFixed(1)} %, rolling 28 days, Occurrences (every ${TIMESLICES_EVERY}th: Timeslices, 5-minute slices ` +
      `good at ≥ 99 % good events). ${count(MINUTES)} minutes each (${count(SLO_COUNT * MINUTES)} minute rows) of 100–1,300 events a minute ` +
      'with a daily cycle, 0.01–0.07 % errors, three bad spells of 10–90 minutes at 2–15 % each, and every 50th SLO burning at 20 % over the last 40 minutes. ' +
      'The data ends at the last complete minute before the run.',
    `Seeding (SQLite, in the bench process): catalog and SLO definitions with \`CatalogService.applyDesired\` + \`SloService.applyDesired\` ` +
      `(\`systemPrincipal\`) in one transaction, ${applySeconds.toFixed(1)} s; the minutes with \`store.addMinutes\`, ${SLIS_PER_TRANSACTION} SLIs per ` +
      `transaction: ${count(load.rows)} rows in ${load.seconds.toFixed(0)} s (${count(load.rows / load.seconds)} rows/s; promtool ran at the same time). ` +
      `A fresh SloService then warmed its cache (every series read into memory) in ${warmSeconds.toFixed(1)} s.`,
    `Evaluation: ${EVAL_RUNS} runs each of \`status()\` (every SLO's budget and burn rates) and \`evaluate()\` (burn-rate rules, no-data, alerts) on a ` +
      'fresh SloService in the bench process with nothing else running, then `GET /api/v1/slos` over HTTP against ' +
      '`node bin/vigil.mjs server --db <url> --host 127.0.0.1 --log-level warn` (admin bearer token), sequentially. In these rows req/s is runs per second and the ms columns are per run.',
    `Ingest: autocannon, ${INGEST_CONNECTIONS} keep-alive connections, ${ctx.warmupSeconds} s warm-up then ${ctx.durationSeconds} s, ` +
      `\`POST /api/v1/slis/<name>/events\` with ${BODIES} precomputed bodies of ${count(BATCH)} events \`{timestamp, good, total}\` ` +
      '(total 1, good 0 or 1, timestamps over the last 30 minutes), the SLI changing with every request (all 1,000 in turn), no batchId; ' +
      'one batch is checked first to be accepted whole. The server runs its evaluation loop (every 30 s) meanwhile, as in production.',
    `Databases: SQLite (better-sqlite3, WAL, temp file) and ${pg} (fresh \`vigil_bench_*\` database, dropped afterwards). ` +
      'PostgreSQL holds the same 1,000 SLI/SLO definitions but no history: only ingestion runs there.',
    `Peer: ${promVersion}. The same counts as OpenMetrics counters \`slo_good_total{slo}\` / \`slo_requests_total{slo}\` (${count(samples)} samples, ` +
      `written in ${omSeconds.toFixed(0)} s), backfilled with \`promtool tsdb create-blocks-from openmetrics --max-block-duration=700h\` in ` +
      `${backfill.seconds.toFixed(0)} s, served with \`--storage.tsdb.retention.time=60d\`. Queries at the data's end time (\`/api/v1/query?time=\`): ` +
      '`1 - sum(increase(slo_good_total[28d])) / sum(increase(slo_requests_total[28d]))` and the same over 1h ÷ 0.001 (the 1h burn rate), ' +
      `as two \`by (slo)\` queries (one unmeasured warm-up, then ${PROM_RUNS} runs) and per SLO, 2 × ${count(PEER_SLOS)} queries one after the other (1 run).`,
    "Load generator, Vigil and Prometheus share the machine; the ingest figures include autocannon's CPU use.",
    `PostgreSQL: definitions applied in ${pgApplySeconds.toFixed(1)} s.`,
  );

  return {
    title: `SLOs: evaluating and ingesting at ${count(SLO_COUNT)} SLOs with 28 days of per-minute data`,
    summary:
      `${count(SLO_COUNT)} SLOs with 28 days of per-minute good/total counts each. Timed: computing every SLO's budget and burn rates ` +
      `(\`SloService.status()\` and \`evaluate()\`, ${EVAL_RUNS} runs each, and \`GET /api/v1/slos\` over HTTP), and ingesting batches of ` +
      `${count(BATCH)} count events over HTTP with ${INGEST_CONNECTIONS} connections on SQLite and PostgreSQL. Side by side, a real Prometheus ` +
      'backfilled with the same counts answers the equivalent 28-day budget and 1h burn-rate queries. Targets (from the issue): every budget ' +
      `and burn rate evaluated in under 1 s (the evaluation rows, judged on the max); ingest ≥ ${count(INGEST_TARGET_EVENTS_PER_SECOND)} events/s ` +
      '(judged in the notes: the table has no throughput target).',
    peers:
      `${promVersion} on a TSDB backfilled by promtool with the same ${count(PEER_SLOS)} SLOs × ${count(MINUTES)} minutes. ` +
      'The ratio the issue asks for (Vigil time ÷ Prometheus time) is in the notes; its rows are not paired with Vigil rows in the table.',
    setup,
    rows,
    notes,
  };
}
