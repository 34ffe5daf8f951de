/**
 * Where a decision becomes a commit: the record is built and validated, then written by
 * commitFile (objects along the one changed path; see commit-file.ts). Undoing a
 * decision is a new commit too, which removes the reviewer's file: history is never
 * rewritten, and the candidate returns to that reviewer's queue.
 */
import { createCorrection, parseCorrection, serializeCorrection, type Decision } from '../lib/records/correction.ts';
import { compileCommitMessage, compileUndoMessage } from '../lib/records/commit-message.ts';
import { PloverError } from '../lib/errors.ts';
import { correctionPath } from '../lib/records/paths.ts';
import type { Correction, Reviewer } from '../lib/records/schema-types.generated.ts';
import { commitFile, readCommittedFile, type GitTarget } from './commit-file.ts';

export type { GitFs } from './commit-file.ts';

export interface CommitDecisionOptions extends GitTarget {
  decision: Decision;
  reviewer: Reviewer;
  /** The decision time; also the commit's author and committer time. */
  now?: Date;
  /** Milliseconds the reviewer spent on the candidate, recorded in the correction. */
  durationMs?: number;
  /** The candidate's model response, so that an unchanged correction is caught (see createCorrection). */
  modelResponse?: string;
}

export interface CommitDecisionResult {
  /** The new commit's sha. */
  oid: string;
  /** The correction file, relative to the repository root. */
  path: string;
  correction: Correction;
}

/**
 * Turns one reviewer's decision into one commit that adds or replaces its correction file.
 * @throws PloverError `E_INVALID_DECISION`, `E_UNCHANGED` (nothing written then), `E_DETACHED_HEAD`, `E_REF_MOVED`.
 */
export async function commitDecision(options: CommitDecisionOptions): Promise<CommitDecisionResult> {
  const now = options.now ?? new Date();
  const correction = createCorrection(options.decision, options.reviewer, now, {
    ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
    ...(options.modelResponse === undefined ? {} : { modelResponse: options.modelResponse }),
  });
  const path = correctionPath(correction.candidate_id, correction.reviewer.email);
  const oid = await commitFile({
    ...options,
    path,
    text: serializeCorrection(correction),
    message: compileCommitMessage(correction),
    author: { name: correction.reviewer.name, email: correction.reviewer.email, date: now },
  });
  return { oid, path, correction };
}

export interface CommitUndoOptions extends GitTarget {
  candidateId: string;
  reviewer: Reviewer;
  now?: Date;
}

/**
 * Undoes the reviewer's current decision on a candidate by a commit that removes its file.
 * @returns the commit and the correction it removed.
 * @throws PloverError `E_NOTHING_TO_UNDO` when the reviewer has no decision on it.
 */
export async function commitUndo(options: CommitUndoOptions): Promise<{ oid: string; path: string; undone: Correction }> {
  const now = options.now ?? new Date();
  const path = correctionPath(options.candidateId, options.reviewer.email);
  const text = await readCommittedFile(options, path);
  const undone = text === null ? undefined : parseCorrection(text, path).correction;
  if (!undone) {
    throw new PloverError('E_NOTHING_TO_UNDO', `${options.reviewer.email} has no decision on ${JSON.stringify(options.candidateId)} to undo`);
  }
  const oid = await commitFile({
    ...options,
    path,
    text: null,
    message: compileUndoMessage(undone),
    author: { name: options.reviewer.name, email: options.reviewer.email, date: now },
  });
  return { oid, path, undone };
}
