/**
 * Earlier turns of multi-turn prompts. An MT-Bench turn-2 candidate carries the model's
 * own turn-1 answer as an assistant message of its prompt; that answer is often itself a
 * candidate (same model, the same earlier messages as its prompt, its response equal to
 * the assistant message). Found by content, so that the export can put a reviewer's
 * correction of that turn in the context instead of the failed answer.
 */
import type { LocatedCandidate } from './candidates.ts';
import type { Candidate, Message } from './schema-types.ts';

/** For a candidate, the prompt index of each assistant message and the candidates that produced it. */
export type EarlierTurns = Map<string, Map<number, string[]>>;

export interface EarlierTurnIndex {
  /** Candidate id → prompt index of an assistant message → ids of the candidates whose response it is. */
  turns: EarlierTurns;
  /** Every candidate that is an earlier turn of another. */
  sources: Set<string>;
}

function sameMessages(a: Message[], b: Message[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.role !== b[i]!.role || a[i]!.content !== b[i]!.content) return false;
  return true;
}

/**
 * Finds, for every assistant message in a prompt, the candidates it is the response of:
 * the same model, a prompt equal to the messages before it, a model response equal to it.
 * Where several match, those of the same benchmark run are preferred.
 */
export function indexEarlierTurns(candidates: Map<string, LocatedCandidate>): EarlierTurnIndex {
  const turns: EarlierTurns = new Map();
  const sources = new Set<string>();
  // Only prompts with an assistant message are looked at; a Map keyed by the text keeps the scan linear.
  const wanted = new Map<string, { candidate: Candidate; index: number }[]>();
  for (const { candidate } of candidates.values()) {
    candidate.prompt_messages.forEach((m, index) => {
      if (m.role !== 'assistant') return;
      const list = wanted.get(m.content);
      if (list) list.push({ candidate, index });
      else wanted.set(m.content, [{ candidate, index }]);
    });
  }
  if (wanted.size === 0) return { turns, sources };
  const matches = new Map<Candidate, Map<number, Candidate[]>>();
  for (const { candidate: earlier } of candidates.values()) {
    const list = wanted.get(earlier.model_response);
    if (!list) continue;
    for (const { candidate, index } of list) {
      if (earlier === candidate || earlier.model_id !== candidate.model_id) continue;
      if (!sameMessages(earlier.prompt_messages, candidate.prompt_messages.slice(0, index))) continue;
      let byIndex = matches.get(candidate);
      if (!byIndex) matches.set(candidate, (byIndex = new Map()));
      byIndex.set(index, [...(byIndex.get(index) ?? []), earlier]);
    }
  }
  for (const [candidate, byIndex] of matches) {
    const resolved = new Map<number, string[]>();
    for (const [index, found] of byIndex) {
      const sameRun = found.filter((e) => e.benchmark_run_id === candidate.benchmark_run_id);
      const ids = (sameRun.length ? sameRun : found).map((e) => e.id).sort();
      resolved.set(index, ids);
      for (const id of ids) sources.add(id);
    }
    turns.set(candidate.id, resolved);
  }
  return { turns, sources };
}
