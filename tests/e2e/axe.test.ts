// axe-core in Chromium over the review page's states and the stats page, at a laptop's
// and a phone's size: no violation of WCAG 2.1 A/AA or axe's best practices.
import { describe, expect, it } from 'vitest';
import { CHROMIUM, useBrowser } from '../helpers/browser.ts';
import { useServedRepo } from '../helpers/serve.ts';
import { reviewStateViolations, SIZES } from '../helpers/axe.ts';

describe.skipIf(!CHROMIUM)('accessibility (axe-core) of the local site', () => {
  const browser = useBrowser({ bypassCSP: true });
  const repo = useServedRepo('Ada Axe <ada@example.org>');

  it.each(SIZES)('finds nothing on the review page in each of its states, and on /stats/, at %i×%i', async (width, height) => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width, height });
    await page.goto(repo.url);
    const found = await reviewStateViolations(page, repo.url, async () => undefined);
    await page.close();
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
  }, 120_000);
});
