/**
 * Orders strings by UTF-16 code unit, independent of locale: the one order of every list
 * plover writes (export lines, manifests, reports), part of the byte-identical promise.
 */
export function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
