// The review service over the in-memory committer: what both modes share (queue, counts,
// errors, one commit at a time, history) tested without git. The git committers are
// exercised by the server, CLI and hosted tests.
import { describe, expect, it } from 'vitest';
import { serializeCorrection } from '../../src/lib/records/correction.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import type { Reviewer } from '../../src/lib/records/schema-types.generated.ts';
import { memoryService } from '../helpers/memory-service.ts';

const ann: Reviewer = { name: 'Ann', email: 'ann@example.org' };
const bob: Reviewer = { name: 'Bob', email: 'bob@example.org' };
const three = () => memoryService([{ id: 'c1' }, { id: 'c2' }, { id: 'c3', model_response: 'Paris' }]);

describe('ReviewService', () => {
  it('commits a decision as its correction file and answers with the new counts and queue', async () => {
    const { service, committer } = three();
    const result = await service.decide(ann, { candidate_id: 'c1', action: 'correct', corrected_response: '4\r\n\n' }, { durationMs: 1200, now: new Date('2024-05-01T10:00:00Z') });
    expect(result.path).toBe(correctionPath('c1', ann.email));
    expect(result.correction).toMatchObject({ corrected_response: '4', duration_ms: 1200, decided_at: '2024-05-01T10:00:00.000Z' });
    expect(committer.files.get(result.path)).toBe(serializeCorrection(result.correction));
    expect(result).toMatchObject({ counts: { correct: 1, discard: 0, flag: 0 }, remaining: 2 });
    const backend = service.backend(ann);
    expect((await backend.queue(null, 10)).items.map((c) => c.id)).toEqual(['c2', 'c3']);
    expect(await backend.session()).toMatchObject({ remaining: 2, total: 3 });
    expect((await service.backend(bob).queue(null, 10)).items.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    expect((await backend.stats()).totals).toMatchObject({ candidates: 3, undecided: 2, decided: 1, correct: 1 });
    expect((await backend.facets()).runs).toEqual([{ id: 'run_test', label: 'run_test', total: 3, decided: 1 }]);
  });

  it('refuses an unknown candidate and an unchanged correction, and writes nothing', async () => {
    const { service, committer } = three();
    await expect(service.decide(ann, { candidate_id: 'nope', action: 'discard' })).rejects.toMatchObject({
      code: 'E_UNKNOWN_CANDIDATE',
      message: expect.stringContaining('"nope"'),
    });
    await expect(service.decide(ann, { candidate_id: 'c3', action: 'correct', corrected_response: 'Paris\n' })).rejects.toMatchObject({ code: 'E_UNCHANGED' });
    await expect(service.undo(ann, 'c1')).rejects.toMatchObject({ code: 'E_NOTHING_TO_UNDO' });
    await expect(service.history('nope')).rejects.toMatchObject({ code: 'E_UNKNOWN_CANDIDATE' });
    expect(committer.commits).toEqual([]);
    const unchanged = await service.decide(ann, { candidate_id: 'c3', action: 'correct', corrected_response: 'Paris', unchanged: true });
    expect(unchanged.correction.unchanged).toBe(true);
  });

  it('commits one decision at a time in the order they were made, and a failed one does not stop the next', async () => {
    const { service, committer } = three();
    const order: string[] = [];
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    committer.gate = async () => {
      committer.gate = null;
      order.push('first waits');
      await slow;
    };
    const first = service.decide(ann, { candidate_id: 'c1', action: 'flag' });
    const failing = service.decide(ann, { candidate_id: 'c2', action: 'correct', corrected_response: '' });
    const third = service.decide(ann, { candidate_id: 'c3', action: 'discard' }).then((r) => (order.push('third done'), r));
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(['first waits']);
    release();
    await expect(failing).rejects.toMatchObject({ code: 'E_INVALID_DECISION' });
    await Promise.all([first, third]);
    expect(committer.commits.map((c) => c.path)).toEqual([correctionPath('c1', ann.email), correctionPath('c3', ann.email)]);
    expect((await third).remaining).toBe(1);
  });

  it('undoes a decision: the candidate returns to the queue, and the history shows both, newest first', async () => {
    const { service } = three();
    await service.decide(bob, { candidate_id: 'c2', action: 'discard' }, { now: new Date('2024-05-01T09:00:00Z') });
    await service.decide(ann, { candidate_id: 'c2', action: 'flag' }, { now: new Date('2024-05-01T10:00:00Z') });
    const undone = await service.backend(ann).undo('c2');
    expect(undone).toMatchObject({ undone: { action: 'flag' }, counts: { flag: 0 }, remaining: 3 });
    expect((await service.backend(ann).queue(null, 10)).items.map((c) => c.id)).toContain('c2');
    const history = await service.backend(ann).history('c2');
    expect(history.map((e) => [e.kind, e.author.email])).toEqual([
      ['undo', ann.email],
      ['decision', ann.email],
      ['decision', bob.email],
    ]);
    expect(await service.history('c1')).toEqual([]);
  });
});
