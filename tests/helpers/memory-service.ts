// A review service over candidates written for the test and the in-memory committer.
import { indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { MemoryCommitter } from './memory-committer.ts';
import { ReviewIndex } from '../../src/lib/review/review-index.ts';
import { ReviewService } from '../../src/lib/review/review-service.ts';
import { computeStats } from '../../src/lib/review/stats.ts';
import { candidateLine } from './repo.ts';

/** One candidate per override (see candidateLine), in this order. */
export function memoryService(overrides: Record<string, unknown>[]): { service: ReviewService; committer: MemoryCommitter } {
  const parsed = parseCandidateFile(overrides.map((o) => candidateLine(o)).join('\n'), 'candidates/test.jsonl');
  if (parsed.problems.length) throw new Error(JSON.stringify(parsed.problems));
  const { byId } = indexCandidates(parsed.candidates);
  const data = { candidates: byId, candidateOrder: parsed.candidates.map((c) => c.candidate.id), problems: [] };
  const committer = new MemoryCommitter();
  const index = ReviewIndex.ofData(data, []);
  return { service: new ReviewService(index, committer, async () => computeStats(data.candidates, index.records())), committer };
}
