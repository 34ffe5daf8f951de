// ReviewIndex keeps each reviewer's decisions as they change; its answers must equal a
// plain recomputation over every correction, whatever the order of decisions and undos.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { createCorrection } from '../../src/lib/records/correction.ts';
import { resolveDecision } from '../../src/lib/team/resolve.ts';
import { correctionPath, normalizeEmail } from '../../src/lib/records/paths.ts';
import { ReviewIndex } from '../../src/lib/review/review-index.ts';
import { compileQueue, countByAction } from '../../src/lib/team/review-state.ts';
import type { Action, Reviewer } from '../../src/lib/records/schema-types.generated.ts';
import { candidateLine } from '../helpers/repo.ts';
import type { LocatedCorrection } from '../../src/lib/records/correction.ts';

const IDS = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
const MODELS = ['m-a', 'm-b'];
// Two spellings of one reviewer: the index must treat them as one person.
const REVIEWERS: Reviewer[] = [
  { name: 'Ann', email: 'ann@example.org' },
  { name: 'Ann', email: 'ANN@Example.org' },
  { name: 'Bob', email: 'bob@example.org' },
];

function candidates() {
  const text = IDS.map((id, i) => candidateLine({ id, model_id: MODELS[i % 2], benchmark_run_id: i < 3 ? 'run_a' : 'run_b' })).join('\n');
  const parsed = parseCandidateFile(text, 'candidates/runs.jsonl');
  const { byId } = indexCandidates(parsed.candidates);
  return { candidates: byId, candidateOrder: IDS, problems: [] };
}

function located(id: string, reviewer: Reviewer, action: Action, minute: number): LocatedCorrection {
  const correction = createCorrection({ candidate_id: id, action, corrected_response: action === 'correct' ? 'fixed' : null }, reviewer, new Date(Date.UTC(2024, 0, 1, 0, minute)));
  return { correction, file: correctionPath(id, reviewer.email) };
}

const step = fc.record({
  undo: fc.boolean(),
  id: fc.constantFrom(...IDS),
  reviewer: fc.constantFrom(...REVIEWERS),
  action: fc.constantFrom<Action>('correct', 'discard', 'flag'),
});

describe('ReviewIndex', () => {
  it('answers as a recomputation over all corrections would, after any decisions and undos', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), fc.integer({ min: 0, max: 10 }), async (steps, initial) => {
        const data = candidates();
        const start = steps
          .slice(0, initial)
          .filter((s) => !s.undo)
          .map((s, i) => located(s.id, s.reviewer, s.action, i));
        // Later ones at the same path replace earlier ones, as a repository holds one file per path.
        const model = new Map(start.map((c) => [c.file, c]));
        const index = ReviewIndex.ofData(data, start);
        steps.slice(initial).forEach((s, i) => {
          const c = located(s.id, s.reviewer, s.action, 100 + i);
          if (s.undo) {
            index.delete(c.file);
            model.delete(c.file);
          } else {
            index.set(c);
            model.set(c.file, c);
          }
        });
        const records = [...model.values()].map((c) => c.correction);
        for (const reviewer of REVIEWERS) {
          const mine = records.filter((c) => normalizeEmail(c.reviewer.email) === normalizeEmail(reviewer.email));
          expect(index.counts(reviewer)).toEqual(countByAction(records, reviewer.email));
          const queue = compileQueue(
            data.candidateOrder.map((id) => data.candidates.get(id)!.candidate),
            records,
            reviewer.email,
          );
          expect(index.remaining(reviewer)).toBe(queue.length);
          expect((await index.queuePage(reviewer, null, 100)).items.map((c) => c.id)).toEqual(queue.map((c) => c.id));
          // Page by page, as the review page loads it, the same queue.
          const paged: string[] = [];
          for (let page = await index.queuePage(reviewer, null, 2); page.items.length > 0; page = await index.queuePage(reviewer, paged.at(-1)!, 2)) {
            paged.push(...page.items.map((c) => c.id));
          }
          expect(paged).toEqual(queue.map((c) => c.id));
          const facets = index.facets(reviewer);
          for (const model of MODELS) {
            const all = IDS.filter((_, i) => MODELS[i % 2] === model);
            expect(facets.models.find((f) => f.id === model)).toMatchObject({ total: all.length, decided: all.filter((id) => mine.some((c) => c.candidate_id === id)).length });
          }
          expect(facets.runs.map((f) => [f.id, f.total])).toEqual([
            ['run_a', 3],
            ['run_b', 3],
          ]);
          expect(facets.runs.map((f) => f.decided)).toEqual([IDS.slice(0, 3), IDS.slice(3)].map((ids) => ids.filter((id) => mine.some((c) => c.candidate_id === id)).length));
        }
        expect(index.records()).toHaveLength(records.length);
        // "In conflict" is the default policy's conflict over each candidate's current decisions.
        const inConflict = IDS.filter((id) => {
          const group = records.filter((c) => c.candidate_id === id);
          return group.length > 1 && 'conflict' in resolveDecision(group, 'majority');
        });
        expect(IDS.filter((id) => index.inConflict(id))).toEqual(inConflict);
        expect((await index.queuePage(REVIEWERS[2]!, null, 100, { state: 'conflict', sort: 'file' })).items.map((c) => c.id)).toEqual(inConflict);
      }),
      { numRuns: 200 },
    );
  });
});
