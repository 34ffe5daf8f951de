/**
 * Decisions kept in the browser from the moment they are made until their commit is
 * stored: the hosted page writes each decision here (localStorage, synchronously) before
 * it shows the next card, so a tab closed at any moment loses nothing. The next visit
 * commits what a closed tab left (HostedSession), each decision once: a record of the
 * reviewer on that candidate at least as new as the decision means its commit landed.
 *
 * Each tab holds a Web Lock of its own while it is signed in; entries of a tab whose lock
 * is free were left by a tab that is gone or signed out. A session that finds another
 * tab's entries at sign-in waits for that tab's lock, and commits what the tab leaves once
 * the browser frees it (a closed tab's lock is freed a moment after it closes). Entries are per git remote and
 * reviewer, so reviewers who share a browser never commit each other's. Where localStorage is blocked or full, nothing is
 * kept and the page asks before it is left while a decision is not yet stored.
 */
import type { Decision } from '../lib/records/correction.ts';
import { readStored, writeStored } from './web-storage.ts';

export interface JournalEntry {
  id: string;
  /** The tab that made the decision. */
  tab: string;
  decision: Decision;
  /** When the decision was made, ISO 8601 (its commit's `decided_at` is this or later). */
  decidedAt: string;
  durationMs?: number;
}

const PREFIX = 'plover.journal:';

export class DecisionJournal {
  /** This tab's id; its Web Lock `plover-tab:<id>` is held until close() or the tab is gone. */
  readonly tab = crypto.randomUUID();
  private readonly scope: string;

  /** A journal per git remote and reviewer. */
  constructor(remote: string, reviewerEmail: string) {
    this.scope = `${PREFIX}${encodeURIComponent(remote)}:${encodeURIComponent(reviewerEmail.toLowerCase())}:`;
    if (typeof navigator !== 'undefined' && navigator.locks) void navigator.locks.request(`plover-tab:${this.tab}`, () => new Promise<void>((resolve) => (this.release = resolve)));
  }

  private release = () => undefined as void;

  /** Signed out: what this tab kept and has not stored is left for the next sign-in, as a closed tab's is. */
  close(): void {
    this.release();
  }

  /**
   * Keeps a decision.
   * @returns its id, or null when the browser would not store it.
   */
  add(decision: Decision, decidedAt: Date, durationMs?: number): string | null {
    const id = `${decidedAt.getTime().toString(36)}-${crypto.randomUUID()}`;
    const entry: JournalEntry = { id, tab: this.tab, decision, decidedAt: decidedAt.toISOString(), ...(durationMs === undefined ? {} : { durationMs }) };
    return writeStored('local', this.scope + id, JSON.stringify(entry)) ? id : null;
  }

  /** Forgets a decision once its commit is stored (or it was dropped). */
  remove(id: string): void {
    writeStored('local', this.scope + id, null);
  }

  /** How many of this tab's decisions wait for their commit to be stored. */
  pending(): number {
    return this.keys().filter((key) => this.read(key)?.tab === this.tab).length;
  }

  private read(key: string): JournalEntry | null {
    try {
      return JSON.parse(readStored('local', key) ?? 'null') as JournalEntry | null;
    } catch {
      writeStored('local', key, null); // not whole: never written by add (one setItem), so not ours
      return null;
    }
  }

  /** The keys of this remote and reviewer's entries; none when storage is blocked. */
  private keys(): string[] {
    try {
      return Object.keys(localStorage).filter((k) => k.startsWith(this.scope));
    } catch {
      return [];
    }
  }

  /**
   * The decisions that tabs now gone left, oldest first.
   * @param gone a tab whose lock this tab holds (it waited for it): gone too.
   */
  async orphans(gone?: string): Promise<JournalEntry[]> {
    const held = await this.heldLocks();
    const entries: JournalEntry[] = [];
    for (const key of this.keys()) {
      const entry = this.read(key);
      if (entry && (entry.tab === gone || !held.has(`plover-tab:${entry.tab}`))) entries.push(entry);
    }
    return entries.sort((a, b) => (a.decidedAt < b.decidedAt ? -1 : a.decidedAt > b.decidedAt ? 1 : 0));
  }

  /** The other tabs that kept decisions here and still hold their lock: open, or closed a moment ago and not yet freed by the browser. */
  async heldTabs(): Promise<string[]> {
    const held = await this.heldLocks();
    const tabs = new Set<string>();
    for (const key of this.keys()) {
      const entry = this.read(key);
      if (entry && entry.tab !== this.tab && held.has(`plover-tab:${entry.tab}`)) tabs.add(entry.tab);
    }
    return [...tabs];
  }

  private async heldLocks(): Promise<Set<string>> {
    return new Set(((await navigator.locks.query()).held ?? []).map((l) => l.name!));
  }
}
