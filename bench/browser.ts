/** Debian's Chromium for the benches that drive the page, as the tests run it. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = [process.env.PLOVER_CHROMIUM, '/usr/bin/chromium'].find((p) => p && existsSync(p));

/** A headless Chromium at 1280×720 with a fresh profile; `close()` closes it and removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'plover-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM!,
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Run in the page before its own scripts (page.addInitScript; again at every load): watches
 * the card from outside the page's code. `bench:first-card` is the frame after the first
 * card of the load shows; `bench:next-card` runs
 * from a key press (seen before the page's handler) to the frame after the next card
 * shows, at once or when it arrives.
 */
export function watchCards() {
  let pressed = false;
  let shown: string | null = null;
  window.addEventListener(
    'keydown',
    () => {
      performance.mark('bench:key');
      pressed = true;
    },
    true,
  );
  new MutationObserver(() => {
    const id = document.querySelector('article[data-candidate-id]')?.getAttribute('data-candidate-id') ?? null;
    if (id === shown) return;
    const first = shown === null && performance.getEntriesByName('bench:first-card').length === 0;
    shown = id;
    if (id === null) return;
    if (first) requestAnimationFrame(() => performance.mark('bench:first-card'));
    else if (pressed) {
      pressed = false;
      requestAnimationFrame(() => performance.measure('bench:next-card', 'bench:key'));
    }
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-candidate-id'] });
}
