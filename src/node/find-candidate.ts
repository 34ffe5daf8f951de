/**
 * One candidate found by its id in the candidate files' bytes, without parsing the other
 * lines: what one `plover submit` needs (at 100k candidates, reading and checking every
 * line is most of the command's time). The line found is parsed and checked like any.
 * `plover validate` checks the rest.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCandidateFile, type LocatedCandidate } from '../lib/candidates.ts';
import { CANDIDATES_DIR, type DataSource } from '../lib/repository.ts';

const NEWLINE = 0x0a;

/**
 * The first valid candidate line with this id, or undefined when none is found this way
 * (the id may be written with escapes, or be unknown: a whole read then decides).
 */
export async function findCandidate(dir: string, source: DataSource, id: string): Promise<LocatedCandidate | undefined> {
  const needle = Buffer.from(JSON.stringify(id));
  for (const { path } of await source.list(CANDIDATES_DIR)) {
    if (!path.endsWith('.jsonl')) continue;
    const bytes = await readFile(join(dir, path));
    let line = 1;
    let counted = 0;
    for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + needle.length)) {
      const start = bytes.lastIndexOf(NEWLINE, at) + 1;
      const end = bytes.indexOf(NEWLINE, at);
      for (let nl = bytes.indexOf(NEWLINE, counted); nl !== -1 && nl < start; nl = bytes.indexOf(NEWLINE, nl + 1)) {
        line += 1;
        counted = nl + 1;
      }
      const text = bytes.subarray(start, end === -1 ? bytes.length : end).toString('utf8');
      // The id may also stand in another candidate's text: only a line that is this candidate counts.
      const [found] = parseCandidateFile(text, path).candidates;
      if (found?.candidate.id === id) return { ...found, line };
    }
  }
  return undefined;
}
