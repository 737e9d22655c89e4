import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVigil, type Vigil } from '../../src/server.ts';
import { SliReporter } from './sli-reporter.ts';

const ADMIN = 'vgl_sdk_test_admin_token_0123456789';

const manifest = `apiVersion: vigil.dev/v1
kind: Team
metadata:
  name: shop
spec:
  type: stream-aligned
---
apiVersion: vigil.dev/v1
kind: Service
metadata:
  name: checkout
spec:
  owner: shop
---
apiVersion: vigil.dev/v1
kind: SLO
metadata:
  name: checkout-availability
spec:
  service: checkout
  indicator:
    events: {}
  objectives:
    - target: 99.9
  window: 28d
`;

/** The reporter against a real server: batching, idempotent retries, permanent errors. */
describe('SliReporter', () => {
  let vigil: Vigil & { url: string };
  let dir: string;
  let ingestToken: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-sdk-'));
    vigil = await startVigil({ db: `sqlite:${join(dir, 'v.db')}`, port: 0, adminToken: ADMIN, examples: null, webRoot: '/nonexistent' });
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const applied = await fetch(`${vigil.url}/api/v1/manifests/apply`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ files: [{ path: 'slo.yaml', content: manifest }] }),
    });
    expect(applied.status, await applied.clone().text()).toBe(200);
    const created = await fetch(`${vigil.url}/api/v1/tokens`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ name: 'reporter', scopes: ['ingest'] }),
    });
    ingestToken = ((await created.json()) as { token: string }).token;
  });
  afterAll(async () => {
    await vigil.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function sliTotals(): Promise<{ good: number; total: number }> {
    const res = await fetch(`${vigil.url}/api/v1/slos/checkout-availability`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const status = (await res.json()) as { objectives: Array<{ good: number; total: number }> };
    const o = status.objectives[0];
    return { good: o?.good ?? 0, total: o?.total ?? 0 };
  }

  it('batches counts and delivers them all', async () => {
    const before = await sliTotals();
    const reporter = new SliReporter({ url: vigil.url, token: ingestToken, sli: 'checkout-availability-sli', batchSize: 7 });
    for (let i = 0; i < 20; i++) reporter.record({ good: i % 10 === 0 ? 0 : 1, total: 1 });
    await reporter.close();
    const after = await sliTotals();
    expect(after.total - before.total).toBe(20);
    expect(after.good - before.good).toBe(18);
  });

  it('retries a batch whose response was lost, and the server counts it once', async () => {
    const before = await sliTotals();
    let calls = 0;
    // The first attempt reaches the server, but the client sees a network error (a lost response).
    const flaky: typeof fetch = async (input, init) => {
      calls++;
      const res = await fetch(input, init);
      if (calls === 1) throw new TypeError('fetch failed: socket hang up');
      return res;
    };
    const reporter = new SliReporter({
      url: vigil.url,
      token: ingestToken,
      sli: 'checkout-availability-sli',
      fetch: flaky,
      sleep: async () => {},
    });
    for (let i = 0; i < 5; i++) reporter.record({ good: 1, total: 1 });
    await reporter.close();
    expect(calls).toBe(2);
    const after = await sliTotals();
    expect(after.total - before.total).toBe(5);
  });

  it('gives up on a rejected batch at once and reports it', async () => {
    const failures: Error[] = [];
    const reporter = new SliReporter({
      url: vigil.url,
      token: ingestToken,
      sli: 'no-such-sli',
      onError: (error) => failures.push(error),
      sleep: async () => {},
    });
    reporter.record({ good: 1, total: 1 });
    await reporter.close();
    expect(failures).toHaveLength(1);
    expect(failures[0]?.message).toMatch(/^404/);
  });
});
