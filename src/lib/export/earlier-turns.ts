/**
 * Earlier turns of multi-turn prompts. An MT-Bench turn-2 candidate carries the model's
 * own turn-1 answer as an assistant message of its prompt; that answer is often itself a
 * candidate (same model, the same earlier messages as its prompt, its response equal to
 * the assistant message). Found by content, so that the export can put a reviewer's
 * correction of that turn in the context instead of the failed answer.
 */
import type { LocatedCandidate } from '../records/candidates.ts';
import type { Candidate, Message } from '../records/schema-types.generated.ts';
import { compareOrdinal } from '../ordinal.ts';

/** For a candidate, the prompt index of each assistant message and the candidates that produced it. */
export type EarlierTurns = Map<string, Map<number, string[]>>;

export interface EarlierTurnIndex {
  /** Candidate id → prompt index of an assistant message → ids of the candidates whose response it is. */
  turns: EarlierTurns;
  /** Every candidate that is an earlier turn of another. */
  sources: Set<string>;
}

/** Whether `prompt` equals the first `n` messages of `messages`. */
function samePrefix(prompt: Message[], messages: Message[], n: number): boolean {
  if (prompt.length !== n) return false;
  for (let i = 0; i < n; i++) if (prompt[i]!.role !== messages[i]!.role || prompt[i]!.content !== messages[i]!.content) return false;
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
  // Only prompts with an assistant message are looked at. Keyed by a short fingerprint of
  // the text (hashing every response whole was a tenth of an export at 100k), then the
  // run: one pass finds the matches within each run, a second (only for what is left) any run.
  const wanted = new Map<string, Map<string, Wanted[]>>();
  const all: Wanted[] = [];
  for (const { candidate } of candidates.values()) {
    const messages = candidate.prompt_messages;
    for (let index = 1; index < messages.length; index++) {
      const m = messages[index]!;
      if (m.role !== 'assistant') continue;
      const key = fingerprint(m.content);
      let byRun = wanted.get(key);
      if (!byRun) wanted.set(key, (byRun = new Map()));
      const w: Wanted = { candidate, index, found: [] };
      all.push(w);
      const list = byRun.get(candidate.benchmark_run_id);
      if (list) list.push(w);
      else byRun.set(candidate.benchmark_run_id, [w]);
    }
  }
  if (all.length === 0) return { turns, sources };
  const match = (earlier: Candidate, w: Wanted) => {
    if (
      earlier !== w.candidate &&
      earlier.model_id === w.candidate.model_id &&
      earlier.model_response === w.candidate.prompt_messages[w.index]!.content &&
      samePrefix(earlier.prompt_messages, w.candidate.prompt_messages, w.index)
    ) {
      w.found.push(earlier);
    }
  };
  // A length is checked before a text is looked up: most responses are nobody's earlier turn.
  const lengths = new Set(all.map((w) => w.candidate.prompt_messages[w.index]!.content.length));
  for (const { candidate: earlier } of candidates.values()) {
    if (!lengths.has(earlier.model_response.length)) continue;
    for (const w of wanted.get(fingerprint(earlier.model_response))?.get(earlier.benchmark_run_id) ?? []) match(earlier, w);
  }
  const unmatched = all.filter((w) => w.found.length === 0);
  if (unmatched.length) {
    const byText = new Map<string, Wanted[]>();
    for (const w of unmatched) {
      const key = fingerprint(w.candidate.prompt_messages[w.index]!.content);
      const list = byText.get(key);
      if (list) list.push(w);
      else byText.set(key, [w]);
    }
    for (const { candidate: earlier } of candidates.values()) {
      if (lengths.has(earlier.model_response.length)) for (const w of byText.get(fingerprint(earlier.model_response)) ?? []) match(earlier, w);
    }
  }
  for (const w of all) {
    if (!w.found.length) continue;
    const ids = w.found.length === 1 ? [w.found[0]!.id] : w.found.map((e) => e.id).sort(compareOrdinal);
    let byIndex = turns.get(w.candidate.id);
    if (!byIndex) turns.set(w.candidate.id, (byIndex = new Map()));
    byIndex.set(w.index, ids);
    for (const id of ids) sources.add(id);
  }
  return { turns, sources };
}

/** An assistant message of a prompt, and the candidates found to have produced it. */
interface Wanted {
  candidate: Candidate;
  index: number;
  found: Candidate[];
}

/** The length and both ends of a text: equal texts have equal fingerprints; a match is then compared whole. */
function fingerprint(text: string): string {
  return text.length <= 64 ? text : `${text.length}\u0000${text.slice(0, 24)}\u0000${text.slice(-24)}`;
}
