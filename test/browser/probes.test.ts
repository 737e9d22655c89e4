import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startVigil } from '../../src/server.ts';
import {
  ADMIN_TOKEN,
  adminApi,
  ensureWebBuild,
  launchChromium,
  openPage,
  type PageOptions,
  ROOT,
  shot,
  signIn,
  WAIT,
  WEB_ROOT,
} from './harness.ts';

/**
 * The probe pages in a real browser against a real server whose runner checks real targets: two
 * local HTTP servers (one healthy, one answering 500), a TCP port and a heartbeat. SQLite in a
 * temp dir, Debian's Chromium; screenshots land in test-results/.
 */

let server: Awaited<ReturnType<typeof startVigil>>;
let empty: Awaited<ReturnType<typeof startVigil>>;
let browser: Browser;
let dataDir: string;
let healthy: Server;
let failing: Server;
const contexts: BrowserContext[] = [];

const HEALTHY = 'checkout-health';
const FAILING = 'payments-charge';
const PORT_PROBE = 'checkout-port';
const HEARTBEAT = 'nightly-backup';

const newPage = (base: string, options: PageOptions = {}): Promise<Page> => openPage(browser, contexts, base, options);

const signedInPage = async (options: PageOptions = {}, base = server.url): Promise<Page> => signIn(await newPage(base, options));

const api = <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => adminApi<T>(server.url, path, init);

interface Detail {
  name: string;
  status: string;
  lastCheckAt: number | null;
  uptimes: Record<string, number | null>;
}

/** Waits until the runner has checked `name` at least `checks` times and written it. */
async function waitForHistory(name: string, status: string, checks: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const detail = await api<Detail>(`/api/v1/probes/${name}`);
    const results = await api<{ items: unknown[] }>(`/api/v1/probes/${name}/results?limit=50`);
    if (detail.status === status && results.items.length >= checks && detail.uptimes['24h'] !== null) return;
    if (Date.now() > deadline)
      throw new Error(`${name}: still ${detail.status} with ${results.items.length} checks (want ${status}, ${checks})`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer(handler);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

const portOf = (s: Server) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  await ensureWebBuild();
  healthy = await listen((_req, res) => {
    // A little server time, so the first-byte phase has something to show.
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok","version":"1.4.2"}');
    }, 15);
  });
  failing = await listen((_req, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('boom: the payment provider is unreachable');
  });

  dataDir = mkdtempSync(join(tmpdir(), 'vigil-probes-ui-'));
  server = await startVigil({
    db: `sqlite:${join(dataDir, 'vigil.db')}`,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webRoot: WEB_ROOT,
    examples: join(ROOT, 'examples'),
    logger: false,
  });
  // A second server without the example organization: a fresh install, no probes at all.
  empty = await startVigil({
    db: `sqlite:${join(dataDir, 'empty.db')}`,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webRoot: WEB_ROOT,
    examples: null,
    logger: false,
  });

  // The example organization's probes check a demo server that is not running here; the test
  // brings its own targets, so the list holds exactly the probes it creates.
  for (const p of (await api<{ items: Array<{ name: string }> }>('/api/v1/probes?limit=500')).items) {
    await api(`/api/v1/probes/${p.name}`, { method: 'DELETE' });
  }
  const base = { interval: '10s', timeout: '5s', retries: 0 };
  await api('/api/v1/probes', {
    method: 'POST',
    body: {
      ...base,
      name: HEALTHY,
      service: 'checkout',
      type: 'http',
      description: 'The storefront checkout answers its health check.',
      http: { url: `http://127.0.0.1:${portOf(healthy)}/healthz` },
      conditions: ['[STATUS] == 200', '[BODY].status == ok', '[RESPONSE_TIME] < 3000'],
    },
  });
  await api('/api/v1/probes', {
    method: 'POST',
    body: {
      ...base,
      name: FAILING,
      service: 'payments',
      type: 'http',
      http: { url: `http://127.0.0.1:${portOf(failing)}/charge` },
      conditions: ['[STATUS] == 200'],
    },
  });
  await api('/api/v1/probes', {
    method: 'POST',
    body: { ...base, name: PORT_PROBE, service: 'checkout', type: 'tcp', tcp: { host: '127.0.0.1', port: portOf(healthy) } },
  });
  await api('/api/v1/probes', {
    method: 'POST',
    body: { name: HEARTBEAT, service: 'ledger', type: 'heartbeat', heartbeat: { period: '1h', grace: '5m' } },
  });

  // The runner checks every 10 s and writes every few seconds: wait for a little history.
  await Promise.all([waitForHistory(HEALTHY, 'up', 2), waitForHistory(FAILING, 'down', 2), waitForHistory(PORT_PROBE, 'up', 1)]);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await server?.close();
  await empty?.close();
  await new Promise((resolve) => healthy?.close(resolve));
  await new Promise((resolve) => failing?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

const row = (page: Page, name: string) => page.locator(`table.probe-table tr[data-probe="${name}"]`);

describe('probes UI', { timeout: 120_000 }, () => {
  test('a server without probes explains how to add one', async () => {
    const page = await signedInPage({}, empty.url);
    await page.goto('/probes');
    await page.getByRole('heading', { name: 'Probes', level: 1 }).waitFor();
    await page.getByText('No probes yet').waitFor();
    const main = (await page.getByRole('main').textContent()) ?? '';
    expect(main).toContain('kind: Probe');
    expect(main).toContain('[STATUS] == 200');
    expect(main).toContain('vigil apply -f probes.yaml');
    expect(await page.locator('table.probe-table').count()).toBe(0);
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Probes', exact: true }).getAttribute('aria-current')).toBe('page');
    await shot(page, 'probes-empty');
  });

  test('the list shows each probe with its status, last check, latency and uptime', async () => {
    const page = await signedInPage();
    await page.goto('/probes');
    await page.getByRole('heading', { name: 'Probes', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: /Probes, with their status/ });
    await table.waitFor();
    for (const name of [HEALTHY, FAILING, PORT_PROBE, HEARTBEAT]) await row(page, name).waitFor();

    // Status in words, with how long it has held.
    expect(await row(page, HEALTHY).getAttribute('data-status')).toBe('up');
    expect(await row(page, HEALTHY).locator('.probe-status').textContent()).toMatch(/Up/);
    expect(await row(page, HEALTHY).locator('.cell-status').textContent()).toMatch(/for \d+s|for \d+m/);
    expect(await row(page, FAILING).getAttribute('data-status')).toBe('down');
    expect(await row(page, FAILING).locator('.probe-status').textContent()).toMatch(/Down/);
    expect(await row(page, HEARTBEAT).getAttribute('data-status')).toMatch(/unknown|up/);

    // Service links into the catalog; the name into the probe page.
    expect(await row(page, HEALTHY).locator('a[href="/catalog/service/checkout"]').count()).toBe(1);
    expect(await row(page, HEALTHY).locator(`a[href="/probes/${HEALTHY}"]`).count()).toBe(1);
    expect(await row(page, HEALTHY).textContent()).toContain(`127.0.0.1:${portOf(healthy)}/healthz`);

    // Last check outcome, latency and uptimes as figures.
    expect(await row(page, HEALTHY).textContent()).toMatch(/✓ OK/);
    expect(await row(page, FAILING).textContent()).toMatch(/✕ Failed/);
    expect(await row(page, HEALTHY).locator('[data-field="latency"]').textContent()).toMatch(/\d+(\.\d+)? m?s$/);
    expect(await row(page, HEALTHY).locator('[data-window="24h"]').textContent()).toContain('100%');
    expect(await row(page, HEALTHY).locator('[data-window="7d"]').textContent()).toContain('100%');
    expect(await row(page, FAILING).locator('[data-window="24h"]').textContent()).toContain('0.00%');
    expect(await row(page, FAILING).locator('[data-window="24h"] .uptime-bad').count()).toBe(1);

    // The header counts statuses.
    const chips = page.getByRole('list', { name: 'Filter by status' });
    expect(await chips.locator('[data-status="down"] .status-chip-count').textContent()).toBe('1');
    expect(Number(await chips.locator('[data-status="up"] .status-chip-count').textContent())).toBeGreaterThanOrEqual(2);
    await page
      .getByRole('status')
      .filter({ hasText: /^Live$/ })
      .waitFor();
    await shot(page, 'probes-list');
  });

  test('the status chips, type, service and search filter the list, kept in the URL', async () => {
    const page = await signedInPage();
    await page.goto('/probes');
    await row(page, HEALTHY).waitFor();

    // A status chip filters; pressing it again shows every status.
    const downChip = page.getByRole('list', { name: 'Filter by status' }).locator('button[data-status="down"]');
    await downChip.click();
    await page.waitForURL(/status=down/);
    await row(page, HEALTHY).waitFor({ state: 'detached' });
    expect(await page.locator('table.probe-table tbody tr').count()).toBe(1);
    await row(page, FAILING).waitFor();
    expect(await downChip.getAttribute('aria-pressed')).toBe('true');
    // The other chips keep their counts while one is pressed.
    expect(Number(await page.locator('button[data-status="up"] .status-chip-count').textContent())).toBeGreaterThanOrEqual(2);
    await downChip.click();
    await row(page, HEALTHY).waitFor();

    await page.getByLabel('Type').selectOption('tcp');
    await page.waitForURL(/type=tcp/);
    await row(page, HEALTHY).waitFor({ state: 'detached' });
    await row(page, PORT_PROBE).waitFor();
    expect(await page.locator('table.probe-table tbody tr').count()).toBe(1);

    await page.getByLabel('Type').selectOption('');
    await page.getByLabel('Service').selectOption('payments');
    await page.waitForURL(/service=payments/);
    await row(page, HEALTHY).waitFor({ state: 'detached' });
    await row(page, FAILING).waitFor();

    // A reload (or a shared link) shows the same list.
    await page.reload();
    expect(await page.getByLabel('Service').inputValue()).toBe('payments');
    await row(page, FAILING).waitFor();

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await row(page, HEALTHY).waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('backup');
    await page.waitForURL(/q=backup/);
    await row(page, HEALTHY).waitFor({ state: 'detached' });
    await row(page, HEARTBEAT).waitFor();

    await page.getByRole('searchbox', { name: 'Search' }).fill('no-such-probe-anywhere');
    await page.getByText('No probe matches these filters').waitFor();
    expect(await page.locator('table.probe-table').count()).toBe(0);
  });

  test('a probe page shows uptime tiles, the 90-day bar, the latency chart and recent checks', async () => {
    const page = await signedInPage();
    await page.goto('/probes');
    await row(page, HEALTHY).locator(`a[href="/probes/${HEALTHY}"]`).click();
    await page.waitForURL(new RegExp(`/probes/${HEALTHY}$`));
    await page.getByRole('heading', { name: HEALTHY, level: 1 }).waitFor();
    expect(await page.locator('h1 .probe-status').textContent()).toMatch(/Up/);
    const facts = (await page.locator('.probe-facts').textContent()) ?? '';
    expect(facts).toContain('every 10s');
    expect(facts).toContain('checkout');
    expect(facts).toMatch(/since \d+/);
    expect(await page.locator('.probe-headline').textContent()).toContain(`127.0.0.1:${portOf(healthy)}/healthz`);

    // Uptime tiles for the four windows.
    const tiles = page.locator('.uptime-tiles');
    for (const w of ['24h', '7d', '30d', '90d']) {
      expect(await tiles.locator(`[data-window="${w}"] .stat-value`).textContent()).toBe('100%');
    }

    // The 90-day bar: one bar a day, today checked and green, the days before without data.
    const bar = page.getByRole('list', { name: `Uptime per day of ${HEALTHY}, last 90 days` });
    await bar.waitFor();
    const days = bar.locator('li');
    expect(await days.count()).toBe(90);
    const today = days.last();
    expect(await today.getAttribute('class')).toContain('uptime-ok');
    expect(await today.getAttribute('aria-label')).toMatch(/: 100% uptime, \d+ of \d+ checks passed$/);
    expect(await days.first().getAttribute('aria-label')).toMatch(/: no data$/);
    expect(await days.first().getAttribute('class')).toContain('uptime-none');
    await page.getByText('Daily uptime as a table').click();
    expect(await page.locator('table.uptime-table tbody tr').first().textContent()).toMatch(/100%\d+ of \d+/);

    // The latency chart: three percentile lines, their text alternative and a range switch.
    const chart = page.locator('figure.latency-chart svg[role="img"]');
    await chart.waitFor();
    // A line, or a dot where a percentile has a single point so far.
    const p50 = page.locator('figure.latency-chart svg[role="img"] .latency-p50');
    await p50.first().waitFor();
    expect(await page.locator('figure.latency-chart svg[role="img"] .latency-p99').count()).toBeGreaterThan(0);
    expect(await page.locator('figure.latency-chart figcaption').textContent()).toMatch(/median p50 \d+(\.\d+)? m?s/);
    const range = page.getByRole('group', { name: 'Latency range' });
    await range.getByRole('button', { name: '7d' }).click();
    await page.waitForURL(/range=7d/);
    expect(await range.getByRole('button', { name: '7d' }).getAttribute('aria-pressed')).toBe('true');
    await page.locator('figure.latency-chart svg title').filter({ hasText: 'last 7 days' }).waitFor({ state: 'attached' });
    await p50.first().waitFor();

    // No outage yet: the means have nothing to measure.
    for (const m of ['mtbfMs', 'mttfMs', 'mttrMs']) {
      expect(await page.locator(`.reliability-tiles [data-metric="${m}"] .stat-value`).textContent()).toBe('—');
    }
    expect(await page.locator('.reliability-tiles abbr').first().getAttribute('title')).toMatch(/Mean time between failures/);
    expect(await page.locator('.reliability-tiles [data-metric="failures"] .stat-value').textContent()).toBe('0');

    // Recent checks; a row opens to its conditions and body.
    const results = page.getByRole('table', { name: `Recent checks of ${HEALTHY}, newest first` });
    await results.waitFor();
    const first = results.locator('tbody tr').first();
    expect(await first.textContent()).toMatch(/✓ OK.*200.*\d+(\.\d+)? m?s/s);
    const expand = first.getByRole('button');
    expect(await expand.getAttribute('aria-expanded')).toBe('false');
    await expand.click();
    expect(await expand.getAttribute('aria-expanded')).toBe('true');
    const details = results.locator('.result-expanded-cell');
    await details.waitFor();
    expect(await details.locator('.condition-list li').count()).toBe(3);
    expect(await details.locator('.condition-list li[data-ok="false"]').count()).toBe(0);
    expect(await details.locator('.body-excerpt').textContent()).toContain('"version":"1.4.2"');
    await shot(page, 'probe-page');
  });

  test('Run now checks at once and shows where the time went', async () => {
    const page = await signedInPage();
    await page.goto(`/probes/${HEALTHY}`);
    await page.getByRole('heading', { name: HEALTHY, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Run now' }).click();
    const panel = page.getByRole('region', { name: 'Check run just now' });
    await panel.waitFor();
    expect(await panel.locator('.run-summary').textContent()).toMatch(/The check passed in \d+(\.\d+)? ms with status 200/);

    // The waterfall: DNS, connect, TLS, first byte and total, each with its milliseconds.
    const waterfall = panel.locator('.waterfall');
    for (const phase of ['dns', 'connect', 'tls', 'first-byte', 'total']) {
      const phaseRow = waterfall.locator(`[data-phase="${phase}"]`);
      await phaseRow.waitFor();
      expect(await phaseRow.locator('.waterfall-ms').textContent()).toMatch(/^\d+(\.\d+)? (ms|s)/);
    }
    // The server waits 15 ms before it answers: the first byte shows it, and the total holds every phase.
    const firstByte = Number(await waterfall.locator('[data-phase="first-byte"]').getAttribute('data-ms'));
    const total = Number(await waterfall.locator('[data-phase="total"]').getAttribute('data-ms'));
    expect(firstByte).toBeGreaterThanOrEqual(10);
    expect(total).toBeGreaterThanOrEqual(firstByte);
    const barWidth = await waterfall
      .locator('[data-phase="first-byte"] .waterfall-bar')
      .evaluate((el) => el.getBoundingClientRect().width);
    expect(barWidth).toBeGreaterThan(10);
    expect(await waterfall.locator('[data-phase="tls"] .waterfall-ms').textContent()).toMatch(/^0 ms/);

    expect(await panel.locator('.condition-list li[data-ok="true"]').count()).toBe(3);
    expect(await panel.locator('.condition-list').textContent()).toMatch(/\[STATUS\].*200/);
    expect(await panel.locator('[data-field="status"]').textContent()).toBe('200');
    expect(await panel.locator('.body-excerpt').textContent()).toContain('"status":"ok"');
    expect(await panel.textContent()).toContain('Runs on demand are not recorded in the history.');
    await shot(page, 'probe-run-now');
  });

  test('a failing probe shows its open alert, the failing condition and the reply', async () => {
    const page = await signedInPage();
    await page.goto(`/probes/${FAILING}`);
    await page.getByRole('heading', { name: FAILING, level: 1 }).waitFor();
    expect(await page.locator('h1 .probe-status').textContent()).toMatch(/Down/);

    const alert = page.locator('.probe-alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/The probe is down since/);
    expect(await alert.textContent()).toContain('500');

    expect(await page.locator('.uptime-tiles [data-window="24h"] .stat-value').textContent()).toBe('0.00%');
    expect(
      await page
        .getByRole('list', { name: /Uptime per day/ })
        .locator('li')
        .last()
        .getAttribute('class'),
    ).toContain('uptime-bad');
    // The state change that took it down.
    const transitions = page.locator('.transition-list li');
    await transitions.first().waitFor();
    expect(await transitions.first().getAttribute('data-to')).toBe('down');

    const results = page.getByRole('table', { name: `Recent checks of ${FAILING}, newest first` });
    const first = results.locator('tbody tr').first();
    await first.waitFor();
    expect(await first.textContent()).toMatch(/✕ Failed.*500.*\[STATUS\].*500/s);

    await page.getByRole('button', { name: 'Run now' }).click();
    const panel = page.getByRole('region', { name: 'Check run just now' });
    await panel.waitFor();
    expect(await panel.locator('.run-summary').textContent()).toMatch(/The check failed in .* with status 500/);
    expect(await panel.locator('.condition-list li[data-ok="false"]').count()).toBe(1);
    expect(await panel.locator('.body-excerpt').textContent()).toContain('boom: the payment provider is unreachable');

    // Alerts history.
    const alerts = page.getByRole('table', { name: `Alerts of ${FAILING}, firing and resolved` });
    await alerts.waitFor();
    expect(await alerts.locator('tr[data-alert-state="firing"]').count()).toBe(1);
    await shot(page, 'probe-failing');
  });

  test('pausing a probe stops its checks until it is resumed', async () => {
    const page = await signedInPage();
    await page.goto(`/probes/${PORT_PROBE}`);
    await page.getByRole('heading', { name: PORT_PROBE, level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await page.locator('h1 .probe-status').filter({ hasText: 'Paused' }).waitFor();
    await page.getByText('The probe is not checked until it is resumed').waitFor();
    expect((await api<Detail>(`/api/v1/probes/${PORT_PROBE}`)).status).toBe('paused');

    // The list counts it as paused.
    await page.goto('/probes?status=paused');
    await row(page, PORT_PROBE).waitFor();
    expect(await row(page, PORT_PROBE).getAttribute('data-status')).toBe('paused');
    expect(await page.locator('button[data-status="paused"] .status-chip-count').textContent()).toBe('1');

    await page.goto(`/probes/${PORT_PROBE}`);
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect((await api<Detail>(`/api/v1/probes/${PORT_PROBE}`)).status).not.toBe('paused');
    await page.locator('h1 .probe-status').filter({ hasNotText: 'Paused' }).waitFor();
  });

  test('the badge loads as an SVG and its Markdown is ready to copy', async () => {
    const page = await signedInPage();
    await page.goto(`/probes/${HEALTHY}`);
    const section = page.getByRole('region', { name: 'Badge' });
    await section.waitFor();
    const img = section.getByRole('img', { name: `Uptime badge of ${HEALTHY} over 30 days` });
    await img.waitFor();
    await page.waitForFunction((alt) => {
      const el = document.querySelector(`img[alt="${alt}"]`) as HTMLImageElement | null;
      return !!el && el.complete && el.naturalWidth > 0;
    }, `Uptime badge of ${HEALTHY} over 30 days`);
    const src = await img.getAttribute('src');
    expect(src).toBe(`/api/v1/probes/${HEALTHY}/badge.svg?window=30d`);
    // Public: no credentials needed, and it is an SVG.
    const badge = await fetch(`${server.url}${src}`);
    expect(badge.status).toBe(200);
    expect(badge.headers.get('content-type')).toMatch(/image\/svg\+xml/);
    expect(await badge.text()).toMatch(/<svg[\s\S]*100/);
    await page.waitForFunction(() => {
      const el = document.querySelector('img[alt^="Status badge"]') as HTMLImageElement | null;
      return !!el && el.complete && el.naturalWidth > 0;
    });

    const markdown = section.getByLabel('Markdown, 30-day uptime');
    expect(await markdown.inputValue()).toBe(`![uptime](${server.url}/api/v1/probes/${HEALTHY}/badge.svg?window=30d)`);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await section.getByRole('button', { name: 'Copy' }).first().click();
    await section.getByText(/^Copied\.$|^Selected:/).waitFor();
  });

  test('a heartbeat probe shows its deadline and, to writers, the URL to ping', async () => {
    const page = await signedInPage();
    await page.goto(`/probes/${HEARTBEAT}`);
    await page.getByRole('heading', { name: HEARTBEAT, level: 1 }).waitFor();
    const section = page.getByRole('region', { name: 'Heartbeat' });
    await section.waitFor();
    expect(await section.locator('[data-field="last-ping"]').textContent()).toBe('never');
    expect(await section.textContent()).toMatch(/every 1h, with 5m of grace/);
    // Heartbeats are pushed: nothing to run.
    expect(await page.getByRole('button', { name: 'Run now' }).count()).toBe(0);

    await section.getByRole('button', { name: 'Show ping URL' }).click();
    const curl = section.getByLabel('Ping on success');
    await curl.waitFor();
    const command = await curl.inputValue();
    expect(command).toMatch(new RegExp(`^curl -fsS -X POST ${server.url}/\\S+$`));
    expect(await section.getByLabel('Ping on failure').inputValue()).toBe(`${command}/fail`);

    // Ping it the way the job would; the page shows the ping and the next deadline.
    const url = command.replace('curl -fsS -X POST ', '');
    const ping = await fetch(url, { method: 'POST' });
    expect(ping.status).toBeLessThan(300);
    await page.reload();
    await section.locator('[data-field="last-ping"] time').waitFor();
    expect(await section.locator('[data-field="deadline"]').textContent()).toMatch(/^in (1h|\d+m)/);
    await page.locator('h1 .probe-status').filter({ hasText: 'Up' }).waitFor();
  });

  test('a reader sees the figures but no buttons that change or run a probe', async () => {
    const { token } = await api<{ token: string }>('/api/v1/tokens', {
      method: 'POST',
      body: { name: 'probe-reader', scopes: ['read'] },
    });
    // Web sessions may write; a read-only token sent with every request (as a proxy in front of
    // a wallboard would) may not, and the page offers no action the server would refuse.
    const context = await browser.newContext({ baseURL: server.url, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
    context.setDefaultTimeout(WAIT);
    contexts.push(context);
    const page = await context.newPage();
    const session = await page.request.get('/api/v1/auth/session');
    expect(((await session.json()) as { scopes: string[] }).scopes).toEqual(['read']);
    await page.goto(`/probes/${HEALTHY}`);
    await page.getByRole('heading', { name: HEALTHY, level: 1 }).waitFor();
    await page.locator('.uptime-tiles [data-window="24h"] .stat-value').filter({ hasText: '100%' }).waitFor();
    expect(await page.getByRole('button', { name: 'Run now' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^(Pause|Resume)$/ }).count()).toBe(0);
    // The badge is public, so its snippet is for readers too.
    await page.getByLabel('Markdown, 30-day uptime').waitFor();

    await page.goto(`/probes/${HEARTBEAT}`);
    await page.getByRole('region', { name: 'Heartbeat' }).waitFor();
    expect(await page.getByRole('button', { name: 'Show ping URL' }).count()).toBe(0);
  });

  test('on a phone the list and a probe page fit the screen', async () => {
    const phone = await signedInPage({ viewport: { width: 390, height: 844 } });
    await phone.goto('/probes');
    await row(phone, HEALTHY).waitFor();
    const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    // Rows are cards: labels of the figures show.
    expect(await row(phone, HEALTHY).locator('[data-field="latency"] .phone-only').isVisible()).toBe(true);
    expect(await row(phone, HEALTHY).locator('[data-window="24h"] .phone-only').isVisible()).toBe(true);
    await shot(phone, 'probes-list-phone');

    await phone.goto(`/probes/${FAILING}`);
    await phone.getByRole('heading', { name: FAILING, level: 1 }).waitFor();
    await phone.locator('figure.latency-chart svg[role="img"]').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    // The last 30 days fit a phone; the table keeps all 90.
    const bar = phone.getByRole('list', { name: /Uptime per day/ });
    const visible = await bar
      .locator('li')
      .evaluateAll((items) => items.filter((li) => (li as HTMLElement).offsetWidth > 0).length);
    expect(visible).toBe(30);
    await phone.getByRole('button', { name: 'Run now' }).click();
    await phone.getByRole('region', { name: 'Check run just now' }).locator('.waterfall').waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await shot(phone, 'probe-page-phone');
  });

  test('in the dark theme the probe page uses the dark palette', async () => {
    const dark = await signedInPage({ colorScheme: 'dark' });
    await dark.goto(`/probes/${HEALTHY}`);
    await dark.getByRole('heading', { name: HEALTHY, level: 1 }).waitFor();
    await dark.locator('figure.latency-chart svg[role="img"] .latency-p50').first().waitFor();
    const colors = await dark.evaluate(() => {
      const body = getComputedStyle(document.body).backgroundColor;
      const pill = getComputedStyle(document.querySelector('h1 .probe-status') as Element).color;
      const today = getComputedStyle(document.querySelector('.uptime-bar li:last-child') as Element).backgroundColor;
      return { body, pill, today };
    });
    expect(colors.body).toBe('rgb(11, 15, 23)');
    expect(colors.pill).toBe('rgb(110, 231, 183)');
    expect(colors.today).toBe('rgb(110, 231, 183)');
    await shot(dark, 'probe-page-dark');
    await dark.goto('/probes');
    await row(dark, FAILING).waitFor();
    await shot(dark, 'probes-list-dark');
  });
});
