import { describe, expect, it } from 'vitest';
import { createCorrection } from '../../src/lib/records/correction.ts';
import { compileQueue, countByAction } from '../../src/lib/team/review-state.ts';
import { candidateLine } from '../helpers/repo.ts';
import type { Candidate } from '../../src/lib/records/schema-types.generated.ts';

const at = new Date('2024-05-01T12:00:00Z');
const ann = { name: 'Ann', email: 'ann@example.org' };
const bob = { name: 'Bob', email: 'Bob@Example.org' };
const cands = ['a', 'b', 'c'].map((id) => JSON.parse(candidateLine({ id })) as Candidate);

describe('review state', () => {
  it('queues, in order, the candidates this reviewer has not decided, whatever others did', () => {
    const corrections = [createCorrection({ candidate_id: 'b', action: 'discard' }, ann, at), createCorrection({ candidate_id: 'a', action: 'flag' }, bob, at)];
    expect(compileQueue(cands, corrections, 'ANN@example.org').map((c) => c.id)).toEqual(['a', 'c']);
    expect(compileQueue(cands, corrections, 'bob@example.org').map((c) => c.id)).toEqual(['b', 'c']);
  });

  it('counts decisions per action, for everyone or one reviewer', () => {
    const corrections = [
      createCorrection({ candidate_id: 'b', action: 'discard' }, ann, at),
      createCorrection({ candidate_id: 'a', action: 'flag' }, bob, at),
      createCorrection({ candidate_id: 'c', action: 'flag' }, ann, at),
    ];
    expect(countByAction(corrections)).toEqual({ correct: 0, discard: 1, flag: 2 });
    expect(countByAction(corrections, 'ann@example.org')).toEqual({ correct: 0, discard: 1, flag: 1 });
  });
});
