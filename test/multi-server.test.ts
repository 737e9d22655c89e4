import { afterAll, describe, expect, it } from 'vitest';
import { freshPostgresUrl } from '../src/db/testing.ts';
import { startVigil, type Vigil } from '../src/server.ts';

const TOKEN = 'vgl_multi_server_admin_token_42';

describe('two servers on one PostgreSQL', () => {
  const pg = freshPostgresUrl();
  const servers: Array<Vigil & { url: string }> = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
    await pg.drop();
  });

  it('start together on an empty database (migrations race safely) and serve the same data', async () => {
    const started = await Promise.all(
      [0, 1].map(() => startVigil({ db: pg.url, port: 0, adminToken: TOKEN, examples: null, webRoot: '/nonexistent' })),
    );
    servers.push(...started);
    const [a, b] = started as [Vigil & { url: string }, Vigil & { url: string }];
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

    const created = await fetch(`${a.url}/api/v1/teams`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'shared-team', type: 'platform', title: 'Shared' }),
    });
    expect(created.status).toBe(201);

    const seen = await fetch(`${b.url}/api/v1/teams/shared-team`, { headers });
    expect(seen.status).toBe(200);
    expect((await seen.json()).title).toBe('Shared');

    // A change through B is in the journal A serves.
    await fetch(`${b.url}/api/v1/teams/shared-team`, {
      method: 'PUT',
      headers,
      body: JSON.stringify({ name: 'shared-team', type: 'platform', title: 'Renamed' }),
    });
    const audit = await (await fetch(`${a.url}/api/v1/journal?kind=catalog.team`, { headers })).json();
    expect(audit.items.map((e: { kind: string }) => e.kind)).toEqual(['catalog.team.updated', 'catalog.team.created']);
  });

  it('streams journal entries written by one replica to subscribers of the other', async () => {
    const [a, b] = servers as [Vigil & { url: string }, Vigil & { url: string }];
    const controller = new AbortController();
    const res = await fetch(`${a.url}/api/v1/journal/stream`, {
      headers: { authorization: `Bearer ${TOKEN}` },
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    // Wait for the stream to be open before writing on the other replica.
    await reader.read();
    await fetch(`${b.url}/api/v1/teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'streamed-team', type: 'enabling' }),
    });
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('streamed-team')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    expect(text).toMatch(/event: journal\ndata: .*catalog\.team\.created.*streamed-team/);
  });
});
