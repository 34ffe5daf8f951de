/**
 * `npm run bench` (part 3): the review page in Chromium (`plover serve`), on the
 * repository's own candidates (generate.ts) and on a generated repository at 100k candidates whose every
 * candidate another reviewer has already decided (100k corrections), so the queue, the
 * facets and the counts all work over the whole data. Measures:
 *   (a) the time `plover serve` takes to start (read and index the repository);
 *   (b) what the browser transfers before the first card can be decided on,
 *       gzip-compressed as a static host serves it (the target: flat in N);
 *   (c) the time from a key press to the next card painted (watchCards, an init script
 *       that watches the page from outside its code), median and p95 over DECISIONS decisions, beside the same measure on a page
 *       that changes one line of text per key (its floor in this browser).
 * Writes docs/bench/ui.md and docs/bench/ui.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { CHROMIUM, launchChromium, watchCards } from './browser.ts';
import { GIT_ENV, ROOT, addCorrections, dataFiles, generateRepository, git, real } from './generate.ts';

const DECISIONS = Number(process.env.BENCH_UI_DECISIONS ?? 120);
/**
 * The pause after each card before the next key: 200 ms and a part of a frame (16.7 ms)
 * that steps through the whole frame, so that keys come at every point of the frame, as a
 * reviewer's do. A fixed pause brings every key at the same point, just after a frame,
 * where even a page that changes one line of text waits a whole frame each time. Five
 * decisions a second is faster than anyone reads a card, and leaves each commit (~60 ms
 * at 100k) done before the next key: at 30 ms the label server's commits queue up and
 * take one of the machine's two cores from the browser, and the measure is of that.
 */
const pause = (i: number) => 200 + ((i * 7) % 17);
/** Generated repositories to measure besides the real data (candidates = corrections). */
const SIZES = (process.env.BENCH_UI_SIZES ?? '100000').split(',').filter(Boolean).map(Number);

if (!CHROMIUM) {
  console.log('ui bench skipped: no Chromium (apt-get install -y chromium, or set PLOVER_CHROMIUM)');
  process.exit(0);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const round = (x: number) => Math.round(x * 10) / 10;

interface Result {
  data: string;
  candidates: number;
  corrections_by_others: number;
  serve_start_ms: number;
  first_card_ms: number;
  transfer_before_first_card: { requests: number; bytes: number; gzip_bytes: number; files: { url: string; bytes: number; gzip: number }[] };
  next_card_ms: { decisions: number; median: number; p95: number };
}

/** Starts `plover serve` in `dir` and measures the page against it. */
async function measure(dir: string, data: string, candidates: number, correctionsByOthers: number): Promise<Result> {
  const started = performance.now();
  // Not the reviewer who made the generated corrections: the whole queue is left to decide.
  const server = spawn(process.execPath, [join(ROOT, 'bin/plover.mjs'), 'serve', '--port', '0', '--reviewer', 'UI Reviewer <ui@example.org>'], {
    cwd: dir,
    env: GIT_ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.on('exit', (code) => reject(new Error(`plover serve exited with ${code}`)));
    server.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
  });
  const serveStart = performance.now() - started;

  const browser = await launchChromium();
  const context = browser.context;
  try {
    const page = await context.newPage();
    await page.addInitScript(watchCards);
    await page.goto(url);
    await page.waitForFunction(() => performance.getEntriesByName('bench:first-card').length > 0, null, { timeout: 120_000 });
    const firstCardAt = await page.evaluate(() => performance.getEntriesByName('bench:first-card')[0]!.startTime);
    // Everything requested before the first card was usable, gzip-compressed as a static host would serve it.
    const before = await page.evaluate(
      (t) =>
        performance
          .getEntriesByType('resource')
          .filter((e) => e.startTime < t)
          .map((e) => e.name),
      firstCardAt,
    );
    const urls = [url, ...before];
    let raw = 0;
    let gzip = 0;
    const files: Result['transfer_before_first_card']['files'] = [];
    for (const u of urls) {
      const body = Buffer.from(await (await fetch(u)).arrayBuffer());
      const z = gzipSync(body, { level: 6 }).length;
      raw += body.length;
      gzip += z;
      files.push({ url: u.replace(url, '/'), bytes: body.length, gzip: z });
    }

    // Decisions by keyboard (d = discard): decide → next card painted.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    for (let i = 0; i < DECISIONS; i++) {
      await page.keyboard.press('d');
      await page.waitForFunction((n) => performance.getEntriesByName('bench:next-card').length > n, i);
      await page.waitForTimeout(pause(i));
    }
    const latencies = await page.evaluate(() => performance.getEntriesByName('bench:next-card').map((e) => e.duration));
    await page.waitForFunction(() => document.querySelectorAll('.commit[data-state="pending"]').length === 0, null, { timeout: 120_000 });
    return {
      data,
      candidates,
      corrections_by_others: correctionsByOthers,
      serve_start_ms: Math.round(serveStart),
      first_card_ms: Math.round(firstCardAt),
      transfer_before_first_card: { requests: urls.length, bytes: raw, gzip_bytes: gzip, files },
      next_card_ms: { decisions: latencies.length, median: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)) },
    };
  } finally {
    await browser.close();
    server.kill();
  }
}

/**
 * The floor of "next card" in this Chromium on this machine: a page whose key press
 * changes one line of text, measured the same way (key press → the next animation frame),
 * at the same pauses.
 */
async function frameFloor(): Promise<{ median: number; p95: number }> {
  const browser = await launchChromium();
  const context = browser.context;
  try {
    const page = await context.newPage();
    await page.setContent('<!doctype html><title>floor</title><p id="line">ready</p>');
    await page.evaluate(() => {
      window.addEventListener('keydown', () => {
        performance.mark('floor:key');
        document.getElementById('line')!.textContent = `key at ${performance.now()}`;
        requestAnimationFrame(() => performance.measure('floor:frame', 'floor:key'));
      });
    });
    for (let i = 0; i < DECISIONS; i++) {
      await page.keyboard.press('d');
      await page.waitForFunction((n) => performance.getEntriesByName('floor:frame').length > n, i);
      await page.waitForTimeout(pause(i));
    }
    const latencies = await page.evaluate(() => performance.getEntriesByName('floor:frame').map((e) => e.duration));
    return { median: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)) };
  } finally {
    await browser.close();
  }
}

const floor = await frameFloor();
console.log('a page that changes one line per key:', floor);
const results: Result[] = [];
{
  const dir = mkdtempSync(join(tmpdir(), 'plover-bench-ui-'));
  git(dir, 'init', '-q', '-b', 'main');
  for (const file of dataFiles) {
    await new Promise((resolve) => spawn(process.execPath, [join(ROOT, 'bin/plover.mjs'), 'import', file], { cwd: dir, env: GIT_ENV, stdio: 'ignore' }).on('exit', resolve));
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'import');
  console.log(`the repository's candidates (${real.length})…`);
  results.push(await measure(dir, "the repository's candidates", real.length, 0));
  rmSync(dir, { recursive: true, force: true });
}
for (const n of SIZES) {
  console.log(`generating ${n} candidates and ${n} corrections…`);
  const dir = generateRepository(n);
  addCorrections(dir, 0, n);
  results.push(await measure(dir, 'generated', n, n));
  rmSync(dir, { recursive: true, force: true });
}

const table = [
  '| candidates | corrections by others | `plover serve` ready | transferred before the first card (gzip) | first card usable | next card, median | next card, p95 |',
  '|---:|---:|---:|---:|---:|---:|---:|',
  ...results.map(
    (r) =>
      `| ${r.candidates} (${r.data}) | ${r.corrections_by_others} | ${r.serve_start_ms} ms | ${(r.transfer_before_first_card.gzip_bytes / 1024).toFixed(1)} KB in ${r.transfer_before_first_card.requests} requests | ${r.first_card_ms} ms | ${r.next_card_ms.median} ms | ${r.next_card_ms.p95} ms |`,
  ),
  `| a page that changes one line of text per key (the floor of "next card" here) | | | | | ${floor.median} ms | ${floor.p95} ms |`,
  '| target | | | ≤ 250 KB, flat in N | | | ≤ 16.7 ms (one frame) |',
].join('\n');
const date = new Date().toISOString();
mkdirSync(join(ROOT, 'docs/bench'), { recursive: true });
writeFileSync(join(ROOT, 'docs/bench/ui.json'), `${JSON.stringify({ date, decisions: DECISIONS, floor, results }, null, 2)}\n`);
writeFileSync(
  join(ROOT, 'docs/bench/ui.md'),
  `# The review page in Chromium

\`plover serve\` and the page, on the repository's ${real.length} candidates (the MT-Bench runs of candidates/ and the tests' messy fixture run) and on generated repositories whose every candidate another reviewer has already decided (the queue, facets and counts work over all of it); ${DECISIONS} decisions by keyboard each, the next key 200 to 216 ms after each card, stepping through the 16.7 ms frame so that keys land at every point of it, as a reviewer's do; ${date}. Generated by \`npm run bench\`. The page loads the queue 20 candidates at a time, so what it transfers before the first card does not depend on how many candidates there are. "Next card" is from the key press to the next animation frame after the next card is in the page (the frame that paints it); the commit happens behind it. The floor row is the same measure on a page that only changes one line of text per key, in the same browser in the same run.

${table}

What was transferred before the first card:

| file | ${results.map((r) => `${r.candidates}: bytes | gzip`).join(' | ')} |
|---|${results.map(() => '---:|---:').join('|')}|
${[...new Set(results.flatMap((r) => r.transfer_before_first_card.files.map((f) => f.url)))]
  .map(
    (url) =>
      `| ${url} | ${results
        .map((r) => {
          const f = r.transfer_before_first_card.files.find((g) => g.url === url);
          return f ? `${f.bytes} | ${f.gzip}` : '— | —';
        })
        .join(' | ')} |`,
  )
  .join('\n')}
`,
);
console.log(`${table}\n\nwrote docs/bench/ui.md and docs/bench/ui.json`);
