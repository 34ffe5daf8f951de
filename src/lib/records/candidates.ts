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

/**
 * Parses a candidate file as its bytes arrive, a chunk at a time (see parseCandidateFile):
 * a line cut between chunks is kept until its end comes, so the file is never held whole.
 * A chunk may be reused by the caller once `push` returns.
 */
export class CandidateFileParser {
  private readonly file: string;
  private readonly candidates: LocatedCandidate[] = [];
  private readonly problems: Problem[] = [];
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private line = 0;
  /** The start of a line whose end has not come yet, copied out of the chunks it came in. */
  private partial: Uint8Array[] = [];

  constructor(file: string) {
    this.file = file;
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    for (;;) {
      const newline = chunk.indexOf(0x0a, at);
      if (newline === -1) break;
      let bytes = chunk.subarray(at, newline);
      if (this.partial.length) {
        bytes = concatBytes([...this.partial, bytes]);
        this.partial = [];
      }
      this.decodeLine(bytes);
      at = newline + 1;
    }
    if (at < chunk.length) this.partial.push(new Uint8Array(chunk.subarray(at))); // a copy (a Buffer's slice would share the chunk's memory)
  }

  /** @returns the candidates, and a problem for every bad line (none is skipped silently). */
  end(): { candidates: LocatedCandidate[]; problems: Problem[] } {
    if (this.partial.length) this.decodeLine(concatBytes(this.partial));
    this.partial = [];
    return { candidates: this.candidates, problems: this.problems };
  }

  /** One line of text, without its newline. */
  take(raw: string): void {
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
    else this.candidates.push({ candidate: parsed.value as Candidate, file, line });
  }

  private decodeLine(bytes: Uint8Array): void {
    let raw: string;
    try {
      raw = this.decoder.decode(bytes);
    } catch {
      this.line += 1;
      this.problems.push({ file: this.file, line: this.line, message: 'is not valid UTF-8; re-encode it as UTF-8' });
      return;
    }
    this.take(raw);
  }
}

/**
 * Indexes candidates from several files by id.
 * @returns the index, and a problem for every id that appears twice (naming both places).
 */
export function indexCandidates(located: LocatedCandidate[]): { byId: Map<string, LocatedCandidate>; problems: Problem[] } {
  const byId = new Map<string, LocatedCandidate>();
  // Ids that differ only in Unicode normalisation ("é" and "e" + combining accent) look
  // the same to a reviewer: they are refused like duplicates.
  const byNormalId = new Map<string, LocatedCandidate>();
  const problems: Problem[] = [];
  for (const c of located) {
    const first = byId.get(c.candidate.id);
    const twin = byNormalId.get(c.candidate.id.normalize('NFC'));
    if (first) {
      problems.push({
        file: c.file,
        line: c.line,
        path: 'id',
        message: `duplicate candidate id ${JSON.stringify(c.candidate.id)}, first at ${first.file}:${first.line}; ids must be unique across candidates/`,
      });
    } else if (twin) {
      problems.push({
        file: c.file,
        line: c.line,
        path: 'id',
        message: `candidate id ${JSON.stringify(c.candidate.id)} is ${JSON.stringify(twin.candidate.id)} (${twin.file}:${twin.line}) written with other Unicode code points (the same after NFC normalisation), so the two look identical; give them ids that differ visibly`,
      });
    } else {
      byId.set(c.candidate.id, c);
      byNormalId.set(c.candidate.id.normalize('NFC'), c);
    }
  }
  return { byId, problems };
}

/** The problem of a correction whose candidate is in no candidate file: one wording wherever it is found. */
export function unknownCandidate(file: string, candidateId: string): Problem {
  return { file, path: 'candidate_id', message: `refers to unknown candidate ${JSON.stringify(candidateId)}; import its run into candidates/ or delete this file` };
}

/** What an input that names no candidate is told: the review service (page and label server), `plover submit` and a `--from` line. */
export function noCandidateMessage(candidateId: string): string {
  return `unknown candidate ${JSON.stringify(candidateId)}: no line in candidates/*.jsonl has this id (see \`plover validate\`)`;
}
