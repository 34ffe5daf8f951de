// axe-core in Chromium over the review page's states and the stats page, at a laptop's
// and a phone's size: no violation of WCAG 2.1 A/AA or axe's best practices.
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM, useBrowser } from '../helpers/browser.ts';
import { plover } from '../helpers/cli.ts';
import { useTempRepos } from '../helpers/repo.ts';
import { startPlover, useServedRepo } from '../helpers/serve.ts';
import { reviewStateViolations, SIZES, violations } from '../helpers/axe.ts';

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
  });

  describe('with two reviewers in conflict', () => {
    const repos = useTempRepos();
    const stops: { stop(): Promise<void> }[] = [];
    afterAll(() => Promise.all(stops.map((s) => s.stop())));

    it.each(SIZES)('finds nothing in the Conflicts view, the bulk confirmation, the starting points and the offer to settle siblings, at %i×%i', async (width, height) => {
      const { dir } = repos();
      const id = 'sftc_b5505e86f70999cf';
      expect(
        plover(dir, ['submit', id, '--action', 'correct', '--response', 'Subject: Feedback request\n\nCould you review the report?', '--reviewer', 'Ann Lee <ann@example.org>'])
          .status,
      ).toBe(0);
      expect(plover(dir, ['submit', id, '--action', 'discard', '--reviewer', 'Bob Ray <bob@example.org>']).status).toBe(0);
      const server = await startPlover(dir, 'Cat Diaz <cat@example.org>');
      stops.push(server);
      const page = await browser.context.newPage();
      await page.setViewportSize({ width, height });
      await page.goto(`${server.url}?state=conflict`);
      await page.getByRole('region', { name: 'Decisions in conflict' }).getByRole('article', { name: 'Decision of bob@example.org' }).waitFor();
      const found: Record<string, string[]> = { 'conflicts view': await violations(page) };
      await page.goto(server.url);
      await page.locator('summary', { hasText: 'Filters and sort' }).click();
      const apply = page.getByRole('button', { name: /^Apply to all \d+ shown$/ });
      await expect.poll(() => apply.isEnabled()).toBe(true);
      found['bulk controls'] = await violations(page);
      await apply.click();
      await page.getByRole('dialog').waitFor();
      found['bulk confirmation'] = await violations(page);
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      // Starting points with the siblings listed, a start taken, the offer to settle the siblings and its confirmation.
      await page.goto(`${server.url}?q=sftc_624dd197476c8eb7`);
      const starts = page.getByRole('region', { name: 'Siblings and starting points' });
      await starts.getByText('3 siblings: the same question in other runs').click();
      await page.locator('body').press('s');
      await expect.poll(() => starts.getByRole('button', { pressed: true }).count()).toBe(1);
      found['starts and siblings'] = await violations(page);
      await page.getByRole('textbox', { name: 'Corrected response' }).fill('A corrected answer.');
      await page.getByRole('textbox', { name: 'Corrected response' }).press('Control+Enter');
      const settle = page.getByRole('button', { name: 'Same correction for 3 siblings' });
      await settle.waitFor();
      await expect.poll(() => page.locator('.commit[data-state="done"]').count()).toBe(1);
      found['settle offer'] = await violations(page);
      await settle.click();
      await page.getByRole('dialog').waitFor();
      found['settle confirmation'] = await violations(page);
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
      await page.close();
      expect(found).toEqual({ 'conflicts view': [], 'bulk controls': [], 'bulk confirmation': [], 'starts and siblings': [], 'settle offer': [], 'settle confirmation': [] });
    });
  });
});
