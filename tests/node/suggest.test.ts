// plover suggest import and plover submit --start-from, on a real repository (the bundled
// MT-Bench runs), checked with real git.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { correctionPath, sha256Hex } from '../../src/lib/records/paths.ts';
import { plover } from '../helpers/cli.ts';
import { fsck, git, useTempRepos } from '../helpers/repo.ts';
import { ANN } from '../helpers/reviewers.ts';

const repo = useTempRepos();
const snapshot = (dir: string) => ({ head: git(dir, 'rev-parse', 'HEAD'), status: git(dir, 'status', '--porcelain', '--untracked-files=all') });
// MT-Bench question 82, turn 1, in the four runs: the first scored 0.1, the others 1.
const Q82 = 'sftc_b5505e86f70999cf';
const Q82_SIBLING = 'sftc_624dd197476c8eb7';
const line = (o: Record<string, unknown>) => `${JSON.stringify(o)}\n`;

describe('plover suggest import', () => {
  it('refuses a file with bad lines as a whole, naming each line, and writes nothing', () => {
    const { dir } = repo();
    const before = snapshot(dir);
    writeFileSync(
      join(dir, '..', 'bad.jsonl'),
      line({ candidate_id: Q82, text: 'fine' }) +
        line({ candidate_id: 'nope', text: 'x' }) +
        line({ candidate_id: Q82_SIBLING, text: '  ' }) +
        line({ candidate_id: Q82_SIBLING, text: 'y', score: 2 }) +
        '\n' +
        line({ candidate_id: Q82, text: 'again' }),
    );
    const r = plover(dir, ['suggest', 'import', join(dir, '..', 'bad.jsonl'), '--agent', 'helper-llm', '--reviewer', ANN]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('nothing was written');
    for (const at of [':2: candidate_id: refers to unknown candidate "nope"', ':3: text:', ':4: score:', ':5: is blank', ':6: candidate_id: suggests for'])
      expect(r.stderr).toContain(at);
    expect(snapshot(dir)).toEqual(before);
    expect(plover(dir, ['suggest', 'import', join(dir, '..', 'bad.jsonl'), '--agent', '../etc', '--reviewer', ANN]).stderr).toContain('--agent "../etc" is not an agent name');
    expect(snapshot(dir)).toEqual(before);
  });

  it('commits suggestions/<agent>.jsonl, replaces a candidate’s earlier suggestion, commits nothing when nothing is new; validate checks the file', () => {
    const { dir } = repo();
    const file = join(dir, '..', 'suggestions.jsonl');
    writeFileSync(file, line({ candidate_id: Q82, text: 'Subject: Feedback request', score: 0.7 }) + line({ candidate_id: Q82_SIBLING, text: 'Another' }));
    const first = plover(dir, ['suggest', 'import', file, '--agent', 'helper-llm', '--reviewer', ANN]);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    expect(first.stdout).toMatch(/^[0-9a-f]{7} suggestions\/helper-llm\.jsonl: 2 added, 0 replaced, 0 unchanged\n$/);
    expect(git(dir, 'log', '-1', '--format=%an <%ae>|%s')).toBe(`${ANN}|suggest: 2 suggestions by helper-llm`);
    expect(snapshot(dir).status).toBe('');
    expect(fsck(dir).status).toBe(0);
    expect(plover(dir, ['suggest', 'import', file, '--agent', 'helper-llm', '--reviewer', ANN]).stdout).toContain(
      'already holds every suggestion (0 added, 0 replaced, 2 unchanged); nothing committed',
    );
    writeFileSync(file, line({ candidate_id: Q82, text: 'Subject: Feedback on the report' }));
    expect(plover(dir, ['suggest', 'import', file, '--agent', 'helper-llm', '--reviewer', ANN]).stdout).toContain('0 added, 1 replaced, 0 unchanged');
    expect(readFileSync(join(dir, 'suggestions/helper-llm.jsonl'), 'utf8')).toBe(
      line({ candidate_id: Q82, text: 'Subject: Feedback on the report' }) + line({ candidate_id: Q82_SIBLING, text: 'Another' }),
    );
    expect(plover(dir, ['validate']).status).toBe(0);
    writeFileSync(join(dir, 'suggestions/helper-llm.jsonl'), line({ candidate_id: 'gone', text: 'x' }));
    writeFileSync(join(dir, 'suggestions/notes.txt'), 'hello');
    const bad = plover(dir, ['validate']);
    expect(bad.status).toBe(1);
    expect(bad.stdout + bad.stderr).toContain('suggestions/helper-llm.jsonl:1: candidate_id: refers to unknown candidate "gone"');
    expect(bad.stdout + bad.stderr).toContain('suggestions/notes.txt: is not a suggestions file');
  });
});

describe('plover submit --start-from', () => {
  it('records where a correction started, among the starts the page offers; refuses one it does not offer', () => {
    const { dir } = repo();
    const file = join(dir, '..', 's.jsonl');
    writeFileSync(file, line({ candidate_id: Q82, text: 'Subject: Feedback request' }));
    expect(plover(dir, ['suggest', 'import', file, '--agent', 'helper-llm', '--reviewer', ANN]).status).toBe(0);
    const ok = plover(dir, ['submit', Q82, '--action', 'correct', '--response', 'Subject: Feedback request, please', '--start-from', 'suggestion:helper-llm', '--reviewer', ANN]);
    expect(ok).toMatchObject({ status: 0, stderr: '' });
    const record = JSON.parse(readFileSync(join(dir, correctionPath(Q82, 'ann@example.org')), 'utf8'));
    expect(record.started_from).toEqual({ kind: 'suggestion', agent: 'helper-llm', sha256: sha256Hex('Subject: Feedback request') });
    const sibling = readFileSync(join(dir, 'candidates/run_20240328_mt_bench_5c7801af.jsonl'), 'utf8')
      .split('\n')
      .map((l) => (l ? JSON.parse(l) : null))
      .find((c) => c?.id === Q82_SIBLING);
    const answer = plover(dir, ['submit', Q82, '--action', 'correct', '--response', 'Better', '--start-from', `sibling_answer:${Q82_SIBLING}`, '--reviewer', ANN]);
    expect(answer.status).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, correctionPath(Q82, 'ann@example.org')), 'utf8')).started_from).toEqual({
      kind: 'sibling_answer',
      candidate_id: Q82_SIBLING,
      sha256: sha256Hex(sibling.model_response),
    });
    const before = snapshot(dir);
    const refused = plover(dir, ['submit', Q82, '--action', 'correct', '--response', 'Better still', '--start-from', 'reference', '--reviewer', ANN]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`--start-from reference is not a start of "${Q82}"; its starts are: suggestion:helper-llm, sibling_answer:`);
    expect(plover(dir, ['submit', Q82, '--action', 'discard', '--start-from', 'model_response', '--reviewer', ANN]).stderr).toContain(
      '--start-from goes with --action correct only',
    );
    expect(snapshot(dir)).toEqual(before);
    expect(plover(dir, ['validate']).status).toBe(0);
    expect(fsck(dir).status).toBe(0);
  });
});
