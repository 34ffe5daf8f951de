/**
 * Where a correction lives. The path is derived from hashes of the candidate id and the
 * reviewer's email, never from their text, so no id can place a file outside
 * corrections/, and two reviewers never write the same path (their branches never
 * conflict). 256 shard folders keep every git tree at a few hundred entries at 100k
 * decisions, so a commit rewrites only small trees.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export const CORRECTIONS_DIR = 'corrections';

/** A correction's path relative to the repository root matches this, and nothing else does. */
export const CORRECTION_PATH_PATTERN = /^corrections\/[0-9a-f]{2}\/[0-9a-f]{16}--[a-z0-9-]{0,24}-[0-9a-f]{8}\.json$/;

/** The SHA-256 of a text (UTF-8), lower-case hex. */
export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8Bytes(text)));
}

const utf8 = new TextEncoder();
/**
 * A text's UTF-8 bytes. A short ASCII text (an id, an email) is copied code by code: a
 * browser's TextEncoder costs ~2 µs a call, half of the path check of each correction a
 * first visit reads.
 */
function utf8Bytes(text: string): Uint8Array {
  if (text.length > 256) return utf8.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return utf8.encode(text);
    bytes[i] = code;
  }
  return bytes;
}

/** The reviewer's identity key: the email, trimmed, NFC-normalised and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** A short readable part from the email's local part: `Ann.Lee+x@…` → `ann-lee-x`. */
function reviewerSlug(email: string): string {
  const local = normalizeEmail(email).split('@')[0] ?? '';
  return local
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '');
}

/**
 * A reviewer's tag: the readable slug and 8 hex of the email's hash, e.g. `ann-lee-1a2b3c4d`.
 * It ends every correction file of the reviewer, and names their review branch.
 */
export function reviewerTag(email: string): string {
  let tag = tags.get(email);
  if (tag === undefined) {
    tag = `${reviewerSlug(email)}-${sha256Hex(normalizeEmail(email)).slice(0, 8)}`;
    // A few reviewers write most files: remembered, as a sha256 per file was 3% of an export at 100k.
    if (tags.size >= 1024) tags.clear();
    tags.set(email, tag);
  }
  return tag;
}
const tags = new Map<string, string>();

/** The shard and file name of a candidate: `ab/abcdef0123456789`. */
export function candidateKey(candidateId: string): { shard: string; key: string } {
  const hex = sha256Hex(candidateId);
  return { shard: hex.slice(0, 2), key: hex.slice(0, 16) };
}

/**
 * The path of one reviewer's correction of one candidate, relative to the repository
 * root: `corrections/<2 hex>/<16 hex>--<reviewer slug>-<8 hex>.json`.
 */
export function correctionPath(candidateId: string, reviewerEmail: string): string {
  return `${correctionsPrefix(candidateId)}${reviewerTag(reviewerEmail)}.json`;
}

/** What the paths of every reviewer's correction of one candidate start with: `corrections/<2 hex>/<16 hex>--`. */
export function correctionsPrefix(candidateId: string): string {
  const { shard, key } = candidateKey(candidateId);
  return `${CORRECTIONS_DIR}/${shard}/${key}--`;
}

/**
 * A 53-bit hash of a string (cyrb53: two 32-bit multiply-xorshift lanes, mixed at the
 * end). Not cryptographic: only spread evenly, and the same on every platform.
 */
export function hash53(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
