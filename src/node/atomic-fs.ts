/**
 * Files replaced whole, never half-written: `writeFileAtomic` (and its sync twin) write a
 * temporary file and rename it over the target, so a process killed at any moment leaves
 * the old file or the new one. The fs that plover hands isomorphic-git in Node is node:fs
 * with that writeFile, its temporary files in `.git/plover-tmp/` so that none is ever in
 * the working tree: every loose object, ref, index and correction is written that way.
 * (In the browser, LightningFS writes each file in one IndexedDB transaction, which gives
 * the same guarantee.)
 */
import * as fs from 'node:fs';
import { dirname, join } from 'node:path';
import type { GitFs } from '../git/commit-file.ts';
import { errorCode } from '../lib/errors.ts';

export const TMP_DIR = 'plover-tmp';
/** How many times a write whose folder vanished (git's maintenance) makes it again. */
const FOLDER_RETRIES = 5;

/** An atomic-writing fs for the repository whose git directory is `gitdir`. */
export function createAtomicFs(gitdir: string): GitFs {
  const p = fs.promises;
  const tmpDir = join(gitdir, TMP_DIR);
  let made = false;
  let counter = 0;
  const promises = {
    readFile: p.readFile,
    unlink: p.unlink,
    readdir: p.readdir,
    mkdir: p.mkdir,
    rmdir: p.rmdir,
    stat: p.stat,
    lstat: p.lstat,
    readlink: p.readlink,
    symlink: p.symlink,
    chmod: p.chmod,
    rename: p.rename,
    async writeFile(path: string, data: string | Uint8Array, options?: fs.WriteFileOptions) {
      if (!made) {
        await p.mkdir(tmpDir, { recursive: true });
        made = true;
      }
      // A missing folder (a new object folder, or one that `git gc` / `git prune-packed` beside
      // us removed once it was empty, even between making it and writing into it) is made, a
      // few times over, before giving up.
      for (let attempt = 1; ; attempt++) {
        try {
          return await writeFileAtomic(path, data, { temp: join(tmpDir, `${process.pid}-${counter++}`), ...(options ? { options } : {}) });
        } catch (err) {
          if (errorCode(err) !== 'ENOENT' || attempt > FOLDER_RETRIES) throw err;
          await p.mkdir(dirname(path), { recursive: true });
        }
      }
    },
  };
  return { promises } as unknown as GitFs;
}

/**
 * Writes `data` to a temporary file (by default beside `path`), then renames it over
 * `path`. A failed rename leaves no temporary file behind.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, how: { temp?: string; options?: fs.WriteFileOptions } = {}): Promise<void> {
  const temp = how.temp ?? `${path}.tmp-${process.pid}`;
  await fs.promises.writeFile(temp, data, how.options);
  try {
    await fs.promises.rename(temp, path);
  } catch (err) {
    await fs.promises.unlink(temp).catch(() => undefined); // already gone is fine: only the rename's error matters
    throw err;
  }
}

/** writeFileAtomic for code that must not yield (the index lock's owner note). */
export function writeFileAtomicSync(path: string, data: string): void {
  const temp = `${path}.tmp-${process.pid}`;
  fs.writeFileSync(temp, data);
  try {
    fs.renameSync(temp, path);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
}

/**
 * Removes what killed processes left in `.git/plover-tmp/`. Each name holds its writer's
 * pid; the files of a process still running (a label server while `plover submit` starts)
 * are its own, in flight, and stay.
 */
export function clearTemporaryFiles(gitdir: string, isAlive: (pid: number) => boolean): void {
  const folder = join(gitdir, TMP_DIR);
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return; // nothing was ever written through it
  }
  for (const name of names) {
    const pid = Number(/^(?:index-)?(\d+)-/.exec(name)?.[1]);
    // A name of this very process is left from an earlier one with the same pid.
    if (pid && pid !== process.pid && isAlive(pid)) continue;
    fs.rmSync(join(folder, name), { recursive: true, force: true });
  }
}
