import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultExamplesDir, startVigil, type Vigil } from '../src/server.ts';
import { TEST_ADMIN_TOKEN } from '../src/testing/vigil.ts';

/**
 * A real Alertmanager (Debian package `prometheus-alertmanager`) pointed at Vigil twice: a
 * `webhook_configs` receiver posting to the Alertmanager integration, and a `pagerduty_configs`
 * receiver whose `url` is Vigil's Events API v2 endpoint. Alerts posted to Alertmanager must
 * arrive in Vigil through both, firing and then resolved.
 */

const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out ${what}${last ? `: ${String(last)}` : ''}`);
}

interface AlertOut {
  dedupKey: string;
  status: string;
  summary: string;
  severity: string;
  service: string;
  integration: string | null;
  origin: string;
}

describe('a real Alertmanager sends to Vigil through a webhook and a PagerDuty receiver', () => {
  let vigil: Vigil & { url: string };
  let dir = '';
  let am: ChildProcess | null = null;
  let amUrl = '';
  let amLog = '';

  const alerts = async (): Promise<AlertOut[]> => {
    const res = await fetch(`${vigil.url}/api/v1/alerts?status=all&limit=100`, { headers });
    return ((await res.json()) as { items: AlertOut[] }).items;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-alertmanager-'));
    vigil = await startVigil({
      db: `sqlite:${join(dir, 'vigil.db')}`,
      port: 0,
      adminToken: TEST_ADMIN_TOKEN,
      examples: defaultExamplesDir(),
      workers: false,
      webRoot: '/nonexistent',
    });
    const create = async (name: string, service: string, type: string) => {
      const res = await fetch(`${vigil.url}/api/v1/integrations`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name, service, type }),
      });
      expect(res.status).toBe(201);
      return (await res.json()) as { key: string; path: string };
    };
    const webhook = await create('search-alertmanager', 'search', 'alertmanager');
    const pagerduty = await create('checkout-pagerduty', 'checkout', 'events-api-v2');

    const port = await freePort();
    amUrl = `http://127.0.0.1:${port}`;
    await writeFile(
      join(dir, 'alertmanager.yml'),
      [
        'route:',
        '  receiver: vigil-webhook',
        '  group_by: [alertname]',
        '  group_wait: 500ms',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        '  routes:',
        '    - receiver: vigil-pagerduty',
        '      matchers: [ team="payments" ]',
        '      group_wait: 500ms',
        '      group_interval: 1s',
        'receivers:',
        '  - name: vigil-webhook',
        '    webhook_configs:',
        `      - url: ${vigil.url}${webhook.path}`,
        '        send_resolved: true',
        '  - name: vigil-pagerduty',
        '    pagerduty_configs:',
        `      - routing_key: ${pagerduty.key}`,
        `        url: ${vigil.url}/v2/enqueue`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    const child = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'am')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    am = child;
    const keep = (chunk: Buffer): void => {
      amLog = (amLog + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (error) =>
        reject(
          (error as NodeJS.ErrnoException).code === 'ENOENT'
            ? new Error('prometheus-alertmanager is not installed: apt-get install -y prometheus-alertmanager, as .ci/run does')
            : error,
        ),
      );
    });
    await until('for Alertmanager to be ready', 20_000, async () =>
      (await fetch(`${amUrl}/-/ready`)).ok ? true : undefined,
    ).catch((error) => {
      throw new Error(`${error}\n${amLog}`);
    });
  }, 60_000);

  afterAll(async () => {
    if (am?.pid !== undefined && am.exitCode === null) {
      const exited = new Promise((resolve) => am?.once('exit', resolve));
      am.kill('SIGTERM');
      await exited;
    }
    await vigil?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers firing and resolved alerts through both receivers', async () => {
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const post = (extra: Record<string, unknown>) =>
      fetch(`${amUrl}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          {
            labels: { alertname: 'SearchLatencyHigh', severity: 'warning', instance: 'search-1', team: 'search' },
            annotations: { summary: 'Search p99 above 800 ms' },
            startsAt,
            ...extra,
          },
          {
            labels: { alertname: 'CheckoutErrors', severity: 'critical', instance: 'checkout-1', team: 'payments' },
            annotations: { summary: 'Checkout error rate 5%' },
            startsAt,
            ...extra,
          },
        ]),
      });
    expect((await post({})).status).toBe(200);

    const firing = await until('for both alerts to arrive', 20_000, async () => {
      const list = await alerts();
      return list.length >= 2 ? list : undefined;
    }).catch((error) => {
      throw new Error(`${error}\n${amLog}`);
    });
    const byService = Object.fromEntries(firing.map((a) => [a.service, a]));
    expect(byService.search).toMatchObject({
      status: 'triggered',
      summary: 'Search p99 above 800 ms',
      severity: 'warning',
      integration: 'search-alertmanager',
      origin: 'alertmanager',
    });
    // Alertmanager's PagerDuty receiver writes its own summary from the group; the severity comes through.
    expect(byService.checkout).toMatchObject({ status: 'triggered', integration: 'checkout-pagerduty', origin: 'events-api-v2' });
    expect(byService.checkout?.summary).toContain('CheckoutErrors');

    // Ending the alerts makes Alertmanager send "resolved" through both receivers.
    expect((await post({ endsAt: new Date(Date.now() - 1000).toISOString() })).status).toBe(200);
    const resolved = await until('for both alerts to resolve', 20_000, async () => {
      const list = await alerts();
      return list.every((a) => a.status === 'resolved') && list.length === 2 ? list : undefined;
    }).catch((error) => {
      throw new Error(`${error}\n${amLog}`);
    });
    expect(resolved.map((a) => a.service).sort()).toEqual(['checkout', 'search']);
  }, 60_000);
});
