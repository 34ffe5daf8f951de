/**
 * Reading part of a large object of a pack without inflating what comes before it, as
 * zlib's `examples/zran.c` does for a gzip file: one pass over the object's zlib stream
 * notes seek points (where a deflate block starts, every `span` bytes of content, with the
 * 32 KB of content before it, which the next blocks may copy from); a range is then
 * inflated from the last point before it. The hosted page reads a card's candidate line
 * this way from the pack it keeps anyway, instead of keeping the texts a second time.
 */
import { inflate, inflateInit2, inflateSetDictionary } from 'pako/lib/zlib/inflate.js';
import ZStream from 'pako/lib/zlib/zstream.js';
import { corrupt, OFS_DELTA, readHeader, REF_DELTA, YIELD_MS, yieldToPage } from './pack-reader.ts';

/** Content bytes between two seek points, at least: what reading one line may have to inflate. */
export const SEEK_SPAN = 1 << 20;

const WINDOW = 32768;
const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_BLOCK = 5;
/** inflate's data_type: the bits left unread in the last input byte, and whether it stopped where a block starts. */
const UNUSED_BITS = 7;
const AT_BLOCK_START = 128;
const LAST_BLOCK = 64;

/**
 * The seek points of one object: point `i` is after `ins[i]` bytes of its zlib stream and
 * `outs[i]` bytes of content, with `bits[i]` bits of the byte before still to read;
 * `windows` holds each point's 32 KB of content before it (less at the start), in turn.
 */
export interface SeekPoints {
  size: number;
  outs: Float64Array;
  ins: Float64Array;
  bits: Uint8Array;
  windows: Uint8Array;
}

/** The object of `pack` at `offset` as seekable: its content's size and where its zlib stream starts; null for a delta. */
export function seekable(pack: Uint8Array, offset: number): { size: number; data: number } | null {
  const header = readHeader(pack, offset);
  return header.code === OFS_DELTA || header.code === REF_DELTA ? null : { size: header.size, data: header.data };
}

/** The 32 KB (or fewer) of content the stream's window holds, oldest first. */
function windowOf(strm: ZStream): Uint8Array {
  const { window, whave, wnext, wsize } = strm.state as unknown as { window: Uint8Array | null; whave: number; wnext: number; wsize: number };
  if (!window || whave === 0) return new Uint8Array(0);
  if (whave < wsize) return window.slice(0, whave);
  const out = new Uint8Array(wsize);
  out.set(window.subarray(wnext, wsize));
  out.set(window.subarray(0, wnext), wsize - wnext);
  return out;
}

/**
 * One pass over the object at `offset` (not a delta), noting a seek point every `span`
 * bytes of content. The content goes through a small buffer: nothing of it is kept.
 * Yields to the page every 100 ms (a 300 MB object takes seconds).
 * @throws when the object does not inflate to its size.
 */
export async function seekPoints(pack: Uint8Array, offset: number, span = SEEK_SPAN): Promise<SeekPoints> {
  const object = seekable(pack, offset);
  if (!object) throw new Error(`the object at byte ${offset} is a delta: it has no seek points`);
  const strm = new ZStream();
  inflateInit2(strm, 15);
  strm.input = pack;
  strm.next_in = object.data;
  strm.avail_in = pack.length - object.data;
  const chunk = new Uint8Array(1 << 16);
  const outs: number[] = [];
  const ins: number[] = [];
  const bits: number[] = [];
  const windows: Uint8Array[] = [];
  let out = 0;
  let lastYield = performance.now();
  for (;;) {
    if (performance.now() - lastYield > YIELD_MS) {
      await yieldToPage();
      lastYield = performance.now();
    }
    strm.output = chunk;
    strm.next_out = 0;
    strm.avail_out = chunk.length;
    const status = inflate(strm, Z_BLOCK);
    out += strm.next_out;
    if (status === Z_STREAM_END) break;
    if (status !== Z_OK || out > object.size) throw corrupt(`the object at byte ${offset} does not inflate to its ${object.size} bytes`);
    const atStart = (strm.data_type & AT_BLOCK_START) !== 0 && (strm.data_type & LAST_BLOCK) === 0;
    if (atStart && (outs.length === 0 || out - outs[outs.length - 1]! >= span)) {
      outs.push(out);
      ins.push(strm.next_in - object.data);
      bits.push(strm.data_type & UNUSED_BITS);
      windows.push(windowOf(strm));
    }
  }
  if (out !== object.size || outs.length === 0) throw corrupt(`the object at byte ${offset} does not inflate to its ${object.size} bytes`);
  const all = new Uint8Array(windows.reduce((n, w) => n + w.length, 0));
  windows.reduce((at, w) => (all.set(w, at), at + w.length), 0);
  return { size: object.size, outs: Float64Array.from(outs), ins: Float64Array.from(ins), bits: Uint8Array.from(bits), windows: all };
}

/** Where point `i`'s window starts in `windows`. */
function windowStart(points: SeekPoints, i: number): number {
  let at = 0;
  for (let k = 0; k < i; k++) at += Math.min(points.outs[k]!, WINDOW);
  return at;
}

/** The last seek point at or before content byte `at`. */
export function pointBefore(points: SeekPoints, at: number): number {
  let lo = 0;
  let hi = points.outs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (points.outs[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Content bytes `from` to `to` of the object at `offset`, inflated from seek point `i`
 * (at or before `from`): at most `span` bytes more than the range.
 * @throws when the stream does not inflate there (the points are not this object's).
 */
export function inflateFrom(pack: Uint8Array, offset: number, points: SeekPoints, i: number, from: number, to: number): Uint8Array {
  const object = seekable(pack, offset);
  const start = points.outs[i]!;
  if (!object || object.size !== points.size || start > from || to > points.size) throw corrupt(`the object at byte ${offset} is not the one its seek points were taken from`);
  const strm = new ZStream();
  inflateInit2(strm, -15);
  const input = object.data + points.ins[i]!;
  const unused = points.bits[i]!;
  if (unused) {
    // zlib's inflatePrime: the bits of the last byte the point had not read yet.
    const state = strm.state as unknown as { hold: number; bits: number };
    state.hold = pack[input - 1]! >> (8 - unused);
    state.bits = unused;
  }
  const at = windowStart(points, i);
  const window = points.windows.subarray(at, at + Math.min(start, WINDOW));
  if (window.length) inflateSetDictionary(strm, window);
  const output = new Uint8Array(to - start);
  strm.input = pack;
  strm.next_in = input;
  strm.avail_in = pack.length - input;
  strm.output = output;
  strm.next_out = 0;
  strm.avail_out = output.length;
  const status = output.length ? inflate(strm, 0) : Z_OK;
  if ((status !== Z_OK && status !== Z_STREAM_END) || strm.next_out !== output.length) throw corrupt(`the object at byte ${offset} does not inflate from its seek point ${i}`);
  return output.subarray(from - start);
}
