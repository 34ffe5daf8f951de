/**
 * A branch moved only if it is still where the commit was built on: git's own protocol
 * for a ref update. `<ref>.lock` is created exclusively (a native `git commit` running
 * at the same moment holds it, or waits for ours), the ref is read under the lock, and
 * the new value is renamed over it. Nothing can move the branch between the check and
 * the write, so a commit made meanwhile by another program is never lost.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveOrNull, type GitFs } from '../git/commit-file.ts';
import { errorCode, PloverError } from '../lib/errors.ts';

/** The `updateRef` of a GitTarget in a local clone (see commit-file.ts). */
export function refUpdater(fs: GitFs, gitdir: string) {
  return async (ref: string, oid: string, expected: string | null): Promise<boolean> => {
    const file = join(gitdir, ref);
    const lock = `${file}.lock`;
    mkdirSync(dirname(file), { recursive: true });
    let fd: number;
    try {
      fd = openSync(lock, 'wx');
    } catch (err) {
      if (errorCode(err) !== 'EEXIST') throw err;
      throw new PloverError('E_REF_LOCKED', `${lock} exists: another git command is moving ${ref}. Let it finish; if none is running, delete ${lock}`);
    }
    let renamed = false;
    try {
      if ((await resolveOrNull(fs, gitdir, ref)) !== expected) return false;
      writeSync(fd, `${oid}\n`);
      closeSync(fd);
      fd = -1;
      renameSync(lock, file);
      renamed = true;
      return true;
    } finally {
      if (fd !== -1) closeSync(fd);
      if (!renamed) rmSync(lock, { force: true });
    }
  };
}
