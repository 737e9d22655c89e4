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

  it('two replicas that take triggers of the same keys at once open one alert per key and lose no event', async () => {
    const [a, b] = servers as [Vigil & { url: string }, Vigil & { url: string }];
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const applied = await fetch(`${a.url}/api/v1/manifests/apply`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        files: [
          {
            path: 'svc.yaml',
            content: 'apiVersion: vigil.dev/v1\nkind: Service\nmetadata: { name: shared-svc }\nspec: { owner: shared-team }\n',
          },
        ],
      }),
    });
    expect(applied.status, await applied.clone().text()).toBe(200);
    const made = await fetch(`${a.url}/api/v1/integrations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'shared-pd', service: 'shared-svc', type: 'events-api-v2' }),
    });
    expect(made.status).toBe(201);
    const key = (await made.json()).key as string;
    const keys = Array.from({ length: 20 }, (_, i) => `race/${i}`);
    const send = (url: string, dedupKey: string) =>
      fetch(`${url}/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          routing_key: key,
          event_action: 'trigger',
          dedup_key: dedupKey,
          payload: { summary: dedupKey, source: 'race', severity: 'critical' },
        }),
      }).then((r) => r.status);
    // Every key is sent three times to each replica, all at once.
    const statuses = await Promise.all(keys.flatMap((k) => [a.url, b.url, a.url, b.url, a.url, b.url].map((u) => send(u, k))));
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    const res = await fetch(`${a.url}/api/v1/alerts?status=all&service=shared-svc&limit=500`, { headers });
    const alerts = (await res.json()).items as Array<{ dedupKey: string; status: string; eventCount: number }>;
    expect(alerts.map((x) => x.dedupKey).sort()).toEqual([...keys].sort());
    expect(alerts.filter((x) => x.status !== 'triggered' || x.eventCount !== 6)).toEqual([]);
  });
});
