/**
 * The repository's data, read from a DataSource (the working tree or a git ref in Node,
 * a commit of the page's clone in the browser): candidate files, correction files, and
 * the checks `plover validate` runs. Readers collect every
 * problem and return them; callers decide whether to fail.
 */
import { CandidateFileParser, indexCandidates, unknownCandidate, type LocatedCandidate } from './candidates.ts';
import { MAX_CORRECTION_BYTES, parseCorrection } from './correction.ts';
import { PloverError, formatProblem, type Problem } from '../errors.ts';
import { CORRECTIONS_DIR, CORRECTION_PATH_PATTERN, correctionPath } from './paths.ts';
import type { LocatedCorrection } from './correction.ts';
import { compareOrdinal } from '../ordinal.ts';

export interface SourceFile {
  /** Relative to the repository root, with `/`. */
  path: string;
  /** In bytes, when the listing tells it for free (git ls-tree); otherwise `read` checks the size. */
  size?: number;
  /** Set when the entry is not a regular file: it is named as a problem, never followed or read. */
  kind?: 'symlink' | 'submodule' | 'special';
}

/** A file `read` did not read because it is larger than the limit it was given. */
export interface TooLarge {
  tooLarge: number;
}

/** Where the repository's files are read from. */
export interface DataSource {
  /** Files under `folder` (recursively), sorted by path; none when the folder is missing. */
  list(folder: string): Promise<SourceFile[]>;
  /**
   * The files `list` gives, in its order, an entry of `folder` at a time, each as soon as
   * it is listed: correction files are read this way where a source offers it (the page's
   * first clone, whose folders' trees arrive one after the other).
   */
  listParts?(folder: string): AsyncIterable<SourceFile[]>;
  /** The file's bytes, or its size without its bytes when it is over `maxBytes`. */
  read(path: string, maxBytes: number): Promise<Uint8Array | TooLarge>;
  /**
   * The file's bytes a chunk at a time, or its size without its bytes when it is over
   * `maxBytes`; a chunk may be reused once the next is asked for, and the file stays open
   * until the chunks are taken to the end. Candidate files are read this way where a
   * source offers it, so that a 300 MB run is never held whole.
   */
  readChunks?(path: string, maxBytes: number): FileChunks | TooLarge;
  /**
   * `length` bytes of the file from `offset`, read again after `readChunks` (fewer where
   * the file is now shorter): the export reads an exported candidate's line when it needs
   * it instead of holding every candidate. Offered by the sources that offer `readChunks`.
   */
  readAt?(path: string, offset: number, length: number): Uint8Array;
  /**
   * The file's bytes as they arrive, before the whole file can be read (the page's first
   * clone, while its pack is inflated and hashed), then the whole file, which tells
   * whether what arrived was this file (see PackStore.arriving); null when the file is to
   * be read whole (so too when what arrives is over `maxBytes`: `read` tells whether the
   * file is). Candidate files are read this way where a source offers it.
   */
  readArriving?(path: string, maxBytes: number): Promise<ArrivingFile | null>;
  /** Frees what the source holds (a git process). */
  close(): void;
}

/** A file's bytes a chunk at a time (DataSource.readChunks), and its size when it was opened. */
export type FileChunks = Iterable<Uint8Array> & { size?: number };

/** A file's bytes as they arrive (DataSource.readArriving). */
export interface ArrivingFile {
  parts: AsyncIterable<Uint8Array>;
  /** @throws when what arrived was not this file: what was read of it must be thrown away. */
  whole(): Promise<Uint8Array>;
}

export const CANDIDATES_DIR = 'candidates';

/** Files that may sit in the data folders beside the data. */
const DOC_FILES = new Set(['README.md', '.gitkeep']);

/** A candidate file holds a whole run; this only stops something that is clearly not one. */
export const MAX_CANDIDATE_FILE_BYTES = 1024 * 1024 * 1024;
/** How many files are read at once: enough to keep the disk and libuv busy, few enough to spare file handles. */
const READ_CONCURRENCY = 64;

export interface CandidateData {
  candidates: Map<string, LocatedCandidate>;
  /** In candidate-file order (files by name, then line): the review queue's order. */
  candidateOrder: string[];
  problems: Problem[];
}

const isDoc = (path: string) => DOC_FILES.has(path.slice(path.lastIndexOf('/') + 1));

const NOT_REGULAR = {
  symlink: 'is a symbolic link, which plover never follows (it could point outside the repository); commit the file itself in its place',
  submodule: 'is a submodule (a gitlink), which plover never reads; remove it (`git rm`) and commit the files themselves',
  special: 'is not a regular file (a device, pipe or socket); remove it',
} as const;

/** A data folder's entries that are regular files and not its documents; each entry that is not a regular file is a problem. */
function dataFiles(listed: SourceFile[], problems: Problem[]): SourceFile[] {
  return listed.filter(({ path, kind }) => {
    if (kind) problems.push({ file: path, message: NOT_REGULAR[kind] });
    return !kind && !isDoc(path);
  });
}

/** Reads and checks every candidate file; problems are returned, not thrown. */
export async function readCandidates(source: DataSource): Promise<CandidateData> {
  const problems: Problem[] = [];
  const located: LocatedCandidate[] = [];
  for await (const { file, chunks } of candidateFiles(source, problems)) {
    const parser = new CandidateFileParser(file);
    for (const chunk of chunks) parser.push(chunk);
    const parsed = parser.end();
    located.push(...parsed.candidates);
    problems.push(...parsed.problems);
  }
  const { byId, problems: duplicateIds } = indexCandidates(located);
  problems.push(...duplicateIds);
  return { candidates: byId, candidateOrder: located.map((c) => c.candidate.id), problems };
}

/** A candidate file to parse: its bytes in chunks (with the file's size where the source tells it), and, where the source cannot read it in chunks, those bytes whole (the one chunk). */
export interface CandidateFileBytes {
  file: string;
  chunks: FileChunks;
  whole?: Uint8Array;
}

/** A candidate file read as its bytes arrive (DataSource.readArriving). */
export interface CandidateFileArriving {
  file: string;
  arriving: ArrivingFile;
}

/**
 * The candidate files, in path order; a file misnamed or over the limit is a problem in `problems`, not read.
 * @param arriving read each as it arrives where the source offers it (the reader then checks `whole` before it uses what it read).
 */
export function candidateFiles(source: DataSource, problems: Problem[]): AsyncGenerator<CandidateFileBytes>;
export function candidateFiles(source: DataSource, problems: Problem[], arriving: true): AsyncGenerator<CandidateFileBytes | CandidateFileArriving>;
export async function* candidateFiles(source: DataSource, problems: Problem[], arriving = false): AsyncGenerator<CandidateFileBytes | CandidateFileArriving> {
  for (const { path: file, size } of dataFiles(await source.list(CANDIDATES_DIR), problems)) {
    if (!file.endsWith('.jsonl') || file.slice(CANDIDATES_DIR.length + 1).includes('/')) {
      problems.push({ file, message: 'is not a candidate file; candidates/ holds one <run_id>.jsonl per benchmark run (see `plover import`)' });
      continue;
    }
    const early = arriving && source.readArriving ? await source.readArriving(file, MAX_CANDIDATE_FILE_BYTES) : null;
    const read = early ? { arriving: early } : await candidateChunks(source, file, size);
    if ('tooLarge' in read) problems.push({ file, message: `is ${read.tooLarge} bytes, over the ${MAX_CANDIDATE_FILE_BYTES}-byte limit for a candidate file; split the run` });
    else yield { file, ...read };
  }
}

/** A candidate file's bytes in chunks (in one where the source cannot stream), or its size when it is over the limit. */
async function candidateChunks(source: DataSource, file: string, size: number | undefined): Promise<Omit<CandidateFileBytes, 'file'> | TooLarge> {
  if (size !== undefined && size > MAX_CANDIDATE_FILE_BYTES) return { tooLarge: size };
  if (source.readChunks) {
    const chunks = source.readChunks(file, MAX_CANDIDATE_FILE_BYTES);
    return 'tooLarge' in chunks ? chunks : { chunks };
  }
  const bytes = await source.read(file, MAX_CANDIDATE_FILE_BYTES);
  return 'tooLarge' in bytes ? bytes : { chunks: [bytes], whole: bytes };
}

/**
 * Reads every correction file in path order and yields them grouped by candidate (the
 * files of one candidate are adjacent: their names start with its key). Checks each
 * file's place in the layout, size, encoding, schema, and path against its record;
 * problems go to `problems` as they are found (a reader on a thread sends them on as it
 * goes). Holds one batch of files at a time. Where the source lists in parts (listParts),
 * a record at another file's path is worded when the generator ends, once it is known
 * whether that path holds a file too.
 */
export async function* iterateCorrections(source: DataSource, problems: Problem[]): AsyncGenerator<LocatedCorrection[]> {
  const present = new Set<string>();
  const misplacedMessage = (expected: string, email: string, id: string) =>
    present.has(expected)
      ? `is a second decision of ${email} on ${JSON.stringify(id)}, which ${expected} already holds; delete one of the two`
      : `does not match the file's path: this record belongs at ${expected}; move it there`;
  // Those worded at the end: their path was not listed yet, and more of the listing was to come.
  const misplaced: { problem: Problem; expected: string; email: string; id: string }[] = [];
  let group: LocatedCorrection[] = [];
  let groupKey = '';
  for await (const files of correctionFiles(source, problems, present)) {
    for (let i = 0; i < files.length; i += READ_CONCURRENCY) {
      const batch = files.slice(i, i + READ_CONCURRENCY);
      const read = await Promise.all(batch.map((file) => source.read(file, MAX_CORRECTION_BYTES)));
      for (const [j, file] of batch.entries()) {
        const bytes = read[j]!;
        if ('tooLarge' in bytes) {
          problems.push(tooLargeCorrection(file, bytes.tooLarge));
          continue;
        }
        const text = decodeUtf8(bytes, file, problems);
        if (text === undefined) continue;
        const { correction, problems: bad } = parseCorrection(text, file);
        problems.push(...bad);
        if (!correction) continue;
        const expected = correctionPath(correction.candidate_id, correction.reviewer.email);
        if (expected !== file) {
          const { email } = correction.reviewer;
          const problem: Problem = { file, path: 'candidate_id', message: misplacedMessage(expected, email, correction.candidate_id) };
          problems.push(problem);
          if (source.listParts && !present.has(expected)) misplaced.push({ problem, expected, email, id: correction.candidate_id });
          continue;
        }
        const key = file.slice(0, file.indexOf('--'));
        if (key !== groupKey && group.length) {
          yield* splitById(group);
          group = [];
        }
        groupKey = key;
        group.push({ correction, file });
      }
    }
  }
  if (group.length) yield* splitById(group);
  for (const { problem, expected, email, id } of misplaced) problem.message = misplacedMessage(expected, email, id);
}

/**
 * The correction files to read, a part of the listing at a time (listParts where the source
 * offers it): each entry's place in the layout and listed size checked, every path listed
 * added to `present`.
 */
async function* correctionFiles(source: DataSource, problems: Problem[], present: Set<string>): AsyncGenerator<string[]> {
  for await (const listed of source.listParts?.(CORRECTIONS_DIR) ?? [await source.list(CORRECTIONS_DIR)]) {
    for (const f of listed) present.add(f.path);
    const files: string[] = [];
    for (const { path: file, size } of dataFiles(listed, problems)) {
      if (!CORRECTION_PATH_PATTERN.test(file)) {
        problems.push({ file, message: 'is not where plover puts corrections (corrections/<2 hex>/<16 hex>--<reviewer>-<8 hex>.json); move or delete it' });
      } else if (size !== undefined && size > MAX_CORRECTION_BYTES) {
        problems.push(tooLargeCorrection(file, size));
      } else files.push(file);
    }
    yield files;
  }
}

function tooLargeCorrection(file: string, size: number): Problem {
  return { file, message: `is ${size} bytes, over the ${MAX_CORRECTION_BYTES}-byte limit for a correction; a correction holds one response` };
}

/** One group per candidate id (two ids share a 64-bit key only by a hash collision). */
function* splitById(group: LocatedCorrection[]): Generator<LocatedCorrection[]> {
  const ids = [...new Set(group.map((c) => c.correction.candidate_id))].sort(compareOrdinal);
  for (const id of ids) yield group.filter((c) => c.correction.candidate_id === id);
}

/** Reads every correction, and checks that each refers to a known candidate. */
export async function readCorrections(source: DataSource, candidates: { has(id: string): boolean }): Promise<{ corrections: LocatedCorrection[]; problems: Problem[] }> {
  const problems: Problem[] = [];
  const corrections: LocatedCorrection[] = [];
  for await (const group of iterateCorrections(source, problems)) {
    for (const c of group) {
      if (!candidates.has(c.correction.candidate_id)) {
        problems.push(unknownCandidate(c.file, c.correction.candidate_id));
      }
      corrections.push(c);
    }
  }
  return { corrections, problems };
}

export interface RepositoryData extends CandidateData {
  corrections: LocatedCorrection[];
}

/** Reads and checks every candidate and correction; problems are returned, not thrown. */
export async function readRepository(source: DataSource): Promise<RepositoryData> {
  const candidates = await readCandidates(source);
  const corrections = await readCorrections(source, candidates.candidates);
  return { ...candidates, corrections: corrections.corrections, problems: [...candidates.problems, ...corrections.problems] };
}

/** One error listing every problem, for callers that cannot go on with invalid data. */
export function invalidRepository(problems: Problem[]): PloverError {
  const n = problems.length;
  return new PloverError('E_INVALID_REPOSITORY', `${n} problem${n === 1 ? '' : 's'} in the repository:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, { problems });
}

/** One decoder for every file (a browser takes longer to make one than to decode a correction); fatal, so invalid UTF-8 is told, not replaced. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 strictly: invalid bytes are a problem, not a silent replacement; a BOM
 * is kept so the JSON parser reports it.
 * @returns the text, or undefined after recording the problem.
 */
export function decodeUtf8(bytes: Uint8Array, file: string, problems: Problem[]): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    problems.push({ file, message: 'is not valid UTF-8; re-encode it as UTF-8' });
    return undefined;
  }
}
