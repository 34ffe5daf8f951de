/**
 * `npm run bench` (part 3): the review page in Chromium, with all 2,250 real candidates
 * imported. Measures (a) what the browser transfers before the first card can be
 * decided on, gzip-compressed as a static host serves it, and (b) the time from a
 * decision to the next card painted (performance marks in the page), median and p95
 * over DECISIONS decisions. Writes docs/bench/ui.md and docs/bench/ui.json.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { chromium } from 'playwright-core';
import { GIT_ENV, ROOT, git } from './generate.ts';

const CHROMIUM = [process.env.PLOVER_CHROMIUM, '/usr/bin/chromium'].find((p) => p && existsSync(p));
const DECISIONS = Number(process.env.BENCH_UI_DECISIONS ?? 60);
const DATA = join(ROOT, '../shared/data/bench_results');

if (!CHROMIUM) {
  console.log('ui bench skipped: no Chromium (apt-get install -y chromium, or set PLOVER_CHROMIUM)');
  process.exit(0);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const dir = mkdtempSync(join(tmpdir(), 'plover-bench-ui-'));
git(dir, 'init', '-q', '-b', 'main');
const plover = (...args: string[]) => spawn(process.execPath, [join(ROOT, 'bin/plover.mjs'), ...args], { cwd: dir, env: GIT_ENV, stdio: ['ignore', 'pipe', 'inherit'] });
await new Promise((resolve) => plover('import', DATA).on('exit', resolve));
git(dir, 'add', '-A');
git(dir, 'commit', '-qm', 'import');

const server = plover('serve', '--port', '0', '--reviewer', 'Bench Reviewer <bench@example.org>');
const url = await new Promise<string>((resolve) => {
  let out = '';
  server.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
    const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
    if (m) resolve(m[1]!);
  });
});

const profile = mkdtempSync(join(tmpdir(), 'plover-bench-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 720 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await context.newPage();
  const loaded: string[] = [];
  page.on('requestfinished', (r) => loaded.push(r.url()));
  await page.goto(url);
  await page.waitForFunction(() => performance.getEntriesByName('plover:first-card').length > 0);
  const firstCardAt = await page.evaluate(() => performance.getEntriesByName('plover:first-card')[0]!.startTime);
  // Everything requested before the first card was usable, gzip-compressed as a static host would serve it.
  const before = await page.evaluate((t) => performance.getEntriesByType('resource').filter((e) => e.startTime < t).map((e) => e.name), firstCardAt);
  const urls = [url, ...before];
  let raw = 0;
  let gzip = 0;
  const files: { url: string; bytes: number; gzip: number }[] = [];
  for (const u of urls) {
    const body = Buffer.from(await (await fetch(u)).arrayBuffer());
    const z = gzipSync(body, { level: 6 }).length;
    raw += body.length;
    gzip += z;
    files.push({ url: u.replace(url, '/'), bytes: body.length, gzip: z });
  }

  // Decisions by keyboard (d = discard): decide → next card painted.
  const latencies: number[] = [];
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  for (let i = 0; i < DECISIONS; i++) {
    await page.keyboard.press('d');
    await page.waitForFunction((n) => performance.getEntriesByName('plover:next-card').length > n, i);
    await page.waitForTimeout(30);
  }
  latencies.push(...(await page.evaluate(() => performance.getEntriesByName('plover:next-card').map((e) => e.duration))));
  await page.waitForFunction((n) => document.querySelectorAll('.commit[data-state="pending"]').length === 0 && n > 0, DECISIONS, { timeout: 60_000 });

  const result = {
    date: new Date().toISOString(),
    candidates: 2250,
    first_card_ms: Math.round(firstCardAt),
    transfer_before_first_card: { requests: urls.length, bytes: raw, gzip_bytes: gzip, files },
    next_card_ms: { decisions: latencies.length, median: Math.round(percentile(latencies, 50) * 10) / 10, p95: Math.round(percentile(latencies, 95) * 10) / 10 },
  };
  const table = [
    '| measure | value | target |',
    '|---|---:|---:|',
    `| transferred before the first card is usable (gzip) | ${(gzip / 1024).toFixed(1)} KB in ${urls.length} requests | ≤ 250 KB |`,
    `| first card usable after navigation | ${result.first_card_ms} ms | — |`,
    `| next card after a decision, median | ${result.next_card_ms.median} ms | — |`,
    `| next card after a decision, p95 | ${result.next_card_ms.p95} ms | ≤ 50 ms |`,
  ].join('\n');
  mkdirSync(join(ROOT, 'docs/bench'), { recursive: true });
  writeFileSync(join(ROOT, 'docs/bench/ui.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(
    join(ROOT, 'docs/bench/ui.md'),
    `# The review page in Chromium\n\nAll 2,250 real candidates imported; ${DECISIONS} decisions by keyboard; ${result.date}. Generated by \`npm run bench\`. The page loads the queue 20 candidates at a time, so what it transfers before the first card does not depend on how many candidates there are.\n\n${table}\n\nWhat was transferred before the first card:\n\n| file | bytes | gzip |\n|---|---:|---:|\n${files.map((f) => `| ${f.url} | ${f.bytes} | ${f.gzip} |`).join('\n')}\n`,
  );
  console.log(`${table}\n\nwrote docs/bench/ui.md and docs/bench/ui.json`);
} finally {
  await context.close();
  server.kill();
  rmSync(profile, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
