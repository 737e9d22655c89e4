import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';

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
