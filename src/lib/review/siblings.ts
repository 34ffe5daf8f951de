/**
 * Siblings and starting points. Benchmarks ask the same questions of many models:
 * candidates are siblings when their prompts are equal, once empty system messages are
 * set aside and each earlier assistant turn is read as its resolved correction (so the
 * turn-2 candidates of one question become siblings once their turn 1 is corrected the
 * same way). A correction can start from a sibling's correction, the candidate's
 * reference answer, an imported suggestion, the best-scoring sibling's answer or the
 * model's own response, in that order.
 *
 * Prompts are compared by keys kept in each candidate's outline (promptKeys), so the
 * hosted page finds siblings without reading every candidate's text.
 */
import type { Candidate, Message, StartingPoint, StartKind } from '../records/schema-types.generated.ts';
import { hash53, sha256Hex } from '../records/paths.ts';
import { normalizeCorrectedText } from '../records/target-text.ts';

/** What an outline keeps of a candidate's prompt and response to find its siblings and earlier turns. */
export interface PromptKeys {
  /** The prompt as siblings compare it: empty system messages left out, assistant messages by role only. */
  prompt_key: string;
  /** The model response's text key. */
  response_key: string;
  /** For each assistant message of the prompt, in order: the prompt_key of the messages before it, and its text key. */
  turns?: { before: string; text: string }[];
}

/** The most siblings a card lists (and one action settles); the others are counted. */
export const MAX_SIBLINGS = 20;
/** The most sibling answers a card offers as starts, best score first. */
export const MAX_SIBLING_ANSWERS = 5;

/**
 * A 53-bit hash of a text as 14 hex digits (cyrb53), fast enough to key every prompt at
 * 100k candidates when an index is built (0.3 s for 36 M characters). A key only narrows:
 * two texts with one key are compared whole before they count as equal (sameQuestion,
 * earlier turns).
 */
export function textKey(text: string): string {
  return hash53(text).toString(16).padStart(14, '0');
}

/** The messages siblings compare: empty system messages set aside. */
function comparedMessages(messages: Message[]): Message[] {
  return messages.filter((m) => !(m.role === 'system' && m.content === ''));
}

/** The compared prompt with assistant messages by role only, as one string. */
function skeleton(messages: Message[]): string {
  return messages.map((m) => `${m.role}\u0000${m.role === 'assistant' ? '' : m.content}`).join('\u0001');
}

/**
 * A key of a long text from its length and both ends only: responses are the largest texts,
 * and keying them whole was a second at 100k candidates. It finds the candidates whose
 * response an earlier turn may be; the texts are compared before one is used.
 */
function answerKey(text: string): string {
  return textKey(text.length <= 96 ? text : `${text.length}\u0000${text.slice(0, 48)}\u0000${text.slice(-48)}`);
}

export function promptKeys(c: Pick<Candidate, 'prompt_messages' | 'model_response'>): PromptKeys {
  const messages = comparedMessages(c.prompt_messages);
  const keys: PromptKeys = { prompt_key: textKey(skeleton(messages)), response_key: answerKey(c.model_response) };
  const turns: { before: string; text: string }[] = [];
  messages.forEach((m, i) => {
    if (m.role === 'assistant') turns.push({ before: textKey(skeleton(messages.slice(0, i))), text: answerKey(m.content) });
  });
  if (turns.length) keys.turns = turns;
  return keys;
}

/**
 * Whether two candidates ask the same question once each earlier assistant turn is read
 * as `turnText` gives it (its resolved correction, else the text in the prompt).
 */
export function sameQuestion(a: Candidate, b: Candidate, turnText: (c: Candidate, index: number) => string): boolean {
  const ma = comparedMessages(a.prompt_messages);
  const mb = comparedMessages(b.prompt_messages);
  if (ma.length !== mb.length) return false;
  let turn = 0;
  for (let i = 0; i < ma.length; i++) {
    const x = ma[i]!;
    const y = mb[i]!;
    if (x.role !== y.role) return false;
    if (x.role === 'assistant') {
      if (turnText(a, turn) !== turnText(b, turn)) return false;
      turn += 1;
    } else if (x.content !== y.content) return false;
  }
  return true;
}

/** The text of the i-th assistant message of a candidate's compared prompt. */
export function turnTextAt(c: Candidate, index: number): string {
  return comparedMessages(c.prompt_messages).filter((m) => m.role === 'assistant')[index]!.content;
}

/** One place a correction can start from, as the card offers it. */
export interface Start {
  kind: StartKind;
  text: string;
  /** The sibling whose correction or answer it is. */
  candidate_id?: string;
  /** The agent of a suggestion. */
  agent?: string;
  /** The sibling's model, or the suggestion's agent, as shown. */
  source?: string;
  /** The sibling's quality score, or the suggestion's score. */
  score?: number | null;
  /** For a sibling's correction: who decided it (the resolved decision's reviewers). */
  reviewers?: string[];
}

/** A sibling as the card shows it and the starts read it. */
export interface SiblingStartSource {
  candidate: Candidate;
  /** Its resolved correction text, when its decision is `correct`. */
  corrected?: string;
  reviewers?: string[];
}

/**
 * The starts of a candidate, in the order `s` cycles through them: each sibling's
 * resolved correction, the reference answer, the suggestions (best score first), the
 * siblings' answers (the MAX_SIBLING_ANSWERS best), and the model's own response last. A text
 * already offered is not offered again.
 */
export function startsFor(candidate: Candidate, siblings: SiblingStartSource[], suggestions: { agent: string; text: string; score?: number | null }[]): Start[] {
  const starts: Start[] = [];
  const seen = new Set<string>();
  const add = (start: Start) => {
    const key = normalizeCorrectedText(start.text);
    if (key === '' || seen.has(key)) return;
    seen.add(key);
    starts.push(start);
  };
  // The model's response is always offered (last): a start equal to it is no start of its own.
  seen.add(normalizeCorrectedText(candidate.model_response));
  for (const s of siblings) {
    if (s.corrected !== undefined)
      add({
        kind: 'sibling_correction',
        text: s.corrected,
        candidate_id: s.candidate.id,
        source: s.candidate.model_name || s.candidate.model_id,
        score: s.candidate.quality_score,
        ...(s.reviewers ? { reviewers: s.reviewers } : {}),
      });
  }
  if (typeof candidate.reference_answer === 'string') add({ kind: 'reference', text: candidate.reference_answer, source: 'reference answer' });
  for (const s of [...suggestions].sort((a, b) => (b.score ?? -1) - (a.score ?? -1)))
    add({ kind: 'suggestion', text: s.text, agent: s.agent, source: s.agent, score: s.score ?? null });
  const score = (s: SiblingStartSource) => s.candidate.quality_score ?? -1;
  for (const s of [...siblings].sort((a, b) => score(b) - score(a)).slice(0, MAX_SIBLING_ANSWERS)) {
    add({
      kind: 'sibling_answer',
      text: s.candidate.model_response,
      candidate_id: s.candidate.id,
      source: s.candidate.model_name || s.candidate.model_id,
      score: s.candidate.quality_score,
    });
  }
  starts.push({ kind: 'model_response', text: candidate.model_response, source: candidate.model_name || candidate.model_id, score: candidate.quality_score });
  return starts;
}

/** What a correction records of the start its text came from. */
export function startingPoint(start: Pick<Start, 'kind' | 'text' | 'candidate_id' | 'agent'>): StartingPoint {
  return {
    kind: start.kind,
    ...(start.candidate_id !== undefined && (start.kind === 'sibling_correction' || start.kind === 'sibling_answer') ? { candidate_id: start.candidate_id } : {}),
    ...(start.agent !== undefined && start.kind === 'suggestion' ? { agent: start.agent } : {}),
    sha256: sha256Hex(start.text),
  };
}
