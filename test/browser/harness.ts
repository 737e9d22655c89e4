import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** What every browser test shares: paths, the admin token, the UI build and Debian's Chromium. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const WEB_ROOT = join(ROOT, 'web', 'dist');
export const SHOTS = join(ROOT, 'test-results');
export const ADMIN_TOKEN = 'vgl_test_admin_token_0123456789';
export const WAIT = 20_000;

/** Missing, or older than its sources (the UI imports a few pure modules from src/ too). */
function uiNeedsBuild(): boolean {
  const built = join(WEB_ROOT, 'index.html');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const sources = [join(ROOT, 'web', 'index.html'), join(ROOT, 'web', 'vite.config.ts'), join(ROOT, 'src', 'slo', 'nines.ts')];
  for (const entry of readdirSync(join(ROOT, 'web', 'src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) sources.push(join(entry.parentPath, entry.name));
  }
  return sources.some((file) => statSync(file).mtimeMs > builtAt);
}

/**
 * Builds the UI when it is stale. Test files run in parallel workers; a lock folder (mkdir is
 * atomic) makes one of them build while the others wait, instead of two builds writing one dist.
 */
export async function ensureWebBuild(): Promise<void> {
  const lock = join(ROOT, 'web', '.build-lock');
  for (let waited = 0; ; waited += 250) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 120_000) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (!uiNeedsBuild()) return;
    // vitest sets NODE_ENV=test, which would make Vite bundle React's development build.
    const build = spawnSync('npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    if (build.status !== 0) throw new Error(`vite build failed with status ${build.status}`);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function launchChromium(): Promise<Browser> {
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface PageOptions {
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
}

/**
 * A page in a context of its own at `base`: desktop size and the light theme unless asked
 * otherwise, a phone's touch and pixel ratio below 500 px wide. The context is added to
 * `contexts` for the test file to close.
 */
export async function openPage(
  browser: Browser,
  contexts: BrowserContext[],
  base: string,
  options: PageOptions = {},
): Promise<Page> {
  const context = await browser.newContext({
    baseURL: base,
    viewport: options.viewport ?? { width: 1280, height: 860 },
    colorScheme: options.colorScheme ?? 'light',
    ...(options.viewport && options.viewport.width < 500 ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
  });
  context.setDefaultTimeout(WAIT);
  contexts.push(context);
  return context.newPage();
}

/** Signs the page's context in as the admin. */
export async function signIn(page: Page): Promise<Page> {
  const response = await page.request.post('/api/v1/auth/login', { data: { token: ADMIN_TOKEN } });
  expect(response.status()).toBe(200);
  return page;
}

/** A full-page screenshot into test-results/, taken from the top (a scrolled page would paint its sticky header mid-image). */
export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}

/** A request to the server's API as the admin (or anonymous with `auth: false`); anything but 2xx fails the test. */
export async function adminApi<T>(
  base: string,
  path: string,
  init: { method?: string; body?: unknown; auth?: boolean } = {},
): Promise<T> {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.auth === false ? {} : { authorization: `Bearer ${ADMIN_TOKEN}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  expect(response.status, `${init.method ?? 'GET'} ${path}: ${text}`).toBeLessThan(300);
  return (text ? JSON.parse(text) : undefined) as T;
}
