import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plover } from '../helpers/cli.ts';
import { DATA_CANDIDATES, candidateLine, dataRuns, git, harnessFolder, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();
const empty = () => repo({ candidates: false });
const snapshot = (dir: string) => git(dir, 'status', '--porcelain', '--untracked-files=all');

describe('plover import', () => {
  it('imports every real and messy candidate from the harness output folder, byte for byte, and a second run changes nothing', () => {
    const { dir } = empty();
    const first = plover(dir, ['import', harnessFolder()]);
    expect(first.status).toBe(0);
    expect(first.stdout.split('\n').at(-2)).toBe(`imported ${DATA_CANDIDATES} candidates in 5 runs`);
    expect(first.stdout).toContain(
      'run_20240501_messy_0f1c2d3e → candidates/run_20240501_messy_0f1c2d3e.jsonl: imported 12, skipped 0 (0 already imported, 0 conflicting, 0 repeated in the input)',
    );
    for (const { run, file } of dataRuns()) {
      expect(readFileSync(join(dir, 'candidates', `${run}.jsonl`)).equals(readFileSync(file))).toBe(true);
    }
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'import');

    const second = plover(dir, ['import', harnessFolder()]);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain(
      'run_20240325_mt_bench_9d9abd96 → candidates/run_20240325_mt_bench_9d9abd96.jsonl: imported 0, skipped 160 (160 already imported, 0 conflicting, 0 repeated in the input)',
    );
    expect(second.stdout.split('\n').at(-2)).toBe('imported 0 candidates in 5 runs');
    expect(snapshot(dir)).toBe('');
    expect(plover(dir, ['validate']).stdout).toBe(`valid: ${DATA_CANDIDATES} candidates, 0 corrections (0 unchanged)\n`);
  });

  it('keeps a reference answer a harness record carries, and refuses the run of a record whose reference answer is not text', () => {
    const { dir } = empty();
    const input = join(dir, '..', 'refs');
    mkdirSync(join(input, 'run_ref_ok'), { recursive: true });
    mkdirSync(join(input, 'run_ref_bad'), { recursive: true });
    writeFileSync(join(input, 'run_ref_ok', 'sft_candidates.jsonl'), `${candidateLine({ id: 'ref-1', benchmark_run_id: 'run_ref_ok', reference_answer: 'x = 4' })}\n`);
    writeFileSync(join(input, 'run_ref_bad', 'sft_candidates.jsonl'), `${candidateLine({ id: 'ref-2', benchmark_run_id: 'run_ref_bad', reference_answer: 4 })}\n`);
    const r = plover(dir, ['import', input]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/run_ref_bad\/sft_candidates\.jsonl:1: reference_answer: /);
    expect(JSON.parse(readFileSync(join(dir, 'candidates/run_ref_ok.jsonl'), 'utf8')).reference_answer).toBe('x = 4');
    expect(existsSync(join(dir, 'candidates/run_ref_bad.jsonl'))).toBe(false);
  });

  it('takes one run folder or one JSONL file, and writes nothing with --dry-run', () => {
    const { dir } = empty();
    const run = join(harnessFolder(), 'run_20240325_mt_bench_9d9abd96');
    const dry = plover(dir, ['import', run, '--dry-run']);
    expect(dry.stdout.split('\n').at(-2)).toBe('would import 160 candidates in 1 run (dry run: nothing written)');
    expect(existsSync(join(dir, 'candidates'))).toBe(false);
    expect(plover(dir, ['import', run]).status).toBe(0);
    expect(
      plover(dir, ['import', join(run, 'sft_candidates.jsonl')])
        .stdout.split('\n')
        .at(-2),
    ).toBe('imported 0 candidates in 1 run');
  });

  it('appends new ids of a known run, and names conflicting and repeated ids instead of skipping them silently', () => {
    const { dir } = repo({ candidates: false, files: { 'candidates/run_test.jsonl': `${candidateLine({ id: 'a' })}\n` } });
    const input = join(dir, 'in.jsonl');
    writeFileSync(
      input,
      [candidateLine({ id: 'a' }), candidateLine({ id: 'b' }), candidateLine({ id: 'b', model_response: 'other' }), candidateLine({ id: 'a', model_response: 'changed' })].join(
        '\n',
      ) + '\n',
    );
    const result = plover(dir, ['import', input]);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(
      [
        'run_test → candidates/run_test.jsonl: imported 1, skipped 3 (1 already imported, 1 conflicting, 1 repeated in the input)',
        '  conflicting: "a" is already imported with a different record; the imported one is kept (candidate files are immutable)',
        '  repeated: "b" appears more than once in the input; the first is used',
        'imported 1 candidate in 1 run',
        '',
      ].join('\n'),
    );
    expect(readFileSync(join(dir, 'candidates/run_test.jsonl'), 'utf8')).toBe(`${candidateLine({ id: 'a' })}\n${candidateLine({ id: 'b' })}\n`);
  });

  it('a malformed line fails its run with file, line and reason, writes nothing for it, and imports the other runs', () => {
    const { dir } = empty();
    const input = join(dir, 'harness');
    for (const run of ['run_good', 'run_bad']) mkdirSync(join(input, run), { recursive: true });
    writeFileSync(join(input, 'run_good/sft_candidates.jsonl'), `${candidateLine({ id: 'g1', benchmark_run_id: 'run_good' })}\n`);
    writeFileSync(join(input, 'run_bad/sft_candidates.jsonl'), `${candidateLine({ id: 'b1', benchmark_run_id: 'run_bad' })}\n{"id": "b2"\n`);
    const result = plover(dir, ['import', 'harness']);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe(
      'run_good → candidates/run_good.jsonl: imported 1, skipped 0 (0 already imported, 0 conflicting, 0 repeated in the input)\nimported 1 candidate in 1 run\n',
    );
    expect(result.stderr).toMatch(
      /^harness\/run_bad\/sft_candidates\.jsonl:2: is not valid JSON \(.+\); received "\{\\"id\\": \\"b2\\""\nplover: 1 problem: the runs they are in were not imported \(nothing written for them\); fix the lines and import again\n$/,
    );
    expect(readdirSync(join(dir, 'candidates'))).toEqual(['run_good.jsonl']);
  });

  it('refuses a run id that cannot be a file name, and a path with nothing to import', () => {
    const { dir } = empty();
    writeFileSync(join(dir, 'in.jsonl'), `${candidateLine({ id: 'x', benchmark_run_id: '../escape' })}\n`);
    const bad = plover(dir, ['import', 'in.jsonl']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain(`in.jsonl:1: benchmark_run_id: "../escape" cannot name a file in candidates/; use letters, digits, '.', '_' and '-'`);
    expect(existsSync(join(dir, 'candidates'))).toBe(false);
    mkdirSync(join(dir, 'nothing'));
    expect(plover(dir, ['import', 'nothing'])).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/^plover: no sft_candidates.jsonl in .*nothing or its subfolders; the harness writes <run_id>\/sft_candidates.jsonl\n$/),
    });
  });
});
