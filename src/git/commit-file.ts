/**
 * The mechanism under every plover commit: one file written or removed, as git objects
 * along its path only (blob, the trees from its folder up to the root, the commit), then
 * the branch is moved if it is still where the commit was built on (atomically with
 * `updateRef`), else the commit is built again on the new tip. The cost does not grow with the number of other
 * files, unlike `git add` + `git commit` through the index, which rebuilds every tree.
 *
 * Like isomorphic-git itself, it is handed its `fs` (node:fs in Node, LightningFS in the
 * browser). With a working tree (`dir`), the file and its index entry change too, so
 * `git status` stays clean; without one (a browser clone without checkout), only
 * objects and the ref are written.
 */
import git, { type PromiseFsClient, type TreeEntry } from 'isomorphic-git';
import { PloverError, errorCode } from '../lib/errors.ts';
import { keepCommit, keepTree, keptRoot, keptTree, readTree, writeTree } from './tree-cache.ts';
import { commitContent, isomorphicWriter, type ObjectWriter } from './objects.ts';

/**
 * A promise-style fs as isomorphic-git takes it. Its `writeFile` must replace a file
 * atomically (a kill leaves the old or the new content, nothing between):
 * node/atomic-fs.ts in Node; LightningFS in the browser writes each file in one
 * IndexedDB transaction.
 */
export type GitFs = PromiseFsClient;

export interface GitTarget {
  fs: GitFs;
  /** The working tree. When given, the file and its index entry are written too. */
  dir?: string;
  /** The git directory; defaults to `<dir>/.git`. */
  gitdir?: string;
  /** isomorphic-git's object cache: reuse one per session (the first pack read hashes the pack). */
  cache: object;
  /** The branch to commit on, e.g. `refs/heads/labels/ann`; defaults to the checked-out branch. */
  ref?: string;
  /** Where `ref` starts when it does not exist yet (default `HEAD`); e.g. `refs/remotes/origin/main`. */
  base?: string;
  /**
   * With a working tree: sets (blob) or removes (null) one path's index entry faster than
   * isomorphic-git does (node/git-index.ts); false lets isomorphic-git do it.
   */
  index?: (change: { path: string; blob: string | null }) => Promise<boolean> | boolean;
  /**
   * Moves `ref` to `oid` only if it still points at `expected` (null: it does not exist),
   * atomically; false when it moved (node/ref-update.ts). Without it the ref is checked,
   * then written: enough where one lock already keeps out every other writer (the page,
   * under its Web Lock).
   */
  updateRef?: (ref: string, oid: string, expected: string | null, log: RefLogEntry) => Promise<boolean>;
  /**
   * Reads the trees of `commit` at each of `paths` ('' is the root) in one go, each null
   * where there is no tree, faster than isomorphic-git on a packed repository: its first
   * read from a pack reads and hashes the whole pack (120 ms for a 60 MB pack).
   * node/tree-reader.ts does it with one `git cat-file --batch`.
   */
  readTrees?: (commit: string, paths: string[]) => Promise<({ oid: string; entries: TreeEntry[] } | null)[]>;
  /** Stores the objects a commit writes (git/objects.ts); by default isomorphic-git does. */
  writeObject?: ObjectWriter;
}

export interface CommitFileOptions extends GitTarget {
  /** Relative to the repository root, with `/`. */
  path: string;
  /** The new content, or null to remove the file. */
  text: string | null;
  message: string;
  /** Author and committer; `date` is also the commit time (UTC). */
  author: { name: string; email: string; date: Date };
}

/** How often the ref may move under us (another writer) before we give up. */
const MAX_ATTEMPTS = 5;

/**
 * Whether a read of git's objects failed because a pack vanished while it was read: git's
 * maintenance beside plover (`git repack -d`, `git gc`) removes old packs, and
 * isomorphic-git, having listed one, reads nothing and throws a TypeError (with the
 * `caller` it names its own errors by). Read again, the packs are listed anew.
 */
function packVanished(err: unknown): boolean {
  return err instanceof TypeError && typeof (err as { caller?: unknown }).caller === 'string';
}

/** The git directory of a target. */
export function gitdirOf(target: { dir?: string; gitdir?: string }): string {
  const gitdir = target.gitdir ?? (target.dir === undefined ? undefined : `${target.dir}/.git`);
  if (gitdir === undefined) throw new TypeError('a git target needs `dir` or `gitdir`');
  return gitdir;
}

/** What a reflog line says of a ref update: who moved it, when, and why (git's `commit: <subject>`). */
export interface RefLogEntry {
  who: { name: string; email: string; timestamp: number };
  message: string;
}

/**
 * Commits one file's new content (or its removal).
 * @returns the new commit's sha.
 * @throws PloverError `E_DETACHED_HEAD`, `E_REF_MOVED`, and what `updateRef` throws (`E_REF_LOCKED`).
 */
export async function commitFile(options: CommitFileOptions): Promise<string> {
  const { fs, dir, cache, path, text } = options;
  const gitdir = gitdirOf(options);
  const ref = options.ref ?? (await checkedOutBranch(fs, gitdir));
  const write = options.writeObject ?? isomorphicWriter(fs, gitdir);

  let blob: string | null = null;
  if (dir !== undefined) {
    if (text === null) await removeFile(fs, `${dir}/${path}`);
    else await writeWorkingFile(fs, dir, path, text);
    if (text !== null && options.index) blob = await write('blob', new TextEncoder().encode(text));
    if (!(await options.index?.({ path, blob }))) {
      // The index entry gets the file's real stat data, so native `git status` sees it as
      // unchanged; adding also hashes the file just written and stores the blob.
      if (text === null) await git.updateIndex({ fs, dir, gitdir, cache, filepath: path, remove: true, force: true });
      else blob = (await git.updateIndex({ fs, dir, gitdir, cache, filepath: path, add: true })) as string;
    }
  } else if (text !== null) {
    blob = await write('blob', new TextEncoder().encode(text));
  }

  const who = { name: options.author.name, email: options.author.email, timestamp: Math.floor(options.author.date.getTime() / 1000), timezoneOffset: 0 };
  /** The trees an attempt wrote. */
  const written: string[] = [];
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await resolveOrNull(fs, gitdir, ref);
    const parent = current ?? (await resolveOrNull(fs, gitdir, options.base ?? 'HEAD'));
    const segments = path.split('/');
    let tree: string;
    try {
      const trees = parent ? await treesAlong({ ...options, gitdir }, parent, segments.slice(0, -1)) : [];
      tree = (await replaceAlongPath({ fs, gitdir, cache, write, written }, trees, segments, blob)) ?? (await writeTree({ fs, gitdir, cache, write }, []));
    } catch (err) {
      // Like a moved ref, built again: see packVanished.
      if (attempt < MAX_ATTEMPTS && packVanished(err)) continue;
      throw err;
    }
    const oid = await write('commit', commitContent({ tree, parents: parent ? [parent] : [], who, message: options.message }));
    keepCommit(cache, oid, tree, parent);
    // Only move the ref if nobody else moved it while we built the commit; else build again on theirs.
    if (options.updateRef) {
      await checkPresent({ fs, gitdir, cache }, [oid, tree, ...written.splice(0), ...(blob ? [blob] : [])], path);
      if (await options.updateRef(ref, oid, current, { who, message: `commit${current ? '' : ' (initial)'}: ${options.message.split('\n', 1)[0]}` })) return oid;
      continue;
    }
    if ((await resolveOrNull(fs, gitdir, ref)) !== current) continue;
    await git.writeRef({ fs, gitdir, ref, value: oid, force: true });
    return oid;
  }
  throw new PloverError('E_REF_MOVED', `${ref} kept moving while committing ${path}; try again`);
}

/**
 * The text of `path` in the tip of `ref` (default: the checked-out branch), or null when
 * the file (or the branch) is not there.
 */
export async function readCommittedFile(target: GitTarget, path: string): Promise<string | null> {
  const gitdir = gitdirOf(target);
  const ref = target.ref ?? (await checkedOutBranch(target.fs, gitdir));
  const oid = (await resolveOrNull(target.fs, gitdir, ref)) ?? (await resolveOrNull(target.fs, gitdir, target.base ?? 'HEAD'));
  if (!oid) return null;
  try {
    const { blob } = await git.readBlob({ fs: target.fs, gitdir, oid, filepath: path, cache: target.cache });
    return new TextDecoder().decode(blob);
  } catch (err) {
    // NotFoundError: the file is not in that commit.
    if (errorCode(err) === 'NotFoundError') return null;
    throw err;
  }
}

async function checkedOutBranch(fs: GitFs, gitdir: string): Promise<string> {
  const branch = await git.currentBranch({ fs, gitdir, fullname: true });
  if (!branch) {
    throw new PloverError('E_DETACHED_HEAD', 'HEAD is detached; check out a branch (e.g. `git switch main`) before labeling');
  }
  return branch;
}

/** The oid a ref points at, or null when there is no such ref (an unborn branch, a ref never written). */
export async function resolveOrNull(fs: GitFs, gitdir: string, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, gitdir, ref });
  } catch (err) {
    // NotFoundError: the ref does not exist (e.g. a repository without commits has no parent).
    if (errorCode(err) === 'NotFoundError') return null;
    throw err;
  }
}

/**
 * The oids of the trees along `folders` in `commit`, the root first, null from where a
 * folder is missing. From what the session keeps when it can (a commit on the last one
 * finds the whole path there), else by `readTrees`, else through isomorphic-git.
 */
async function treesAlong(target: GitTarget & { gitdir: string }, commit: string, folders: string[]): Promise<(string | null)[]> {
  const { fs, gitdir, cache } = target;
  const root = keptRoot(cache, commit);
  const kept = root === undefined ? undefined : await walk(root, folders, (oid) => keptTree(cache, oid));
  if (kept) return kept;
  if (target.readTrees) {
    const read = await target.readTrees(commit, ['', ...folders.map((_, i) => folders.slice(0, i + 1).join('/'))]);
    for (const tree of read) if (tree) keepTree(cache, tree.oid, tree.entries);
    if (read[0]) keepCommit(cache, commit, read[0].oid);
    return read.map((tree) => tree?.oid ?? null);
  }
  const read = (await git.readCommit({ fs, gitdir, oid: commit, cache })).commit.tree;
  keepCommit(cache, commit, read);
  return (await walk(read, folders, (oid) => readTree({ fs, gitdir, cache }, oid)))!;
}

/** The trees along `folders` from `root`, null from where a folder is missing; undefined when `entriesOf` has no answer for one. */
async function walk(
  root: string,
  folders: string[],
  entriesOf: (oid: string) => readonly TreeEntry[] | undefined | Promise<readonly TreeEntry[]>,
): Promise<(string | null)[] | undefined> {
  const oids: (string | null)[] = [root];
  for (const name of folders) {
    const at = oids.at(-1)!;
    if (at === null) {
      oids.push(null);
      continue;
    }
    const entries = await entriesOf(at);
    if (!entries) return undefined;
    oids.push(subtree(entries, name));
  }
  return oids;
}

function subtree(entries: readonly TreeEntry[], name: string): string | null {
  const entry = entries.find((e) => e.path === name);
  return entry?.type === 'tree' ? entry.oid : null;
}

/**
 * Writes the trees from `segments[level]` up to the root with `blob` at the end of the
 * path (or without that entry when `blob` is null), reusing every other entry as it is.
 * `trees` holds the current tree of each folder along the path (see treesAlong).
 * @returns the new tree's oid, or null when it would be empty (git stores no empty folders).
 */
async function replaceAlongPath(
  ctx: { fs: GitFs; gitdir: string; cache: object; write: ObjectWriter; written: string[] },
  trees: (string | null)[],
  segments: string[],
  blob: string | null,
  level = 0,
): Promise<string | null> {
  const name = segments[level]!;
  const at = trees[level] ?? null;
  const tree = (at ? await readTree(ctx, at) : []).filter((e) => e.path !== name);
  if (level < segments.length - 1) {
    const sub = await replaceAlongPath(ctx, trees, segments, blob, level + 1);
    if (sub) tree.push({ mode: '040000', path: name, type: 'tree', oid: sub });
  } else if (blob !== null) {
    tree.push({ mode: '100644', path: name, type: 'blob', oid: blob });
  }
  if (!tree.length) return null;
  const oid = await writeTree(ctx, tree);
  ctx.written.push(oid);
  return oid;
}

/**
 * Looks on disk for each object a commit just wrote (loose, else in a pack) before the
 * ref may name it: a `git prune` or `git gc --prune=now` running beside plover removes
 * loose objects no ref names yet, and a branch must never name what is not there.
 * @throws PloverError `E_OBJECTS_GONE`; nothing is committed then.
 */
async function checkPresent(ctx: { fs: GitFs; gitdir: string; cache: object }, oids: string[], path: string): Promise<void> {
  for (const oid of new Set(oids)) {
    try {
      await ctx.fs.promises.stat(`${ctx.gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`);
      continue;
    } catch {
      // Not loose: written before and packed since, or gone.
    }
    try {
      await git.readObject({ ...ctx, oid, format: 'deflated' });
    } catch (err) {
      if (errorCode(err) !== 'NotFoundError') throw err;
      throw new PloverError(
        'E_OBJECTS_GONE',
        `object ${oid}, written for the commit of ${path}, is gone from ${ctx.gitdir} before the branch could name it (a \`git prune\` or \`git gc --prune=now\` running beside plover removes such objects); nothing was committed: try again`,
      );
    }
  }
}

async function removeFile(fs: GitFs, path: string): Promise<void> {
  try {
    await fs.promises.unlink(path);
  } catch (err) {
    // ENOENT: already gone from the working tree; the index and the commit still change.
    if (errorCode(err) !== 'ENOENT') throw err;
  }
}

/** Writes a working-tree file (atomically, as the fs does), creating its folders as needed. */
async function writeWorkingFile(fs: GitFs, dir: string, path: string, text: string): Promise<void> {
  const parts = path.split('/');
  let folder = dir;
  for (const part of parts.slice(0, -1)) {
    folder = `${folder}/${part}`;
    try {
      await fs.promises.mkdir(folder);
    } catch (err) {
      // EEXIST: the folder is already there, which is the usual case.
      if (errorCode(err) !== 'EEXIST') throw err;
    }
  }
  await fs.promises.writeFile(`${dir}/${path}`, text, 'utf8');
}
