import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROMIUM, screenshot, useBrowser } from '../helpers/browser.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { plover } from '../helpers/cli.ts';
import { candidateLine, fsck, git, ROOT, useTempRepos } from '../helpers/repo.ts';
import { startPlover, useServedRepo } from '../helpers/serve.ts';
import { checkExportRules } from '../helpers/export-rules.ts';

const REVIEWER = 'Ann Lee <ann@example.org>';

describe.skipIf(!CHROMIUM)('the review page in Chromium', () => {
  const browser = useBrowser();

  // Each test's pages close when it ends, before any server it used stops: a page left open
  // would report the server's absence as a page error.
  const pages: Page[] = [];
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((p) => p.close()));
  });
  async function open(url: string): Promise<Page> {
    const page = await browser.context.newPage();
    pages.push(page);
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(url);
    await page.getByRole('article', { name: 'Candidate' }).waitFor();
    return page;
  }
  const currentId = (page: Page) => page.getByRole('article', { name: 'Candidate' }).getAttribute('data-candidate-id');
  const category = (page: Page, name: string) => page.getByRole('button', { name, exact: true });

  describe('on the demo data', () => {
    const repo = useServedRepo(REVIEWER);

    it('makes correct, discard and flag decisions, with and without a category, each a commit; the export has them', async () => {
      const page = await open(repo.url);
      await expect.poll(() => page.getByTestId('remaining').textContent()).toBe('640');
      const ids: string[] = [];

      // 1. Correct, with a category toggled on, off and on again.
      ids.push((await currentId(page))!);
      const textarea = page.getByRole('textbox', { name: 'Corrected response' });
      expect(await textarea.inputValue()).toBe(JSON.parse(readFileSync(join(ROOT, 'candidates/run_20240325_mt_bench_9d9abd96.jsonl'), 'utf8').split('\n')[0]!).model_response);
      await textarea.fill('Subject: Feedback request\n\nCould you review the report?');
      const wrong = category(page, 'Wrong answer');
      await wrong.click();
      expect(await wrong.getAttribute('aria-pressed')).toBe('true');
      await wrong.click();
      expect(await wrong.getAttribute('aria-pressed')).toBe('false');
      await wrong.click();
      await page.getByRole('button', { name: 'Correct', exact: true }).click();
      // The next candidate is there at once, with a fresh form.
      expect(await currentId(page)).not.toBe(ids[0]);
      expect(await category(page, 'Wrong answer').getAttribute('aria-pressed')).toBe('false');

      // 2. Discard with a category.
      ids.push((await currentId(page))!);
      await category(page, 'Scoring artifact').click();
      await page.getByRole('button', { name: 'Discard', exact: true }).click();

      // 3. Flag without a category.
      ids.push((await currentId(page))!);
      await page.getByRole('button', { name: 'Flag', exact: true }).click();

      // 4. A blank correction is refused on the page; nothing is sent.
      await textarea.fill('   ');
      await page.getByRole('button', { name: 'Correct', exact: true }).click();
      await expect.poll(() => page.getByRole('alert').first().textContent()).toBe('Write the corrected response before choosing Correct.');

      // 5. Correct by Ctrl+Enter, without a category.
      ids.push((await currentId(page))!);
      await textarea.fill('A better answer.');
      await textarea.press('Control+Enter');

      await expect.poll(() => page.locator('.commit[data-state="done"]').count()).toBe(4);
      expect(await page.locator('.commit[data-state="failed"]').count()).toBe(0);
      await expect.poll(() => page.getByTestId('remaining').textContent()).toBe('636');
      expect(await page.getByTestId('count-correct').textContent()).toBe('2');
      expect(await page.getByTestId('count-discard').textContent()).toBe('1');
      expect(await page.getByTestId('count-flag').textContent()).toBe('1');
      const shas = await page.locator('.commit .sha').allTextContents();

      // Real git agrees: four commits by the reviewer, one file each, clean status, fsck clean.
      const log = git(repo.dir, 'log', '-4', '--format=%h|%an <%ae>|%s').split('\n');
      expect(log.map((l) => l.split('|').slice(1).join('|'))).toEqual([
        `${REVIEWER}|plover: correct ${ids[3]}`,
        `${REVIEWER}|plover: flag ${ids[2]}`,
        `${REVIEWER}|plover: discard ${ids[1]} [scoring_artifact]`,
        `${REVIEWER}|plover: correct ${ids[0]} [wrong_answer]`,
      ]);
      expect(shas.sort()).toEqual(log.map((l) => l.split('|')[0]).sort());
      expect(git(repo.dir, 'status', '--porcelain')).toBe('');
      expect(fsck(repo.dir).status).toBe(0);

      // A reload carries on where the reviewer left off.
      await page.reload();
      await page.getByRole('article', { name: 'Candidate' }).waitFor();
      await expect.poll(() => page.getByTestId('remaining').textContent()).toBe('636');
      expect(ids).not.toContain(await currentId(page));
      await screenshot(page, 'review');
      await page.close();

      // The export holds the two corrections, with the category where one was chosen.
      expect(plover(repo.dir, ['export']).status).toBe(0);
      const bytes = readFileSync(join(repo.dir, 'dist/sft.jsonl'));
      expect(checkExportRules(bytes)).toEqual([]);
      const lines = bytes
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(Object.fromEntries(lines.map((l) => [l.candidate_id, [l.failure_category, l.messages.at(-1).content]]))).toEqual({
        [ids[0]!]: ['wrong_answer', 'Subject: Feedback request\n\nCould you review the report?'],
        [ids[3]!]: [null, 'A better answer.'],
      });

      // The stats page agrees, and shows the time spent on each decision.
      const stats = await browser.context.newPage();
      pages.push(stats);
      await stats.goto(`${repo.url}stats`);
      await expect.poll(() => stats.getByTestId('ready').textContent()).toBe('2');
      expect(await stats.locator('.bars').first().locator('.bar-value').allTextContents()).toEqual(['636', '2', '1', '1', '0']);
      const row = stats.getByRole('row', { name: /ann@example.org/ });
      expect((await row.locator('td').allTextContents()).slice(0, 1)).toEqual(['4']);
      expect(await row.locator('td').nth(1).textContent()).toMatch(/^\d+\.\d s$/);
      await screenshot(stats, 'stats', { fullPage: true });
      // On a phone the page does not scroll sideways: wide tables scroll within their own box.
      for (const width of [390, 320]) {
        await stats.setViewportSize({ width, height: 844 });
        expect(await stats.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      }
      await stats.close();
    });

    it('runs under a Content-Security-Policy that the page never violates and that blocks injected script', async () => {
      const page = await browser.context.newPage();
      pages.push(page);
      await page.addInitScript(() => {
        const seen: string[] = [];
        (window as unknown as { __csp: string[] }).__csp = seen;
        document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const violations = () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
      await page.goto(repo.url);
      await page.getByRole('article', { name: 'Candidate' }).waitFor();
      const policy = await page.locator('meta[http-equiv="content-security-policy"]').getAttribute('content');
      expect(policy).toContain("default-src 'self'");
      expect(policy).not.toContain('unsafe-eval');
      expect(policy).not.toContain('unsafe-inline');
      // Normal use (markdown on, raw off, a decision) violates nothing.
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      await page.waitForTimeout(300);
      expect(await violations()).toEqual([]);
      // What an escaped payload would try: an inline script, a handler attribute. (eval is
      // refused by the policy's lack of 'unsafe-eval', asserted above; the test driver's own
      // evaluate bypasses CSP, so it cannot show that here.)
      await page.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__pwned = 2';
        document.body.append(s);
        const img = document.createElement('div');
        img.setAttribute('onclick', 'window.__pwned = 3');
        document.body.append(img);
        img.click();
      });
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      expect((await violations()).map((v) => v.split(' ')[0])).toEqual(expect.arrayContaining(['script-src-elem', 'script-src-attr']));
      await page.close();
    });
  });

  describe('starting points', () => {
    const repo = useServedRepo(REVIEWER);

    it('offers a sibling’s correction and the reference answer; s takes them in turn, and the commit records where the correction started', async () => {
      // MT-Bench question 82, turn 1: corrected in one run, then its sibling in another run.
      const first = 'sftc_b5505e86f70999cf';
      const sibling = 'sftc_624dd197476c8eb7';
      expect(plover(repo.dir, ['submit', first, '--action', 'correct', '--response', 'Subject: Feedback on the Q3 report', '--reviewer', 'Bob Ray <bob@example.org>']).status).toBe(
        0,
      );
      const page = await open(`${repo.url}?q=${sibling}`);
      expect(await currentId(page)).toBe(sibling);
      const starts = page.getByRole('region', { name: 'Siblings and starting points' });
      await expect
        .poll(() => starts.getByRole('button').allTextContents())
        .toEqual([
          expect.stringMatching(/^Sibling correction · .+ · 0\.10$/),
          expect.stringMatching(/^Sibling answer · .+ · 1\.00$/),
          expect.stringMatching(/^Sibling answer · .+ · 1\.00$/),
          expect.stringMatching(/^Sibling answer · .+ · 0\.10$/),
          expect.stringMatching(/^Model response · /),
        ]);
      await starts.getByText('3 siblings: the same question in other runs').click();
      await expect.poll(() => starts.locator('tr[data-candidate-id]').count()).toBe(3);
      expect(await starts.locator(`tr[data-candidate-id="${first}"]`).textContent()).toContain('Correct (bob@example.org)');
      const textarea = page.getByRole('textbox', { name: 'Corrected response' });
      await page.locator('body').press('s');
      expect(await textarea.inputValue()).toBe('Subject: Feedback on the Q3 report');
      expect(await starts.getByRole('button', { pressed: true }).textContent()).toMatch(/^Sibling correction/);
      await textarea.fill('Subject: Feedback on the Q3 report, please');
      await page.getByText('Changes to the start (Sibling correction)').click();
      // The diff is drawn at the details' toggle event, a task after the click: wait for it.
      await expect.poll(() => page.locator('.start-diff ins').allTextContents()).toEqual([expect.stringContaining('please')]);
      await textarea.press('Control+Enter');
      const path = correctionPath(sibling, 'ann@example.org');
      await expect.poll(() => git(repo.dir, 'ls-tree', '--name-only', 'HEAD', path)).toBe(path);
      const record = JSON.parse(readFileSync(join(repo.dir, path), 'utf8'));
      expect(record.started_from).toEqual({
        kind: 'sibling_correction',
        candidate_id: first,
        sha256: createHash('sha256').update('Subject: Feedback on the Q3 report').digest('hex'),
      });

      // A math question with a reference answer: the card shows it, and it is a start.
      const math = JSON.parse(
        readFileSync(join(repo.dir, 'candidates/run_20240325_mt_bench_9d9abd96.jsonl'), 'utf8')
          .split('\n')
          .find((l) => l.includes('"reference_answer"'))!,
      );
      await page.goto(`${repo.url}?q=${math.id}`);
      await page.getByRole('article', { name: 'Candidate' }).waitFor();
      await page.getByText('Reference answer (from the benchmark)').click();
      // Its blocks are laid out in the frame after it opens (content-visibility: auto).
      await expect.poll(() => page.locator('.reference-answer').innerText()).toContain(math.reference_answer.split('\n')[0].trim().slice(0, 20));
      await expect.poll(() => starts.getByRole('button', { name: /^Reference answer/ }).count()).toBe(1);
      expect(fsck(repo.dir).status).toBe(0);
    });

    it('settles the three siblings of a corrected MT-Bench question with one confirmed action; each is its own preference pair; one Undo takes them back', async () => {
      const question = 'sftc_953fe2d6fa9b4c0c'; // MT-Bench question 144, turn 1
      const page = await open(`${repo.url}?q=${question}`);
      const starts = page.getByRole('region', { name: 'Siblings and starting points' });
      await expect.poll(() => starts.getByText('3 siblings: the same question in other runs').count()).toBe(1);
      const head = git(repo.dir, 'rev-parse', 'HEAD');
      const text = 'DNA → RNA → protein: replication, transcription and translation (Francis Crick, 1958).';
      await page.getByRole('textbox', { name: 'Corrected response' }).fill(text);
      await page.getByRole('textbox', { name: 'Corrected response' }).press('Control+Enter');
      const settle = page.getByRole('region', { name: 'Siblings of the last correction' });
      await settle.getByRole('button', { name: 'Same correction for 3 siblings' }).click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.textContent()).toContain('Commit the same correction for 3 siblings?');
      await dialog.getByRole('button', { name: 'Correct 3' }).click();
      await expect.poll(() => settle.getByRole('status').textContent()).toContain('Corrected 3 siblings the same way.');
      expect(Number(git(repo.dir, 'rev-list', '--count', `${head}..HEAD`))).toBe(4);
      const files = git(repo.dir, 'diff', '--name-only', head, 'HEAD').split('\n');
      const records = files.map((f) => JSON.parse(readFileSync(join(repo.dir, f), 'utf8')));
      expect(new Set(records.map((r) => r.corrected_response))).toEqual(new Set([text]));
      const settled = records.filter((r) => r.candidate_id !== question);
      expect(settled.map((r) => r.started_from)).toEqual(
        Array(3).fill({ kind: 'sibling_correction', candidate_id: question, sha256: createHash('sha256').update(text).digest('hex') }),
      );
      // Each keeps its own model answer: four preference pairs, four different rejected answers.
      expect(plover(repo.dir, ['export', '--format', 'preference', '--out', 'dist/pairs.jsonl']).status).toBe(0);
      const pairs = readFileSync(join(repo.dir, 'dist/pairs.jsonl'), 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l))
        .filter((p) => p.chosen[0].content === text);
      expect(pairs).toHaveLength(4);
      expect(new Set(pairs.map((p) => p.rejected[0].content)).size).toBe(4);
      await settle.getByRole('button', { name: 'Undo all 3' }).click();
      await expect.poll(() => settle.getByRole('status').textContent()).toContain('Undid all 3.');
      expect(git(repo.dir, 'diff', '--name-only', head, 'HEAD')).toBe(correctionPath(question, 'ann@example.org'));
      expect(fsck(repo.dir).status).toBe(0);
      expect(git(repo.dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    });
  });

  describe('deciding in bulk', () => {
    const repo = useServedRepo(REVIEWER);

    it('flags every candidate a filter shows after a confirmation stating how many, each a commit, and one Undo takes the batch back', async () => {
      const run = 'run_20240328_mt_bench_5c7801af';
      const page = await open(`${repo.url}?run=${run}&score_max=0.3`);
      const apply = page.getByRole('button', { name: /^Apply to all \d+ shown$/ });
      await expect.poll(() => apply.isEnabled()).toBe(true);
      const n = Number(/(\d+)/.exec((await apply.textContent())!)![1]);
      expect(n).toBeGreaterThan(1);
      expect(n).toBeLessThan(160);
      const bulk = page.getByRole('region', { name: 'Decide in bulk' });
      await bulk.getByLabel('Action').selectOption('flag');
      await bulk.getByLabel('Category').selectOption('format_error');
      const head = git(repo.dir, 'rev-parse', 'HEAD');
      await apply.click();
      const dialog = page.getByRole('dialog');
      expect(await dialog.textContent()).toContain(`Flag all ${n} candidates the filters show, as format_error?`);
      // Cancel writes nothing.
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      expect(await dialog.isVisible()).toBe(false);
      await apply.click();
      await dialog.getByRole('button', { name: `Flag ${n}` }).click();
      await expect.poll(() => Number(git(repo.dir, 'rev-list', '--count', `${head}..HEAD`))).toBe(n);
      const subjects = git(repo.dir, 'log', '--format=%s', `${head}..HEAD`).split('\n');
      expect(subjects.every((s) => /^plover: flag sftc_[0-9a-f]+ \[format_error\]$/.test(s))).toBe(true);
      expect(new Set(subjects).size).toBe(n);
      await expect.poll(() => page.getByTestId('count-flag').textContent()).toBe(String(n));
      await expect.poll(() => page.getByTestId('remaining').textContent()).toBe(String(640 - n));
      // Every candidate of the filter is decided: none left to show.
      await expect.poll(() => page.getByRole('article', { name: 'Candidate' }).count()).toBe(0);
      expect(plover(repo.dir, ['validate']).status).toBe(0);

      // A few decisions by hand in another run after the batch (the commit list then shows only the latest): Undo all still takes back exactly the batch.
      await page.getByRole('combobox', { name: 'Run', exact: true }).selectOption('run_20240325_mt_bench_9d9abd96');
      await page.getByRole('article', { name: 'Candidate' }).waitFor();
      const byHand: string[] = [];
      for (let i = 0; i < 7; i++) {
        const id = (await currentId(page))!;
        byHand.push(id);
        await page.getByRole('button', { name: 'Flag', exact: true }).click();
        // The page took the click: its decision is listed (a click lost while the card was redrawn would say so here, not as a count that never moves).
        await expect.poll(() => page.locator('.commit').filter({ hasText: id }).count(), { message: `the Flag click on ${id} made no decision` }).toBeGreaterThan(0);
        // A commit the backend refused is listed as failed: the test says so at once, with its message, instead of waiting for a count that never moves.
        const failed = page.locator('.commit[data-state="failed"]');
        const count = () => Number(git(repo.dir, 'rev-list', '--count', `${head}..HEAD`));
        await expect.poll(async () => (await failed.count()) > 0 || count() === n + i + 1).toBe(true);
        expect(await failed.allTextContents()).toEqual([]);
        expect(count()).toBe(n + i + 1);
        // The next card is clicked once the page has the answer for this one, as a reviewer sees it land.
        await expect.poll(() => page.locator('.commit[data-state="pending"]').count()).toBe(0);
      }
      await bulk.getByRole('button', { name: `Undo all ${n}` }).click();
      await expect.poll(() => bulk.getByRole('status').textContent()).toContain(`Undid all ${n}.`);
      expect(Number(git(repo.dir, 'rev-list', '--count', `${head}..HEAD`))).toBe(2 * n + 7);
      const left = git(repo.dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'corrections')
        .split('\n')
        .filter((p) => p.endsWith('.json'));
      expect(left.sort()).toEqual(byHand.map((id) => correctionPath(id, 'ann@example.org')).sort());
      await page.getByRole('combobox', { name: 'Run', exact: true }).selectOption(run);
      await expect.poll(() => page.getByTestId('remaining').textContent()).toBe(String(640 - 7));
      await page.getByRole('article', { name: 'Candidate' }).waitFor();
      expect(fsck(repo.dir).status).toBe(0);
      expect(git(repo.dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    });
  });

  describe('the Conflicts view', () => {
    const repos = useTempRepos();

    it("shows each reviewer's decision side by side; a decision that sides with one settles the candidate, and the export follows", async () => {
      const repo = repos();
      const id = 'sftc_b5505e86f70999cf';
      const other = 'sftc_723a003ab86cbec2';
      for (const [who, args] of [
        ['Ann Lee <ann@example.org>', ['--action', 'correct', '--response', 'Subject: Feedback request\n\nCould you review the report?', '--category', 'style_violation']],
        ['Bob Ray <bob@example.org>', ['--action', 'discard']],
      ] as const) {
        expect(plover(repo.dir, ['submit', id, ...args, '--reviewer', who]).status).toBe(0);
      }
      // Two reviewers who agree are no conflict.
      for (const who of ['Ann Lee <ann@example.org>', 'Bob Ray <bob@example.org>'])
        expect(plover(repo.dir, ['submit', other, '--action', 'flag', '--reviewer', who]).status).toBe(0);
      expect(JSON.parse(plover(repo.dir, ['conflicts', '--json']).stdout).conflicts.map((c: { candidate_id: string }) => c.candidate_id)).toEqual([id]);
      // Cat reviews what Ann and Bob disagree on; the label server reads their decisions as it starts.
      const server = await startPlover(repo.dir, 'Cat Diaz <cat@example.org>');
      stops.push(server);
      const url = server.url;

      const page = await browser.context.newPage();
      pages.push(page);
      const historyReads: string[] = [];
      page.on('request', (r) => r.url().includes('/api/history?') && historyReads.push(r.url()));
      page.on('pageerror', (err) => {
        throw err;
      });
      await page.goto(`${url}?state=conflict`);
      expect(await currentId(page)).toBe(id);
      const panel = page.getByRole('region', { name: 'Decisions in conflict' });
      const ann = panel.getByRole('article', { name: 'Decision of ann@example.org' });
      const bob = panel.getByRole('article', { name: 'Decision of bob@example.org' });
      await ann.waitFor();
      // One read of the card's history serves the panel and the "You decided" banner.
      expect(historyReads).toHaveLength(1);
      expect(await ann.textContent()).toMatch(/^correct \[style_violation\]Ann Lee <ann@example\.org>/);
      expect(await ann.locator('.diff').count()).toBe(1);
      expect(await bob.textContent()).toContain('discard');
      // Side by side at 1280 px: Bob's column starts level with Ann's, to its right.
      const [a, b] = [await ann.boundingBox(), await bob.boundingBox()];
      expect(b!.x).toBeGreaterThan(a!.x + a!.width - 1);
      expect(Math.abs(b!.y - a!.y)).toBeLessThan(2);
      await screenshot(page, 'conflicts');

      // Cat corrects too: correct has 2 of 3, so the candidate is settled and leaves the view.
      await page.getByRole('textbox', { name: 'Corrected response' }).fill('Subject: Feedback on the Q3 report\n\nCould you review it by Friday?');
      await page.keyboard.press('Control+Enter');
      await expect.poll(() => git(repo.dir, 'log', '-1', '--format=%an|%s')).toBe(`Cat Diaz|plover: correct ${id}`);
      expect(JSON.parse(plover(repo.dir, ['conflicts', '--json']).stdout).conflicts).toEqual([]);
      expect(plover(repo.dir, ['export']).status).toBe(0);
      const lines = readFileSync(join(repo.dir, 'dist/sft.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { candidate_id: string; messages: { role: string; content: string }[] });
      const line = lines.find((l) => l.candidate_id === id)!;
      // The latest of the corrections with the winning action gives the text: Cat's.
      expect(line.messages.at(-1)).toEqual({ role: 'assistant', content: 'Subject: Feedback on the Q3 report\n\nCould you review it by Friday?' });
      await page.goto(`${url}?state=conflict`);
      await expect.poll(() => page.getByText('No candidates match these filters.').isVisible()).toBe(true);
    });
    it("settles a disagreement by an adjudicator's decision under every policy, even with a third action; validate refuses one by anyone else", async () => {
      const repo = repos({ files: { 'plover.config.json': JSON.stringify({ team: { adjudicators: ['cat@example.org'] } }) } });
      const id = 'sftc_b5505e86f70999cf';
      expect(plover(repo.dir, ['submit', id, '--action', 'correct', '--response', 'A better answer.', '--reviewer', 'Ann Lee <ann@example.org>']).status).toBe(0);
      expect(plover(repo.dir, ['submit', id, '--action', 'discard', '--reviewer', 'Bob Ray <bob@example.org>']).status).toBe(0);
      const server = await startPlover(repo.dir, 'Cat Diaz <cat@example.org>');
      stops.push(server);
      const page = await open(`${server.url}?state=conflict`);
      expect(await currentId(page)).toBe(id);
      await page.getByText('You are an adjudicator: your decision settles this candidate').waitFor();
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      await expect.poll(() => git(repo.dir, 'log', '-1', '--format=%an|%s')).toBe(`Cat Diaz|plover: flag ${id}`);
      const record = JSON.parse(git(repo.dir, 'show', `HEAD:${git(repo.dir, 'diff-tree', '--no-commit-id', '--name-only', '-r', 'HEAD')}`));
      expect(record).toMatchObject({ action: 'flag', adjudication: true, reviewer: { email: 'cat@example.org' } });
      for (const policy of ['majority', 'unanimous', 'latest']) expect(JSON.parse(plover(repo.dir, ['conflicts', '--json', '--resolve', policy]).stdout).conflicts).toEqual([]);
      expect(plover(repo.dir, ['export', '--resolve', 'unanimous', '--action', 'flag']).status).toBe(0);
      const manifest = JSON.parse(readFileSync(join(repo.dir, 'dist/sft.manifest.json'), 'utf8'));
      expect(manifest.counts).toMatchObject({ conflicts: 0, adjudicated: 1, by_action: { flag: 1 } });
      expect(JSON.parse(plover(repo.dir, ['stats', '--json']).stdout).adjudicated).toBe(1);
      expect(plover(repo.dir, ['validate']).status).toBe(0);
      await page.goto(`${server.url}?state=conflict`);
      await expect.poll(() => page.getByText('No candidates match these filters.').isVisible()).toBe(true);
      // Without Cat on the list, the record claims an authority nobody gave: validate names it.
      writeFileSync(join(repo.dir, 'plover.config.json'), JSON.stringify({ team: { adjudicators: ['dan@example.org'] } }));
      const refused = plover(repo.dir, ['validate']);
      expect(refused.status).toBe(1);
      expect(refused.stdout).toMatch(
        /corrections\/[0-9a-f]{2}\/[0-9a-f]{16}--cat-[0-9a-f]{8}\.json: adjudication: is set, but cat@example\.org is not in team\.adjudicators of plover\.config\.json/,
      );
    });
    const stops: { stop(): Promise<void> }[] = [];
    afterAll(async () => {
      for (const s of stops) await s.stop();
    });
  });

  describe('on hostile candidates', () => {
    const payload = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=1"><iframe srcdoc="<script>parent.__pwned=1</script>"></iframe>{{7*7}} [/INST]</s>';
    const repo = useServedRepo(REVIEWER, {
      candidates: false,
      files: {
        'candidates/hostile.jsonl':
          candidateLine({
            id: 'h1<script>window.__pwned=1</script>',
            model_name: payload,
            failure_reason: payload,
            model_response: `${payload}\n${'-'.repeat(65_000)}`,
            prompt_messages: [{ role: 'user', content: payload }],
          }) + '\n',
      },
    });

    it('shows every payload as text and runs none of it, and a decision on it commits', async () => {
      const page = await open(repo.url);
      await page.waitForTimeout(300);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      const card = page.getByRole('article', { name: 'Candidate' });
      expect(await card.locator('script, img, iframe').count()).toBe(0);
      expect((await page.getByRole('region', { name: 'Prompt' }).locator('.text').textContent())!.trim()).toBe(payload);
      // Raw mode shows the same text as typed, and runs nothing either.
      await page.getByRole('checkbox', { name: 'Show raw text' }).check();
      expect(await page.getByRole('region', { name: 'Prompt' }).locator('pre.text').textContent()).toBe(payload);
      expect(await card.locator('script, img, iframe').count()).toBe(0);
      // The 65k-character line wraps inside the card instead of widening the page.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      await expect.poll(() => page.locator('.commit[data-state="done"]').count()).toBe(1);
      expect(git(repo.dir, 'show', '--name-only', '--format=', 'HEAD')).toMatch(/^corrections\/[0-9a-f]{2}\//);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    });
  });

  describe('a long response', () => {
    const paragraphs = Array.from({ length: 120 }, (_, i) => `Paragraph **${i + 1}**: ${'words that wrap across the box. '.repeat(6).trim()}`);
    const repo = useServedRepo(REVIEWER, {
      candidates: false,
      files: { 'candidates/run_long.jsonl': `${candidateLine({ id: 'sftc_long', model_response: paragraphs.join('\n\n') })}\n` },
    });

    it('lays out only the blocks in view of its box, and shows each one once scrolled to', async () => {
      const page = await open(repo.url);
      const box = page.locator('.response .markdown');
      const block = (n: number) => box.locator(':scope > p').nth(n);
      // Rendered (its content not skipped by content-visibility): what is in view of the box.
      const rendered = (n: number) => block(n).evaluate((p) => p.querySelector('strong')!.checkVisibility({ contentVisibilityAuto: true }));
      expect(await box.locator(':scope > p').count()).toBe(120);
      await expect.poll(() => rendered(0), { timeout: 20_000 }).toBe(true);
      expect(await rendered(119)).toBe(false);
      // Heights of blocks not yet shown are estimates: scrolling to the end may take a few
      // steps, and a block is laid out in the frame after it comes into view.
      const atEnd = async () => {
        await box.evaluate((el) => el.scrollTo(0, el.scrollHeight));
        return (await rendered(119)) ? block(119).innerText() : '';
      };
      await expect.poll(atEnd, { timeout: 20_000 }).toBe(paragraphs[119]!.replace(/\*\*/g, ''));
      await expect.poll(() => rendered(0), { timeout: 20_000 }).toBe(false);
    });
  });
});
