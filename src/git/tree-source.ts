/**
 * A DataSource over a commit of a clone (read through object-store.ts: the packs in the
 * page, isomorphic-git elsewhere): how the hosted page reads candidates and corrections
 * from its clone, which has no working tree.
 */
import type { DataSource, SourceFile } from '../lib/records/repository.ts';
import type { GitFs } from './commit-file.ts';
import { compareOrdinal } from '../lib/ordinal.ts';
import { readBlob, readBlobAt, readCommitTree, readTreeEntries } from './object-store.ts';

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
  async function walk(tree: string, prefix: string, out: SourceFile[]): Promise<void> {
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
  return {
    async list(folder) {
      const out: SourceFile[] = [];
      const entry = (await readTreeEntries(ctx, await readCommitTree(ctx, options.commit))).find((e) => e.path === folder);
      if (entry?.type === 'tree') await walk(entry.oid, `${folder}/`, out);
      else if (entry) out.push(listed(entry, folder));
      return out.sort((a, b) => compareOrdinal(a.path, b.path));
    },
    async read(path, maxBytes) {
      const oid = oids.get(path);
      const blob = oid ? await readBlob(ctx, oid) : await readBlobAt(ctx, options.commit, path);
      if (!blob) throw Object.assign(new Error(`${path} is not in the commit ${options.commit}`), { code: 'NotFoundError' });
      return blob.length > maxBytes ? { tooLarge: blob.length } : blob;
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
