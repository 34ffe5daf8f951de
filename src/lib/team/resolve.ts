/**
 * The resolution rule: which one decision stands for a candidate that several reviewers
 * decided, under a policy, or the conflict when the policy cannot choose. The export,
 * the stats, the review index, the hosted clone and the CLI all decide by it.
 */
import type { Action, Correction, FailureCategory } from '../records/schema-types.generated.ts';
import { decidingCorrection } from './review-state.ts';
import { normalizeCorrectedText } from '../records/target-text.ts';

/**
 * How one decision is chosen when several reviewers decided a candidate:
 * - `majority` (default): the action more than half of the reviewers chose; a tie or a
 *   split is a conflict. One reviewer is a majority; a third reviewer settles a 1–1 split.
 * - `unanimous`: only when every reviewer chose the same action.
 * - `latest`: the latest decision, whatever the others said (never a conflict).
 * In every case the chosen action's latest correction gives the text and the category.
 */
export type ResolvePolicy = 'majority' | 'unanimous' | 'latest';
export const RESOLVE_POLICIES: ResolvePolicy[] = ['majority', 'unanimous', 'latest'];

/** Reviewers who disagree about a candidate under the chosen policy. */
export interface Conflict {
  candidate_id: string;
  decisions: { reviewer: string; action: Action; failure_category: FailureCategory | null; decided_at: string }[];
}

/**
 * Chooses the deciding correction of one candidate under `policy`.
 * @returns the decision, or the conflict when the policy cannot choose.
 */
export function resolveDecision(corrections: Correction[], policy: ResolvePolicy): { decision: Correction } | { conflict: Conflict } {
  // An adjudicator's decision settles the candidate under every policy; the latest adjudication wins.
  const adjudications = corrections.filter((c) => c.adjudication);
  if (adjudications.length) return { decision: decidingCorrection(adjudications)! };
  if (policy === 'latest' || corrections.length === 1) return { decision: decidingCorrection(corrections)! };
  const byAction = new Map<Action, Correction[]>();
  for (const c of corrections) byAction.set(c.action, [...(byAction.get(c.action) ?? []), c]);
  const group = [...byAction.values()].sort((a, b) => b.length - a.length)[0]!;
  const wins = policy === 'unanimous' ? byAction.size === 1 : group.length * 2 > corrections.length;
  if (wins) return { decision: decidingCorrection(group)! };
  return {
    conflict: {
      candidate_id: corrections[0]!.candidate_id,
      decisions: [...corrections]
        .sort((a, b) => Date.parse(a.decided_at) - Date.parse(b.decided_at))
        .map((c) => ({ reviewer: c.reviewer.email, action: c.action, failure_category: c.failure_category ?? null, decided_at: c.decided_at })),
    },
  };
}

/**
 * The corrected texts (under the text rule) of the candidates in `sources` whose
 * resolved decision is `correct`: what the context of a later turn carries.
 */
export function resolveCorrectedTurns(groups: Iterable<Correction[]>, sources: Set<string>, policy: ResolvePolicy): Map<string, string> {
  const texts = new Map<string, string>();
  for (const group of groups) {
    const id = group[0]?.candidate_id;
    if (id === undefined || !sources.has(id)) continue;
    const text = resolveCorrectedText(group, policy);
    if (text !== undefined) texts.set(id, text);
  }
  return texts;
}

/** One candidate's corrected text (under the text rule) when its resolved decision is `correct`; undefined for none. */
export function resolveCorrectedText(group: Correction[], policy: ResolvePolicy): string | undefined {
  if (group.length === 0) return undefined;
  const resolved = resolveDecision(group, policy);
  if ('decision' in resolved && resolved.decision.action === 'correct' && resolved.decision.corrected_response) {
    return normalizeCorrectedText(resolved.decision.corrected_response);
  }
  return undefined;
}
