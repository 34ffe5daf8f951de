/** What changed between two trees, found by walking them in step (used by the push and its replay). */
import { readTree } from './tree-cache.ts';
import type { GitFs } from './commit-file.ts';

export interface Change {
  path: string;
  /** The new blob, or null when the file was removed. */
  oid: string | null;
}

/**
 * Walks two trees in step, descending only where they differ: hands each object of
 * `tree` that `before` does not have to `found` as soon as it is seen (a tree with the
 * one at its path in `before`), and collects the files that changed.
 */
export async function diffTrees(
  clone: { fs: GitFs; gitdir: string; cache: object },
  before: string | null,
  tree: string | null,
  prefix: string,
  /** Each new object, and for a tree the one its path had before (null for a new path), to send it as a delta against. */
  found: (oid: string, before: string | null) => void,
  changes: Change[],
): Promise<void> {
  if (before === tree) return;
  const read = async (oid: string | null) => (oid ? readTree(clone, oid) : []);
  if (tree) found(tree, before);
  const [then, now] = await Promise.all([read(before), read(tree)]);
  const old = new Map(then.map((e) => [e.path, e]));
  for (const entry of now) {
    const was = old.get(entry.path);
    old.delete(entry.path);
    if (was?.oid === entry.oid) continue;
    if (entry.type === 'tree') await diffTrees(clone, was?.type === 'tree' ? was.oid : null, entry.oid, `${prefix}${entry.path}/`, found, changes);
    else if (entry.type === 'blob') {
      found(entry.oid, null);
      changes.push({ path: `${prefix}${entry.path}`, oid: entry.oid });
    }
  }
  for (const gone of old.values()) {
    if (gone.type === 'tree') await diffTrees(clone, gone.oid, null, `${prefix}${gone.path}/`, found, changes);
    else changes.push({ path: `${prefix}${gone.path}`, oid: null });
  }
}
