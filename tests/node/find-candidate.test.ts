// One `plover submit` finds its candidate by id in the candidate files' bytes: the line
// that is that candidate, not one that mentions its id; nothing when the id is written
// otherwise (a whole read decides then).
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCandidate } from '../../src/node/find-candidate.ts';
import { worktreeSource } from '../../src/node/sources.ts';
import { candidateLine, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();

describe('findCandidate', () => {
  it('finds the line that is the candidate, with its line number, past lines that only mention its id', async () => {
    const mention = candidateLine({ id: 'c_other', model_response: 'See "c_target" for the answer.' });
    const { dir } = repo({
      candidates: false,
      files: {
        'candidates/run_a.jsonl': `${candidateLine({ id: 'c_a1' })}\n${mention}\n`,
        'candidates/run_b.jsonl': `${candidateLine({ id: 'c_b1' })}\n${mention}\n${candidateLine({ id: 'c_target', model_response: 'target' })}\n`,
      },
    });
    const found = await findCandidate(dir, worktreeSource(dir), 'c_target');
    expect(found).toMatchObject({ file: 'candidates/run_b.jsonl', line: 3, candidate: { id: 'c_target', model_response: 'target' } });
    expect(await findCandidate(dir, worktreeSource(dir), 'c_a1')).toMatchObject({ file: 'candidates/run_a.jsonl', line: 1 });
    expect(await findCandidate(dir, worktreeSource(dir), 'c_missing')).toBeUndefined();
  });

  it('finds nothing for an id the file writes with escapes, and leaves that to a whole read', async () => {
    const line = candidateLine({ id: 'c_é' }).replace('"c_é"', '"c_\\u00e9"');
    const { dir } = repo({ candidates: false, files: { 'candidates/run_a.jsonl': `${line}\n` } });
    expect(JSON.parse(line).id).toBe('c_é');
    expect(await findCandidate(dir, worktreeSource(dir), 'c_é')).toBeUndefined();
  });

  it('keeps where each line starts, reads one line while the files are unchanged, and searches again when one changes or the list is damaged', async () => {
    const { dir } = repo({ candidates: false, files: { 'candidates/run_a.jsonl': `${candidateLine({ id: 'c1' })}\n${candidateLine({ id: 'c2', model_response: 'two' })}\n` } });
    const lines = join(dir, '.git/plover-candidate-lines');
    const listed = () =>
      readFileSync(lines, 'utf8')
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((l) => JSON.parse(l.split('\t')[0]!));
    expect(await findCandidate(dir, worktreeSource(dir), 'c2')).toMatchObject({ line: 2, candidate: { model_response: 'two' } });
    expect(listed()).toEqual(['c1', 'c2']);
    // From the list: an unknown id is not searched for (a whole read names it).
    expect(await findCandidate(dir, worktreeSource(dir), 'c9')).toBeUndefined();
    // The file changes (a new run appended): the list no longer fits, so it is searched and made again.
    appendFileSync(join(dir, 'candidates/run_a.jsonl'), `${candidateLine({ id: 'c3', model_response: 'three' })}\n`);
    expect(await findCandidate(dir, worktreeSource(dir), 'c3')).toMatchObject({ line: 3, candidate: { model_response: 'three' } });
    expect(listed()).toEqual(['c1', 'c2', 'c3']);
    // A list pointing at the wrong place is caught by reading the line: the search answers.
    const text = readFileSync(lines, 'utf8');
    const place = (id: string) => new RegExp(`\n"${id}"\t([^\n]*)`).exec(text)![1]!;
    writeFileSync(lines, text.replace(`"c3"\t${place('c3')}`, `"c3"\t${place('c1')}`));
    expect(place('c3')).not.toBe(place('c1'));
    expect(await findCandidate(dir, worktreeSource(dir), 'c3')).toMatchObject({ line: 3, candidate: { id: 'c3' } });
    // An id that is also an object key of JavaScript's own is found like any other.
    appendFileSync(join(dir, 'candidates/run_a.jsonl'), `${candidateLine({ id: '__proto__', model_response: 'proto' })}\n`);
    expect(await findCandidate(dir, worktreeSource(dir), '__proto__')).toMatchObject({ line: 4, candidate: { model_response: 'proto' } });
    expect(await findCandidate(dir, worktreeSource(dir), '__proto__')).toMatchObject({ line: 4 });
    expect(await findCandidate(dir, worktreeSource(dir), 'constructor')).toBeUndefined();
    // An id with quotes and a backslash, or a prefix of listed ids, finds only its own line.
    appendFileSync(join(dir, 'candidates/run_a.jsonl'), `${candidateLine({ id: 'c1"\\x', model_response: 'quoted' })}\n`);
    expect(await findCandidate(dir, worktreeSource(dir), 'c1"\\x')).toMatchObject({ line: 5, candidate: { model_response: 'quoted' } });
    expect(await findCandidate(dir, worktreeSource(dir), 'c1"\\x')).toMatchObject({ line: 5 });
    expect(await findCandidate(dir, worktreeSource(dir), 'c')).toBeUndefined();
    // A damaged entry or list: the search answers.
    writeFileSync(lines, readFileSync(lines, 'utf8').replace(/\n"c2"\t[^\n]*/, '\n"c2"\tx\t'));
    expect(await findCandidate(dir, worktreeSource(dir), 'c2')).toMatchObject({ line: 2 });
    writeFileSync(lines, '{ not json');
    expect(await findCandidate(dir, worktreeSource(dir), 'c1')).toMatchObject({ line: 1 });
  });
});
