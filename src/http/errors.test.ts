import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';

/** Bad input gets a clear 4xx naming the field, never a 500, and writes nothing. */
describe.each(['sqlite', 'postgres'] as const)('bad input on %s', (dialect) => {
  let t: TestVigil;
  beforeAll(async () => {
    t = await createTestVigil(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  const teamCount = async (): Promise<number> =>
    (await t.app.inject({ url: '/api/v1/teams', headers: t.as('admin') })).json().items.length;
  const journalCount = async (): Promise<number> =>
    (await t.app.inject({ url: '/api/v1/journal?limit=1000', headers: t.as('admin') })).json().items.length;

  it('malformed JSON → 400 with the body named', async () => {
    const before = await journalCount();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { ...t.as('admin'), 'content-type': 'application/json' },
      payload: '{"name": "x",',
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code: 'VIGIL_MALFORMED_JSON', errors: [{ path: 'body' }] });
    expect(await journalCount()).toBe(before);
  });

  it('unknown fields → 400 naming the field', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: t.as('admin'),
      payload: { name: 'sre', type: 'platform', colour: 'blue' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('body.colour');
    expect(await teamCount()).toBe(0);
  });

  it('wrong types and enum values → 400 with the path of each', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: t.as('admin'),
      payload: { name: 42, type: 'squad' },
    });
    expect(res.statusCode).toBe(400);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.name', 'body.type']));
  });

  it('wrong query parameter types → 400 naming the parameter', async () => {
    const res = await t.app.inject({ url: '/api/v1/journal?limit=lots', headers: t.as('read') });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('querystring.limit');
  });

  it('oversize bodies → 413', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { ...t.as('admin'), 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'big', description: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('VIGIL_PAYLOAD_TOO_LARGE');
  });

  it('unsupported content types → 415', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { ...t.as('admin'), 'content-type': 'text/csv' },
      payload: 'name\nx',
    });
    expect(res.statusCode).toBe(415);
  });

  it('an unknown reference fails the whole write: nothing partial is stored', async () => {
    const before = await journalCount();
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/entities',
      headers: t.as('admin'),
      payload: { kind: 'service', name: 'orphan', owner: 'no-such-team', dependsOn: ['also-missing'] },
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expect(res.json().errors?.length ?? 0).toBeGreaterThan(0);
    const get = await t.app.inject({ url: '/api/v1/services/orphan', headers: t.as('read') });
    expect(get.statusCode).toBe(404);
    expect(await journalCount()).toBe(before);
  });

  it('a manifest with an unknown reference names the file, the line and the field, and writes nothing', async () => {
    const before = await journalCount();
    const content = [
      'apiVersion: vigil.dev/v1',
      'kind: Team',
      'metadata:',
      '  name: web',
      'spec:',
      '  type: stream-aligned',
      '---',
      'apiVersion: vigil.dev/v1',
      'kind: Service',
      'metadata:',
      '  name: shop',
      'spec:',
      '  owner: web',
      '  dependsOn:',
      '    - inventory',
      '',
    ].join('\n');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/manifests/apply',
      headers: t.as('admin'),
      payload: { files: [{ path: 'shop.yaml', content }] },
    });
    expect(res.statusCode).toBe(400);
    const issue = res.json().errors[0];
    expect(issue).toMatchObject({ file: 'shop.yaml', line: 15 });
    expect(issue.path).toMatch(/dependsOn/);
    expect(await teamCount()).toBe(0);
    expect(await journalCount()).toBe(before);
  });
});
