/**
 * A fetched pack's index, as `git index-pack` writes it (version 2): each entry of the
 * pack inflated once (pack-reader.ts), deltas resolved against their bases, every
 * object's SHA-1 and every entry's CRC-32. The page's first clone (shallow-clone.ts)
 * indexes the pack it fetches with it.
 */
import { sha1 } from '@noble/hashes/legacy.js';
import CRC32 from 'crc-32';
import { hex, oidBytes } from './bytes.ts';
import { corrupt, Inflater, objectId, PackEntries, readHeader, REF_DELTA, YIELD_MS, yieldToPage, type GitObject, type ObjectType } from './pack-reader.ts';

export interface IndexOptions {
  /** Told how many objects are indexed, at each yield and at the end. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Given each object once its oid is known, in pack order as far as that goes (an
   * object of 1 MiB or more once hashed apart, a delta naming a later base at the end):
   * what a caller about to read the objects can keep instead of inflating them again;
   * `at` is the object's offset in the pack.
   */
  onObject?: (oid: string, object: GitObject, at: number) => void;
  /**
   * Told, while an object of 1 MiB or more that is not a delta inflates, the next bytes of
   * its content (every few MiB, `size` bytes in all), before anyone knows its oid: what a
   * caller can start reading while the rest is inflated and hashed. onObject tells the
   * object's oid later, with the same `at`.
   */
  onInflating?: (at: number, type: ObjectType, size: number, part: Uint8Array) => void;
}

/** A SHA-1 by the browser's (or Node's) own crypto, as hex. */
async function digest(bytes: Uint8Array): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest('SHA-1', bytes as Uint8Array<ArrayBuffer>)));
}

/**
 * The index of a pack as `git index-pack` writes it (version 2): every entry inflated
 * once in pack order, each delta applied to its base (kept from earlier in the pack, or
 * read again), the SHA-1 of each object, the CRC-32 of each entry's bytes.
 * Yields to the page every 100 ms, so that a long indexing leaves it responsive.
 * @throws when the pack is damaged (a bad header, an entry that does not inflate, a missing base, a wrong checksum).
 */
export async function indexPack(pack: Uint8Array, options: IndexOptions = {}): Promise<Uint8Array> {
  const { onProgress, onObject, onInflating } = options;
  const view = new DataView(pack.buffer, pack.byteOffset, pack.byteLength);
  if (pack.length < 32 || view.getUint32(0) !== 0x5041434b || view.getUint32(4) !== 2) throw corrupt('it does not start as a version 2 pack');
  const count = view.getUint32(8);
  const end = pack.length - 20;
  // The checksum is the browser's work (crypto.subtle, on a thread of its own) while this one walks the pack.
  const checksum = digest(pack.subarray(0, end));
  const offsets = new Float64Array(count);
  const crcs = new Int32Array(count);
  const oids = new Array<string>(count);
  const byOid = new Map<string, number>();
  // A REF_DELTA's base may come later in the pack: such entries wait for the end.
  const later: number[] = [];
  // Objects of HASHED_APART bytes or more that are not deltas: hashed by crypto.subtle, off this thread.
  const hashing: Promise<void>[] = [];
  // The pack's checksum covers every byte, and every object is hashed: the streams' own Adler-32s add nothing.
  const entries = new PackEntries(pack, (oid) => byOid.get(oid), false);
  const waitingInflater = new Inflater(false);
  let at = 12;
  let lastYield = performance.now();
  for (let i = 0; i < count; i++) {
    if (at >= end) throw corrupt(`it holds ${i} of the ${count} objects it says`);
    offsets[i] = at;
    const header = readHeader(pack, at);
    let next: number;
    if (header.code === REF_DELTA && !byOid.has(header.baseOid!)) {
      later.push(i);
      next = waitingInflater.inflate(pack, header.data, header.size).end;
    } else {
      const start = at;
      let told = 0;
      const object = entries.read(
        at,
        onInflating &&
          ((type, size, content) => {
            onInflating(start, type, size, content.subarray(told));
            told = content.length;
          }),
      );
      next = object.end;
      const { type, data, hashable } = object;
      if (hashable) {
        const [entry, offset] = [i, at];
        hashing.push(
          digest(hashable).then((oid) => {
            oids[entry] = oid;
            byOid.set(oid, offset);
            onObject?.(oid, { type, data }, offset);
          }),
        );
      } else {
        oids[i] = objectId(type, data);
        byOid.set(oids[i]!, at);
        onObject?.(oids[i]!, { type, data }, at);
      }
      entries.keep(at, { type, data });
    }
    crcs[i] = CRC32.buf(pack.subarray(at, next));
    at = next;
    if (performance.now() - lastYield > YIELD_MS) {
      onProgress?.(i + 1, count);
      await yieldToPage();
      lastYield = performance.now();
    }
  }
  if (at !== end) throw corrupt('it holds more than the objects it says');
  // A REF_DELTA whose base is one of the objects hashed apart waited with the others for the end.
  const [sum] = await Promise.all([checksum, ...hashing]);
  if (sum !== hex(pack.subarray(end))) throw corrupt('its checksum does not match');
  for (let left = later; left.length;) {
    const waiting = left.filter((i) => !byOid.has(readHeader(pack, offsets[i]!).baseOid!));
    if (waiting.length === left.length) throw corrupt(`${waiting.length} deltas have no base in it`);
    for (const i of left) {
      if (waiting.includes(i)) continue;
      const { type, data } = entries.read(offsets[i]!);
      oids[i] = objectId(type, data);
      byOid.set(oids[i]!, offsets[i]!);
      onObject?.(oids[i]!, { type, data }, offsets[i]!);
    }
    left = waiting;
  }
  onProgress?.(count, count);
  return writeIndex(pack, offsets, crcs, oids);
}

/** The version 2 index of a pack: fanout, sorted oids, CRC-32s, offsets (64-bit ones apart), the pack's checksum, its own. */
function writeIndex(pack: Uint8Array, offsets: Float64Array, crcs: Int32Array, oids: string[]): Uint8Array {
  const count = oids.length;
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => (oids[a]! < oids[b]! ? -1 : oids[a]! > oids[b]! ? 1 : 0));
  const large = order.filter((i) => offsets[i]! >= 0x80000000);
  const size = 8 + 1024 + 28 * count + 8 * large.length + 40;
  const idx = new Uint8Array(size);
  const view = new DataView(idx.buffer);
  view.setUint32(0, 0xff744f63);
  view.setUint32(4, 2);
  const fanout = new Uint32Array(256);
  for (const oid of oids) fanout[parseInt(oid.slice(0, 2), 16)]! += 1;
  for (let b = 0, sum = 0; b < 256; b++) view.setUint32(8 + 4 * b, (sum += fanout[b]!));
  const crcAt = 8 + 1024 + 20 * count;
  const offAt = crcAt + 4 * count;
  let largeAt = offAt + 4 * count;
  let nextLarge = 0;
  order.forEach((i, k) => {
    idx.set(oidBytes(oids[i]!), 8 + 1024 + 20 * k);
    view.setInt32(crcAt + 4 * k, crcs[i]!);
    const offset = offsets[i]!;
    if (offset < 0x80000000) view.setUint32(offAt + 4 * k, offset);
    else {
      view.setUint32(offAt + 4 * k, 0x80000000 | nextLarge++);
      view.setUint32(largeAt, Math.floor(offset / 2 ** 32));
      view.setUint32(largeAt + 4, offset >>> 0);
      largeAt += 8;
    }
  });
  idx.set(pack.subarray(pack.length - 20), size - 40);
  idx.set(sha1(idx.subarray(0, size - 20)), size - 20);
  return idx;
}
