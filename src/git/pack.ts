/**
 * A packfile (version 2, no deltas) of the few objects one push sends, as `git push`
 * writes it: "PACK", the version, the count, then each object's type and size header
 * followed by its zlib-deflated content, and the SHA-1 of all of that at the end.
 *
 * isomorphic-git's packObjects does the same one object at a time: read, inflate,
 * deflate, then the next. Here the objects are read and deflated all at once (the
 * reads are IndexedDB requests in the page, the deflating is the browser's own
 * CompressionStream), which is most of what a push spends on the pusher's side.
 */
import git from 'isomorphic-git';
import { sha1 } from '@noble/hashes/legacy.js';
import type { GitFs } from './commit-file.ts';

const TYPE_CODE = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;

/** The pack of these objects, in this order. */
export async function packObjects(ctx: { fs: GitFs; gitdir: string; cache: object }, oids: string[]): Promise<Uint8Array> {
  const entries = await Promise.all(
    oids.map(async (oid) => {
      const { type, object } = await git.readObject({ ...ctx, oid, format: 'content' });
      const body = object as Uint8Array;
      return [objectHeader(TYPE_CODE[type as keyof typeof TYPE_CODE], body.length), await deflate(body)] as const;
    }),
  );
  const head = new Uint8Array(12);
  head.set([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2]); // "PACK", version 2
  new DataView(head.buffer).setUint32(8, oids.length);
  const parts = [head, ...entries.flat()];
  const size = parts.reduce((n, p) => n + p.length, 0);
  const pack = new Uint8Array(size + 20);
  let at = 0;
  for (const part of parts) {
    pack.set(part, at);
    at += part.length;
  }
  pack.set(sha1(pack.subarray(0, size)), size);
  return pack;
}

/** The type in bits 6-4 of the first byte, the size in 4 bits then 7 bits a byte, least significant first. */
function objectHeader(type: number, size: number): Uint8Array {
  const bytes = [(type << 4) | (size & 0x0f)];
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes[bytes.length - 1]! |= 0x80;
    bytes.push(rest & 0x7f);
    rest = Math.floor(rest / 128);
  }
  return Uint8Array.from(bytes);
}

/** zlib (RFC 1950) deflate, as pack entries are stored. */
async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
