import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';
import { plover } from '../helpers/cli.ts';
import { SHARED_DATA, createRepo, git, type TempRepo } from '../helpers/repo.ts';
import { startPlover } from '../helpers/serve.ts';

// Real candidates from ../shared/data that carry what untrusted text carries.
const CASES: [string, string, RegExp][] = [
  ['a <script> tag in the response', 'sftc_85b1155998077da9', /<script/i],
  ['a 65,477-character line of dashes', 'sftc_17dc293cd45b7f51', /-{200}/],
  ['CJK text', 'sftc_5d85334aee0c18d6', /[\u4e00-\u9fff]/],
  ['astral-plane emoji', 'sftc_5c4f662da24c1f5f', /[\u{1F300}-\u{1FAFF}]/u],
  ['leaked chat-template tokens', 'sftc_1755c38db9b50c9d', /\[\/INST\]/],
];

describe.skipIf(!CHROMIUM)('the real data in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let repo: TempRepo;
  let server: Awaited<ReturnType<typeof startPlover>>;
  beforeAll(async () => {
    repo = createRepo({ candidates: false });
    expect(plover(repo.dir, ['import', SHARED_DATA]).stdout).toContain('imported 2250 candidates in 6 runs');
    git(repo.dir, 'add', '-A');
    git(repo.dir, 'commit', '-qm', 'import');
    server = await startPlover(repo.dir, 'Ann <ann@example.org>');
    browser = await launchBrowser();
    context = browser.context;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    repo?.remove();
  });

  it.each(CASES)('renders %s safely and readably, rendered and raw', async (_what, id, telling) => {
    const page = await context.newPage();
    try {
      page.on('dialog', (d) => void d.dismiss());
      for (const raw of [false, true]) {
        await page.goto(`${server.url}?state=all&q=${encodeURIComponent(id)}`);
        if (raw) await page.getByRole('checkbox', { name: 'Show raw text' }).check();
        const card = page.getByRole('article', { name: 'Candidate' });
        await card.waitFor();
        expect(await card.getAttribute('data-candidate-id')).toBe(id);
        expect(await card.innerText()).toMatch(telling);
        expect(await card.locator('script, img, iframe, object, embed').count()).toBe(0);
        expect(await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned)).toBeUndefined();
        // Long lines wrap inside the card: the page never scrolls sideways.
        expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
      }
    } finally {
      await page.close();
    }
  });
});
