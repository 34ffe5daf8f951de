/**
 * The hosted mode in the page: a clone of the repository in IndexedDB (LightningFS),
 * decisions committed in it by the same commit function as the local mode, and pushed in
 * the background to the reviewer's branch (src/git/remote.ts).
 *
 * Durability: a decision is acknowledged once its commit is in IndexedDB (LightningFS
 * flushed). Pushes retry with backoff; a tab closed mid-push leaves the commit in the
 * outbox, and the next visit pushes it (once: a push that landed is recognised).
 * Several tabs share the clone; every git write runs under one Web Lock, and each tab
 * tells the others (BroadcastChannel) what it committed and when it pushed, so their
 * queues and "waiting" counts stay current.
 */
import './buffer-global.ts';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/web';
import { createSignal, type Accessor } from 'solid-js';
import { commitDecision, commitUndo } from '../git/commit-decision.ts';
import { outboxRef, pushOutbox, remoteError, syncClone, waitingCommits, type Clone, type RemoteOptions } from '../git/remote.ts';
import { overlaySource, treeSource } from '../git/tree-source.ts';
import { parseCorrection, type Decision } from '../lib/correction.ts';
import { PloverError } from '../lib/errors.ts';
import type { LocatedCorrection } from '../lib/export.ts';
import type { HistoryEntry } from '../lib/history.ts';
import { candidateKey, correctionPath, reviewerTag } from '../lib/paths.ts';
import { parseQueueFilter } from '../lib/queue-filter.ts';
import { invalidRepository, readCandidates, readCorrections } from '../lib/repository.ts';
import { ReviewIndex } from '../lib/review-index.ts';
import type { Reviewer } from '../lib/schema-types.ts';
import { authUsername, destinationBranch, pullRequestUrl, type HostedConfig } from '../lib/site-config.ts';
import type { Stats } from '../lib/stats.ts';
import { BackendError, type LabelBackend } from './backend.ts';
import { isStorageFull, openStore, type StoreFs } from './browser-store.ts';

export interface SyncStatus {
  /** Whether the git host answered the last request. */
  online: boolean;
  /** Decisions committed here and not yet on the host. */
  waiting: number;
  pushing: boolean;
  /** What went wrong with the last push or fetch, for the reviewer; null when all is well. */
  error: string | null;
  errorCode: string | null;
  /** When the host last accepted a push or answered a fetch. */
  lastSync: Date | null;
}

/** What one tab tells the other tabs of the same site. */
type TabMessage =
  | { kind: 'set'; reviewer: string; located: LocatedCorrection }
  | { kind: 'delete'; reviewer: string; file: string }
  | { kind: 'pushed' };

const GITDIR = '/repo.git';
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

/** Where this site keeps its clone: one IndexedDB database per remote. */
export function storeName(config: HostedConfig): string {
  return `plover:${config.remote}`;
}

export class HostedSession {
  readonly reviewer: Reviewer;
  readonly config: HostedConfig;
  readonly dest: string;
  /** The host's page for opening a pull request from the reviewer's branch, or null when pushing to the target branch. */
  readonly pullRequestUrl: string | null;
  readonly status: Accessor<SyncStatus>;
  readonly backend: LabelBackend;
  private readonly setStatus: (s: SyncStatus) => void;
  private readonly clone: Clone & { fs: StoreFs };
  private readonly remote: RemoteOptions;
  private index!: ReviewIndex;
  private pushing = false;
  private pushAgain = false;
  private retryMs = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private readonly onOnline = () => void this.push();
  private readonly tabs: BroadcastChannel;

  private constructor(config: HostedConfig, reviewer: Reviewer, token: string) {
    this.config = config;
    this.reviewer = reviewer;
    this.dest = destinationBranch(config, reviewer.email);
    this.pullRequestUrl = pullRequestUrl(config, this.dest);
    this.clone = { fs: openStore(storeName(config)), gitdir: GITDIR, cache: {}, http };
    this.remote = {
      url: config.remote,
      branch: config.branch,
      dest: this.dest,
      ...(config.corsProxy ? { corsProxy: config.corsProxy } : {}),
      auth: { username: authUsername(config.host), password: token },
    };
    const [status, setStatus] = createSignal<SyncStatus>({ online: navigator.onLine, waiting: 0, pushing: false, error: null, errorCode: null, lastSync: null });
    this.status = status;
    this.setStatus = setStatus;
    this.backend = this.createBackend();
    this.tabs = new BroadcastChannel(storeName(config));
    this.tabs.onmessage = (event: MessageEvent<TabMessage>) => this.fromOtherTab(event.data);
  }

  /**
   * Signs in: clones the repository on the first visit (fetches what is new on later
   * ones), reads the candidates and corrections, and pushes what earlier visits left.
   * Offline with a clone from an earlier visit, it opens that clone and keeps trying.
   * @throws PloverError `E_AUTH` (wrong token), `E_OFFLINE` (first visit without the host), `E_STORAGE`, `E_INVALID_REPOSITORY`.
   */
  static async open(config: HostedConfig, reviewer: Reviewer, token: string, onProgress?: (text: string) => void): Promise<HostedSession> {
    if (typeof indexedDB === 'undefined' || !navigator.locks) {
      throw new PloverError('E_STORAGE', 'This browser gives the page no IndexedDB or Web Locks (private mode, or storage disabled), where decisions are kept until pushed. Allow site storage for this page, or use another browser.');
    }
    const session = new HostedSession(config, reviewer, token);
    const started = performance.now();
    try {
      await session.writing(() =>
        syncClone(session.clone, session.remote, (phase, loaded, total) => onProgress?.(total ? `${phase}: ${loaded} of ${total}` : `${phase}: ${loaded}`)),
      );
      session.update({ online: true, lastSync: new Date() });
    } catch (err) {
      const e = remoteError(err, 'Opening the repository failed');
      const haveClone = await session.locked(() => git.resolveRef({ fs: session.clone.fs, gitdir: GITDIR, ref: outboxRef(session.dest) }).then(() => true, () => false));
      if (e.code !== 'E_OFFLINE' || !haveClone) throw storageError(e);
      session.update({ online: false, error: e.message, errorCode: e.code });
    }
    onProgress?.('Reading candidates');
    await session.load();
    // For `npm run bench`: from sign-in to the queue ready (clone or fetch, read, index).
    performance.measure('plover:open', { start: started });
    await session.refreshWaiting();
    window.addEventListener('online', session.onOnline);
    void session.push();
    return session;
  }

  /** Stops pushing (sign out). Decisions not yet pushed stay in this browser for the next sign-in. */
  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    window.removeEventListener('online', this.onOnline);
    this.tabs.close();
  }

  /** Another tab committed or pushed: take its decision into the queue and recount what waits. */
  private fromOtherTab(message: TabMessage): void {
    if (this.closed || !this.index) return;
    if (message.kind === 'set' && message.reviewer === this.reviewer.email) this.index.set(message.located);
    if (message.kind === 'delete' && message.reviewer === this.reviewer.email) this.index.delete(message.file);
    void this.refreshWaiting();
  }

  stats(): Stats {
    return this.index.stats();
  }

  /** Pushes the outbox now (and again later if it fails). */
  async push(): Promise<void> {
    if (this.closed) return;
    if (this.pushing) {
      this.pushAgain = true;
      return;
    }
    this.pushing = true;
    clearTimeout(this.retryTimer);
    this.update({ pushing: true });
    try {
      do {
        this.pushAgain = false;
        try {
          const started = performance.now();
          const pushed = await this.writing(() => pushOutbox(this.clone, this.remote));
          if (pushed.pushed) {
            performance.measure('plover:push', { start: started, detail: pushed });
            this.tabs.postMessage({ kind: 'pushed' } satisfies TabMessage);
          }
          this.retryMs = 0;
          this.update({ online: true, error: null, errorCode: null, lastSync: new Date() });
        } catch (err) {
          const e = remoteError(err, 'Pushing your decisions failed');
          this.update({ online: e.code !== 'E_OFFLINE', error: e.message, errorCode: e.code });
          // A refused token does not get better by retrying; signing in again pushes.
          if (e.code !== 'E_AUTH') this.retryLater();
          break;
        } finally {
          await this.refreshWaiting();
        }
      } while (this.pushAgain && !this.closed);
    } finally {
      this.pushing = false;
      this.update({ pushing: false });
    }
  }

  private retryLater(): void {
    this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
    this.retryTimer = setTimeout(() => void this.push(), this.retryMs);
  }

  private update(patch: Partial<SyncStatus>): void {
    this.setStatus({ ...this.status(), ...patch });
  }

  private async refreshWaiting(): Promise<void> {
    const waiting = await this.locked(() => waitingCommits(this.clone, this.dest)).catch((err: Error) => {
      console.warn(`plover: counting the decisions waiting to be pushed failed: ${err.message}`);
      return null;
    });
    if (waiting) this.update({ waiting: waiting.length });
  }

  /** Runs git work under the lock every tab of this site shares: one writer at a time. */
  private locked<T>(work: () => Promise<T>): Promise<T> {
    return navigator.locks.request(`plover-git:${this.config.remote}`, work) as Promise<T>;
  }

  /**
   * Git work that writes, made durable before the lock is released: LightningFS keeps
   * its file table in memory and saves it only after 500 ms idle, so a tab closed sooner
   * would lose the refs just written (a commit, or what a push or fetch recorded).
   */
  private writing<T>(work: () => Promise<T>): Promise<T> {
    return this.locked(async () => {
      try {
        return await work();
      } finally {
        await this.clone.fs.promises.flush();
      }
    });
  }

  /** The target branch's candidates and corrections, with this reviewer's own corrections from the outbox. */
  private async load(): Promise<void> {
    await this.locked(async () => {
      const { fs, gitdir, cache } = this.clone;
      const target = await git.resolveRef({ fs, gitdir, ref: `refs/remotes/origin/${this.config.branch}` });
      const outbox = await git.resolveRef({ fs, gitdir, ref: outboxRef(this.dest) });
      const mine = `--${reviewerTag(this.reviewer.email)}.json`;
      const source = overlaySource(treeSource({ fs, gitdir, cache, commit: target }), treeSource({ fs, gitdir, cache, commit: outbox }), (p) => p.endsWith(mine));
      const data = await readCandidates(source);
      const read = await readCorrections(source, data.candidates);
      const problems = [...data.problems, ...read.problems];
      if (problems.length) throw invalidRepository(problems);
      this.index = new ReviewIndex(data, read.corrections);
    });
  }

  /** Commits under the lock, durable (in IndexedDB) before anyone is told it exists. */
  private async commit<T>(work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await this.writing(work);
    performance.measure('plover:commit', { start: started });
    await this.refreshWaiting();
    void this.push();
    return result;
  }

  private createBackend(): LabelBackend {
    const target = { fs: this.clone.fs, gitdir: GITDIR, cache: this.clone.cache, ref: outboxRef(this.dest) };
    const guard = async <T>(work: () => Promise<T>): Promise<T> => {
      try {
        return await work();
      } catch (err) {
        const e = err as PloverError;
        if (isStorageFull(e)) {
          throw new BackendError('E_STORAGE', 'The browser refused to store more (storage quota exceeded); this decision was not saved. Free up site storage, then retry.', { cause: err });
        }
        throw new BackendError(e.code ?? 'E_HOSTED', e.message, { cause: err });
      }
    };
    const requireCandidate = (id: string) => {
      const candidate = this.index.candidate(id);
      if (!candidate) throw new PloverError('E_UNKNOWN_CANDIDATE', `unknown candidate ${JSON.stringify(id)}`);
      return candidate;
    };
    return {
      session: async () => ({ reviewer: this.reviewer, counts: this.index.counts(this.reviewer), remaining: this.index.remaining(this.reviewer), total: this.index.candidateCount }),
      queue: async (after, limit, filters = {}) => this.index.queuePage(this.reviewer, after, limit, parseQueueFilter(new URLSearchParams(filters))),
      facets: async () => this.index.facets(this.reviewer),
      decide: (decision: Decision, durationMs?: number) =>
        guard(async () => {
          const modelResponse = requireCandidate(decision.candidate_id).model_response;
          const result = await this.commit(() => commitDecision({ ...target, decision, reviewer: this.reviewer, modelResponse, ...(durationMs === undefined ? {} : { durationMs }) }));
          const located: LocatedCorrection = { correction: result.correction, file: result.path };
          this.index.set(located);
          this.tabs.postMessage({ kind: 'set', reviewer: this.reviewer.email, located } satisfies TabMessage);
          return { ...result, counts: this.index.counts(this.reviewer), remaining: this.index.remaining(this.reviewer) };
        }),
      undo: (candidateId: string) =>
        guard(async () => {
          requireCandidate(candidateId);
          const result = await this.commit(() => commitUndo({ ...target, candidateId, reviewer: this.reviewer }));
          this.index.delete(result.path);
          this.tabs.postMessage({ kind: 'delete', reviewer: this.reviewer.email, file: result.path } satisfies TabMessage);
          return { oid: result.oid, undone: result.undone, counts: this.index.counts(this.reviewer), remaining: this.index.remaining(this.reviewer) };
        }),
      history: (candidateId: string) => guard(() => this.history(candidateId)),
    };
  }

  /**
   * The candidate's history as far as this clone knows it (it is shallow: the target
   * branch's latest state, and every commit made or fetched since), newest first.
   */
  private async history(candidateId: string): Promise<HistoryEntry[]> {
    const { fs, gitdir, cache } = this.clone;
    const { shard, key } = candidateKey(candidateId);
    const prefix = `corrections/${shard}/${key}--`;
    const paths = new Set<string>([correctionPath(candidateId, this.reviewer.email)]);
    for (const c of this.index.correctionRecords()) if (c.candidate_id === candidateId) paths.add(correctionPath(c.candidate_id, c.reviewer.email));
    const entries: HistoryEntry[] = [];
    await this.locked(async () => {
      for (const path of paths) {
        if (!path.startsWith(prefix)) continue;
        const commits = await git.log({ fs, gitdir, cache, ref: outboxRef(this.dest), filepath: path, force: true }).catch(() => []);
        for (const c of commits) {
          const text = await git.readBlob({ fs, gitdir, cache, oid: c.oid, filepath: path }).then((b) => new TextDecoder().decode(b.blob), () => null);
          const correction = text === null ? undefined : parseCorrection(text, path).correction;
          const base = { commit: c.oid, author: { name: c.commit.author.name, email: c.commit.author.email }, date: new Date(c.commit.author.timestamp * 1000).toISOString(), path };
          if (correction) entries.push({ ...base, kind: 'decision', correction });
          else entries.push({ ...base, kind: 'undo' });
        }
      }
    });
    return entries.sort((a, b) => (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
  }
}

/** IndexedDB failures (quota, blocked storage) say what to do; others pass through. */
function storageError(err: PloverError): PloverError {
  if (isStorageFull(err)) return new PloverError('E_STORAGE', 'The browser refused to store the repository (storage quota exceeded). Free up site storage for this page, then sign in again.');
  return err;
}
