import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';
import { plover } from '../helpers/cli.ts';
import { DATA_CANDIDATES, createRepo, git, harnessFolder, type TempRepo } from '../helpers/repo.ts';
import { startPlover } from '../helpers/serve.ts';

// Candidates that carry what untrusted text carries: the messy fixture run, and a real MT-Bench answer that leaks template tokens.
const CASES: [string, string, RegExp][] = [
  ['a <script> tag in the response', 'sftc_messy_01', /<script/i],
  ['a 65,477-character line of dashes', 'sftc_messy_02', /-{200}/],
  ['CJK text', 'sftc_messy_03', /[\u4e00-\u9fff]/],
  ['astral-plane emoji', 'sftc_messy_04', /[\u{1F300}-\u{1FAFF}]/u],
  ['leaked chat-template tokens', 'sftc_1755c38db9b50c9d', /\[\/INST\]/],
  ['ChatML, Llama 3 and Gemma turn markers', 'sftc_messy_06', /<\|im_end\|>/],
  ['template syntax', 'sftc_messy_09', /\{\{ name \}\}/],
];

describe.skipIf(!CHROMIUM)('the real data in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let repo: TempRepo;
  let server: Awaited<ReturnType<typeof startPlover>>;
  beforeAll(async () => {
    repo = createRepo({ candidates: false });
    expect(plover(repo.dir, ['import', harnessFolder()]).stdout).toContain(`imported ${DATA_CANDIDATES} candidates in 5 runs`);
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
