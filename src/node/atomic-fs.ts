/**
 * The fs that plover hands isomorphic-git in Node: node:fs, except that writeFile
 * writes a temporary file in `.git/plover-tmp/` and renames it over the target. A
 * process killed at any moment leaves every file (loose object, ref, index, correction)
 * either as it was or as it was meant to be, never half-written, and no temporary file
 * in the working tree. (In the browser, LightningFS writes each file in one IndexedDB
 * transaction, which gives the same guarantee.)
 */
import * as fs from 'node:fs';
import { join } from 'node:path';
import type { GitFs } from '../git/commit-file.ts';

export const TMP_DIR = 'plover-tmp';

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
      const temp = join(tmpDir, `${process.pid}-${counter++}`);
      await p.writeFile(temp, data, options);
      try {
        await p.rename(temp, path);
      } catch (err) {
        // e.g. ENOENT: the target's folder does not exist yet (isomorphic-git then creates
        // it and writes again); leave no temporary file behind either way.
        await p.unlink(temp).catch(() => undefined);
        throw err;
      }
    },
  };
  return { promises } as unknown as GitFs;
}

/** Removes what a killed process may have left in `.git/plover-tmp/`. */
export function clearTemporaryFiles(gitdir: string): void {
  fs.rmSync(join(gitdir, TMP_DIR), { recursive: true, force: true });
}
