/**
 * The hosted mode in the page: a clone of the repository in IndexedDB (LightningFS), the
 * review service committing decisions in it (hosted-service.ts, clone-committer.ts), and the sync loop that
 * pushes them in the background to the reviewer's branch (src/git/remote.ts): at most
 * once per push interval, each push carrying all that waits (Push now, hiding the page
 * and Sign out push at once), and never while the host asks to wait (a rate limit).
 *
 * Durability: the page keeps each decision in the journal (decision-journal.ts) before
 * the next card shows; it is acknowledged once its commit is in IndexedDB (LightningFS
 * flushed), and the next sign-in commits what a closed tab left. Pushes retry with
 * backoff; a tab closed mid-push leaves the commit in the outbox, and the next visit
 * pushes it (once: a push that landed is recognised). Several tabs share the clone;
 * every git write runs under one Web Lock (never held while waiting on the network), and each tab
 * tells the others (BroadcastChannel) what it committed and when it pushed, so their
 * queues and "waiting" counts stay current.
 */
import './buffer-global.ts';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/web';
import { createSignal, type Accessor } from 'solid-js';
import { pushOutbox, syncClone, waitingCommits, type Clone, type RemoteOptions } from '../git/remote.ts';
import { usePackStore } from '../git/object-store.ts';
import { adviseOn, rateAware, remoteError } from '../git/smart-http.ts';
import { failsForGood, PloverError } from '../lib/errors.ts';
import type { Reviewer } from '../lib/records/schema-types.generated.ts';
import { authUsername, destinationBranch, pullRequestUrl, pushIntervalMs, type HostedConfig } from '../lib/records/site-config.ts';
import type { LabelBackend } from '../lib/review/label-backend.ts';
import { CloneCommitter, type CloneChange } from './clone-committer.ts';
import { DecisionJournal } from './decision-journal.ts';
import { openHostedService } from './hosted-service.ts';
import { readCandidatesAt, type CandidatesRead } from './index-snapshot.ts';
import type { ReviewService } from '../lib/review/review-service.ts';
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
  /** When the next push goes, if one is waiting for the push interval; null otherwise. */
  nextPush: Date | null;
}

/** What made a push go: the interval passed, the reviewer's Push now, the page hidden, and the rest. */
export type PushReason = 'interval' | 'now' | 'hidden' | 'sign-in' | 'sign-out' | 'online' | 'retry' | 'after-wait';

/** What one tab tells the other tabs of the same site. */
type TabMessage = (CloneChange & { reviewer: string }) | { kind: 'pushed' };

const GITDIR = '/repo.git';
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 15_000;

/**
 * How long to wait after a rate limit that names no time: 60 s, doubling with each one in
 * a row, at most 16 min.
 */
export function rateLimitWaitMs(inARow: number): number {
  return Math.min(16 * 60_000, 60_000 * 2 ** Math.max(0, inARow - 1));
}

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
  /** What the pages call; set once the candidates are read. */
  backend!: LabelBackend;
  /** Where the page keeps each decision until its commit is stored. */
  readonly journal: DecisionJournal;
  private readonly setStatus: (s: SyncStatus) => void;
  private readonly clone: Clone & { fs: StoreFs };
  private readonly committer: CloneCommitter;
  private readonly remote: RemoteOptions;
  private service: ReviewService | undefined;
  /** Why the latest push was asked for (in the plover:push measure, for the tests and `npm run bench`). */
  private pushReason: PushReason = 'sign-in';
  /** The push under way, if any. */
  private pushing: Promise<void> | null = null;
  private pushAgain = false;
  /** The host refused the last push (E_REFUSED): nothing is pushed until retry(). */
  private refused = false;
  private retryMs = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The host asked to wait (E_RATE_LIMITED): nothing is sent to it before this time (ms since the epoch). */
  private holdUntil = 0;
  /** Rate limits in a row, for the backoff when the host names no time. */
  private limitedInARow = 0;
  private closed = false;
  private readonly leaving = new AbortController(); // aborted on sign out: the waits for other tabs' locks end
  private journalPass = Promise.resolve(); // the pass of commitJournal under way, after which the next starts
  /** At most one push per this many ms (pushIntervalMs), so a team stays within the host's recommended push rate. */
  private intervalMs = 10_000;
  /** When the last push that carried decisions started. */
  private lastPushAt = 0;
  /** The push waiting for the interval to pass. */
  private pushTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly onOnline = () => void this.push('online');
  /** A page being hidden may be closed next: what waits goes now. */
  private readonly onHidden = () => {
    if (document.visibilityState === 'hidden') void this.push('hidden');
  };
  private readonly tabs: BroadcastChannel;

  private constructor(config: HostedConfig, reviewer: Reviewer, token: string) {
    this.config = config;
    this.reviewer = reviewer;
    this.dest = destinationBranch(config, reviewer.email);
    this.pullRequestUrl = pullRequestUrl(config, this.dest);
    this.clone = { fs: openStore(storeName(config)), gitdir: GITDIR, cache: {}, http: rateAware(http) };
    usePackStore(this.clone);
    this.remote = {
      url: config.remote,
      branch: config.branch,
      dest: this.dest,
      reviewer: reviewer.email,
      ...(config.corsProxy ? { corsProxy: config.corsProxy } : {}),
      auth: { username: authUsername(config.host), password: token },
    };
    const [status, setStatus] = createSignal<SyncStatus>({ online: navigator.onLine, waiting: 0, pushing: false, error: null, errorCode: null, lastSync: null, nextPush: null });
    this.status = status;
    this.setStatus = setStatus;
    this.journal = new DecisionJournal(config.remote, reviewer.email);
    this.committer = new CloneCommitter(this.clone, this.remote, `plover-git:${config.remote}`, (change) => this.committed(change));
    this.tabs = new BroadcastChannel(storeName(config));
    this.tabs.onmessage = (event: MessageEvent<TabMessage>) => this.fromOtherTab(event.data);
  }

  /**
   * Signs in: clones the repository on the first visit (fetches what is new on later
   * ones), reads the candidates and corrections, and pushes what earlier visits left.
   * Offline with a clone from an earlier visit, it opens that clone and keeps trying.
   * @throws PloverError `E_AUTH` (wrong token), `E_OFFLINE` or `E_PROXY` (first visit without the host or the proxy), `E_REMOTE`, `E_STORAGE`, `E_INVALID_REPOSITORY`.
   */
  static async open(config: HostedConfig, reviewer: Reviewer, token: string, onProgress?: (text: string) => void): Promise<HostedSession> {
    if (typeof indexedDB === 'undefined' || !navigator.locks) {
      throw new PloverError(
        'E_STORAGE',
        'This browser gives the page no IndexedDB or Web Locks (private mode, or storage disabled), where decisions are kept until pushed. Allow site storage for this page, or use another browser.',
      );
    }
    const session = new HostedSession(config, reviewer, token);
    const started = performance.now();
    // A first clone's candidates are read while the rest of its pack is indexed and stored, and its
    // corrections too where the page will read them from that commit (no outbox of this reviewer elsewhere).
    let ahead: Promise<CandidatesRead> | undefined;
    const readAhead = (commit: string, outboxThere: boolean) => {
      ahead = readCandidatesAt(session.clone, commit, outboxThere);
      ahead.catch(() => undefined); // the clone's error is told by syncClone; any other, by reading again where it is used
    };
    try {
      await session.committer.writing(() =>
        syncClone(
          session.clone,
          session.remote,
          (phase, loaded, total) => onProgress?.(total ? `${phase}: ${loaded} of ${total}` : loaded ? `${phase}: ${loaded}` : phase),
          readAhead,
        ),
      );
      session.update({ online: true, lastSync: new Date() });
    } catch (err) {
      const e = remoteError(err, 'Opening the repository failed', session.remote);
      const haveClone = await session.committer.locked(() =>
        git.resolveRef({ fs: session.clone.fs, gitdir: GITDIR, ref: session.committer.outbox }).then(
          () => true,
          () => false,
        ),
      );
      const unreachable = e.code === 'E_OFFLINE' || e.code === 'E_PROXY' || e.code === 'E_RATE_LIMITED';
      if (!unreachable || !haveClone) throw storageError(adviseOn(e, 'sign-in'));
      if (e.code === 'E_RATE_LIMITED') session.waitAsAsked(e);
      else {
        const said = adviseOn(e, 'review');
        session.update({ online: false, error: said.message, errorCode: said.code });
      }
    }
    onProgress?.('Reading candidates');
    const { service, read } = await openHostedService(session.clone, session.committer, { remote: config.remote, branch: config.branch, dest: session.dest, reviewer }, ahead);
    session.service = service;
    usePackStore(session.clone).forgetKept();
    session.backend = service.backend(reviewer);
    await session.commitJournal();
    void session.commitWhenGone();
    // For `npm run bench` and the tests: from sign-in to the queue ready (clone or fetch, read, index), and how the index was read.
    performance.measure('plover:open', { start: started, detail: { read } });
    await session.refreshWaiting();
    session.intervalMs = pushIntervalMs(config, session.service!.index.team?.members.length ?? 1);
    window.addEventListener('online', session.onOnline);
    document.addEventListener('visibilitychange', session.onHidden);
    void session.push('sign-in');
    return session;
  }

  /**
   * Before Sign out: pushes what waits, once.
   * @returns how many of the reviewer's decisions are still not on the host (waiting to
   * be pushed, or in this tab and not yet stored); they stay in this browser for their next sign-in.
   */
  async beforeSignOut(): Promise<number> {
    await this.push('sign-out');
    return this.status().waiting + this.journal.pending();
  }

  /** Stops pushing (sign out). Decisions not yet pushed stay in this browser for the next sign-in. */
  close(): void {
    this.closed = true;
    this.leaving.abort();
    clearTimeout(this.retryTimer);
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onHidden);
    clearTimeout(this.pushTimer);
    this.tabs.close();
    this.journal.close();
  }

  /**
   * Commits the decisions that closed tabs left in the journal, each once: a decision
   * whose commit landed (its record is at least as new as the decision), or that a later
   * decision overtook, is only forgotten. One pass at a time, so no two see one decision as
   * not yet committed; `gone`: a tab whose lock this tab holds, whose decisions are left too.
   */
  private commitJournal(gone?: string): Promise<void> {
    const pass = this.journalPass.then(() => this.commitOrphans(gone));
    this.journalPass = pass.catch(() => undefined);
    return pass;
  }
  private async commitOrphans(gone?: string): Promise<void> {
    for (const entry of await this.journal.orphans(gone)) {
      try {
        if (!(await this.committer.holds(entry.decision.candidate_id, this.reviewer, new Date(entry.decidedAt)))) {
          await this.service!.decide(this.reviewer, entry.decision, entry.durationMs === undefined ? {} : { durationMs: entry.durationMs });
        }
        this.journal.remove(entry.id);
      } catch (err) {
        // A decision that can never be committed (invalid, or its candidate gone) is dropped; others wait for the next visit.
        if (failsForGood(err)) this.journal.remove(entry.id);
        console.warn(`plover: a decision on ${entry.decision.candidate_id} kept from an earlier visit could not be committed: ${(err as Error).message}`);
      }
    }
  }

  /** The decisions of tabs still open at sign-in (or still closing): committed here once such a tab is gone without storing them. */
  private async commitWhenGone(): Promise<void> {
    for (const tab of await this.journal.heldTabs()) {
      navigator.locks.request(`plover-tab:${tab}`, { signal: this.leaving.signal }, () => (this.closed ? undefined : this.commitJournal(tab))).catch(() => undefined);
    }
  }

  /** This tab committed a decision or an undo: tell the other tabs, count what waits, and push it when the interval allows. */
  private async committed(change: CloneChange): Promise<void> {
    this.tabs.postMessage({ ...change, reviewer: this.reviewer.email } satisfies TabMessage);
    await this.refreshWaiting();
    this.schedulePush();
  }

  /**
   * Pushes now if the push interval has passed since the last push that carried
   * decisions (and the host asked for no wait), else once it has: one push carries
   * everything that waits by then.
   */
  private schedulePush(): void {
    if (this.closed || this.refused) return;
    const due = Math.max(this.lastPushAt + this.intervalMs, this.holdUntil);
    if (due <= Date.now()) {
      void this.push('interval');
      return;
    }
    if (this.pushTimer !== undefined) return;
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      void this.push('interval');
    }, due - Date.now());
    this.update({ nextPush: new Date(due) });
  }

  /** Another tab committed or pushed: take its decision into the queue and recount what waits. */
  private fromOtherTab(message: TabMessage): void {
    const index = this.service?.index;
    if (this.closed || !index) return;
    if (message.kind === 'set' && message.reviewer === this.reviewer.email) index.set(message.located);
    if (message.kind === 'delete' && message.reviewer === this.reviewer.email) index.delete(message.file);
    void this.refreshWaiting();
  }

  /** Pushes now what waits, after a refusal by the host too (the Retry button). */
  retry(): void {
    this.refused = false;
    this.retryMs = 0;
    void this.push('retry');
  }

  /**
   * Pushes the outbox now (and again later if it fails); after a refusal by the host, only retry() does.
   * @returns once this push, or the one under way and the one after it, is over.
   */
  push(reason: PushReason = 'now'): Promise<void> {
    if (this.closed || this.refused || Date.now() < this.holdUntil) return Promise.resolve();
    this.pushReason = reason;
    if (this.pushing) {
      this.pushAgain = true;
      return this.pushing;
    }
    this.pushing = this.pushWhileAsked().finally(() => {
      this.pushing = null;
      this.update({ pushing: false });
    });
    return this.pushing;
  }

  private async pushWhileAsked(): Promise<void> {
    clearTimeout(this.retryTimer);
    clearTimeout(this.pushTimer);
    this.pushTimer = undefined;
    this.update({ pushing: true, nextPush: null });
    do {
      this.pushAgain = false;
      if (this.status().waiting > 0) this.lastPushAt = Date.now();
      try {
        const started = performance.now();
        const pushed = await pushOutbox(this.clone, this.remote, { locked: (work) => this.committer.writing(work) });
        if (pushed.pushed) {
          performance.measure('plover:push', { start: started, detail: { ...pushed, reason: this.pushReason, at: this.lastPushAt } });
          this.tabs.postMessage({ kind: 'pushed' } satisfies TabMessage);
        }
        this.retryMs = 0;
        this.limitedInARow = 0;
        this.update({ online: true, error: null, errorCode: null, lastSync: new Date() });
      } catch (err) {
        const e = adviseOn(remoteError(err, 'Pushing your decisions failed', this.remote), 'review');
        this.update({ online: e.code !== 'E_OFFLINE' && e.code !== 'E_PROXY', error: e.message, errorCode: e.code });
        // A refused token, a refusal by the host or an outbox holding another reviewer's
        // commit does not get better by retrying: signing in again, or Retry once the
        // cause is dealt with, pushes.
        if (e.code === 'E_REFUSED' || e.code === 'E_OUTBOX') this.refused = true;
        else if (e.code === 'E_RATE_LIMITED') this.waitAsAsked(e);
        else if (e.code !== 'E_AUTH') this.retryLater();
        break;
      } finally {
        await this.refreshWaiting();
      }
    } while (this.pushAgain && !this.closed);
  }

  /**
   * The host asked to wait: nothing goes to it until the time it named (or the backoff
   * when it named none); then the push goes, carrying everything that waits.
   */
  private waitAsAsked(err: PloverError): void {
    this.limitedInARow += 1;
    const waitMs = err.retryAfterMs ?? rateLimitWaitMs(this.limitedInARow);
    this.holdUntil = Date.now() + waitMs;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.push('after-wait'), waitMs + 50);
    const n = this.status().waiting;
    this.update({
      online: true,
      error: `The git host asks to wait ${Math.ceil(waitMs / 1000)} s; ${n === 0 ? 'your decisions are' : n === 1 ? 'your decision is' : `your ${n} decisions are`} kept and pushed then. (${err.message})`,
      errorCode: 'E_RATE_LIMITED',
    });
  }

  private retryLater(): void {
    this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
    this.retryTimer = setTimeout(() => void this.push('retry'), this.retryMs);
  }

  private update(patch: Partial<SyncStatus>): void {
    this.setStatus({ ...this.status(), ...patch });
  }

  private async refreshWaiting(): Promise<void> {
    const waiting = await this.committer
      .locked(() => waitingCommits(this.clone, this.remote))
      .catch((err: Error) => {
        console.warn(`plover: counting the decisions waiting to be pushed failed: ${err.message}`);
        return null;
      });
    if (waiting) this.update({ waiting: waiting.length });
  }
}

/** IndexedDB failures (quota, blocked storage) say what to do; others pass through. */
function storageError(err: PloverError): PloverError {
  if (isStorageFull(err))
    return new PloverError('E_STORAGE', 'The browser refused to store the repository (storage quota exceeded). Free up site storage for this page, then sign in again.');
  return err;
}
