import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../cli/context.ts';
import { runCli } from '../cli/testing.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { registerAlertCommands } from './alert.cli.ts';

describe('vigil integration and vigil alert', () => {
  let t: TestVigil;
  let server: string;

  beforeAll(async () => {
    t = await createTestVigil('sqlite');
    server = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await seedCatalog(t.db, t.vigil.catalog);
  });
  afterAll(async () => {
    await t.close();
  });

  async function vigil(role: keyof TestVigil['tokens'], ...args: string[]): Promise<string> {
    return runCli(registerAlertCommands, ['--server', server, '--token', t.tokens[role], ...args]);
  }

  it('creates an integration, prints the key and URL once, and alerts sent with it can be listed, acknowledged and resolved', async () => {
    const created = await vigil(
      'admin',
      'integration',
      'create',
      'checkout-pd',
      '--service',
      'checkout',
      '--type',
      'events-api-v2',
    );
    const key = /key: (vik_\S+)/.exec(created)?.[1] as string;
    expect(key).toBeDefined();
    expect(created).toContain(`url: ${server}/v2/enqueue`);
    expect(created).toContain(`routing_key: ${key}`);

    const json = JSON.parse(
      await vigil('admin', '--json', 'integration', 'create', 'search-am', '--service', 'search', '--type', 'alertmanager'),
    );
    expect(json.url).toBe(`${server}/api/v1/integrations/alertmanager/${json.key}`);

    const list = await vigil('read', 'integration', 'list');
    expect(list).toMatch(/checkout-pd\s+checkout\s+events-api-v2\s+vik_\S{4}…\s+6000\s+active/);
    expect(list).not.toContain(key);

    expect(await vigil('read', 'alert', 'list')).toBe('No open alerts.\n');
    for (const dedup of ['a', 'b']) {
      const res = await fetch(`${server}/v2/enqueue`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          routing_key: key,
          event_action: 'trigger',
          dedup_key: dedup,
          payload: { summary: `Checkout errors (${dedup})`, source: 'checkout-1', severity: 'critical' },
        }),
      });
      expect(res.status).toBe(202);
    }
    const open = await vigil('read', 'alert', 'list');
    expect(open.split('\n')[0]).toMatch(/^ID\s+STATUS\s+SEVERITY\s+SERVICE\s+SUMMARY\s+EVENTS\s+OPENED$/);
    expect(open).toMatch(/triggered\s+critical\s+checkout\s+Checkout errors \(a\)\s+1/);
    expect(open).toContain('showing 1–2 of 2');

    const ids = (JSON.parse(await vigil('read', '--json', 'alert', 'list')).items as Array<{ id: string; dedupKey: string }>).map(
      (a) => a.id,
    );
    expect(await vigil('admin', 'alert', 'ack', ids[0] as string)).toMatch(/^Acknowledged .*Checkout errors/);
    expect(await vigil('admin', 'alert', 'resolve', ...ids)).toMatch(/Resolved .*\nResolved /);
    expect(await vigil('read', 'alert', 'list')).toBe('No open alerts.\n');
    const all = JSON.parse(await vigil('read', '--json', 'alert', 'list', '--status', 'resolved')).items as Array<{
      status: string;
      acknowledgedAt: number | null;
    }>;
    expect(all.map((a) => a.status)).toEqual(['resolved', 'resolved']);
    expect(all.filter((a) => a.acknowledgedAt !== null)).toHaveLength(1);

    const rotated = await vigil('admin', 'integration', 'rotate', 'checkout-pd');
    expect(rotated).not.toContain(key);
    expect(await vigil('admin', 'integration', 'revoke', 'checkout-pd')).toContain('Revoked checkout-pd');
  });

  it('fails with a message and an exit code', async () => {
    await expect(vigil('admin', 'integration', 'create', 'x', '--service', 'checkout', '--type', 'pager')).rejects.toMatchObject({
      exitCode: EXIT.invalid,
    });
    await expect(vigil('admin', 'integration', 'create', 'y', '--service', 'nope', '--type', 'webhook')).rejects.toMatchObject({
      exitCode: EXIT.invalid,
    });
    await expect(vigil('admin', 'alert', 'ack', 'no-such-alert')).rejects.toMatchObject({ exitCode: EXIT.notFound });
    await expect(vigil('read', 'integration', 'create', 'z', '--service', 'checkout', '--type', 'webhook')).rejects.toMatchObject(
      { exitCode: EXIT.invalid },
    );
  });
});
