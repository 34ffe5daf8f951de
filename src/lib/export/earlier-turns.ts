/**
 * Earlier turns of multi-turn prompts. An MT-Bench turn-2 candidate carries the model's
 * own turn-1 answer as an assistant message of its prompt; that answer is often itself a
 * candidate (same model, the same earlier messages as its prompt, its response equal to
 * the assistant message). Found by content, so that the export can put a reviewer's
 * correction of that turn in the context instead of the failed answer.
 */
import type { LocatedCandidate } from '../records/candidates.ts';
import type { Candidate } from '../records/schema-types.generated.ts';
import { compareOrdinal } from '../ordinal.ts';
import { memoizeTexts } from './text-memo.ts';

/** For a candidate, the prompt index of each assistant message and the candidates that produced it. */
export type EarlierTurns = Map<string, Map<number, string[]>>;

export interface EarlierTurnIndex {
  /** Candidate id → prompt index of an assistant message → ids of the candidates whose response it is. */
  turns: EarlierTurns;
  /** Every candidate that is an earlier turn of another. */
  sources: Set<string>;
}

/**
 * Finds, for every assistant message in a prompt, the candidates it is the response of:
 * the same model, a prompt equal to the messages before it, a model response equal to it.
 * Where a run has matches, only those are taken; candidates of other runs match only
 * an assistant message that none of its own run produced.
 *
 * Candidates are added one at a time, in file order, and none is kept: each conversation
 * (model, messages, answer) is kept as a key built from the fingerprints of its texts, so
 * that an export finds the matches in the pass that reads the candidates, without holding
 * their texts or reading them again.
 */
export class EarlierTurnFinder {
  /** Conversation key → the candidates whose prompt and response it is, in file order: all, and by run. */
  private readonly answered = new Map<string, { all: string[]; byRun: Map<string, string[]> }>();
  /** Every assistant message of a prompt: its candidate, run, index and conversation key. */
  private readonly wanted: { id: string; run: string; index: number; key: string }[] = [];
  private readonly fingerprint: (text: string) => string;
  /** The fingerprint, remembered for the texts that repeat (see turnKeys). */
  private readonly shared: (text: string) => string;

  /**
   * @param fingerprint equal for equal texts and (but for a hash collision) different for
   * different ones; without it a key holds the texts themselves.
   */
  constructor(fingerprint?: (text: string) => string) {
    this.fingerprint = fingerprint ?? ((text) => text);
    this.shared = fingerprint ? memoizeTexts(fingerprint) : this.fingerprint;
  }

  add(candidate: Candidate): void {
    this.addKeys(turnKeys(candidate, this.fingerprint, this.shared));
  }

  /** Adds a candidate by its keys (turnKeys with this finder's fingerprint), as `add` does: what a thread that parsed it hands over. */
  addKeys({ id, run, wanted, answered: key }: TurnKeys): void {
    for (const [index, wantedKey] of wanted) this.wanted.push({ id, run, index, key: wantedKey });
    let answered = this.answered.get(key);
    if (!answered) this.answered.set(key, (answered = { all: [], byRun: new Map() }));
    answered.all.push(id);
    const inRun = answered.byRun.get(run);
    if (inRun) inRun.push(id);
    else answered.byRun.set(run, [id]);
  }

  result(): EarlierTurnIndex {
    const turns: EarlierTurns = new Map();
    const sources = new Set<string>();
    for (const w of this.wanted) {
      const answered = this.answered.get(w.key);
      if (!answered) continue;
      const found = answered.byRun.get(w.run) ?? answered.all;
      const ids = found.length === 1 ? [found[0]!] : [...found].sort(compareOrdinal);
      let byIndex = turns.get(w.id);
      if (!byIndex) turns.set(w.id, (byIndex = new Map()));
      byIndex.set(w.index, ids);
      for (const id of ids) sources.add(id);
    }
    return { turns, sources };
  }
}

/** What EarlierTurnFinder keeps of a candidate: the conversation key of each assistant message of its prompt (by index), and of its prompt and response. */
export interface TurnKeys {
  id: string;
  run: string;
  wanted: [number, string][];
  answered: string;
}

/**
 * A candidate's conversation keys (see EarlierTurnFinder), from the fingerprints of its
 * texts. `shared` gives the same fingerprints, for the prompt's system and user messages,
 * which many candidates share: memoizeTexts(fingerprint) hashes each of them once.
 */
export function turnKeys(candidate: Candidate, fingerprint: (text: string) => string, shared = fingerprint): TurnKeys {
  const { id, benchmark_run_id: run, prompt_messages: messages } = candidate;
  // The messages as JSON (unambiguous), fingerprinted again to keep the key short.
  const key = (parts: string[]) => fingerprint(JSON.stringify(parts));
  const parts: string[] = [candidate.model_id];
  const wanted: [number, string][] = [];
  for (let index = 0; index < messages.length; index++) {
    const m = messages[index]!;
    const print = m.role === 'assistant' ? fingerprint(m.content) : shared(m.content);
    if (index > 0 && m.role === 'assistant') wanted.push([index, key([...parts, print])]);
    parts.push(m.role, print);
  }
  parts.push(fingerprint(candidate.model_response));
  return { id, run, wanted, answered: key(parts) };
}

/** The earlier turns of the candidates of `candidates` (see EarlierTurnFinder), keyed by the texts themselves. */
export function indexEarlierTurns(candidates: Map<string, LocatedCandidate>): EarlierTurnIndex {
  const finder = new EarlierTurnFinder();
  for (const { candidate } of candidates.values()) finder.add(candidate);
  return finder.result();
}
