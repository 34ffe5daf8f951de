/**
 * Packs read and indexed in the page without isomorphic-git's per-object costs, which
 * made a first visit at 100k corrections take minutes: it builds a new inflater (state,
 * window and output chunks) for every object, wraps the file system again for every
 * read, and awaits each one.
 *
 * - `Inflater`: one pako inflate state reused for every object, its output sized from
 *   the object's header, reporting where the object's zlib stream ended.
 * - `PackReader`: objects by oid from a pack and its index, synchronously; the bases of
 *   deltas kept in a bounded cache, as git's delta base cache does.
 */
import { inflate, inflateInit2, inflateReset } from 'pako/lib/zlib/inflate.js';
import ZStream from 'pako/lib/zlib/zstream.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { hex, oidBytes } from './bytes.ts';

export type ObjectType = 'commit' | 'tree' | 'blob' | 'tag';
export interface GitObject {
  type: ObjectType;
  data: Uint8Array;
}

const TYPES: Record<number, ObjectType> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };
export const OFS_DELTA = 6;
export const REF_DELTA = 7;
const Z_NO_FLUSH = 0;
const Z_FINISH = 4;
const Z_OK = 0;
const Z_STREAM_END = 1;
/** How much of a large object is inflated between two reports of how far it is (Inflater.inflate's `onOutput`). */
const OUTPUT_STEP = 4 << 20;

/** How long work on a pack (indexing it, taking its seek points) runs before it lets the page draw and answer (ms). */
export const YIELD_MS = 100;

/** Lets the page's other tasks run: scheduler.yield where the browser has it, else a task. */
export function yieldToPage(): Promise<void> {
  const scheduler = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  return scheduler?.yield ? scheduler.yield() : new Promise((resolve) => setTimeout(resolve, 0));
}

export function corrupt(what: string): Error {
  return new Error(`The repository's pack is damaged (${what}); sign out and sign in again to fetch it anew.`);
}

/** zlib streams inflated one after the other with the same state: no allocation but the output. */
export class Inflater {
  private readonly strm = new ZStream();
  private readonly checked: boolean;

  /**
   * @param checked false: each stream's Adler-32 is neither computed nor compared (its
   * deflate data inflated raw, after its 2-byte header), for a pack whose every byte its
   * SHA-1 checksum covers and whose every object is hashed (indexing it).
   */
  constructor(checked = true) {
    this.checked = checked;
    inflateInit2(this.strm, checked ? 15 : -15);
  }

  /**
   * pako's inflateReset, but keeping the state's code tables (pako allocates new ones on
   * every reset, which was a third of the time of inflating a small object). As zlib's
   * own reset: the tables are rebuilt for each block that needs them.
   */
  private reset(): void {
    const strm = this.strm;
    const state = strm.state!;
    if (!state.lendyn) {
      inflateReset(strm);
      return;
    }
    strm.total_in = strm.total_out = 0;
    strm.msg = '';
    strm.adler = state.wrap & 1;
    Object.assign(state, {
      total: 0,
      mode: 1, // HEAD: waiting for the zlib header
      last: 0,
      havedict: 0,
      dmax: 32768,
      head: null,
      hold: 0,
      bits: 0,
      lencode: state.lendyn,
      distcode: state.distdyn,
      sane: 1,
      back: -1,
      wsize: 0,
      whave: 0,
      wnext: 0,
    });
  }

  /**
   * Inflates the zlib stream starting at `at` in `input`, whose content is `size` bytes.
   * @param room bytes left free before the content, in the same buffer (`whole`).
   * @param onOutput told, every few MiB, how many bytes of the content are inflated (its buffer is `whole`, the content starting at `room`).
   * @returns the content and the offset just after the stream.
   */
  inflate(input: Uint8Array, at: number, size: number, room = 0, onOutput?: (whole: Uint8Array, upTo: number) => void): { data: Uint8Array; whole: Uint8Array; end: number } {
    const strm = this.strm;
    this.reset();
    const output = new Uint8Array(room + Math.max(size, 1));
    // Raw: past the zlib header (deflate, no preset dictionary), to the Adler-32 after the deflate data.
    const [cmf, flg] = [input[at]!, input[at + 1]!];
    if (!this.checked && ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20))
      throw corrupt(`the object at byte ${at} does not start as a zlib stream`);
    const start = this.checked ? at : at + 2;
    strm.input = input;
    strm.next_in = start;
    strm.avail_in = input.length - start;
    strm.output = output;
    strm.next_out = room;
    let status: number;
    if (!onOutput) {
      strm.avail_out = output.length - room;
      status = inflate(strm, Z_FINISH);
    } else {
      do {
        const stop = Math.min(output.length, strm.next_out + OUTPUT_STEP);
        strm.avail_out = stop - strm.next_out;
        status = inflate(strm, stop === output.length ? Z_FINISH : Z_NO_FLUSH);
        onOutput(output, strm.next_out - room);
      } while (status === Z_OK && strm.next_out < output.length);
    }
    if (status !== Z_STREAM_END || strm.next_out !== room + size) throw corrupt(`the object at byte ${at} does not inflate to its ${size} bytes`);
    const end = this.checked ? strm.next_in : strm.next_in + 4;
    if (end > input.length) throw corrupt(`the object at byte ${at} ends past the pack`);
    strm.input = null;
    strm.output = null;
    return { data: room === 0 && size === output.length ? output : output.subarray(room, room + size), whole: output, end };
  }
}

/** An entry's header: its type code, its size, and for a delta, its base (an offset or an oid). */
export interface EntryHeader {
  code: number;
  size: number;
  /** Where the zlib stream starts. */
  data: number;
  baseOffset?: number;
  baseOid?: string;
}

export function readHeader(pack: Uint8Array, start: number): EntryHeader {
  let at = start;
  let c = pack[at++]!;
  const code = (c >> 4) & 7;
  let size = c & 15;
  let shift = 16;
  while (c & 0x80) {
    c = pack[at++]!;
    size += (c & 0x7f) * shift;
    shift *= 128;
  }
  if (code === OFS_DELTA) {
    c = pack[at++]!;
    let back = c & 0x7f;
    while (c & 0x80) {
      c = pack[at++]!;
      back = (back + 1) * 128 + (c & 0x7f);
    }
    return { code, size, data: at, baseOffset: start - back };
  }
  if (code === REF_DELTA) return { code, size, data: at + 20, baseOid: hex(pack.subarray(at, at + 20)) };
  if (!TYPES[code]) throw corrupt(`unknown object type ${code} at byte ${start}`);
  return { code, size, data: at };
}

/** The result of applying a git delta to its base. */
export function applyDelta(delta: Uint8Array, base: Uint8Array): Uint8Array {
  let i = 0;
  const varint = () => {
    let n = 0;
    let shift = 1;
    let c: number;
    do {
      c = delta[i++]!;
      n += (c & 0x7f) * shift;
      shift *= 128;
    } while (c & 0x80);
    return n;
  };
  if (varint() !== base.length) throw corrupt('a delta does not fit its base');
  const out = new Uint8Array(varint());
  let w = 0;
  while (i < delta.length) {
    const op = delta[i++]!;
    if (op & 0x80) {
      let offset = 0;
      let length = 0;
      for (let k = 0; k < 4; k++) if (op & (1 << k)) offset += delta[i++]! * 2 ** (8 * k);
      for (let k = 0; k < 3; k++) if (op & (16 << k)) length += delta[i++]! * 2 ** (8 * k);
      if (length === 0) length = 0x10000;
      if (offset + length > base.length || w + length > out.length) throw corrupt('a delta copies outside its base');
      // Most copies are short: a loop is quicker than a subarray and a set.
      if (length < 64) for (let k = 0; k < length; k++) out[w++] = base[offset + k]!;
      else {
        out.set(base.subarray(offset, offset + length), w);
        w += length;
      }
    } else if (op) {
      if (w + op > out.length || i + op > delta.length) throw corrupt('a delta inserts past its end');
      for (let k = 0; k < op; k++) out[w++] = delta[i++]!;
    } else {
      throw corrupt('a delta holds an unknown instruction');
    }
  }
  if (w !== out.length) throw corrupt('a delta is shorter than it says');
  return out;
}

const encoder = new TextEncoder();
/** git's object header: `<type> <size>\0`. */
function objectHeader(type: ObjectType, size: number): Uint8Array {
  return encoder.encode(`${type} ${size}\0`);
}
/** The SHA-1 of an object as git names it: of "<type> <size>\0" and the content. */
export function objectId(type: ObjectType, data: Uint8Array): string {
  return hex(sha1.create().update(objectHeader(type, data.length)).update(data).digest());
}

/**
 * Objects kept by offset, the least recently used dropped first, up to a total size (git's
 * delta base cache). Uses are queued (offset and the use's number); a queued use that is
 * not an entry's last is passed over when dropping. A Map's own order would serve, but a
 * Map whose oldest entries keep being deleted makes each new iteration step over them:
 * that took a third of a second of indexing a pack at 100k corrections.
 */
export class BaseCache {
  private readonly entries = new Map<number, { object: GitObject; use: number }>();
  private queue: number[] = [];
  private head = 0;
  private uses = 0;
  private bytes = 0;
  private readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }

  get(offset: number): GitObject | undefined {
    const hit = this.entries.get(offset);
    if (hit) this.queue.push(offset, (hit.use = ++this.uses));
    return hit?.object;
  }

  set(offset: number, object: GitObject): void {
    if (object.data.length > this.limit / 4 || this.entries.has(offset)) return;
    const use = ++this.uses;
    this.entries.set(offset, { object, use });
    this.queue.push(offset, use);
    this.bytes += object.data.length;
    while (this.bytes > this.limit) {
      const [key, when] = [this.queue[this.head]!, this.queue[this.head + 1]!];
      this.head += 2;
      const old = this.entries.get(key);
      if (old?.use !== when) continue;
      this.entries.delete(key);
      this.bytes -= old.object.data.length;
    }
    if (this.head > 65536 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** Objects this large are read with room for their header (PackEntries.read), to be hashed by the platform's crypto. */
const HASHED_APART = 1 << 20;

/** The bytes of delta bases a reader keeps. */
const BASE_CACHE_BYTES = 32 * 1024 * 1024;
/** Objects larger than this are never kept as delta bases (a BaseCache keeps none over a quarter of its bytes). */
export const NEVER_A_BASE_KEPT = BASE_CACHE_BYTES / 4;

/** The entries of a pack by offset, deltas resolved; `baseOf` finds a REF_DELTA's base. */
export class PackEntries {
  private readonly inflater: Inflater;
  private readonly bases = new BaseCache(BASE_CACHE_BYTES);
  private readonly pack: Uint8Array;
  private readonly baseOf: (oid: string) => number | undefined;

  /** @param checked as for Inflater. */
  constructor(pack: Uint8Array, baseOf: (oid: string) => number | undefined, checked = true) {
    this.pack = pack;
    this.baseOf = baseOf;
    this.inflater = new Inflater(checked);
  }

  /**
   * The entry at `offset`, and the offset just after its bytes. An object of HASHED_APART
   * bytes or more that is not a delta comes with its bytes as git hashes them (`hashable`:
   * its header, then the content, in the content's own buffer).
   * @param onOutput for such an object, told as its content inflates: the content so far.
   */
  read(offset: number, onOutput?: (type: ObjectType, size: number, content: Uint8Array) => void): GitObject & { end: number; hashable?: Uint8Array } {
    const header = readHeader(this.pack, offset);
    if (header.code !== OFS_DELTA && header.code !== REF_DELTA) {
      const type = TYPES[header.code]!;
      const head = header.size < HASHED_APART ? undefined : objectHeader(type, header.size);
      const told = head && onOutput ? (whole: Uint8Array, upTo: number) => onOutput(type, header.size, whole.subarray(head.length, head.length + upTo)) : undefined;
      const { data, whole, end } = this.inflater.inflate(this.pack, header.data, header.size, head?.length, told);
      if (!head) return { type, data, end };
      whole.set(head);
      return { type, data, end, hashable: whole };
    }
    const { data, end } = this.inflater.inflate(this.pack, header.data, header.size);
    const baseAt = header.baseOffset ?? this.baseOf(header.baseOid!);
    if (baseAt === undefined) throw corrupt(`the base ${header.baseOid} of the delta at byte ${offset} is missing`);
    const base = this.base(baseAt);
    return { type: base.type, data: applyDelta(data, base.data), end };
  }

  /** The object at `offset` as a delta's base: from the cache, or read and kept. */
  base(offset: number): GitObject {
    const kept = this.bases.get(offset);
    if (kept) return kept;
    const { type, data } = this.read(offset);
    const object = { type, data };
    this.keep(offset, object);
    return object;
  }

  keep(offset: number, object: GitObject): void {
    this.bases.set(offset, object);
  }
}

/** A pack and its index (version 2): objects by oid, read synchronously. */
export class PackReader {
  private readonly entries: PackEntries;
  private readonly count: number;
  private readonly fanout: Uint32Array;
  private readonly view: DataView;
  private readonly idx: Uint8Array;
  /** The pack's bytes. */
  readonly pack: Uint8Array;

  /** @param checked as for Inflater: false for a pack just indexed (indexPack checked every byte of it), held in memory. */
  constructor(pack: Uint8Array, idx: Uint8Array, checked = true) {
    this.pack = pack;
    this.idx = idx;
    this.view = new DataView(idx.buffer, idx.byteOffset, idx.byteLength);
    if (idx.length < 8 + 1024 + 40 || this.view.getUint32(0) !== 0xff744f63 || this.view.getUint32(4) !== 2) throw corrupt('its index is not a version 2 index');
    this.fanout = new Uint32Array(256);
    for (let i = 0; i < 256; i++) this.fanout[i] = this.view.getUint32(8 + 4 * i);
    this.count = this.fanout[255]!;
    this.entries = new PackEntries(pack, (oid) => this.offsetOf(oid), checked);
  }

  /** Where an object starts in the pack, or undefined when the pack does not hold it. */
  offsetOf(oid: string): number | undefined {
    const key = oidBytes(oid);
    let lo = key[0] === 0 ? 0 : this.fanout[key[0]! - 1]!;
    let hi = this.fanout[key[0]!]!;
    const oids = 8 + 1024;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = oids + 20 * mid;
      let cmp = 0;
      for (let k = 0; k < 20 && cmp === 0; k++) cmp = this.idx[at + k]! - key[k]!;
      if (cmp === 0) return this.offsetAt(mid);
      if (cmp < 0) lo = mid + 1;
      else hi = mid;
    }
    return undefined;
  }

  private offsetAt(i: number): number {
    const table = 8 + 1024 + 24 * this.count;
    const small = this.view.getUint32(table + 4 * i);
    if (!(small & 0x80000000)) return small;
    const large = table + 4 * this.count + 8 * (small & 0x7fffffff);
    return this.view.getUint32(large) * 2 ** 32 + this.view.getUint32(large + 4);
  }

  /** The object, or undefined when this pack does not hold it. */
  read(oid: string): GitObject | undefined {
    const offset = this.offsetOf(oid);
    if (offset === undefined) return undefined;
    const { type, data } = this.entries.read(offset);
    return { type, data };
  }
}
