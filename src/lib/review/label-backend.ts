/**
 * What the review and stats pages ask of wherever decisions are stored. ReviewService
 * (review-service.ts) answers it in the page in hosted mode and in the label server in
 * local mode, where client/local-backend.ts carries it over HTTP; components see only
 * this interface. Failures are PloverErrors whose message is shown to the reviewer as is.
 */
import type { Decision } from '../records/correction.ts';
import type { HistoryEntry } from './history.ts';
import type { ActionCounts } from '../team/review-state.ts';
import type { Action, Candidate, Correction, Reviewer } from '../records/schema-types.generated.ts';
import type { Start } from './siblings.ts';
import type { Stats } from './stats.ts';

export type { HistoryEntry, Stats };

export interface Session {
  reviewer: Reviewer;
  counts: ActionCounts;
  remaining: number;
  total: number;
  /** When the reviewer is on the team of plover.config.json: reviewers per candidate, and how many candidates are assigned to them. */
  team?: { overlap: number; assigned: number };
  /** When the reviewer is an adjudicator (team.adjudicators): their decision settles a candidate the others disagree on. */
  adjudicator?: boolean;
}

export interface QueuePage {
  items: Candidate[];
  /** How many candidates this reviewer has left overall. */
  remaining: number;
  /** How many candidates match the filters in all; given with the first page (`after` null). */
  matching?: number;
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

/** A sibling of a candidate (the same question in another run, lib/review/siblings.ts) as the card shows it. */
export interface SiblingView {
  id: string;
  /** The whole candidate (its response, for deciding it from the card of another). */
  candidate: Candidate;
  model: string;
  run: string;
  score: number | null;
  /** Each reviewer's current decision on it. */
  decisions: { reviewer: string; action: Action }[];
  /** Its resolved correction's text, when its reviewers settled on `correct`. */
  corrected?: string;
}

/** What the card shows beside a candidate: its siblings, and the starts `s` cycles through (the model's response last). */
export interface CardContext {
  candidate_id: string;
  /** How many siblings the candidate has; `siblings` lists MAX_SIBLINGS of them at most (lib/review/siblings.ts), those with decisions first. */
  sibling_count: number;
  siblings: SiblingView[];
  starts: Start[];
}

export interface LabelBackend {
  session(): Promise<Session>;
  /** Candidates after `after` (null: from the start), in queue order, matching `filters` (lib/review/queue-filter.ts; default: undecided by me). */
  queue(after: string | null, limit: number, filters?: Record<string, string>): Promise<QueuePage>;
  /** Commits a decision; `durationMs` is the time spent on the candidate. @throws PloverError with a message for the reviewer. */
  decide(decision: Decision, durationMs?: number): Promise<DecisionResult>;
  /** Undoes this reviewer's decision on a candidate (a new commit). @throws PloverError. */
  undo(candidateId: string): Promise<UndoResult>;
  /** Runs, models and task types, with totals and this reviewer's progress. */
  facets(): Promise<Facets>;
  /** A candidate's siblings and starting points. @throws PloverError `E_UNKNOWN_CANDIDATE`. */
  context(candidateId: string): Promise<CardContext>;
  /** Every decision and undo on a candidate, newest first. */
  history(candidateId: string): Promise<HistoryEntry[]>;
  /** Review statistics of every reviewer (what `plover stats` prints). */
  stats(): Promise<Stats>;
}
