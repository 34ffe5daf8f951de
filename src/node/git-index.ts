/**
 * One path's entry in `.git/index`, changed in place of isomorphic-git's updateIndex.
 *
 * isomorphic-git parses the whole index into objects, serialises it back and hashes it
 * with a JavaScript SHA-1: about 400 ms per decision at 100k files, more than native
 * `git add && git commit`. Here the index stays a buffer: a binary search over the
 * entries' offsets (they are sorted by path), one splice, node:crypto's SHA-1 over the
 * result, written as git does (`index.lock` created exclusively, then renamed over
 * `index`), so a native git command running at the same time is never raced. The index
 * just written is kept in memory for the next decision, and used only while the file's
 * size and checksum say it is still the same (any other writer changes them).
 *
 * Handled: index versions 2 and 3 (what git writes unless told otherwise). The TREE
 * extension (cached trees) and the other optional extensions that hold offsets or
 * directory stats (EOIE, IEOT, UNTR, FSMN) are dropped, which git allows: it rebuilds
 * them when it wants them. Anything else (version 4's compressed paths, a split index,
 * an entry in conflict) returns false, and the caller lets isomorphic-git do it.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, linkSync, lstatSync, openSync, readFileSync, readSync, renameSync, unlink, unlinkSync, writevSync } from 'node:fs';
import { TMP_DIR } from './atomic-fs.ts';
import { PloverError } from '../lib/errors.ts';
import { indexLock, releaseLock, takeLock } from './owned-lock.ts';

const DROPPED_EXTENSIONS = new Set(['TREE', 'EOIE', 'IEOT', 'UNTR', 'FSMN']);
const KEPT_EXTENSIONS = new Set(['REUC']);

/**
 * Sets (or, with `blob` null, removes) the index entry of `path` to the file now in the
 * working tree, with its real stat data, so native `git status` sees it as unchanged.
 * @returns false when this index is one it does not handle (nothing written then).
 * @throws PloverError `E_INDEX_LOCKED` when another git command holds `index.lock`.
 */
export function updateIndexEntry(dir: string, gitdir: string, path: string, blob: string | null): boolean {
  const index = load(gitdir);
  if (!index) return false;
  const { buffer, version, offsets } = index;
  const count = offsets.length - 1;
  const name = Buffer.from(path, 'utf8');

  // Binary search (the entries are sorted by path bytes): the first entry not before `path`.
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (Buffer.compare(entryName(index, mid), name) < 0) lo = mid + 1;
    else hi = mid;
  }
  const exists = lo < count && Buffer.compare(entryName(index, lo), name) === 0;
  if (exists) {
    const flags = buffer.readUInt16BE(offsets[lo]! + 60);
    if ((flags & 0x3000) !== 0 || (version === 3 && (flags & 0x4000) !== 0)) return false; // in conflict, or skip-worktree/intent-to-add: not ours to touch
  }
  if (blob === null && !exists) return true; // nothing to remove

  const entriesEnd = offsets[count]!;
  const kept: Buffer[] = [];
  for (let offset = entriesEnd; offset < buffer.length - 20;) {
    const signature = buffer.toString('latin1', offset, offset + 4);
    const size = buffer.readUInt32BE(offset + 4);
    // Extensions: keep what stays true, drop what a changed entry makes stale.
    if (KEPT_EXTENSIONS.has(signature)) kept.push(buffer.subarray(offset, offset + 8 + size));
    else if (!DROPPED_EXTENSIONS.has(signature)) return false; // unknown, or required (e.g. a split index's "link")
    offset += 8 + size;
  }

  const entry = blob === null ? Buffer.alloc(0) : indexEntry(`${dir}/${path}`, name, blob);
  const at = offsets[lo]!;
  const resume = exists ? offsets[lo + 1]! : at;
  const newCount = count + (blob === null ? 0 : 1) - (exists ? 1 : 0);
  // One buffer, the next index whole: body, then its SHA-1.
  const parts = [buffer.subarray(0, at), entry, buffer.subarray(resume, entriesEnd), ...kept];
  const length = parts.reduce((n, part) => n + part.length, 0);
  const next = bufferToWrite(gitdir, length + 20, buffer);
  let into = 0;
  for (const part of parts) into += part.copy(next, into);
  next.writeUInt32BE(newCount, 8);
  createHash('sha1').update(next.subarray(0, length)).digest().copy(next, length);
  writeLocked(gitdir, [next]);

  // What was just written is the next call's index (as long as nobody else writes one).
  const shift = entry.length - (resume - at);
  const nextOffsets = new Uint32Array(newCount + 1);
  nextOffsets.set(offsets.subarray(0, lo));
  let i = lo;
  if (blob !== null) nextOffsets[i++] = at;
  for (let j = exists ? lo + 1 : lo; j <= count; j++) nextOffsets[i++] = offsets[j]! + shift;
  remember(gitdir, { buffer: next, version, offsets: nextOffsets });
  return true;
}

interface ParsedIndex {
  buffer: Buffer;
  version: number;
  /** Where each entry starts, and (last) where the entries end. */
  offsets: Uint32Array;
}

/**
 * Per git directory, the buffers indexes are built in, taken in turn: the one the index in
 * hand lives in, and the other, which the next index is written into. A new 10 MB buffer
 * per decision at 100k files made the collector run full passes over the label server's
 * heap every few decisions.
 */
const buffers = new Map<string, Buffer[]>();

/** A buffer of `size` bytes to build the next index in, never sharing memory with `source` (the index it is built from). */
function bufferToWrite(gitdir: string, size: number, source: Buffer): Buffer {
  const mine = buffers.get(gitdir) ?? [];
  const inUse = mine.filter((b) => b.buffer === source.buffer);
  const into = mine.find((b) => b.buffer !== source.buffer && b.length >= size) ?? Buffer.allocUnsafeSlow(size + (size >> 4));
  buffers.set(gitdir, [...inUse, into]);
  return into.subarray(0, size);
}

/** The last index this process wrote per git directory, with the file's identity then (see identity). */
const written = new Map<string, { identity: string; index: ParsedIndex }>();

/** The index file's size and trailing checksum (a SHA-1 of all the rest): equal means the same content. */
function identity(gitdir: string): string | null {
  let fd: number;
  try {
    fd = openSync(`${gitdir}/index`, 'r');
  } catch {
    return null;
  }
  try {
    const { size } = fstatSync(fd);
    if (size < 32) return `${size}`;
    const checksum = Buffer.alloc(20);
    readSync(fd, checksum, 0, 20, size - 20);
    return `${size}:${checksum.toString('hex')}`;
  } finally {
    closeSync(fd);
  }
}

function remember(gitdir: string, index: ParsedIndex): void {
  const id = identity(gitdir);
  if (id) written.set(gitdir, { identity: id, index });
}

/** The index, from memory when the file is still the one this process wrote, else read and walked. */
function load(gitdir: string): ParsedIndex | null {
  const id = identity(gitdir);
  if (id === null) return null; // no index yet: isomorphic-git creates one
  const known = written.get(gitdir);
  if (known && known.identity === id) return known.index;
  written.delete(gitdir);
  const buffer = readFileSync(`${gitdir}/index`);
  if (buffer.length < 32 || buffer.toString('latin1', 0, 4) !== 'DIRC') return null;
  const version = buffer.readUInt32BE(4);
  if (version !== 2 && version !== 3) return null;
  const count = buffer.readUInt32BE(8);
  const offsets = new Uint32Array(count + 1);
  let offset = 12;
  for (let i = 0; i < count; i++) {
    offsets[i] = offset;
    const flags = buffer.readUInt16BE(offset + 60);
    const extra = version === 3 && (flags & 0x4000) !== 0 ? 2 : 0;
    let nameLength = flags & 0xfff;
    if (nameLength === 0xfff) nameLength = buffer.indexOf(0, offset + 62 + extra) - (offset + 62 + extra);
    offset += (62 + extra + nameLength + 8) & ~7;
  }
  offsets[count] = offset;
  return { buffer, version, offsets };
}

function entryName({ buffer, version, offsets }: ParsedIndex, i: number): Buffer {
  const offset = offsets[i]!;
  const flags = buffer.readUInt16BE(offset + 60);
  const start = offset + 62 + (version === 3 && (flags & 0x4000) !== 0 ? 2 : 0);
  const length = (flags & 0xfff) === 0xfff ? buffer.indexOf(0, start) - start : flags & 0xfff;
  return buffer.subarray(start, start + length);
}

/** A version 2 entry for the file at `file`, as git writes it (stat fields truncated to 32 bits). */
function indexEntry(file: string, name: Buffer, blob: string): Buffer {
  const st = lstatSync(file, { bigint: true });
  const entry = Buffer.alloc((62 + name.length + 8) & ~7);
  const u32 = (value: bigint, at: number) => entry.writeUInt32BE(Number(value & 0xffffffffn), at);
  u32(st.ctimeNs / 1_000_000_000n, 0);
  u32(st.ctimeNs % 1_000_000_000n, 4);
  u32(st.mtimeNs / 1_000_000_000n, 8);
  u32(st.mtimeNs % 1_000_000_000n, 12);
  u32(st.dev, 16);
  u32(st.ino, 20);
  entry.writeUInt32BE((st.mode & 0o111n) !== 0n ? 0o100755 : 0o100644, 24);
  u32(st.uid, 28);
  u32(st.gid, 32);
  u32(st.size, 36);
  entry.write(blob, 40, 20, 'hex');
  entry.writeUInt16BE(Math.min(name.length, 0xfff), 60);
  name.copy(entry, 62);
  return entry;
}

/**
 * git's protocol: take `index.lock` exclusively, write, rename over `index`; the lock is
 * taken with its owner noted (owned-lock.ts), so that a killed plover's lock is removed
 * on the next start.
 */
function writeLocked(gitdir: string, data: Buffer[]): void {
  const files = indexLock(gitdir);
  const fd = takeLock(
    files,
    () => new PloverError('E_INDEX_LOCKED', `${files.lock} exists: another git command is using the index. Let it finish; if none is running, delete ${files.lock}`),
  );
  try {
    writevAll(fd, data);
  } catch (err) {
    closeSync(fd);
    unlinkSync(files.lock);
    releaseLock(files);
    throw err;
  }
  closeSync(fd);
  // Replacing the index frees the old one's pages, ~10 ms at 12 MB if the rename drops its
  // last link. A link kept in plover-tmp/ (cleared at every start) leaves that to an unlink
  // on the thread pool, after the decision is committed.
  const old = `${gitdir}/${TMP_DIR}/index-${process.pid}-${++replaced}`;
  let kept = true;
  try {
    linkSync(`${gitdir}/index`, old);
  } catch {
    kept = false; // no index yet, or no plover-tmp/: the rename frees it
  }
  renameSync(files.lock, `${gitdir}/index`);
  releaseLock(files);
  if (kept) unlink(old, () => undefined);
}

let replaced = 0;

/** writev until every byte is written (a short write continues where it stopped). */
function writevAll(fd: number, parts: Buffer[]): void {
  let pending = parts.filter((p) => p.length);
  while (pending.length) {
    let written = writevSync(fd, pending);
    while (pending.length && written >= pending[0]!.length) written -= pending.shift()!.length;
    if (pending.length && written) pending[0] = pending[0]!.subarray(written);
  }
}

/** The `index` option of a commit in the working tree at `dir` (see GitTarget). */
export function indexWriter(dir: string): (change: { path: string; blob: string | null }) => boolean {
  return ({ path, blob }) => updateIndexEntry(dir, `${dir}/.git`, path, blob);
}
