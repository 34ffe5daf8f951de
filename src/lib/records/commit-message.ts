/** The commit message of a decision: a readable subject and machine-readable trailers. */
import type { Correction } from './schema-types.generated.ts';

const SUBJECT_ID_MAX = 60;

/**
 * `plover: correct sftc_… [wrong_answer]`, then trailers naming candidate, action and
 * category, so that history can be read back by tools (`git log --format=%(trailers)`).
 */
export function compileCommitMessage(c: Correction): string {
  const id = c.candidate_id.length > SUBJECT_ID_MAX ? `${c.candidate_id.slice(0, SUBJECT_ID_MAX)}…` : c.candidate_id;
  const category = c.failure_category ?? null;
  const subject = `plover: ${c.action} ${id}${category ? ` [${category}]` : ''}`;
  return [subject, '', `Plover-Candidate: ${c.candidate_id}`, `Plover-Action: ${c.action}`, `Plover-Category: ${category ?? 'none'}`, ''].join('\n');
}

/** `plover: undo correct sftc_… [wrong_answer]`, with the same trailers and `Plover-Action: undo`. */
export function compileUndoMessage(undone: Correction): string {
  const decided = compileCommitMessage(undone)
    .split('\n')[0]!
    .replace(/^plover: /, '');
  return [`plover: undo ${decided}`, '', `Plover-Candidate: ${undone.candidate_id}`, 'Plover-Action: undo', `Plover-Undone-Action: ${undone.action}`, ''].join('\n');
}
