/** Bytes as git orders and names them. */

/** Each hex digit's value by its character code (0 for any other character, as parseInt's NaN became). */
const DIGIT = new Uint8Array(128);
for (let i = 0; i < 16; i++) DIGIT['0123456789abcdef'.charCodeAt(i)] = DIGIT['0123456789ABCDEF'.charCodeAt(i)] = i;

/** An oid's 20 bytes, from its 40 hex digits. */
export function oidBytes(oid: string): Uint8Array {
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = (DIGIT[oid.charCodeAt(2 * i) & 127]! << 4) | DIGIT[oid.charCodeAt(2 * i + 1) & 127]!;
  return out;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Bytes as hex digits (an oid's 20 bytes as its name). */
export function hex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]!];
  return s;
}

/** Orders byte strings as git does (memcmp, then the shorter first). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
