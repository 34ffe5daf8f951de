/**
 * The Node adapter's git object writer (git/objects.ts): git's loose object, hashed with
 * node:crypto and deflated with node:zlib, written through the repository's atomic fs
 * (atomic-fs.ts). An object already there, loose, is left as it is, as git does.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { GitFs } from '../git/commit-file.ts';
import type { ObjectWriter } from '../git/objects.ts';

export function looseObjectWriter(fs: GitFs, gitdir: string): ObjectWriter {
  return async (type, content) => {
    const raw = Buffer.concat([Buffer.from(`${type} ${content.length}\0`), content]);
    const oid = createHash('sha1').update(raw).digest('hex');
    const path = `${gitdir}/objects/${oid.slice(0, 2)}/${oid.slice(2)}`;
    const there = await fs.promises.stat(path).then(
      () => true,
      () => false,
    );
    if (!there) await fs.promises.writeFile(path, deflateSync(raw));
    return oid;
  };
}
