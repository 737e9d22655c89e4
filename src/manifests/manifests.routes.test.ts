import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { testDialects } from '../db/testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { readManifestFiles } from './files.ts';

describe.each(testDialects)('manifest routes on %s', (dialect) => {
  let t: TestVigil;

  beforeEach(async () => {
    t = await createTestVigil(dialect);
  });
  afterEach(async () => {
    await t.close();
  });

  const post = (url: string, role: keyof TestVigil['tokens'] | null, payload: object) =>
    t.app.inject({ method: 'POST', url, headers: role ? t.as(role) : {}, payload });

  test('plan, apply, plan again: drift, then none', async () => {
    const files = await readManifestFiles(['examples']);
    const before = await post('/api/v1/manifests/plan', 'read', { files });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ drift: true, summary: { update: 0, delete: 0, unchanged: 0 } });
    expect(before.json().changes[0]).toMatchObject({
      action: 'create',
      ref: expect.any(String),
      file: expect.any(String),
      line: expect.any(Number),
    });

    const applied = await post('/api/v1/manifests/apply', 'admin', { files, source: 'examples' });
    expect(applied.statusCode).toBe(200);
    expect(applied.json().created).toContain('service:checkout');

    const after = await post('/api/v1/manifests/plan', 'read', { files, source: 'examples', prune: true });
    expect(after.json()).toMatchObject({ drift: false, changes: [], summary: { create: 0, update: 0, delete: 0 } });
  });

  test('apply needs the write scope; plan the read scope', async () => {
    const files = [{ path: 'a.yaml', content: 'apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: a\n' }];
    expect((await post('/api/v1/manifests/apply', 'read', { files })).statusCode).toBe(403);
    expect((await post('/api/v1/manifests/plan', null, { files })).statusCode).toBe(401);
    expect((await post('/api/v1/manifests/plan', 'ingest', { files })).statusCode).toBe(403);
    // Entities without an owner are writable with the write scope; users and teams need admin.
    expect((await post('/api/v1/manifests/apply', 'write', { files })).statusCode).toBe(200);
  });

  test('a bad manifest is a 400 problem whose errors carry file and line', async () => {
    const files = [
      { path: 'ok.yaml', content: 'apiVersion: vigil.dev/v1\nkind: Team\nmetadata:\n  name: payments\n' },
      {
        path: 'bad.yaml',
        content:
          'apiVersion: vigil.dev/v1\nkind: Service\nmetadata:\n  name: checkout\nspec:\n  owner: payments\n  tier: tier-1\n  ownr: x\n',
      },
    ];
    const res = await post('/api/v1/manifests/apply', 'admin', { files });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'VIGIL_INVALID_INPUT',
      errors: [{ path: 'spec.ownr', message: 'unknown field', file: 'bad.yaml', line: 8 }],
    });

    const syntax = await post('/api/v1/manifests/plan', 'read', { files: [{ path: 'x.yaml', content: 'a: [1\n' }] });
    expect(syntax.statusCode).toBe(400);
    expect(syntax.json().errors[0]).toMatchObject({ path: 'syntax', file: 'x.yaml', line: expect.any(Number) });
    expect((await t.vigil.catalog.snapshot()).teams).toEqual([]);
  });

  test('the body is validated: files are required, unknown fields refused', async () => {
    expect((await post('/api/v1/manifests/plan', 'read', { files: [] })).statusCode).toBe(400);
    expect((await post('/api/v1/manifests/plan', 'read', { files: [{ path: 'a', content: '' }], force: true })).statusCode).toBe(
      400,
    );
  });

  test('export answers YAML that apply accepts and plan finds no drift in', async () => {
    await post('/api/v1/manifests/apply', 'admin', { files: await readManifestFiles(['examples']) });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/manifests/export', headers: t.as('read') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/yaml/);
    expect(res.body.startsWith('#')).toBe(true);
    const docs = parseAllDocuments(res.body);
    expect(Array.isArray(docs) && docs.length).toBeGreaterThan(30);

    const files = [{ path: 'export.yaml', content: res.body }];
    // The admin and the test users came from no manifest: applying would only take them over.
    const plan = await post('/api/v1/manifests/plan', 'read', { files });
    expect(plan.json()).toMatchObject({ drift: false, summary: { create: 0, update: 0, delete: 0 } });
    expect(plan.json().changes.map((c: { action: string; ref: string }) => `${c.action} ${c.ref}`)).toContain('adopt user:admin');
  });

  test('export?format=openslo answers the SLOs as OpenSLO v1 that plan back without drift', async () => {
    await post('/api/v1/manifests/apply', 'admin', { files: await readManifestFiles(['examples']), source: 'examples' });
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/manifests/export?format=openslo', headers: t.as('read') });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/yaml/);
    const docs = parseAllDocuments(res.body);
    const kinds = (Array.isArray(docs) ? docs : []).map((d) => `${d.get('apiVersion')} ${d.get('kind')}`);
    expect(kinds).toContain('openslo/v1 SLO');
    expect(kinds.every((k) => k.startsWith('openslo/v1 '))).toBe(true);
    const plan = await post('/api/v1/manifests/plan', 'read', {
      files: [{ path: 'slos.yaml', content: res.body }],
      source: 'examples',
    });
    expect(plan.json()).toMatchObject({ drift: false, changes: [] });
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/manifests/export?format=sloth', headers: t.as('read') });
    expect(bad.statusCode).toBe(400);
  });
});
