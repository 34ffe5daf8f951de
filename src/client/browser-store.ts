/**
 * The browser's git store: LightningFS (IndexedDB) with a guard for a full disk.
 *
 * LightningFS keeps its file table in memory and saves it to IndexedDB when idle. When
 * that save fails (storage quota exceeded), stock LightningFS stays wedged: every later
 * call fails with the same error until the page is reloaded, and its in-memory table
 * still lists files whose data never reached the disk. The guarded backend drops that
 * table and lets go of LightningFS's lock instead, so the next call reads the last table
 * that was saved: the state as of the last acknowledged commit (every commit is flushed
 * before it is acknowledged).
 *
 * Saving the table also orders what a closed tab leaves. A new file is in the saved table
 * only after the next save, but an existing file keeps its inode, so its new content is
 * durable the moment it is written. A ref rewritten in place would then name objects that
 * the saved table does not have if the tab closed before the next save: the next sign-in
 * fails with "Could not find <oid>". So the guarded backend saves the table before it
 * overwrites a file: a ref is durable only after the objects it names.
 */
import LightningFS from '@isomorphic-git/lightning-fs';
// @ts-expect-error LightningFS ships no types for its backend module (CommonJS, no exports map).
import DefaultBackend from '@isomorphic-git/lightning-fs/src/DefaultBackend.js';
import type { GitFs } from '../git/commit-file.ts';

export type StoreFs = GitFs & { promises: { flush(): Promise<void> } };

interface BackendInternals {
  _cache: { deactivate(): void; stat(path: string): unknown };
  writeFile(path: string, data: Uint8Array | string, opts: object): Promise<void>;
  _mutex: { release(): Promise<void> };
  deactivate(): Promise<void>;
  flush(): Promise<void>;
  saveSuperblock: () => void;
}

class GuardedBackend extends (DefaultBackend as new () => BackendInternals) {
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    // The idle save after each write (stock: debounced, its failure an unhandled
    // rejection). A failure here is reported by the next explicit flush or deactivation.
    this.saveSuperblock = () => {
      clearTimeout(this.saveTimer);
      this.saveTimer = setTimeout(() => void this.flush().catch(() => undefined), 500);
    };
  }

  override async writeFile(path: string, data: Uint8Array | string, opts: object): Promise<void> {
    if (this.has(path)) await this.flush();
    return super.writeFile(path, data, opts);
  }

  private has(path: string): boolean {
    try {
      this._cache.stat(path);
      return true;
    } catch {
      return false;
    }
  }

  override async deactivate(): Promise<void> {
    try {
      await super.deactivate();
    } catch {
      await this.drop();
    }
  }

  /** Forgets the in-memory file table and releases the lock: the next activation reads the saved one. */
  async drop(): Promise<void> {
    this._cache.deactivate();
    await this._mutex.release().catch(() => undefined);
  }
}

/** The LightningFS store of this name (an IndexedDB database), guarded as above. */
export function openStore(name: string): StoreFs {
  return new LightningFS(name, { backend: new GuardedBackend() } as unknown as LightningFS.Options) as unknown as StoreFs;
}

/** Whether an error is the browser refusing to store more. */
export function isStorageFull(err: unknown): boolean {
  const e = err as { name?: string; message?: string } | null;
  return e?.name === 'QuotaExceededError' || /quota/i.test(e?.message ?? '');
}
