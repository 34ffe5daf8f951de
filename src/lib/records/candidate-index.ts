/**
 * The candidates of an export, without holding their texts: every candidate file is read
 * and checked as readCandidates checks it, and what is kept of each candidate is its id
 * and where its line is. `get` reads the line again and parses it when the export takes
 * that candidate's corrections, so memory grows with the number of candidates (an id and
 * a few numbers each), not with every prompt and response held at once.
 */
import { CandidateFileParser, CandidateIds, type CandidateLookup, type LineSpan, type LocatedCandidate } from './candidates.ts';
import { candidateFiles, invalidRepository, type DataSource } from './repository.ts';
import type { Problem } from '../errors.ts';
import type { Candidate } from './schema-types.generated.ts';

export class CandidateIndex implements CandidateLookup {
  private readonly source: DataSource;
  private readonly files: string[] = [];
  /** A file's bytes, kept where the source cannot read a part of it again (a git ref, the page's clone). */
  private readonly whole: (Uint8Array | undefined)[] = [];
  /** By candidate number (file order): its id, file (index in `files`), line, and its line's bytes. */
  private readonly idOf: string[] = [];
  private readonly fileOf: number[] = [];
  private readonly lineOf: number[] = [];
  private readonly offsetOf: number[] = [];
  private readonly bytesOf: number[] = [];
  private readonly ids = new CandidateIds<number>((n) => ({ id: this.idOf[n]!, file: this.files[this.fileOf[n]!]!, line: this.lineOf[n]! }));
  private readonly decoder = new TextDecoder();

  private constructor(source: DataSource) {
    this.source = source;
  }

  /**
   * Reads and checks every candidate file of `source` (which stays in use until the index
   * is no longer: close it after).
   * @param seen given each candidate the index keeps, in file order (what the page takes its outline from, the export its earlier turns).
   * @param apart reads the second half of each large file on another thread (see CandidatesApart), while this one reads the first.
   * @returns the index, and the problems readCandidates finds, in its order.
   */
  static async read<N>(source: DataSource, seen?: (located: LocatedCandidate) => void, apart?: CandidatesApart<N>): Promise<{ candidates: CandidateIndex; problems: Problem[] }> {
    const index = new CandidateIndex(source);
    const problems: Problem[] = [];
    const duplicates: Problem[] = [];
    for await (const read of candidateFiles(source, problems, true)) {
      const { file } = read;
      const [chunks, whole] = 'arriving' in read ? [read.arriving.parts, undefined] : [read.chunks, read.whole];
      if (!whole && !source.readAt && !('arriving' in read)) throw new Error(`the source reads ${file} in chunks but cannot read a part of it again (readAt)`);
      const f = index.files.push(file) - 1;
      index.whole.push(whole);
      const keep = (id: string, line: number, span: LineSpan) => {
        const problem = index.add(f, id, line, span);
        if (problem) duplicates.push(problem);
        return !problem;
      };
      const parser = new CandidateFileParser(file, (located, span) => {
        if (keep(located.candidate.id, located.line, span!)) seen?.(located);
      });
      const size = 'size' in chunks ? chunks.size : undefined;
      const half = apart && !whole && size !== undefined && size >= apart.fromBytes ? secondHalf(source, file, size) : undefined;
      const part = half === undefined ? undefined : apart!.read(file, half, size!);
      part?.catch(() => undefined); // awaited below, once the first half is read
      let at = 0;
      for await (const chunk of chunks) {
        if (half !== undefined && at + chunk.length >= half) {
          parser.push(chunk.subarray(0, half - at));
          break; // the rest is the other thread's
        }
        parser.push(chunk);
        at += chunk.length;
      }
      problems.push(...parser.end().problems);
      // What arrived is used only once it is known to be this file.
      if ('arriving' in read) index.whole[f] = await read.arriving.whole();
      if (!part) continue;
      const { ids, lineOf, offsetOf, bytesOf, notes, problems: found } = await part;
      const before = parser.lines;
      for (const p of found) problems.push(p.line === undefined ? p : { ...p, line: before + p.line });
      for (let i = 0; i < ids.length; i++) if (keep(ids[i]!, before + lineOf[i]!, { offset: offsetOf[i]!, bytes: bytesOf[i]! })) apart!.take(notes[i]!);
    }
    problems.push(...duplicates);
    return { candidates: index, problems };
  }

  get size(): number {
    return this.ids.byId.size;
  }

  has(id: string): boolean {
    return this.ids.byId.has(id);
  }

  /** Every candidate, read again, in file order. */
  *all(): Generator<LocatedCandidate> {
    for (let n = 0; n < this.idOf.length; n++) yield this.at(n);
  }

  /** The bytes of a candidate file the source gave whole (a git ref, the page's clone). */
  wholeFile(file: string): Uint8Array | undefined {
    return this.whole[this.files.indexOf(file)];
  }

  /**
   * The candidate, read again from its file.
   * @throws PloverError `E_INVALID_REPOSITORY` when its line no longer holds it (the file changed while read).
   */
  get(id: string): LocatedCandidate | undefined {
    const n = this.ids.byId.get(id);
    return n === undefined ? undefined : this.at(n);
  }

  private add(f: number, id: string, line: number, span: LineSpan): Problem | undefined {
    const n = this.idOf.length;
    const problem = this.ids.add(id, this.files[f]!, line, n);
    if (problem) return problem;
    this.idOf.push(id);
    this.fileOf.push(f);
    this.lineOf.push(line);
    this.offsetOf.push(span.offset);
    this.bytesOf.push(span.bytes);
    return undefined;
  }

  private at(n: number): LocatedCandidate {
    const file = this.files[this.fileOf[n]!]!;
    const line = this.lineOf[n]!;
    const offset = this.offsetOf[n]!;
    const length = this.bytesOf[n]!;
    const whole = this.whole[this.fileOf[n]!];
    const bytes = whole ? whole.subarray(offset, offset + length) : this.source.readAt!(file, offset, length);
    let candidate: Candidate | undefined;
    try {
      candidate = JSON.parse(this.decoder.decode(bytes)) as Candidate; // checked when the index was read
    } catch {
      // the line changed: told below
    }
    if (!candidate || bytes.length !== length || candidate.id !== this.idOf[n]) {
      throw invalidRepository([
        { file, line, message: `changed while it was read: this line no longer holds candidate ${JSON.stringify(this.idOf[n])}; run the command again once the file is written` },
      ]);
    }
    return { candidate, file, line };
  }
}

/**
 * Reads the second half of large candidate files on another thread (src/node/candidates-apart.ts),
 * while the index reads the first: parsing and checking are most of the time a large file takes.
 */
export interface CandidatesApart<N> {
  /** Files from this size up are split. */
  fromBytes: number;
  /** Reads bytes `start` to `end` of `file` (CandidatePart): asked before the first half is read, awaited after. */
  read(file: string, start: number, end: number): Promise<CandidatePart<N>>;
  /** What `seen` does for a candidate read apart, from the note made of it there; in file order, for the candidates the index keeps. */
  take(note: N): void;
}

/** What a part of a candidate file read apart gives the index: each valid candidate's id, line (counted from the part's first) and span, a note made of it, and the part's problems. */
export interface CandidatePart<N> {
  ids: string[];
  lineOf: number[];
  offsetOf: number[];
  bytesOf: number[];
  notes: N[];
  problems: Problem[];
}

/** Parses bytes `start` on of a candidate file, given in chunks (a CandidatePart): the other side of CandidatesApart. */
export function readCandidatePart<N>(file: string, start: number, chunks: Iterable<Uint8Array>, note: (candidate: Candidate) => N): CandidatePart<N> {
  const part: CandidatePart<N> = { ids: [], lineOf: [], offsetOf: [], bytesOf: [], notes: [], problems: [] };
  const parser = new CandidateFileParser(
    file,
    ({ candidate, line }, span) => {
      part.ids.push(candidate.id);
      part.lineOf.push(line);
      part.offsetOf.push(span!.offset);
      part.bytesOf.push(span!.bytes);
      part.notes.push(note(candidate));
    },
    start,
  );
  for (const chunk of chunks) parser.push(chunk);
  part.problems = parser.end().problems;
  return part;
}

/** Where the second half of a file starts: after the first line break from its middle on; undefined when there is none before its end. */
function secondHalf(source: DataSource, file: string, size: number): number | undefined {
  const WINDOW = 64 * 1024;
  for (let at = size >> 1; at < size; at += WINDOW) {
    const bytes = source.readAt!(file, at, Math.min(WINDOW, size - at));
    const newline = bytes.indexOf(0x0a);
    if (newline !== -1) return at + newline + 1 < size ? at + newline + 1 : undefined;
    if (bytes.length === 0) return undefined;
  }
  return undefined;
}
