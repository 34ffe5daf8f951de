/** Candidate files: JSONL, one candidate per line, as the benchmark harness writes them. */
import type { Problem } from '../errors.ts';
import type { Candidate } from './schema-types.generated.ts';
import { parseJsonText } from '../json.ts';
import { checkAgainstSchema } from './schema-check.ts';
import { concat as concatBytes } from '../bytes.ts';

/** A candidate and where it was read from. */
export interface LocatedCandidate {
  candidate: Candidate;
  file: string;
  line: number;
}

/** Candidates by id: a Map of them, or an index that reads each one again when asked (candidate-index.ts). */
export interface CandidateLookup {
  get(id: string): LocatedCandidate | undefined;
  readonly size: number;
}

/**
 * Parses one candidate file, its bytes or its text. Every line must be one valid
 * candidate; a final newline is allowed, blank lines are not (a JSONL line is one JSON
 * value). Bytes are decoded line by line, strictly: a line that is not UTF-8 is a problem
 * of that line, and a line of ASCII stays a one-byte string (one decoded 300 MB file with a
 * single accent in it would be a two-byte string of twice the size, and three times slower).
 * @returns the candidates, and a problem for every bad line (none is skipped silently).
 */
export function parseCandidateFile(input: string | Uint8Array, file: string): { candidates: LocatedCandidate[]; problems: Problem[] } {
  const parser = new CandidateFileParser(file);
  if (typeof input === 'string') {
    const lines = input.split('\n');
    if (lines.at(-1) === '') lines.pop();
    for (const raw of lines) parser.take(raw);
  } else parser.push(input);
  return parser.end();
}

/** Where a candidate's line is in its file's bytes: its first byte, and its length without the newline. */
export interface LineSpan {
  offset: number;
  bytes: number;
}

/**
 * Parses a candidate file as its bytes arrive, a chunk at a time (see parseCandidateFile):
 * a line cut between chunks is kept until its end comes, so the file is never held whole.
 * A chunk may be reused by the caller once `push` returns. Each valid candidate goes to
 * `keep` with its line's place in the bytes (none for text given to `take`), or, without
 * it, into the list `end` returns.
 */
export class CandidateFileParser {
  private readonly file: string;
  private readonly candidates: LocatedCandidate[] = [];
  private readonly keep: (located: LocatedCandidate, span: LineSpan | undefined) => void;
  private readonly problems: Problem[] = [];
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private line = 0;
  /** The start of a line whose end has not come yet, copied out of the chunks it came in. */
  private partial: Uint8Array[] = [];
  /** The offset of the line in `partial`, and of the chunk being pushed. */
  private partialAt = 0;
  private chunkAt = 0;

  /** @param start where the first chunk is in the file (a part of it parsed apart): spans count from the file's start, lines from the part's. */
  constructor(file: string, keep?: (located: LocatedCandidate, span: LineSpan | undefined) => void, start = 0) {
    this.file = file;
    this.keep = keep ?? ((located) => this.candidates.push(located));
    this.chunkAt = start;
  }

  /** The lines taken so far. */
  get lines(): number {
    return this.line;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, at);
      if (newline === -1) break;
      let bytes = chunk.subarray(at, newline);
      let offset = this.chunkAt + at;
      if (this.partial.length) {
        bytes = concatBytes([...this.partial, bytes]);
        offset = this.partialAt;
        this.partial = [];
      }
      this.decodeLine(bytes, offset);
      at = newline + 1;
    }
    if (at < chunk.length) {
      if (!this.partial.length) this.partialAt = this.chunkAt + at;
      this.partial.push(new Uint8Array(chunk.subarray(at))); // a copy (a Buffer's slice would share the chunk's memory)
    }
    this.chunkAt += chunk.length;
  }

  /** @returns the candidates (none when they went to `keep`), and a problem for every bad line (none is skipped silently). */
  end(): { candidates: LocatedCandidate[]; problems: Problem[] } {
    if (this.partial.length) this.decodeLine(concatBytes(this.partial), this.partialAt);
    this.partial = [];
    return { candidates: this.candidates, problems: this.problems };
  }

  /** One line of text, without its newline. */
  take(raw: string, span?: LineSpan): void {
    this.line += 1;
    const { file, line } = this;
    const textLine = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (textLine.trim() === '') {
      this.problems.push({ file, line, message: 'is blank; a JSONL file holds one JSON object per line: remove the blank line' });
      return;
    }
    const parsed = parseJsonText(textLine, { file, line });
    if (parsed.problems.length) {
      this.problems.push(...parsed.problems);
      return;
    }
    const bad = checkAgainstSchema('candidate', parsed.value, { file, line });
    if (bad.length) this.problems.push(...bad);
    else this.keep({ candidate: parsed.value as Candidate, file, line }, span);
  }

  private decodeLine(bytes: Uint8Array, offset: number): void {
    let raw: string;
    try {
      raw = this.decoder.decode(bytes);
    } catch {
      this.line += 1;
      this.problems.push({ file: this.file, line: this.line, message: 'is not valid UTF-8; re-encode it as UTF-8' });
      return;
    }
    this.take(raw, { offset, bytes: bytes.length });
  }
}

/**
 * Indexes candidates from several files by id.
 * @returns the index, and a problem for every id that appears twice (naming both places).
 */
export function indexCandidates(located: LocatedCandidate[]): { byId: Map<string, LocatedCandidate>; problems: Problem[] } {
  const ids = new CandidateIds<LocatedCandidate>((c) => ({ id: c.candidate.id, file: c.file, line: c.line }));
  const problems: Problem[] = [];
  for (const c of located) {
    const problem = ids.add(c.candidate.id, c.file, c.line, c);
    if (problem) problems.push(problem);
  }
  return { byId: ids.byId, problems };
}

/**
 * Candidates by id, as they come: an id seen before is refused, and so is one that
 * differs from an earlier id only in Unicode normalisation ("é" and "e" + combining
 * accent look the same to a reviewer). `where` tells the place of what is kept.
 */
export class CandidateIds<V> {
  readonly byId = new Map<string, V>();
  /** The ids whose NFC form differs from the id, by that form (the others are in byId under it). */
  private readonly byNormalId = new Map<string, V>();
  private readonly where: (kept: V) => { id: string; file: string; line: number };

  constructor(where: (kept: V) => { id: string; file: string; line: number }) {
    this.where = where;
  }

  /** Keeps `value` under `id`, unless the id repeats one kept. @returns the problem then, naming both places. */
  add(id: string, file: string, line: number, value: V): Problem | undefined {
    const first = this.byId.get(id);
    if (first !== undefined) {
      const at = this.where(first);
      return { file, line, path: 'id', message: `duplicate candidate id ${JSON.stringify(id)}, first at ${at.file}:${at.line}; ids must be unique across candidates/` };
    }
    const normal = id.normalize('NFC');
    const twin = this.byNormalId.get(normal) ?? this.byId.get(normal);
    if (twin !== undefined) {
      const at = this.where(twin);
      return {
        file,
        line,
        path: 'id',
        message: `candidate id ${JSON.stringify(id)} is ${JSON.stringify(at.id)} (${at.file}:${at.line}) written with other Unicode code points (the same after NFC normalisation), so the two look identical; give them ids that differ visibly`,
      };
    }
    this.byId.set(id, value);
    if (normal !== id) this.byNormalId.set(normal, value);
    return undefined;
  }
}

/** The problem of a correction whose candidate is in no candidate file: one wording wherever it is found. */
export function unknownCandidate(file: string, candidateId: string): Problem {
  return { file, path: 'candidate_id', message: `refers to unknown candidate ${JSON.stringify(candidateId)}; import its run into candidates/ or delete this file` };
}

/** What an input that names no candidate is told: the review service (page and label server), `plover submit` and a `--from` line. */
export function noCandidateMessage(candidateId: string): string {
  return `unknown candidate ${JSON.stringify(candidateId)}: no line in candidates/*.jsonl has this id (see \`plover validate\`)`;
}
