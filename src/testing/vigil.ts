import { FakeClock } from '../core/clock.ts';
import { freshPostgresUrl } from '../db/testing.ts';
import { createVigil, type Vigil } from '../server.ts';

export interface TestVigil {
  vigil: Vigil;
  app: Vigil['app'];
  db: Vigil['db'];
  clock: FakeClock;
  /** Bearer tokens of users with exactly these scopes (`admin` is the admin user). */
  tokens: { admin: string; read: string; write: string; ingest: string };
  /** `{ authorization: 'Bearer …' }` for a role. */
  as(role: keyof TestVigil['tokens']): { authorization: string };
  close(): Promise<void>;
}

export const TEST_ADMIN_TOKEN = 'vgl_test_admin_token_0123456789';

/**
 * A whole Vigil on a fresh database of the given dialect, for `app.inject()` tests. No port is
 * opened; workers are off so tests drive jobs explicitly; the clock is fake.
 */
export async function createTestVigil(
  dialect: 'sqlite' | 'postgres',
  options: { examples?: string | null; clock?: FakeClock } = {},
): Promise<TestVigil> {
  const clock = options.clock ?? new FakeClock('2026-03-02T10:00:00Z');
  const pg = dialect === 'postgres' ? freshPostgresUrl() : null;
  const url = pg ? pg.url : 'sqlite::memory:';
  const vigil = await createVigil({
    db: url,
    clock,
    adminToken: TEST_ADMIN_TOKEN,
    examples: options.examples ?? null,
    workers: false,
    webRoot: '/nonexistent',
  });
  const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
  const tokens = { admin: TEST_ADMIN_TOKEN, read: '', write: '', ingest: '' };
  for (const scope of ['read', 'write', 'ingest'] as const) {
    await vigil.app.inject({
      method: 'POST',
      url: '/api/v1/users',
      headers: admin,
      payload: { name: `${scope}-user`, role: 'member' },
    });
    const res = await vigil.app.inject({
      method: 'POST',
      url: '/api/v1/tokens',
      headers: admin,
      payload: { name: `${scope}-token`, scopes: [scope], user: `${scope}-user` },
    });
    if (res.statusCode !== 201) throw new Error(`test token for ${scope}: ${res.statusCode} ${res.body}`);
    tokens[scope] = (res.json() as { token: string }).token;
  }
  return {
    vigil,
    app: vigil.app,
    db: vigil.db,
    clock,
    tokens,
    as: (role) => ({ authorization: `Bearer ${tokens[role]}` }),
    async close() {
      await vigil.close();
      await pg?.drop();
    },
  };
}
