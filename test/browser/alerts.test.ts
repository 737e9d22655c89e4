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
 * The alerting pages in a real browser against a real server with the example organization:
 * alerts sent through a PagerDuty Events API v2 integration, acknowledged, resolved and silenced
 * from the alert page, silences created and expired, dead letters. SQLite in a temp dir, Debian's
 * Chromium; screenshots land in test-results/.
 */

let server: Awaited<ReturnType<typeof startVigil>>;
let empty: Awaited<ReturnType<typeof startVigil>>;
let browser: Browser;
let dataDir: string;
/** A webhook receiver that refuses every notification, so deliveries to it die at once. */
let refusing: Server;
let ledgerKey: string;
const contexts: BrowserContext[] = [];

interface AlertOut {
  id: string;
  summary: string;
  status: string;
  service: string;
}

interface SilenceOut {
  id: string;
  matchers: string[];
  state: string;
  comment: string;
}

/** The alerts the test sends, by dedup key. */
const CHECKOUT_5XX = { key: 'checkout/5xx', summary: 'Error rate 5% on checkout', severity: 'critical' };
const CHECKOUT_LATENCY = { key: 'checkout/latency', summary: 'Checkout p99 latency above 2s', severity: 'warning' };
const PAYMENTS_TIMEOUTS = { key: 'payments/timeouts', summary: 'Card processor timeouts on payments', severity: 'error' };
const PAYMENTS_OLD = { key: 'payments/disk', summary: 'Disk 90% full on payments-db', severity: 'info' };
/** A warning on a service whose working hours are not now: its notification waits for them. */
const SEARCH_SLOW = { key: 'search/slow', summary: 'Search indexing is slow', severity: 'warning' };
const LEDGER_DOWN = { key: 'ledger/down', summary: 'Ledger writes failing', severity: 'critical' };
const ids: Record<string, string> = {};

const newPage = (options: PageOptions = {}, base = server.url): Promise<Page> => openPage(browser, contexts, base, options);

const signedInPage = async (options: PageOptions = {}, base = server.url): Promise<Page> => signIn(await newPage(options, base));

const api = <T>(path: string, init: Parameters<typeof adminApi>[2] = {}): Promise<T> => adminApi<T>(server.url, path, init);

async function send(
  key: string,
  alert: { key: string; summary: string; severity: string },
  action: 'trigger' | 'resolve' = 'trigger',
  extra: Record<string, unknown> = {},
  event: Record<string, unknown> = {},
): Promise<void> {
  await api('/v2/enqueue', {
    method: 'POST',
    auth: false,
    body: {
      routing_key: key,
      event_action: action,
      dedup_key: alert.key,
      payload: { summary: alert.summary, source: 'browser-test', severity: alert.severity, ...extra },
      ...event,
    },
  });
}

const byKey = async (dedupKey: string): Promise<AlertOut> => {
  const all = await api<{ items: Array<AlertOut & { dedupKey: string }> }>('/api/v1/alerts?status=all&limit=500');
  const found = all.items.find((a) => a.dedupKey === dedupKey);
  if (!found) throw new Error(`no alert with dedup key ${dedupKey}`);
  return found;
};

beforeAll(async () => {
  await ensureWebBuild();
  dataDir = mkdtempSync(join(tmpdir(), 'vigil-alerts-ui-'));
  server = await startVigil({
    db: `sqlite:${join(dataDir, 'vigil.db')}`,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webRoot: WEB_ROOT,
    examples: join(ROOT, 'examples'),
    logger: false,
  });
  refusing = createServer((_req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('no such hook');
  });
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
  // A second server without the example organization: a fresh install that never had an alert.
  empty = await startVigil({
    db: `sqlite:${join(dataDir, 'empty.db')}`,
    port: 0,
    adminToken: ADMIN_TOKEN,
    webRoot: WEB_ROOT,
    examples: null,
    logger: false,
  });
  // The example probes check a demo server that is not running here; without them no probe
  // alert joins the ones the test sends.
  for (const p of (await api<{ items: Array<{ name: string }> }>('/api/v1/probes?limit=500')).items) {
    await api(`/api/v1/probes/${p.name}`, { method: 'DELETE' });
  }
  const checkout = await api<{ key: string }>('/api/v1/integrations', {
    method: 'POST',
    body: { name: 'checkout-pd', service: 'checkout', type: 'events-api-v2' },
  });
  const payments = await api<{ key: string }>('/api/v1/integrations', {
    method: 'POST',
    body: { name: 'payments-pd', service: 'payments', type: 'events-api-v2' },
  });
  // A second event for the same key adds to the alert instead of opening another.
  const details = { component: 'api', custom_details: { region: 'eu-west-1', errorRate: 0.052 } };
  const links = { links: [{ href: 'https://grafana.example/d/checkout', text: 'Checkout dashboard' }] };
  await send(checkout.key, CHECKOUT_5XX, 'trigger', details, links);
  await send(checkout.key, CHECKOUT_5XX, 'trigger', details, links);
  await send(checkout.key, CHECKOUT_LATENCY);
  await send(payments.key, PAYMENTS_TIMEOUTS);
  await send(payments.key, PAYMENTS_OLD);
  await send(payments.key, PAYMENTS_OLD, 'resolve');
  // Search works one hour tomorrow and never now, so its low-urgency alerts are deferred until then.
  const tomorrow = (new Date().getUTCDay() + 1) % 7 || 7;
  await api('/api/v1/services/search/alert-policy', {
    method: 'PUT',
    body: { workingHours: { timeZone: 'UTC', days: [tomorrow], start: '09:00', end: '10:00' } },
  });
  const search = await api<{ key: string }>('/api/v1/integrations', {
    method: 'POST',
    body: { name: 'search-pd', service: 'search', type: 'events-api-v2' },
  });
  await send(search.key, SEARCH_SLOW);
  ledgerKey = (
    await api<{ key: string }>('/api/v1/integrations', {
      method: 'POST',
      body: { name: 'ledger-pd', service: 'ledger', type: 'events-api-v2' },
    })
  ).key;
  for (const a of [CHECKOUT_5XX, CHECKOUT_LATENCY, PAYMENTS_TIMEOUTS, PAYMENTS_OLD, SEARCH_SLOW])
    ids[a.key] = (await byKey(a.key)).id;
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await server?.close();
  await empty?.close();
  await new Promise((resolve) => refusing?.close(resolve));
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

const row = (page: Page, dedupKey: string) => page.locator(`table.alert-table tr[data-alert="${ids[dedupKey]}"]`);
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

describe('alerts UI', { timeout: 120_000 }, () => {
  test('a server that never had an alert explains how to send one', async () => {
    const page = await signedInPage({}, empty.url);
    await page.goto('/alerts');
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    await page.getByText('No alerts yet').waitFor();
    const main = (await page.getByRole('main').textContent()) ?? '';
    expect(main).toContain('vigil integration create');
    expect(main).toContain('/v2/enqueue');
    expect(await page.locator('table.alert-table').count()).toBe(0);

    await page.getByRole('navigation', { name: 'Alerting' }).getByRole('link', { name: 'Silences' }).click();
    await page.getByText('No active or pending silences').waitFor();
  });

  test('the list shows the open alerts with severity, status, service and counts', async () => {
    const page = await signedInPage();
    await page.goto('/alerts');
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    await page.getByRole('table', { name: /Alerts, newest first/ }).waitFor();
    for (const a of [CHECKOUT_5XX, CHECKOUT_LATENCY, PAYMENTS_TIMEOUTS]) await row(page, a.key).waitFor();
    // Open is the default: the resolved alert is not listed.
    expect(await row(page, PAYMENTS_OLD.key).count()).toBe(0);

    const first = row(page, CHECKOUT_5XX.key);
    expect(await first.getAttribute('data-status')).toBe('triggered');
    expect(await first.locator('.alert-severity').textContent()).toBe('Critical');
    expect(await first.locator('.alert-status').textContent()).toMatch(/Triggered/);
    expect(await first.locator(`a[href="/alerts/${ids[CHECKOUT_5XX.key]}"]`).textContent()).toBe(CHECKOUT_5XX.summary);
    expect(await first.locator('a[href="/catalog/service/checkout"]').count()).toBe(1);
    expect(await first.textContent()).toContain('checkout-pd');
    expect(await first.textContent()).toContain('2 events');
    expect(await first.locator('time').first().textContent()).toMatch(/ago|just now|now/);
    expect(await row(page, CHECKOUT_LATENCY.key).locator('.alert-severity').textContent()).toBe('Warning');
    expect(await row(page, PAYMENTS_TIMEOUTS.key).locator('.alert-severity').textContent()).toBe('Error');

    // The counts are the server's totals.
    const total = async (status: string) => (await api<{ total: number }>(`/api/v1/alerts?status=${status}&limit=1`)).total;
    const chips = page.getByRole('list', { name: 'Filter by status' });
    expect(Number(await chips.locator('[data-status="triggered"] .status-chip-count').textContent())).toBe(
      await total('triggered'),
    );
    expect(Number(await chips.locator('[data-status="resolved"] .status-chip-count').textContent())).toBe(
      await total('resolved'),
    );
    expect(await total('resolved')).toBeGreaterThanOrEqual(1);

    // The section is current in the main nav and in the alerting sub-navigation.
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Alerts', exact: true }).getAttribute('aria-current')).toBe('page');
    const sub = page.getByRole('navigation', { name: 'Alerting' });
    expect(await sub.getByRole('link', { name: 'Alerts', exact: true }).getAttribute('aria-current')).toBe('page');
    for (const name of ['Silences', 'Dead letters', 'Fatigue']) await sub.getByRole('link', { name, exact: true }).waitFor();
    await shot(page, 'alerts-list');
  });

  test('the status and service filters narrow the list and stay in the URL', async () => {
    const page = await signedInPage();
    await page.goto('/alerts');
    await row(page, CHECKOUT_5XX.key).waitFor();

    await page.getByLabel('Service', { exact: true }).selectOption('payments');
    await page.waitForURL(/service=payments/);
    await row(page, CHECKOUT_5XX.key).waitFor({ state: 'detached' });
    await row(page, PAYMENTS_TIMEOUTS.key).waitFor();
    const texts = await page.locator('table.alert-table tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent ?? ''));
    expect(texts.filter((t) => t.includes('checkout'))).toEqual([]);

    await page.getByLabel('Status', { exact: true }).selectOption('resolved');
    await page.waitForURL(/status=resolved/);
    await row(page, PAYMENTS_OLD.key).waitFor();
    expect(await row(page, PAYMENTS_OLD.key).getAttribute('data-status')).toBe('resolved');
    expect(await row(page, PAYMENTS_TIMEOUTS.key).count()).toBe(0);

    // A reload keeps the filters.
    await page.reload();
    await row(page, PAYMENTS_OLD.key).waitFor();
    expect(await page.getByLabel('Status', { exact: true }).inputValue()).toBe('resolved');
    expect(await page.getByLabel('Service', { exact: true }).inputValue()).toBe('payments');

    // A status chip filters too; pressing it again goes back to open alerts.
    const chip = page.getByRole('list', { name: 'Filter by status' }).locator('button[data-status="triggered"]');
    await chip.click();
    await page.waitForURL(/status=triggered/);
    await row(page, PAYMENTS_TIMEOUTS.key).waitFor();
    expect(await chip.getAttribute('aria-pressed')).toBe('true');

    // No match explains itself.
    await page.getByLabel('Service', { exact: true }).selectOption('cart');
    await page.getByText('No alert matches these filters').waitFor();
    await page.getByRole('button', { name: 'Show open alerts of every service' }).click();
    await row(page, CHECKOUT_5XX.key).waitFor();
    expect(new URL(page.url()).search).toBe('');
  });

  test('the alert page shows the alert; Acknowledge and Resolve change its status', async () => {
    const page = await signedInPage();
    await page.goto('/alerts');
    await row(page, CHECKOUT_5XX.key).getByRole('link', { name: CHECKOUT_5XX.summary }).click();
    await page.waitForURL(`**/alerts/${ids[CHECKOUT_5XX.key]}`);
    const heading = page.getByRole('heading', { level: 1 });
    await heading.filter({ hasText: CHECKOUT_5XX.summary }).waitFor();
    expect(await heading.locator('.alert-status').textContent()).toMatch(/Triggered/);
    expect(await page.locator('[data-field="severity"]').textContent()).toBe('Critical');
    expect(await page.locator('[data-field="service"] a').getAttribute('href')).toBe('/catalog/service/checkout');
    expect(await page.locator('[data-field="integration"]').textContent()).toContain('checkout-pd');
    expect(await page.locator('[data-field="dedup-key"]').textContent()).toBe(CHECKOUT_5XX.key);
    expect(await page.locator('[data-field="events"]').textContent()).toMatch(/^2 events received/);
    const details = page.getByRole('region', { name: 'Details' });
    expect(await details.textContent()).toContain('"region": "eu-west-1"');
    expect(await page.getByText('component', { exact: true }).count()).toBe(1);
    const dashboard = page.getByRole('link', { name: 'Checkout dashboard' });
    expect(await dashboard.getAttribute('href')).toBe('https://grafana.example/d/checkout');
    expect(await dashboard.getAttribute('rel')).toBe('noopener noreferrer');
    const breadcrumb = page.getByRole('navigation', { name: 'Breadcrumb' });
    expect(await breadcrumb.getByRole('link', { name: 'Alerts' }).getAttribute('href')).toBe('/alerts');

    await page.getByRole('button', { name: 'Acknowledge' }).click();
    await heading.locator('.alert-status[data-status="acknowledged"]').waitFor();
    const timeline = page.getByRole('region', { name: 'Timeline' });
    await timeline.locator('[data-step="acknowledged"]').waitFor();
    expect(await timeline.locator('[data-step="acknowledged"]').textContent()).toMatch(/Acknowledged by \S+/);
    expect(await page.getByRole('button', { name: 'Acknowledge' }).count()).toBe(0);
    expect((await api<AlertOut>(`/api/v1/alerts/${ids[CHECKOUT_5XX.key]}`)).status).toBe('acknowledged');

    await page.getByRole('button', { name: 'Resolve' }).click();
    await heading.locator('.alert-status[data-status="resolved"]').waitFor();
    await timeline.locator('[data-step="resolved"]').waitFor();
    expect(await page.getByRole('button', { name: 'Resolve' }).count()).toBe(0);
    expect((await api<AlertOut>(`/api/v1/alerts/${ids[CHECKOUT_5XX.key]}`)).status).toBe('resolved');
    await shot(page, 'alert-page');

    // Back on the list the alert has left the open alerts.
    await breadcrumb.getByRole('link', { name: 'Alerts' }).click();
    await row(page, CHECKOUT_LATENCY.key).waitFor();
    expect(await row(page, CHECKOUT_5XX.key).count()).toBe(0);
  });

  test('silencing from the alert page creates a silence that the Silences page lists and expires', async () => {
    const page = await signedInPage();
    await page.goto(`/alerts/${ids[CHECKOUT_LATENCY.key]}`);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: CHECKOUT_LATENCY.summary }).waitFor();
    await page.getByRole('button', { name: 'Silence…' }).click();
    const form = page.getByRole('region', { name: 'Silence this alert' });
    // Wider silences are written on the Silences page, which the alert's service starts.
    expect(await form.getByRole('link', { name: 'write the matchers on the Silences page' }).getAttribute('href')).toBe(
      '/alerts/silences?matcher=service%3D%22checkout%22',
    );
    await form.getByLabel('For', { exact: true }).selectOption('1h');
    // A comment is asked for before anything is sent.
    await form.getByRole('button', { name: 'Silence for 1h' }).click();
    await form.locator('.field-error').waitFor();
    expect(await form.getByLabel('Comment', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await form.getByLabel('Comment', { exact: true }).fill('Known: the cache warm-up after the deploy');
    await form.getByRole('button', { name: 'Silence for 1h' }).click();
    const created = page.locator('.silence-created');
    await created.waitFor();
    expect(await created.textContent()).toMatch(/Silenced until/);

    const silences = await api<{ items: SilenceOut[] }>('/api/v1/silences?state=all');
    const silence = silences.items.find((s) => s.comment === 'Known: the cache warm-up after the deploy');
    expect(silence).toBeDefined();
    expect(silence?.state).toBe('active');

    await created.getByRole('link', { name: 'See it on the Silences page' }).click();
    await page.getByRole('heading', { name: 'Silences', level: 1 }).waitFor();
    const silenceRow = page.locator(`table.silence-table tr[data-silence="${silence?.id}"]`);
    await silenceRow.waitFor();
    expect(await silenceRow.getAttribute('data-state')).toBe('active');
    expect(await silenceRow.textContent()).toContain('Known: the cache warm-up after the deploy');
    for (const m of silence?.matchers ?? []) expect(await silenceRow.textContent()).toContain(m);
    const sub = page.getByRole('navigation', { name: 'Alerting' });
    expect(await sub.getByRole('link', { name: 'Silences' }).getAttribute('aria-current')).toBe('page');
    await shot(page, 'alert-silences');

    await silenceRow.getByRole('button', { name: /^Expire/ }).click();
    await page.locator(`table.silence-table tr[data-silence="${silence?.id}"][data-state="expired"]`).waitFor();
    // The page says whether alerts it kept quiet were notified now that it ended.
    const ended = page.getByRole('status').filter({ hasText: 'expired.' });
    await ended.waitFor();
    expect(await ended.textContent()).toMatch(/still fires? and (was|were) notified|No alert it kept quiet is still firing/);
    expect(await silenceRow.getByRole('button', { name: /^Expire/ }).count()).toBe(0);
    expect((await api<{ items: SilenceOut[] }>('/api/v1/silences?state=expired')).items.map((s) => s.id)).toContain(silence?.id);

    // The current silences (active and pending) no longer have it; the expired ones do.
    await page.getByRole('button', { name: 'Current', exact: true }).click();
    await page.waitForURL((url) => !url.search.includes('state='));
    await silenceRow.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Expired', exact: true }).click();
    await page.waitForURL(/state=expired/);
    await silenceRow.waitFor();
  });

  test('the Silences page creates a silence from matchers and shows field errors next to the field', async () => {
    const page = await signedInPage();
    await page.goto('/alerts/silences?matcher=service%3D%22payments%22');
    const form = page.getByRole('region', { name: 'New silence' });
    await form.waitFor();
    expect(await form.getByLabel('Matchers', { exact: true }).inputValue()).toBe('service="payments"');
    await form.getByLabel('Matchers', { exact: true }).fill('service=="checkout');
    await form.getByLabel('Comment', { exact: true }).fill('Planned failover of the payments database');
    await form.getByRole('button', { name: 'Create silence' }).click();
    // The server's problem names the field; the error shows under it.
    const matchers = form.getByLabel('Matchers', { exact: true });
    await form.locator('.field-error').first().waitFor();
    expect(await matchers.getAttribute('aria-invalid')).toBe('true');
    const describedBy = (await matchers.getAttribute('aria-describedby')) ?? '';
    const errorId = describedBy.split(' ').find((i) => i.endsWith('-matchers-error'));
    expect(errorId).toBeDefined();
    expect((await page.locator(`[id="${errorId}"]`).textContent())?.length).toBeGreaterThan(0);

    await matchers.fill('service="payments"\nseverity=~"warning|info"');
    await form.getByLabel('For', { exact: true }).fill('2h');
    await form.getByRole('button', { name: 'Create silence' }).click();
    await page.getByRole('status').filter({ hasText: 'Silence created' }).waitFor();
    const created = (await api<{ items: SilenceOut[] }>('/api/v1/silences?state=active')).items.find(
      (s) => s.comment === 'Planned failover of the payments database',
    );
    expect(created?.matchers).toEqual(['service="payments"', 'severity=~"warning|info"']);
    const createdRow = page.locator(`table.silence-table tr[data-silence="${created?.id}"]`);
    await createdRow.waitFor();
    expect(await createdRow.getAttribute('data-state')).toBe('active');
    await shot(page, 'silences-page');
  });

  test('dead letters: none yet, said plainly', async () => {
    const page = await signedInPage();
    await page.goto('/alerts/dead');
    await page.getByRole('heading', { name: 'Dead letters', level: 1 }).waitFor();
    await page.getByText('No failed deliveries').waitFor();
    expect((await api<{ items: unknown[] }>('/api/v1/notifications/dead')).items).toEqual([]);
    const sub = page.getByRole('navigation', { name: 'Alerting' });
    expect(await sub.getByRole('link', { name: 'Dead letters' }).getAttribute('aria-current')).toBe('page');

    await sub.getByRole('link', { name: 'Fatigue' }).click();
    await page.waitForURL('**/alerts/fatigue');
    await page.getByRole('heading', { level: 1 }).waitFor();
    expect(await sub.getByRole('link', { name: 'Fatigue' }).getAttribute('aria-current')).toBe('page');
  });

  test('the fatigue page reloads the report for the shift handoffs picked and keeps them in the URL', async () => {
    const page = await signedInPage();
    await page.goto('/alerts/fatigue');
    const period = page.getByTestId('fatigue-period');
    await period.waitFor();
    expect(await period.textContent()).toContain('12-hour shifts (day 08:00–20:00, night 20:00–08:00, UTC)');
    const handoffs = page.getByLabel('Shift handoffs', { exact: true });
    await handoffs.selectOption('07:00,15:00,23:00');
    await page.waitForURL(/handoffs=07%3A00%2C15%3A00%2C23%3A00/);
    await page.getByText('8-hour shifts (07:00–15:00, 15:00–23:00, 23:00–07:00, UTC)').waitFor();

    await handoffs.selectOption('custom');
    const custom = page.getByLabel('Handoff times', { exact: true });
    await custom.fill('18:00, 06:00');
    await custom.press('Enter');
    await page.waitForURL(/handoffs=18%3A00%2C06%3A00/);
    await page.getByText('12-hour shifts (06:00–18:00, 18:00–06:00, UTC)').waitFor();
    expect(await page.getByRole('heading', { name: /Shifts over 2 pages per 12 h/ }).count()).toBe(1);
    await shot(page, 'alert-fatigue-handoffs');
  });

  test('a low-urgency alert outside working hours is marked deferred until they start', async () => {
    const alert = await api<{ notifyAt: number | null; urgency: string }>(`/api/v1/alerts/${ids[SEARCH_SLOW.key]}`);
    expect(alert.urgency).toBe('low');
    expect(alert.notifyAt).toBeGreaterThan(Date.now());
    const page = await signedInPage();
    await page.goto('/alerts?service=search');
    const deferred = row(page, SEARCH_SLOW.key).locator('.alert-deferred');
    await deferred.waitFor();
    expect(await deferred.textContent()).toMatch(/^deferred until /);
    expect(await deferred.locator('time').getAttribute('datetime')).toBe(new Date(alert.notifyAt ?? 0).toISOString());

    await row(page, SEARCH_SLOW.key).getByRole('link', { name: SEARCH_SLOW.summary }).click();
    const notice = page.locator('.alert-suppression');
    await notice.waitFor();
    expect(await notice.textContent()).toMatch(/Notifications deferred until .*working hours/);
    expect(await page.locator('[data-field="urgency"]').textContent()).toBe('low');
  });

  test('a refused notification shows under dead letters with its attempts, and Retry sends it again', async () => {
    await api('/api/v1/notification-targets', {
      method: 'POST',
      body: {
        name: 'ledger-hook',
        service: 'ledger',
        channel: {
          type: 'webhook',
          url: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/hook`,
          secret: 'a-long-shared-secret-for-tests',
        },
      },
    });
    await send(ledgerKey, LEDGER_DOWN);
    let dead: Array<{ jobId: string; target: string | null }> = [];
    for (const deadline = Date.now() + 90_000; dead.length === 0; ) {
      if (Date.now() > deadline) throw new Error('the refused notification never reached the dead letters');
      await new Promise((resolve) => setTimeout(resolve, 500));
      dead = (await api<{ items: typeof dead }>('/api/v1/notifications/dead')).items;
    }
    const letter = dead[0];
    expect(letter?.target).toBe('ledger-hook');

    const page = await signedInPage();
    await page.goto('/alerts/dead');
    const card = page.locator(`.dead-letter[data-job="${letter?.jobId}"]`);
    await card.waitFor();
    expect(await card.textContent()).toContain('ledger-hook');
    expect(await card.textContent()).toContain('alert triggered');
    expect(await card.locator('.dead-error').textContent()).toContain('404');
    await card.locator('summary', { hasText: 'Attempts' }).click();
    const attempts = card.getByRole('table', { name: 'Delivery attempts, oldest first' });
    await attempts.waitFor();
    expect(await attempts.locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
    expect(await attempts.locator('tbody tr').first().textContent()).toContain('404');
    expect(await attempts.locator('tbody tr').first().textContent()).toContain('permanent');
    await shot(page, 'dead-letters');

    await card.getByRole('button', { name: 'Retry the delivery to ledger-hook' }).click();
    await page.getByRole('status').filter({ hasText: 'queued again' }).waitFor();
  });

  test('a reader sees the alert but no buttons that change it', async () => {
    const { token } = await api<{ token: string }>('/api/v1/tokens', {
      method: 'POST',
      body: { name: 'alert-reader', scopes: ['read'] },
    });
    const context = await browser.newContext({ baseURL: server.url, extraHTTPHeaders: { authorization: `Bearer ${token}` } });
    context.setDefaultTimeout(WAIT);
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`/alerts/${ids[PAYMENTS_TIMEOUTS.key]}`);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: PAYMENTS_TIMEOUTS.summary }).waitFor();
    expect(await page.getByRole('button', { name: /^(Acknowledge|Resolve|Silence…)$/ }).count()).toBe(0);
  });

  test('on a phone the list, an alert and the silences fit the screen', async () => {
    const phone = await signedInPage({ viewport: { width: 390, height: 844 } });
    await phone.goto('/alerts?status=all');
    await row(phone, PAYMENTS_TIMEOUTS.key).waitFor();
    expect(await overflow(phone)).toBeLessThanOrEqual(0);
    expect(await row(phone, PAYMENTS_TIMEOUTS.key).locator('.phone-only').first().isVisible()).toBe(true);
    await shot(phone, 'alerts-list-phone');

    await phone.goto(`/alerts/${ids[CHECKOUT_5XX.key]}`);
    await phone.getByRole('region', { name: 'Details' }).waitFor();
    expect(await overflow(phone)).toBeLessThanOrEqual(0);
    await shot(phone, 'alert-page-phone');

    await phone.goto('/alerts/silences?state=all');
    await phone.locator('table.silence-table tbody tr').first().waitFor();
    expect(await overflow(phone)).toBeLessThanOrEqual(0);
    await shot(phone, 'silences-phone');
  });

  test('in the dark theme the alerts use the dark palette', async () => {
    const dark = await signedInPage({ colorScheme: 'dark' });
    await dark.goto('/alerts');
    await row(dark, PAYMENTS_TIMEOUTS.key).waitFor();
    const colors = await dark.evaluate(() => {
      const body = getComputedStyle(document.body).backgroundColor;
      const severity = getComputedStyle(document.querySelector('.alert-severity-error') as Element).color;
      const status = getComputedStyle(document.querySelector('tbody .alert-status-triggered') as Element).color;
      return { body, severity, status };
    });
    expect(colors.body).toBe('rgb(11, 15, 23)');
    expect(colors.severity).toBe('rgb(252, 165, 165)');
    expect(colors.status).toBe('rgb(252, 165, 165)');
    await shot(dark, 'alerts-list-dark');
    await dark.goto(`/alerts/${ids[PAYMENTS_TIMEOUTS.key]}`);
    await dark.getByRole('region', { name: 'Timeline' }).waitFor();
    await shot(dark, 'alert-page-dark');
  });
});
