/**
 * A labeling session on a local clone: the one path by which both the label server
 * and `plover submit` turn a decision into a commit.
 */
import type { Decision } from '../lib/correction.ts';
import { PloverError } from '../lib/errors.ts';
import type { LocatedCorrection } from '../lib/export.ts';
import { ReviewIndex } from '../lib/review-index.ts';
import type { Candidate, Reviewer } from '../lib/schema-types.ts';
import { indexWriter } from './git-index.ts';
import { commitDecision, commitUndo, type CommitDecisionResult, type GitFs } from '../git/commit-decision.ts';
import { readCandidateHistory, type HistoryEntry } from './history.ts';

import { invalidRepository, readCandidates, readCorrections, type CandidateData } from '../lib/repository.ts';
import { worktreeSource } from './sources.ts';
import { createAtomicFs } from './atomic-fs.ts';
import { recoverUncommitted, type Recovered } from './recover.ts';

export class Workspace {
  readonly dir: string;
  /** The queue, facets, counts and statistics, kept current with every commit. */
  readonly index: ReviewIndex;
  /** One isomorphic-git cache for the session (the first packed read hashes the whole pack). */
  private readonly cache: object;
  /** Decisions commit one at a time: each commit's parent is the one before. */
  private tail: Promise<unknown> = Promise.resolve();

  /** Decisions a previous, interrupted run wrote but did not commit, committed on opening. */
  readonly recovered: Recovered[];
  private readonly fs: GitFs;

  private constructor(dir: string, data: CandidateData, corrections: LocatedCorrection[], gitFs: GitFs, cache: object, recovered: Recovered[]) {
    this.dir = dir;
    this.fs = gitFs;
    this.cache = cache;
    this.recovered = recovered;
    this.index = new ReviewIndex(data, corrections);
  }

  /**
   * Opens the repository at `dir`. With `corrections: false` (one `plover submit`),
   * existing corrections are not read: a commit does not need them, and the queue and
   * counts then cover only what this Workspace commits.
   * @throws PloverError `E_INVALID_REPOSITORY` listing every invalid candidate or correction.
   */
  static async open(dir: string, options: { corrections?: boolean } = {}): Promise<Workspace> {
    const gitFs = createAtomicFs(`${dir}/.git`);
    const cache = {};
    // A previous run killed mid-commit may have left a decision written but not committed.
    const recovered = await recoverUncommitted({ fs: gitFs, dir, cache });
    const source = worktreeSource(dir);
    const data = await readCandidates(source);
    const read = options.corrections === false ? { corrections: [], problems: [] } : await readCorrections(source, data.candidates);
    const problems = [...data.problems, ...read.problems];
    if (problems.length) throw invalidRepository(problems);
    return new Workspace(dir, data, read.corrections, gitFs, cache, recovered);
  }

  /**
   * Commits one decision, after every decision submitted before it.
   * @throws PloverError `E_UNKNOWN_CANDIDATE`, or whatever commitDecision throws; nothing is written then.
   */
  submit(decision: Decision, reviewer: Reviewer, options: { now?: Date; durationMs?: number } = {}): Promise<CommitDecisionResult> {
    return this.serialize(async () => {
      const candidate = this.requireCandidate(decision.candidate_id);
      const result = await commitDecision({ fs: this.fs, dir: this.dir, cache: this.cache, index: indexWriter(this.dir), decision, reviewer, modelResponse: candidate.model_response, ...options });
      this.index.set({ correction: result.correction, file: result.path });
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
      const result = await commitUndo({ fs: this.fs, dir: this.dir, cache: this.cache, index: indexWriter(this.dir), candidateId, reviewer, ...(now ? { now } : {}) });
      this.index.delete(result.path);
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

  private requireCandidate(id: string): Candidate {
    const candidate = this.index.candidate(id);
    if (!candidate) {
      throw new PloverError('E_UNKNOWN_CANDIDATE', `unknown candidate ${JSON.stringify(id)}: no line in candidates/*.jsonl has this id (see \`plover validate\`)`);
    }
    return candidate;
  }
}
