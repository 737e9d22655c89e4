import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testDialects } from '../db/testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';

describe.each(testDialects)('catalog routes on %s', (dialect) => {
  let t: TestVigil;

  beforeEach(async () => {
    t = await createTestVigil(dialect);
  });
  afterEach(async () => {
    await t.close();
  });

  const call = (
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    role: keyof TestVigil['tokens'] | null = 'admin',
    payload?: object,
  ) => t.app.inject({ method, url, headers: role ? t.as(role) : {}, ...(payload ? { payload } : {}) });

  async function seed(): Promise<void> {
    for (const team of [
      { name: 'payments', members: ['admin'] },
      { name: 'core', type: 'platform', interactions: [] },
    ]) {
      expect((await call('POST', '/api/v1/teams', 'admin', team)).statusCode).toBe(201);
    }
    for (const entity of [
      { name: 'ledger', owner: 'core', tier: 'tier-1' },
      { name: 'checkout', owner: 'payments', dependsOn: ['ledger'], tags: ['money'] },
      { kind: 'api', name: 'checkout-api', owner: 'payments', dependsOn: ['checkout'] },
    ]) {
      expect((await call('POST', '/api/v1/entities', 'admin', entity)).statusCode).toBe(201);
    }
  }

  it('creates, lists, shows, replaces and deletes entities', async () => {
    await seed();
    const list = await call('GET', '/api/v1/entities?owner=payments&limit=1', 'read');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toMatchObject({ items: [{ kind: 'service', name: 'checkout' }], total: 2, limit: 1, offset: 0 });

    const services = (await call('GET', '/api/v1/services?q=LED', 'read')).json();
    expect(services.items.map((e: { name: string }) => e.name)).toEqual(['ledger']);

    const shown = await call('GET', '/api/v1/services/checkout', 'read');
    expect(shown.json()).toMatchObject({
      owner: 'payments',
      tags: ['money'],
      dependsOn: [{ kind: 'service', name: 'ledger', owner: 'core' }],
      dependents: [{ kind: 'api', name: 'checkout-api', owner: 'payments' }],
    });
    expect((await call('GET', '/api/v1/entities/api/checkout-api', 'read')).statusCode).toBe(200);

    // The URL names the entity, so the body may leave kind and name out.
    const replaced = await call('PUT', '/api/v1/entities/api/checkout-api', 'admin', { owner: 'payments', tier: 'tier-2' });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ kind: 'api', name: 'checkout-api', tier: 'tier-2', dependsOn: [] });

    const deleted = await call('DELETE', '/api/v1/entities/api/checkout-api');
    expect(deleted.statusCode).toBe(204);
    const gone = await call('GET', '/api/v1/entities/api/checkout-api', 'read');
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['content-type']).toContain('application/problem+json');
  });

  it('rejects unknown fields, wrong types and unknown references with the field path', async () => {
    await seed();
    const unknown = await call('POST', '/api/v1/entities', 'admin', { name: 'x', colour: 'blue' });
    expect(unknown.statusCode).toBe(400);
    // problem.ts puts an unknown key into the path or, with this validator version, only into the message.
    const issue = unknown.json().errors[0];
    expect(issue.path).toBe('body.colour');
    expect(`${issue.path} ${issue.message}`).toContain('colour');

    const wrongType = await call('POST', '/api/v1/entities', 'admin', { name: 'x', tier: 5 });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().errors[0].path).toBe('body.tier');

    const badRef = await call('POST', '/api/v1/entities', 'admin', { name: 'x', owner: 'nobody', dependsOn: ['ghost'] });
    expect(badRef.statusCode).toBe(400);
    expect(badRef.json().errors.map((e: { path: string }) => e.path)).toEqual(['body.owner', 'body.dependsOn[0]']);

    const badQuery = await call('GET', '/api/v1/entities?limit=0', 'read');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().errors[0].path).toBe('querystring.limit');
    expect((await call('GET', '/api/v1/entities?colour=blue', 'read')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/services?kind=api', 'read')).statusCode).toBe(400);
    expect((await call('GET', '/api/v1/entities/widget/x', 'read')).statusCode).toBe(400);

    const taken = await call('POST', '/api/v1/entities', 'admin', { name: 'ledger' });
    expect(taken.statusCode).toBe(409);
    const teamField = await call('POST', '/api/v1/teams', 'admin', { name: 'ops', members: 'alice' });
    expect(teamField.json().errors[0].path).toBe('body.members');
  });

  it('enforces scopes and team ownership', async () => {
    await seed();
    expect((await call('GET', '/api/v1/entities', null)).statusCode).toBe(401);
    expect((await call('POST', '/api/v1/entities', 'read', { name: 'x' })).statusCode).toBe(403);
    expect((await call('POST', '/api/v1/teams', 'read', { name: 'x' })).statusCode).toBe(403);

    // write-user is not in payments yet.
    const denied = await call('PUT', '/api/v1/entities/service/checkout', 'write', { owner: 'payments' });
    expect(denied.statusCode).toBe(403);
    expect((await call('PUT', '/api/v1/teams/payments', 'write', { members: ['write-user'] })).statusCode).toBe(403);

    expect((await call('PUT', '/api/v1/teams/payments', 'admin', { members: ['admin', 'write-user'] })).statusCode).toBe(200);
    t.clock.advance(5_000); // past the principal cache
    const allowed = await call('PUT', '/api/v1/entities/service/checkout', 'write', {
      owner: 'payments',
      tier: 'tier-1',
      dependsOn: ['ledger'],
    });
    expect(allowed.statusCode).toBe(200);
    expect((await call('DELETE', '/api/v1/entities/service/ledger', 'write')).statusCode).toBe(403);
    expect((await call('POST', '/api/v1/entities', 'write', { name: 'scratch' })).statusCode).toBe(201);
  });

  it('serves blast radius and Conway findings', async () => {
    await seed();
    const radius = await call('GET', '/api/v1/services/ledger/blast-radius', 'read');
    expect(radius.statusCode).toBe(200);
    expect(radius.json()).toEqual({
      root: { kind: 'service', name: 'ledger', owner: 'core' },
      impacted: [
        { kind: 'service', name: 'checkout', owner: 'payments', tier: null, depth: 1, via: 'service:ledger' },
        { kind: 'api', name: 'checkout-api', owner: 'payments', tier: null, depth: 2, via: 'service:checkout' },
      ],
      teams: [{ name: 'payments', count: 2 }],
      edges: [
        { from: 'api:checkout-api', to: 'service:checkout' },
        { from: 'service:checkout', to: 'service:ledger' },
      ],
    });
    expect((await call('GET', '/api/v1/entities/api/checkout-api/blast-radius', 'read')).json().impacted).toEqual([]);
    expect((await call('GET', '/api/v1/services/nothing/blast-radius', 'read')).statusCode).toBe(404);

    const conway = (await call('GET', '/api/v1/catalog/conway', 'read')).json();
    expect(conway.items.map((f: { from: { ref: string }; to: { ref: string } }) => [f.from.ref, f.to.ref])).toEqual([
      ['service:checkout', 'service:ledger'],
    ]);
    await call('PUT', '/api/v1/teams/core', 'admin', {
      type: 'platform',
      interactions: [{ team: 'payments', mode: 'x-as-a-service' }],
    });
    expect((await call('GET', '/api/v1/catalog/conway', 'read')).json()).toEqual({ items: [] });
  });

  it('lists, shows, replaces and deletes teams', async () => {
    await seed();
    const teams = (await call('GET', '/api/v1/teams', 'read')).json();
    expect(teams.items).toEqual([
      { name: 'core', title: null, type: 'platform', description: null, memberCount: 0, entityCount: 1 },
      { name: 'payments', title: null, type: 'stream-aligned', description: null, memberCount: 1, entityCount: 2 },
    ]);
    const payments = (await call('GET', '/api/v1/teams/payments', 'read')).json();
    expect(payments.members).toEqual([{ name: 'admin', displayName: 'Administrator', role: 'member' }]);
    expect(payments.entities.map((e: { name: string }) => e.name)).toEqual(['checkout-api', 'checkout']);

    const replaced = await call('PUT', '/api/v1/teams/payments', 'admin', {
      title: 'Payments',
      interactions: [{ team: 'core', mode: 'collaboration' }],
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({
      title: 'Payments',
      members: [],
      interactions: [{ team: 'core', direction: 'outgoing' }],
    });
    expect((await call('GET', '/api/v1/teams/core', 'read')).json().interactions).toEqual([
      { team: 'payments', mode: 'collaboration', description: null, direction: 'incoming' },
    ]);

    expect((await call('DELETE', '/api/v1/teams/payments')).statusCode).toBe(204);
    expect((await call('GET', '/api/v1/teams/payments', 'read')).statusCode).toBe(404);
    expect((await call('GET', '/api/v1/services/checkout', 'read')).json().owner).toBeNull();
  });
});
