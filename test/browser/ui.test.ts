import { mkdtempSync, rmSync } from 'node:fs';
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
 * The web UI in a real browser against a real server: SQLite in a temp dir, the example
 * organization, Debian's Chromium. Screenshots land in test-results/ for a human to look at.
 */

let server: Awaited<ReturnType<typeof startVigil>>;
let browser: Browser;
let dataDir: string;
const contexts: BrowserContext[] = [];

const newPage = (options: PageOptions = {}): Promise<Page> => openPage(browser, contexts, server.url, options);

/** A page whose context already holds a session cookie, signed in through the API like the login form does. */
const signedInPage = async (options: PageOptions = {}): Promise<Page> => signIn(await newPage(options));

/** The link to a service's page (the same name may also link to its team). */
const entityLink = (name: string) => `main a[href="/catalog/service/${name}"]`;

beforeAll(async () => {
  await ensureWebBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-ui-'));
  server = await startVigil({
    db: `sqlite:${join(dataDir, 'vigil.db')}`,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webRoot: WEB_ROOT,
    examples: join(ROOT, 'examples'),
    logger: false,
  });
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

describe('web UI', { timeout: 90_000 }, () => {
  test('an anonymous visit goes to the login page', async () => {
    const page = await newPage();
    await page.goto('/catalog');
    await page.waitForURL(/\/login/);
    await page.getByRole('heading', { name: 'Sign in to Vigil' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe('/catalog');
    expect(await page.getByLabel('API token').isVisible()).toBe(true);
    await shot(page, 'login');
  });

  test('a wrong token shows the server’s explanation', async () => {
    const page = await newPage();
    await page.goto('/login');
    await page.getByLabel('API token').fill('vgl_not_a_real_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/invalid token|wrong password|unknown/i);
    expect(page.url()).toMatch(/\/login/);
  });

  test('signing in with the token shows the catalog, and signing out ends the session', async () => {
    const page = await newPage();
    await page.goto('/catalog');
    await page.getByLabel('API token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Catalog', level: 1 }).waitFor();
    await page.locator(entityLink('payments')).waitFor();
    expect(await page.getByRole('banner').textContent()).toContain('admin');
    await shot(page, 'catalog');

    // Sign-out is a cookie-authenticated POST: it only succeeds with the CSRF header.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/login/);
    const session = await page.request.get('/api/v1/auth/session');
    expect(session.status()).toBe(401);
  });

  test('the search box filters the list and is reflected in the URL', async () => {
    const page = await signedInPage();
    await page.goto('/catalog');
    await page.locator(entityLink('web-frontend')).waitFor();
    await page.getByRole('searchbox', { name: 'Search' }).fill('fraud');
    await page.waitForURL(/[?&]q=fraud/);
    await page.locator(entityLink('web-frontend')).waitFor({ state: 'detached' });
    await page.locator(entityLink('fraud-detection')).waitFor();

    // Filters live in the URL, so a reload (or a shared link) shows the same list.
    await page.getByLabel('Owner').selectOption('payments');
    await page.waitForURL(/owner=payments/);
    await page.reload();
    expect(await page.getByRole('searchbox', { name: 'Search' }).inputValue()).toBe('fraud');
    expect(await page.getByLabel('Owner').inputValue()).toBe('payments');
    await page.locator(entityLink('fraud-detection')).waitFor();
  });

  test('the payments service shows its details and its blast radius across teams', async () => {
    const page = await signedInPage();
    await page.goto('/catalog');
    await page.locator(entityLink('payments')).click();
    await page.waitForURL(/\/catalog\/service\/payments$/);
    await page.getByRole('heading', { name: /^payments/, level: 1 }).waitFor();
    const main = page.getByRole('main');
    await main.locator('a[href="/teams/payments"]').first().waitFor(); // the owner links to its team

    const graph = page.locator('#blast-radius svg.graph');
    await graph.waitFor();
    // checkout depends on payments directly; the gateway and the web frontend only through it.
    for (const ref of ['service:payments', 'service:checkout', 'service:api-gateway', 'service:web-frontend']) {
      await graph.locator(`[data-ref="${ref}"]`).waitFor();
    }
    const legend = await page.getByRole('list', { name: 'Teams by colour' }).textContent();
    for (const team of ['payments', 'checkout', 'platform', 'storefront']) expect(legend).toContain(team);
    expect(await graph.locator('.graph-edge').count()).toBeGreaterThan(2);

    // The accessible alternative lists the same entities.
    await page.getByText('Impacted entities as a table').click();
    const table = page.getByRole('table', { name: /impacted by an outage of payments/ });
    await table.getByRole('link', { name: 'web-frontend', exact: true }).first().waitFor();

    await shot(page, 'service');
    await page.locator('#blast-radius').screenshot({ path: join(SHOTS, 'blast-radius.png') });

    // A node is a link: it opens that entity.
    await graph.locator('[data-ref="service:checkout"]').click();
    await page.waitForURL(/\/catalog\/service\/checkout$/);
    await page.getByRole('heading', { name: /^checkout/, level: 1 }).waitFor();
  });

  test('the keyboard reaches the nav links and the search box, with a visible focus ring', async () => {
    const page = await signedInPage();
    await page.goto('/catalog');
    await page.getByRole('searchbox', { name: 'Search' }).waitFor();
    const seen: string[] = [];
    let navOutline = '';
    for (let i = 0; i < 25 && !(seen.includes('nav:Catalog') && seen.includes('search')); i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el) return { id: '', outline: '' };
        const outline = getComputedStyle(el).outlineStyle;
        if (el.id === 'catalog-q') return { id: 'search', outline };
        if (el.classList.contains('nav-link')) return { id: `nav:${el.textContent?.trim()}`, outline };
        return { id: el.tagName.toLowerCase(), outline };
      });
      seen.push(focused.id);
      if (focused.id === 'nav:Catalog') navOutline = focused.outline;
    }
    expect(seen).toContain('nav:Catalog');
    expect(seen).toContain('search');
    expect(navOutline).not.toBe('none');
    expect(seen.indexOf('nav:Catalog')).toBeLessThan(seen.indexOf('search'));

    // Enter on a focused nav link navigates.
    await page.getByRole('link', { name: 'Teams', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Teams', level: 1 }).waitFor();
    await page.locator('main a[href="/teams/payments"]').waitFor();
  });

  test('the theme toggle switches to dark and is remembered', async () => {
    const page = await signedInPage();
    await page.goto('/catalog/service/payments');
    await page.locator('#blast-radius svg.graph').waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await page.getByRole('button', { name: 'Switch to dark theme' }).click();
    await page.getByRole('button', { name: 'Switch to light theme' }).waitFor();
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await background()).toBe('rgb(11, 15, 23)');
    await page.reload();
    await page.locator('#blast-radius svg.graph').waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await background()).toBe('rgb(11, 15, 23)');
    await shot(page, 'dark');
  });

  test('on a 390px phone the nav folds into a menu button and the catalog still fits', async () => {
    const page = await signedInPage({ viewport: { width: 390, height: 844 } });
    await page.goto('/catalog');
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.waitFor();
    await page.locator(entityLink('payments')).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await shot(page, 'mobile', false);

    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('heading', { name: 'Teams', level: 1 }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);
    await menu.click();
    await shot(page, 'mobile-menu', false);
    await page.keyboard.press('Escape');
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
  });

  test('the audit log shows a change made through the API as it happens', async () => {
    const page = await signedInPage();
    await page.goto('/audit');
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page
      .getByRole('status')
      .filter({ hasText: /^Live$/ })
      .waitFor();
    await page.locator('table.journal-table').waitFor();

    const response = await fetch(`${server.url}/api/v1/teams`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'ui-observers', title: 'UI observers', type: 'enabling' }),
    });
    expect(response.status, await response.clone().text()).toBeLessThan(300);

    const fresh = page.locator('tr.row-fresh').filter({ hasText: 'ui-observers' });
    await fresh.first().waitFor();
    expect(await fresh.first().textContent()).toMatch(/team/);
    // The new row is announced to screen readers, not only highlighted.
    const live = page.locator('[aria-live="polite"]');
    expect(await live.textContent()).toMatch(/New audit entry/);
    await shot(page, 'audit', false);
  });
});
