/**
 * A branch moved only if it is still where the commit was built on: git's own protocol
 * for a ref update. `<ref>.lock` is taken exclusively (a native `git commit` running at
 * the same moment holds it, or fails on ours), the ref is read under the lock, and the
 * new value is renamed over it. Nothing can move the branch between the check and the
 * write, so a commit made meanwhile by another program is never lost. The lock is noted
 * as plover's (owned-lock.ts): a plover killed holding it leaves nothing that blocks.
 * Each move is logged in the ref's reflog (and HEAD's, when HEAD is on that branch) as
 * `git commit` logs it, so `git reflog` finds every decision after a reset.
 */
import { appendFileSync, closeSync, mkdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { resolveOrNull, type GitFs, type RefLogEntry } from '../git/commit-file.ts';
import { PloverError } from '../lib/errors.ts';
import { refLock, releaseLock, takeLock } from './owned-lock.ts';

/** The `updateRef` of a GitTarget in a local clone (see commit-file.ts). */
export function refUpdater(fs: GitFs, gitdir: string) {
  return async (ref: string, oid: string, expected: string | null, log: RefLogEntry): Promise<boolean> => {
    const files = refLock(gitdir, ref);
    let fd = takeLock(
      files,
      () => new PloverError('E_REF_LOCKED', `${files.lock} exists: another git command is moving ${ref}. Let it finish; if none is running, delete ${files.lock}`),
    );
    let renamed = false;
    try {
      if ((await resolveOrNull(fs, gitdir, ref)) !== expected) return false;
      writeSync(fd, `${oid}\n`);
      closeSync(fd);
      fd = -1;
      renameSync(files.lock, join(gitdir, ref));
      renamed = true;
      appendRefLog(gitdir, ref, expected, oid, log);
      return true;
    } finally {
      if (fd !== -1) closeSync(fd);
      if (!renamed) rmSync(files.lock, { force: true });
      releaseLock(files);
    }
  };
}

const ZERO = '0'.repeat(40);

/** Appends git's reflog line for a move of `ref` (a branch) to its log, and to HEAD's when HEAD is on it. */
function appendRefLog(gitdir: string, ref: string, from: string | null, to: string, { who, message }: RefLogEntry): void {
  const line = `${from ?? ZERO} ${to} ${who.name} <${who.email}> ${who.timestamp} +0000\t${message.replace(/\n/g, ' ')}\n`;
  const logs = [ref];
  try {
    if (readFileSync(join(gitdir, 'HEAD'), 'utf8').trim() === `ref: ${ref}`) logs.push('HEAD');
  } catch {
    // No readable HEAD: only the branch's own log.
  }
  for (const name of logs) {
    const file = join(gitdir, 'logs', name);
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, line);
  }
}
