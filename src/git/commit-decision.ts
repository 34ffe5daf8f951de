/**
 * Where a decision becomes a commit. The record is built and validated, then written
 * as git objects along the one changed path (blob, shard tree, corrections/ tree, root
 * tree, commit): the cost does not grow with the number of existing corrections, unlike
 * `git add` + `git commit` through the index, which rebuilds every tree (DESIGN.md).
 *
 * Like isomorphic-git itself, it is handed its `fs` (node:fs in Node, LightningFS in
 * the browser). With a working tree (`dir`), the file is written there and the index
 * entry for that one path is updated, so `git status` stays clean; without one (a
 * browser clone without checkout), only objects and the ref are written.
 */
import git, { type PromiseFsClient, type TreeEntry } from 'isomorphic-git';
import { createCorrection, serializeCorrection, type Decision } from '../lib/correction.ts';
import { compileCommitMessage } from '../lib/commit-message.ts';
import { PloverError } from '../lib/errors.ts';
import { correctionPath } from '../lib/paths.ts';
import type { Correction, Reviewer } from '../lib/schema-types.ts';

/** A promise-style fs as isomorphic-git takes it, plus `rename` for atomic writes (node:fs and LightningFS have it). */
export type GitFs = PromiseFsClient & { promises: PromiseFsClient['promises'] & { rename: (from: string, to: string) => Promise<void> } };

export interface CommitDecisionOptions {
  fs: GitFs;
  /** The working tree. When given, the file and its index entry are written too. */
  dir?: string;
  /** The git directory; defaults to `<dir>/.git`. */
  gitdir?: string;
  /** isomorphic-git's object cache: reuse one per session (the first pack read hashes the pack). */
  cache: object;
  decision: Decision;
  reviewer: Reviewer;
  /** The decision time; also the commit's author and committer time. */
  now?: Date;
  /** The branch to commit on, e.g. `refs/heads/labels/ann`; defaults to the checked-out branch. */
  ref?: string;
  /** Where `ref` starts when it does not exist yet (default `HEAD`); e.g. `refs/remotes/origin/main`. */
  base?: string;
}

export interface CommitDecisionResult {
  /** The new commit's sha. */
  oid: string;
  /** The correction file, relative to the repository root. */
  path: string;
  correction: Correction;
}

/** How often the ref may move under us (another writer) before we give up. */
const MAX_ATTEMPTS = 5;

/**
 * Turns one reviewer's decision into one commit that adds or replaces its correction file.
 * @throws PloverError `E_INVALID_DECISION` (bad decision), `E_DETACHED_HEAD`, `E_REF_MOVED`.
 */
export async function commitDecision(options: CommitDecisionOptions): Promise<CommitDecisionResult> {
  const { fs, dir, cache, decision, reviewer } = options;
  const gitdir = options.gitdir ?? (dir === undefined ? undefined : `${dir}/.git`);
  if (gitdir === undefined) throw new TypeError('commitDecision needs `dir` or `gitdir`');
  const now = options.now ?? new Date();

  const correction = createCorrection(decision, reviewer, now);
  const path = correctionPath(correction.candidate_id, correction.reviewer.email);
  const text = serializeCorrection(correction);
  const ref = options.ref ?? (await checkedOutBranch(fs, gitdir));

  let blob: string;
  if (dir !== undefined) {
    await writeFileAtomic(fs, dir, path, text);
    // Hashes the file just written, stores the blob, and records the file's real stat
    // data in the index, so native `git status` sees it as unchanged.
    blob = (await git.updateIndex({ fs, dir, gitdir, cache, filepath: path, add: true })) as string;
  } else {
    blob = await git.writeBlob({ fs, gitdir, blob: new TextEncoder().encode(text) });
  }

  const author = {
    name: correction.reviewer.name,
    email: correction.reviewer.email,
    timestamp: Math.floor(now.getTime() / 1000),
    timezoneOffset: 0,
  };
  const message = compileCommitMessage(correction);

  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const current = await resolveOrNull(fs, gitdir, ref);
    const parent = current ?? (await resolveOrNull(fs, gitdir, options.base ?? 'HEAD'));
    const baseTree = parent ? (await git.readCommit({ fs, gitdir, oid: parent, cache })).commit.tree : null;
    const tree = await replaceAlongPath({ fs, gitdir, cache }, baseTree, path.split('/'), blob);
    const oid = await git.writeCommit({
      fs,
      gitdir,
      commit: { message, tree, parent: parent ? [parent] : [], author, committer: author },
    });
    // Compare-and-set: only move the ref if nobody else moved it while we built the commit.
    if ((await resolveOrNull(fs, gitdir, ref)) !== current) continue;
    await git.writeRef({ fs, gitdir, ref, value: oid, force: true });
    return { oid, path, correction };
  }
  throw new PloverError('E_REF_MOVED', `${ref} kept moving while committing ${path}; try again`);
}

async function checkedOutBranch(fs: GitFs, gitdir: string): Promise<string> {
  const branch = await git.currentBranch({ fs, gitdir, fullname: true });
  if (!branch) {
    throw new PloverError('E_DETACHED_HEAD', 'HEAD is detached; check out a branch (e.g. `git switch main`) before labeling');
  }
  return branch;
}

async function resolveOrNull(fs: GitFs, gitdir: string, ref: string): Promise<string | null> {
  try {
    return await git.resolveRef({ fs, gitdir, ref });
  } catch (err) {
    // NotFoundError: an unborn branch (a repository without commits yet) has no parent.
    if ((err as { code?: string }).code === 'NotFoundError') return null;
    throw err;
  }
}

/**
 * Writes the trees from `segments` up to the root with `blob` at the end of the path,
 * reusing every other entry as it is.
 * @returns the new root tree's oid.
 */
async function replaceAlongPath(
  ctx: { fs: GitFs; gitdir: string; cache: object },
  treeOid: string | null,
  segments: string[],
  blob: string,
): Promise<string> {
  const [name, ...rest] = segments as [string, ...string[]];
  const entries: TreeEntry[] = treeOid ? (await git.readTree({ ...ctx, oid: treeOid })).tree : [];
  const existing = entries.find((e) => e.path === name);
  const entry: TreeEntry = rest.length
    ? {
        mode: '040000',
        path: name,
        type: 'tree',
        oid: await replaceAlongPath(ctx, existing?.type === 'tree' ? existing.oid : null, rest, blob),
      }
    : { mode: '100644', path: name, type: 'blob', oid: blob };
  const tree = entries.filter((e) => e.path !== name);
  tree.push(entry);
  return git.writeTree({ fs: ctx.fs, gitdir: ctx.gitdir, tree });
}

/** Writes a file under `dir` by writing a temporary file and renaming it, creating folders as needed. */
async function writeFileAtomic(fs: GitFs, dir: string, path: string, text: string): Promise<void> {
  const p = fs.promises;
  const parts = path.split('/');
  let folder = dir;
  for (const part of parts.slice(0, -1)) {
    folder = `${folder}/${part}`;
    try {
      await p.mkdir(folder);
    } catch (err) {
      // EEXIST: the folder is already there, which is the usual case.
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
  }
  const target = `${dir}/${path}`;
  const temp = `${target}.tmp-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  await p.writeFile(temp, text, 'utf8');
  await p.rename(temp, target);
}
