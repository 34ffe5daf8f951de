/**
 * `npm run bench` (part 4): the hosted mode in Chromium against a real git server on
 * loopback (git http-backend behind scripts/git-http-server.ts), at 1k, 10k and 100k existing
 * corrections, next to native git against the same server.
 *
 * The page (the site `npm run build` makes, fresh browser profile):
 *   - first visit: from "Sign in" to the queue ready (depth-1 clone into IndexedDB, reading
 *     candidates and corrections from it), and the bytes the server sent, median of 3 (each
 *     in a fresh profile, in turns with native git's clones); then, in one more, how long
 *     keeping the review index for later visits takes, in the background;
 *   - later visits (reload), medians: after one decision pushed (the index kept, brought up
 *     to date with that file), and with nothing new; sign in → queue ready, and reload →
 *     the frame that shows the first card (watched in the page, as the UI bench does), with
 *     what the server sent (only what is new);
 *   - commit one decision in the page (stored in IndexedDB), median;
 *   - push one decision (each pushed alone), median time and bytes uploaded.
 * Native git, same server, same repository:
 *   - `git clone --depth 1 --single-branch` (with checkout, and with --no-checkout as the
 *     page does), time and bytes, medians of 3;
 *   - write the same kind of file, `git add && git commit`, median;
 *   - `git push` of that one commit to a review branch, median time and bytes.
 * The page's decisions and native git's commits alternate (page decision and push, then
 * native add, commit and push), so that whatever else the machine is doing at the time
 * weighs on both alike: between whole runs, the same push took the host 20 to 35 ms at 10k.
 * Times come from performance.measure in the page (plover:open, plover:commit,
 * plover:push, the plover:index-kept mark); bytes from the server's own count of request and response bodies, and
 * the host's share of each push (receive-pack POST in → git done) from its clock.
 * Writes docs/bench/hosted.md and docs/bench/hosted.json.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { CHROMIUM, launchChromium, watchCards } from './browser.ts';
import { startGitHttpServer, startStaticHost } from '../scripts/git-http-server.ts';
import { createCorrection, serializeCorrection } from '../src/lib/records/correction.ts';
import { correctionPath } from '../src/lib/records/paths.ts';
import { GIT_ENV, ROOT, addCorrections, benchId, generateRepository, git, median, reviewer } from './generate.ts';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
/** Later visits of each kind (medians). */
const LATER = Number(process.env.BENCH_LATER ?? 3);
const TOKEN = 'bench-token';

if (!CHROMIUM) {
  console.log('hosted bench skipped: no Chromium (apt-get install -y chromium, or set PLOVER_CHROMIUM)');
  process.exit(0);
}

const round = (x: number) => Math.round(x * 10) / 10;
const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

const root = mkdtempSync(join(tmpdir(), 'plover-bench-hosted-'));
const server = await startGitHttpServer({ root, token: TOKEN });
const remote = `${server.origin}/bench.git`;
const bare = join(root, 'bench.git');
const auth = `Authorization: Basic ${Buffer.from(`plover:${TOKEN}`).toString('base64')}`;
// Asynchronous: the git server answers from this same process.
const nativeGit = (cwd: string, ...args: string[]) => promisify(execFile)('git', ['-c', `http.extraHeader=${auth}`, ...args], { cwd, env: GIT_ENV, encoding: 'utf8' });

// The hosted site, built once for this server (the remote is baked in at build time).
const siteDir = join(root, 'site');
console.log(`building the hosted site for ${remote}…`);
execFileSync(process.execPath, [join(ROOT, 'node_modules/astro/bin/astro.mjs'), 'build', '--silent', '--outDir', siteDir], {
  cwd: ROOT,
  stdio: 'inherit',
  env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', PLOVER_REMOTE: remote, PLOVER_BRANCH: 'main' },
});
const site = await startStaticHost({ dir: siteDir });

interface Row {
  corrections: number;
  candidates: number;
  page_first_visit_ms: number;
  page_first_visit_bytes: number;
  /** After the first visit's queue is ready, until its index is kept for later visits (the candidate files' seek points and the snapshot in IndexedDB). */
  page_first_visit_keep_ms: number;
  /** What the browser says the site stores once the index is kept (navigator.storage.estimate: the clone, the candidate files' seek points, the snapshot). */
  page_storage_bytes: number;
  /** A later visit after one decision of this reviewer was pushed: sign in → queue ready (the changed file read), and reload → first card shown. */
  page_later_visit_ms: number;
  page_later_visit_card_ms: number;
  page_later_visit_bytes: number;
  page_later_visit_read: string;
  /** A later visit with nothing new. */
  page_unchanged_visit_ms: number;
  page_unchanged_visit_card_ms: number;
  page_unchanged_visit_read: string;
  page_commit_ms: number;
  page_push_ms: number;
  page_push_bytes: number;
  /** The host's share of the page's push: receive-pack POST in → git done, median. */
  page_push_host_ms: number;
  native_clone_ms: number;
  native_clone_no_checkout_ms: number;
  native_clone_bytes: number;
  native_add_commit_ms: number;
  native_push_ms: number;
  native_push_bytes: number;
  native_push_host_ms: number;
}

/** What the server saw of the pushes `push` made: bytes uploaded and the host's time. */
async function serverPush(push: () => Promise<unknown>): Promise<{ bytes: number; hostMs: number }> {
  const bytes = server.stats.pushBytes;
  const seen = server.stats.pushHostMs.length;
  await push();
  const host = server.stats.pushHostMs.slice(seen);
  if (host.length !== 1) throw new Error(`expected one receive-pack request per push, the server saw ${host.length}`);
  return { bytes: server.stats.pushBytes - bytes, hostMs: host[0]! };
}

/** Signs in on the page, as a reviewer would. */
async function signIn(page: Page): Promise<void> {
  await page.getByLabel('Name').fill(reviewer.name);
  await page.getByLabel('Email').fill(reviewer.email);
  await page.getByLabel('Access token').fill(TOKEN);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A first visit of the page in a fresh browser profile: sign in → queue ready (plover:open), and the bytes the server sent. */
async function pageFirstVisit(): Promise<{ ms: number; bytes: number }> {
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    await page.goto(site.url);
    server.resetStats();
    await signIn(page);
    await page.getByRole('article', { name: 'Candidate' }).waitFor({ timeout: 600_000 });
    return { ms: await page.evaluate(() => performance.getEntriesByName('plover:open')[0]!.duration), bytes: server.stats.fetchBytes };
  } finally {
    await browser.close();
  }
}

/**
 * Three rounds of: the page's first visit (a fresh browser profile), native `git clone
 * --depth 1 --no-checkout` (as the page clones), native `git clone --depth 1`; medians.
 * Taken in turns, so that whatever else the machine does weighs on both. Leaves the
 * clone at `work/c`.
 */
async function firstVisits(
  work: string,
): Promise<Pick<Row, 'page_first_visit_ms' | 'page_first_visit_bytes' | 'native_clone_ms' | 'native_clone_no_checkout_ms' | 'native_clone_bytes'>> {
  const pages: number[] = [];
  const clones: number[] = [];
  const bare: number[] = [];
  let pageBytes = 0;
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    const visit = await pageFirstVisit();
    pages.push(visit.ms);
    pageBytes = visit.bytes;
    rmSync(join(work, 'c'), { recursive: true, force: true });
    server.resetStats();
    bare.push(await time(() => nativeGit(work, 'clone', '-q', '--depth', '1', '--single-branch', '--branch', 'main', '--no-checkout', remote, 'c')));
    rmSync(join(work, 'c'), { recursive: true, force: true });
    clones.push(await time(() => nativeGit(work, 'clone', '-q', '--depth', '1', '--single-branch', '--branch', 'main', remote, 'c')));
    bytes = server.stats.fetchBytes / 2;
  }
  return {
    page_first_visit_ms: round(median(pages)),
    page_first_visit_bytes: pageBytes,
    native_clone_ms: round(median(clones)),
    native_clone_no_checkout_ms: round(median(bare)),
    native_clone_bytes: Math.round(bytes),
  };
}

type Measured = Omit<
  Row,
  'corrections' | 'candidates' | 'page_first_visit_ms' | 'page_first_visit_bytes' | 'native_clone_ms' | 'native_clone_no_checkout_ms' | 'native_clone_bytes'
>;

/**
 * The page's first visit, then RUNS rounds of: one decision in the page (f = flag), pushed
 * alone; the same kind of file committed and pushed by native git from `clone`. Then a
 * later visit (reload).
 */
async function measurePageAndNative(n: number, clone: string): Promise<Measured> {
  const browser = await launchChromium();
  const context = browser.context;
  try {
    const page = await context.newPage();
    await page.addInitScript(watchCards);
    page.on('pageerror', (err) => console.error('page error:', err.message));
    /** Waits until the page kept its review index for later visits; how long after the queue was ready. */
    const kept = () =>
      page.evaluate(async () => {
        while (performance.getEntriesByName('plover:index-kept').length === 0) await new Promise((r) => setTimeout(r, 100));
        const open = performance.getEntriesByName('plover:open')[0]!;
        return performance.getEntriesByName('plover:index-kept')[0]!.startTime - (open.startTime + open.duration);
      });
    /** Reloads: sign in → queue ready (the page's measure), reload → the frame that shows the first card (from the reload, as the page saw it), the bytes fetched, and how the index was read. */
    const laterVisit = async () => {
      server.resetStats();
      const started = Date.now();
      await page.reload();
      await ready();
      // The frame that shows the card, seen in the page (watchCards): Playwright's own look
      // for the card waits for the page's thread, which then reads the card's siblings.
      const shown = await page.evaluate(async () => {
        while (performance.getEntriesByName('bench:first-card').length === 0) await new Promise((r) => setTimeout(r, 50));
        return performance.timeOrigin + performance.getEntriesByName('bench:first-card')[0]!.startTime;
      });
      const card = shown - started;
      const open = (await measures('plover:open'))[0]!;
      return { open: open.duration, card, bytes: server.stats.fetchBytes, read: (open.detail as { read: string }).read };
    };
    const measures = (name: string) => page.evaluate((n) => performance.getEntriesByName(n).map((e) => ({ duration: e.duration, detail: (e as PerformanceMeasure).detail })), name);
    const ready = () => page.getByRole('article', { name: 'Candidate' }).waitFor({ timeout: 600_000 });
    // Waits for the page's push measure without polling: waitForFunction runs its check on
    // every animation frame, which keeps Chromium drawing, on the same two cores, while
    // the git host works on the push being measured.
    const pushed = (count: number) =>
      page.evaluate(
        (k) =>
          new Promise<void>((resolve, reject) => {
            const done = () => performance.getEntriesByName('plover:push').length > k;
            if (done()) return resolve();
            const timer = setTimeout(() => reject(new Error(`push ${k + 1} did not finish in 120 s`)), 120_000);
            const observer = new PerformanceObserver(() => {
              if (!done()) return;
              observer.disconnect();
              clearTimeout(timer);
              resolve();
            });
            observer.observe({ type: 'measure' });
          }),
        count,
      );

    console.log('  page: a first visit, for the rounds and the later visits');
    await page.goto(site.url);
    await signIn(page);
    await ready();
    const keep = await kept();
    const storage = await page.evaluate(async () => (await navigator.storage.estimate()).usage ?? 0);

    console.log(`  ${RUNS} rounds: a decision in the page, pushed; a commit by native git, pushed`);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    const pagePush = { bytes: [] as number[], host: [] as number[] };
    const native = { commit: [] as number[], push: [] as number[], bytes: [] as number[], host: [] as number[] };
    for (let i = 0; i < RUNS; i++) {
      const p = await serverPush(async () => {
        await page.keyboard.press('f');
        await pushed(i);
      });
      pagePush.bytes.push(p.bytes);
      pagePush.host.push(p.hostMs);

      const id = benchId(n + RUNS + i);
      const correction = createCorrection({ candidate_id: id, action: 'flag' }, reviewer, new Date());
      const path = correctionPath(id, reviewer.email);
      native.commit.push(
        await time(async () => {
          mkdirSync(dirname(join(clone, path)), { recursive: true });
          writeFileSync(join(clone, path), serializeCorrection(correction));
          await nativeGit(clone, 'add', path);
          await nativeGit(clone, 'commit', '-q', '-m', `plover: flag ${id}`);
        }),
      );
      let pushMs = 0;
      const q = await serverPush(async () => (pushMs = await time(() => nativeGit(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/labels/native'))));
      native.push.push(pushMs);
      native.bytes.push(q.bytes);
      native.host.push(q.hostMs);
    }
    const commits = (await measures('plover:commit')).map((m) => m.duration);
    const pushes = await measures('plover:push');
    if (pushes.some((p) => (p.detail as { pushed: number }).pushed !== 1)) throw new Error(`expected one decision per push, got ${JSON.stringify(pushes.map((p) => p.detail))}`);

    console.log(`  page: ${LATER} later visits after one decision pushed, then ${LATER} with nothing new`);
    const after: Awaited<ReturnType<typeof laterVisit>>[] = [];
    for (let i = 0; i < LATER; i++) {
      await kept();
      await page.locator('body').click({ position: { x: 5, y: 5 } });
      const before = (await measures('plover:push')).length;
      await page.keyboard.press('f');
      await pushed(before);
      after.push(await laterVisit());
    }
    const unchanged: Awaited<ReturnType<typeof laterVisit>>[] = [];
    for (let i = 0; i < LATER; i++) {
      await kept().catch(() => undefined);
      unchanged.push(await laterVisit());
    }
    const reads = (visits: typeof after) => [...new Set(visits.map((v) => v.read))].join(', ');
    return {
      page_first_visit_keep_ms: round(keep),
      page_storage_bytes: storage,
      page_later_visit_ms: round(median(after.map((v) => v.open))),
      page_later_visit_card_ms: round(median(after.map((v) => v.card))),
      page_later_visit_bytes: Math.round(median(after.map((v) => v.bytes))),
      page_later_visit_read: reads(after),
      page_unchanged_visit_ms: round(median(unchanged.map((v) => v.open))),
      page_unchanged_visit_card_ms: round(median(unchanged.map((v) => v.card))),
      page_unchanged_visit_read: reads(unchanged),
      page_commit_ms: round(median(commits)),
      page_push_ms: round(median(pushes.map((p) => p.duration))),
      page_push_bytes: Math.round(median(pagePush.bytes)),
      page_push_host_ms: round(median(pagePush.host)),
      native_add_commit_ms: round(median(native.commit)),
      native_push_ms: round(median(native.push)),
      native_push_bytes: Math.round(median(native.bytes)),
      native_push_host_ms: round(median(native.host)),
    };
  } finally {
    await browser.close();
  }
}
const rows: Row[] = [];
try {
  for (const n of SIZES) {
    process.stdout.write(`generating a repository with ${n} corrections… `);
    const candidates = n + 2 * RUNS + 20;
    const dir = generateRepository(candidates);
    addCorrections(dir, 0, n);
    rmSync(bare, { recursive: true, force: true });
    git(root, 'clone', '-q', '--bare', dir, bare);
    git(bare, 'gc', '-q');
    rmSync(dir, { recursive: true, force: true });
    console.log('done');
    const work = mkdtempSync(join(tmpdir(), 'plover-bench-native-'));
    let row: Row;
    try {
      console.log('  first visits: the page, native git (3 rounds)');
      const clone = await firstVisits(work);
      row = { corrections: n, candidates, ...clone, ...(await measurePageAndNative(n, join(work, 'c'))) };
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    git(bare, 'fsck', '--no-progress'); // throws (and the bench fails) on any error
    rows.push(row);
    console.log(row);
  }
} finally {
  await site.stop();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}

const kb = (b: number) => (b < 10 * 1024 ? `${(b / 1024).toFixed(1)} KB` : `${Math.round(b / 1024)} KB`);
const ratio = (a: number, b: number) => (Math.round((a / b) * 100) / 100).toString();
const table = [
  '| corrections | measure | the page (Chromium) | native git | page ÷ native |',
  '|---:|---|---:|---:|---:|',
  ...rows.flatMap((r) => [
    `| ${r.corrections} | first visit: sign in → queue ready (clone depth 1) | ${r.page_first_visit_ms} ms | ${r.native_clone_ms} ms (\`clone --depth 1\`); ${r.native_clone_no_checkout_ms} ms (\`--no-checkout\`) | ${ratio(r.page_first_visit_ms, r.native_clone_ms)}; ${ratio(r.page_first_visit_ms, r.native_clone_no_checkout_ms)} |`,
    `| ${r.corrections} | first visit: bytes downloaded | ${kb(r.page_first_visit_bytes)} | ${kb(r.native_clone_bytes)} | ${ratio(r.page_first_visit_bytes, r.native_clone_bytes)} |`,
    `| ${r.corrections} | first visit: then keeping the index for later visits (in the background) | ${r.page_first_visit_keep_ms} ms | — | — |`,
    `| ${r.corrections} | first visit: stored in the browser once the index is kept (navigator.storage.estimate) ÷ the pack fetched | ${kb(r.page_storage_bytes)} | ${kb(r.page_first_visit_bytes)} | ${ratio(r.page_storage_bytes, r.page_first_visit_bytes)} |`,
    `| ${r.corrections} | later visit after one decision pushed: sign in → queue ready; reload → first card; bytes downloaded (index read: ${r.page_later_visit_read}) | ${r.page_later_visit_ms} ms; ${r.page_later_visit_card_ms} ms; ${kb(r.page_later_visit_bytes)} | — | — |`,
    `| ${r.corrections} | later visit with nothing new: sign in → queue ready; reload → first card (index read: ${r.page_unchanged_visit_read}) | ${r.page_unchanged_visit_ms} ms; ${r.page_unchanged_visit_card_ms} ms | — | — |`,
    `| ${r.corrections} | commit one decision | ${r.page_commit_ms} ms | ${r.native_add_commit_ms} ms (\`git add && git commit\`) | ${ratio(r.page_commit_ms, r.native_add_commit_ms)} |`,
    `| ${r.corrections} | push one decision: time | ${r.page_push_ms} ms | ${r.native_push_ms} ms (\`git push\`) | ${ratio(r.page_push_ms, r.native_push_ms)} |`,
    `| ${r.corrections} | push one decision: of it, the host's receive-pack (POST in → git done) | ${r.page_push_host_ms} ms | ${r.native_push_host_ms} ms | ${ratio(r.page_push_host_ms, r.native_push_host_ms)} |`,
    `| ${r.corrections} | push one decision: the rest (the pusher's own work, and its requests) | ${round(r.page_push_ms - r.page_push_host_ms)} ms | ${round(r.native_push_ms - r.native_push_host_ms)} ms | ${ratio(r.page_push_ms - r.page_push_host_ms, r.native_push_ms - r.native_push_host_ms)} |`,
    `| ${r.corrections} | push one decision: bytes uploaded | ${kb(r.page_push_bytes)} | ${kb(r.native_push_bytes)} | ${ratio(r.page_push_bytes, r.native_push_bytes)} |`,
  ]),
].join('\n');
const meta = { date: new Date().toISOString(), runs: RUNS, node: process.version, git: git(ROOT, '--version').trim(), cpus: (await import('node:os')).cpus().length };
mkdirSync(join(ROOT, 'docs/bench'), { recursive: true });
writeFileSync(join(ROOT, 'docs/bench/hosted.json'), `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
writeFileSync(
  join(ROOT, 'docs/bench/hosted.md'),
  `# The hosted mode: clone, commit and push from the page\n\n` +
    `The site built by \`npm run build\`, in Chromium (headless, fresh profile), against a real git server on loopback ` +
    `(\`git http-backend\` with Basic auth, scripts/git-http-server.ts); native git against the same server and repository. ` +
    `Repositories of N committed corrections plus their candidates, generated from the real data. Commit and push: medians of ${RUNS} decisions, ` +
    `each pushed alone, the page's and native git's taken in turns; first visit and clone: medians of 3, taken in turns (each first visit in a fresh browser profile). Bytes are request (push) and response (fetch) bodies counted by the server. ` +
    `${meta.node}, ${meta.git}, ${meta.cpus} cores; ${meta.date}. Generated by \`npm run bench\`.\n\n${table}\n`,
);
console.log(`\n${table}\n\nwrote docs/bench/hosted.md and docs/bench/hosted.json`);
