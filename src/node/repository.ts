/**
 * The repository on disk, read with node:fs: candidate files, correction files, and the
 * checks `plover validate` runs. Every reader collects all problems, then fails once.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { indexCandidates, parseCandidateFile, type LocatedCandidate } from '../lib/candidates.ts';
import { parseCorrection } from '../lib/correction.ts';
import { PloverError, formatProblem, type Problem } from '../lib/errors.ts';
import type { LocatedCorrection } from '../lib/export.ts';
import { CORRECTIONS_DIR, CORRECTION_PATH_PATTERN, correctionPath } from '../lib/paths.ts';

export const CANDIDATES_DIR = 'candidates';

/** Files that may sit in the data folders beside the data. */
const DOC_FILES = new Set(['README.md', '.gitkeep']);

export interface RepositoryData {
  candidates: Map<string, LocatedCandidate>;
  /** In candidate-file order (files by name, then line): the review queue's order. */
  candidateOrder: string[];
  corrections: LocatedCorrection[];
  problems: Problem[];
}

/** Reads and checks every candidate and correction under `dir`; problems are returned, not thrown. */
export async function readRepository(dir: string): Promise<RepositoryData> {
  const problems: Problem[] = [];
  const located: LocatedCandidate[] = [];
  for (const name of await listFiles(dir, CANDIDATES_DIR)) {
    const file = `${CANDIDATES_DIR}/${name}`;
    if (DOC_FILES.has(name)) continue;
    if (!name.endsWith('.jsonl')) {
      problems.push({ file, message: 'is not a .jsonl file; candidates/ holds one <run_id>.jsonl per benchmark run' });
      continue;
    }
    const parsed = parseCandidateFile(await readUtf8(dir, file, problems), file);
    located.push(...parsed.candidates);
    problems.push(...parsed.problems);
  }
  const { byId, problems: duplicateIds } = indexCandidates(located);
  problems.push(...duplicateIds);

  const corrections: LocatedCorrection[] = [];
  for (const name of await listFiles(dir, CORRECTIONS_DIR, true)) {
    const file = `${CORRECTIONS_DIR}/${name}`;
    if (DOC_FILES.has(name)) continue;
    if (!CORRECTION_PATH_PATTERN.test(file)) {
      problems.push({ file, message: 'is not where plover puts corrections (corrections/<2 hex>/<16 hex>--<reviewer>-<8 hex>.json); move or delete it' });
      continue;
    }
    const { correction, problems: bad } = parseCorrection(await readUtf8(dir, file, problems), file);
    problems.push(...bad);
    if (!correction) continue;
    const expected = correctionPath(correction.candidate_id, correction.reviewer.email);
    if (expected !== file) {
      problems.push({ file, path: 'candidate_id', message: `does not match the file's path: this record belongs at ${expected}; move it there` });
      continue;
    }
    if (!byId.has(correction.candidate_id)) {
      problems.push({ file, path: 'candidate_id', message: `refers to unknown candidate ${JSON.stringify(correction.candidate_id)}; import its run into candidates/ or delete this file` });
    }
    corrections.push({ correction, file });
  }
  return { candidates: byId, candidateOrder: located.map((c) => c.candidate.id), corrections, problems };
}

/**
 * Reads the repository and throws if anything in it is invalid.
 * @throws PloverError `E_INVALID_REPOSITORY` listing every problem.
 */
export async function readValidRepository(dir: string): Promise<RepositoryData> {
  const data = await readRepository(dir);
  if (data.problems.length) throw invalidRepository(data.problems);
  return data;
}

export function invalidRepository(problems: Problem[]): PloverError {
  const n = problems.length;
  return new PloverError(
    'E_INVALID_REPOSITORY',
    `${n} problem${n === 1 ? '' : 's'} in the repository:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
    { problems },
  );
}

/** Names of files under `dir/sub` (recursively: as `a/b.json`), sorted; none if the folder is missing. */
async function listFiles(dir: string, sub: string, recursive = false): Promise<string[]> {
  try {
    const entries = await readdir(join(dir, sub), { recursive, withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => {
        const parent = e.parentPath.slice(join(dir, sub).length + 1);
        return parent ? `${parent.split('\\').join('/')}/${e.name}` : e.name;
      })
      .sort();
  } catch (err) {
    // ENOENT: a repository without that folder simply has no such files yet.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** Reads a file as UTF-8; invalid UTF-8 is a problem (and yields an empty text), not a silent replacement. */
async function readUtf8(dir: string, file: string, problems: Problem[]): Promise<string> {
  const bytes = await readFile(join(dir, file));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    problems.push({ file, message: 'is not valid UTF-8; re-encode it as UTF-8' });
    return '';
  }
}
