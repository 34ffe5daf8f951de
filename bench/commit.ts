/**
 * `npm run bench`: the cost of committing one decision at 1k, 10k and 100k existing
 * corrections, against native `git add && git commit` on the same repository.
 *
 * Repositories are generated from the candidates the repository holds (generate.ts;
 * cycled with new ids, so sizes follow theirs), with N sharded correction files
 * committed by native git. Reported: medians over RUNS decisions of
 *   - plover warm: ReviewService.decide in a running process (what the label server does),
 *     after WARMUP untimed decisions (the first one compiles the code and reads the git
 *     index: ~150 ms, then 30-60 ms, at 100k),
 *   - plover submit: the whole CLI process (start Node, read the repository, commit),
 *     also as a ratio to its cost at the first size (the target: at most 2x at 100k
 *     what it costs at 1k),
 *   - `plover help` and `node -e 0` as whole processes: what every command pays to start,
 *   - native: writing the same file, then `git add <file> && git commit`, also after
 *     WARMUP untimed commits, as fair to it (its first commit after plover's rebuilds the
 *     index's cached trees, which plover's index writes drop: 284 ms, then 214-261 ms).
 * Writes docs/bench/commit.md and docs/bench/commit.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createCorrection, serializeCorrection } from '../src/lib/records/correction.ts';
import { correctionPath } from '../src/lib/records/paths.ts';
import { Workspace } from '../src/node/workspace.ts';
import { GIT_ENV as ENV, ROOT, addCorrections, benchId, generateRepository, git, median, real, reviewer } from './generate.ts';

const SIZES = (process.env.BENCH_COMMIT_SIZES ?? process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const WARMUP = 3;

function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** A repository with `n + extra` candidates and `n` committed corrections; returns the ids left to decide. */
function generate(n: number, extra: number): { dir: string; ids: string[] } {
  const dir = generateRepository(n + extra);
  addCorrections(dir, 0, n);
  return { dir, ids: Array.from({ length: extra }, (_, i) => benchId(n + i)) };
}

interface Row {
  corrections: number;
  plover_warm_ms: number;
  plover_submit_process_ms: number;
  native_add_commit_ms: number;
  ratio_warm_to_native: number;
  ratio_process_to_native: number;
  ratio_process_to_first_size: number;
}

/** `plover help` as a whole process beside Node starting with nothing to run: what every command pays before its work. */
function startTimes(): { help_ms: number; node_ms: number } {
  const help: number[] = [];
  const bare: number[] = [];
  // One untimed run each: the first command after an install fills Node's compile cache.
  for (let i = 0; i <= RUNS; i++) {
    const h = time(() => execFileSync(process.execPath, [join(ROOT, 'bin/plover.mjs'), 'help'], { env: ENV }));
    const b = time(() => execFileSync(process.execPath, ['-e', '0'], { env: ENV }));
    if (i === 0) continue;
    help.push(h);
    bare.push(b);
  }
  return { help_ms: round(median(help)), node_ms: round(median(bare)) };
}
const start = startTimes();
console.log(start);

const rows: Row[] = [];
for (const n of SIZES) {
  process.stdout.write(`generating a repository with ${n} corrections… `);
  const { dir, ids } = generate(n, 3 * RUNS + 2 * WARMUP);
  console.log('done');
  const sample = real[0]!.model_response;

  // The files just generated are still being written back to disk; each series starts after that.
  execFileSync('sync');
  // plover, warm: one Workspace for the whole series, as the label server keeps it.
  let next = 0;
  const workspace = await Workspace.open(dir);
  const warm: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t = performance.now();
    await workspace.service.decide(reviewer, { candidate_id: ids[next++]!, action: 'correct', corrected_response: sample });
    if (i >= WARMUP) warm.push(performance.now() - t);
  }

  // plover submit: the whole CLI process, as a reviewer runs it.
  const cli: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    cli.push(
      time(() =>
        execFileSync(
          process.execPath,
          [join(ROOT, 'bin/plover.mjs'), 'submit', ids[next++]!, '--action', 'correct', '--response', sample, '--reviewer', `${reviewer.name} <${reviewer.email}>`],
          { cwd: dir, env: ENV },
        ),
      ),
    );
  }

  // Native git on the same repository: the same kind of file, then add + commit.
  execFileSync('sync');
  const native: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const id = ids[next++]!;
    const correction = createCorrection({ candidate_id: id, action: 'correct', corrected_response: sample }, reviewer, new Date());
    const path = correctionPath(id, reviewer.email);
    const ms = time(() => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), serializeCorrection(correction));
      git(dir, 'add', path);
      git(dir, 'commit', '-q', '-m', `plover: correct ${id}`);
    });
    if (i >= WARMUP) native.push(ms);
  }
  const status = git(dir, 'status', '--porcelain').trim();
  if (status) throw new Error(`git status is not clean after the benchmark:\n${status}`);
  git(dir, 'fsck', '--strict', '--no-progress');
  rmSync(dir, { recursive: true, force: true });

  const row: Row = {
    corrections: n,
    plover_warm_ms: round(median(warm)),
    plover_submit_process_ms: round(median(cli)),
    native_add_commit_ms: round(median(native)),
    ratio_warm_to_native: round(median(warm) / median(native)),
    ratio_process_to_native: round(median(cli) / median(native)),
    ratio_process_to_first_size: round(median(cli) / (rows[0]?.plover_submit_process_ms ?? median(cli))),
  };
  rows.push(row);
  console.log(row);
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

const table = [
  `| existing corrections | plover, warm (label server) | \`plover submit\` (whole process) | native \`git add && git commit\` | warm ÷ native | process ÷ native | process ÷ process at ${rows[0]?.corrections} |`,
  '|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.corrections} | ${r.plover_warm_ms} ms | ${r.plover_submit_process_ms} ms | ${r.native_add_commit_ms} ms | ${r.ratio_warm_to_native} | ${r.ratio_process_to_native} | ${r.ratio_process_to_first_size} |`,
  ),
].join('\n');
const meta = { date: new Date().toISOString(), runs: RUNS, node: process.version, git: git(ROOT, '--version').trim(), cpus: (await import('node:os')).cpus().length };
mkdirSync(join(ROOT, 'docs/bench'), { recursive: true });
writeFileSync(join(ROOT, 'docs/bench/commit.json'), `${JSON.stringify({ ...meta, start, rows }, null, 2)}\n`);
writeFileSync(
  join(ROOT, 'docs/bench/commit.md'),
  `# Committing one decision\n\nMedians of ${RUNS} decisions each, plover warm and native git each after ${WARMUP} untimed ones; ${meta.node}, ${meta.git}, ${meta.cpus} cores; ${meta.date}. Generated by \`npm run bench\`.\n\n${table}\n\nStarting the CLI (medians of ${RUNS}, after one untimed run): \`plover help\` ${start.help_ms} ms as a whole process; Node alone (\`node -e 0\`) ${start.node_ms} ms.\n`,
);
console.log(`\n${table}\n\nwrote docs/bench/commit.md and docs/bench/commit.json`);
