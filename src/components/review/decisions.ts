/**
 * The decisions of this page visit and their commits. A decision is listed at once and
 * committed in the background, one at a time in the order they were made: the backend
 * commits them one at a time anyway, and sent all at once a fast reviewer's decisions
 * would take every connection the browser allows a host (six), leaving the next queue
 * page to wait behind them. A failed commit stays listed, to retry (with the time spent
 * on the candidate, as first sent) or to reopen; a committed one can be undone.
 */
import { batch, createMemo, createSignal } from 'solid-js';
import type { Decision } from '../../lib/records/correction.ts';
import type { LabelBackend, Session } from '../../lib/review/label-backend.ts';
import type { ActionCounts } from '../../lib/team/review-state.ts';
import type { Candidate } from '../../lib/records/schema-types.generated.ts';
import type { DecisionJournal } from '../../client/decision-journal.ts';
import { failsForGood, PloverError, type Problem } from '../../lib/errors.ts';

export interface CommitStatus {
  key: number;
  candidate: Candidate;
  decision: Decision;
  /** Milliseconds the reviewer spent on the candidate. */
  durationMs?: number;
  /** Its id in the journal, where it is kept until its commit is stored; none without a journal. */
  journalId?: string;
  state: 'pending' | 'done' | 'failed' | 'undoing' | 'undone';
  /** Whether the candidate was undecided when the decision was made (it leaves the queue). */
  wasUndecided: boolean;
  oid?: string;
  error?: string;
  /** What a refusal listed as wrong with the decision (PloverError's problems); none otherwise. */
  problems: Problem[];
}

/** Of the finished commits, the latest few stay listed; pending, failed and undoing ones always do. */
const FINISHED_SHOWN = 6;

function keepVisible(list: CommitStatus[]): CommitStatus[] {
  let finished = 0;
  return list.filter((c) => !(c.state === 'done' || c.state === 'undone') || ++finished <= FINISHED_SHOWN);
}

/**
 * The decisions of this visit as the page lists them: every commit (newest first, the
 * finished ones beyond the last few dropped) and the latest decision per candidate.
 */
function createCommitList() {
  /** Newest first. */
  const [commits, setCommits] = createSignal<CommitStatus[]>([]);
  /** The latest decision of this visit per candidate id (undone and reopened ones removed). */
  const [decided, setDecided] = createSignal<ReadonlyMap<string, CommitStatus>>(new Map());
  /** The candidate has no decision of this visit any more. */
  const forget = (candidateId: string) =>
    setDecided((map) => {
      const next = new Map(map);
      next.delete(candidateId);
      return next;
    });
  return {
    commits,
    decided,
    /** A new decision, listed first and now the candidate's latest. */
    add(entry: CommitStatus) {
      batch(() => {
        setCommits((list) => keepVisible([entry, ...list]));
        setDecided((map) => new Map(map).set(entry.candidate.id, entry));
      });
    },
    update(key: number, patch: Partial<CommitStatus>) {
      batch(() => {
        setCommits((list) => list.map((c) => (c.key === key ? { ...c, ...patch } : c)));
        setDecided((map) => {
          const next = new Map(map);
          for (const [id, entry] of map) if (entry.key === key) next.set(id, { ...entry, ...patch });
          return next;
        });
      });
    },
    forget,
    /** Drops an entry from the list and its candidate's decision. */
    drop(entry: CommitStatus) {
      batch(() => {
        setCommits((list) => list.filter((c) => c.key !== entry.key));
        forget(entry.candidate.id);
      });
    },
  };
}

/** The wait for the next frame, shared by the decisions made before it. */
let nextFrame: Promise<void> | undefined;

/**
 * Resolves once the browser has rendered its next frame (or after 100 ms where no frame
 * comes, as in a hidden tab). On the local page a decision's request waits for it, so
 * that the key press only shows the next card and the request is made after that card is
 * on screen. The hosted page (the one with a journal) starts the commit at once: the
 * sooner it is in IndexedDB, the less a tab closed right after depends on the journal.
 */
function afterNextFrame(): Promise<void> {
  nextFrame ??= new Promise<void>((resolve) => {
    const late = setTimeout(resolve, 100);
    requestAnimationFrame(() => {
      clearTimeout(late);
      setTimeout(resolve, 0);
    });
  }).finally(() => (nextFrame = undefined));
  return nextFrame;
}

export function createDecisions(backend: LabelBackend, journal?: DecisionJournal) {
  const { commits, decided, add, update, forget, drop } = createCommitList();
  const [counts, setCounts] = createSignal<ActionCounts>({ correct: 0, discard: 0, flag: 0 });
  const [serverRemaining, setServerRemaining] = createSignal(0);
  /** Goes up when what the backend holds changed and the decisions sent so far are all answered: history and progress are read again. */
  const [version, setVersion] = createSignal(0);
  const pending = createMemo(() => commits().filter((c) => c.state === 'pending' && c.wasUndecided).length);
  let nextKey = 0;
  let chain: Promise<void> = Promise.resolve();
  let unsent = 0;

  function send(entry: CommitStatus) {
    unsent += 1;
    const shown = journal ? undefined : afterNextFrame();
    chain = (shown ? chain.then(() => shown) : chain)
      .then(async () => {
        try {
          const result = await backend.decide(entry.decision, entry.durationMs);
          if (entry.journalId) journal?.remove(entry.journalId);
          batch(() => {
            update(entry.key, { state: 'done', oid: result.oid });
            setCounts(result.counts);
            setServerRemaining(result.remaining);
            if (unsent === 1) setVersion((v) => v + 1);
          });
        } catch (err) {
          if (entry.journalId && failsForGood(err)) journal?.remove(entry.journalId);
          update(entry.key, { state: 'failed', error: (err as Error).message, problems: err instanceof PloverError ? err.problems : [] });
        }
      })
      .finally(() => (unsent -= 1));
  }

  return {
    commits,
    decided,
    counts,
    version,
    /** Candidates this reviewer has not decided: the backend's count, less the decisions still on their way. */
    remaining: () => Math.max(serverRemaining() - pending(), 0),
    /** Starts from what the backend says of this reviewer. */
    start(session: Session) {
      setCounts(session.counts);
      setServerRemaining(session.remaining);
    },
    /** Keeps a decision in the journal, lists it and sends it after those before it. */
    decide(candidate: Candidate, decision: Decision, durationMs?: number): CommitStatus {
      const journalId = journal?.add(decision, new Date(), durationMs) ?? undefined;
      const entry: CommitStatus = {
        key: nextKey++,
        candidate,
        decision,
        state: 'pending',
        wasUndecided: !decided().has(candidate.id),
        problems: [],
        ...(durationMs === undefined ? {} : { durationMs }),
        ...(journalId ? { journalId } : {}),
      };
      add(entry);
      send(entry);
      return entry;
    },
    retry(entry: CommitStatus) {
      update(entry.key, { state: 'pending', error: undefined, problems: [] });
      send({ ...entry, state: 'pending' });
    },
    /** Drops a failed decision, so its candidate can be decided again by hand. */
    reopen(entry: CommitStatus) {
      if (entry.journalId) journal?.remove(entry.journalId);
      drop(entry);
    },
    /** Resolves once every decision sent so far is answered (committed or failed). */
    settled: (): Promise<void> => chain,
    /** Whether a decision is on its way that the browser has not stored (leaving the page would lose it). */
    unsaved: () => commits().some((c) => (c.state === 'pending' && !c.journalId) || c.state === 'undoing'),
    /** The newest committed decision: what `u` undoes. */
    lastUndoable: () => commits().find((c) => c.state === 'done'),
    /**
     * Undoes a committed decision (a new commit).
     * @returns whether it was undone; a failure is shown on the entry.
     */
    async undo(entry: CommitStatus | undefined): Promise<boolean> {
      if (!entry || entry.state !== 'done') return false;
      update(entry.key, { state: 'undoing' });
      try {
        const result = await backend.undo(entry.candidate.id);
        batch(() => {
          update(entry.key, { state: 'undone', oid: result.oid });
          forget(entry.candidate.id);
          setCounts(result.counts);
          setServerRemaining(result.remaining);
          setVersion((v) => v + 1);
        });
        return true;
      } catch (err) {
        update(entry.key, { state: 'done', error: `undo failed: ${(err as Error).message}` });
        return false;
      }
    },
  };
}

export type Decisions = ReturnType<typeof createDecisions>;
