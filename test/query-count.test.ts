import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVigil, type TestVigil } from '../src/testing/vigil.ts';

/** Dashboards must not issue a query per row: the count per request is independent of page size. */
describe.each(['sqlite', 'postgres'] as const)('queries per request on %s', (dialect) => {
  let t: TestVigil;
  beforeAll(async () => {
    t = await createTestVigil(dialect);
    const docs: string[] = [
      'apiVersion: vigil.dev/v1\nkind: Team\nmetadata:\n  name: owners\nspec:\n  type: platform\n',
      'apiVersion: vigil.dev/v1\nkind: Team\nmetadata:\n  name: consumers\nspec:\n  type: stream-aligned\n',
      'apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: root\nspec:\n  owner: owners\n  tier: tier-1\n',
    ];
    // A chain of 150 services under `root`, each also depending on root directly.
    for (let i = 0; i < 150; i++) {
      const parent = i === 0 ? 'root' : `svc-${i - 1}`;
      docs.push(
        `apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: svc-${i}\n  tags: [t${i % 3}]\nspec:\n  owner: ${i % 2 ? 'owners' : 'consumers'}\n  dependsOn: [${parent}, root]\n`,
      );
    }
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/manifests/apply',
      headers: t.as('admin'),
      payload: { files: [{ path: 'gen.yaml', content: docs.join('---\n') }] },
    });
    expect(res.statusCode, res.body).toBe(200);
  });
  afterAll(async () => {
    await t.close();
  });

  async function queriesFor(url: string): Promise<{ count: number; body: unknown }> {
    // Warm the token cache so authentication does not count.
    await t.app.inject({ url: '/healthz' });
    await t.app.inject({ url: '/api/v1/teams', headers: t.as('read') });
    const before = t.db.queries();
    const res = await t.app.inject({ url, headers: t.as('read') });
    expect(res.statusCode, res.body).toBe(200);
    return { count: t.db.queries() - before, body: res.json() };
  }

  it('lists 10 or 100 services with the same small number of queries', async () => {
    const ten = await queriesFor('/api/v1/services?limit=10');
    const hundred = await queriesFor('/api/v1/services?limit=100');
    expect((hundred.body as { items: unknown[] }).items).toHaveLength(100);
    expect(hundred.count).toBe(ten.count);
    expect(hundred.count).toBeLessThanOrEqual(4);
  });

  it('computes a blast radius of 150 transitive dependents in a constant number of queries', async () => {
    // The first one loads the dependency graph; later ones read the catalog's generation only.
    const first = await queriesFor('/api/v1/services/svc-148/blast-radius');
    const small = await queriesFor('/api/v1/services/svc-148/blast-radius');
    const large = await queriesFor('/api/v1/services/root/blast-radius');
    expect((large.body as { impacted: unknown[] }).impacted).toHaveLength(150);
    expect(large.count).toBe(small.count);
    expect(first.count).toBeLessThanOrEqual(small.count + 2);
    expect(large.count).toBeLessThanOrEqual(3);
  });
});
