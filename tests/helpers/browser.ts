/**
 * Debian's Chromium driven by playwright-core. Without a Chromium the browser tests
 * fail under CI=true, and elsewhere are skipped with a loud warning.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { LIMIT } from './limits.ts';

const CANDIDATES = [process.env.PLOVER_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[];
export const CHROMIUM = CANDIDATES.find((p) => existsSync(p));

if (!CHROMIUM) {
  const message = `no Chromium found (looked for ${CANDIDATES.join(', ')}): install it with \`apt-get install -y chromium\` or set PLOVER_CHROMIUM`;
  if (process.env.CI === 'true') throw new Error(`browser tests cannot run: ${message}`);
  console.warn(`\n${'!'.repeat(78)}\n!! BROWSER TESTS SKIPPED: ${message}\n${'!'.repeat(78)}\n`);
}

/** A headless Chromium with a fresh profile; `close()` removes the profile. */
export async function launchBrowser(options: { bypassCSP?: boolean } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'plover-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM!,
    headless: true,
    // Only for injecting test tools (axe): the site's own policy is tested as it is elsewhere.
    bypassCSP: options.bypassCSP === true,
    viewport: { width: 1280, height: 720 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  // Every action and wait of the page waits for its event up to the suite's one limit.
  context.setDefaultTimeout(LIMIT);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** A browser for the tests of the calling describe: launched before them, closed after. */
export function useBrowser(options: { bypassCSP?: boolean } = {}): { readonly context: BrowserContext } {
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;
  beforeAll(async () => {
    browser = await launchBrowser(options);
  });
  afterAll(async () => browser?.close());
  return {
    get context() {
      return browser!.context;
    },
  };
}

/**
 * Takes a screenshot of the page. It goes to docs/screenshots/ (the pictures the documentation
 * links) only with PLOVER_SCREENSHOTS=1, so that `npm test` leaves the working tree clean.
 */
export async function screenshot(page: Page, name: string, options: { fullPage?: boolean } = {}): Promise<void> {
  const dir = process.env.PLOVER_SCREENSHOTS === '1' ? join(import.meta.dirname, '../../docs/screenshots') : join(tmpdir(), 'plover-screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), ...options });
}
