/** Correction records: creating one from a decision, serialising it, parsing a file. */
import { PloverError, type Problem } from '../errors.ts';
import { SCHEMA_VERSION } from './schemas.ts';
import type { Action, Correction, FailureCategory, Reviewer, StartingPoint } from './schema-types.generated.ts';
import { checkAgainstSchema } from './schema-check.ts';
import { findLoneSurrogate, LONE_SURROGATE, parseJsonText } from '../json.ts';
import { isUnchangedResponse, normalizeCorrectedText } from './target-text.ts';

/**
 * The largest correction file: a correction holds one response, and even a 65k-character
 * one with its JSON escaping stays far below this. Every writer refuses a larger record
 * before writing it; validate and export refuse a larger file.
 */
export const MAX_CORRECTION_BYTES = 1024 * 1024;

/** What a reviewer decided, before it is a record. */
export interface Decision {
  candidate_id: string;
  action: Action;
  /** Required and non-blank for `correct`; must be empty for `discard` and `flag`. */
  corrected_response?: string | null;
  failure_category?: FailureCategory | null;
  /** The reviewer confirmed that the corrected text may equal the model's response (the model was right). */
  unchanged?: boolean;
  /** Set by the review service only: an adjudicator settles a candidate its reviewers disagree on (see the schema). */
  adjudication?: boolean;
  /** Where the corrected text started (lib/review/siblings.ts startingPoint); recorded for `correct` only. */
  started_from?: StartingPoint | null;
}

export interface CreateCorrectionOptions {
  /** Milliseconds the reviewer spent on the candidate. */
  durationMs?: number;
  /** The candidate's model response: a `correct` equal to it is refused unless the decision says `unchanged`. */
  modelResponse?: string;
}

/**
 * Builds a correction record from a decision and checks it against the schema. A
 * corrected text is written under the text rule (normalizeCorrectedText).
 * @throws PloverError `E_INVALID_DECISION` listing every bad field; `E_UNCHANGED` when the
 * correction equals the model's response and the decision does not say `unchanged`.
 */
export function createCorrection(decision: Decision, reviewer: Reviewer, decidedAt: Date, options: CreateCorrectionOptions = {}): Correction {
  const text = typeof decision.corrected_response === 'string' ? normalizeCorrectedText(decision.corrected_response) : (decision.corrected_response ?? null);
  const record: Record<string, unknown> = {
    schema_version: SCHEMA_VERSION,
    candidate_id: decision.candidate_id,
    action: decision.action,
    corrected_response: text,
    failure_category: decision.failure_category ?? null,
    reviewer: { name: reviewer.name, email: reviewer.email },
    decided_at: decidedAt.toISOString(),
  };
  if (decision.action === 'correct' && typeof text === 'string' && text !== '' && options.modelResponse !== undefined && isUnchangedResponse(text, options.modelResponse)) {
    if (!decision.unchanged) {
      throw new PloverError(
        'E_UNCHANGED',
        `the corrected response of ${JSON.stringify(decision.candidate_id)} is the model's response unchanged (after the text rule: line ends to LF, blank lines before the text and invisible characters at its end removed), so it would train the model on the answer that failed. Edit it; or, if the model was right, say so (the page asks; \`plover submit --unchanged\`) and consider the category scoring_artifact`,
      );
    }
    record.unchanged = true;
  }
  if (decision.adjudication) record.adjudication = true;
  if (options.durationMs !== undefined) record.duration_ms = Math.round(options.durationMs);
  if (decision.action === 'correct' && decision.started_from) record.started_from = decision.started_from;
  const problems = checkAgainstSchema('correction', record, { file: 'decision' });
  problems.push(...limitProblems(record as unknown as Correction));
  if (problems.length) {
    throw new PloverError('E_INVALID_DECISION', `invalid decision:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`, {
      problems,
    });
  }
  return record as unknown as Correction;
}

/** What no writer may write although the schema allows it: a lone surrogate, a record over MAX_CORRECTION_BYTES. */
function limitProblems(record: Correction): Problem[] {
  const lone = findLoneSurrogate(record);
  if (lone !== undefined) return [{ file: 'decision', path: lone, message: LONE_SURROGATE }];
  const bytes = new TextEncoder().encode(serializeCorrection(record)).length;
  if (bytes > MAX_CORRECTION_BYTES) {
    return [
      {
        file: 'decision',
        path: 'corrected_response',
        message: `makes a correction of ${bytes} bytes, over the ${MAX_CORRECTION_BYTES}-byte limit of a correction file; shorten it`,
      },
    ];
  }
  return [];
}

/** Whether `correction` already records `decision` (same action, text after the text rule, category and unchanged flag). */
export function recordsDecision(correction: Correction, decision: Decision): boolean {
  const text = typeof decision.corrected_response === 'string' ? normalizeCorrectedText(decision.corrected_response) : null;
  return (
    correction.action === decision.action &&
    (correction.corrected_response ?? null) === text &&
    (correction.failure_category ?? null) === (decision.failure_category ?? null) &&
    Boolean(correction.unchanged) === Boolean(decision.unchanged)
  );
}

/** The file text of a record: fixed key order, two-space indent, trailing newline. */
export function serializeCorrection(c: Correction): string {
  const ordered = {
    schema_version: c.schema_version,
    candidate_id: c.candidate_id,
    action: c.action,
    corrected_response: c.corrected_response ?? null,
    failure_category: c.failure_category ?? null,
    ...(c.unchanged === undefined ? {} : { unchanged: c.unchanged }),
    ...(c.adjudication === undefined ? {} : { adjudication: c.adjudication }),
    reviewer: { name: c.reviewer.name, email: c.reviewer.email },
    decided_at: c.decided_at,
    ...(c.duration_ms === undefined ? {} : { duration_ms: c.duration_ms }),
    ...(c.started_from === undefined ? {} : { started_from: startOrdered(c.started_from) }),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

function startOrdered(s: StartingPoint): StartingPoint {
  return {
    kind: s.kind,
    ...(s.candidate_id === undefined ? {} : { candidate_id: s.candidate_id }),
    ...(s.agent === undefined ? {} : { agent: s.agent }),
    sha256: s.sha256,
  };
}

/**
 * Parses the text of one correction file and checks it against the schema (unless
 * `check` is false: a second look at a file that another pass checks).
 * @returns the record, or the problems that make it invalid (with the file and JSON path).
 */
export function parseCorrection(text: string, file: string, check = true): { correction?: Correction; problems: Problem[] } {
  const parsed = parseJsonText(text, { file });
  if (parsed.problems.length) return { problems: parsed.problems };
  const problems = check ? checkAgainstSchema('correction', parsed.value, { file }) : shapeProblems(parsed.value, file);
  return problems.length ? { problems } : { correction: parsed.value as Correction, problems };
}

/** Unchecked parsing still needs the fields a reader uses (candidate_id, action, reviewer.email, decided_at). */
function shapeProblems(value: unknown, file: string): Problem[] {
  const v = value as { candidate_id?: unknown; action?: unknown; decided_at?: unknown; reviewer?: { email?: unknown } } | null;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    typeof v.candidate_id === 'string' &&
    typeof v.action === 'string' &&
    typeof v.decided_at === 'string' &&
    typeof v.reviewer?.email === 'string';
  return ok ? [] : [{ file, message: 'is not a correction record (see plover validate)' }];
}

/** A correction and the file it was read from. */
export interface LocatedCorrection {
  correction: Correction;
  file: string;
  /** The tokens of its corrected text under the text rule, when the reader knows them (the export's reading thread counts some, see corrections-thread.worker.ts); else the compiler counts them. */
  tokens?: number;
  /** The control tokens in that text, when the reader looked (the export's reading thread does). */
  controlTokens?: string[];
}
