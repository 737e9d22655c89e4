import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CatalogService } from '../catalog/index.ts';
import { FakeClock } from '../core/clock.ts';
import { InputError, UnavailableError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Db } from '../db/database.ts';
import { createTestDatabase, type TestDatabase, testDialects } from '../db/testing.ts';
import { Journal } from '../journal/journal.ts';
import { ManifestService } from '../manifests/manifests.service.ts';
import { MAX_BACKFILL_MS, type MinuteBucketSource, PrometheusPuller } from './prometheus.pull.ts';
import { ScrapedPrometheus } from './prometheus.testing.ts';
import type { DataSourceSpec, SliSpec } from './slo.model.ts';
import { SloService } from './slo.service.ts';
import type { MinuteCounts } from './slo.store.ts';
import { admin, applySlo, seedCatalog, sloState } from './slo.testing.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface Setup {
  tdb: TestDatabase;
  db: Db;
  clock: FakeClock;
  catalog: CatalogService;
  slo: SloService;
}

async function setup(dialect: (typeof testDialects)[number], now: number): Promise<Setup> {
  const tdb = await createTestDatabase(dialect);
  const clock = new FakeClock(now);
  const journal = new Journal(clock);
  const catalog = new CatalogService({ db: tdb.db, clock, journal });
  const slo = new SloService({ db: tdb.db, clock, journal, catalog });
  await seedCatalog(tdb.db, catalog);
  return { tdb, db: tdb.db, clock, catalog, slo };
}

/** A DataSource, a Prometheus SLI on it and an Occurrences SLO over the SLI. */
function promState(url: string, opts: { total?: string; window?: string } = {}) {
  return sloState({
    dataSources: [{ name: 'prom', type: 'prometheus', url }],
    slis: [
      {
        name: 'checkout-requests',
        service: 'checkout',
        source: 'prometheus',
        prometheus: { dataSource: 'prom', bad: 'http_requests_total{code=~"5.."}', total: opts.total ?? 'http_requests_total' },
      },
    ],
    slos: [
      {
        name: 'checkout-availability',
        service: 'checkout',
        sli: 'checkout-requests',
        timeWindow: { type: 'rolling', duration: opts.window ?? '28d' },
        objectives: [{ target: 0.9 }],
      },
    ],
  });
}

async function mark(db: Db): Promise<{ from: number | null; to: number | null }> {
  const row = await db.kysely.selectFrom('sli_pulls').select(['pulled_from', 'pulled_to']).executeTakeFirstOrThrow();
  return {
    from: row.pulled_from === null ? null : Number(row.pulled_from),
    to: row.pulled_to === null ? null : Number(row.pulled_to),
  };
}

async function stored(db: Db): Promise<MinuteCounts[]> {
  const rows = await db.kysely.selectFrom('sli_minutes').select(['minute', 'good', 'total']).orderBy('minute').execute();
  return rows.map((r) => ({ minute: Number(r.minute), good: Number(r.good), total: Number(r.total) }));
}

async function budget(slo: SloService): Promise<{ good: number; total: number; sli: number | null }> {
  const [status] = await slo.status('checkout-availability');
  const o = status?.objectives[0];
  if (!o) throw new Error('no status');
  return { good: o.good, total: o.total, sli: o.sli };
}

// ---------------------------------------------------------------------------------------------
// With a scripted source: the mark, the replacing, errors, the lease

/** Serves `counts(minute)` for every minute asked for, and remembers the ranges asked for. */
class ScriptedSource implements MinuteBucketSource {
  calls: Array<{ sli: string; from: number; to: number }> = [];
  /** Two hours of traffic before END: writing 28 days of minutes per test would only cost time. */
  counts: (minute: number) => { good: number; total: number } | null = (m) => (m >= END - 120 ? { good: 9, total: 10 } : null);
  fail: Error | null = null;

  async fetchMinuteBuckets(sli: SliSpec, fromMs: number, toMs: number): Promise<MinuteCounts[]> {
    this.calls.push({ sli: sli.name, from: fromMs / MINUTE, to: toMs / MINUTE });
    if (this.fail) throw this.fail;
    const out: MinuteCounts[] = [];
    for (let m = Math.ceil(fromMs / MINUTE); m < Math.floor(toMs / MINUTE); m++) {
      const c = this.counts(m);
      if (c) out.push({ minute: m, ...c });
    }
    return out;
  }
}

function recordingLogger(): Logger & { lines: Array<{ level: string; msg: string }> } {
  const lines: Array<{ level: string; msg: string }> = [];
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push({ level, msg: typeof obj === 'string' ? obj : (msg ?? '') });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

const NOW = Date.parse('2026-03-02T10:00:30Z');
const NOW_MINUTE = Math.floor(NOW / MINUTE);
/** The first minute a pull at NOW leaves for later: minutes must have ended 2 minutes ago. */
const END = Math.floor((NOW - 2 * MINUTE) / MINUTE);

describe.each(testDialects)('PrometheusPuller on %s', (dialect) => {
  let s: Setup;
  let source: ScriptedSource;
  let logger: ReturnType<typeof recordingLogger>;
  let puller: PrometheusPuller;
  const sources: DataSourceSpec[] = [];

  beforeEach(async () => {
    s = await setup(dialect, NOW);
    source = new ScriptedSource();
    logger = recordingLogger();
    puller = new PrometheusPuller({
      db: s.db,
      clock: s.clock,
      logger,
      sourceFor: (ds) => {
        sources.push(ds);
        return source;
      },
    });
    await applySlo(s.db, s.slo, promState('http://prometheus:9090'));
  });
  afterEach(async () => {
    await puller.stop();
    await s.tdb.destroy();
  });

  it('backfills the SLO window on the first tick, then reads only the minutes past the mark', async () => {
    const first = await puller.pull();
    const from = Math.ceil((NOW - 28 * DAY) / MINUTE);
    expect(first).toEqual({ pulled: true, slis: [{ sli: 'checkout-requests', from, to: END, minutes: 120, error: null }] });
    expect(source.calls).toEqual([{ sli: 'checkout-requests', from, to: END }]);
    expect(sources.at(-1)?.url).toBe('http://prometheus:9090');
    expect(await mark(s.db)).toEqual({ from, to: END });
    expect(await budget(s.slo)).toEqual({ good: 9 * 120, total: 10 * 120, sli: 0.9 });

    // Nothing new within the same minute; five minutes later, exactly those five.
    await puller.pull();
    expect(source.calls).toHaveLength(1);
    s.clock.advance(5 * MINUTE);
    await puller.pull();
    expect(source.calls.at(-1)).toEqual({ sli: 'checkout-requests', from: END, to: END + 5 });
    expect(await mark(s.db)).toEqual({ from, to: END + 5 });
    const [sli] = await s.slo.listSlis();
    expect(sli).toMatchObject({ name: 'checkout-requests', lastPulledAt: NOW + 5 * MINUTE, lastError: null });
  });

  it('sets re-read minutes to what the source says now instead of adding to them', async () => {
    await puller.pull();
    const before = await budget(s.slo);
    // Rewind the mark by an hour (as after a crash between fetch and commit) and serve other counts.
    await s.db.kysely
      .updateTable('sli_pulls')
      .set({ pulled_to: END - 60 })
      .execute();
    source.counts = (m) => (m >= END - 60 ? { good: 5, total: 10 } : m >= END - 120 ? { good: 9, total: 10 } : null);
    await puller.pull();
    expect(source.calls.at(-1)).toEqual({ sli: 'checkout-requests', from: END - 60, to: END });
    expect(await budget(s.slo)).toEqual({ good: before.good - 4 * 60, total: before.total, sli: expect.any(Number) });
    // Minutes the source no longer has go away rather than keeping stale counts.
    await s.db.kysely
      .updateTable('sli_pulls')
      .set({ pulled_to: END - 60 })
      .execute();
    source.counts = (m) => (m >= END - 60 ? null : m >= END - 120 ? { good: 9, total: 10 } : null);
    await puller.pull();
    expect(await budget(s.slo)).toMatchObject({ good: before.good - 9 * 60, total: before.total - 10 * 60 });
    expect((await stored(s.db)).at(-1)?.minute).toBe(END - 61);
  });

  it('keeps the mark when Prometheus is unavailable, shows the error on the SLI and catches up later', async () => {
    await puller.pull();
    const pulledAt = NOW;
    s.clock.advance(10 * MINUTE);
    source.fail = new UnavailableError('Prometheus data source "prom" (http://prometheus:9090) did not answer: ECONNREFUSED');
    const failed = await puller.pull();
    expect(failed.slis[0]?.error).toMatch(/did not answer/);
    expect((await mark(s.db)).to).toBe(END);
    expect((await s.slo.listSlis())[0]).toMatchObject({
      lastPulledAt: pulledAt,
      lastError: expect.stringMatching(/ECONNREFUSED/),
    });
    expect(logger.lines.at(-1)).toMatchObject({ level: 'warn', msg: expect.stringMatching(/unavailable, retrying/) });

    s.clock.advance(MINUTE);
    source.fail = null;
    await puller.pull();
    // From the mark kept through the failure, not from where the failed tick would have ended.
    expect(source.calls.at(-1)).toEqual({ sli: 'checkout-requests', from: END, to: END + 11 });
    expect((await s.slo.listSlis())[0]).toMatchObject({ lastPulledAt: NOW + 11 * MINUTE, lastError: null });
  });

  it('records a query Prometheus rejects as a definition problem and keeps the mark', async () => {
    source.fail = new InputError('Prometheus data source "prom" rejected "sum(increase(x[1m]))": parse error');
    await puller.pull();
    expect(await mark(s.db)).toEqual({ from: null, to: null });
    expect((await s.slo.listSlis())[0]).toMatchObject({ lastPulledAt: null, lastError: expect.stringMatching(/parse error/) });
    expect(logger.lines.at(-1)).toMatchObject({ level: 'error', msg: expect.stringMatching(/definition needs fixing/) });
  });

  it('caps the first pull at 35 days, or takes a configured backfill', async () => {
    await applySlo(s.db, s.slo, promState('http://prometheus:9090', { window: '90d' }));
    await puller.pull();
    expect(source.calls.at(-1)?.from).toBe(Math.ceil((NOW - MAX_BACKFILL_MS) / MINUTE));

    const short = new PrometheusPuller({ db: s.db, clock: s.clock, backfillMs: 2 * HOUR, sourceFor: () => source });
    await s.db.kysely.deleteFrom('sli_pulls').execute();
    await puller.stop();
    await short.pull();
    await short.stop();
    expect(source.calls.at(-1)).toEqual({ sli: 'checkout-requests', from: NOW_MINUTE - 120 + 1, to: END });
  });

  it('starts over when the query changes, clearing what the old one read', async () => {
    await puller.pull();
    source.counts = (m) => (m >= END - 60 ? { good: 1, total: 2 } : null);
    await applySlo(s.db, s.slo, promState('http://prometheus:9090', { total: 'http_requests_total{job="api"}' }));
    await puller.pull();
    const from = Math.ceil((NOW - 28 * DAY) / MINUTE);
    expect(source.calls.at(-1)).toEqual({ sli: 'checkout-requests', from, to: END });
    expect(await budget(s.slo)).toMatchObject({ good: 60, total: 120 });
  });

  it('pulls on one replica at a time', async () => {
    const other = new PrometheusPuller({ db: s.db, clock: s.clock, sourceFor: () => source });
    expect((await puller.pull()).pulled).toBe(true);
    expect(await other.pull()).toEqual({ pulled: false, slis: [] });
    await puller.stop();
    expect((await other.pull()).pulled).toBe(true);
    await other.stop();
  });

  it('pulls at start, then on every interval, and gives its lease up on stop', async () => {
    puller.start(50);
    await vi.waitFor(() => expect(source.calls).toHaveLength(1));
    s.clock.advance(MINUTE);
    await vi.waitFor(() => expect(source.calls).toHaveLength(2));
    await puller.stop();
    const other = new PrometheusPuller({ db: s.db, clock: s.clock, sourceFor: () => source });
    expect((await other.pull()).pulled).toBe(true);
    await other.stop();
  });

  it('refuses on apply a Prometheus SLI whose queries are not series selectors, naming the field', async () => {
    const error = await applySlo(
      s.db,
      s.slo,
      promState('http://prometheus:9090', { total: 'sum(rate(http_requests_total[5m]))' }),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).issues).toEqual([
      { path: 'slis[checkout-requests].prometheus.total', message: expect.stringMatching(/must be a series selector/) },
    ]);
  });

  it('refuses such a query through vigil apply with the file and line of the indicator', async () => {
    const manifests = new ManifestService({ db: s.db, clock: s.clock, catalog: s.catalog, slo: s.slo });
    const content = [
      'apiVersion: vigil.dev/v1',
      'kind: SLO',
      'metadata:',
      '  name: checkout-errors',
      'spec:',
      '  service: checkout',
      '  indicator:',
      '    prometheus:',
      '      dataSource: prom',
      '      bad: http_requests_total{code=~"5.."}',
      '      total: sum(rate(http_requests_total[5m]))',
      '  target: 99.9',
      '',
    ].join('\n');
    const error = await manifests.apply(admin, [{ path: 'slos/checkout.yaml', content }], { source: 'repo', prune: false }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).issues[0]).toMatchObject({
      file: 'slos/checkout.yaml',
      // An inline SLI is located at its indicator; the message quotes the offending query.
      path: 'spec.indicator',
      line: 7,
      message: expect.stringMatching(/"sum\(rate\(http_requests_total\[5m\]\)\)" must be a series selector/),
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Against a real Prometheus (Debian package `prometheus`) scraping a test target

const prometheus = new ScrapedPrometheus();
const { base } = prometheus;
let url: string;
const servedBetween = (fromMs: number, toMs: number) => prometheus.servedBetween(fromMs, toMs);
const stopPrometheus = () => prometheus.stopPrometheus();

/** Started before the first test so that its scrapes run while the other suites do. */
let ready: Promise<void> | undefined;

beforeAll(() => {
  ready = prometheus.start().then(() => {
    url = prometheus.url;
  });
  // Reported by the suite that awaits it.
  ready.catch(() => {});
});

afterAll(() => prometheus.close());

describe('PrometheusPuller against a real Prometheus', () => {
  beforeAll(() => ready, 40_000);

  // Two minutes after the second minute ends, so the pull takes exactly the first two.
  const at = base + 4 * MINUTE;
  const setups = new Map<string, { s: Setup; puller: PrometheusPuller }>();

  afterAll(async () => {
    for (const { s, puller } of setups.values()) {
      await puller.stop();
      await s.tdb.destroy();
    }
  });

  it.each(testDialects)('on %s, budgets what the target served, and a second pull counts nothing twice', async (dialect) => {
    const s = await setup(dialect, at);
    const puller = new PrometheusPuller({ db: s.db, clock: s.clock });
    setups.set(dialect, { s, puller });
    await applySlo(s.db, s.slo, promState(url));

    const expected = servedBetween(base, base + 2 * MINUTE);
    expect(expected).toEqual({ good: 96, total: 120 });
    const first = await puller.pull();
    expect(first.slis).toEqual([
      { sli: 'checkout-requests', from: Math.ceil((at - 28 * DAY) / MINUTE), to: base / MINUTE + 2, minutes: 2, error: null },
    ]);
    expect(await stored(s.db)).toEqual([
      { minute: base / MINUTE, ...servedBetween(base, base + MINUTE) },
      { minute: base / MINUTE + 1, ...servedBetween(base + MINUTE, base + 2 * MINUTE) },
    ]);
    expect(await budget(s.slo)).toEqual({ ...expected, sli: 0.8 });

    // Again at the same moment: nothing new. Then with the mark rewound, as after a crash
    // between fetch and commit: the same minutes are read again and replace themselves.
    expect((await puller.pull()).slis[0]).toMatchObject({ from: null, minutes: 0 });
    await s.db.kysely
      .updateTable('sli_pulls')
      .set({ pulled_to: base / MINUTE - 5 })
      .execute();
    expect((await puller.pull()).slis[0]).toMatchObject({ from: base / MINUTE - 5, minutes: 2 });
    expect(await budget(s.slo)).toEqual({ ...expected, sli: 0.8 });
    expect((await s.slo.listSlis())[0]).toMatchObject({ lastPulledAt: at, lastError: null });
  });

  it('once Prometheus is stopped, keeps the mark and the budget and shows the error', async () => {
    expect(setups.size).toBe(testDialects.length);
    await stopPrometheus();
    for (const { s, puller } of setups.values()) {
      s.clock.advance(MINUTE);
      const result = await puller.pull();
      expect(result.slis[0]?.error).toMatch(/did not answer/);
      expect((await mark(s.db)).to).toBe(base / MINUTE + 2);
      expect(await budget(s.slo)).toEqual({ good: 96, total: 120, sli: 0.8 });
      expect((await s.slo.listSlis())[0]).toMatchObject({ lastPulledAt: at, lastError: expect.stringMatching(/did not answer/) });
    }
  });
});
