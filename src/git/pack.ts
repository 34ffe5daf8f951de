/**
 * A packfile (version 2) of the few objects one push sends, as `git push` writes it:
 * "PACK", the version, the count, then each object's type and size header followed by
 * its zlib-deflated content, and the SHA-1 of all of that at the end. A changed tree goes
 * as a delta (REF_DELTA, delta.ts: the entries it shares with its base copied, the others inserted) against the tree its path had before, which the host
 * has (a thin pack, as `git push` sends) or which the same pack carries.
 *
 * isomorphic-git's packObjects does the same one object at a time: read, inflate,
 * deflate, then the next. Here each object is read and deflated as soon as it is known,
 * all of them at once (the reads are IndexedDB requests in the page, the deflating is
 * the browser's own CompressionStream), which is most of what a push spends on the
 * pusher's side.
 */
import git from 'isomorphic-git';
import { sha1 } from '@noble/hashes/legacy.js';
import type { GitFs } from './commit-file.ts';
import { treeDelta } from './delta.ts';
import { oidBytes } from './bytes.ts';
import { concat, through } from '../lib/bytes.ts';

const TYPE_CODE = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;
const REF_DELTA = 7;

type PackContext = { fs: GitFs; gitdir: string; cache: object };

export interface PackWriter {
  /**
   * Adds an object (again: ignored) and starts reading and deflating it at once; with a
   * `base` (a tree the host has, or one added before), as a delta against it where that is smaller.
   */
  add(oid: string, base?: string | null): void;
  /** The pack of the objects added, in the order they were added. */
  finish(): Promise<Uint8Array>;
}

/**
 * A pack written while the caller is still finding its objects: each one added is read
 * and deflated straight away, so in a push that work overlaps the walk of the trees
 * that finds the next. `thin`: a delta's base may be an object the host has (not in the pack).
 */
export function packWriter(ctx: PackContext, options: { thin?: boolean } = {}): PackWriter {
  const entries = new Map<string, Promise<Uint8Array>>();
  return {
    add(oid, base) {
      if (entries.has(oid)) return;
      // Without `thin` (the host said `no-thin`), a base must be in the pack itself.
      const usable = base && (options.thin || entries.has(base)) ? base : null;
      const entry = packEntry(ctx, oid, usable);
      // Reported by finish(); a caller that gives up before it must not leave an unhandled rejection.
      entry.catch(() => undefined);
      entries.set(oid, entry);
    },
    async finish() {
      return assemble(await Promise.all(entries.values()));
    },
  };
}

/** The pack of these objects, in this order. */
export function packObjects(ctx: PackContext, oids: string[]): Promise<Uint8Array> {
  const writer = packWriter(ctx);
  for (const oid of oids) writer.add(oid);
  return writer.finish();
}

/**
 * One object as a pack entry: its type and size header, then its deflated content; or,
 * against a base, the delta's header, the base's oid, then the deflated delta.
 */
async function packEntry(ctx: PackContext, oid: string, base: string | null): Promise<Uint8Array> {
  const { type, object } = await git.readObject({ ...ctx, oid, format: 'content' });
  const body = object as Uint8Array;
  if (base !== null && type === 'tree') {
    const from = (await git.readObject({ ...ctx, oid: base, format: 'content' })).object as Uint8Array;
    const delta = treeDelta(from, body);
    if (delta.length + 20 < body.length) return concat([objectHeader(REF_DELTA, delta.length), oidBytes(base), await deflate(delta)]);
  }
  return concat([objectHeader(TYPE_CODE[type as keyof typeof TYPE_CODE], body.length), await deflate(body)]);
}

/** "PACK", version 2, the count, the entries, then the SHA-1 of all of that. */
function assemble(entries: Uint8Array[]): Uint8Array {
  const size = 12 + entries.reduce((n, e) => n + e.length, 0);
  const pack = new Uint8Array(size + 20);
  pack.set([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2]);
  new DataView(pack.buffer).setUint32(8, entries.length);
  let at = 12;
  for (const entry of entries) {
    pack.set(entry, at);
    at += entry.length;
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
const deflate = (bytes: Uint8Array) => through(bytes, new CompressionStream('deflate'));
