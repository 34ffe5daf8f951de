/**
 * The Committer of local mode: each decision is a commit on the checked-out branch of a
 * local clone, with the correction file and its index entry written too, so `git status`
 * stays clean (see git/commit-decision.ts). A pending note covers each commit in flight,
 * so a killed process loses nothing (see recover.ts). History is read with git itself.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import { commitDecision, commitUndo, type GitFs } from '../git/commit-decision.ts';
import { commitFile } from '../git/commit-file.ts';
import type { Decision } from '../lib/records/correction.ts';
import { PloverError } from '../lib/errors.ts';
import { correctionPath } from '../lib/records/paths.ts';
import type { CommitOptions, Committer } from '../lib/review/review-service.ts';
import type { Reviewer } from '../lib/records/schema-types.generated.ts';
import { TMP_DIR, writeFileAtomic } from './atomic-fs.ts';
import { indexWriter } from './git-index.ts';
import { readCandidateHistory } from './history.ts';
import { notePending } from './recover.ts';
import { refUpdater } from './ref-update.ts';
import { treeReader } from './tree-reader.ts';
import { looseObjectWriter } from './object-writer.ts';

const run = promisify(execFile);

/** A commit's target in the working tree at `dir`, with the Node ways of writing the index and the branch and of reading trees. */
export function worktreeTarget(dir: string, fs: GitFs, cache: object) {
  return { fs, dir, cache, index: indexWriter(dir), updateRef: refUpdater(fs, `${dir}/.git`), readTrees: treeReader(dir), writeObject: looseObjectWriter(fs, `${dir}/.git`) };
}

/**
 * Undoes what a failed change wrote: the file gets back the bytes it had before (or goes,
 * if it had none), and its index entry is HEAD's again. A file its author had edited by
 * hand keeps those edits. False when git could not do it.
 */
async function putBack(dir: string, path: string, before: Buffer | null): Promise<boolean> {
  const git = (...args: string[]) => run('git', ['--literal-pathspecs', ...args], { cwd: dir });
  try {
    // On a branch without commits there is no HEAD to reset to: the entry just goes.
    await git('reset', '-q', 'HEAD', '--', path).catch(() => git('rm', '-q', '--cached', '--ignore-unmatch', '--', path));
    if (before === null) await rm(`${dir}/${path}`, { force: true });
    else {
      const tmp = `${dir}/.git/${TMP_DIR}`;
      await mkdir(tmp, { recursive: true });
      await writeFileAtomic(`${dir}/${path}`, before, { temp: `${tmp}/${process.pid}-put-back` });
    }
    return true;
  } catch {
    return false;
  }
}

/** The bytes of a file, or null when there is none. */
const bytesOf = (file: string) => readFile(file).catch(() => null);

/** The branch HEAD is on (`refs/heads/…`), or null when HEAD is detached or unreadable. */
function headBranch(dir: string): string | null {
  try {
    const head = readFileSync(`${dir}/.git/HEAD`, 'utf8').trim();
    return head.startsWith('ref: ') ? head.slice(5) : null;
  } catch {
    return null;
  }
}

export class WorktreeCommitter implements Committer {
  private readonly dir: string;
  private readonly fs: GitFs;
  /** One isomorphic-git cache for the session (the first packed read hashes the whole pack). */
  private readonly cache: object;
  /** The branch checked out when the session began: its decisions go there, or nowhere. */
  private readonly branch: string | null;

  constructor(dir: string, fs: GitFs, cache: object) {
    this.dir = dir;
    this.fs = fs;
    this.cache = cache;
    this.branch = headBranch(dir);
  }

  private target() {
    return worktreeTarget(this.dir, this.fs, this.cache);
  }

  commit(decision: Decision, reviewer: Reviewer, options: CommitOptions) {
    return this.noted(correctionPath(decision.candidate_id, reviewer.email), () => commitDecision({ ...this.target(), decision, reviewer, ...options }));
  }

  /** Commits one file beside the decisions (a suggestions file), with the same branch check, note and undo on failure. */
  commitText(path: string, text: string, message: string, author: Reviewer, now = new Date()): Promise<string> {
    return this.noted(path, () => commitFile({ ...this.target(), path, text, message, author: { name: author.name, email: author.email, date: now } }));
  }

  undo(candidateId: string, reviewer: Reviewer, now?: Date) {
    return this.noted(correctionPath(candidateId, reviewer.email), () => commitUndo({ ...this.target(), candidateId, reviewer, ...(now ? { now } : {}) }));
  }

  /**
   * Runs a change of `path` under a pending note. A change that fails is answered with its
   * error, so it must not be committed later: what it wrote is undone (putBack) and the
   * note goes. Only a killed process leaves its note.
   */
  private async noted<T>(path: string, change: () => Promise<T>): Promise<T> {
    // Someone checked out another branch under a running label server: its decisions
    // would land there without a word. Refuse until the branch comes back or plover restarts.
    const now = headBranch(this.dir);
    if (this.branch !== null && now !== this.branch) {
      const name = (ref: string | null) => (ref === null ? 'a detached HEAD' : ref.replace(/^refs\/heads\//, ''));
      throw new PloverError(
        'E_BRANCH_SWITCHED',
        `HEAD is on ${name(now)} now, not on ${name(this.branch)}, where this session commits; nothing was written. Check out ${name(this.branch)} again (\`git switch ${name(this.branch)}\`), or restart plover to label on ${name(now)}`,
      );
    }
    const file = `${this.dir}/${path}`;
    const before = await bytesOf(file);
    const done = notePending(this.dir, path);
    try {
      const result = await change();
      done();
      return result;
    } catch (err) {
      // Answered with its error, so never committed later: what it wrote is undone. If
      // even that fails (git itself locked out), the note stays and the next start decides.
      const after = await bytesOf(file);
      const wrote = before === null ? after !== null : after === null || !before.equals(after);
      if (!wrote || (await putBack(this.dir, path, before))) done();
      throw err;
    }
  }

  history(candidateId: string) {
    return readCandidateHistory(this.dir, candidateId);
  }
}
