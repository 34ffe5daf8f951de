/**
 * git's lock files (`index.lock`, `refs/heads/main.lock`), taken the way git takes them
 * (an exclusive create; the lock is renamed over the file it guards), with one addition:
 * a lock left by a plover process that was killed can be told from one a git command
 * holds, and removed on the next start (clearStaleLocks).
 *
 * The note naming the owner is complete before the lock exists: plover creates its lock
 * file under its own name (`<stem>.<pid>`), writes the note (`<stem>.owner`: pid and the
 * file's inode) atomically, and only then links the file in as the lock, which fails if
 * the name is taken, as an exclusive create does. Where the file system has no hard
 * links, the lock is created exclusively and the note written after it.
 *
 * Notes and drafts live at the top of the git directory under names git never reads
 * (`plover-index.lock.*`, `plover-ref.<ref>.lock.*`).
 */
import { closeSync, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { PloverError, errorCode } from '../lib/errors.ts';
import { writeFileAtomicSync } from './atomic-fs.ts';

export interface LockFiles {
  /** The lock itself, e.g. `<gitdir>/index.lock`. */
  lock: string;
  /** Where plover's draft and owner note go: `<stem>.<pid>`, `<stem>.owner`. */
  stem: string;
}

export const indexLock = (gitdir: string): LockFiles => ({ lock: `${gitdir}/index.lock`, stem: `${gitdir}/plover-index.lock` });
export const refLock = (gitdir: string, ref: string): LockFiles => ({ lock: `${gitdir}/${ref}.lock`, stem: `${gitdir}/plover-ref.${encodeURIComponent(ref)}.lock` });

/** The lock a note or draft at the top of `gitdir` belongs to, from its name. */
function lockOfStem(gitdir: string, stemName: string): string | null {
  if (stemName === 'plover-index.lock') return `${gitdir}/index.lock`;
  const ref = /^plover-ref\.(.+)\.lock$/.exec(stemName)?.[1];
  if (!ref) return null;
  const name = decodeURIComponent(ref);
  return name.startsWith('refs/') && !name.split('/').includes('..') ? `${gitdir}/${name}.lock` : null;
}

/** Error codes of a file system without hard links. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Takes the lock with its owner noted.
 * @returns the lock, open for writing; release with releaseLock after renaming or removing it.
 * @throws what `taken()` returns when the lock exists.
 */
export function takeLock(files: LockFiles, taken: () => PloverError): number {
  const draft = `${files.stem}.${process.pid}`;
  const note = `${files.stem}.owner`;
  const noteOwner = (fd: number) => writeFileAtomicSync(note, JSON.stringify({ pid: process.pid, ino: fstatSync(fd).ino }));
  mkdirSync(dirname(files.lock), { recursive: true });
  let fd = openSync(draft, 'w');
  try {
    noteOwner(fd);
    linkSync(draft, files.lock);
  } catch (err) {
    closeSync(fd);
    rmSync(draft, { force: true });
    rmSync(note, { force: true });
    const code = errorCode(err) ?? '';
    if (code === 'EEXIST') throw taken();
    if (!NO_HARD_LINKS.has(code)) throw err;
    try {
      fd = openSync(files.lock, 'wx'); // git's exclusive create, with the note written after it
    } catch (err) {
      throw errorCode(err) === 'EEXIST' ? taken() : err;
    }
    noteOwner(fd);
    return fd;
  }
  unlinkSync(draft);
  return fd;
}

/** Forgets the owner note, once the lock is renamed over its file or removed. */
export function releaseLock(files: LockFiles): void {
  rmSync(`${files.stem}.owner`, { force: true });
}

const DRAFT = /^(plover-.+\.lock)\.(\d+)$/;
const NOTE_DRAFT = /^(plover-.+\.lock)\.owner\.tmp-(\d+)$/;
const NOTE = /^(plover-.+\.lock)\.owner$/;

/**
 * Removes every lock that a plover process left when it was killed holding it (its pid
 * is gone and the lock is the very file it created), and the drafts and notes of dead
 * plover processes. A lock of any other process is left alone: the next write then says
 * so, naming the file.
 * @returns the locks removed.
 */
export function clearStaleLocks(gitdir: string): string[] {
  // Locks are taken and released without yielding: a note or draft naming this very process is left from an earlier one.
  const dead = (pid: number) => pid === process.pid || !isAlive(pid);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(gitdir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const draft = DRAFT.exec(name) ?? NOTE_DRAFT.exec(name);
    if (draft && dead(Number(draft[2]))) rmSync(`${gitdir}/${name}`, { force: true });
  }
  for (const name of names) {
    const stem = NOTE.exec(name)?.[1];
    const lock = stem && lockOfStem(gitdir, stem);
    if (!lock) continue;
    let owner: { pid?: unknown; ino?: unknown };
    try {
      owner = JSON.parse(readFileSync(`${gitdir}/${name}`, 'utf8'));
    } catch {
      continue; // gone meanwhile, or not whole: the note is written atomically, so not ours
    }
    if (typeof owner.pid !== 'number' || !dead(owner.pid)) continue;
    try {
      if (lstatSync(lock).ino === owner.ino) {
        unlinkSync(lock);
        removed.push(lock);
      }
    } catch {
      // no lock: the process died before linking it in, or after renaming it
    }
    rmSync(`${gitdir}/${name}`, { force: true });
  }
  return removed;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}
