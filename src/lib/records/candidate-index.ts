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
   * @returns the index, and the problems readCandidates finds, in its order.
   */
  static async read(source: DataSource, seen?: (located: LocatedCandidate) => void): Promise<{ candidates: CandidateIndex; problems: Problem[] }> {
    const index = new CandidateIndex(source);
    const problems: Problem[] = [];
    const duplicates: Problem[] = [];
    for await (const { file, chunks, whole } of candidateFiles(source, problems)) {
      if (!whole && !source.readAt) throw new Error(`the source reads ${file} in chunks but cannot read a part of it again (readAt)`);
      const f = index.files.push(file) - 1;
      index.whole.push(whole);
      const parser = new CandidateFileParser(file, (located, span) => {
        const problem = index.add(f, located, span!);
        if (problem) duplicates.push(problem);
        else seen?.(located);
      });
      for (const chunk of chunks) parser.push(chunk);
      problems.push(...parser.end().problems);
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

  private add(f: number, { candidate, line }: LocatedCandidate, span: LineSpan): Problem | undefined {
    const n = this.idOf.length;
    const problem = this.ids.add(candidate.id, this.files[f]!, line, n);
    if (problem) return problem;
    this.idOf.push(candidate.id);
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
