import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startVigil } from '../../src/server.ts';
import { isoWeekOf } from '../../src/slo/reports.ts';
import { ADMIN_TOKEN, ensureWebBuild, launchChromium, openPage, ROOT, SHOTS, signIn, WEB_ROOT } from './harness.ts';

/**
 * The Reports page in a real browser against a real server: SQLite in a temp dir, the example
 * organization (whose checkout SLO carries the checkout-enterprise SLA), Debian's Chromium.
 * The screenshot lands in test-results/reports.png.
 */

const HOUR = 3_600_000;
const MINUTE = 60_000;

let server: Awaited<ReturnType<typeof startVigil>>;
let browser: Browser;
let dataDir: string;
const contexts: BrowserContext[] = [];

const signedInPage = async (): Promise<Page> => signIn(await openPage(browser, contexts, server.url));

async function apiPost(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBeLessThan(300);
}

const now = new Date();
const pad = (n: number) => String(n).padStart(2, '0');
const thisMonth = `${now.getUTCFullYear()}-${pad(now.getUTCMonth() + 1)}`;
const iso = isoWeekOf(now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate());
const thisWeek = `${iso.year}-W${pad(iso.week)}`;

beforeAll(async () => {
  await ensureWebBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-reports-ui-'));
  server = await startVigil({
    db: `sqlite:${join(dataDir, 'vigil.db')}`,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webRoot: WEB_ROOT,
    examples: join(ROOT, 'examples'),
    logger: false,
  });
  // Checkout: this month so far at 0.04 % errors an hour, then a bad half hour just now that
  // fires its page alerts; the SLA's 99.9 % is missed this month.
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const start = Math.max(monthStart, now.getTime() - 27 * 24 * HOUR);
  const events = [];
  for (let at = start; at < now.getTime() - HOUR; at += HOUR) events.push({ timestamp: at, good: 5998, total: 6000 });
  await apiPost('/api/v1/slis/checkout-requests/events', { events });
  await apiPost('/api/v1/slis/checkout-requests/events', {
    events: Array.from({ length: 30 }, (_, i) => ({ timestamp: now.getTime() - (30 - i) * MINUTE, good: 100, total: 280 })),
  });
  await server.slo.evaluate();
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('reports UI', { timeout: 90_000 }, () => {
  test('the Reports page shows SLA compliance for a month and a team’s weekly review, with Markdown downloads', async () => {
    const page = await signedInPage();
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports', exact: true }).click();
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/reports');

    // This month, in progress: the checkout SLA is missed and owes the 10 % tier.
    await page.getByLabel('Month (UTC)').fill(thisMonth);
    await page.waitForURL(new RegExp(`month=${thisMonth}`));
    const sla = page.getByRole('table', { name: `SLA compliance for ${thisMonth}` });
    const row = sla.locator('tr[data-sla="checkout-enterprise"]');
    await row.waitFor();
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('✕ missed');
    expect(text).toMatch(/−\d+(\.\d+)? pp/);
    expect(text).toContain('10%below 99.9%');
    expect(await page.getByTestId('sla-summary').textContent()).toMatch(/1 SLA, 0 met, 1 missed/);

    // The weekly review of the checkout team for this week: the bad half hour burned budget and paged.
    await page.getByLabel('Team').selectOption('checkout');
    await page.getByLabel('ISO week (UTC)').fill(thisWeek);
    await page.waitForURL(/team=checkout/);
    const review = page.getByRole('table', { name: 'SLOs of checkout, most budget burned first' });
    const checkout = review.locator('tr[data-slo="checkout-availability"]');
    await checkout.waitFor();
    expect(await checkout.textContent()).toMatch(/\d+(\.\d)?%\s*of the budget/);
    const episodes = page.getByRole('table', { name: 'Alert episodes, most budget consumed first' });
    await episodes.locator('tbody tr').first().waitFor();
    expect(await episodes.textContent()).toContain('page-fast');
    expect(await page.locator('.report-changes').textContent()).toContain('checkout-availability: page alert page-fast fired');
    expect(await page.getByText(/does not record incidents yet/).count()).toBe(1);

    // Both Markdown links answer Markdown with the page's own choices.
    const links = page.getByRole('link', { name: 'Download Markdown' });
    expect(await links.count()).toBe(2);
    const slaMd = await page.request.get((await links.nth(0).getAttribute('href')) ?? '');
    expect(slaMd.headers()['content-type'], await slaMd.text()).toContain('text/markdown');
    expect(await slaMd.text()).toContain(`# SLA compliance, ${thisMonth}`);
    const reviewMd = await page.request.get((await links.nth(1).getAttribute('href')) ?? '');
    expect(await reviewMd.text()).toContain(`# Weekly SLO review: checkout, ${thisWeek}`);

    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, 'reports.png'), fullPage: true });
  });
});
