/** Bytes as git orders and names them. */

/** An oid's 20 bytes, from its 40 hex digits. */
export function oidBytes(oid: string): Uint8Array {
  return Uint8Array.from({ length: 20 }, (_, i) => parseInt(oid.slice(2 * i, 2 * i + 2), 16));
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
