/**
 * The browser's localStorage and sessionStorage, for what the page remembers (settings,
 * the reviewer's name, the hosted token for one tab). Storage can be blocked (privacy
 * modes, disabled site data): then nothing is remembered and the page works as is.
 */
export type StorageKind = 'local' | 'session';

function storage(kind: StorageKind): Storage {
  return kind === 'local' ? localStorage : sessionStorage;
}

/** The stored value, or null when there is none or storage is blocked. */
export function readStored(kind: StorageKind, key: string): string | null {
  try {
    return storage(kind).getItem(key);
  } catch {
    return null;
  }
}

/** Stores `value` (null removes it). @returns false when storage is blocked or full: nothing remembered. */
export function writeStored(kind: StorageKind, key: string, value: string | null): boolean {
  try {
    if (value === null) storage(kind).removeItem(key);
    else storage(kind).setItem(key, value);
    return true;
  } catch {
    return false;
  }
}
