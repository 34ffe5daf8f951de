/**
 * The Committer of hosted mode: each decision is a commit on the outbox branch of the
 * page's clone (LightningFS in IndexedDB), written by the same commitDecision as local
 * mode and durable in IndexedDB before it is acknowledged. Pushing is not its job: the
 * hosted session (hosted-session.ts) is told of each commit and pushes in its own loop.
 *
 * Every tab of a site shares one clone, so every git write, here and in the session's
 * sync, runs under one Web Lock (`locked`, `writing`).
 */
import git from 'isomorphic-git';
import { commitDecision, commitUndo } from '../git/commit-decision.ts';
import { readCommittedFile } from '../git/commit-file.ts';
import { outboxRef, type Clone, type OutboxKey } from '../git/remote.ts';
import { parseCorrection, type Decision } from '../lib/records/correction.ts';
import { PloverError } from '../lib/errors.ts';
import type { HistoryEntry } from '../lib/review/history.ts';
import { correctionPath, correctionsPrefix } from '../lib/records/paths.ts';
import type { CommitOptions, Committer } from '../lib/review/review-service.ts';
import type { Reviewer } from '../lib/records/schema-types.generated.ts';
import { isStorageFull, type StoreFs } from './browser-store.ts';
import type { LocatedCorrection } from '../lib/records/correction.ts';

/** What a commit changed, as the session tells the other tabs. */
export type CloneChange = { kind: 'set'; located: LocatedCorrection } | { kind: 'delete'; file: string };

export class CloneCommitter implements Committer {
  readonly clone: Clone & { fs: StoreFs };
  /** The outbox ref commits go to: the signed-in reviewer's, for the branch decisions are pushed to. */
  readonly outbox: string;
  private readonly lockName: string;
  private readonly committed: (change: CloneChange) => Promise<void>;

  constructor(clone: Clone & { fs: StoreFs }, outbox: OutboxKey, lockName: string, committed: (change: CloneChange) => Promise<void>) {
    this.clone = clone;
    this.outbox = outboxRef(outbox);
    this.lockName = lockName;
    this.committed = committed;
  }

  /** Runs git work under the lock every tab of this site shares: one writer at a time. */
  locked<T>(work: () => Promise<T>): Promise<T> {
    return navigator.locks.request(this.lockName, work) as Promise<T>;
  }

  /**
   * Git work that writes, made durable before the lock is released: LightningFS keeps
   * its file table in memory and saves it only after 500 ms idle, so a tab closed sooner
   * would lose the refs just written (a commit, or what a push or fetch recorded).
   */
  writing<T>(work: () => Promise<T>): Promise<T> {
    return this.locked(async () => {
      try {
        return await work();
      } finally {
        await this.clone.fs.promises.flush();
      }
    });
  }

  private target() {
    return { fs: this.clone.fs, gitdir: this.clone.gitdir, cache: this.clone.cache, ref: this.outbox };
  }

  async commit(decision: Decision, reviewer: Reviewer, options: CommitOptions) {
    const result = await this.store(() => commitDecision({ ...this.target(), decision, reviewer, ...options }));
    await this.committed({ kind: 'set', located: { correction: result.correction, file: result.path } });
    return result;
  }

  async undo(candidateId: string, reviewer: Reviewer, now?: Date) {
    const result = await this.store(() => commitUndo({ ...this.target(), candidateId, reviewer, ...(now ? { now } : {}) }));
    await this.committed({ kind: 'delete', file: result.path });
    return result;
  }

  /**
   * Whether the outbox holds this reviewer's decision on a candidate made at `decidedAt`
   * or later: a decision kept in the journal whose commit landed, or one overtaken since.
   */
  async holds(candidateId: string, reviewer: Reviewer, decidedAt: Date): Promise<boolean> {
    const path = correctionPath(candidateId, reviewer.email);
    const text = await this.locked(() => readCommittedFile(this.target(), path));
    const committed = text === null ? undefined : parseCorrection(text, path).correction;
    return committed !== undefined && Date.parse(committed.decided_at) >= decidedAt.getTime();
  }

  /** A commit, durable in IndexedDB when this resolves; a full store says so. */
  private async store<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await this.writing(work);
    } catch (err) {
      if (isStorageFull(err)) {
        throw new PloverError('E_STORAGE', 'The browser refused to store more (storage quota exceeded); this decision was not saved. Free up site storage, then retry.', {
          cause: err,
        });
      }
      throw err;
    } finally {
      // For `npm run bench`: a decision from the click to durable in IndexedDB.
      performance.measure('plover:commit', { start: started });
    }
  }

  /**
   * The candidate's history as far as this clone knows it (it is shallow: the target
   * branch's latest state, and every commit made or fetched since), newest first.
   */
  async history(candidateId: string, paths: string[]): Promise<HistoryEntry[]> {
    const { fs, gitdir, cache } = this.clone;
    const prefix = correctionsPrefix(candidateId);
    const entries: HistoryEntry[] = [];
    await this.locked(async () => {
      for (const path of paths) {
        if (!path.startsWith(prefix)) continue;
        const commits = await git.log({ fs, gitdir, cache, ref: this.outbox, filepath: path, force: true }).catch(() => []);
        for (const c of commits) {
          const text = await git.readBlob({ fs, gitdir, cache, oid: c.oid, filepath: path }).then(
            (b) => new TextDecoder().decode(b.blob),
            () => null,
          );
          const correction = text === null ? undefined : parseCorrection(text, path).correction;
          const base = {
            commit: c.oid,
            author: { name: c.commit.author.name, email: c.commit.author.email },
            date: new Date(c.commit.author.timestamp * 1000).toISOString(),
            path,
          };
          if (correction) entries.push({ ...base, kind: 'decision', correction });
          else entries.push({ ...base, kind: 'undo' });
        }
      }
    });
    return entries.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
  }
}
