/**
 * A file of decisions for `plover submit --from FILE`: JSONL, one decision per line,
 * `{"candidate_id", "action", "corrected_response"?, "failure_category"?, "unchanged"?,
 * "started_from"?}`.
 * Every line is checked before anything is committed, as the review page and `plover
 * submit` would check it (the same createCorrection), and every problem is listed.
 */
import { createCorrection, MAX_CORRECTION_BYTES, type Decision } from './correction.ts';
import { PloverError, type Problem } from '../errors.ts';
import { parseJsonText } from '../json.ts';
import type { Candidate, Reviewer } from './schema-types.generated.ts';
import { noCandidateMessage } from './candidates.ts';

/** The most `--from` reads: a hundred thousand decisions of 5 KB fit twice. */
export const MAX_DECISION_FILE_BYTES = 1024 * 1024 * 1024;

/** The fields of a decision written as JSON (a --from line, the label server's request body). */
export const DECISION_FIELDS = ['candidate_id', 'action', 'corrected_response', 'failure_category', 'unchanged', 'started_from'] as const;

/**
 * A decision from a JSON object, as every writer that takes JSON reads it: an unknown
 * field (beyond `also`, such as the page's `duration_ms`) and a missing candidate id are
 * problems with their path; the rest is checked by createCorrection when the record is
 * made. A caller refuses the decision when there is any problem.
 */
export function decisionFromJson(record: Record<string, unknown>, also: readonly string[] = []): { decision?: Decision; problems: { path?: string; message: string }[] } {
  const problems: { path?: string; message: string }[] = [];
  for (const key of Object.keys(record)) {
    if (!(DECISION_FIELDS as readonly string[]).includes(key) && !also.includes(key))
      problems.push({ path: key, message: `unknown field; a decision has ${DECISION_FIELDS.join(', ')}` });
  }
  const id = record.candidate_id;
  if (typeof id !== 'string' || id === '') {
    problems.push({ path: 'candidate_id', message: 'must be a candidate id (a non-empty string)' });
    return { problems };
  }
  const start = record.started_from ?? null;
  if (start !== null && record.action !== 'correct') problems.push({ path: 'started_from', message: 'is recorded for action "correct" only; leave it out' });
  // Made even beside an unknown field, so that its other problems are found too.
  return {
    decision: {
      candidate_id: id as string,
      action: record.action as Decision['action'],
      corrected_response: (record.corrected_response ?? null) as string | null,
      failure_category: (record.failure_category ?? null) as Decision['failure_category'],
      unchanged: record.unchanged === true,
      ...(start === null ? {} : { started_from: start as Decision['started_from'] }),
    },
    problems,
  };
}

export interface DecisionLine {
  /** 1-based line number in the file. */
  line: number;
  decision: Decision;
}

/** The file's decisions, in order, or every problem found (then no decision is to be committed). */
export function parseDecisionFile(
  text: string,
  file: string,
  candidate: (id: string) => Candidate | undefined,
  reviewer: Reviewer,
): { decisions: DecisionLine[]; problems: Problem[] } {
  const decisions: DecisionLine[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const problem = (message: string, path?: string) => problems.push({ file, line, ...(path ? { path } : {}), message });
    if (raw.trim() === '') return problem('is blank; write one decision per line (JSONL)');
    // UTF-16 units: a line this long is over the limit in UTF-8 bytes too.
    if (raw.length > MAX_CORRECTION_BYTES)
      return problem(`is ${raw.length} characters long, more than a correction file may hold (${MAX_CORRECTION_BYTES} bytes); shorten its corrected_response`);
    const parsed = parseJsonText(raw, { file, line });
    if (parsed.problems.length) {
      problems.push(...parsed.problems);
      return;
    }
    const { decision, problems: bad } = decisionFromJson(parsed.value as Record<string, unknown>);
    for (const p of bad) problem(p.message, p.path);
    if (!decision) return;
    const id = decision.candidate_id;
    const found = candidate(id);
    if (!found) return problem(noCandidateMessage(id), 'candidate_id');
    const earlier = seen.get(id);
    if (earlier !== undefined) return problem(`decides ${JSON.stringify(id)} again (line ${earlier} did already); keep one decision per candidate`, 'candidate_id');
    seen.set(id, line);
    try {
      // The same check as every other way in; the record itself is made again at commit time.
      createCorrection(decision, reviewer, new Date(), { modelResponse: found.model_response });
    } catch (err) {
      if (!(err instanceof PloverError)) throw err;
      if (err.problems.length) for (const p of err.problems) problem(p.message, p.path);
      else problem(err.message);
      return;
    }
    decisions.push({ line, decision });
  });
  return { decisions, problems };
}
