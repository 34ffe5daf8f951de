/** axe-core in a Chromium page (the context must bypass the CSP to inject it): WCAG 2.1 A/AA and best practices. */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
export const SIZES = [
  [1280, 720],
  [390, 844],
] as const;

interface Violation {
  id: string;
  help: string;
  nodes: { target: string[] }[];
}

/** The violations on the page as it is once its animations end, one line each: rule, help, where. */
export async function violations(page: Page): Promise<string[]> {
  // What the reviewer sees once it settles: a toast fading in is not a contrast failure. An
  // animation cancelled meanwhile (its element replaced) rejects `finished`: it is over too.
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))));
  // An entry that appears while axe runs (a commit that lands) would be measured mid-fade:
  // during the run the page shows what a reviewer who asked for reduced motion sees, its final colours.
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await page.addScriptTag({ path: AXE });
  const found = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })).violations;
  })) as Violation[];
  await page.emulateMedia({ reducedMotion: 'no-preference' });
  return found.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/**
 * Walks the review page through its states and runs axe in each: the first card, filters
 * open, the shortcut sheet, after two decisions, a filtered URL, and `/stats/`. `ready`
 * waits for the page after a navigation (in hosted mode: the sign-in kept for the tab).
 * @returns each state's violations.
 */
export async function reviewStateViolations(page: Page, siteUrl: string, ready: (page: Page) => Promise<void>): Promise<Record<string, string[]>> {
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
  await expect.poll(() => page.locator('.commit[data-state="done"]').count()).toBe(2);
  found['after two decisions'] = await violations(page);
  await page.goto(`${siteUrl}?state=decided&sort=-score`);
  await ready(page);
  await card.waitFor();
  found['a filtered URL'] = await violations(page);
  await page.goto(`${siteUrl}stats/`);
  await ready(page);
  await page.getByTestId('ready').waitFor();
  found['stats page'] = await violations(page);
  return found;
}
