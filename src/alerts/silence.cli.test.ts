import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../cli/context.ts';
import { runCli } from '../cli/testing.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { createTestVigil, type TestVigil } from '../testing/vigil.ts';
import { registerSilenceCommands } from './silence.cli.ts';

describe('vigil silence and vigil alert-policy', () => {
  let t: TestVigil;
  let server: string;
  let dir: string;

  beforeAll(async () => {
    t = await createTestVigil('sqlite');
    server = await t.app.listen({ port: 0, host: '127.0.0.1' });
    await seedCatalog(t.db, t.vigil.catalog);
    dir = mkdtempSync(join(tmpdir(), 'vigil-policy-'));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const vigil = (role: keyof TestVigil['tokens'], ...args: string[]): Promise<string> =>
    runCli(registerSilenceCommands, ['--server', server, '--token', t.tokens[role], ...args]);

  it('creates, lists and expires silences, and silences one alert by its id', async () => {
    const made = await vigil(
      'admin',
      'silence',
      'create',
      'service="checkout"',
      'severity=~"warning|info"',
      '--for',
      '2h',
      '-c',
      'deploy',
    );
    expect(made).toMatch(/^Silence \S+ \(active\)\n {2}matchers: service="checkout", severity=~"warning\|info"\n/);
    const id = /^Silence (\S+)/.exec(made)?.[1] as string;
    expect(await vigil('read', 'silence', 'list')).toMatch(
      new RegExp(`${id}\\s+active\\s+service="checkout", severity=~"warning\\|info"`),
    );
    const json = JSON.parse(await vigil('read', '--json', 'silence', 'list'));
    expect(json.items.map((s: { id: string }) => s.id)).toEqual([id]);
    expect(await vigil('admin', 'silence', 'expire', id)).toContain(`Expired ${id}`);
    expect(await vigil('read', 'silence', 'list')).toBe('No active or pending silences.\n');
    expect(await vigil('read', 'silence', 'list', '--state', 'expired')).toContain(id);

    const integration = await t.app.inject({
      method: 'POST',
      url: '/api/v1/integrations',
      headers: t.as('admin'),
      payload: { name: 'pd', service: 'checkout', type: 'events-api-v2' },
    });
    const sent = await t.app.inject({
      method: 'POST',
      url: '/v2/enqueue',
      headers: { 'content-type': 'application/json' },
      payload: {
        routing_key: integration.json().key,
        event_action: 'trigger',
        dedup_key: 'db/lag',
        payload: { summary: 'lag', source: 'db', severity: 'error' },
      },
    });
    expect(sent.statusCode).toBe(202);
    const [alert] = (await t.app.inject({ method: 'GET', url: '/api/v1/alerts', headers: t.as('read') })).json().items;
    const one = JSON.parse(await vigil('admin', '--json', 'silence', 'alert', alert.id, '--for', '30m'));
    expect(one.matchers).toEqual(['service="checkout"', 'dedup_key="db/lag"']);
  });

  it('gets, sets and resets a service alert policy from a YAML file', async () => {
    expect(await vigil('read', 'alert-policy', 'get', 'checkout')).toMatch(/^Alert policy of checkout \(the defaults\)/);
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'urgency:\n  warning: high\ngrouping:\n  groupBy: [alertname]\n');
    expect(await vigil('admin', 'alert-policy', 'set', 'checkout', '-f', file)).toBe('Alert policy of checkout updated.\n');
    const got = JSON.parse(await vigil('read', '--json', 'alert-policy', 'get', 'checkout'));
    expect(got).toMatchObject({
      custom: true,
      policy: { urgency: { warning: 'high' }, grouping: { groupBy: ['alertname'], groupWait: '30s' } },
    });
    expect(await vigil('admin', 'alert-policy', 'reset', 'checkout')).toContain('back to the defaults');
    expect(JSON.parse(await vigil('read', '--json', 'alert-policy', 'get', 'checkout')).custom).toBe(false);
  });

  it('fails with a message and an exit code, and changes nothing', async () => {
    await expect(vigil('admin', 'silence', 'create', 'service=~".*"', '-c', 'all of it')).rejects.toMatchObject({
      exitCode: EXIT.invalid,
      message: expect.stringContaining('matchers: at least one matcher must not match the empty string'),
    });
    await expect(vigil('admin', 'silence', 'create', 'service="checkout"', '--for', 'soon', '-c', 'x')).rejects.toMatchObject({
      exitCode: EXIT.invalid,
      message: expect.stringContaining('duration'),
    });
    await expect(vigil('admin', 'silence', 'create', 'service="checkout"', '--end', 'tomorrow', '-c', 'x')).rejects.toMatchObject(
      {
        exitCode: EXIT.invalid,
      },
    );
    await expect(vigil('read', 'silence', 'create', 'service="checkout"', '-c', 'x')).rejects.toMatchObject({
      exitCode: EXIT.invalid,
    });
    await expect(vigil('admin', 'silence', 'expire', 'no-such-silence')).rejects.toMatchObject({ exitCode: EXIT.notFound });
    await expect(vigil('admin', 'silence', 'alert', 'no-such-alert')).rejects.toMatchObject({ exitCode: EXIT.notFound });
    expect(await vigil('read', 'silence', 'list', '--state', 'all')).not.toContain('all of it');

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'grouping:\n  groupWait: soon\n');
    await expect(vigil('admin', 'alert-policy', 'set', 'checkout', '-f', bad)).rejects.toMatchObject({
      exitCode: EXIT.invalid,
      message: expect.stringContaining('policy.grouping.groupWait'),
    });
    await expect(vigil('admin', 'alert-policy', 'set', 'checkout', '-f', join(dir, 'missing.yaml'))).rejects.toMatchObject({
      exitCode: EXIT.invalid,
    });
    await expect(vigil('read', 'alert-policy', 'get', 'nope')).rejects.toMatchObject({ exitCode: EXIT.notFound });
    expect(JSON.parse(await vigil('read', '--json', 'alert-policy', 'get', 'checkout')).custom).toBe(false);
  });
});
