/**
 * Repositories for the benchmarks, generated from the candidates the repository holds:
 * the four real MT-Bench runs of candidates/ and the messy fixture run of the tests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCorrection, serializeCorrection } from '../src/lib/records/correction.ts';
import { correctionPath } from '../src/lib/records/paths.ts';
import type { Candidate } from '../src/lib/records/schema-types.generated.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The harness layout of the tests' fixture run. */
export const FIXTURE_HARNESS = join(ROOT, 'tests/fixtures/harness');
export const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.org',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.org',
};
export const reviewer = { name: 'Bench Reviewer', email: 'bench@example.org' };
export const git = (dir: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8' });

/** The files of those candidates: the runs of candidates/, then the fixture run. */
export const dataFiles: string[] = [
  ...readdirSync(join(ROOT, 'candidates'))
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => join(ROOT, 'candidates', f)),
  ...readdirSync(FIXTURE_HARNESS)
    .filter((run) => run.startsWith('run_'))
    .sort()
    .map((run) => join(FIXTURE_HARNESS, run, 'sft_candidates.jsonl')),
];

/** The 652 candidates the repository holds; generated ones cycle through them, so sizes follow theirs. */
export const real: Candidate[] = dataFiles.flatMap((file) =>
  readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Candidate),
);

export const benchId = (i: number) => `bench_${i.toString().padStart(7, '0')}`;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A new repository with `candidates` generated candidates and no corrections, committed. */
export function generateRepository(candidates: number): string {
  const dir = mkdtempSync(join(tmpdir(), `plover-bench-${candidates}-`));
  git(dir, 'init', '-q', '-b', 'main');
  // One explicit gc packs the repository as a clone would be; no automatic gc during the runs.
  git(dir, 'config', 'gc.auto', '0');
  const lines: string[] = [];
  for (let i = 0; i < candidates; i++) {
    // Each pass through the real candidates is a run of its own, as more runs of the same benchmark would be.
    lines.push(JSON.stringify({ ...real[i % real.length]!, id: benchId(i), benchmark_run_id: `run_bench_${Math.floor(i / real.length)}` }));
  }
  mkdirSync(join(dir, 'candidates'));
  writeFileSync(join(dir, 'candidates/run_bench.jsonl'), `${lines.join('\n')}\n`);
  // As in a project's own repository, exports are not committed (an export refuses to overwrite a tracked file).
  writeFileSync(join(dir, '.gitignore'), 'dist/\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `${candidates} candidates`);
  return dir;
}

/** Adds committed `correct` decisions for candidates [from, to): real response texts, each edited. */
export function addCorrections(dir: string, from: number, to: number): void {
  const at = new Date('2024-05-01T12:00:00Z');
  for (let i = from; i < to; i++) {
    const base = real[i % real.length]!;
    const correction = createCorrection(
      // An edited answer, as a reviewer's correction is: each target is its own text (an unchanged copy would be a no-op).
      { candidate_id: benchId(i), action: 'correct', corrected_response: `${base.model_response.trim() ? base.model_response.trimEnd() : 'x'}\n\nReviewed as candidate ${i}.` },
      reviewer,
      at,
    );
    const path = join(dir, correctionPath(benchId(i), reviewer.email));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, serializeCorrection(correction));
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `corrections ${from}..${to}`);
  git(dir, 'gc', '-q');
}
