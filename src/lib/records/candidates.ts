/** Candidate files: JSONL, one candidate per line, as the benchmark harness writes them. */
import type { Problem } from '../errors.ts';
import type { Candidate } from './schema-types.generated.ts';
import { parseJsonText } from '../json.ts';
import { checkAgainstSchema } from './schema-check.ts';

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
  const candidates: LocatedCandidate[] = [];
  const problems: Problem[] = [];
  const take = (raw: string, line: number) => {
    const textLine = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (textLine.trim() === '') {
      problems.push({ file, line, message: 'is blank; a JSONL file holds one JSON object per line: remove the blank line' });
      return;
    }
    const parsed = parseJsonText(textLine, { file, line });
    if (parsed.problems.length) {
      problems.push(...parsed.problems);
      return;
    }
    const bad = checkAgainstSchema('candidate', parsed.value, { file, line });
    if (bad.length) problems.push(...bad);
    else candidates.push({ candidate: parsed.value as Candidate, file, line });
  };
  if (typeof input === 'string') {
    const lines = input.split('\n');
    if (lines.at(-1) === '') lines.pop();
    lines.forEach((raw, i) => take(raw, i + 1));
  } else {
    const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let line = 0;
    for (let at = 0; at < input.length;) {
      const newline = input.indexOf(0x0a, at);
      const end = newline === -1 ? input.length : newline;
      line += 1;
      let raw: string | undefined;
      try {
        raw = decoder.decode(input.subarray(at, end));
      } catch {
        problems.push({ file, line, message: 'is not valid UTF-8; re-encode it as UTF-8' });
      }
      if (raw !== undefined) take(raw, line);
      at = end + 1;
    }
  }
  return { candidates, problems };
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
