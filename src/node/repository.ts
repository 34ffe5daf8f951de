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

export interface CandidateData {
  candidates: Map<string, LocatedCandidate>;
  /** In candidate-file order (files by name, then line): the review queue's order. */
  candidateOrder: string[];
  problems: Problem[];
}

export interface RepositoryData extends CandidateData {
  corrections: LocatedCorrection[];
}

/** How many files are read at once: enough to keep the disk and libuv busy, few enough to spare file handles. */
const READ_CONCURRENCY = 64;

/** Reads and checks every candidate file under `dir`; problems are returned, not thrown. */
export async function readCandidates(dir: string): Promise<CandidateData> {
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
  return { candidates: byId, candidateOrder: located.map((c) => c.candidate.id), problems };
}

/**
 * Reads and checks every correction file under `dir`: its place in the layout, its
 * schema, its path against its ids, and its candidate (when `candidates` are given).
 */
export async function readCorrections(
  dir: string,
  candidates: Map<string, LocatedCandidate>,
): Promise<{ corrections: LocatedCorrection[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  const corrections: LocatedCorrection[] = [];
  const files: string[] = [];
  for (const name of await listFiles(dir, CORRECTIONS_DIR, true)) {
    const file = `${CORRECTIONS_DIR}/${name}`;
    if (DOC_FILES.has(name)) continue;
    if (!CORRECTION_PATH_PATTERN.test(file)) {
      problems.push({ file, message: 'is not where plover puts corrections (corrections/<2 hex>/<16 hex>--<reviewer>-<8 hex>.json); move or delete it' });
      continue;
    }
    files.push(file);
  }
  for (let i = 0; i < files.length; i += READ_CONCURRENCY) {
    const batch = files.slice(i, i + READ_CONCURRENCY);
    const texts = await Promise.all(batch.map((file) => readUtf8(dir, file, problems)));
    batch.forEach((file, j) => {
      const { correction, problems: bad } = parseCorrection(texts[j]!, file);
      problems.push(...bad);
      if (!correction) return;
      const expected = correctionPath(correction.candidate_id, correction.reviewer.email);
      if (expected !== file) {
        problems.push({ file, path: 'candidate_id', message: `does not match the file's path: this record belongs at ${expected}; move it there` });
        return;
      }
      if (!candidates.has(correction.candidate_id)) {
        problems.push({ file, path: 'candidate_id', message: `refers to unknown candidate ${JSON.stringify(correction.candidate_id)}; import its run into candidates/ or delete this file` });
      }
      corrections.push({ correction, file });
    });
  }
  return { corrections, problems };
}

/** Reads and checks every candidate and correction under `dir`; problems are returned, not thrown. */
export async function readRepository(dir: string): Promise<RepositoryData> {
  const candidates = await readCandidates(dir);
  const corrections = await readCorrections(dir, candidates.candidates);
  return { ...candidates, corrections: corrections.corrections, problems: [...candidates.problems, ...corrections.problems] };
}

/** One error listing every problem, for callers that cannot go on with invalid data. */
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
