/**
 * Review state, derived from corrections (never stored in candidate files): which
 * candidates a reviewer still has to decide, and counts per action.
 */
import { normalizeEmail } from '../records/paths.ts';
import type { Action, Candidate, Correction } from '../records/schema-types.generated.ts';
import { ACTIONS } from '../records/schemas.ts';

/** The candidates this reviewer has not decided yet, in the given (file) order. */
export function compileQueue(candidates: Iterable<Candidate>, corrections: Iterable<Correction>, reviewerEmail: string): Candidate[] {
  const me = normalizeEmail(reviewerEmail);
  const decided = new Set<string>();
  for (const c of corrections) if (normalizeEmail(c.reviewer.email) === me) decided.add(c.candidate_id);
  return [...candidates].filter((c) => !decided.has(c.id));
}

export type ActionCounts = Record<Action, number>;

/** Counts corrections per action, optionally only those of one reviewer. */
export function countByAction(corrections: Iterable<Pick<Correction, 'action'> & { reviewer: { email: string } }>, reviewerEmail?: string): ActionCounts {
  const counts = Object.fromEntries(ACTIONS.map((a) => [a.value, 0])) as ActionCounts;
  const me = reviewerEmail === undefined ? undefined : normalizeEmail(reviewerEmail);
  for (const c of corrections) {
    if (me === undefined || normalizeEmail(c.reviewer.email) === me) counts[c.action] += 1;
  }
  return counts;
}

/**
 * The correction that decides a candidate when several reviewers decided it: the
 * latest `decided_at`, ties broken by reviewer email, so the choice is deterministic.
 */
export function decidingCorrection(corrections: Correction[]): Correction | undefined {
  let best: Correction | undefined;
  let bestTime = -Infinity;
  for (const c of corrections) {
    // Compare instants, not strings: records may carry any ISO 8601 offset.
    const time = Date.parse(c.decided_at);
    if (!best || time > bestTime || (time === bestTime && normalizeEmail(c.reviewer.email) > normalizeEmail(best.reviewer.email))) {
      best = c;
      bestTime = time;
    }
  }
  return best;
}

/** Groups corrections (or records holding one) by candidate id, in the order given. */
export function groupByCandidate<T>(items: Iterable<T>, candidateOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const id = candidateOf(item);
    const list = groups.get(id);
    if (list) list.push(item);
    else groups.set(id, [item]);
  }
  return groups;
}
