/** Real temporary git repositories for tests, with a pinned identity, date and no signing. */
import { execFileSync, spawnSync } from 'node:child_process';
import { afterEach } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../');
/** A run written for the tests, one messy pattern per candidate (see its README). */
export const FIXTURE_HARNESS = join(ROOT, 'tests/fixtures/harness');

/**
 * The runs the tests take as real data, as `{run, file}`: the four MT-Bench runs of
 * candidates/ (640 candidates) and the messy fixture run (12), 652 in all.
 */
export function dataRuns(): { run: string; file: string }[] {
  const project = readdirSync(join(ROOT, 'candidates'))
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => ({ run: f.slice(0, -'.jsonl'.length), file: join(ROOT, 'candidates', f) }));
  const fixture = readdirSync(FIXTURE_HARNESS)
    .filter((run) => run.startsWith('run_'))
    .map((run) => ({ run, file: join(FIXTURE_HARNESS, run, 'sft_candidates.jsonl') }));
  return [...project, ...fixture].sort((a, b) => (a.run < b.run ? -1 : 1));
}
export const DATA_CANDIDATES = 652;

/** A harness output folder (`<run_id>/sft_candidates.jsonl`) holding dataRuns(), made once per test file. */
export function harnessFolder(): string {
  if (harness && existsSync(harness)) return harness;
  harness = mkdtempSync(join(tmpdir(), 'plover-harness-'));
  for (const { run, file } of dataRuns()) {
    mkdirSync(join(harness, run));
    cpSync(file, join(harness, run, 'sft_candidates.jsonl'));
  }
  return harness;
}
let harness: string | undefined;
export const FIXED_DATE = '2024-05-01T12:00:00Z';

/** The environment every git call in tests uses: no user config, fixed identity and dates. */
export const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_AUTHOR_NAME: 'Test Setup',
  GIT_AUTHOR_EMAIL: 'setup@example.org',
  GIT_COMMITTER_NAME: 'Test Setup',
  GIT_COMMITTER_EMAIL: 'setup@example.org',
  GIT_AUTHOR_DATE: FIXED_DATE,
  GIT_COMMITTER_DATE: FIXED_DATE,
};

/** Runs git in `dir` and returns its trimmed stdout. @throws on a non-zero exit. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();
}

/** `git fsck --strict`: returns its exit status and output. */
export function fsck(dir: string): { status: number | null; output: string } {
  const r = spawnSync('git', ['fsck', '--strict', '--no-progress'], { cwd: dir, env: GIT_ENV, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Every object of every commit of `dir`, by oid. */
export function allObjects(dir: string): string[] {
  return git(dir, 'rev-list', '--objects', '--all')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(0, 40));
}

/**
 * A pack of these objects of `dir` as `git pack-objects` writes it (`args` added), git's own
 * index of it, and what git says of it: `chains` (`verify-pack -s`, the delta chains) and
 * `listed` (`verify-pack -v`: each object's oid, type, size, size in the pack, offset, and
 * for a delta its depth and base).
 */
export function gitPack(dir: string, oids: string[], args: string[] = []): { pack: Buffer; idx: Buffer; chains: string; listed: string } {
  const out = join(dir, '.git', 'test-pack');
  const made = spawnSync('git', ['pack-objects', ...args, out], { cwd: dir, env: GIT_ENV, input: oids.join('\n') + '\n' });
  if (made.status !== 0) throw new Error(`git pack-objects failed: ${made.stderr.toString()}`);
  const name = made.stdout.toString().trim();
  const chains = git(dir, 'verify-pack', '-s', `${out}-${name}.idx`);
  const listed = git(dir, 'verify-pack', '-v', `${out}-${name}.idx`);
  return { pack: readFileSync(`${out}-${name}.pack`), idx: readFileSync(`${out}-${name}.idx`), chains, listed };
}

export interface TempRepo {
  dir: string;
  remove(): void;
}

/**
 * A new repository with one commit holding `files` (path → text) and, unless
 * `candidates: false`, the project's demo candidates.
 */
export function createRepo(options: { files?: Record<string, string>; candidates?: boolean } = {}): TempRepo {
  const dir = mkdtempSync(join(tmpdir(), 'plover-test-'));
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'commit.gpgsign', 'false');
  if (options.candidates !== false) cpSync(join(ROOT, 'candidates'), join(dir, 'candidates'), { recursive: true });
  for (const [path, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'initial');
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The line of a candidate file as the harness writes it, with overrides. */
export function candidateLine(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: 'c1',
    source: 'test:check',
    benchmark_run_id: 'run_test',
    timestamp: '2024-03-25T11:47:05.635Z',
    status: 'needs_review',
    prompt_messages: [
      { role: 'system', content: '' },
      { role: 'user', content: 'What is 2 + 2?' },
    ],
    model_response: '5',
    corrected_response: null,
    quality_score: 0.1,
    failure_reason: 'wrong result',
    task_id: 'test/1',
    task_type: 'math',
    task_name: 'Addition',
    model_id: 'org/model-a',
    model_name: 'Model A',
    node_id: 'n1',
    gpu_id: 0,
    tokens_per_sec: 10.5,
    ...overrides,
  });
}

/** A `createRepo` whose repositories are removed after each test of the calling file. */
export function useTempRepos(): typeof createRepo {
  const repos: TempRepo[] = [];
  afterEach(() => repos.splice(0).forEach((r) => r.remove()));
  return (options) => {
    const r = createRepo(options);
    repos.push(r);
    return r;
  };
}
