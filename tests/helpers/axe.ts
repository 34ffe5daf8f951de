/** axe-core in a Chromium page (the context must bypass the CSP to inject it): WCAG 2.1 A/AA and best practices. */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

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
  // What the reviewer sees once it settles: a toast fading in is not a contrast failure.
  await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished)));
  await page.addScriptTag({ path: AXE });
  const found = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: unknown[] }> } }).axe;
    return (await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] })).violations;
  })) as Violation[];
  return found.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

