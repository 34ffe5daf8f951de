/**
 * One path's entry in `.git/index`, changed in place of isomorphic-git's updateIndex.
 *
 * isomorphic-git parses the whole index into objects, serialises it back and hashes it
 * with a JavaScript SHA-1: about 400 ms per decision at 100k files, more than native
 * `git add && git commit`. Here the index stays a buffer: one pass over the entries to
 * find the place (they are sorted by path), one splice, node:crypto's SHA-1 over the
 * result, written as git does (`index.lock` created exclusively, then renamed over
 * `index`), so a native git command running at the same time is never raced.
 *
 * Handled: index versions 2 and 3 (what git writes unless told otherwise). The TREE
 * extension (cached trees) and the other optional extensions that hold offsets or
 * directory stats (EOIE, IEOT, UNTR, FSMN) are dropped, which git allows: it rebuilds
 * them when it wants them. Anything else (version 4's compressed paths, a split index,
 * an entry in conflict) returns false, and the caller lets isomorphic-git do it.
 */
import { createHash } from 'node:crypto';
import { closeSync, lstatSync, openSync, readFileSync, renameSync, unlinkSync, writevSync } from 'node:fs';
import { PloverError } from '../lib/errors.ts';

const DROPPED_EXTENSIONS = new Set(['TREE', 'EOIE', 'IEOT', 'UNTR', 'FSMN']);
const KEPT_EXTENSIONS = new Set(['REUC']);

/**
 * Sets (or, with `blob` null, removes) the index entry of `path` to the file now in the
 * working tree, with its real stat data, so native `git status` sees it as unchanged.
 * @returns false when this index is one it does not handle (nothing written then).
 * @throws PloverError `E_INDEX_LOCKED` when another git command holds `index.lock`.
 */
export function updateIndexEntry(dir: string, gitdir: string, path: string, blob: string | null): boolean {
  let index: Buffer;
  try {
    index = readFileSync(`${gitdir}/index`);
  } catch {
    return false; // no index yet: isomorphic-git creates one
  }
  if (index.length < 32 || index.toString('latin1', 0, 4) !== 'DIRC') return false;
  const version = index.readUInt32BE(4);
  if (version !== 2 && version !== 3) return false;
  const count = index.readUInt32BE(8);
  const name = Buffer.from(path, 'utf8');

  // Walk the entries: where does `path` go, and is it there already?
  let offset = 12;
  let at = -1; // offset of the first entry sorting after `path`
  let replace: { start: number; end: number } | null = null;
  for (let i = 0; i < count; i++) {
    const flags = index.readUInt16BE(offset + 60);
    const extended = version === 3 && (flags & 0x4000) !== 0;
    const nameStart = offset + 62 + (extended ? 2 : 0);
    let nameLength = flags & 0xfff;
    if (nameLength === 0xfff) nameLength = index.indexOf(0, nameStart) - nameStart;
    const end = offset + ((62 + (extended ? 2 : 0) + nameLength + 8) & ~7);
    if (at < 0) {
      const order = Buffer.compare(index.subarray(nameStart, nameStart + nameLength), name);
      if (order === 0) {
        if ((flags & 0x3000) !== 0 || extended) return false; // in conflict, or skip-worktree/intent-to-add: not ours to touch
        replace = { start: offset, end };
        at = end;
      } else if (order > 0) at = offset;
    }
    offset = end;
  }
  if (at < 0) at = offset;
  const entriesEnd = offset;

  // Extensions: keep what stays true, drop what a changed entry makes stale.
  const kept: Buffer[] = [];
  while (offset < index.length - 20) {
    const signature = index.toString('latin1', offset, offset + 4);
    const size = index.readUInt32BE(offset + 4);
    const whole = index.subarray(offset, offset + 8 + size);
    if (KEPT_EXTENSIONS.has(signature)) kept.push(whole);
    else if (!DROPPED_EXTENSIONS.has(signature)) return false; // unknown, or required (e.g. a split index's "link")
    offset += 8 + size;
  }

  const entry = blob === null ? Buffer.alloc(0) : indexEntry(`${dir}/${path}`, name, blob);
  const header = Buffer.from(index.subarray(0, 12));
  header.writeUInt32BE(count + (blob === null ? 0 : 1) - (replace ? 1 : 0), 8);
  const before = index.subarray(12, replace ? replace.start : at);
  const after = index.subarray(replace ? replace.end : at, entriesEnd);
  if (blob === null && !replace) return true; // nothing to remove
  // Hashed and written part by part: no 10 MB copy of a large index per decision.
  const parts = [header, before, entry, after, ...kept];
  const sha1 = createHash('sha1');
  for (const part of parts) sha1.update(part);
  writeLocked(gitdir, [...parts, sha1.digest()]);
  return true;
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

/** git's protocol: create `index.lock` exclusively, write, rename over `index`. */
function writeLocked(gitdir: string, data: Buffer[]): void {
  const lock = `${gitdir}/index.lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (err) {
    if ((err as { code?: string }).code === 'EEXIST') {
      throw new PloverError('E_INDEX_LOCKED', `${lock} exists: another git command is using the index. Let it finish; if none is running, delete ${lock}`);
    }
    throw err;
  }
  try {
    writevAll(fd, data);
  } catch (err) {
    closeSync(fd);
    unlinkSync(lock);
    throw err;
  }
  closeSync(fd);
  renameSync(lock, `${gitdir}/index`);
}

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
