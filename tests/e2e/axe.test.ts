// axe-core in Chromium over the review page's states and the stats page, at a laptop's
// and a phone's size: no violation of WCAG 2.1 A/AA or axe's best practices.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, useBrowser } from '../helpers/browser.ts';
import { useServedRepo } from '../helpers/serve.ts';
import { SIZES, violations } from '../helpers/axe.ts';

describe.skipIf(!CHROMIUM)('accessibility (axe-core) of the local site', () => {
  const browser = useBrowser({ bypassCSP: true });
  const repo = useServedRepo('Ada Axe <ada@example.org>');

  async function open(path = '', [width, height]: readonly [number, number]): Promise<Page> {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width, height });
    await page.goto(`${repo.url}${path}`);
    return page;
  }

  it.each(SIZES)('finds nothing on the review page in each of its states at %i×%i', async (width, height) => {
    const page = await open('', [width, height]);
    const card = page.getByRole('article', { name: 'Candidate' });
    await card.waitFor();
    const found: Record<string, string[]> = { 'first card': await violations(page) };
    await page.locator('summary', { hasText: 'Filters and sort' }).click();
    await page.locator('.filters select').first().waitFor();
    found['filters open'] = await violations(page);
    await page.locator('summary', { hasText: 'Filters and sort' }).click();
    await page.getByRole('button', { name: 'Shortcuts (?)' }).click();
    await page.getByRole('dialog').waitFor();
    found['shortcut sheet'] = await violations(page);
    await page.keyboard.press('Escape');
    for (let i = 0; i < 2; i++) {
      const id = await card.getAttribute('data-candidate-id');
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      await expect.poll(() => card.getAttribute('data-candidate-id')).not.toBe(id);
    }
    await expect.poll(() => page.locator('.commit[data-state="done"]').count(), { timeout: 15_000 }).toBe(2);
    found['after two decisions'] = await violations(page);
    await page.close();

    const filtered = await open('?state=decided&sort=-score', [width, height]);
    await filtered.getByRole('article', { name: 'Candidate' }).waitFor();
    found['a filtered URL'] = await violations(filtered);
    await filtered.close();

    const stats = await open('stats/', [width, height]);
    await stats.getByTestId('ready').waitFor();
    found['stats page'] = await violations(stats);
    await stats.close();
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
  }, 120_000);
});
