import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allows } from '../auth/principal.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';

/**
 * Walks every registered route with every role. Anonymous callers get 401 on anything not
 * public; a token without the needed scope gets 403; a token with it gets past access control
 * (whatever the handler then says about the dummy input).
 */
describe('every route declares who may call it', () => {
  let t: TestVigil;
  beforeAll(async () => {
    t = await createTestVigil('sqlite');
  });
  afterAll(async () => {
    await t.close();
  });

  const roles = ['read', 'write', 'ingest', 'admin'] as const;
  const scopesOf = { read: ['read'], write: ['write'], ingest: ['ingest'], admin: ['read', 'write', 'admin', 'ingest'] } as const;

  it('has routes, each with an access level', () => {
    expect(t.vigil.routes.length).toBeGreaterThan(20);
    for (const r of t.vigil.routes) expect(['public', 'read', 'write', 'admin', 'ingest']).toContain(r.access);
  });

  it('enforces the declared access for anonymous callers and each scope', async () => {
    const checked: string[] = [];
    for (const route of t.vigil.routes) {
      // The live stream never ends; its access is checked below with a denied caller only.
      const streaming = route.url.endsWith('/stream');
      const url = route.url.replace(/\*$/, 'x').replace(/:(\w+)/g, 'route-walk-$1');
      const payload = ['POST', 'PUT', 'PATCH'].includes(route.method) ? {} : undefined;

      const anonymous = await t.app.inject({ method: route.method as 'GET', url, payload });
      if (route.access === 'public') expect(anonymous.statusCode, `${route.method} ${route.url}`).not.toBe(401);
      else expect(anonymous.statusCode, `${route.method} ${route.url} anonymous`).toBe(401);
      if (anonymous.statusCode >= 400) {
        // Badges are images wherever they are embedded, even for a probe that does not exist;
        // endpoints that speak another tool's protocol answer in that tool's error format.
        const foreign = route.url === '/v2/enqueue' || route.url.startsWith('/api/v1/integrations/alertmanager/');
        const expected = route.url.endsWith('.svg') ? 'image/svg+xml' : foreign ? 'application/json' : 'application/problem+json';
        expect(anonymous.headers['content-type'], `${route.method} ${route.url}`).toContain(expected);
      }

      for (const role of roles) {
        const principal = { scopes: new Set(scopesOf[role]) } as unknown as Parameters<typeof allows>[0];
        const permitted = allows(principal, route.access);
        if (streaming && permitted) continue;
        const res = await t.app.inject({ method: route.method as 'GET', url, payload, headers: t.as(role) });
        const label = `${route.method} ${route.url} as ${role}`;
        if (permitted) {
          expect(res.statusCode, label).not.toBe(401);
          if (res.statusCode === 403) expect(res.json().detail, label).not.toMatch(/scope/);
          expect(res.statusCode, `${label}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        } else {
          expect(res.statusCode, label).toBe(403);
          expect(res.json().code, label).toBe('VIGIL_FORBIDDEN');
        }
      }
      checked.push(`${route.method} ${route.url}`);
    }
    expect(checked.length).toBe(t.vigil.routes.length);
  });
});
