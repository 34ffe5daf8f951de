/**
 * What the review page needs from wherever decisions are stored. The local label
 * server implements it over HTTP (local-backend.ts); a hosted mode can implement it
 * with git in the page, and tests with anything, without touching the components.
 */
import type { Decision } from '../lib/correction.ts';
import type { ActionCounts } from '../lib/review-state.ts';
import type { Candidate, Correction, Reviewer } from '../lib/schema-types.ts';

export interface Session {
  reviewer: Reviewer;
  counts: ActionCounts;
  remaining: number;
  total: number;
}

export interface QueuePage {
  items: Candidate[];
  remaining: number;
}

export interface DecisionResult {
  oid: string;
  path: string;
  correction: Correction;
  counts: ActionCounts;
  remaining: number;
}

export interface LabelBackend {
  session(): Promise<Session>;
  /** Undecided candidates after `after` (null: from the start), in queue order. */
  queue(after: string | null, limit: number): Promise<QueuePage>;
  /** Commits a decision. @throws BackendError with the server's message. */
  decide(decision: Decision): Promise<DecisionResult>;
}

/** A failure the page shows to the reviewer as is. */
export class BackendError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'BackendError';
    this.code = code;
  }
}
