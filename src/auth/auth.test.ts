import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestVigil, TEST_ADMIN_TOKEN, type TestVigil } from '../testing/vigil.ts';
import { hashPassword, hashToken, verifyPassword } from './auth.service.ts';

describe('password hashing', () => {
  it('verifies the right password only', () => {
    const stored = hashPassword('correct horse battery staple');
    expect(stored).not.toContain('correct horse');
    expect(verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(verifyPassword('wrong', stored)).toBe(false);
    expect(verifyPassword('x', 'garbage')).toBe(false);
  });
});

describe.each(['sqlite', 'postgres'] as const)('auth on %s', (dialect) => {
  let t: TestVigil;
  beforeAll(async () => {
    t = await createTestVigil(dialect);
  });
  afterAll(async () => {
    await t.close();
  });

  function cookieFrom(res: { headers: Record<string, unknown> }): string {
    const raw = res.headers['set-cookie'];
    const first = Array.isArray(raw) ? raw[0] : String(raw);
    return String(first).split(';')[0] ?? '';
  }

  it('stores tokens only as hashes', async () => {
    const rows = await t.db.kysely.selectFrom('api_tokens').select(['token_hash', 'prefix']).execute();
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) {
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.values(t.tokens)).not.toContain(row.token_hash);
    }
    expect(rows.map((r) => r.token_hash)).toContain(hashToken(TEST_ADMIN_TOKEN));
  });

  it('rejects unknown tokens and malformed Authorization headers with 401', async () => {
    const unknown = await t.app.inject({ url: '/api/v1/teams', headers: { authorization: 'Bearer vgl_nope' } });
    expect(unknown.statusCode).toBe(401);
    const malformed = await t.app.inject({ url: '/api/v1/teams', headers: { authorization: 'Basic abc' } });
    expect(malformed.statusCode).toBe(401);
  });

  it('creates a token shown once, lists it without the secret, and revokes it', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: t.as('write'),
      payload: { name: 'laptop', scopes: ['read'] },
    });
    expect(created.statusCode).toBe(201);
    const { token, info } = created.json();
    expect(token).toMatch(/^vgl_/);
    expect((await t.app.inject({ url: '/api/v1/teams', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(200);
    const list = await t.app.inject({ url: '/api/v1/tokens', headers: t.as('write') });
    expect(list.body).not.toContain(token);
    expect(list.json().items.map((i: { name: string }) => i.name)).toContain('laptop');
    const revoked = await t.app.inject({ method: 'DELETE', url: `/api/v1/tokens/${info.id}`, headers: t.as('write') });
    expect(revoked.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/teams', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    const audit = await t.app.inject({ url: '/api/v1/journal?kind=auth.token', headers: t.as('admin') });
    expect(audit.json().items.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['auth.token.created', 'auth.token.revoked']),
    );
  });

  it('does not let a non-admin grant the admin scope', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: t.as('write'),
      payload: { name: 'sneaky', scopes: ['admin'] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('body.scopes');
  });

  it('starts a web session with a token: HttpOnly SameSite cookie, CSRF required for changes', async () => {
    const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { token: TEST_ADMIN_TOKEN } });
    expect(login.statusCode).toBe(200);
    const setCookie = String(login.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Secure/i);
    const { csrfToken } = login.json();
    const cookie = cookieFrom(login);

    const me = await t.app.inject({ url: '/api/v1/auth/session', headers: { cookie } });
    expect(me.json()).toMatchObject({ user: { name: 'admin', role: 'admin' }, via: 'session', csrfToken });

    const withoutCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { cookie },
      payload: { name: 'csrf-team', type: 'platform' },
    });
    expect(withoutCsrf.statusCode).toBe(403);
    expect(withoutCsrf.json().detail).toMatch(/CSRF/);

    const withCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: { cookie, 'x-csrf-token': csrfToken },
      payload: { name: 'csrf-team', type: 'platform' },
    });
    expect(withCsrf.statusCode).toBe(201);
    const entry = (await t.app.inject({ url: '/api/v1/journal?kind=catalog.team.created', headers: t.as('admin') })).json()
      .items[0];
    expect(entry.actor).toBe('user:admin');

    const logout = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(logout.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/auth/session', headers: { cookie } })).statusCode).toBe(401);
  });

  it('signs in with a password, and refuses a wrong one', async () => {
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: t.as('admin'),
      payload: { name: 'pat', password: 'a long passphrase' },
    });
    expect(created.statusCode).toBe(201);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { name: 'pat', password: 'a long passphrase' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().scopes.sort()).toEqual(['read', 'write']);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { name: 'pat', password: 'nope nope' },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('VIGIL_UNAUTHENTICATED');
  });

  it("lets only a team's members and admins change what the team owns", async () => {
    const admin = t.as('admin');
    for (const name of ['member-one', 'outsider']) {
      await t.app.inject({ method: 'POST', url: '/api/v1/users', headers: admin, payload: { name } });
    }
    const team = await t.app.inject({
      method: 'POST',
      url: '/api/v1/teams',
      headers: admin,
      payload: { name: 'owners', type: 'stream-aligned', members: ['member-one'] },
    });
    expect(team.statusCode).toBe(201);
    const service = await t.app.inject({
      method: 'POST',
      url: '/api/v1/entities',
      headers: admin,
      payload: { kind: 'service', name: 'owned-svc', owner: 'owners' },
    });
    expect(service.statusCode).toBe(201);
    const tokenFor = async (user: string): Promise<string> =>
      (
        await t.app.inject({
          method: 'POST',
          url: '/api/v1/tokens',
          headers: admin,
          payload: { name: `${user}-t`, scopes: ['read', 'write'], user },
        })
      ).json().token;
    const member = { authorization: `Bearer ${await tokenFor('member-one')}` };
    const outsider = { authorization: `Bearer ${await tokenFor('outsider')}` };
    const change = { kind: 'service', name: 'owned-svc', owner: 'owners', tier: 'tier-1' };
    const denied = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/entities/service/owned-svc',
      headers: outsider,
      payload: change,
    });
    expect(denied.statusCode).toBe(403);
    const allowed = await t.app.inject({
      method: 'PUT',
      url: '/api/v1/entities/service/owned-svc',
      headers: member,
      payload: change,
    });
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().tier).toBe('tier-1');
  });
});
