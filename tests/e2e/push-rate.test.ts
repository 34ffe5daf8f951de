// A team on one repository, in Chromium against a real git server: with the default push
// interval (10 s per member of the configured team), three members deciding for two
// minutes stay within GitHub's recommended 6 pushes a minute together, and every decision
// arrives once.
import { buildSite } from '../helpers/site-build.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticHost } from '../../scripts/git-http-server.ts';
import { reviewerTag } from '../../src/lib/records/paths.ts';
import { CHROMIUM, launchBrowser } from '../helpers/browser.ts';
import { TOKEN, useGitServer } from '../helpers/git-server.ts';
import { git } from '../helpers/repo.ts';

const TEAM = [
  { name: 'Ana Ito', email: 'ana@example.org' },
  { name: 'Ben Oko', email: 'ben@example.org' },
  { name: 'Cai Lin', email: 'cai@example.org' },
];
/** 10 s per member of a team of three. */
const INTERVAL_MS = 30_000;
const RUN_MS = 120_000;

describe.skipIf(!CHROMIUM)('a team of three pushing to one repository', () => {
  const remote = useGitServer();
  let site: Awaited<ReturnType<typeof startStaticHost>>;
  let outDir = '';
  const browsers: Awaited<ReturnType<typeof launchBrowser>>[] = [];

  beforeAll(async () => {
    // The team, as merged into main: its size sets the default push interval.
    const work = mkdtempSync(join(tmpdir(), 'plover-team-'));
    git(work, 'clone', '-q', remote.bare, '.');
    writeFileSync(join(work, 'plover.config.json'), `${JSON.stringify({ team: { members: TEAM.map((m) => m.email), overlap: 1 } }, null, 2)}\n`);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'team');
    git(work, 'push', '-q', 'origin', 'HEAD:main');
    rmSync(work, { recursive: true, force: true });
    outDir = mkdtempSync(join(tmpdir(), 'plover-team-site-'));
    // No PLOVER_PUSH_INTERVAL: the default.
    buildSite(['--outDir', outDir], { PLOVER_REMOTE: remote.url, PLOVER_BRANCH: 'main', PLOVER_BASE: '/plover/', PLOVER_PUSH_INTERVAL: '' });
    site = await startStaticHost({ dir: outDir, base: '/plover/' });
  });
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await site?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  async function signedIn(who: { name: string; email: string }): Promise<Page> {
    const b = await launchBrowser();
    browsers.push(b);
    const page = await b.context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(site.url);
    await page.getByLabel('Name').fill(who.name);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Access token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('article', { name: 'Candidate' }).waitFor();
    return page;
  }

  it('stays within 6 pushes a minute together over two minutes of deciding, and every decision arrives once', async () => {
    const pages = await Promise.all(TEAM.map(signedIn));
    remote.server.resetStats();
    const started = Date.now();
    const decided = await Promise.all(
      pages.map(async (page) => {
        const ids: string[] = [];
        const commits = () => page.evaluate(() => performance.getEntriesByName('plover:commit').length);
        while (Date.now() - started < RUN_MS) {
          const n = await commits();
          ids.push((await page.getByRole('article', { name: 'Candidate' }).getAttribute('data-candidate-id'))!);
          await page.getByRole('button', { name: 'Flag', exact: true }).click();
          await expect.poll(commits).toBe(n + 1);
          await page.waitForTimeout(2500); // a reviewer's pace, not a bound
        }
        await expect.poll(() => page.getByTestId('waiting').getAttribute('data-waiting')).toBe('0');
        return ids;
      }),
    );
    // When each tab's pushes started: never closer than the interval, so at most 2 per tab in any minute.
    const starts = await Promise.all(
      pages.map((page) => page.evaluate(() => performance.getEntriesByName('plover:push').map((e) => (e as PerformanceMeasure).detail as { at: number; reason: string }))),
    );
    for (const tab of starts) {
      expect(tab.every((p) => p.reason === 'interval')).toBe(true);
      for (let i = 1; i < tab.length; i++) expect(tab[i]!.at - tab[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL_MS);
    }
    const all = starts
      .flat()
      .map((p) => p.at)
      .sort((a, b) => a - b);
    const inAnyMinute = Math.max(...all.map((t) => all.filter((u) => u >= t && u < t + 60_000).length));
    expect(inAnyMinute).toBeLessThanOrEqual(6);
    expect(remote.server.stats.pushes).toBe(all.length);
    expect(all.length).toBeLessThan(decided.flat().length);
    for (const [i, who] of TEAM.entries()) {
      const log = git(remote.bare, 'log', '--format=%s', `main..labels/${reviewerTag(who.email)}`)
        .split('\n')
        .sort();
      expect(log).toEqual(decided[i]!.map((id) => `plover: flag ${id}`).sort());
    }
  });
});
