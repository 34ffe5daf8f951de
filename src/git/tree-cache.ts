/**
 * The trees plover read or wrote last, by oid, beside isomorphic-git's own cache object
 * (which keeps pack indexes, not objects). An oid names one content, so an entry is never
 * stale. Each commit reads the trees along one path from the branch head, the trees the
 * commit before it wrote, and each push compares those same trees: kept here, neither
 * reads them again from disk (IndexedDB in the page) nor parses them again. The root tree
 * of each commit read or written is kept too, so a commit on the last one finds the whole
 * path here, and the parent of each commit written, so a session can tell its own commits.
 */
import type { TreeEntry } from 'isomorphic-git';
import type { GitFs } from './commit-file.ts';
import { treeContent, type ObjectWriter } from './objects.ts';
import { readTreeEntries } from './object-store.ts';

/** Trees kept per cache object: the newest, a few commits' worth (about three trees each). */
const KEEP = 64;

const byCache = new WeakMap<object, Map<string, readonly TreeEntry[]>>();
/** Per commit: its root tree, and its parent when this cache's session wrote it (undefined for a commit read). */
const commitsByCache = new WeakMap<object, Map<string, { tree: string; parent?: string | null }>>();

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

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > KEEP) map.delete(map.keys().next().value!);
}

/** Keeps a tree's entries under its oid (read by other means than readTree). */
export function keepTree(cache: object, oid: string, entries: readonly TreeEntry[]): void {
  remember(treesOf(cache), oid, entries);
}

/** The kept entries of a tree, if it is kept. */
export function keptTree(cache: object, oid: string): readonly TreeEntry[] | undefined {
  return treesOf(cache).get(oid);
}

/** Keeps a commit's root tree, and its parent (null: none) when the session wrote it. */
export function keepCommit(cache: object, commit: string, tree: string, parent?: string | null): void {
  let commits = commitsByCache.get(cache);
  if (!commits) commitsByCache.set(cache, (commits = new Map()));
  // A commit read after the session wrote it keeps the parent it was written with.
  remember(commits, commit, parent === undefined ? (commits.get(commit) ?? { tree }) : { tree, parent });
}

/** The kept root tree of a commit, if it is kept. */
export function keptRoot(cache: object, commit: string): string | undefined {
  return commitsByCache.get(cache)?.get(commit)?.tree;
}

/** The parent of a commit this cache's session wrote (null: it has none); undefined for any other. */
export function writtenParent(cache: object, commit: string): string | null | undefined {
  return commitsByCache.get(cache)?.get(commit)?.parent;
}

/** The entries of a tree (not to be changed: they are shared). */
export async function readTree(ctx: TreeContext, oid: string): Promise<readonly TreeEntry[]> {
  const kept = treesOf(ctx.cache).get(oid);
  if (kept) return kept;
  const tree = await readTreeEntries(ctx, oid);
  keepTree(ctx.cache, oid, tree);
  return tree;
}

/** Writes a tree of these entries with `write` and keeps them under its oid. */
export async function writeTree(ctx: TreeContext & { write: ObjectWriter }, entries: TreeEntry[]): Promise<string> {
  const oid = await ctx.write('tree', treeContent(entries));
  keepTree(ctx.cache, oid, entries);
  return oid;
}
