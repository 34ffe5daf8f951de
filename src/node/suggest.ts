/**
 * `plover suggest import FILE --agent NAME`: a model's or tool's answers become
 * suggestions/<agent>.jsonl, in one commit. Every line of FILE is checked first, as
 * `submit --from` checks decisions: any problem, and nothing is written. A candidate the
 * agent suggested for before gets the new text; the others keep theirs.
 */
import { readCommittedFile } from '../git/commit-file.ts';
import { PloverError, formatProblem } from '../lib/errors.ts';
import { plural } from '../lib/plural.ts';
import { readCandidates } from '../lib/records/repository.ts';
import type { Reviewer, SuggestionLine } from '../lib/records/schema-types.generated.ts';
import { agentProblem, parseSuggestionFile, serializeSuggestions, suggestionsPath } from '../lib/records/suggestions.ts';
import { createAtomicFs } from './atomic-fs.ts';
import { worktreeSource } from './sources.ts';
import { WorktreeCommitter } from './worktree-committer.ts';

export interface SuggestImport {
  path: string;
  /** The commit, or null when the file already held every suggestion. */
  commit: string | null;
  added: number;
  replaced: number;
  unchanged: number;
}

export async function importSuggestions(dir: string, text: string, file: string, agent: string, author: Reviewer, now = new Date()): Promise<SuggestImport> {
  const bad = agentProblem(agent);
  if (bad) throw new PloverError('E_USAGE', `--agent ${bad}`);
  const data = await readCandidates(worktreeSource(dir));
  const known = (id: string) => data.candidates.has(id);
  const given = parseSuggestionFile(text, file, known);
  if (given.problems.length) {
    throw new PloverError(
      'E_INVALID_SUGGESTIONS',
      `${plural(given.problems.length, 'problem')} in ${file}; nothing was written:\n${given.problems.map(formatProblem).join('\n')}`,
      { problems: given.problems },
    );
  }
  const path = suggestionsPath(agent);
  const fs = createAtomicFs(`${dir}/.git`);
  const cache = {};
  // Merged with what the branch holds (not the working tree): a run killed before its commit is made again by running it again.
  const before = await readCommittedFile({ fs, dir, cache }, path);
  const kept = before === null ? { lines: [], problems: [] } : parseSuggestionFile(before, path, known);
  if (kept.problems.length) {
    throw new PloverError(
      'E_INVALID_SUGGESTIONS',
      `${path} as committed has problems; fix or remove it first (see plover validate):\n${kept.problems.map(formatProblem).join('\n')}`,
      { problems: kept.problems },
    );
  }
  const merged = new Map<string, SuggestionLine>(kept.lines.map((s) => [s.candidate_id, s]));
  let added = 0;
  let replaced = 0;
  let unchanged = 0;
  for (const s of given.lines) {
    const old = merged.get(s.candidate_id);
    if (!old) added += 1;
    else if (serializeSuggestions([old]) === serializeSuggestions([s])) unchanged += 1;
    else replaced += 1;
    merged.set(s.candidate_id, s);
  }
  if (added + replaced === 0) return { path, commit: null, added, replaced, unchanged };
  const message = `suggest: ${plural(added + replaced, 'suggestion')} by ${agent}\n\n${added} added, ${replaced} replaced, from ${file.split('/').at(-1)}`;
  const commit = await new WorktreeCommitter(dir, fs, cache).commitText(path, serializeSuggestions([...merged.values()]), message, author, now);
  return { path, commit, added, replaced, unchanged };
}
