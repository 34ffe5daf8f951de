/**
 * The Committer of local mode: each decision is a commit on the checked-out branch of a
 * local clone, with the correction file and its index entry written too, so `git status`
 * stays clean (see git/commit-decision.ts). A pending note covers each commit in flight,
 * so a killed process loses nothing (see recover.ts). History is read with git itself.
 */
import { commitDecision, commitUndo, type GitFs } from '../git/commit-decision.ts';
import type { Decision } from '../lib/correction.ts';
import { correctionPath } from '../lib/paths.ts';
import type { CommitOptions, Committer } from '../lib/review-service.ts';
import type { Reviewer } from '../lib/schema-types.ts';
import { indexWriter } from './git-index.ts';
import { readCandidateHistory } from './history.ts';
import { notePending } from './recover.ts';
import { refUpdater } from './ref-update.ts';
import { treeReader } from './tree-reader.ts';

/** A commit's target in the working tree at `dir`, with the Node ways of writing the index and the branch and of reading trees. */
export function worktreeTarget(dir: string, fs: GitFs, cache: object) {
  return { fs, dir, cache, index: indexWriter(dir), updateRef: refUpdater(fs, `${dir}/.git`), readTrees: treeReader(dir) };
}

export class WorktreeCommitter implements Committer {
  private readonly dir: string;
  private readonly fs: GitFs;
  /** One isomorphic-git cache for the session (the first packed read hashes the whole pack). */
  private readonly cache: object;

  constructor(dir: string, fs: GitFs, cache: object) {
    this.dir = dir;
    this.fs = fs;
    this.cache = cache;
  }

  private target() {
    return worktreeTarget(this.dir, this.fs, this.cache);
  }

  async commit(decision: Decision, reviewer: Reviewer, options: CommitOptions) {
    const done = notePending(this.dir, correctionPath(decision.candidate_id, reviewer.email));
    const result = await commitDecision({ ...this.target(), decision, reviewer, ...options });
    done();
    return result;
  }

  async undo(candidateId: string, reviewer: Reviewer, now?: Date) {
    const done = notePending(this.dir, correctionPath(candidateId, reviewer.email));
    const result = await commitUndo({ ...this.target(), candidateId, reviewer, ...(now ? { now } : {}) });
    done();
    return result;
  }

  history(candidateId: string) {
    return readCandidateHistory(this.dir, candidateId);
  }
}
