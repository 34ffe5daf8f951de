// pako's zlib port, used directly (src/git/pack-reader.ts) to reuse one inflate state for many streams.
declare module 'pako/lib/zlib/zstream.js' {
  export default class ZStream {
    input: Uint8Array | null;
    next_in: number;
    avail_in: number;
    output: Uint8Array | null;
    next_out: number;
    avail_out: number;
    total_in: number;
    total_out: number;
    msg: string;
    adler: number;
    /** After inflate: the bits left in the last input byte, +64 after the last block, +128 where a block starts. */
    data_type: number;
    /** The inflate state (pako's InflateState): the fields plover's Inflater resets itself. */
    state: {
      [field: string]: unknown;
      wrap: number;
      lendyn: Int32Array | null;
      distdyn: Int32Array | null;
    } | null;
  }
}
declare module 'pako/lib/zlib/inflate.js' {
  import type ZStream from 'pako/lib/zlib/zstream.js';
  export function inflateInit2(strm: ZStream, windowBits: number): number;
  export function inflateReset(strm: ZStream): number;
  export function inflate(strm: ZStream, flush: number): number;
  export function inflateSetDictionary(strm: ZStream, dictionary: Uint8Array): number;
}
