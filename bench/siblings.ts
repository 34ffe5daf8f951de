/**
 * `npm run bench` (part 6): siblings and starting points on the repository's own
 * MT-Bench runs (four models answering the same 80 questions).
 *   (a) how many candidates offer each kind of start (ReviewService.context), with no
 *       decision yet, and once one turn-1 candidate of every question is corrected;
 *   (b) in Chromium against `plover serve`: the keys, clicks and time it takes to correct
 *       one question's four turn-1 candidates, each typed by hand, against typing the
 *       first and settling its three siblings with one confirmed action ("Same correction
 *       for 3 siblings"). Medians over QUESTIONS questions.
 * Writes docs/bench/siblings.md and docs/bench/siblings.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { indexCandidates, parseCandidateFile } from '../src/lib/records/candidates.ts';
import { MemoryCommitter } from '../tests/helpers/memory-committer.ts';
import { ReviewIndex } from '../src/lib/review/review-index.ts';
import { ReviewService } from '../src/lib/review/review-service.ts';
import { START_KINDS } from '../src/lib/records/schemas.ts';
import { computeStats } from '../src/lib/review/stats.ts';
import { dataFiles, GIT_ENV, git, median, ROOT } from './generate.ts';

const CHROMIUM = [process.env.PLOVER_CHROMIUM, '/usr/bin/chromium'].find((p) => p && existsSync(p));
const QUESTIONS = Number(process.env.BENCH_SIBLING_QUESTIONS ?? 3);
/** A correction of a typical length (the median MT-Bench answer is about 1,000 characters; a reviewer's fix is shorter). */
const CORRECTION = 'A corrected answer, typed by the reviewer: '.padEnd(300, 'x');

// (a) Which starts the candidates offer.
function service(): ReviewService {
  const located = dataFiles.flatMap((file) => parseCandidateFile(readFileSync(file, 'utf8'), file).candidates);
  const { byId } = indexCandidates(located);
  const data = { candidates: byId, candidateOrder: located.map((c) => c.candidate.id), problems: [] };
  const index = ReviewIndex.ofData(data, []);
  return new ReviewService(index, new MemoryCommitter(), async () => computeStats(data.candidates, index.records()));
}

async function offered(s: ReviewService): Promise<Record<string, number>> {
  const counts: Record<string, number> = Object.fromEntries(START_KINDS.map((k) => [k.value, 0]));
  let siblingStarts = 0;
  for (const o of s.index.outlinesInOrder()) {
    const { starts } = await s.context(o.id);
    for (const kind of new Set(starts.map((x) => x.kind))) counts[kind]! += 1;
    if (starts.some((x) => x.kind === 'sibling_correction' || x.kind === 'sibling_answer')) siblingStarts += 1;
  }
  return { ...counts, any_sibling_start: siblingStarts, candidates: s.index.candidateCount };
}

const fresh = service();
const before = await offered(fresh);
const firstRun = fresh.index.outlinesInOrder().filter((o) => !o.turns && o.benchmark_run_id === fresh.index.outlinesInOrder()[0]!.benchmark_run_id);
const reviewer = { name: 'Bench', email: 'bench@example.org' };
for (const o of firstRun) await fresh.decide(reviewer, { candidate_id: o.id, action: 'correct', corrected_response: `Corrected answer of ${o.id}` });
const after = await offered(fresh);
console.log('starts offered', { before, after });

// (b) Settling one question's four turn-1 candidates in Chromium.
interface Flow {
  keys: number;
  clicks: number;
  ms: number;
}
let flows: { typed: Flow[]; settled: Flow[] } | null = null;
if (!CHROMIUM) console.log('siblings bench (b) skipped: no Chromium (apt-get install -y chromium, or set PLOVER_CHROMIUM)');
else {
  const dir = mkdtempSync(join(tmpdir(), 'plover-bench-siblings-'));
  git(dir, 'init', '-q', '-b', 'main');
  for (const file of dataFiles)
    await new Promise((resolve) => spawn(process.execPath, [join(ROOT, 'bin/plover.mjs'), 'import', file], { cwd: dir, env: GIT_ENV, stdio: 'ignore' }).on('exit', resolve));
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'import');
  const server = spawn(process.execPath, [join(ROOT, 'bin/plover.mjs'), 'serve', '--port', '0', '--reviewer', 'Bench Reviewer <bench@example.org>'], {
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
  const profile = mkdtempSync(join(tmpdir(), 'plover-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 720 },
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
  const page = await context.newPage();
  const commits = () => Number(git(dir, 'rev-list', '--count', 'HEAD'));
  /** Waits until HEAD has `n` commits: a decision that never becomes one fails the bench, with what is missing. */
  const waitCommits = async (n: number) => {
    const deadline = Date.now() + 120_000;
    while (commits() < n) {
      if (Date.now() > deadline) throw new Error(`siblings bench: ${n - commits()} of the decisions made did not become commits within 120 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  /** Opens a candidate's card, types the correction and submits it: `c`, the text, Ctrl+Enter. */
  const typeOne = async (p: Page, id: string) => {
    await p.goto(`${url}?q=${id}`);
    await p.getByRole('article', { name: 'Candidate' }).waitFor();
    await p.locator('body').press('c');
    await p.keyboard.press('Control+a');
    await p.keyboard.type(CORRECTION);
    await p.keyboard.press('Control+Enter');
    return 3 + CORRECTION.length;
  };
  const groups = firstRun.slice(0, 2 * QUESTIONS).map((o) => [o.id, ...fresh.index.promptGroup(o.id)]);
  const typed: Flow[] = [];
  const settled: Flow[] = [];
  for (let q = 0; q < QUESTIONS; q++) {
    // By hand: each of the four typed.
    const a = groups[2 * q]!;
    let start = performance.now();
    let keys = 0;
    const base = commits();
    // Each decision committed before the next card's address is opened: leaving the page could cut its request short.
    for (const [i, id] of a.entries()) {
      keys += await typeOne(page, id);
      await waitCommits(base + i + 1);
    }
    typed.push({ keys, clicks: 0, ms: performance.now() - start });
    // With siblings: the first typed, the three settled.
    const b = groups[2 * q + 1]!;
    start = performance.now();
    const base2 = commits();
    keys = await typeOne(page, b[0]!);
    await page.getByRole('button', { name: 'Same correction for 3 siblings' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Correct 3' }).click();
    await waitCommits(base2 + b.length);
    settled.push({ keys, clicks: 2, ms: performance.now() - start });
  }
  await context.close();
  server.kill();
  rmSync(profile, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  flows = { typed, settled };
}

const summary = (f: Flow[]) => ({ keys: median(f.map((x) => x.keys)), clicks: median(f.map((x) => x.clicks)), median_ms: Math.round(median(f.map((x) => x.ms))) });
const result = {
  date: new Date().toISOString().slice(0, 10),
  starts_offered: { no_decisions: before, one_turn1_corrected_per_question: after },
  settle_one_question: flows && {
    questions: QUESTIONS,
    correction_chars: CORRECTION.length,
    typed_by_hand: summary(flows.typed),
    first_typed_siblings_settled: summary(flows.settled),
  },
};
writeFileSync(join(ROOT, 'docs/bench/siblings.json'), `${JSON.stringify(result, null, 2)}\n`);
const row = (name: string, c: Record<string, number>) => `| ${name} | ${START_KINDS.map((k) => c[k.value]).join(' | ')} | ${c.any_sibling_start} |`;
const md = [
  '# Siblings and starting points',
  '',
  `\`node bench/siblings.ts\` on the repository's ${before.candidates} candidates (the four MT-Bench runs: four models answering the same 80 questions in two turns, 640 candidates; and the tests' messy run of 12), ${result.date}.`,
  '',
  '## Candidates offering each start',
  '',
  `| state | ${START_KINDS.map((k) => k.label).join(' | ')} | any sibling start |`,
  `|---|${START_KINDS.map(() => '---:').join('|')}|---:|`,
  row('no decision yet', before),
  row('one turn-1 candidate of every question corrected', after),
  '',
  '## Settling one question’s four turn-1 candidates (Chromium, `plover serve`)',
  '',
  flows
    ? [
        `A ${CORRECTION.length}-character correction; medians over ${QUESTIONS} questions. Keys count every key press (the text typed, \`c\`, Ctrl+A, Ctrl+Enter); the time is the page's, typed by the browser at once, so it leaves out a person's typing.`,
        '',
        '| how | keys | clicks | time to four commits |',
        '|---|---:|---:|---:|',
        `| each typed by hand | ${result.settle_one_question!.typed_by_hand.keys} | ${result.settle_one_question!.typed_by_hand.clicks} | ${result.settle_one_question!.typed_by_hand.median_ms} ms |`,
        `| the first typed, "Same correction for 3 siblings" | ${result.settle_one_question!.first_typed_siblings_settled.keys} | ${result.settle_one_question!.first_typed_siblings_settled.clicks} | ${result.settle_one_question!.first_typed_siblings_settled.median_ms} ms |`,
      ].join('\n')
    : 'Skipped: no Chromium.',
  '',
].join('\n');
writeFileSync(join(ROOT, 'docs/bench/siblings.md'), md);
console.log(md);
