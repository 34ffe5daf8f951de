/**
 * Where the repository's data is read from: the working tree, or any git ref without
 * checking it out (`plover export --ref`). Neither reads a file over the size limit:
 * the ref's listing carries every size, and the working tree's read looks at the size
 * of the open file first.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PloverError, errorCode } from '../lib/errors.ts';
import type { DataSource, FileChunks, SourceFile, TooLarge } from '../lib/records/repository.ts';
import { compareOrdinal } from '../lib/ordinal.ts';

export type { DataSource, SourceFile } from '../lib/records/repository.ts';

const run = promisify(execFile);

/**
 * The working tree at `dir`, read with synchronous calls: for many small files one
 * syscall each beats a thread-pool round trip each (measured: the async version left the
 * export idle for half its time at 10k). The listing has no sizes (a stat per file was
 * 4% of an export at 100k); `read` takes the size from the open file and does not read
 * one over the limit.
 */
export function worktreeSource(dir: string): DataSource {
  /** The files `readAt` opened, kept open until `close`. */
  const open = new Map<string, number>();
  return {
    async list(folder) {
      let top;
      try {
        top = lstatSync(join(dir, folder));
      } catch (err) {
        // ENOENT: a repository without that folder simply has no such files yet.
        if (errorCode(err) === 'ENOENT') return [];
        throw err;
      }
      if (!top.isDirectory()) return [{ path: folder, kind: entryKind(top) }];
      const files: SourceFile[] = [];
      const empty: string[] = [];
      walk(join(dir, folder), folder, files, empty);
      // A submodule that is not checked out is an empty folder: git's index tells.
      if (empty.length) files.push(...(await submodules(dir, empty)));
      return files.sort((a, b) => compareOrdinal(a.path, b.path));
    },
    read: async (path, maxBytes) => readUpTo(join(dir, path), maxBytes),
    readChunks: (path, maxBytes) => chunksUpTo(join(dir, path), maxBytes),
    readAt(path, offset, length) {
      let fd = open.get(path);
      if (fd === undefined) {
        fd = (openUpTo(join(dir, path), Infinity) as { fd: number }).fd; // no size is over Infinity
        open.set(path, fd);
      }
      const bytes = Buffer.allocUnsafe(length);
      let at = 0;
      while (at < length) {
        const n = readSync(fd, bytes, at, length - at, offset + at);
        if (n === 0) break; // the file is shorter now
        at += n;
      }
      return at === length ? bytes : bytes.subarray(0, at);
    },
    close() {
      for (const fd of open.values()) closeSync(fd);
      open.clear();
    },
  };
}

/**
 * Lists the regular files under `folder` into `files`, and names everything else there
 * (a link, a submodule, a device) without following or reading it: a link could point
 * anywhere outside the repository. Descends only into real directories.
 */
function walk(folder: string, path: string, files: SourceFile[], empty: string[]): void {
  const entries = readdirSync(folder, { withFileTypes: true });
  if (!entries.length) empty.push(path);
  if (entries.some((e) => e.name === '.git')) {
    files.push({ path, kind: 'submodule' });
    return;
  }
  for (const e of entries) {
    const at = `${path}/${e.name}`;
    if (e.isDirectory()) walk(join(folder, e.name), at, files, empty);
    else files.push(e.isFile() ? { path: at } : { path: at, kind: entryKind(e) });
  }
}

/** Those of `paths` (empty folders) that git's index holds as submodules. */
async function submodules(dir: string, paths: string[]): Promise<SourceFile[]> {
  let stdout: string;
  try {
    ({ stdout } = await run('git', ['--literal-pathspecs', 'ls-files', '--stage', '-z', '--', ...paths], { cwd: dir }));
  } catch {
    return []; // not a git repository: an empty folder is only an empty folder
  }
  return stdout
    .split('\0')
    .filter((record) => record.startsWith('160000 '))
    .map((record) => ({ path: record.slice(record.indexOf('\t') + 1), kind: 'submodule' }));
}

function entryKind(e: { isSymbolicLink(): boolean }): NonNullable<SourceFile['kind']> {
  return e.isSymbolicLink() ? 'symlink' : 'special';
}

/** The file's bytes, or only its size when that is over `maxBytes`. Opens no link (`O_NOFOLLOW`). */
function readUpTo(file: string, maxBytes: number): Uint8Array | TooLarge {
  const opened = openUpTo(file, maxBytes);
  if ('tooLarge' in opened) return opened;
  const { fd, size } = opened;
  try {
    const bytes = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const n = readSync(fd, bytes, at, size - at, null);
      if (n === 0) break; // the file shrank while being read
      at += n;
    }
    return at === size ? bytes : bytes.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** How much of a file is read at a time by `chunksUpTo` and `chunksOfPart`. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * The file's bytes in chunks of one buffer, reused from one chunk to the next, or only its
 * size when that is over `maxBytes`. Opens no link (`O_NOFOLLOW`).
 */
function chunksUpTo(file: string, maxBytes: number): FileChunks | TooLarge {
  const opened = openUpTo(file, maxBytes);
  if ('tooLarge' in opened) return opened;
  const { fd, size } = opened;
  // Up to the size the file had when opened: a file that grows while read is read as it was.
  const chunks = chunksOf(fd, 0, size);
  return Object.assign(chunks, { size });
}

/**
 * Bytes `start` to `end` of the file at `path` in the working tree at `dir`, in chunks as
 * `chunksUpTo` gives them (fewer where the file is now shorter): a part of a candidate
 * file read on another thread (candidates-apart.ts). Opens no link.
 */
export function chunksOfPart(dir: string, path: string, start: number, end: number): Iterable<Uint8Array> {
  return chunksOf((openUpTo(join(dir, path), Infinity) as { fd: number }).fd, start, end); // no size is over Infinity
}

/** Reads an open file from `start` to `end` in chunks of one reused buffer, and closes it. */
function* chunksOf(fd: number, start: number, end: number): Generator<Uint8Array> {
  try {
    const buffer = Buffer.allocUnsafe(Math.min(end - start, CHUNK_BYTES));
    for (let at = start; at < end;) {
      const n = readSync(fd, buffer, 0, Math.min(buffer.length, end - at), at);
      if (n === 0) break; // the file shrank while being read
      at += n;
      yield buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** Opens a regular file for reading, unless it is over `maxBytes` (then only its size). Opens no link (`O_NOFOLLOW`). */
function openUpTo(file: string, maxBytes: number): { fd: number; size: number } | TooLarge {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new PloverError('E_INVALID_REPOSITORY', `${file} is not a regular file; plover reads only regular files`);
    if (stat.size > maxBytes) {
      closeSync(fd);
      return { tooLarge: stat.size };
    }
    return { fd, size: stat.size };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/**
 * The tree of `ref` in the repository at `dir`, read with native git: `git ls-tree`
 * lists it, one long-running `git cat-file --batch` reads the blobs in order.
 * @throws PloverError `E_BAD_REF` when the ref does not name a commit.
 */
export async function gitRefSource(dir: string, ref: string): Promise<DataSource & { commit: string }> {
  let commit: string;
  try {
    commit = (await run('git', ['rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`], { cwd: dir })).stdout.trim();
  } catch {
    throw new PloverError('E_BAD_REF', `--ref ${JSON.stringify(ref)} does not name a commit in ${dir}; try a branch, tag or sha from \`git log\``);
  }
  const reader = new BlobReader(dir);
  const blobs = new Map<string, string>();
  return {
    commit,
    async list(folder) {
      const { stdout } = await run('git', ['ls-tree', '-r', '-z', '--long', '--full-tree', commit, '--', folder], {
        cwd: dir,
        maxBuffer: 1024 * 1024 * 1024,
      });
      const files: SourceFile[] = [];
      for (const record of stdout.split('\0')) {
        if (!record) continue;
        // "<mode> <type> <oid> <size>\t<path>"
        const tab = record.indexOf('\t');
        const [mode, , oid, size] = record.slice(0, tab).split(/ +/);
        const path = record.slice(tab + 1);
        // Links and submodules are named, never read: the same answer as the working tree.
        if (mode === '120000') files.push({ path, kind: 'symlink' });
        else if (mode === '160000') files.push({ path, kind: 'submodule' });
        else {
          blobs.set(path, oid!);
          files.push({ path, size: Number(size) });
        }
      }
      return files.sort((a, b) => compareOrdinal(a.path, b.path));
    },
    read(path) {
      // The listing gave every size, checked before reading.
      const oid = blobs.get(path);
      if (!oid) return Promise.reject(new Error(`${path} is not in ${ref}`));
      return reader.read(oid);
    },
    close: () => reader.close(),
  };
}

/**
 * Some files of one commit, read with native git: what changed in a branch since it was
 * last read (Workspace.refresh). Sizes are checked as each file is read.
 */
export function gitFilesSource(dir: string, commit: string, paths: string[]): DataSource {
  const reader = new BlobReader(dir);
  return {
    list: async (folder) =>
      paths
        .filter((path) => path.startsWith(`${folder}/`))
        .sort(compareOrdinal)
        .map((path) => ({ path })),
    async read(path, maxBytes) {
      const body = await reader.read(`${commit}:${path}`);
      return body.length > maxBytes ? { tooLarge: body.length } : body;
    },
    close: () => reader.close(),
  };
}

/** An object as `git cat-file --batch` gives it. */
export interface GitObject {
  oid: string;
  type: string;
  body: Uint8Array;
}

/**
 * Reads objects through one `git cat-file --batch`, answering requests in the order
 * they were made. A request is anything cat-file names: an oid, or `<commit>:<path>`.
 */
export class BlobReader {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: { resolve(o: GitObject | null): void; reject(e: Error): void }[] = [];
  /** Output not consumed yet, as chunks: joined only once a whole answer is there (no quadratic copying). */
  private chunks: Buffer[] = [];
  private length = 0;
  /** The answer being received (header read), or undefined while waiting for a header. */
  private expecting: { oid: string; type: string; size: number } | undefined;
  private failure: Error | undefined;

  constructor(dir: string) {
    this.child = spawn('git', ['cat-file', '--batch'], { cwd: dir });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.drain();
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    this.child.on('error', fail);
    this.child.on('exit', (code) => code && fail(new Error(`git cat-file exited with ${code}`)));
  }

  /** The object's content; rejects when there is no such object. */
  async read(request: string): Promise<Uint8Array> {
    const found = await this.object(request);
    if (!found) throw new Error(`git cat-file: ${request} missing`);
    return found.body;
  }

  /** The object, or null when there is none (`<commit>:<path>` of a path not in that commit). */
  object(request: string): Promise<GitObject | null> {
    if (this.failure) return Promise.reject(this.failure);
    if (/[\n\r]/.test(request)) return Promise.reject(new Error(`git cat-file cannot name ${JSON.stringify(request)}`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(`${request}\n`);
    });
  }

  private take(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    this.chunks = all.length > n ? [all.subarray(n)] : [];
    this.length = all.length - n;
    return all.subarray(0, n);
  }

  private drain() {
    for (;;) {
      if (!this.expecting) {
        const head = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
        this.chunks = head.length ? [head] : [];
        const newline = head.indexOf(10);
        if (newline < 0) return;
        const header = this.take(newline + 1)
          .toString()
          .trimEnd();
        // "<oid> <type> <size>", or "<request> missing" (or "ambiguous"; a request may hold spaces)
        if (header.endsWith(' missing')) {
          this.waiting.shift()?.resolve(null);
          continue;
        }
        const fields = header.split(' ');
        const [oid, type, size] = fields;
        if (fields.length !== 3 || !Number.isSafeInteger(Number(size))) {
          this.waiting.shift()?.reject(new Error(`git cat-file: ${header}`));
          continue;
        }
        this.expecting = { oid: oid!, type: type!, size: Number(size) };
      }
      if (this.length < this.expecting.size + 1) return;
      const body = Uint8Array.from(this.take(this.expecting.size));
      this.take(1); // the newline after each object
      const { oid, type } = this.expecting;
      this.expecting = undefined;
      this.waiting.shift()?.resolve({ oid, type, body });
    }
  }

  close() {
    this.child.stdin.end();
  }
}
