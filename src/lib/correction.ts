/** Correction records: creating one from a decision, serialising it, parsing a file. */
import { PloverError, type Problem } from './errors.ts';
import { SCHEMA_VERSION } from './schemas.ts';
import type { Action, Correction, FailureCategory, Reviewer } from './schema-types.ts';
import { checkAgainstSchema } from './validate.ts';
import { parseJsonText } from './json.ts';

/** What a reviewer decided, before it is a record. */
export interface Decision {
  candidate_id: string;
  action: Action;
  /** Required and non-blank for `correct`; must be empty for `discard` and `flag`. */
  corrected_response?: string | null;
  failure_category?: FailureCategory | null;
}

/**
 * Builds a correction record from a decision and checks it against the schema.
 * @throws PloverError `E_INVALID_DECISION` listing every bad field.
 */
export function createCorrection(decision: Decision, reviewer: Reviewer, decidedAt: Date, durationMs?: number): Correction {
  const record: Record<string, unknown> = {
    schema_version: SCHEMA_VERSION,
    candidate_id: decision.candidate_id,
    action: decision.action,
    corrected_response: decision.corrected_response ?? null,
    failure_category: decision.failure_category ?? null,
    reviewer: { name: reviewer.name, email: reviewer.email },
    decided_at: decidedAt.toISOString(),
  };
  if (durationMs !== undefined) record.duration_ms = Math.round(durationMs);
  const problems = checkAgainstSchema('correction', record, { file: 'decision' });
  if (problems.length) {
    throw new PloverError('E_INVALID_DECISION', `invalid decision:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`, {
      problems,
    });
  }
  return record as unknown as Correction;
}

/** The file text of a record: fixed key order, two-space indent, trailing newline. */
export function serializeCorrection(c: Correction): string {
  const ordered = {
    schema_version: c.schema_version,
    candidate_id: c.candidate_id,
    action: c.action,
    corrected_response: c.corrected_response ?? null,
    failure_category: c.failure_category ?? null,
    reviewer: { name: c.reviewer.name, email: c.reviewer.email },
    decided_at: c.decided_at,
    ...(c.duration_ms === undefined ? {} : { duration_ms: c.duration_ms }),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/**
 * Parses the text of one correction file and checks it against the schema.
 * @returns the record, or the problems that make it invalid (with the file and JSON path).
 */
export function parseCorrection(text: string, file: string): { correction?: Correction; problems: Problem[] } {
  const parsed = parseJsonText(text, { file });
  if (parsed.problems.length) return { problems: parsed.problems };
  const problems = checkAgainstSchema('correction', parsed.value, { file });
  return problems.length ? { problems } : { correction: parsed.value as Correction, problems };
}
