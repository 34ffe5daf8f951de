import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROMIUM, screenshot, useBrowser } from '../helpers/browser.ts';
import { fsck, git } from '../helpers/repo.ts';
import { useServedRepo } from '../helpers/serve.ts';

const REVIEWER = 'Kim Key <kim@example.org>';

describe.skipIf(!CHROMIUM)('reviewing by keyboard in Chromium', () => {
  const browser = useBrowser();
  const repo = useServedRepo(REVIEWER);

  async function open(path = ''): Promise<Page> {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(`${repo.url}${path}`);
    await page.getByRole('article', { name: 'Candidate' }).waitFor();
    return page;
  }
  const currentId = (page: Page) => page.getByRole('article', { name: 'Candidate' }).getAttribute('data-candidate-id');
  const pressed = (page: Page, name: string) => page.getByRole('button', { name, exact: false }).filter({ hasText: name }).getAttribute('aria-pressed');
  /** Discards the card shown, by key, after running `watch` in the page; resolves once the commit is in git. */
  async function discardWatching(page: Page, watch: () => void): Promise<void> {
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.evaluate(watch);
    const id = (await currentId(page))!;
    await page.keyboard.press('d');
    await expect.poll(() => git(repo.dir, 'log', '-1', '--format=%s')).toBe(`plover: discard ${id}`);
  }
  const done = (page: Page, n: number) => expect.poll(() => page.locator('.commit[data-state="done"], .commit[data-state="undone"]').count()).toBe(n);

  it('decides, navigates, toggles categories and undoes with keys only, exactly as the buttons do', async () => {
    const page = await open();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const first = (await currentId(page))!;

    // ? opens the sheet of every shortcut; Esc closes it.
    await page.keyboard.press('?');
    await expect.poll(() => page.getByRole('dialog', { name: 'Keyboard shortcuts' }).isVisible()).toBe(true);
    expect(await page.getByRole('dialog').locator('kbd').allTextContents()).toEqual(expect.arrayContaining(['c', 'd', 'f', 'u', '1 – 6', '?', 'Esc']));
    await page.keyboard.press('Escape');
    expect(await page.getByRole('dialog').count()).toBe(0);

    // 1–6 toggle categories; pressing again clears.
    await page.keyboard.press('4');
    expect(await pressed(page, 'Wrong answer')).toBe('true');
    await page.keyboard.press('4');
    expect(await pressed(page, 'Wrong answer')).toBe('false');
    await page.keyboard.press('6');
    expect(await pressed(page, 'Hallucination')).toBe('true');

    // d discards with the category; the next card shows at once.
    await page.keyboard.press('d');
    const second = (await currentId(page))!;
    expect(second).not.toBe(first);
    expect(await pressed(page, 'Hallucination')).toBe('false');

    // j skips, k comes back; k again shows the decided candidate with its decision.
    await page.keyboard.press('j');
    const third = (await currentId(page))!;
    await page.keyboard.press('k');
    expect(await currentId(page)).toBe(second);
    await page.keyboard.press('k');
    expect(await currentId(page)).toBe(first);
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'You decided' }).textContent()).toMatch(/You decided Discard \[hallucination\]/);
    await page.keyboard.press('j');

    // Letter keys typed into the correction are text: d does not discard there.
    await page.keyboard.press('c');
    const textarea = page.getByRole('textbox', { name: 'Corrected response' });
    expect(await textarea.evaluate((el) => el === document.activeElement)).toBe(true);
    await textarea.fill('');
    await page.keyboard.type('did fix 1');
    expect(await currentId(page)).toBe(second);
    expect(await textarea.inputValue()).toBe('did fix 1');
    // The diff shows what changed against the model response.
    await page.getByText('Changes to the model response').first().click();
    expect(await page.locator('.decision .diff-text ins').first().textContent()).toContain('did');
    // Esc leaves the box and drops the edit; Ctrl+Enter submits a correction.
    await page.keyboard.press('Escape');
    expect(await textarea.inputValue()).not.toBe('did fix 1');
    await page.keyboard.press('c');
    await textarea.fill('A corrected answer.');
    await page.keyboard.press('Control+Enter');
    expect(await currentId(page)).toBe(third);
    await page.keyboard.press('f');
    await done(page, 3);

    // u undoes the last decision (the flag): a new commit removes the file, and its candidate is back.
    await page.keyboard.press('u');
    await expect.poll(() => page.locator('.commit[data-state="undone"]').count()).toBe(1);
    expect(await currentId(page)).toBe(third);
    expect(git(repo.dir, 'log', '-4', '--format=%an|%s')).toBe(
      [`Kim Key|plover: undo flag ${third}`, `Kim Key|plover: flag ${third}`, `Kim Key|plover: correct ${second}`, `Kim Key|plover: discard ${first} [hallucination]`].join('\n'),
    );
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');
    expect(fsck(repo.dir).status).toBe(0);
    await expect.poll(() => page.getByTestId('count-flag').textContent()).toBe('0');

    // An earlier decision is undone from its candidate: back with k, then "Undo this decision".
    await page.keyboard.press('k');
    await page.keyboard.press('k');
    expect(await currentId(page)).toBe(first);
    await page.getByRole('button', { name: 'Undo this decision' }).click();
    await expect.poll(() => git(repo.dir, 'log', '-1', '--format=%s')).toBe(`plover: undo discard ${first} [hallucination]`);

    // Its history, read from git, shows the decision and the undo.
    await page.getByText('History of this candidate').click();
    await expect.poll(() => page.locator('.history-entry').count()).toBe(2);
    expect(await page.locator('.history-entry .history-what').allTextContents()).toEqual(['Undo', 'discard [hallucination]']);
    await page.keyboard.press('?');
    await screenshot(page, 'shortcuts');
    await page.close();
  });

  it('keeps focus and text in the correction while earlier commits finish in the background', async () => {
    const page = await open();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const before = await page.locator('.commit[data-state="done"]').count();
    await page.keyboard.press('f');
    await page.keyboard.press('c');
    const textarea = page.getByRole('textbox', { name: 'Corrected response' });
    await textarea.fill('typing while the flag commits');
    // The commit finishing refreshes the filter bar's progress; that must not take the page away.
    await expect.poll(() => page.locator('.commit[data-state="done"]').count()).toBe(before + 1);
    await page.waitForTimeout(300);
    expect(await textarea.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.type(' still');
    expect(await textarea.inputValue()).toBe('typing while the flag commits still');
    await page.close();
  });

  it('commits a burst of decisions in the order they were made, one request at a time, leaving the connections free for the queue', async () => {
    const page = await open();
    let inFlight = 0;
    let most = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/decisions')) most = Math.max(most, ++inFlight);
    });
    const finished = (r: { url(): string }) => {
      if (r.url().endsWith('/api/decisions')) inFlight -= 1;
    };
    page.on('requestfinished', finished);
    page.on('requestfailed', finished);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    // Counted in git: the page's list keeps only the last few finished commits, so on a slow
    // machine, where commits finish while keys are still pressed, it shows fewer than eight.
    const commits = () => Number(git(repo.dir, 'rev-list', '--count', 'HEAD'));
    const before = commits();
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      ids.push((await currentId(page))!);
      await page.keyboard.press('d');
    }
    await expect.poll(commits).toBe(before + 8);
    await expect.poll(() => page.locator('.commit[data-state="pending"]').count()).toBe(0);
    expect(most).toBe(1);
    const subjects = git(repo.dir, 'log', '-8', '--format=%s').split('\n').reverse();
    expect(subjects).toEqual(ids.map((id) => `plover: discard ${id}`));
    await page.close();
  });

  it('keeps filters in the URL: a shared or reloaded view shows the same candidates', async () => {
    const page = await open();
    await page.getByText('Filters and sort').click();
    await page.getByLabel('Task type').selectOption('math');
    await page.getByLabel('Score from').fill('0.5');
    await page.getByLabel('Score from').press('Tab');
    await page.getByLabel('Sort').selectOption('-score');
    await expect.poll(() => new URL(page.url()).search).toBe('?task_type=math&score_min=0.5&sort=-score');
    // The card of the old queue may still show for a moment while the filtered one loads.
    const taskType = async () => (await page.getByRole('article', { name: 'Candidate' }).locator('dd').allTextContents())[1];
    await expect.poll(taskType).toBe('math');
    const shown = await page.getByRole('article', { name: 'Candidate' }).locator('dd').allTextContents();
    const score = Number(shown[3]!.split(' ')[0]);
    expect(score).toBeGreaterThanOrEqual(0.5);
    const id = await currentId(page);

    const shared = await open('?task_type=math&score_min=0.5&sort=-score');
    expect(await currentId(shared)).toBe(id);
    expect(await shared.getByLabel('Task type').inputValue()).toBe('math');
    await shared.reload();
    await shared.getByRole('article', { name: 'Candidate' }).waitFor();
    expect(await currentId(shared)).toBe(id);

    // Free-text search; no match says so.
    const none = await browser.context.newPage();
    await none.goto(`${repo.url}?q=${encodeURIComponent('zzz-no-such-text')}`);
    await expect.poll(() => none.locator('.done').textContent()).toBe('No candidates match these filters.');
    await screenshot(page, 'filters');
    await Promise.all([page.close(), shared.close(), none.close()]);
  });

  it('asks for the progress counts only while Filters and sort is open, and again after each decision while it is', async () => {
    const page = await open();
    const asked: string[] = [];
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/api/facets') asked.push(r.url());
    });
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    for (let i = 0; i < 2; i++) {
      const before = await currentId(page);
      await page.keyboard.press('j');
      await expect.poll(() => currentId(page)).not.toBe(before);
    }
    await page.keyboard.press('f');
    await done(page, 1);
    expect(asked).toEqual([]);

    await page.locator('summary', { hasText: 'Filters and sort' }).click();
    await expect.poll(() => page.getByLabel('Run').locator('option').count()).toBeGreaterThan(1);
    expect(asked).toHaveLength(1);
    const counts = () => page.getByLabel('Model').locator('option').allTextContents();
    const first = await counts();
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('f');
    await done(page, 2);
    await expect.poll(() => asked.length).toBe(2);
    await expect.poll(counts).not.toEqual(first);

    // Closed again: deciding asks for nothing.
    await page.locator('summary', { hasText: 'Filters and sort' }).click();
    await page.keyboard.press('f');
    await done(page, 3);
    expect(asked).toHaveLength(2);
    await page.close();
  });

  it('shows every decision control without scrolling at 1280×720', async () => {
    const page = await open();
    const footer = (await page.locator('footer.counts').boundingBox())!;
    for (const name of ['Correct', 'Discard', 'Flag', 'Hallucination']) {
      const box = (await page.getByRole('button', { name, exact: name !== 'Hallucination' }).boundingBox())!;
      expect(box.y + box.height, name).toBeLessThanOrEqual(footer.y);
    }
    await page.close();
  });

  it('draws controls a low-vision reviewer can find and hit: borders at 3:1 against white, targets of 24×24 px or more', async () => {
    const page = await browser.context.newPage();
    await page.goto(repo.url);
    await page.getByRole('article', { name: 'Candidate' }).waitFor();
    await page.locator('summary', { hasText: 'Filters and sort' }).click();
    await page.locator('.filters select').first().waitFor();
    const found = await page.evaluate(() => {
      const luminance = (rgb: number[]) => {
        const [r, g, b] = rgb.map((v) => {
          const c = v / 255;
          return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const contrast = (color: string) => {
        const rgb = color
          .match(/\d+(\.\d+)?/g)!
          .slice(0, 3)
          .map(Number);
        return 1.05 / (luminance(rgb) + 0.05);
      };
      const problems: string[] = [];
      const controls = [...document.querySelectorAll<HTMLElement>('button, textarea, select, input, summary')].filter((el) => el.getClientRects().length);
      for (const el of controls) {
        const name = `${el.tagName.toLowerCase()} ${(el.textContent ?? el.getAttribute('aria-label') ?? '').trim().slice(0, 30)}`;
        const style = getComputedStyle(el);
        const bordered = parseFloat(style.borderTopWidth) > 0 && style.borderTopStyle !== 'none';
        const filled = style.backgroundColor !== 'rgba(0, 0, 0, 0)' && style.backgroundColor !== 'rgb(255, 255, 255)';
        if (bordered && !filled && contrast(style.borderTopColor) < 3) problems.push(`${name}: border ${style.borderTopColor}`);
        const box = el.getBoundingClientRect();
        if (box.height < 24 || box.width < 24) problems.push(`${name}: ${Math.round(box.width)}×${Math.round(box.height)}`);
      }
      return problems;
    });
    expect(found).toEqual([]);
    await page.close();
  });

  it('shows where focus is on every control reached with Tab', async () => {
    const page = await browser.context.newPage();
    await page.goto(repo.url);
    await page.getByRole('article', { name: 'Candidate' }).waitFor();
    const unseen: string[] = [];
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      const seen = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        if (!el || el === document.body) return null;
        const style = getComputedStyle(el);
        return {
          name: `${el.tagName.toLowerCase()} ${(el.getAttribute('aria-label') ?? el.textContent ?? '').trim().slice(0, 30)}`,
          visible: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
        };
      });
      if (seen && !seen.visible) unseen.push(seen.name);
    }
    expect(unseen).toEqual([]);
    await page.close();
  });

  it('is built for deciding at phone width: the actions in reach on every card, the next card at its top, focus never under the bars', async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(repo.url);
    await page.getByRole('article', { name: 'Candidate' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const card = page.getByRole('article', { name: 'Candidate' });
    const inView = async (name: string) => {
      const box = (await page.getByRole('button', { name, exact: true }).boundingBox())!;
      return box.y >= 0 && box.y + box.height <= 844;
    };
    // The actions are in reach without scrolling, on this card and the next, and after reading a long card to its end.
    for (const name of ['Correct', 'Discard', 'Flag']) expect(await inView(name)).toBe(true);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    for (const name of ['Correct', 'Discard', 'Flag']) expect(await inView(name)).toBe(true);
    const first = await card.getAttribute('data-candidate-id');
    await page.getByRole('button', { name: 'Flag', exact: true }).click();
    await expect.poll(() => card.getAttribute('data-candidate-id')).not.toBe(first);
    // The next card starts at its top.
    await expect.poll(async () => (await page.getByRole('region', { name: 'Current candidate' }).boundingBox())!.y).toBeGreaterThanOrEqual(0);
    expect((await page.getByRole('region', { name: 'Current candidate' }).boundingBox())!.y).toBeLessThan(120);
    // A focused control is never hidden under the bars at the bottom (WCAG 2.4.11).
    const bar = (await page.locator('.actions').boundingBox())!;
    for (const name of ['Scoring artifact', 'Hallucination']) {
      const category = page.getByRole('button', { name, exact: false }).filter({ hasText: name });
      await category.focus();
      const box = (await category.boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(bar.y);
      expect(box.y).toBeGreaterThanOrEqual(0);
    }
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'phone', { fullPage: false });
    await page.close();
  });

  it("shows the next card before the decision's request is made: the key press's task only changes the card", async () => {
    const page = await open();
    // In the page: when the card changes, the start of the next animation frame.
    await discardWatching(page, () => {
      const w = window as unknown as { cardFrames: number[] };
      w.cardFrames = [];
      let shown = document.querySelector('article[data-candidate-id]')?.getAttribute('data-candidate-id');
      new MutationObserver(() => {
        const id = document.querySelector('article[data-candidate-id]')?.getAttribute('data-candidate-id');
        if (id === shown) return;
        shown = id;
        requestAnimationFrame(() => w.cardFrames.push(performance.now()));
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-candidate-id'] });
    });
    const { frames, requests } = await page.evaluate(() => ({
      frames: (window as unknown as { cardFrames: number[] }).cardFrames,
      requests: performance
        .getEntriesByType('resource')
        .filter((e) => e.name.endsWith('/api/decisions'))
        .map((e) => e.startTime),
    }));
    expect(frames).toHaveLength(1);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toBeGreaterThan(frames[0]!);
    await page.close();
  });

  it("keeps a decision's row in the list while its commit finishes: the row that said committing says committed", async () => {
    const page = await open();
    // In the page: every row added to the list of commits.
    await discardWatching(page, () => {
      const w = window as unknown as { rows: Element[] };
      w.rows = [];
      new MutationObserver((records) => {
        for (const r of records) for (const node of r.addedNodes) if (node instanceof Element && node.matches('li.commit')) w.rows.push(node);
      }).observe(document.querySelector('.commits ul')!, { childList: true });
    });
    await expect.poll(() => page.locator('.commit[data-state="pending"]').count()).toBe(0);
    const rows = await page.evaluate(() => (window as unknown as { rows: Element[] }).rows.map((el) => [el.isConnected, el.getAttribute('data-state')]));
    expect(rows).toEqual([[true, 'done']]);
    await page.close();
  });
});
