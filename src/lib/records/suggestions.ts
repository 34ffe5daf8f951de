/**
 * Suggestions: answers to candidates proposed by a model or tool (an agent), offered on
 * the review page as a starting point. One JSONL file per agent,
 * `suggestions/<agent>.jsonl`, one `{candidate_id, text, score?}` per line
 * (schemas/suggestion.schema.json), written by `plover suggest import`.
 */
import { unknownCandidate } from './candidates.ts';
import type { Problem } from '../errors.ts';
import { parseJsonText } from '../json.ts';
import { decodeUtf8, type DataSource } from './repository.ts';
import { checkAgainstSchema } from './schema-check.ts';
import type { SuggestionLine } from './schema-types.generated.ts';
import { correctionSchema } from './schemas.ts';

export const SUGGESTIONS_DIR = 'suggestions';
/** A suggestions file holds one agent's answers to a whole repository at most. */
export const MAX_SUGGESTION_FILE_BYTES = 1024 * 1024 * 1024;

const AGENT_PATTERN = new RegExp(correctionSchema.$defs.agent.pattern);

/** One suggestion, with its agent. */
export interface Suggestion {
  agent: string;
  text: string;
  score?: number | null;
}

/** The problem with an agent name, or undefined when it is one. */
export function agentProblem(agent: string): string | undefined {
  return AGENT_PATTERN.test(agent) ? undefined : `${JSON.stringify(agent)} is not an agent name: ${correctionSchema.$defs.agent.description}`;
}

export function suggestionsPath(agent: string): string {
  return `${SUGGESTIONS_DIR}/${agent}.jsonl`;
}

/**
 * Parses one suggestions file (or a file given to `plover suggest import`): every line
 * one valid suggestion for a known candidate, each candidate once.
 * @returns the lines in order, and a problem for every bad line (none is skipped silently).
 */
export function parseSuggestionFile(text: string, file: string, known: (id: string) => boolean): { lines: SuggestionLine[]; problems: Problem[] } {
  const lines: SuggestionLine[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  const raw = text.replace(/^\uFEFF/, '').split('\n');
  if (raw.at(-1) === '') raw.pop();
  raw.forEach((textLine, i) => {
    const line = i + 1;
    if (textLine.trim() === '') {
      problems.push({ file, line, message: 'is blank; write one suggestion per line (JSONL)' });
      return;
    }
    const parsed = parseJsonText(textLine.endsWith('\r') ? textLine.slice(0, -1) : textLine, { file, line });
    if (parsed.problems.length) {
      problems.push(...parsed.problems);
      return;
    }
    const bad = checkAgainstSchema('suggestion', parsed.value, { file, line });
    if (bad.length) {
      problems.push(...bad);
      return;
    }
    const s = parsed.value as SuggestionLine;
    if (!known(s.candidate_id)) {
      problems.push({ ...unknownCandidate(file, s.candidate_id), line });
      return;
    }
    const first = seen.get(s.candidate_id);
    if (first !== undefined) {
      problems.push({
        file,
        line,
        path: 'candidate_id',
        message: `suggests for ${JSON.stringify(s.candidate_id)} again (line ${first} did already); keep one suggestion per candidate and agent`,
      });
      return;
    }
    seen.set(s.candidate_id, line);
    lines.push(s);
  });
  return { lines, problems };
}

/** The text of a suggestions file: one line per suggestion, keys in schema order. */
export function serializeSuggestions(lines: SuggestionLine[]): string {
  return lines.map((s) => `${JSON.stringify({ candidate_id: s.candidate_id, text: s.text, ...(s.score === undefined ? {} : { score: s.score }) })}\n`).join('');
}

/**
 * Reads every suggestions file; problems are returned, not thrown.
 * @returns each candidate's suggestions, agents in file-name order.
 */
export async function readSuggestions(source: DataSource, known: (id: string) => boolean): Promise<{ byCandidate: Map<string, Suggestion[]>; problems: Problem[] }> {
  const byCandidate = new Map<string, Suggestion[]>();
  const problems: Problem[] = [];
  for (const entry of await source.list(SUGGESTIONS_DIR)) {
    const file = entry.path;
    const name = file.slice(SUGGESTIONS_DIR.length + 1);
    if (name === 'README.md' || name === '.gitkeep') continue;
    const agent = name.endsWith('.jsonl') ? name.slice(0, -'.jsonl'.length) : '';
    if (entry.kind || name.includes('/') || agentProblem(agent)) {
      problems.push({ file, message: 'is not a suggestions file; suggestions/ holds one regular file <agent>.jsonl per agent (see `plover suggest import`)' });
      continue;
    }
    const bytes = await source.read(file, MAX_SUGGESTION_FILE_BYTES);
    if ('tooLarge' in bytes) {
      problems.push({ file, message: `is ${bytes.tooLarge} bytes, over the ${MAX_SUGGESTION_FILE_BYTES}-byte limit for a suggestions file` });
      continue;
    }
    const text = decodeUtf8(bytes, file, problems);
    if (text === undefined) continue;
    const parsed = parseSuggestionFile(text, file, known);
    problems.push(...parsed.problems);
    for (const s of parsed.lines) {
      const list = byCandidate.get(s.candidate_id);
      const suggestion: Suggestion = { agent, text: s.text, ...(s.score === undefined ? {} : { score: s.score }) };
      if (list) list.push(suggestion);
      else byCandidate.set(s.candidate_id, [suggestion]);
    }
  }
  return { byCandidate, problems };
}
