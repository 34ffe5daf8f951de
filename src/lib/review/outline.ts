/**
 * What the review index (review-index.ts) reads of candidates and corrections: their
 * outlines, everything the queue, its filters, facets and siblings need but the texts,
 * which come from a CandidateTexts when a card shows them.
 */
import type { Candidate, Correction, Reviewer } from '../records/schema-types.generated.ts';
import { promptKeys, type PromptKeys } from './siblings.ts';

/** What the queue, its filters, sort orders, facets and siblings read of a candidate: everything but its texts, and its prompt's keys. */
export type CandidateOutline = Pick<Candidate, 'id' | 'benchmark_run_id' | 'model_id' | 'model_name' | 'task_type' | 'quality_score' | 'timestamp'> & PromptKeys;

/** What the index reads of a correction: who decided what on which candidate. */
export interface LocatedOutline {
  file: string;
  correction: Pick<Correction, 'candidate_id' | 'action' | 'failure_category' | 'adjudication'> & { reviewer: Pick<Reviewer, 'email'> };
}

/** Where the whole candidates (with their texts) come from. */
export interface CandidateTexts {
  /** The candidate, once `load` brought it in. */
  get(id: string): Candidate | undefined;
  /** Brings these candidates (every candidate when `ids` is omitted) into memory. */
  load(ids?: string[]): Promise<void>;
}

/** A candidate's outline. */
export function outlineOf(c: Candidate): CandidateOutline {
  const outline: CandidateOutline = {
    id: c.id,
    benchmark_run_id: c.benchmark_run_id,
    model_id: c.model_id,
    model_name: c.model_name,
    task_type: c.task_type,
    quality_score: c.quality_score,
    ...promptKeys(c),
  };
  if (c.timestamp !== undefined) outline.timestamp = c.timestamp;
  return outline;
}
