/**
 * The trees plover read or wrote last, by oid, beside isomorphic-git's own cache object
 * (which keeps pack indexes, not objects). An oid names one content, so an entry is never
 * stale. Each commit reads the trees along one path from the branch head, the trees the
 * commit before it wrote, and each push compares those same trees: kept here, neither
 * reads them again from disk (IndexedDB in the page) nor parses them again.
 */
import git, { type TreeEntry } from 'isomorphic-git';
import type { GitFs } from './commit-file.ts';

/** Trees kept per cache object: the newest, a few commits' worth (about three trees each). */
const KEEP = 64;

const byCache = new WeakMap<object, Map<string, readonly TreeEntry[]>>();

interface TreeContext {
  fs: GitFs;
  gitdir: string;
  /** isomorphic-git's cache object of the session; the trees are kept with it. */
  cache: object;
}

function treesOf(cache: object): Map<string, readonly TreeEntry[]> {
  let trees = byCache.get(cache);
  if (!trees) byCache.set(cache, (trees = new Map()));
  return trees;
}

function keep(cache: object, oid: string, entries: readonly TreeEntry[]): void {
  const trees = treesOf(cache);
  trees.delete(oid);
  trees.set(oid, entries);
  if (trees.size > KEEP) trees.delete(trees.keys().next().value!);
}

/** The entries of a tree (not to be changed: they are shared). */
export async function readTree(ctx: TreeContext, oid: string): Promise<readonly TreeEntry[]> {
  const kept = treesOf(ctx.cache).get(oid);
  if (kept) return kept;
  const { tree } = await git.readTree({ fs: ctx.fs, gitdir: ctx.gitdir, cache: ctx.cache, oid });
  keep(ctx.cache, oid, tree);
  return tree;
}

/** Writes a tree of these entries and keeps them under its oid. */
export async function writeTree(ctx: TreeContext, entries: TreeEntry[]): Promise<string> {
  const oid = await git.writeTree({ fs: ctx.fs, gitdir: ctx.gitdir, tree: entries });
  keep(ctx.cache, oid, entries);
  return oid;
}
