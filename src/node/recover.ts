/**
 * Carrying on after a crash. A decision is written in this order: the file (and its
 * index entry), then the commit's objects, then the branch. A process killed in between
 * leaves a correction that is in the working tree but not in a commit (or, for an undo,
 * removed but not committed). On the next start, each such change is committed as it
 * was meant to be, so a decision the reviewer submitted is never lost; and what the
 * killed process left in `.git/plover-tmp/` is removed, with its `index.lock` if it
 * was killed while writing the index.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { compileCommitMessage, compileUndoMessage } from '../lib/commit-message.ts';
import { parseCorrection } from '../lib/correction.ts';
import { CORRECTION_PATH_PATTERN, correctionPath } from '../lib/paths.ts';
import { commitFile, readCommittedFile, type GitFs } from '../git/commit-file.ts';
import { indexWriter } from './git-index.ts';
import { clearStaleLocks } from './owned-lock.ts';
import { clearTemporaryFiles } from './atomic-fs.ts';
import { refUpdater } from './ref-update.ts';

const run = promisify(execFile);

export interface Recovered {
  path: string;
  commit: string;
  kind: 'decision' | 'undo';
}

/**
 * Commits every correction that was written or removed but not committed.
 * Files that are not valid corrections at their own path are left for `plover validate` to report.
 */
export async function recoverUncommitted(options: { fs: GitFs; dir: string; cache: object; now?: Date }): Promise<Recovered[]> {
  const { fs, dir, cache } = options;
  clearStaleLocks(`${dir}/.git`);
  clearTemporaryFiles(`${dir}/.git`);
  let status: string;
  try {
    status = (await run('git', ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--', 'corrections'], { cwd: dir, maxBuffer: 256 * 1024 * 1024 })).stdout;
  } catch {
    return []; // not a git repository (or no git): nothing to recover
  }
  const recovered: Recovered[] = [];
  for (const entry of status.split('\0').filter(Boolean)) {
    const code = entry.slice(0, 2);
    const path = entry.slice(3);
    if (!CORRECTION_PATH_PATTERN.test(path)) continue;
    const now = options.now ?? new Date();
    if (code.includes('D')) {
      const text = await readCommittedFile({ fs, dir, cache }, path);
      const undone = text === null ? undefined : parseCorrection(text, path).correction;
      if (!undone) continue;
      const commit = await commitFile({ fs, dir, cache, index: indexWriter(dir), updateRef: refUpdater(fs, `${dir}/.git`), path, text: null, message: compileUndoMessage(undone), author: { ...undone.reviewer, date: now } });
      recovered.push({ path, commit, kind: 'undo' });
      continue;
    }
    const text = await readFile(`${dir}/${path}`, 'utf8');
    const { correction } = parseCorrection(text, path);
    if (!correction || correctionPath(correction.candidate_id, correction.reviewer.email) !== path) continue;
    const commit = await commitFile({
      fs,
      dir,
      cache,
      index: indexWriter(dir),
      updateRef: refUpdater(fs, `${dir}/.git`),
      path,
      text,
      message: compileCommitMessage(correction),
      author: { ...correction.reviewer, date: new Date(correction.decided_at) },
    });
    recovered.push({ path, commit, kind: 'decision' });
  }
  return recovered;
}
