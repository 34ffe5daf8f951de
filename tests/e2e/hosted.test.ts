// The hosted mode end to end: the site built by `npm run build` for a real git server on
// loopback (git http-backend, Basic auth, CORS), served by a static host on another
// origin, used in Chromium by reviewers who only have a browser.
import { buildSite, solidDevBuildIn } from '../helpers/site-build.ts';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticHost } from '../../scripts/git-http-server.ts';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { correctionPath, reviewerTag } from '../../src/lib/records/paths.ts';
import { reviewStateViolations, SIZES, violations } from '../helpers/axe.ts';
import { CHROMIUM, launchBrowser, screenshot } from '../helpers/browser.ts';
import { TOKEN, useGitServer } from '../helpers/git-server.ts';
import { startPlover } from '../helpers/serve.ts';
import { candidateLine, fsck, git } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';
import { LIMIT } from '../helpers/limits.ts';

const bob = { name: 'Bob Ray', email: 'bob@example.org' };
/** The site's push interval (PLOVER_PUSH_INTERVAL): short, so the tests do not wait long for a batched push. */
const INTERVAL_S = 3;

describe.skipIf(!CHROMIUM)('the hosted site in Chromium, against a real git server', () => {
  const remote = useGitServer();
  let site: Awaited<ReturnType<typeof startStaticHost>>;
  let outDir = '';
  const browsers: Awaited<ReturnType<typeof launchBrowser>>[] = [];

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'plover-hosted-site-'));
    // Exactly what a maintainer runs: the remote and branch from the environment, a base path.
    buildSite(['--outDir', outDir], { PLOVER_REMOTE: remote.url, PLOVER_BRANCH: 'main', PLOVER_BASE: '/plover/', PLOVER_PUSH_INTERVAL: String(INTERVAL_S) });
    // The site users get: Solid's production build.
    expect(solidDevBuildIn(outDir)).toEqual([]);
    site = await startStaticHost({ dir: outDir, base: '/plover/' });
  });
  afterAll(async () => {
    for (const b of browsers) await b.close();
    await site?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  async function browser(options: { bypassCSP?: boolean } = {}): Promise<BrowserContext> {
    const b = await launchBrowser(options);
    browsers.push(b);
    return b.context;
  }

  async function open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(site.url);
    return page;
  }

  async function signIn(page: Page, who: { name: string; email: string }, token = TOKEN) {
    await page.getByLabel('Name').fill(who.name);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Access token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /**
   * Signs in once the tabs closed before are gone for the browser too: `page.close()`
   * returns before Chromium frees a closed tab's Web Locks (~150 ms later here, longer on a
   * busy machine). A tab whose lock is held counts as open: a sign-in leaves its decisions to it,
   * and commits them only once the lock is freed, so meanwhile the queue can show their cards.
   */
  async function signInAfterClose(page: Page, who: { name: string; email: string }) {
    await expect.poll(() => page.evaluate(async () => ((await navigator.locks.query()).held ?? []).filter((l) => l.name?.startsWith('plover-')).map((l) => l.name))).toEqual([]);
    await signIn(page, who);
  }

  const card = (page: Page) => page.getByRole('article', { name: 'Candidate' });
  /** Waits for the first card; if none comes, the error says what the page shows instead (a sign-in stuck at a step, an error). */
  async function cardShown(page: Page, timeout = LIMIT): Promise<void> {
    try {
      await card(page).waitFor({ timeout });
    } catch (err) {
      const shown = await page
        .locator('body')
        .innerText({ timeout: 2_000 })
        .catch((e: Error) => `(unreadable: ${e.message})`);
      throw new Error(`no card within ${timeout} ms; the page shows:\n${shown}`, { cause: err });
    }
  }
  const currentId = (page: Page) => card(page).getAttribute('data-candidate-id');
  const waiting = (page: Page) => page.getByTestId('waiting').getAttribute('data-waiting');
  const branchOf = (who: { email: string }) => `labels/${reviewerTag(who.email)}`;

  /** Commits files to main on the server, as another reviewer's merged pull request would. */
  const pushToMain = (files: Record<string, string | null>) => {
    const work = mkdtempSync(join(tmpdir(), 'plover-main-'));
    try {
      git(work, 'clone', '-q', remote.bare, '.');
      for (const [path, text] of Object.entries(files)) {
        if (text === null) rmSync(join(work, path));
        else {
          mkdirSync(dirname(join(work, path)), { recursive: true });
          writeFileSync(join(work, path), text);
        }
      }
      git(work, 'add', '-A');
      git(work, 'commit', '-q', '-m', 'merged');
      git(work, 'push', '-q', 'origin', 'HEAD:main');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  };

  /** Flags the shown candidate and waits until the page has the commit (stored in IndexedDB). */
  async function flag(page: Page, done: number): Promise<string> {
    const id = (await currentId(page))!;
    await page.getByRole('button', { name: 'Flag', exact: true }).click();
    await expect.poll(() => page.locator('.commit[data-state="done"]').count()).toBeGreaterThanOrEqual(Math.min(done, 6));
    return id;
  }

  it('signs in, labels 10 candidates while the git server is down (with a reload among them), and all 10 arrive on the review branch exactly once when it is back', async () => {
    const page = await open(await browser());
    // The first clone's pack is indexed on a worker of its own; later visits make none.
    const workers: string[] = [];
    page.on('worker', (worker) => workers.push(worker.url()));
    remote.server.resetStats();
    await signIn(page, ann);
    await cardShown(page);
    expect(workers).toEqual([expect.stringMatching(/\/plover\/_astro\/pack-index\.worker-[\w-]+\.js$/)]);
    const cloneBytes = remote.server.stats.fetchBytes;
    expect(cloneBytes).toBeGreaterThan(100_000);
    await expect.poll(() => page.getByTestId('online').textContent()).toBe('Online');
    expect(await page.getByRole('link', { name: 'Open a pull request' }).getAttribute('href')).toBe(`${remote.url.replace(/\.git$/, '')}/compare/main...${branchOf(ann)}`);
    await screenshot(page, 'hosted');

    await remote.server.stop();
    const ids: string[] = [];
    try {
      for (let i = 1; i <= 5; i++) ids.push(await flag(page, i));
      await expect.poll(() => waiting(page)).toBe('5');
      await expect.poll(() => page.getByTestId('online').textContent()).toBe('Offline');
      // Reload mid-queue while offline: the tab signs in again from its own clone; nothing is lost.
      await page.reload();
      await cardShown(page);
      await expect.poll(() => waiting(page)).toBe('5');
      expect(ids).not.toContain(await currentId(page));
      for (let i = 1; i <= 5; i++) ids.push(await flag(page, i));
      await expect.poll(() => waiting(page)).toBe('10');
      expect(git(remote.bare, 'branch', '--list', branchOf(ann))).toBe('');
    } finally {
      await remote.server.start();
    }
    // Back online: the retry pushes all ten.
    await expect.poll(() => waiting(page)).toBe('0');
    await expect.poll(() => page.getByTestId('online').textContent()).toBe('Online');
    const log = git(remote.bare, 'log', '--format=%an <%ae>|%s', `main..${branchOf(ann)}`)
      .split('\n')
      .reverse();
    expect(log).toEqual(ids.map((id) => `Ann Lee <ann@example.org>|plover: flag ${id}`));
    expect(new Set(ids).size).toBe(10);
    expect(git(remote.bare, 'ls-tree', '-r', '--name-only', branchOf(ann), 'corrections').split('\n')).toHaveLength(10);
    expect(fsck(remote.bare).status).toBe(0);

    // The token never reaches persistent storage.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
    expect(stored).not.toContain(TOKEN);
    expect(stored).toContain('ann@example.org');

    // A later visit fetches only what is new: here nothing, so next to no bytes.
    remote.server.resetStats();
    await page.reload();
    await cardShown(page);
    await expect.poll(() => page.getByTestId('online').textContent()).toBe('Online');
    expect(remote.server.stats.fetchBytes).toBeLessThan(cloneBytes / 100);
    expect(workers).toHaveLength(1);
  });

  it('reports a wrong token without losing the queue, and a revoked token without losing a decision', async () => {
    const page = await open(await browser());
    await signIn(page, bob, 'not-the-token');
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/refused the access token \(HTTP 401\)/);
    expect(await page.getByRole('alert').textContent()).not.toContain('not-the-token');
    expect(await page.getByLabel('Name').inputValue()).toBe(bob.name);

    await signIn(page, bob);
    await cardShown(page);
    // The token is revoked on the host: the decision is kept, the reviewer is told.
    remote.server.setToken('rotated-token');
    try {
      const id = await flag(page, 1);
      await expect.poll(() => page.getByTestId('sync-error').textContent()).toMatch(/refused the access token/);
      expect(await page.getByTestId('sync-error').getAttribute('role')).toBe('alert');
      expect(await waiting(page)).toBe('1');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('alertdialog').getByRole('button', { name: 'Sign out anyway' }).click();
      expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }))).not.toContain(TOKEN);
      await signIn(page, bob, 'rotated-token');
      await cardShown(page);
      await expect.poll(() => waiting(page)).toBe('0');
      expect(git(remote.bare, 'log', '--format=%s', `main..${branchOf(bob)}`)).toBe(`plover: flag ${id}`);
    } finally {
      remote.server.setToken(TOKEN);
    }
  });

  it('lands two reviewers pushing at the same time, and two tabs of one reviewer without duplicates', async () => {
    const carol = { name: 'Carol Diaz', email: 'carol@example.org' };
    const dan = { name: 'Dan Wu', email: 'dan@example.org' };
    const carolContext = await browser();
    const [c1, d1] = await Promise.all([open(carolContext), open(await browser())]);
    await Promise.all([signIn(c1, carol), signIn(d1, dan)]);
    await Promise.all([card(c1).waitFor(), card(d1).waitFor()]);
    // Carol's second tab shares her clone (same browser profile); the token is per tab, so she signs in there too.
    const c2 = await open(carolContext);
    await signIn(c2, carol);
    await card(c2).waitFor();
    // Tab 2 starts further down the queue, so the two tabs decide different candidates.
    for (let i = 0; i < 4; i++) await c2.keyboard.press('j');

    const decided = { c1: [] as string[], c2: [] as string[], d1: [] as string[] };
    await Promise.all(
      (['c1', 'c2', 'd1'] as const).map(async (key) => {
        const page = { c1, c2, d1 }[key];
        for (let i = 1; i <= 3; i++) decided[key].push(await flag(page, i));
      }),
    );
    for (const page of [c1, c2, d1]) await expect.poll(() => waiting(page)).toBe('0');
    const carolLog = git(remote.bare, 'log', '--format=%s', `main..${branchOf(carol)}`).split('\n');
    expect(carolLog.sort()).toEqual([...decided.c1, ...decided.c2].map((id) => `plover: flag ${id}`).sort());
    const danLog = git(remote.bare, 'log', '--format=%s', `main..${branchOf(dan)}`).split('\n');
    expect(danLog.sort()).toEqual(decided.d1.map((id) => `plover: flag ${id}`).sort());
    expect(fsck(remote.bare).status).toBe(0);
  });
  it('keeps five quick decisions made while the host takes 3 s per push, through a tab closed right after the fifth card shows', async () => {
    const gil = { name: 'Gil Ho', email: 'gil@example.org' };
    const context = await browser();
    const page = await open(context);
    await signIn(page, gil);
    await cardShown(page);
    await page.route('**/git-receive-pack', async (route) => {
      await new Promise((r) => setTimeout(r, 3000));
      await route.continue().catch(() => undefined); // the page may be gone by then
    });
    const decided: string[] = [];
    for (let i = 0; i < 5; i++) {
      const id = (await currentId(page))!;
      decided.push(id);
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      await expect.poll(() => currentId(page)).not.toBe(id);
    }
    await page.close({ runBeforeUnload: false });

    const again = await open(context);
    await signIn(again, gil);
    await cardShown(again);
    await expect.poll(() => waiting(again)).toBe('0');
    expect(
      git(remote.bare, 'log', '--format=%s', `main..${branchOf(gil)}`)
        .split('\n')
        .sort(),
    ).toEqual(decided.map((id) => `plover: flag ${id}`).sort());
    expect(decided).not.toContain(await currentId(again));
    expect(fsck(remote.bare).status).toBe(0);
  });

  it('commits on the next sign-in, once, a decision whose tab closed before IndexedDB had it, and loses none in seeded closes at random moments', async () => {
    const ivy = { name: 'Ivy Kim', email: 'ivy@example.org' };
    const context = await browser();
    const decided: string[] = [];
    let page = await open(context);
    await signIn(page, ivy);
    await cardShown(page);
    // Another tab of the site holds the clone's lock (as a push or a sign-in there does): this tab's commit waits for it.
    const holder = await open(context);
    await holder.evaluate((name) => {
      void navigator.locks.request(name, () => new Promise<void>(() => undefined));
    }, `plover-git:${remote.url}`);
    const held = (await currentId(page))!;
    await page.getByRole('button', { name: 'Flag', exact: true }).click();
    await expect.poll(() => currentId(page)).not.toBe(held);
    decided.push(held);
    await page.waitForTimeout(300);
    expect(await page.locator('.commit[data-state="pending"]').count()).toBe(1);
    await page.close({ runBeforeUnload: false });
    await holder.close();

    // Seeded closes at random moments after a decision: 0 to 400 ms, commit and push or not.
    let seed = 17;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 20; round++) {
      page = await open(context);
      await signInAfterClose(page, ivy);
      await cardShown(page);
      const id = (await currentId(page))!;
      expect(decided, `round ${round}: the card shown after sign-in was decided in a tab closed before`).not.toContain(id);
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      decided.push(id);
      await page.waitForTimeout(Math.floor(random() * 400));
      await page.close({ runBeforeUnload: false });
    }
    page = await open(context);
    await signInAfterClose(page, ivy);
    await cardShown(page);
    await expect.poll(() => waiting(page)).toBe('0');
    expect(
      git(remote.bare, 'log', '--format=%s', `main..${branchOf(ivy)}`)
        .split('\n')
        .sort(),
    ).toEqual(decided.map((id) => `plover: flag ${id}`).sort());
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('plover.journal:')))).toEqual([]);
    expect(fsck(remote.bare).status).toBe(0);
  });

  it('commits, without a new sign-in, the decision a tab still open at sign-in kept, once that tab is gone', async () => {
    const uma = { name: 'Uma Roy', email: 'uma@example.org' };
    const context = await browser();
    const first = await open(context);
    await signIn(first, uma);
    await cardShown(first);
    const id = (await currentId(first))!;
    // What a tab keeps from a click until its commit is stored: an entry of its own in the journal (decision-journal.ts), under its lock.
    await first.evaluate(
      async ([remoteUrl, email, candidateId]) => {
        const tab = ((await navigator.locks.query()).held ?? [])
          .map((l) => l.name!)
          .find((n) => n.startsWith('plover-tab:'))!
          .slice('plover-tab:'.length);
        const entry = {
          id: 'kept-1',
          tab,
          decision: { candidate_id: candidateId, action: 'flag', corrected_response: null, failure_category: null },
          decidedAt: new Date().toISOString(),
        };
        localStorage.setItem(`plover.journal:${encodeURIComponent(remoteUrl!)}:${encodeURIComponent(email!)}:kept-1`, JSON.stringify(entry));
      },
      [remote.url, uma.email, id],
    );
    const second = await open(context);
    await signIn(second, uma);
    await cardShown(second);
    // The first tab is open: its decision is its own to commit.
    const log = () => git(remote.bare, 'for-each-ref', '--format=%(refname)', `refs/heads/${branchOf(uma)}`) && git(remote.bare, 'log', '--format=%s', `main..${branchOf(uma)}`);
    expect(await second.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('plover.journal:')))).toHaveLength(1);
    await first.close({ runBeforeUnload: false });
    // Gone without storing it: the tab still signed in commits it once the browser frees the closed tab's lock, and pushes it.
    await expect.poll(log).toBe(`plover: flag ${id}`);
    await expect.poll(() => second.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('plover.journal:')))).toEqual([]);
    expect(fsck(remote.bare).status).toBe(0);
  });

  it('keeps a ref durable only after the objects it names: a tab closed after a commit rewrote the outbox ref, before the file table was saved again, leaves a clone the next sign-in reads', async () => {
    const kim = { name: 'Kim Lee', email: 'kim@example.org' };
    const context = await browser();
    // Storage as a tab closed at the worst moment leaves it: once a ref's new content is
    // written, no later save of LightningFS's file table reaches IndexedDB.
    await context.addInitScript(() => {
      const w = window as unknown as { ploverStorageDies?: boolean; ploverRefWritten?: boolean };
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
        if (w.ploverStorageDies) {
          if (key === '!root' && w.ploverRefWritten) return undefined as unknown as IDBRequest;
          if (value instanceof Uint8Array && value.length === 41 && /^[0-9a-f]{40}\n$/.test(new TextDecoder().decode(value))) w.ploverRefWritten = true;
        }
        return put.call(this, value, key);
      };
    });
    const page = await open(context);
    await signIn(page, kim);
    await cardShown(page);
    await page.waitForFunction(() => performance.getEntriesByName('plover:index-kept').length > 0);
    await page.route('**/git-receive-pack', (route) => route.abort()); // the decision stays in the outbox
    await page.evaluate(() => {
      (window as unknown as { ploverStorageDies: boolean }).ploverStorageDies = true;
    });
    const id = (await currentId(page))!;
    await page.getByRole('button', { name: 'Flag', exact: true }).click();
    // Acknowledged: its commit is stored, so the journal lets go of it.
    await expect.poll(() => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('plover.journal:')).length)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { ploverRefWritten?: boolean }).ploverRefWritten)).toBe(true);
    await page.close({ runBeforeUnload: false });

    const again = await open(context);
    await signIn(again, kim);
    await cardShown(again);
    await expect.poll(() => waiting(again)).toBe('0');
    expect(git(remote.bare, 'log', '--format=%s', `main..${branchOf(kim)}`)).toBe(`plover: flag ${id}`);
    expect(fsck(remote.bare).status).toBe(0);
  });

  it("keeps two reviewers of one browser apart: Sign out asks while a decision waits, forgets the drafts, and pushes nobody else's decisions", async () => {
    const mia = { name: 'Mia Oda', email: 'mia@example.org' };
    const ned = { name: 'Ned Ash', email: 'ned@example.org' };
    const page = await open(await browser({ bypassCSP: true }));
    const textarea = page.getByRole('textbox', { name: 'Corrected response' });
    const draftKeys = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('plover.draft:')));
    await signIn(page, mia);
    await cardShown(page);
    // Mia's push cannot reach the host: her decision waits in this browser.
    await page.route('**/git-receive-pack', (route) => route.abort());
    const miaDecided = await flag(page, 1);
    await expect.poll(() => waiting(page)).toBe('1');
    const drafted = (await currentId(page))!;
    await textarea.fill('Mia was half way through this answer');
    await expect.poll(draftKeys).toHaveLength(1);

    await page.getByRole('button', { name: 'Sign out' }).click();
    const ask = page.getByRole('alertdialog');
    await expect.poll(() => ask.textContent()).toMatch(/1 decision is not on the git host yet\..*pushed the next time you sign in here/);
    expect(await violations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    expect(await ask.count()).toBe(0);
    expect(await currentId(page)).toBe(drafted);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await ask.getByRole('button', { name: 'Sign out anyway' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe('');
    expect(await draftKeys()).toEqual([]);
    expect(await page.evaluate(() => JSON.stringify({ ...sessionStorage }))).not.toContain(TOKEN);

    // Ned at the same browser: none of Mia's drafts, and his push carries his decision alone.
    await page.unroute('**/git-receive-pack');
    await signIn(page, ned);
    await cardShown(page);
    expect(await textarea.inputValue()).not.toContain('Mia');
    const nedDecided = await flag(page, 1);
    await expect.poll(() => waiting(page)).toBe('0');
    expect(git(remote.bare, 'log', '--format=%an|%s', `main..${branchOf(ned)}`)).toBe(`Ned Ash|plover: flag ${nedDecided}`);
    expect(git(remote.bare, 'branch', '--list', branchOf(mia))).toBe('');
    // Nothing waits: Sign out does not ask.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('form', { name: 'Sign in' }).waitFor();

    // Mia's next sign-in pushes what she left, and only that.
    await signIn(page, mia);
    await cardShown(page);
    await expect.poll(() => waiting(page)).toBe('0');
    expect(git(remote.bare, 'log', '--format=%an|%s', `main..${branchOf(mia)}`)).toBe(`Mia Oda|plover: flag ${miaDecided}`);
    expect(git(remote.bare, 'log', '--format=%an|%s', `main..${branchOf(ned)}`)).toBe(`Ned Ash|plover: flag ${nedDecided}`);
    expect(fsck(remote.bare).status).toBe(0);
  });

  it('pushes at most once per push interval, carrying what waits; Push now and hiding the page push at once; every decision arrives once', async () => {
    const mo = { name: 'Mo Chen', email: 'mo@example.org' };
    const page = await open(await browser());
    await signIn(page, mo);
    await cardShown(page);
    remote.server.resetStats();
    const decided: string[] = [];
    for (let i = 0; i < 8; i++) decided.push(await flag(page, i + 1));
    await expect.poll(() => waiting(page)).toBe('0');
    const pushes = remote.server.stats.pushArrivals;
    const span = pushes.at(-1)! - pushes[0]!;
    expect(pushes.length).toBeGreaterThanOrEqual(1);
    expect(pushes.length).toBeLessThanOrEqual(Math.ceil(span / (INTERVAL_S * 1000)) + 1);
    expect(pushes.length).toBeLessThan(decided.length);
    expect(
      git(remote.bare, 'log', '--format=%s', `main..${branchOf(mo)}`)
        .split('\n')
        .sort(),
    ).toEqual(decided.map((id) => `plover: flag ${id}`).sort());

    // Right after a push, a decision waits for the interval and the bar says when it goes; Push now, or the
    // page being hidden, sends it at once. (If the interval passes first, the push is the interval's: try again.)
    const lastReason = () => page.evaluate(() => (performance.getEntriesByName('plover:push').at(-1) as PerformanceMeasure | undefined)?.detail.reason as string | undefined);
    const commits = () => page.evaluate(() => performance.getEntriesByName('plover:commit').length);
    /** Flags the shown candidate and waits until its commit is stored and counted. */
    const flagged = async () => {
      const n = await commits();
      const id = (await currentId(page))!;
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      await expect.poll(commits).toBe(n + 1);
      decided.push(id);
    };
    const pushNow = () => page.getByRole('button', { name: 'Push now' });
    const pushedBy = async (reason: string, act: () => Promise<unknown>) => {
      for (let attempt = 1; ; attempt++) {
        await flagged();
        // Waiting for the interval (the bar says when it goes), or already on its way.
        await expect
          .poll(async () => (await pushNow().count()) > 0 || (await waiting(page)) === '0' || (await page.getByTestId('waiting').textContent())!.includes('pushing'))
          .toBe(true);
        if ((await pushNow().count()) > 0) {
          expect(await page.getByTestId('waiting').textContent()).toMatch(/1 decision waiting to be pushed · next push in \d+ s/);
          await act();
        }
        await expect.poll(() => waiting(page)).toBe('0');
        if ((await lastReason()) === reason) return;
        expect(attempt, `no push by ${reason} in ${attempt} tries`).toBeLessThan(5);
      }
    };
    await pushedBy('now', () => page.evaluate(() => [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Push now')?.click()));
    await pushedBy('hidden', () =>
      page.evaluate(() => {
        Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
        Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      }),
    );
    expect(
      git(remote.bare, 'log', '--format=%s', `main..${branchOf(mo)}`)
        .split('\n')
        .sort(),
    ).toEqual(decided.map((id) => `plover: flag ${id}`).sort());
  });

  it('waits as a rate-limited host asks: nothing is sent before the time it names, the wait is shown, then every decision arrives once', async () => {
    const lee = { name: 'Lee Park', email: 'lee@example.org' };
    const page = await open(await browser());
    await signIn(page, lee);
    await cardShown(page);
    remote.server.resetStats();
    remote.server.setFaults({
      rateLimits: [
        { status: 429, headers: { 'retry-after': '3' } },
        { status: 403, headers: { 'retry-after': '2' }, body: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' },
      ],
    });
    try {
      const first = await flag(page, 1);
      await expect.poll(() => page.getByTestId('sync-error').textContent()).toMatch(/The git host asks to wait 3 s; your decision is kept and pushed then/);
      expect(await page.getByTestId('sync-error').getByRole('button', { name: 'Retry' }).count()).toBe(0);
      const second = await flag(page, 2);
      await expect.poll(() => waiting(page)).toBe('0');
      const { arrivals, rateLimited } = remote.server.stats;
      expect(rateLimited).toBe(2);
      // The request after each limit came no sooner than the host asked.
      expect(arrivals[1]! - arrivals[0]!).toBeGreaterThanOrEqual(3000);
      expect(arrivals[2]! - arrivals[1]!).toBeGreaterThanOrEqual(2000);
      expect(
        git(remote.bare, 'log', '--format=%s', `main..${branchOf(lee)}`)
          .split('\n')
          .sort(),
      ).toEqual([first, second].map((id) => `plover: flag ${id}`).sort());
    } finally {
      remote.server.setFaults({});
    }
  });

  it("shows a refusal by the host in the host's words, stops pushing, and lands every queued decision once on Retry", async () => {
    const hal = { name: 'Hal Ito', email: 'hal@example.org' };
    const hook = join(remote.bare, 'hooks/pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "GH006: Protected branch update failed for refs/heads/labels/hal." >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    try {
      // CSP bypassed only to inject axe-core, which checks the sign-in form and the refusal below.
      const page = await open(await browser({ bypassCSP: true }));
      await page.getByLabel('Access token').waitFor();
      const axeFound: Record<string, string[]> = {};
      for (const [width, height, name] of [
        [1280, 720, 'hosted-sign-in'],
        [390, 844, 'hosted-sign-in-phone'],
      ] as const) {
        await page.setViewportSize({ width, height });
        await screenshot(page, name, { fullPage: false });
        axeFound[name] = await violations(page);
      }
      await page.setViewportSize({ width: 1280, height: 720 });
      await signIn(page, hal);
      await cardShown(page);
      remote.server.resetStats();
      const first = await flag(page, 1);
      const second = await flag(page, 2);
      const error = page.getByTestId('sync-error');
      await expect.poll(() => error.textContent()).toMatch(/Refused by the host[\s\S]*GH006: Protected branch update failed for refs\/heads\/labels\/hal\./);
      expect(await error.getAttribute('role')).toBe('alert');
      await expect.poll(() => waiting(page)).toBe('2');
      // The refusal stays in view while reviewing: with the decision buttons scrolled to, on a laptop and a phone.
      for (const [width, height, name] of [
        [1280, 720, 'hosted-refused'],
        [390, 844, 'hosted-refused-phone'],
      ] as const) {
        await page.setViewportSize({ width, height });
        await page.getByRole('button', { name: 'Flag', exact: true }).scrollIntoViewIfNeeded();
        const box = (await error.boundingBox())!;
        expect(box.y).toBeGreaterThanOrEqual(0);
        expect(box.y + box.height).toBeLessThanOrEqual(height);
        await screenshot(page, name, { fullPage: false });
        axeFound[name] = await violations(page);
      }
      expect(axeFound).toEqual(Object.fromEntries(Object.keys(axeFound).map((k) => [k, []])));
      await page.setViewportSize({ width: 1280, height: 720 });
      // No retries on its own: the count of receive-pack requests stays where the refusal left it.
      const afterRefusal = remote.server.stats.pushes;
      expect(afterRefusal).toBeLessThanOrEqual(3);
      // A minute: four times the longest retry delay (15 s) of a push that failed for other reasons.
      await page.waitForTimeout(60_000);
      expect(remote.server.stats.pushes).toBe(afterRefusal);
      expect(git(remote.bare, 'branch', '--list', branchOf(hal))).toBe('');

      rmSync(hook);
      await error.getByRole('button', { name: 'Retry' }).click();
      await expect.poll(() => waiting(page)).toBe('0');
      expect(
        git(remote.bare, 'log', '--format=%s', `main..${branchOf(hal)}`)
          .split('\n')
          .sort(),
      ).toEqual([first, second].map((id) => `plover: flag ${id}`).sort());
      expect(await error.count()).toBe(0);
      expect(fsck(remote.bare).status).toBe(0);
    } finally {
      rmSync(hook, { force: true });
    }
  });

  it('starts a later visit from the review index it kept: only changed corrections are read, a bad one is named, new candidates are read whole, texts come from the pack, and from the candidate files read whole when the kept pack is gone', async () => {
    const joy = { name: 'Joy Park', email: 'joy@example.org' };
    const kim = { name: 'Kim Sato', email: 'kim@example.org' };
    const page = await open(await browser());
    const reads = () => page.evaluate(() => performance.getEntriesByName('plover:open').map((e) => (e as PerformanceMeasure).detail.read as string));
    const kept = () => page.waitForFunction(() => performance.getEntriesByName('plover:index-kept').length > 0);
    const reload = async () => {
      await kept();
      await page.reload();
      await cardShown(page);
    };
    /** The correction files of the snapshot the page keeps for joy. */
    const keptFiles = () =>
      page.evaluate(
        (remoteUrl) =>
          new Promise<string[]>((resolve, reject) => {
            const open = indexedDB.open(`plover-index:${remoteUrl}`);
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const bodies = open.result.transaction('bodies').objectStore('bodies').getAll();
              bodies.onsuccess = () => resolve((bodies.result as { corrections: { file: string[] } }[]).flatMap((b) => b.corrections.file).sort());
            };
          }),
        remote.url,
      );
    await signIn(page, joy);
    await cardShown(page);
    const mine = [await flag(page, 1), await flag(page, 2)];
    await expect.poll(() => waiting(page)).toBe('0');
    // The outbox moved since the index was kept: only joy's two files are read.
    await reload();
    expect(await reads()).toEqual(['changes']);
    expect(mine).not.toContain(await currentId(page));
    await expect.poll(() => page.getByTestId('count-flag').textContent()).toBe('2');
    await reload();
    expect(await reads()).toEqual(['snapshot']);
    // The cards' texts come from the clone's pack, inflated from their lines' seek points.
    const from = () => page.evaluate(() => performance.getEntriesByName('plover:texts').map((e) => (e as PerformanceMark).detail.from as string));
    expect(await from()).toContain('pack');
    expect(await from()).not.toContain('blob');

    // Kim's decision merged into main: the next visit reads that one file.
    const other = mine[0]!;
    const kimFile = correctionPath(other, kim.email);
    pushToMain({ [kimFile]: serializeCorrection(createCorrection({ candidate_id: other, action: 'discard' }, kim, new Date('2024-05-02T10:00:00Z'))) });
    await reload();
    expect(await reads()).toEqual(['changes']);
    await kept();
    expect(await keptFiles()).toEqual([kimFile, ...mine.map((id) => correctionPath(id, joy.email))].sort());

    // A broken file merged into main is named, as a whole read names it.
    pushToMain({ [kimFile]: '{"candidate_id": "x"' });
    await page.reload();
    await expect.poll(() => page.locator('.sign-in [role=alert]').textContent()).toContain(kimFile);
    pushToMain({ [kimFile]: null });
    await page.reload();
    await page.getByLabel('Access token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await cardShown(page);
    expect(await reads()).toEqual(['changes']);
    await kept();
    expect(await keptFiles()).toEqual(mine.map((id) => correctionPath(id, joy.email)).sort());

    // A folder named like an object's own key is a folder like any: the file in it is named as out of the layout.
    pushToMain({ 'corrections/constructor/stray.json': '{}\n' });
    await page.reload();
    await expect.poll(() => page.locator('.sign-in [role=alert]').textContent()).toContain('corrections/constructor/stray.json: is not where plover puts corrections');
    pushToMain({ 'corrections/constructor/stray.json': null });
    await page.reload();
    await page.getByLabel('Access token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await cardShown(page);

    // A new run: the candidates are read whole, and the new one is in the queue.
    const fresh = JSON.parse(candidateLine({ id: 'sftc_new_run_0001', benchmark_run_id: 'run_20250101_new' })) as { id: string };
    pushToMain({ 'candidates/run_20250101_new.jsonl': `${JSON.stringify(fresh)}\n` });
    await reload();
    expect(await reads()).toEqual(['whole']);
    // A read whole keeps each candidate's place in its file, not its texts: a search reads them all from there.
    await page.locator('summary', { hasText: 'Filters and sort' }).click();
    const search = page.getByRole('searchbox', { name: 'Search' });
    await search.fill('Fibonacci number using recursion');
    await search.press('Enter');
    await expect.poll(() => new URL(page.url()).searchParams.get('q')).toBe('Fibonacci number using recursion');
    await expect.poll(() => card(page).textContent()).toContain('Fibonacci number using recursion');
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => new URL(page.url()).search).toBe('');
    // A search (here from the address, as a bookmark would) reads every text from the pack, each file's lines from their seek points.
    await kept();
    await page.goto(`${site.url}?q=${encodeURIComponent('Fibonacci number using recursion')}`);
    await cardShown(page);
    expect(await reads()).toEqual(['snapshot']);
    expect(await card(page).textContent()).toContain('Fibonacci number using recursion');
    expect(await from()).toContain('pack');
    expect(await from()).not.toContain('blob');
    await page.goto(`${site.url}?q=${encodeURIComponent(fresh.id)}`);
    await expect.poll(() => currentId(page)).toBe(fresh.id);

    // A kept file whose pack the clone no longer has (as after the clone was fetched anew): its texts are read from its blob, read whole.
    await page.evaluate(
      (remoteUrl) =>
        new Promise<void>((resolve, reject) => {
          const open = indexedDB.open(`plover-index:${remoteUrl}`);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const tx = open.result.transaction('files', 'readwrite');
            const files = tx.objectStore('files');
            const cursor = files.openCursor();
            cursor.onsuccess = () => {
              if (!cursor.result) return;
              const kept = cursor.result.value as { packed: { pack: string } | null };
              if (kept.packed) cursor.result.update({ ...kept, packed: { ...kept.packed, pack: 'pack-gone' } });
              cursor.result.continue();
            };
            tx.oncomplete = () => resolve();
            tx.onerror = () => reject(tx.error);
          };
        }),
      remote.url,
    );
    await page.goto(site.url);
    await cardShown(page);
    expect(await reads()).toEqual(['snapshot']);
    expect(mine).not.toContain(await currentId(page));
    expect((await card(page).locator('.response').textContent())?.trim()).not.toBe('');
    expect(await from()).toContain('blob');
    expect(await from()).not.toContain('pack');
  });

  /** Every candidate id of a reviewer's queue in the label server, page by page. */
  async function queueOf(url: string, filters: string): Promise<string[]> {
    const ids: string[] = [];
    for (;;) {
      const after = ids.length ? `&after=${encodeURIComponent(ids.at(-1)!)}` : '';
      const page = (await (await fetch(`${url}api/queue?limit=100${after}${filters}`)).json()) as { items: { id: string }[] };
      if (!page.items.length) return ids;
      ids.push(...page.items.map((c) => c.id));
    }
  }

  it('splits the work of a team as the label server does: the same share, queue and counts for a member, everything one button away', async () => {
    const team = [
      { name: 'Lia Moss', email: 'lia@example.org' },
      { name: 'Max Ode', email: 'max@example.org' },
      { name: 'Ned Pike', email: 'ned@example.org' },
    ];
    pushToMain({ 'plover.config.json': `${JSON.stringify({ team: { members: team.map((m) => m.email), overlap: 1 } }, null, 2)}\n` });
    const [lia] = team;
    const local = mkdtempSync(join(tmpdir(), 'plover-team-local-'));
    git(local, 'clone', '-q', remote.bare, '.');
    const server = await startPlover(local, `${lia!.name} <${lia!.email}>`);
    try {
      const session = (await (await fetch(`${server.url}api/session`)).json()) as { remaining: number; total: number; team: { overlap: number; assigned: number } };
      const mine = await queueOf(server.url, '');
      const everything = await queueOf(server.url, '&scope=all');
      // About a third of the candidates each, and the member's queue is their share.
      expect(session.team).toEqual({ overlap: 1, assigned: mine.length });
      expect(mine.length).toBeGreaterThan(150);
      expect(mine.length).toBeLessThan(300);
      expect(everything.length).toBe(session.total);

      const page = await open(await browser());
      await signIn(page, lia!);
      await cardShown(page);
      await expect.poll(() => page.getByTestId('remaining').textContent()).toBe(String(session.remaining));
      expect(await page.locator('.remaining').textContent()).toContain(`of the ${session.team.assigned} assigned to you`);
      const shown: string[] = [];
      for (let i = 0; i < 5; i++) {
        shown.push((await currentId(page))!);
        await page.keyboard.press('j');
        await expect.poll(() => currentId(page)).not.toBe(shown.at(-1));
      }
      expect(shown).toEqual(mine.slice(0, 5));
      const all = page.getByRole('button', { name: 'Everything I have not decided' });
      expect(await all.getAttribute('aria-pressed')).toBe('false');
      await all.click();
      await expect.poll(() => all.getAttribute('aria-pressed')).toBe('true');
      await expect.poll(() => currentId(page)).toBe(everything[0]);
      expect(new URL(page.url()).searchParams.get('scope')).toBe('all');
      // A decision on a candidate of someone else's share takes it out of their queue too (overlap 1).
      const other = everything.find((id) => !mine.includes(id))!;
      await page.goto(`${site.url}?scope=all&q=${other}`);
      await expect.poll(() => currentId(page)).toBe(other);
      expect(await flag(page, 1)).toBe(other);
      await expect.poll(() => waiting(page)).toBe('0');
      const another = team.find((m) => m !== lia)!;
      git(local, 'fetch', '-q', 'origin', `${branchOf(lia!)}:${branchOf(lia!)}`);
      git(local, 'merge', '-q', '--ff-only', branchOf(lia!));
      await server.stop();
      const anotherServer = await startPlover(local, `${another.name} <${another.email}>`);
      try {
        expect(await queueOf(anotherServer.url, '&scope=all')).toHaveLength(session.total - 1);
        expect(await queueOf(anotherServer.url, '&scope=all')).not.toContain(other);
        expect(await queueOf(anotherServer.url, '')).not.toContain(other);
      } finally {
        await anotherServer.stop();
      }
    } finally {
      await server.stop();
      rmSync(local, { recursive: true, force: true });
      pushToMain({ 'plover.config.json': null });
    }
  });

  it.each(SIZES)('finds no axe violation in the hosted review page, its states and its stats page at %i×%i', async (width, height) => {
    const kay = { name: 'Kay Lu', email: `kay-${width}@example.org` };
    const page = await open(await browser({ bypassCSP: true }));
    await page.setViewportSize({ width, height });
    await signIn(page, kay);
    const found = await reviewStateViolations(page, site.url, async () => undefined);
    expect(found).toEqual(Object.fromEntries(Object.keys(found).map((k) => [k, []])));
  });

  describe('the browser store', () => {
    const cid = { name: 'Cid Moe', email: 'cid@example.org' };
    const eve = { name: 'Eve Ng', email: 'eve@example.org' };
    const fay = { name: 'Fay Orr', email: 'fay@example.org' };

    it('says so clearly when the browser gives the page no IndexedDB, and signs in nowhere', async () => {
      const context = await browser();
      await context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
      const page = await open(context);
      await signIn(page, cid);
      await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/no IndexedDB.*Allow site storage/);
      expect(await page.getByLabel('Email').inputValue()).toBe(cid.email);
    });

    it('refuses a decision the storage quota cannot hold with a clear message, and commits it on Retry once there is room', async () => {
      const context = await browser();
      // A full disk, injected where the browser reports it: IndexedDB refuses writes with
      // QuotaExceededError while window.__quotaFull is set. (Chromium's CDP quota override
      // does not reach a database that is already open, as the page's clone is.)
      await context.addInitScript(() => {
        const put = IDBObjectStore.prototype.put;
        IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
          if ((window as { __quotaFull?: boolean }).__quotaFull) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          return put.apply(this, args);
        };
      });
      const page = await open(context);
      await signIn(page, cid);
      await cardShown(page);
      await page.evaluate(() => ((window as { __quotaFull?: boolean }).__quotaFull = true));
      // A long correction: the kind of decision that fills the last of a disk.
      const id = (await currentId(page))!;
      await page.keyboard.press('c');
      const textarea = page.getByRole('textbox', { name: 'Corrected response' });
      await textarea.fill(`A corrected answer. ${'x'.repeat(300_000)}`);
      await textarea.press('Control+Enter');
      const failed = page.locator('.commit[data-state="failed"]');
      await failed.waitFor();
      expect(await failed.textContent()).toMatch(/storage quota exceeded/);
      expect(git(remote.bare, 'branch', '--list', branchOf(cid))).toBe('');

      // The disk stays full a while (LightningFS's idle save fails too), then there is room.
      await page.waitForTimeout(1500);
      await page.evaluate(() => ((window as { __quotaFull?: boolean }).__quotaFull = false));
      await failed.getByRole('button', { name: 'Retry' }).click();
      await expect.poll(() => page.locator('.commit').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(['done']);
      await expect.poll(() => git(remote.bare, 'branch', '--list', branchOf(cid))).not.toBe('');
      await expect.poll(() => waiting(page)).toBe('0');
      expect(git(remote.bare, 'log', '--format=%s', `main..${branchOf(cid)}`)).toBe(`plover: correct ${id}`);

      // Full again, and this time room comes back at once: an immediate Retry must not
      // build on the failed attempt's half-stored objects.
      await page.evaluate(() => ((window as { __quotaFull?: boolean }).__quotaFull = true));
      const second = (await currentId(page))!;
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      await failed.waitFor();
      await page.evaluate(() => ((window as { __quotaFull?: boolean }).__quotaFull = false));
      await failed.getByRole('button', { name: 'Retry' }).click();
      await expect.poll(() => page.locator('.commit').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(['done', 'done']);
      await expect.poll(() => git(remote.bare, 'rev-list', '--count', `main..${branchOf(cid)}`)).toBe('2');
      await expect.poll(() => waiting(page)).toBe('0');
      expect(git(remote.bare, 'log', '-1', '--format=%s', branchOf(cid))).toBe(`plover: flag ${second}`);
      expect(page.getByTestId('sync-error')).toBeDefined();
      expect(await page.getByTestId('sync-error').count()).toBe(0);
      expect(fsck(remote.bare).status).toBe(0);
    });

    it('loses nothing when the tab is closed in the middle of a push, before or after the host got it', async () => {
      for (const [who, lostAnswer] of [
        [eve, false],
        [fay, true],
      ] as const) {
        const context = await browser();
        const page = await open(context);
        await signIn(page, who);
        await cardShown(page);
        // The push never reaches the host (it is cut off), or it does and its answer never comes back.
        // A request only held would not do for the first: one held request was seen to reach
        // the host as its page closed (once in four full runs), so it is cut off instead.
        let pushing!: () => void;
        const started = new Promise<void>((resolve) => (pushing = resolve));
        await page.route('**/git-receive-pack', async (route) => {
          if (lostAnswer) await route.fetch();
          else await route.abort('connectionreset').catch(() => undefined); // the page may be gone already
          pushing();
        });
        const id = await flag(page, 1);
        await started;
        await page.close({ runBeforeUnload: false });
        if (lostAnswer) expect(git(remote.bare, 'rev-list', '--count', `main..${branchOf(who)}`)).toBe('1');
        else expect(git(remote.bare, 'branch', '--list', branchOf(who))).toBe('');

        // A new tab: sign in again; the decision is there, pushed exactly once.
        const again = await open(context);
        await signIn(again, who);
        await cardShown(again);
        await expect.poll(() => waiting(again)).toBe('0');
        expect(git(remote.bare, 'log', '--format=%s', `main..${branchOf(who)}`)).toBe(`plover: flag ${id}`);
        expect(await currentId(again)).not.toBe(id);
      }
      expect(fsck(remote.bare).status).toBe(0);
    });
  });

  it('offers a sibling’s correction from main and an imported suggestion as starts, also on a later visit; the pushed correction records its start', async () => {
    const sue = { name: 'Sue Park', email: 'sue@example.org' };
    const first = 'sftc_b5505e86f70999cf';
    const sibling = 'sftc_624dd197476c8eb7';
    const corrected = createCorrection({ candidate_id: first, action: 'correct', corrected_response: 'Subject: Feedback on the Q3 report' }, bob, new Date('2024-05-01T12:00:00Z'));
    pushToMain({
      [correctionPath(first, bob.email)]: serializeCorrection(corrected),
      'suggestions/helper-llm.jsonl': `${JSON.stringify({ candidate_id: sibling, text: 'Subject: A suggested email', score: 0.6 })}\n`,
    });
    const context = await browser();
    const page = await context.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(`${site.url}?q=${sibling}`);
    await signIn(page, sue);
    await cardShown(page);
    expect(await currentId(page)).toBe(sibling);
    const starts = page.getByRole('region', { name: 'Siblings and starting points' });
    const expected = [
      expect.stringMatching(/^Sibling correction · .+ · 0\.10$/),
      'Suggestion · helper-llm · 0.60',
      expect.stringMatching(/^Sibling answer · .+ · 1\.00$/),
      expect.stringMatching(/^Sibling answer · .+ · 1\.00$/),
      expect.stringMatching(/^Sibling answer · .+ · 0\.10$/),
      expect.stringMatching(/^Model response · /),
    ];
    await expect.poll(() => starts.getByRole('button').allTextContents()).toEqual(expected);
    // A later visit reads the sibling's correction from the clone (the kept index holds outlines only).
    await page.reload();
    await cardShown(page);
    await expect.poll(() => starts.getByRole('button').allTextContents()).toEqual(expected);
    const textarea = page.getByRole('textbox', { name: 'Corrected response' });
    await page.locator('body').press('s');
    expect(await textarea.inputValue()).toBe('Subject: Feedback on the Q3 report');
    await page.locator('body').press('s');
    expect(await textarea.inputValue()).toBe('Subject: A suggested email');
    await textarea.fill('Subject: A suggested email, shortened');
    await textarea.press('Control+Enter');
    // Pushed within the site's push interval.
    const path = correctionPath(sibling, sue.email);
    await expect.poll(() => git(remote.bare, 'ls-tree', '--name-only', branchOf(sue), path)).toBe(path);
    const record = JSON.parse(git(remote.bare, 'show', `${branchOf(sue)}:${path}`));
    expect(record.started_from).toEqual({ kind: 'suggestion', agent: 'helper-llm', sha256: createHash('sha256').update('Subject: A suggested email').digest('hex') });
    expect(fsck(remote.bare).status).toBe(0);
  });

  it('reads a candidate file of several MiB as it inflates on a first visit, and uses it once it is known to be that file', async () => {
    const large = 'candidates/a_large_run.jsonl';
    const lines = Array.from({ length: 2600 }, (_, i) =>
      candidateLine({
        id: `large_${i}`,
        benchmark_run_id: 'a_large_run',
        prompt_messages: [{ role: 'user', content: i === 2599 ? 'the last question of the large run' : `question ${i} of the large run` }],
        model_response: `answer ${i}: ${'a long answer, as models write them. '.repeat(60)}`,
      }),
    );
    expect(lines.join('\n').length).toBeGreaterThan(5 << 20); // inflated in parts of 4 MiB: more than one
    pushToMain({ [large]: `${lines.join('\n')}\n` });
    try {
      const page = await (await browser()).newPage();
      page.on('pageerror', (err) => {
        throw err;
      });
      await page.goto(`${site.url}?q=${encodeURIComponent('the last question of the large run')}`);
      await signIn(page, { name: 'Lee Chan', email: 'lee@example.org' });
      await cardShown(page);
      expect(await currentId(page)).toBe('large_2599');
      expect(await page.evaluate(() => performance.getEntriesByName('plover:arriving').map((e) => (e as PerformanceMark).detail.right as boolean))).toEqual([true]);
    } finally {
      pushToMain({ [large]: null });
    }
  });
});
