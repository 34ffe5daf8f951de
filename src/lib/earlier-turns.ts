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
 * Where a run has matches, only those are taken; candidates of other runs match only
 * an assistant message that none of its own run produced.
 */
export function indexEarlierTurns(candidates: Map<string, LocatedCandidate>): EarlierTurnIndex {
  const turns: EarlierTurns = new Map();
  const sources = new Set<string>();
  // Only prompts with an assistant message are looked at. Keyed by the text, then the run:
  // one pass finds the matches within each run, a second (only for what is left) any run.
  const wanted = new Map<string, Map<string, Wanted[]>>();
  for (const { candidate } of candidates.values()) {
    candidate.prompt_messages.forEach((m, index) => {
      if (m.role !== 'assistant') return;
      let byRun = wanted.get(m.content);
      if (!byRun) wanted.set(m.content, (byRun = new Map()));
      const list = byRun.get(candidate.benchmark_run_id);
      if (list) list.push({ candidate, index, found: [] });
      else byRun.set(candidate.benchmark_run_id, [{ candidate, index, found: [] }]);
    });
  }
  if (wanted.size === 0) return { turns, sources };
  const match = (earlier: Candidate, w: Wanted) => {
    if (earlier !== w.candidate && earlier.model_id === w.candidate.model_id && sameMessages(earlier.prompt_messages, w.candidate.prompt_messages.slice(0, w.index))) w.found.push(earlier);
  };
  // A length is checked before a text is looked up: most responses are nobody's earlier turn.
  const lengths = new Set([...wanted.keys()].map((t) => t.length));
  for (const { candidate: earlier } of candidates.values()) {
    if (!lengths.has(earlier.model_response.length)) continue;
    for (const w of wanted.get(earlier.model_response)?.get(earlier.benchmark_run_id) ?? []) match(earlier, w);
  }
  const unmatched = [...wanted.values()].flatMap((byRun) => [...byRun.values()].flat()).filter((w) => w.found.length === 0);
  if (unmatched.length) {
    const byText = new Map<string, Wanted[]>();
    for (const w of unmatched) {
      const text = w.candidate.prompt_messages[w.index]!.content;
      byText.set(text, [...(byText.get(text) ?? []), w]);
    }
    for (const { candidate: earlier } of candidates.values()) for (const w of byText.get(earlier.model_response) ?? []) match(earlier, w);
  }
  for (const byRun of wanted.values()) {
    for (const list of byRun.values()) {
      for (const w of list) {
        if (!w.found.length) continue;
        const ids = w.found.map((e) => e.id).sort();
        let byIndex = turns.get(w.candidate.id);
        if (!byIndex) turns.set(w.candidate.id, (byIndex = new Map()));
        byIndex.set(w.index, ids);
        for (const id of ids) sources.add(id);
      }
    }
  }
  return { turns, sources };
}

/** An assistant message of a prompt, and the candidates found to have produced it. */
interface Wanted {
  candidate: Candidate;
  index: number;
  found: Candidate[];
}
