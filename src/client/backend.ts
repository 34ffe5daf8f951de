/**
 * What the review page needs from wherever decisions are stored. The local label
 * server implements it over HTTP (local-backend.ts); a hosted mode can implement it
 * with git in the page, and tests with anything, without touching the components.
 */
import type { Decision } from '../lib/correction.ts';
import type { HistoryEntry } from '../lib/history.ts';

export type { HistoryEntry };
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
  /** How many candidates this reviewer has left overall. */
  remaining: number;
}

export interface DecisionResult {
  oid: string;
  path: string;
  correction: Correction;
  counts: ActionCounts;
  remaining: number;
}

export interface UndoResult {
  oid: string;
  undone: Correction;
  counts: ActionCounts;
  remaining: number;
}

export interface Facet {
  id: string;
  label: string;
  total: number;
  /** How many of them this reviewer decided. */
  decided: number;
}

export interface Facets {
  runs: Facet[];
  models: Facet[];
  task_types: Facet[];
}

export interface LabelBackend {
  session(): Promise<Session>;
  /** Candidates after `after` (null: from the start), in queue order, matching `filters` (see FilterBar; default: undecided by me). */
  queue(after: string | null, limit: number, filters?: Record<string, string>): Promise<QueuePage>;
  /** Commits a decision; `durationMs` is the time spent on the candidate. @throws BackendError with the server's message. */
  decide(decision: Decision, durationMs?: number): Promise<DecisionResult>;
  /** Undoes this reviewer's decision on a candidate (a new commit). @throws BackendError. */
  undo(candidateId: string): Promise<UndoResult>;
  /** Runs, models and task types, with totals and this reviewer's progress. */
  facets(): Promise<Facets>;
  /** Every decision and undo on a candidate, newest first. */
  history(candidateId: string): Promise<HistoryEntry[]>;
}

/** A failure the page shows to the reviewer as is. */
export class BackendError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'BackendError';
    this.code = code;
  }
}
