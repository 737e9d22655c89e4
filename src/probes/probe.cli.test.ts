import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVigil, PROJECT_ROOT, type Vigil } from '../server.ts';
import { seedCatalog } from '../slo/slo.testing.ts';
import { CHECK_FAILED, latency, uptimeBar, uptimeChar } from './probe.cli.ts';

const TOKEN = 'vgl_probe_cli_test_admin_token_0123456789';
const CLI = join(PROJECT_ROOT, 'bin', 'vigil.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A local HTTP target answering every request with one status and body. */
async function target(status: number, body: string, type: string): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health` };
}

// Every command is a fresh Node process (about a second each, more on a busy machine).
describe('vigil probe and vigil heartbeat against a running server', { timeout: 240_000 }, () => {
  let vigil: Vigil;
  let url: string;
  const targets: Server[] = [];

  function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        env: { ...process.env, VIGIL_URL: url, VIGIL_TOKEN: TOKEN, ...env },
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  async function api(method: 'GET' | 'POST', path: string, payload?: object) {
    const res = await vigil.app.inject({ method, url: path, headers: { authorization: `Bearer ${TOKEN}` }, payload });
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode} ${res.body}`);
    return res.json();
  }

  beforeAll(async () => {
    const healthy = await target(200, JSON.stringify({ status: 'ok', version: '1.4.2' }), 'application/json');
    const broken = await target(500, 'database unavailable\nretrying in 5s\n', 'text/plain');
    targets.push(healthy.server, broken.server);

    // The probe runner runs with the real clock, as in production; the other workers stay off.
    vigil = await createVigil({
      db: 'sqlite::memory:',
      adminToken: TOKEN,
      examples: null,
      workers: false,
      probes: true,
      webRoot: '/nonexistent',
    });
    url = await vigil.app.listen({ port: 0, host: '127.0.0.1' });
    await seedCatalog(vigil.db, vigil.catalog);

    const http = (u: string) => ({ url: u });
    await api('POST', '/api/v1/probes', {
      name: 'shop-home',
      service: 'checkout',
      type: 'http',
      description: 'The shop home page',
      interval: '10s',
      timeout: '5s',
      http: http(healthy.url),
      conditions: ['[STATUS] == 200', '[BODY].status == ok'],
    });
    await api('POST', '/api/v1/probes', {
      name: 'shop-api',
      service: 'checkout',
      type: 'http',
      interval: '10s',
      timeout: '5s',
      retries: 0,
      http: http(broken.url),
      conditions: ['[STATUS] == 200'],
    });
    await api('POST', '/api/v1/probes', {
      name: 'nightly-export',
      service: 'ledger',
      type: 'heartbeat',
      heartbeat: { period: '1h', grace: '10m' },
    });
    // More heartbeats than one page of the list holds (50), so `status` has to follow pages.
    for (let i = 1; i <= 52; i++) {
      await api('POST', '/api/v1/probes', {
        name: `batch-${String(i).padStart(2, '0')}`,
        service: 'search',
        type: 'heartbeat',
        heartbeat: { period: '1d' },
      });
    }

    // The runner spreads first checks over the 10-second interval; wait for both verdicts.
    const deadline = Date.now() + 40_000;
    for (;;) {
      const [home, shopApi] = await Promise.all([api('GET', '/api/v1/probes/shop-home'), api('GET', '/api/v1/probes/shop-api')]);
      if (home.status === 'up' && shopApi.status === 'down') break;
      if (Date.now() > deadline)
        throw new Error(
          `probes did not settle: shop-home ${home.status}, shop-api ${shopApi.status} ${JSON.stringify(vigil.probeRunner?.stats())} ${JSON.stringify(await api('GET', '/api/v1/probes/shop-api/results'))}`,
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }, 180_000);

  afterAll(async () => {
    await vigil?.close();
    for (const server of targets) server.close();
  });

  it('lists probes as a table with a status footer, filtered and paged, and as JSON', async () => {
    const [table, down, page, json] = await Promise.all([
      cli(['probe', 'list', '--service', 'checkout']),
      cli(['probe', 'list', '--status', 'down']),
      cli(['probe', 'list', '--limit', '2', '--offset', '1']),
      cli(['probe', 'list', '--type', 'http', '--json']),
    ]);
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SERVICE\s+TYPE\s+STATUS\s+LAST CHECK\s+LATENCY\s+24H\s+7D$/);
    // Sorted by name; the 24-hour column fills once the first minute is complete.
    expect(lines[1]).toMatch(
      /^shop-api\s+checkout\s+http\s+down \([\dhms]+\)\s+(just now|[\dhms]+ ago), failed\s+[\d.]+m?s\s+(0%|-)\s+0%$/,
    );
    expect(lines[2]).toMatch(
      /^shop-home\s+checkout\s+http\s+up \([\dhms]+\)\s+(just now|[\dhms]+ ago)\s+[\d.]+m?s\s+(100%|-)\s+100%$/,
    );
    expect(table.stdout).toContain('\n1 up, 1 down, 0 unknown, 0 paused · showing 1–2 of 2\n');

    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^shop-api\s+checkout\s+http\s+down/m);
    expect(down.stdout).not.toMatch(/shop-home/);

    // batch-01 … batch-52, nightly-export, shop-api, shop-home: the second and third.
    expect(page.stdout.split('\n')[1]).toMatch(/^batch-02\s+search\s+heartbeat\s+unknown\s+-\s+-\s+-\s+-$/);
    expect(page.stdout).toMatch(/^batch-03\s/m);
    expect(page.stdout).toContain('1 up, 1 down, 53 unknown, 0 paused · showing 2–3 of 55');

    const list = JSON.parse(json.stdout);
    expect(list).toMatchObject({ total: 2, offset: 0, counts: { up: 1, down: 1, unknown: 0, paused: 0 } });
    expect(list.items.map((p: { name: string; status: string }) => [p.name, p.status])).toEqual([
      ['shop-api', 'down'],
      ['shop-home', 'up'],
    ]);
    expect(list.items[1]).toMatchObject({ target: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/health$/), lastOk: true });
  });

  it('prints the status of every probe across pages, and one probe in detail', async () => {
    const [all, allJson, detail, detailJson] = await Promise.all([
      cli(['probe', 'status']),
      cli(['probe', 'status', '--json']),
      cli(['probe', 'status', 'shop-api']),
      cli(['probe', 'status', 'shop-home', '--json']),
    ]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/^batch-52\s+search\s+heartbeat\s+unknown/m);
    expect(all.stdout).toMatch(/^shop-home\s+checkout\s+http\s+up/m);
    expect(all.stdout).toContain('showing 1–55 of 55');
    const everything = JSON.parse(allJson.stdout);
    expect(everything.items).toHaveLength(55);
    expect(new Set(everything.items.map((p: { name: string }) => p.name)).size).toBe(55);

    expect(detail.stderr).toBe('');
    expect(detail.code).toBe(0);
    const out = detail.stdout;
    expect(out).toMatch(/^shop-api {2}\(http probe of checkout\)$/m);
    expect(out).toMatch(/^status {6}down since \d{4}-\d\d-\d\dT[\d:.]+Z \([\dhms]+\)$/m);
    expect(out).toMatch(/^target {6}http:\/\/127\.0\.0\.1:\d+\/health$/m);
    expect(out).toMatch(/^interval {4}10s$/m);
    expect(out).toMatch(/^last check {2}(just now|[\dhms]+ ago), failed in [\d.]+m?s$/m);
    expect(out).toMatch(/^uptime {6}24h (0%|—) {3}7d 0% {3}30d 0% {3}90d 0%$/m);
    expect(out).toMatch(/^reliability MTBF — {3}MTTF — {3}MTTR — {3}\(1 failure in 90d\)$/m);
    // 89 days without checks, then today, all failed.
    expect(out).toContain(`\n  ${'·'.repeat(89)}▁\n`);
    expect(out).toMatch(/^Alert firing since \S+ \(down\): \[STATUS\] \(500\) == 200$/m);
    expect(out).toContain('\n  | database unavailable\n  | retrying in 5s\n');
    expect(out).toMatch(/^AT\s+FROM\s+TO\s+REASON$/m);
    expect(out).toMatch(/^\S+Z\s+unknown\s+down\s+\[STATUS\] \(500\) == 200$/m);
    expect(out).toMatch(/^AT\s+RESULT\s+STATUS\s+LATENCY\s+WHY$/m);
    expect(out).toMatch(/^\S+Z\s+FAIL\s+500\s+[\d.]+m?s\s+\[STATUS\] \(500\) == 200$/m);

    const home = JSON.parse(detailJson.stdout);
    expect(home).toMatchObject({
      name: 'shop-home',
      status: 'up',
      description: 'The shop home page',
      uptimes: { '7d': 1 },
      openAlert: null,
      transitions: [{ from: 'unknown', to: 'up' }],
    });
    expect(home.daily).toHaveLength(90);
    expect(home.results[0]).toMatchObject({ ok: true, status: 200 });
  });

  it('runs a healthy probe on demand: phases, conditions, body, exit 0', async () => {
    const res = await cli(['probe', 'run', 'shop-home']);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const out = res.stdout;
    expect(out).toMatch(/^Probe shop-home, checked at \S+Z$/m);
    for (const phase of ['DNS', 'Connect', 'TLS', 'First byte', 'Total']) {
      expect(out).toMatch(new RegExp(`^${phase}\\s+\\d+\\.\\d ms$`, 'm'));
    }
    expect(out).toMatch(/^TLS\s+0\.0 ms$/m);
    expect(out).toMatch(/^Status\s+200$/m);
    expect(out).toMatch(/^IP\s+127\.0\.0\.1$/m);
    expect(out).toContain('\n  ✓ [STATUS] (200) == 200\n  ✓ [BODY].status (ok) == ok\n');
    expect(out).toContain('\n  | {"status":"ok","version":"1.4.2"}\n');
    expect(out).toMatch(/^Check passed in [\d.]+m?s$/m);
  });

  it('runs a failing probe on demand: the failed condition and a distinct exit code', async () => {
    const [res, json] = await Promise.all([cli(['probe', 'run', 'shop-api']), cli(['probe', 'run', 'shop-api', '--json'])]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(CHECK_FAILED);
    expect(CHECK_FAILED).toBe(2);
    expect(res.stdout).toMatch(/^Status\s+500$/m);
    expect(res.stdout).toContain('\n  ✗ [STATUS] (500) == 200\n');
    expect(res.stdout).toContain('\n  | database unavailable\n  | retrying in 5s\n');
    expect(res.stdout).toMatch(/^Check FAILED after [\d.]+m?s$/m);
    expect(json.code).toBe(CHECK_FAILED);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      status: 500,
      conditionResults: [{ condition: '[STATUS] == 200', ok: false, description: '[STATUS] (500) == 200' }],
    });

    const heartbeat = await cli(['probe', 'run', 'nightly-export']);
    expect(heartbeat.code).toBe(3);
    expect(heartbeat.stderr).toMatch(/^error: probe "nightly-export" is a heartbeat/);
  });

  it('pauses and resumes a probe', async () => {
    const paused = await cli(['probe', 'pause', 'shop-home']);
    expect(paused.code).toBe(0);
    expect(paused.stdout).toBe('shop-home: paused (status paused)\n');
    const listed = await cli(['probe', 'list', '--status', 'paused']);
    expect(listed.stdout).toMatch(/^shop-home\s+checkout\s+http\s+paused\s+(just now|[\dhms]+ ago)\s+[\d.]+m?s/m);
    // The counts cover every status, whatever the --status filter shows.
    expect(listed.stdout).toContain('0 up, 1 down, 53 unknown, 1 paused · showing 1–1 of 1');

    const resumed = await cli(['probe', 'resume', 'shop-home', '--json']);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ name: 'shop-home', status: 'up', spec: { enabled: true } });
  });

  it('prints a heartbeat key with its ping URL, and a ping brings the probe up', async () => {
    const keyed = await cli(['heartbeat', 'key', 'nightly-export']);
    expect(keyed.stderr).toBe('');
    expect(keyed.code).toBe(0);
    const key = /^key {7}(\S+)$/m.exec(keyed.stdout)?.[1] ?? '';
    expect(key).toMatch(/^hb_/);
    expect(keyed.stdout).toContain(`\nping URL  ${url}/api/v1/heartbeats/${key}\n`);
    expect(keyed.stdout).toContain(`\nfail URL  ${url}/api/v1/heartbeats/${key}/fail\n`);
    expect(keyed.stdout).toContain(`\n  curl -fsS -m 10 --retry 3 -X POST ${url}/api/v1/heartbeats/${key}\n`);
    const asJson = JSON.parse((await cli(['heartbeat', 'key', 'nightly-export', '--json'])).stdout);
    expect(asJson).toEqual({
      probe: 'nightly-export',
      key,
      path: `/api/v1/heartbeats/${key}`,
      url: `${url}/api/v1/heartbeats/${key}`,
      failUrl: `${url}/api/v1/heartbeats/${key}/fail`,
    });

    // A cron job has the key and the server, no token.
    const ping = await cli(['heartbeat', 'ping', key], { VIGIL_TOKEN: '' });
    expect(ping.stderr).toBe('');
    expect(ping.code).toBe(0);
    expect(ping.stdout).toBe('ping accepted: nightly-export is up\n');
    const status = await cli(['probe', 'status', 'nightly-export']);
    expect(status.stdout).toMatch(/^status {6}up since \S+Z \([\dhms]+\)$/m);
    expect(status.stdout).toMatch(/^last ping {3}\S+Z \((just now|[\dhms]+ ago)\)$/m);
    expect(status.stdout).toMatch(/^deadline {4}\S+Z \(in 1h(9m|10m)\)$/m);

    // The job failed: the probe goes down at once, with an alert.
    const failed = await cli(['heartbeat', 'ping', key, '--fail'], { VIGIL_TOKEN: '' });
    expect(failed.code).toBe(0);
    expect(failed.stdout).toBe('failure reported: nightly-export is down\n');
    const alerts = await cli(['probe', 'alerts', '--probe', 'nightly-export']);
    expect(alerts.stdout.split('\n')[0]).toMatch(/^PROBE\s+SERVICE\s+KIND\s+STATE\s+OPENED\s+RESOLVED\s+REASON$/);
    expect(alerts.stdout).toMatch(/^nightly-export\s+ledger\s+down\s+firing\s+\S+Z\s+-\s+the job reported a failure$/m);

    // Rotated: the new key works, the old one is refused.
    const rotated = await cli(['heartbeat', 'key', 'nightly-export', '--rotate']);
    expect(rotated.stdout).toMatch(/^New key for nightly-export; the old one no longer works\./);
    const fresh = /^key {7}(\S+)$/m.exec(rotated.stdout)?.[1] ?? '';
    expect(fresh).toMatch(/^hb_/);
    expect(fresh).not.toBe(key);
    // A whole ping URL works too, as printed for the job.
    const [old, renewed] = await Promise.all([
      cli(['heartbeat', 'ping', key]),
      cli(['heartbeat', 'ping', `${url}/api/v1/heartbeats/${fresh}`]),
    ]);
    expect(old.code).toBe(5);
    expect(old.stderr).toMatch(/no heartbeat has this key/);
    expect(renewed.code).toBe(0);
    expect(renewed.stdout).toBe('ping accepted: nightly-export is up\n');

    const notHeartbeat = await cli(['heartbeat', 'key', 'shop-home']);
    expect(notHeartbeat.code).toBe(3);
    expect(notHeartbeat.stderr).toMatch(/only heartbeats have a ping key/);
  });

  it('lists probe alerts: firing, resolved, as JSON', async () => {
    const [firing, resolved, all] = await Promise.all([
      cli(['probe', 'alerts']),
      cli(['probe', 'alerts', '--state', 'resolved']),
      cli(['probe', 'alerts', '--state', 'all', '--json']),
    ]);
    expect(firing.code).toBe(0);
    expect(firing.stdout).toMatch(/^shop-api\s+checkout\s+down\s+firing\s+\S+Z\s+-\s+\[STATUS\] \(500\) == 200$/m);
    expect(firing.stdout).not.toMatch(/nightly-export/);
    expect(resolved.stdout).toMatch(/^nightly-export\s+ledger\s+down\s+resolved\s+\S+Z\s+\S+Z\s+the job reported a failure$/m);
    const items = JSON.parse(all.stdout).items as Array<{ probe: string; state: string; excerpt: string }>;
    expect(items.map((a) => [a.probe, a.state]).sort()).toEqual([
      ['nightly-export', 'resolved'],
      ['shop-api', 'firing'],
    ]);
    expect(items.find((a) => a.probe === 'shop-api')?.excerpt).toContain('database unavailable');
  });

  it('deletes a probe', async () => {
    const res = await cli(['probe', 'delete', 'batch-52']);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('batch-52: deleted\n');
    const gone = await cli(['probe', 'status', 'batch-52']);
    expect(gone.code).toBe(5);
  });

  it('reports an unknown probe with a message and exit code 5', async () => {
    const runs = await Promise.all([
      cli(['probe', 'status', 'no-such-probe']),
      cli(['probe', 'run', 'no-such-probe']),
      cli(['probe', 'pause', 'no-such-probe']),
      cli(['heartbeat', 'ping', 'hb_no_such_key_000000']),
    ]);
    for (const r of runs) {
      expect(r.code).toBe(5);
      expect(r.stdout).toBe('');
    }
    expect(runs[0]?.stderr).toBe('error: no probe named "no-such-probe"\n');
    expect(runs[1]?.stderr).toBe('error: no probe named "no-such-probe"\n');
    expect(runs[3]?.stderr).toMatch(/^error: no heartbeat has this key/);
  });

  it('refuses bad flags and arguments with a non-zero exit code', async () => {
    const [status, limit, type, state, missing, unknown, noToken] = await Promise.all([
      cli(['probe', 'list', '--status', 'sideways']),
      cli(['probe', 'list', '--limit', '0']),
      cli(['probe', 'list', '--type', 'icmp']),
      cli(['probe', 'alerts', '--state', 'maybe']),
      cli(['probe', 'run']),
      cli(['probe', 'list', '--colour']),
      cli(['probe', 'list'], { VIGIL_TOKEN: '' }),
    ]);
    expect(status.code).toBe(3);
    expect(status.stderr).toBe('error: --status must be one of up, down, unknown, paused (got "sideways")\n');
    expect(limit.code).toBe(3);
    expect(limit.stderr).toMatch(/--limit must be a whole number of at least 1/);
    expect(type.code).toBe(3);
    expect(type.stderr).toMatch(/--type must be one of http, tcp, dns, tls, heartbeat/);
    expect(state.code).toBe(3);
    expect(state.stderr).toMatch(/--state must be one of firing, resolved, all/);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/missing required argument 'name'/);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/unknown option '--colour'/);
    expect(noToken.code).toBe(4);
    expect(noToken.stderr).toMatch(/VIGIL_TOKEN/);
  });

  it('formats uptime bars and latencies for people', () => {
    expect([0.9995, 0.999, 0.995, 0.96, 0.5, null].map(uptimeChar).join('')).toBe('██▆▃▁·');
    expect(uptimeBar([{ uptime: null }, { uptime: 1 }, { uptime: 0.98 }])).toBe('·█▃');
    expect(latency(87.4)).toBe('87ms');
    expect(latency(1420)).toBe('1.42s');
    expect(latency(2000)).toBe('2s');
    expect(latency(null)).toBeNull();
  });
});
