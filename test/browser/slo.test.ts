import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startVigil } from '../../src/server.ts';
import {
  ADMIN_TOKEN,
  ensureWebBuild,
  launchChromium,
  openPage,
  type PageOptions,
  ROOT,
  SHOTS,
  shot,
  signIn,
  WEB_ROOT,
} from './harness.ts';

/**
 * The reliability pages in a real browser against a real server: SQLite in a temp dir, the
 * example organization with its SLOs, Debian's Chromium. Screenshots land in test-results/.
 */

let server: Awaited<ReturnType<typeof startVigil>>;
let browser: Browser;
let dataDir: string;
const contexts: BrowserContext[] = [];

const newPage = (options: PageOptions = {}): Promise<Page> => openPage(browser, contexts, server.url, options);

const signedInPage = async (options: PageOptions = {}): Promise<Page> => signIn(await newPage(options));

async function apiGet<T>(path: string): Promise<T> {
  const response = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
  return (await response.json()) as T;
}

async function apiPost(path: string, body: unknown): Promise<Response> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBeLessThan(300);
  return response;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** Good/total counts for an SLI: one per hour over the last 27 days, `badShare(hoursAgo)` of them bad. */
async function backfill(sli: string, badShare: (hoursAgo: number) => number): Promise<void> {
  const now = Date.now();
  const events = [];
  for (let hoursAgo = 27 * 24; hoursAgo >= 1; hoursAgo--) {
    const total = 6000;
    events.push({ timestamp: now - hoursAgo * HOUR, good: Math.round(total * (1 - badShare(hoursAgo))), total });
  }
  await apiPost(`/api/v1/slis/${sli}/events`, { events });
}

/** A bad spell over the last `minutes` minutes: `bad` of every `total` requests fail. */
async function badSpell(sli: string, minutes: number, total: number, bad: number): Promise<void> {
  const now = Date.now();
  const events = Array.from({ length: minutes }, (_, i) => ({
    timestamp: now - (minutes - i) * MINUTE,
    good: total - bad,
    total,
  }));
  await apiPost(`/api/v1/slis/${sli}/events`, { events });
}

interface SloItem {
  name: string;
  service: string;
  sli: string;
  objectives: Array<{ remainingRatio: number }>;
}

beforeAll(async () => {
  await ensureWebBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-slo-ui-'));
  server = await startVigil({
    db: `sqlite:${join(dataDir, 'vigil.db')}`,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webRoot: WEB_ROOT,
    examples: join(ROOT, 'examples'),
    logger: false,
  });
  // Four weeks of traffic for the example SLOs: checkout has just burnt through its budget (its
  // policy halts deploys), payments is low (a warning), auth and the storefront are healthy.
  await backfill('checkout-requests', () => 0.0004);
  await badSpell('checkout-requests', 30, 280, 180);
  await backfill('payments-requests', (h) => (h > 100 && h < 110 ? 0.004 : 0.0002));
  await badSpell('payments-requests', 30, 1030, 30);
  await backfill('auth-logins', () => 0.0003);
  await backfill('web-frontend-availability-sli', () => 0.0003);
  await server.slo.evaluate();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('reliability UI', { timeout: 90_000 }, () => {
  test('the nines calculator shows the allowed downtime per period and for the window', async () => {
    const page = await signedInPage();
    await page.goto('/nines');
    await page.getByRole('heading', { name: 'Nines calculator', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'Allowed downtime per period for each target' });
    const row = (target: string) => table.locator(`tr[data-target="${target}"]`);
    for (const target of ['99.9', '99.95', '99.99', '99.995', '99.999']) await row(target).waitFor();

    // 99.95 % of 28 days is 20.16 minutes: 20m 9.6s, cut (never rounded up) to the second.
    const window = row('99.95').locator('[data-period="window"]');
    expect(await window.textContent()).toBe('20m 9s20.16 minutes');
    expect(await row('99.95').locator('[data-period="month"]').textContent()).toBe('21m 55s');
    expect(await row('99.9').locator('[data-period="month"]').textContent()).toBe('43m 50s');
    expect(await row('99.9').locator('[data-period="year"]').textContent()).toBe('8h 45m 57s');
    expect(await table.locator('thead').textContent()).toContain('Per 28d');
    await shot(page, 'nines');

    // Another window and a target of one's own; both land in the URL.
    await page.getByLabel('SLO window').fill('30d');
    await page.getByLabel('Targets (%)').fill('99.5, 99.95');
    await row('99.5').waitFor();
    expect(await table.locator('thead').textContent()).toContain('Per 30d');
    expect(await row('99.95').locator('[data-period="window"]').textContent()).toBe('21m 36s21.6 minutes');
    await page.waitForURL(/window=30d/);
    expect(await table.locator('tbody tr').count()).toBe(2);

    // A wrong target is explained, the others still compute.
    await page.getByLabel('Targets (%)').fill('99.9 120');
    await page.getByRole('alert').filter({ hasText: '"120" is not a percentage' }).waitFor();
    expect(await page.getByLabel('Targets (%)').getAttribute('aria-invalid')).toBe('true');
    await row('99.9').waitFor();
  });

  test('the home page is the reliability overview, and the catalog moved to /catalog', async () => {
    const page = await signedInPage();
    await page.goto('/');
    await page.getByRole('heading', { name: 'Reliability overview', level: 1 }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const label of ['Overview', 'SLOs', 'Nines', 'Catalog'])
      await nav.getByRole('link', { name: label, exact: true }).waitFor();
    expect(await nav.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
    await nav.getByRole('link', { name: 'Catalog', exact: true }).click();
    await page.getByRole('heading', { name: 'Catalog', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/catalog');
  });

  test('the overview shows every service with SLOs, its budget left and its policy state, worst first', async () => {
    const slos = (await apiGet<{ items: SloItem[] }>('/api/v1/slos')).items;
    expect(slos.length).toBeGreaterThan(0);
    const services = [...new Set(slos.map((s) => s.service))];

    const page = await signedInPage();
    await page.goto('/');
    const grid = page.getByRole('list', { name: 'Services by error budget, worst first' });
    await grid.waitFor();
    const cards = grid.locator(':scope > li');
    expect(await cards.count()).toBe(services.length);
    for (const service of services) {
      const card = grid.locator(`li[data-service="${service}"]`);
      const text = (await card.textContent()) ?? '';
      // The state is in words, not only in colour.
      expect(text).toMatch(/OK|Warning|Halted/);
      expect(text).toMatch(/−?\d+(\.\d)?% (left|exhausted)|no data/);
      expect(text).toMatch(/SLI .+ · target \d+(\.\d+)?%/);
    }
    // Worst first: no OK card before a warning or halted one.
    const states = await cards.evaluateAll((items) =>
      items.map((li) => (li.classList.contains('service-halted') ? 0 : li.classList.contains('service-warn') ? 1 : 2)),
    );
    expect(states).toEqual([...states].sort((a, b) => a - b));
    const checkout = grid.locator('li[data-service="checkout"]');
    expect(await checkout.textContent()).toMatch(/Halted/);
    expect(await checkout.textContent()).toMatch(/−\d+(\.\d)?% exhausted/);
    expect(await grid.locator('li[data-service="payments"]').textContent()).toMatch(/Warning.*\d+(\.\d)?% left/s);
    expect(await grid.locator('li[data-service="auth"]').textContent()).toMatch(/OK.*\d+(\.\d)?% left/s);
    expect(await page.locator('.state-summary').textContent()).toMatch(/Halted\s*\d+.*Warning\s*\d+.*OK\s*\d+/s);
    await page
      .getByRole('status')
      .filter({ hasText: /^Live$/ })
      .waitFor();
    await shot(page, 'overview');
  });

  test('an SLO page shows the budget, the burn rates with their thresholds and the burn-down chart', async () => {
    const slos = (await apiGet<{ items: SloItem[] }>('/api/v1/slos')).items;
    // Least budget left first. The seed burnt through checkout's budget; the probe-fed SLOs depend on
    // how the live checks fare on this machine, so the order is checked, not a fixed first name.
    const left = slos.map((s) => (s.objectives.length ? Math.min(...s.objectives.map((o) => o.remainingRatio)) : 1));
    expect(left).toEqual([...left].sort((a, b) => a - b));
    const first = slos.find((s) => s.name === 'checkout-availability');
    if (!first) throw new Error('the example organization has no checkout-availability SLO');
    expect(left[slos.indexOf(first)]).toBeLessThan(0);

    const page = await signedInPage();
    await page.goto('/slos');
    await page.getByRole('heading', { name: 'SLOs', level: 1 }).waitFor();
    const table = page.getByRole('table', { name: 'SLOs, least error budget left first' });
    await table.waitFor();
    expect(await table.locator('tbody tr').count()).toBe(slos.length);
    // The server's order (least budget left first) is kept. Probe-fed budgets move with the live
    // checks between the two reads, so the page is checked against its own figures.
    const rows = await table
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((r) => ({ name: r.getAttribute('data-slo'), left: Number(r.getAttribute('data-remaining')) })),
      );
    expect(rows.map((r) => r.name).sort()).toEqual(slos.map((s) => s.name).sort());
    expect(rows.map((r) => r.left)).toEqual(rows.map((r) => r.left).sort((a, b) => a - b));
    await shot(page, 'slos');

    await table.locator(`tr[data-slo="${first.name}"] td.cell-name a`).first().click();
    await page.waitForURL(new RegExp(`/slos/${first.name}$`));
    await page.getByRole('heading', { name: 'Burn rates' }).first().waitFor();

    const burn = page.getByRole('table', { name: /Burn rates by window/ }).first();
    for (const w of ['5m', '30m', '1h', '6h', '1d', '3d']) await burn.locator(`tr[data-window="${w}"]`).waitFor();
    // The page alert's threshold for a 28-day window: 2 % of the budget in an hour is 13.44×.
    expect(await burn.locator('tr[data-window="1h"]').textContent()).toMatch(/page\s*≥ \d+(\.\d+)?×/);

    const chart = page.locator('figure.burn-down svg[role="img"]').first();
    await chart.waitFor();
    expect(await chart.getAttribute('aria-labelledby')).toBeTruthy();
    await page.locator('figure.burn-down .chart-ref-zero').first().waitFor();
    await page.locator('figure.sli-chart .chart-ref-target').first().waitFor();
    expect(await page.locator('figure.burn-down figcaption').first().textContent()).toMatch(
      /Remaining error budget|No budget data/,
    );

    // The chart's text alternative: its points as a table.
    await page.locator('figure.burn-down summary').first().click();
    await page.locator('figure.burn-down table').first().waitFor();

    // The seed's bad spell fires the fast page alert; the page lists it with what it saw.
    const firing = page.locator('.notice-alert');
    expect(await firing.textContent()).toMatch(/page-fast · burning at \d+× over 1h and \d+× over 5m, threshold 13.44×/);
    expect(await burn.locator('tr[data-window="1h"]').textContent()).toMatch(/▲ above/);
    expect(await page.locator('figure.burn-down figcaption').first().textContent()).toMatch(/The budget is exhausted/);

    for (const label of ['SLI', 'Target', 'Error budget', 'Consumed', 'Remaining', 'Budget exhausted']) {
      await page
        .locator('.stat dt', { hasText: new RegExp(`^${label}$`) })
        .first()
        .waitFor();
    }
    await page.getByRole('heading', { name: new RegExp(`Error budget policy of ${first.service}`) }).waitFor();
    await shot(page, 'slo');
  });

  test('on a 390px phone the overview and an SLO page fit the screen', async () => {
    const slos = (await apiGet<{ items: SloItem[] }>('/api/v1/slos')).items;
    const page = await signedInPage({ viewport: { width: 390, height: 844 } });
    await page.goto('/');
    await page.getByRole('list', { name: 'Services by error budget, worst first' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'overview-phone', false);

    await page.goto(`/slos/${slos[0]?.name}`);
    await page.locator('figure.burn-down svg').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // The chart is drawn at the phone's width, not scaled down from a desktop one.
    const width = await page
      .locator('figure.burn-down svg')
      .first()
      .evaluate((svg) => svg.getBoundingClientRect().width);
    expect(width).toBeLessThanOrEqual(360);
    await shot(page, 'slo-phone', false);
  });

  test('the overview in the dark theme', async () => {
    const page = await signedInPage({ colorScheme: 'dark' });
    await page.goto('/');
    await page.getByRole('list', { name: 'Services by error budget, worst first' }).waitFor();
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(11, 15, 23)');
    await shot(page, 'overview-dark');
  });

  test('without SLOs the overview explains how to define one', async () => {
    // A second server whose organization has a catalog but no SLOs.
    const emptyDir = mkdtempSync(join(tmpdir(), 'vigil-slo-ui-empty-'));
    const examples = join(emptyDir, 'examples');
    cpSync(join(ROOT, 'examples'), examples, { recursive: true, filter: (from) => !from.includes(join('examples', 'slo')) });
    const bare = await startVigil({
      db: `sqlite:${join(emptyDir, 'vigil.db')}`,
      port: 0,
      adminToken: ADMIN_TOKEN,
      webRoot: WEB_ROOT,
      examples,
      logger: false,
      workers: false,
    });
    try {
      const context = await browser.newContext({ baseURL: bare.url, viewport: { width: 1280, height: 860 } });
      contexts.push(context);
      const page = await context.newPage();
      expect((await page.request.post('/api/v1/auth/login', { data: { token: ADMIN_TOKEN } })).status()).toBe(200);
      await page.goto('/');
      await page.getByText('No SLOs yet').waitFor();
      expect(await page.getByRole('main').textContent()).toContain('vigil apply -f slos.yaml');
      await page.getByRole('main').getByRole('link', { name: 'API reference' }).waitFor();
      await shot(page, 'overview-empty');
      await context.close();
    } finally {
      await bare.close();
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });

  test('a time-slice SLO shows its budget in minutes: 99.95 % over 28 days is 20.16 minutes', async () => {
    const page = await signedInPage();
    await page.goto('/slos/api-gateway-latency');
    const budget = page.locator('.stat', { has: page.locator('dt', { hasText: /^Error budget$/ }) });
    await budget.waitFor();
    expect(await budget.locator('.stat-value').textContent()).toBe('20.16 minutes');
    expect(await page.locator('.facts').textContent()).toContain('time slices');
  });

  test('the overview updates live when a service burns through its budget', async () => {
    const page = await signedInPage();
    await page.goto('/');
    const card = page.locator('li[data-service="web-frontend"]');
    await card.waitFor();
    expect(await card.textContent()).toMatch(/OK/);
    await page
      .getByRole('status')
      .filter({ hasText: /^Live$/ })
      .waitFor();

    // No reload: the evaluation journals the alerts it fires (slo.alert.fired), and the stream
    // makes the page fetch the overview again.
    await badSpell('web-frontend-availability-sli', 30, 300, 200);
    await server.slo.evaluate();
    await page.locator('li[data-service="web-frontend"].service-halted').waitFor();
    expect(await card.textContent()).toMatch(/Halted.*exhausted/s);
    // The change of state is announced, not only painted.
    await page.locator('[aria-live="polite"]', { hasText: 'Web frontend is now Halted' }).waitFor();
  });

  test('a halted service takes an override with a reason, which the audit log keeps', async () => {
    const page = await signedInPage();
    await page.goto('/slos/checkout-availability');
    const policy = page.locator('#policy');
    await policy.getByRole('heading', { name: 'Override the halt' }).waitFor();

    // A reason is required.
    await policy.getByRole('button', { name: 'Override the halt' }).click();
    await policy.getByText('Say why the halt should be lifted.').waitFor();
    expect(await policy.getByLabel('Reason').getAttribute('aria-invalid')).toBe('true');

    await policy.getByLabel('Reason').fill('Shipping the fix for the checkout errors');
    await policy.getByLabel('For').selectOption('1h');
    await policy.getByRole('button', { name: 'Override the halt' }).click();
    const notice = policy.locator('.notice-override');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(
      /Halt overridden by user:admin until .+: Shipping the fix for the checkout errors/,
    );
    expect(await policy.textContent()).toContain('The budget is spent, but the halt is overridden');
    expect(await policy.getByRole('button', { name: 'Override the halt' }).count()).toBe(0);

    const state = await apiGet<{ state: string; override: { reason: string } | null }>('/api/v1/services/checkout/policy');
    expect(state.state).not.toBe('halted');
    expect(state.override?.reason).toBe('Shipping the fix for the checkout errors');
    const journal = await apiGet<{ items: Array<{ kind: string; data: { reason?: string } }> }>(
      '/api/v1/journal?kind=slo.policy.&since=1h',
    );
    expect(journal.items.some((e) => e.kind === 'slo.policy.overridden' && e.data.reason?.startsWith('Shipping'))).toBe(true);
    // The page's own badge follows: the halt is lifted.
    await page
      .getByRole('heading', { level: 1 })
      .getByText(/Policy: (Warning|OK)/)
      .waitFor();
    await policy.screenshot({ path: join(SHOTS, 'slo-override.png') });
  });
});
