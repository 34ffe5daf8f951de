/**
 * One candidate found by its id without parsing the other lines: what one `plover submit`
 * needs (at 100k candidates, reading and checking every line is most of the command's
 * time). The line found is parsed and checked like any; `plover validate` checks the rest.
 *
 * Where each id's line starts is kept in `.git/plover-candidate-lines`, valid while every
 * candidate file keeps its size and modification time; then a submit reads one line.
 * Otherwise the files' bytes are searched for the id, and the list is made again.
 *
 * The list is text, looked up without parsing it whole (at 100k candidates, parsing a
 * JSON object of every id took longer than the rest of the lookup): a first line of JSON
 * with the files, then one line per id, `<id as a JSON string>\t<file>\t<offset>\t<line>`.
 * A JSON string holds no raw tab or newline, so `\n"<id>"\t` finds exactly its line.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCandidateFile, type LocatedCandidate } from '../lib/records/candidates.ts';
import { CANDIDATES_DIR, type DataSource } from '../lib/records/repository.ts';
import { writeFileAtomic } from './atomic-fs.ts';

const NEWLINE = 0x0a;
const LINES_FILE = 'plover-candidate-lines';
/** The first `"id": "…"` of a line: where the harness writes it (the line is parsed before it is trusted). */
const ID_KEY = /"id"\s*:\s*("(?:[^"\\]|\\.)*")/;

/** The list's first line. */
interface ListHeader {
  version: 2;
  /** Candidate files, each with the size and modification time the list was made for. */
  files: { path: string; size: number; mtimeMs: number }[];
}

/** Where an id's line is: its file (index into the header's `files`), the line's byte offset and its number. */
type Place = [file: number, offset: number, line: number];

/**
 * The first valid candidate line with this id, or undefined when none is found this way
 * (the id may be written with escapes, or be unknown: a whole read then decides).
 */
export async function findCandidate(dir: string, source: DataSource, id: string): Promise<LocatedCandidate | undefined> {
  const paths = (await source.list(CANDIDATES_DIR)).filter((f) => !f.kind && f.path.endsWith('.jsonl')).map((f) => f.path);
  const files = await Promise.all(paths.map(async (path) => ({ path, ...pick(await stat(join(dir, path))) })));
  const kept = await readList(dir);
  if (kept && sameFiles(kept.header.files, files)) {
    const at = lookUp(kept.bytes, id);
    if (at === 'unlisted') return undefined;
    const file = at && files[at[0]];
    const found = file && (await readLineAt(dir, file.path, at[1], at[2]));
    if (found?.candidate.id === id) return found;
  }
  const found = await search(dir, paths, id);
  await writeLines(dir, files).catch(() => undefined);
  return found;
}

function pick(s: { size: number; mtimeMs: number }) {
  return { size: s.size, mtimeMs: s.mtimeMs };
}

function sameFiles(a: ListHeader['files'], b: ListHeader['files']): boolean {
  return a.length === b.length && a.every((f, i) => f.path === b[i]!.path && f.size === b[i]!.size && f.mtimeMs === b[i]!.mtimeMs);
}

async function readList(dir: string): Promise<{ header: ListHeader; bytes: Buffer } | undefined> {
  try {
    const bytes = await readFile(join(dir, '.git', LINES_FILE));
    const header = JSON.parse(bytes.subarray(0, bytes.indexOf(NEWLINE)).toString('utf8')) as ListHeader;
    return header.version === 2 && Array.isArray(header.files) ? { header, bytes } : undefined;
  } catch {
    return undefined;
  }
}

/** The place listed for `id`; undefined when its entry is damaged (the search decides then). */
function lookUp(bytes: Buffer, id: string): Place | 'unlisted' | undefined {
  const needle = Buffer.from(`\n${JSON.stringify(id)}\t`);
  const at = bytes.indexOf(needle);
  if (at === -1) return 'unlisted';
  const start = at + needle.length;
  const end = bytes.indexOf(NEWLINE, start);
  const place = bytes
    .toString('latin1', start, end === -1 ? bytes.length : end)
    .split('\t')
    .map(Number);
  return place.length === 3 && place.every(Number.isSafeInteger) ? (place as Place) : undefined;
}

/** Lists where each id's line starts in these files (by the first `"id"` key of each line). */
async function writeLines(dir: string, files: ListHeader['files']): Promise<void> {
  const listed = new Set<string>();
  const out: string[] = [JSON.stringify({ version: 2, files } satisfies ListHeader)];
  for (const [f, { path }] of files.entries()) {
    const bytes = await readFile(join(dir, path));
    for (let start = 0, line = 1; start < bytes.length; line++) {
      const end = bytes.indexOf(NEWLINE, start);
      const stop = end === -1 ? bytes.length : end;
      // The key is near the start of a line as the harness writes it; the rest is not read.
      const head = bytes.subarray(start, Math.min(stop, start + 512)).toString('utf8');
      const m = ID_KEY.exec(head);
      if (m) {
        try {
          const id = JSON.parse(m[1]!) as string;
          if (!listed.has(id)) {
            listed.add(id);
            out.push(`${JSON.stringify(id)}\t${f}\t${start}\t${line}`);
          }
        } catch {
          // Not a JSON string: this line is found by searching, as without the list.
        }
      }
      start = stop + 1;
    }
  }
  await writeFileAtomic(join(dir, '.git', LINES_FILE), `${out.join('\n')}\n`);
}

/** The candidate on the line at `offset`, if that line is a valid candidate. */
async function readLineAt(dir: string, path: string, offset: number, line: number): Promise<LocatedCandidate | undefined> {
  const handle = await open(join(dir, path), 'r');
  try {
    const chunks: Buffer[] = [];
    for (let at = offset, size = 64 * 1024; ; at += size, size *= 2) {
      const chunk = Buffer.alloc(size);
      const { bytesRead } = await handle.read(chunk, 0, size, at);
      const end = chunk.subarray(0, bytesRead).indexOf(NEWLINE);
      chunks.push(chunk.subarray(0, end === -1 ? bytesRead : end));
      if (end !== -1 || bytesRead < size) break;
    }
    const [found] = parseCandidateFile(Buffer.concat(chunks).toString('utf8'), path).candidates;
    return found && { ...found, line };
  } finally {
    await handle.close();
  }
}

/** The files' bytes searched for the id's JSON string: the line that is that candidate, not one that mentions it. */
async function search(dir: string, paths: string[], id: string): Promise<LocatedCandidate | undefined> {
  const needle = Buffer.from(JSON.stringify(id));
  for (const path of paths) {
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
      const [found] = parseCandidateFile(bytes.subarray(start, end === -1 ? bytes.length : end).toString('utf8'), path).candidates;
      if (found?.candidate.id === id) return { ...found, line };
    }
  }
  return undefined;
}
