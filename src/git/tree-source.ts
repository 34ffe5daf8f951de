/**
 * A DataSource over a commit of a clone (read through object-store.ts: the packs in the
 * page, isomorphic-git elsewhere): how the hosted page reads candidates and corrections
 * from its clone, which has no working tree.
 */
import type { TreeEntry } from 'isomorphic-git';
import type { DataSource, SourceFile } from '../lib/records/repository.ts';
import type { GitFs } from './commit-file.ts';
import { compareOrdinal } from '../lib/ordinal.ts';
import { readArriving, readBlob, readBlobAt, readCommitTree, readTreeEntries } from './object-store.ts';

export interface TreeSourceOptions {
  fs: GitFs;
  gitdir: string;
  cache: object;
  /** The commit to read. */
  commit: string;
}

/** The files of one commit. Sizes are not known without reading: `read` checks them on the blob. */
export function treeSource(options: TreeSourceOptions): DataSource & { oidOf(path: string): string | undefined } {
  const ctx = { fs: options.fs, gitdir: options.gitdir, cache: options.cache };
  const oids = new Map<string, string>();
  /** The tree of each folder walked, by its path with a final slash. */
  const trees = new Map<string, string>();
  async function walk(tree: string, prefix: string, out: SourceFile[]): Promise<void> {
    trees.set(prefix, tree);
    for (const entry of await readTreeEntries(ctx, tree)) {
      const path = `${prefix}${entry.path}`;
      if (entry.type === 'tree') await walk(entry.oid, `${path}/`, out);
      else out.push(listed(entry, path));
    }
  }
  /** A regular file is listed to be read; a link or a submodule only to be named, as the working tree does. */
  function listed(entry: { mode: string; type: string; oid: string }, path: string): SourceFile {
    if (entry.type === 'commit') return { path, kind: 'submodule' };
    if (entry.mode === '120000') return { path, kind: 'symlink' };
    oids.set(path, entry.oid);
    return { path };
  }
  const byPath = (a: SourceFile, b: SourceFile) => compareOrdinal(a.path, b.path);
  // Read once: while a first clone is indexed, each object is given once, and a second read waits for the end.
  let root: Promise<TreeEntry[]> | undefined;
  const entryOf = async (folder: string) => (await (root ??= readCommitTree(ctx, options.commit).then((tree) => readTreeEntries(ctx, tree)))).find((e) => e.path === folder);
  return {
    async list(folder) {
      const out: SourceFile[] = [];
      const entry = await entryOf(folder);
      if (entry?.type === 'tree') await walk(entry.oid, `${folder}/`, out);
      else if (entry) out.push(listed(entry, folder));
      return out.sort(byPath);
    },
    async *listParts(folder) {
      const entry = await entryOf(folder);
      if (entry?.type !== 'tree') {
        yield entry ? [listed(entry, folder)] : [];
        return;
      }
      // In the order of their paths: a folder's files sort as its name and a slash.
      const key = (e: { path: string; type: string }) => (e.type === 'tree' ? `${e.path}/` : e.path);
      const entries = (await readTreeEntries(ctx, entry.oid)).sort((a, b) => compareOrdinal(key(a), key(b)));
      for (const e of entries) {
        const out: SourceFile[] = [];
        if (e.type === 'tree') await walk(e.oid, `${folder}/${e.path}/`, out);
        else out.push(listed(e, `${folder}/${e.path}`));
        yield out.sort(byPath);
      }
    },
    async read(path, maxBytes) {
      const oid = oids.get(path);
      const blob = oid ? await readBlob(ctx, oid) : await readBlobAt(ctx, options.commit, path);
      if (!blob) throw Object.assign(new Error(`${path} is not in the commit ${options.commit}`), { code: 'NotFoundError' });
      return blob.length > maxBytes ? { tooLarge: blob.length } : blob;
    },
    async readArriving(path, maxBytes) {
      const [oid, tree] = [oids.get(path), trees.get(path.slice(0, path.lastIndexOf('/') + 1))];
      const arriving = oid && tree ? await readArriving(ctx, oid, tree) : null;
      // Over the limit, it may not be this file: `read` tells.
      return arriving && arriving.size <= maxBytes ? arriving : null;
    },
    oidOf: (path) => oids.get(path),
    close() {},
  };
}

/**
 * One source from two: every file of `base`, except those `fromOverlay` claims, which
 * come from `overlay` (e.g. the target branch, with the reviewer's own corrections taken
 * from their outbox).
 */
export function overlaySource(base: DataSource, overlay: DataSource, fromOverlay: (path: string) => boolean): DataSource {
  const origin = new Map<string, DataSource>();
  return {
    async list(folder) {
      const files = [...(await base.list(folder)).filter((f) => !fromOverlay(f.path)), ...(await overlay.list(folder)).filter((f) => fromOverlay(f.path))];
      for (const f of files) origin.set(f.path, fromOverlay(f.path) ? overlay : base);
      return files.sort((a, b) => compareOrdinal(a.path, b.path));
    },
    read: (path, maxBytes) => (origin.get(path) ?? (fromOverlay(path) ? overlay : base)).read(path, maxBytes),
    close() {
      base.close();
      overlay.close();
    },
  };
}
