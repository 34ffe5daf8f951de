import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, useBrowser } from '../helpers/browser.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { candidateLine, fsck, git } from '../helpers/repo.ts';
import { useServedRepo } from '../helpers/serve.ts';

const REVIEWER = 'Ann Lee <ann@example.org>';
// A leaked template, as 63 of 160 answers of one real MT-Bench run carry it.
const LEAKY = 'The answer is 4.[/INST] Is there anything else?</s>';

describe.skipIf(!CHROMIUM)('training targets on the review page in Chromium', () => {
  const browser = useBrowser();
  const repo = useServedRepo(REVIEWER, {
    candidates: false,
    files: {
      'candidates/run_test.jsonl': `${[candidateLine({ id: 'leaky', model_response: LEAKY }), candidateLine({ id: 'right', model_response: 'The capital of France is Paris.\n' })].join('\n')}\n`,
    },
  });

  it('marks control tokens in the response, warns under the editor, and asks before committing an unchanged answer', async () => {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(repo.url);
    const card = page.getByRole('article', { name: 'Candidate' });
    await card.waitFor();
    expect(await card.getAttribute('data-candidate-id')).toBe('leaky');
    const commits = () => Number(git(repo.dir, 'rev-list', '--count', 'HEAD'));
    const before = commits();

    // The response: a note and each token marked where it stands, as text.
    await expect.poll(() => card.locator('mark.control-token').allTextContents()).toEqual(['[/INST]', '</s>']);
    expect(await card.locator('.control-token-note').textContent()).toContain('[/INST]');
    // The editor starts with the response, so the warning shows before Correct.
    const textarea = page.getByRole('textbox', { name: 'Corrected response' });
    const warning = page.locator('.control-token-warning');
    expect(await warning.textContent()).toContain('</s> [/INST]');

    // Correct without an edit: nothing is committed; the page asks.
    await textarea.press('Control+Enter');
    const ask = page.locator('.unchanged-ask');
    await ask.waitFor();
    expect(await ask.textContent()).toContain("Unchanged: was the model's answer right?");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Yes: Correct as Scoring artifact');
    await page.getByRole('button', { name: 'No: edit it' }).click();
    expect(await ask.count()).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('corrected-response');
    expect(commits()).toBe(before);

    // Edited clean: the warning goes, and Correct commits at once.
    await textarea.fill('The answer is 4.');
    expect(await warning.count()).toBe(0);
    await page.getByRole('button', { name: 'Correct', exact: true }).click();
    await expect.poll(() => card.getAttribute('data-candidate-id')).toBe('right');

    // The model was right: confirmed as a scoring artifact, and the record says so.
    await textarea.press('Control+Enter');
    await page.getByRole('button', { name: 'Yes: Correct as Scoring artifact' }).click();
    await expect.poll(() => page.locator('.commit[data-state="done"]').count()).toBe(2);
    expect(commits()).toBe(before + 2);
    const right = JSON.parse(readFileSync(join(repo.dir, correctionPath('right', 'ann@example.org')), 'utf8'));
    expect(right).toMatchObject({ action: 'correct', corrected_response: 'The capital of France is Paris.', failure_category: 'scoring_artifact', unchanged: true });
    const leaky = JSON.parse(readFileSync(join(repo.dir, correctionPath('leaky', 'ann@example.org')), 'utf8'));
    expect(leaky.corrected_response).toBe('The answer is 4.');
    expect(leaky.unchanged).toBeUndefined();
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');
    expect(fsck(repo.dir).status).toBe(0);
  });
});
