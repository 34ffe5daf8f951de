/**
 * Carrying on after a crash. A decision is written in this order: a pending note in
 * `.git/plover-pending/` naming its file, the file (and its index entry), the commit's
 * objects, the branch, and last the note's removal. A process killed in between leaves
 * the note, and a correction that is in the working tree but not in a commit (or, for an
 * undo, removed but not committed). On the next start, each noted file is committed as
 * it was meant to be, so a decision the reviewer submitted is never lost; and what the
 * killed process left in `.git/plover-tmp/` is removed, with its `index.lock` if it was
 * killed while writing the index.
 *
 * Only noted files are looked at: opening a repository costs the same at 100 corrections
 * as at 100k (a `git status` over 100k files took 0.3 s). A note of a process still
 * running is its own, in flight, and left alone. A correction file changed by hand has no
 * note and stays as it is, for its author to commit (`plover validate` checks it).
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { compileCommitMessage, compileUndoMessage } from '../lib/records/commit-message.ts';
import { parseCorrection } from '../lib/records/correction.ts';
import { CORRECTION_PATH_PATTERN, correctionPath } from '../lib/records/paths.ts';
import { commitFile, readCommittedFile, type GitFs } from '../git/commit-file.ts';
import { errorCode } from '../lib/errors.ts';
import { clearStaleLocks, isAlive } from './owned-lock.ts';
import { clearTemporaryFiles } from './atomic-fs.ts';
import { worktreeTarget } from './worktree-committer.ts';
import { compareOrdinal } from '../lib/ordinal.ts';

const PENDING_DIR = 'plover-pending';

/** Where process `pid` notes that `path` is changing: the note's name is the pid, then the path. */
export const pendingNote = (dir: string, path: string, pid = process.pid) => `${dir}/.git/${PENDING_DIR}/${pid}.${encodeURIComponent(path)}`;
const NOTE_NAME = /^(\d+)\.(.+)$/;

/**
 * Notes that `path` (relative to the repository root) is about to change, before anything
 * is written; returns what removes the note once the change is committed (or, when it
 * failed, undone: see WorktreeCommitter).
 */
export function notePending(dir: string, path: string): () => void {
  mkdirSync(`${dir}/.git/${PENDING_DIR}`, { recursive: true });
  const note = pendingNote(dir, path);
  writeFileSync(note, '');
  return () => rmSync(note, { force: true });
}

export interface Recovered {
  path: string;
  commit: string;
  kind: 'decision' | 'undo';
}

/**
 * Commits every noted correction that was written or removed but not committed.
 * Files that are not valid corrections at their own path are left for `plover validate` to report.
 */
export async function recoverUncommitted(options: { fs: GitFs; dir: string; cache: object; now?: Date }): Promise<Recovered[]> {
  const { fs, dir, cache } = options;
  clearStaleLocks(`${dir}/.git`);
  clearTemporaryFiles(`${dir}/.git`, isAlive);
  const folder = `${dir}/.git/${PENDING_DIR}`;
  let notes: string[];
  try {
    notes = readdirSync(folder).sort(compareOrdinal);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return []; // nothing was ever in flight
    throw err;
  }
  const recovered: Recovered[] = [];
  for (const note of notes) {
    const [, pid, encoded] = NOTE_NAME.exec(note) ?? [];
    // A note naming this very process is left from an earlier one with the same pid.
    if (pid && Number(pid) !== process.pid && isAlive(Number(pid))) continue;
    const path = encoded === undefined ? undefined : decodePath(encoded);
    if (path !== undefined && CORRECTION_PATH_PATTERN.test(path)) {
      const done = await recoverFile({ fs, dir, cache, path, now: options.now ?? new Date() });
      if (done) recovered.push(done);
    }
    rmSync(`${folder}/${note}`, { force: true });
  }
  return recovered;
}

function decodePath(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined; // not a note plover wrote
  }
}

/** Commits the working tree's state of one correction file, if the branch does not have it yet. */
async function recoverFile({ fs, dir, cache, path, now }: { fs: GitFs; dir: string; cache: object; path: string; now: Date }): Promise<Recovered | undefined> {
  const committed = await readCommittedFile({ fs, dir, cache }, path);
  let text: string | null;
  try {
    text = await readFile(`${dir}/${path}`, 'utf8');
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') throw err;
    text = null;
  }
  if (text === committed) return undefined; // the commit landed, or nothing was written
  if (text === null) {
    const undone = parseCorrection(committed!, path).correction;
    if (!undone) return undefined;
    const commit = await commitFile({ ...worktreeTarget(dir, fs, cache), path, text: null, message: compileUndoMessage(undone), author: { ...undone.reviewer, date: now } });
    return { path, commit, kind: 'undo' };
  }
  const { correction } = parseCorrection(text, path);
  if (!correction || correctionPath(correction.candidate_id, correction.reviewer.email) !== path) return undefined;
  const commit = await commitFile({
    ...worktreeTarget(dir, fs, cache),
    path,
    text,
    message: compileCommitMessage(correction),
    author: { ...correction.reviewer, date: new Date(correction.decided_at) },
  });
  return { path, commit, kind: 'decision' };
}
