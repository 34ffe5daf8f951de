/**
 * `plover import`: benchmark harness output into candidates/. Records are grouped by
 * `benchmark_run_id` into `candidates/<run_id>.jsonl`; new ids are appended with their
 * original line text (existing lines never change), ids already present anywhere in
 * candidates/ are skipped and counted, and a run with any bad line writes nothing.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { parseCandidateFile } from '../lib/records/candidates.ts';
import { PloverError, type Problem, errorCode } from '../lib/errors.ts';
import { CANDIDATES_DIR, invalidRepository, readCandidates } from '../lib/records/repository.ts';
import { worktreeSource } from './sources.ts';
import { writeFileAtomic } from './atomic-fs.ts';
import { compareOrdinal } from '../lib/ordinal.ts';

/** What the harness calls a run's candidate file. */
export const HARNESS_FILE = 'sft_candidates.jsonl';
/** A run id becomes a file name: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

export interface RunReport {
  run: string;
  /** The candidate file written (or that would be), relative to the repository. */
  file: string;
  imported: number;
  /** Ids already in candidates/ with the same record. */
  already_imported: number;
  /** Ids already in candidates/ with a different record: kept as imported, listed here. */
  conflicting: string[];
  /** Ids that appear more than once in the input: the first is used. */
  repeated_in_input: string[];
}

export interface ImportReport {
  runs: RunReport[];
  /** Runs not imported because of bad lines (nothing written for them). */
  problems: Problem[];
  dryRun: boolean;
}

/**
 * Imports `input` (harness output folder, run folder, or JSONL file) into the repository at `dir`.
 * @throws PloverError `E_NOTHING_TO_IMPORT`, `E_INVALID_REPOSITORY` (the existing candidates are invalid).
 */
export async function importCandidates(options: { dir: string; input: string; dryRun?: boolean }): Promise<ImportReport> {
  const { dir, input } = options;
  const dryRun = options.dryRun ?? false;
  const inputs = await findInputs(input);
  const existing = await readCandidates(worktreeSource(dir));
  if (existing.problems.length) throw invalidRepository(existing.problems);
  const known = new Map([...existing.candidates].map(([id, c]) => [id, stableJson(c.candidate)]));

  const problems: Problem[] = [];
  // New lines per run, in input order; ids seen in this import.
  const runs = new Map<string, { report: RunReport; lines: string[] }>();
  const failedRuns = new Set<string>();
  const seen = new Map<string, string>();
  for (const file of inputs) {
    const label = relative(process.cwd(), file) || file;
    // A line too broken to name its run fails the run the file is named after.
    const fileRun = basename(file) === HARNESS_FILE ? basename(join(file, '..')) : basename(file, '.jsonl');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await readFile(file));
    } catch {
      problems.push({ file: label, message: 'is not valid UTF-8; re-encode it as UTF-8' });
      failedRuns.add(fileRun);
      continue;
    }
    const parsed = parseCandidateFile(text, label);
    if (parsed.problems.length) {
      problems.push(...parsed.problems);
      for (const c of parsed.candidates) failedRuns.add(c.candidate.benchmark_run_id);
      failedRuns.add(fileRun);
      continue;
    }
    const rawLines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    for (const { candidate, line } of parsed.candidates) {
      const run = candidate.benchmark_run_id;
      if (!RUN_ID.test(run)) {
        problems.push({ file: label, line, path: 'benchmark_run_id', message: `${JSON.stringify(run)} cannot name a file in candidates/; use letters, digits, '.', '_' and '-'` });
        failedRuns.add(run);
        continue;
      }
      let entry = runs.get(run);
      if (!entry) {
        entry = { report: { run, file: `${CANDIDATES_DIR}/${run}.jsonl`, imported: 0, already_imported: 0, conflicting: [], repeated_in_input: [] }, lines: [] };
        runs.set(run, entry);
      }
      const before = known.get(candidate.id);
      if (before !== undefined) {
        if (before === stableJson(candidate)) entry.report.already_imported += 1;
        else entry.report.conflicting.push(candidate.id);
      } else if (seen.has(candidate.id)) {
        entry.report.repeated_in_input.push(candidate.id);
      } else {
        seen.set(candidate.id, `${label}:${line}`);
        entry.lines.push(rawLines[line - 1]!);
        entry.report.imported += 1;
      }
    }
  }

  const reports: RunReport[] = [];
  for (const [run, { report, lines }] of [...runs].sort(([a], [b]) => compareOrdinal(a, b))) {
    if (failedRuns.has(run)) continue;
    reports.push(report);
    if (dryRun || lines.length === 0) continue;
    await appendLines(join(dir, report.file), lines);
  }
  return { runs: reports, problems, dryRun };
}

/** The harness files named by `input`: a JSONL file, a run folder, or a folder of run folders. */
async function findInputs(input: string): Promise<string[]> {
  let info;
  try {
    info = await stat(input);
  } catch {
    throw new PloverError('E_NOTHING_TO_IMPORT', `${input} does not exist; give a harness output folder, a run folder or a .jsonl file`);
  }
  if (info.isFile()) return [input];
  const own = join(input, HARNESS_FILE);
  if (await exists(own)) return [own];
  const found: string[] = [];
  for (const entry of (await readdir(input, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const file = join(input, entry.name, HARNESS_FILE);
    if (entry.isDirectory() && (await exists(file))) found.push(file);
  }
  if (!found.length) {
    throw new PloverError('E_NOTHING_TO_IMPORT', `no ${HARNESS_FILE} in ${input} or its subfolders; the harness writes <run_id>/${HARNESS_FILE}`);
  }
  return found;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Appends lines to a candidate file, atomically (the whole new file is renamed into place). */
async function appendLines(path: string, lines: string[]): Promise<void> {
  let current = '';
  try {
    current = await readFile(path, 'utf8');
  } catch (err) {
    // ENOENT: a new run gets a new file.
    if (errorCode(err) !== 'ENOENT') throw err;
  }
  if (current && !current.endsWith('\n')) current += '\n';
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${current}${lines.join('\n')}\n`);
}

/** JSON with keys sorted at every level, to compare records whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => compareOrdinal(a, b))) : v));
}
