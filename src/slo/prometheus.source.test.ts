import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UnavailableError } from '../core/errors.ts';
import { PrometheusSource } from './prometheus.source.ts';
import { freePort, listen, ScrapedPrometheus } from './prometheus.testing.ts';
import { SliSpec } from './slo.model.ts';

const MINUTE = 60_000;
const prometheus = new ScrapedPrometheus();
const { base } = prometheus;
let url: string;

beforeAll(async () => {
  await prometheus.start();
  url = prometheus.url;
}, 40_000);

afterAll(() => prometheus.close());

const goodSli = SliSpec.parse({
  name: 'api-good',
  source: 'prometheus',
  prometheus: { dataSource: 'test', good: 'http_requests_total{code="200"}', total: 'http_requests_total' },
});
const badSli = SliSpec.parse({
  name: 'api-bad',
  source: 'prometheus',
  prometheus: { dataSource: 'test', bad: 'http_requests_total{code=~"5.."}', total: 'http_requests_total' },
});

const servedBetween = (fromMs: number, toMs: number) => prometheus.servedBetween(fromMs, toMs);

describe('PrometheusSource against a real Prometheus', () => {
  it('reads good and total over a window as the target served them, from good or from bad', async () => {
    const source = new PrometheusSource({ name: 'test', url });
    const window = { from: base, to: base + 2 * MINUTE };
    const expected = servedBetween(window.from, window.to);
    expect(expected).toEqual({ good: 96, total: 120 });
    expect(await source.fetchCounts(goodSli, window.from, window.to)).toEqual(expected);
    expect(await source.fetchCounts(badSli, window.from, window.to)).toEqual(expected);
    expect(await source.fetchCounts(badSli, base + MINUTE, base + 2 * MINUTE)).toEqual(
      servedBetween(base + MINUTE, base + 2 * MINUTE),
    );
  });

  it('reads per-minute buckets, leaving out minutes without data', async () => {
    const source = new PrometheusSource({ name: 'test', url });
    const buckets = await source.fetchMinuteBuckets(goodSli, base - MINUTE, base + 2 * MINUTE);
    expect(buckets).toEqual([
      { minute: base / MINUTE, ...servedBetween(base, base + MINUTE) },
      { minute: base / MINUTE + 1, ...servedBetween(base + MINUTE, base + 2 * MINUTE) },
    ]);
    expect(buckets.map((b) => [b.good, b.total])).toEqual([
      [54, 60],
      [42, 60],
    ]);
    expect(await source.fetchMinuteBuckets(badSli, base - MINUTE, base + 2 * MINUTE)).toEqual(buckets);
  });

  it('reports a query Prometheus rejects as bad input and an SLI that is not a selector before asking', async () => {
    const source = new PrometheusSource({ name: 'test', url });
    await expect(source.query('sum(http_requests_total', Date.now())).rejects.toThrow(InputError);
    const broken = SliSpec.parse({ ...goodSli, prometheus: { ...goodSli.prometheus!, total: 'sum(rate(x[5m]))' } });
    await expect(source.fetchCounts(broken, base, base + MINUTE)).rejects.toThrow(/sli api-good: prometheus\.total/);
  });
});

describe('PrometheusSource when Prometheus is not there', () => {
  it('turns a refused connection and a silent server into UnavailableError', async () => {
    const closed = new PrometheusSource({ name: 'gone', url: `http://127.0.0.1:${await freePort()}` });
    await expect(closed.fetchCounts(goodSli, base, base + MINUTE)).rejects.toThrow(UnavailableError);

    const silent: Server = createServer(() => {});
    const port = await listen(silent);
    try {
      const slow = new PrometheusSource({ name: 'slow', url: `http://127.0.0.1:${port}/prometheus` }, { timeoutMs: 300 });
      await expect(slow.fetchCounts(goodSli, base, base + MINUTE)).rejects.toThrow(/"slow" .* no answer within 300 ms/);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
