// One `plover submit` finds its candidate by id in the candidate files' bytes: the line
// that is that candidate, not one that mentions its id; nothing when the id is written
// otherwise (a whole read decides then).
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
});
