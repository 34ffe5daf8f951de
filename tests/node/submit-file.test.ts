// `plover submit --from FILE`: every line checked before anything is committed; then one
// commit per decision, in file order, as real git sees them.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plover } from '../helpers/cli.ts';
import { candidateLine, fsck, git, useTempRepos } from '../helpers/repo.ts';
import { ANN } from '../helpers/reviewers.ts';

const repo = useTempRepos();
const IDS = ['sftc_b5505e86f70999cf', 'sftc_723a003ab86cbec2', 'sftc_37883adc96cf1189'];

describe('plover submit --from FILE', () => {
  it('commits every decision of a good file, one commit each, in file order', () => {
    const { dir } = repo();
    const file = join(dir, 'decisions.jsonl');
    writeFileSync(
      file,
      [
        { candidate_id: IDS[0], action: 'correct', corrected_response: 'Fixed.\r\n', failure_category: 'wrong_answer' },
        { candidate_id: IDS[1], action: 'discard' },
        { candidate_id: IDS[2], action: 'flag', failure_category: 'hallucination' },
      ]
        .map((d) => JSON.stringify(d))
        .join('\n') + '\n',
    );
    const head = git(dir, 'rev-parse', 'HEAD');
    const result = plover(dir, ['submit', '--from', file, '--reviewer', ANN]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('committed 3 decisions');
    expect(git(dir, 'log', '--format=%an|%s', `${head}..HEAD`).split('\n').reverse()).toEqual([
      `Ann Lee|plover: correct ${IDS[0]} [wrong_answer]`,
      `Ann Lee|plover: discard ${IDS[1]}`,
      `Ann Lee|plover: flag ${IDS[2]} [hallucination]`,
    ]);
    expect(git(dir, 'status', '--porcelain', '--', 'corrections')).toBe('');
    expect(fsck(dir).status).toBe(0);
    expect(plover(dir, ['validate']).status).toBe(0);
  });

  it('commits nothing when any line is wrong, and names every problem with its line', () => {
    const { dir } = repo();
    const file = join(dir, 'decisions.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ candidate_id: IDS[0], action: 'discard' }),
        JSON.stringify({ candidate_id: 'sftc_nope', action: 'flag' }),
        '{not json',
        JSON.stringify({ candidate_id: IDS[1], action: 'correct', corrected_response: '   ' }),
        JSON.stringify({ candidate_id: IDS[0], action: 'flag' }),
        JSON.stringify({ candidate_id: IDS[2], action: 'maybe', colour: 'red' }),
      ].join('\n'),
    );
    const head = git(dir, 'rev-parse', 'HEAD');
    const result = plover(dir, ['submit', '--from', file, '--reviewer', ANN]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('nothing was committed');
    for (const where of [
      `${file}:2: candidate_id:`,
      `${file}:3: is not valid JSON`,
      `${file}:4: corrected_response`,
      `${file}:5: candidate_id: decides`,
      `${file}:6: colour: unknown field`,
      `${file}:6: action`,
    ]) {
      expect(result.stderr).toContain(where);
    }
    expect(result.stderr).not.toContain(`${file}:1:`);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
  });

  it('commits 10,000 decisions at 10,000 candidates, each once, with git fsck clean; one bad line among them writes nothing', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `sftc_bulk_${i.toString().padStart(5, '0')}`);
    const { dir } = repo({ candidates: false, files: { 'candidates/run_bulk.jsonl': `${ids.map((id) => candidateLine({ id, benchmark_run_id: 'run_bulk' })).join('\n')}\n` } });
    const file = join(dir, 'decisions.jsonl');
    const lines = ids.map((id, i) => JSON.stringify(i % 2 ? { candidate_id: id, action: 'discard' } : { candidate_id: id, action: 'flag', failure_category: 'format_error' }));
    // Line 7,001 names a candidate that does not exist: the whole file is refused.
    writeFileSync(file, `${[...lines.slice(0, 7000), JSON.stringify({ candidate_id: 'sftc_no_such', action: 'flag' }), ...lines.slice(7000)].join('\n')}\n`);
    const head = git(dir, 'rev-parse', 'HEAD');
    const refused = plover(dir, ['submit', '--from', file, '--reviewer', ANN]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('decisions.jsonl:7001');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain')).toBe('?? decisions.jsonl');

    writeFileSync(file, `${lines.join('\n')}\n`);
    const result = plover(dir, ['submit', '--from', file, '--reviewer', ANN]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toContain('committed 10000 decisions');
    const subjects = git(dir, 'log', '--format=%s', `${head}..HEAD`).split('\n');
    expect(subjects).toHaveLength(10_000);
    expect(new Set(subjects).size).toBe(10_000);
    expect(
      git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'corrections')
        .split('\n')
        .filter((p) => p.endsWith('.json')),
    ).toHaveLength(10_000);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=no')).toBe('');
    expect(fsck(dir).status).toBe(0);
    expect(plover(dir, ['validate']).status).toBe(0);
  });

  it('run again after it stopped half-way, skips the lines committed with the same content, commits the rest, and says so', () => {
    const { dir } = repo();
    const file = join(dir, 'decisions.jsonl');
    const line = (id: string, action: string, extra: Record<string, unknown> = {}) => JSON.stringify({ candidate_id: id, action, ...extra });
    writeFileSync(file, `${line(IDS[0]!, 'correct', { corrected_response: 'Fixed.\r\n' })}\n${line(IDS[1]!, 'discard')}\n`);
    expect(plover(dir, ['submit', '--from', file, '--reviewer', ANN]).status).toBe(0);
    const head = git(dir, 'rev-parse', 'HEAD');
    // The whole file: line 2 now flags (a change), line 3 is new.
    writeFileSync(file, `${line(IDS[0]!, 'correct', { corrected_response: 'Fixed.\r\n' })}\n${line(IDS[1]!, 'flag')}\n${line(IDS[2]!, 'discard')}\n`);
    const again = plover(dir, ['submit', '--from', file, '--reviewer', ANN]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('committed 2 decisions from');
    expect(again.stdout).toContain('; 1 line already committed with the same content, skipped');
    expect(git(dir, 'log', '--format=%s', `${head}..HEAD`).split('\n').reverse()).toEqual([`plover: flag ${IDS[1]}`, `plover: discard ${IDS[2]}`]);
  });

  it('waits for a lock another git command holds on the branch, and when it is never let go, counts what it committed, without a terminal', () => {
    const { dir } = repo();
    const file = join(dir, 'decisions.jsonl');
    writeFileSync(file, IDS.map((id) => JSON.stringify({ candidate_id: id, action: 'flag' })).join('\n'));
    const lock = join(dir, '.git/refs/heads/main.lock');
    writeFileSync(lock, '');
    // Let go a moment later, by another process (this one waits for plover).
    spawn('sh', ['-c', `sleep 1; rm -f '${lock}'`], { stdio: 'ignore' });
    const waited = plover(dir, ['submit', '--from', file, '--reviewer', ANN]);
    expect(waited.status, waited.stderr).toBe(0);
    expect(waited.stdout).toContain('committed 3 decisions');

    // A lock that stays: the first line commits (it was committed before: skipped), then the wait runs out.
    const { dir: other } = repo();
    writeFileSync(join(other, 'one.jsonl'), JSON.stringify({ candidate_id: IDS[0], action: 'flag' }));
    expect(plover(other, ['submit', '--from', join(other, 'one.jsonl'), '--reviewer', ANN]).status).toBe(0);
    writeFileSync(join(other, '.git/refs/heads/main.lock'), '');
    const writes = IDS.map((id) => JSON.stringify({ candidate_id: id, action: 'flag' })).join('\n');
    writeFileSync(join(other, 'all.jsonl'), writes);
    const stuck = plover(other, ['submit', '--from', join(other, 'all.jsonl'), '--reviewer', ANN]);
    expect(stuck.status).toBe(1);
    expect(stuck.stderr).toContain(`all.jsonl:2: ${join(other, '.git/refs/heads/main.lock')} exists`);
    expect(stuck.stderr).toContain('the 0 decisions before it are committed (and 1 already were), the rest are not; run the same command again to go on');
    expect(git(other, 'status', '--porcelain', '--untracked-files=no')).toBe('');
  });

  it('refuses to mix --from with a single decision', () => {
    const { dir } = repo();
    const result = plover(dir, ['submit', IDS[0]!, '--from', 'x.jsonl', '--action', 'flag', '--reviewer', ANN]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/--from FILE takes every decision from the file: give no candidate id and no --action/);
  });
});
