/**
 * Git's delta format (as in a pack's REF_DELTA entries): the base's size and the
 * result's, then instructions that copy a range of the base or insert new bytes. A
 * push sends each changed tree as a delta against the tree at its path that the host
 * already has, as `git push` does: one decision changes one entry of a tree of hundreds.
 */
import { compareBytes } from './bytes.ts';

/** A size as deltas write it: 7 bits a byte, least significant first, the high bit saying more follows. */
function varint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** Copies `size` bytes of the base from `offset`, in instructions of at most 64 KiB. */
function copy(out: number[], offset: number, size: number): void {
  while (size > 0) {
    const n = Math.min(size, 0x10000);
    const at = out.push(0x80) - 1;
    for (let i = 0; i < 4; i++) {
      const byte = Math.floor(offset / 2 ** (8 * i)) & 0xff;
      if (byte) {
        out[at]! |= 1 << i;
        out.push(byte);
      }
    }
    // A size of 0x10000 is written as no size bytes at all.
    for (let i = 0; i < 3 && n !== 0x10000; i++) {
      const byte = (n >> (8 * i)) & 0xff;
      if (byte) {
        out[at]! |= 0x10 << i;
        out.push(byte);
      }
    }
    offset += n;
    size -= n;
  }
}

/** Inserts bytes, at most 127 an instruction. */
function insert(out: number[], bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i += 127) {
    const chunk = bytes.subarray(i, i + 127);
    out.push(chunk.length, ...chunk);
  }
}

/** An entry of a tree's content: its bytes `[start, end)` and the name git sorts it by. */
interface Entry {
  start: number;
  end: number;
  key: Uint8Array;
}

/** The entries of a tree's content (`<mode> <name>\0<20-byte oid>` each), a tree's name with a `/` after it. */
function entriesOf(tree: Uint8Array): Entry[] {
  const entries: Entry[] = [];
  for (let at = 0; at < tree.length;) {
    const space = tree.indexOf(0x20, at);
    const nul = tree.indexOf(0, space);
    if (space < 0 || nul < 0 || nul + 21 > tree.length) throw new TypeError('not the content of a tree');
    const name = tree.subarray(space + 1, nul);
    // Mode 40000: a tree.
    const isTree = space - at === 5 && tree[at] === 0x34;
    entries.push({ start: at, end: nul + 21, key: isTree ? Uint8Array.from([...name, 0x2f]) : name });
    at = nul + 21;
  }
  return entries;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && compareBytes(a, b) === 0;
}

/**
 * A delta that makes the tree `target` from the tree `base`. Both list their entries in
 * git's order, so one walk in step finds what they share: each entry of `target` that
 * `base` holds byte for byte is copied from it (neighbours in one instruction), every
 * other entry is inserted. Whatever entries a push added, changed or removed, the delta
 * holds only those.
 */
export function treeDelta(base: Uint8Array, target: Uint8Array): Uint8Array {
  const from = entriesOf(base);
  const out: number[] = [];
  varint(out, base.length);
  varint(out, target.length);
  let copying: { start: number; end: number } | null = null;
  let inserting: { start: number; end: number } | null = null;
  const flush = () => {
    if (copying) copy(out, copying.start, copying.end - copying.start);
    if (inserting) insert(out, target.subarray(inserting.start, inserting.end));
    copying = inserting = null;
  };
  let b = 0;
  for (const entry of entriesOf(target)) {
    while (b < from.length && compareBytes(from[b]!.key, entry.key) < 0) b++;
    const was = from[b];
    if (was && sameBytes(base.subarray(was.start, was.end), target.subarray(entry.start, entry.end))) {
      if (inserting || (copying && copying.end !== was.start)) flush();
      copying = copying ? { start: copying.start, end: was.end } : { start: was.start, end: was.end };
      b++;
    } else {
      if (copying) flush();
      inserting = inserting ? { start: inserting.start, end: entry.end } : { start: entry.start, end: entry.end };
    }
  }
  flush();
  return Uint8Array.from(out);
}
