/**
 * A labeling session on a local clone: the one path by which both the label server
 * and `plover submit` turn a decision into a commit.
 */
import * as fs from 'node:fs';
import type { Decision } from '../lib/correction.ts';
import { PloverError } from '../lib/errors.ts';
import type { LocatedCorrection } from '../lib/export.ts';
import { compileQueue, countByAction } from '../lib/review-state.ts';
import type { Candidate, Reviewer } from '../lib/schema-types.ts';
import { commitDecision, commitUndo, type CommitDecisionResult, type GitFs } from '../git/commit-decision.ts';
import { readCandidateHistory, type HistoryEntry } from './history.ts';

const nodeFs = fs as unknown as GitFs;
import { invalidRepository, readCandidates, readCorrections, type CandidateData } from './repository.ts';
import { worktreeSource } from './sources.ts';
import type { LocatedCorrection as Located } from '../lib/export.ts';

export class Workspace {
  readonly dir: string;
  private readonly data: CandidateData;
  /** Corrections by path: a new decision of the same reviewer replaces the old one. */
  private readonly corrections: Map<string, LocatedCorrection>;
  /** Each candidate's place in file order, for paging the queue. */
  private readonly position: Map<string, number>;
  /** One isomorphic-git cache for the session (the first packed read hashes the whole pack). */
  private readonly cache = {};
  /** Decisions commit one at a time: each commit's parent is the one before. */
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(dir: string, data: CandidateData, corrections: Located[]) {
    this.dir = dir;
    this.data = data;
    this.corrections = new Map(corrections.map((c) => [c.file, c]));
    this.position = new Map(data.candidateOrder.map((id, i) => [id, i]));
  }

  /**
   * Opens the repository at `dir`. With `corrections: false` (one `plover submit`),
   * existing corrections are not read: a commit does not need them, and the queue and
   * counts then cover only what this Workspace commits.
   * @throws PloverError `E_INVALID_REPOSITORY` listing every invalid candidate or correction.
   */
  static async open(dir: string, options: { corrections?: boolean } = {}): Promise<Workspace> {
    const source = worktreeSource(dir);
    const data = await readCandidates(source);
    const read = options.corrections === false ? { corrections: [], problems: [] } : await readCorrections(source, data.candidates);
    const problems = [...data.problems, ...read.problems];
    if (problems.length) throw invalidRepository(problems);
    return new Workspace(dir, data, read.corrections);
  }

  get candidateCount(): number {
    return this.data.candidates.size;
  }

  /** The candidates this reviewer has not decided yet, in file order. */
  queue(reviewer: Reviewer): Candidate[] {
    const ordered = this.data.candidateOrder.map((id) => this.data.candidates.get(id)!.candidate);
    return compileQueue(ordered, this.correctionRecords(), reviewer.email);
  }

  /**
   * One page of the queue: up to `limit` undecided candidates that come after `after`
   * in file order (from the start when `after` is null or unknown), and how many remain.
   */
  queuePage(reviewer: Reviewer, after: string | null, limit: number): { items: Candidate[]; remaining: number } {
    const queue = this.queue(reviewer);
    const position = after === null ? -1 : (this.position.get(after) ?? -1);
    const start = queue.findIndex((c) => this.position.get(c.id)! > position);
    return { items: start < 0 ? [] : queue.slice(start, start + limit), remaining: queue.length };
  }

  /** This reviewer's decisions per action. */
  counts(reviewer: Reviewer) {
    return countByAction(this.correctionRecords(), reviewer.email);
  }

  /**
   * Commits one decision, after every decision submitted before it.
   * @throws PloverError `E_UNKNOWN_CANDIDATE`, or whatever commitDecision throws; nothing is written then.
   */
  submit(decision: Decision, reviewer: Reviewer, options: { now?: Date; durationMs?: number } = {}): Promise<CommitDecisionResult> {
    return this.serialize(async () => {
      this.requireCandidate(decision.candidate_id);
      const result = await commitDecision({ fs: nodeFs, dir: this.dir, cache: this.cache, decision, reviewer, ...options });
      this.corrections.set(result.path, { correction: result.correction, file: result.path });
      return result;
    });
  }

  /**
   * Undoes the reviewer's current decision on a candidate (a commit that removes its file).
   * @throws PloverError `E_UNKNOWN_CANDIDATE`, `E_NOTHING_TO_UNDO`.
   */
  undo(candidateId: string, reviewer: Reviewer, now?: Date) {
    return this.serialize(async () => {
      this.requireCandidate(candidateId);
      const result = await commitUndo({ fs: nodeFs, dir: this.dir, cache: this.cache, candidateId, reviewer, ...(now ? { now } : {}) });
      this.corrections.delete(result.path);
      return result;
    });
  }

  /** Who decided what on a candidate, when, in which commit: read from git. */
  history(candidateId: string): Promise<HistoryEntry[]> {
    this.requireCandidate(candidateId);
    return readCandidateHistory(this.dir, candidateId);
  }

  /** Runs git writes one at a time: each commit's parent is the one before. */
  private serialize<T>(run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private requireCandidate(id: string) {
    if (!this.data.candidates.has(id)) {
      throw new PloverError('E_UNKNOWN_CANDIDATE', `unknown candidate ${JSON.stringify(id)}: no line in candidates/*.jsonl has this id (see \`plover validate\`)`);
    }
  }

  private correctionRecords() {
    return [...this.corrections.values()].map((c) => c.correction);
  }
}
