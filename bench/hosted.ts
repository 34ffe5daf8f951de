/**
 * `npm run bench` (part 4): the hosted mode in Chromium against a real git server on
 * loopback (git http-backend behind scripts/git-http-server.ts), at 1k, 10k and 100k existing
 * corrections, next to native git against the same server.
 *
 * The page (the site `npm run build` makes, fresh browser profile):
 *   - first visit: from "Sign in" to the queue ready (depth-1 clone into IndexedDB, reading
 *     candidates and corrections from it), and the bytes the server sent;
 *   - a later visit (reload): the same, with what the server sent (only what is new);
 *   - commit one decision in the page (stored in IndexedDB), median;
 *   - push one decision (each pushed alone), median time and bytes uploaded.
 * Native git, same server, same repository:
 *   - `git clone --depth 1 --single-branch` (with checkout, and with --no-checkout as the
 *     page does), time and bytes;
 *   - write the same kind of file, `git add && git commit`, median;
 *   - `git push` of that one commit to a review branch, median time and bytes.
 * Times come from performance.measure in the page (plover:open, plover:commit,
 * plover:push); bytes from the server's own count of request and response bodies, and
 * the host's share of each push (receive-pack POST in → git done) from its clock.
 * Writes docs/bench/hosted.md and docs/bench/hosted.json.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import { startGitHttpServer, startStaticHost } from '../scripts/git-http-server.ts';
import { createCorrection, serializeCorrection } from '../src/lib/correction.ts';
import { correctionPath } from '../src/lib/paths.ts';
import { GIT_ENV, ROOT, addCorrections, benchId, generateRepository, git, median, real, reviewer } from './generate.ts';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const CHROMIUM = [process.env.PLOVER_CHROMIUM, '/usr/bin/chromium'].find((p) => p && existsSync(p));
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
  page_later_visit_ms: number;
  page_later_visit_bytes: number;
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

async function measurePage(): Promise<Pick<Row, 'page_first_visit_ms' | 'page_first_visit_bytes' | 'page_later_visit_ms' | 'page_later_visit_bytes' | 'page_commit_ms' | 'page_push_ms' | 'page_push_bytes' | 'page_push_host_ms'>> {
  const profile = mkdtempSync(join(tmpdir(), 'plover-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await context.newPage();
    page.on('pageerror', (err) => console.error('page error:', err.message));
    const measures = (name: string) => page.evaluate((n) => performance.getEntriesByName(n).map((e) => ({ duration: e.duration, detail: (e as PerformanceMeasure).detail })), name);
    const ready = () => page.getByRole('article', { name: 'Candidate' }).waitFor({ timeout: 600_000 });

    console.log('  page: first visit');
    await page.goto(site.url);
    await page.getByLabel('Name').fill(reviewer.name);
    await page.getByLabel('Email').fill(reviewer.email);
    await page.getByLabel('Access token').fill(TOKEN);
    server.resetStats();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await ready();
    const first = (await measures('plover:open'))[0]!.duration;
    const firstBytes = server.stats.fetchBytes;

    console.log(`  page: ${RUNS} decisions, each pushed`);
    // Decisions one at a time (f = flag), each pushed before the next.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    server.resetStats();
    for (let i = 0; i < RUNS; i++) {
      await page.keyboard.press('f');
      await page.waitForFunction((n) => performance.getEntriesByName('plover:push').length > n, i, { timeout: 120_000 });
    }
    const commits = (await measures('plover:commit')).map((m) => m.duration);
    const pushes = await measures('plover:push');
    if (pushes.some((p) => (p.detail as { pushed: number }).pushed !== 1)) throw new Error(`expected one decision per push, got ${JSON.stringify(pushes.map((p) => p.detail))}`);
    const pushBytes = server.stats.pushBytes / server.stats.pushes;
    const pushHost = median(server.stats.pushHostMs);

    console.log('  page: later visit');
    // A later visit: the tab signs in again from its clone and fetches what is new.
    server.resetStats();
    await page.reload();
    await ready();
    const later = (await measures('plover:open'))[0]!.duration;
    const laterBytes = server.stats.fetchBytes;
    return {
      page_first_visit_ms: round(first),
      page_first_visit_bytes: firstBytes,
      page_later_visit_ms: round(later),
      page_later_visit_bytes: laterBytes,
      page_commit_ms: round(median(commits)),
      page_push_ms: round(median(pushes.map((p) => p.duration))),
      page_push_bytes: Math.round(pushBytes),
      page_push_host_ms: round(pushHost),
    };
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

async function measureNative(n: number): Promise<Pick<Row, 'native_clone_ms' | 'native_clone_no_checkout_ms' | 'native_clone_bytes' | 'native_add_commit_ms' | 'native_push_ms' | 'native_push_bytes' | 'native_push_host_ms'>> {
  const work = mkdtempSync(join(tmpdir(), 'plover-bench-native-'));
  try {
    const clones: number[] = [];
    const bare: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 3; i++) {
      rmSync(join(work, 'c'), { recursive: true, force: true });
      server.resetStats();
      bare.push(await time(() => nativeGit(work, 'clone', '-q', '--depth', '1', '--single-branch', '--branch', 'main', '--no-checkout', remote, 'c')));
      rmSync(join(work, 'c'), { recursive: true, force: true });
      clones.push(await time(() => nativeGit(work, 'clone', '-q', '--depth', '1', '--single-branch', '--branch', 'main', remote, 'c')));
      bytes = server.stats.fetchBytes / 2;
    }
    const clone = join(work, 'c');
    const commits: number[] = [];
    const pushes: number[] = [];
    server.resetStats();
    for (let i = 0; i < RUNS; i++) {
      const id = benchId(n + RUNS + i);
      const correction = createCorrection({ candidate_id: id, action: 'flag' }, reviewer, new Date());
      const path = correctionPath(id, reviewer.email);
      commits.push(
        await time(async () => {
          mkdirSync(dirname(join(clone, path)), { recursive: true });
          writeFileSync(join(clone, path), serializeCorrection(correction));
          await nativeGit(clone, 'add', path);
          await nativeGit(clone, 'commit', '-q', '-m', `plover: flag ${id}`);
        }),
      );
      pushes.push(await time(() => nativeGit(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/labels/native')));
    }
    return {
      native_clone_ms: round(median(clones)),
      native_clone_no_checkout_ms: round(median(bare)),
      native_clone_bytes: Math.round(bytes),
      native_add_commit_ms: round(median(commits)),
      native_push_ms: round(median(pushes)),
      native_push_bytes: Math.round(server.stats.pushBytes / server.stats.pushes),
      native_push_host_ms: round(median(server.stats.pushHostMs)),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
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
    const page = await measurePage();
    console.log('  native git: clone, commit, push');
    const native = await measureNative(n);
    git(bare, 'fsck', '--no-progress'); // throws (and the bench fails) on any error
    const row: Row = { corrections: n, candidates, ...page, ...native };
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
    `| ${r.corrections} | later visit: sign in → queue ready; bytes downloaded | ${r.page_later_visit_ms} ms; ${kb(r.page_later_visit_bytes)} | — | — |`,
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
    `each pushed alone; clone: median of 3. Bytes are request (push) and response (fetch) bodies counted by the server. ` +
    `${meta.node}, ${meta.git}, ${meta.cpus} cores; ${meta.date}. Generated by \`npm run bench\`.\n\n${table}\n`,
);
console.log(`\n${table}\n\nwrote docs/bench/hosted.md and docs/bench/hosted.json`);
