/**
 * `iterateCorrections` (lib/records/repository.ts) on a second thread. Reading a correction is
 * a few syscalls, a UTF-8 check, a JSON parse, a schema check and a path check; at 100k
 * corrections that was about half of an export's time on one core. Here it runs beside
 * the export's own work (reading candidates, compiling, serialising, writing), and the
 * groups arrive in the same order with the same problems. The thread reads at most
 * AHEAD chunks ahead of what was taken, so memory stays flat in the number of corrections.
 * It also does what the export needs of the corrections alone: counting the targets'
 * tokens (while the main thread is busy) and settling earlier turns (EarlierTurnReader).
 */
import { Worker } from 'node:worker_threads';
import { isErrorCode, PloverError, type Problem } from '../lib/errors.ts';
import type { LocatedCorrection } from '../lib/records/correction.ts';
import type { EarlierTurnIndex } from '../lib/export/earlier-turns.ts';
import type { ResolvePolicy } from '../lib/team/resolve.ts';

/** Where the worker reads from: the working tree at `dir`, or the tree of `commit` there. */
export interface CorrectionsAt {
  dir: string;
  commit?: string;
  /** Count the tokens of each corrected text there (LocatedCorrection.tokens), with the clone's kept counts. */
  countTokens?: boolean;
  /**
   * Settle earlier turns under this policy (EarlierTurnReader): the thread sends nothing
   * until it is given the earlier turns (CorrectionsThread.earlierTurns), then reads the
   * corrections of each earlier turn a group needs before that group is taken.
   */
  earlierTurns?: ResolvePolicy;
}

/** The token counts the thread used, for the main thread's cache to save. */
export interface ThreadTokenCounts {
  used: [string, number][];
  added: number;
}

/** Groups per message, and messages the worker may send before the first is taken. */
export const CHUNK_GROUPS = 500;
export const AHEAD = 4;

/** What the worker sends: a chunk of groups with the problems found while reading them; the last has `done`. */
export type ThreadMessage =
  | {
      groups: LocatedCorrection[][];
      problems: Problem[];
      done: boolean;
      tokenCounts?: ThreadTokenCounts;
      /** The corrected texts of the earlier turns these groups need, by candidate id, with their tokens where the thread knows them. */
      corrected?: [string, string, number?][];
    }
  | { error: { message: string; code?: string; problems?: Problem[] } };

/**
 * What the main thread sends: more credit; that it waits for a message (the thread then
 * sends what it has instead of counting its tokens first); the earlier turns (null: none to settle).
 */
export type MainMessage = 'more' | 'waiting' | { earlierTurns: EarlierTurnIndex | null };

export interface CorrectionsThread {
  /** What `iterateCorrections` would yield, in the same order. */
  groups: AsyncGenerator<LocatedCorrection[]>;
  /** The problems `iterateCorrections` would report, as far as the groups taken so far. */
  problems: Problem[];
  /** Stops the thread (at the end, or when the caller gives up early). */
  stop(): Promise<void>;
  /** With `countTokens`, once every group was taken: the counts the thread used. */
  tokenCounts?: ThreadTokenCounts;
  /** With `earlierTurns`: hands the thread the earlier turns to settle (null: none), which it waits for. */
  earlierTurns(found: EarlierTurnIndex | null): void;
  /** With `earlierTurns`: the corrected text of each earlier turn that the groups of the last message taken need. */
  corrected: Map<string, string>;
  /** The tokens of those texts, where the thread knew them. */
  correctedTokens: Map<string, number>;
  /** How many messages the thread sent that were not taken yet (for the tests: a consumer that never waits). */
  buffered(): number;
}

/** Starts reading the corrections on a worker thread at once; take them from `groups`. */
export function readCorrectionsOnThread(at: CorrectionsAt): CorrectionsThread {
  const worker = new Worker(new URL('./corrections-thread.worker.ts', import.meta.url), {
    workerData: at,
    // None of the process's flags: inherited, --input-type (a script given with -e) refuses to
    // load a file, and V8 flags (--max-old-space-size…) are refused for a worker; V8's apply to the process anyway.
    execArgv: [],
  });
  const problems: Problem[] = [];
  const inbox: ThreadMessage[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let stopped = false;
  const arrived = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (m: ThreadMessage) => {
    inbox.push(m);
    arrived();
  });
  worker.on('error', (err) => {
    failure ??= err;
    arrived();
  });
  worker.on('exit', (code) => {
    if (!stopped) failure ??= new Error(`the thread reading corrections stopped (exit code ${code}) before it was done`);
    arrived();
  });
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await worker.terminate();
  };
  async function* groups(): AsyncGenerator<LocatedCorrection[]> {
    try {
      for (;;) {
        if (!inbox.length && !failure) worker.postMessage('waiting' satisfies MainMessage);
        while (!inbox.length && !failure) await new Promise<void>((resolve) => (wake = resolve));
        const message = inbox.shift();
        if (!message) throw failure!;
        if ('error' in message) {
          const { message: text, code, problems: listed } = message.error;
          throw isErrorCode(code) ? new PloverError(code, text, { problems: listed ?? [] }) : Object.assign(new Error(text), { code });
        }
        problems.push(...message.problems);
        thread.corrected.clear();
        thread.correctedTokens.clear();
        for (const [id, text, n] of message.corrected ?? []) {
          thread.corrected.set(id, text);
          if (n !== undefined) thread.correctedTokens.set(id, n);
        }
        for (const group of message.groups) yield group;
        if (message.done) {
          if (message.tokenCounts) thread.tokenCounts = message.tokenCounts;
          return;
        }
        worker.postMessage('more' satisfies MainMessage);
      }
    } finally {
      await stop();
    }
  }
  const thread: CorrectionsThread = {
    groups: groups(),
    problems,
    stop,
    corrected: new Map(),
    correctedTokens: new Map(),
    earlierTurns: (found) => worker.postMessage({ earlierTurns: found } satisfies MainMessage),
    buffered: () => inbox.length,
  };
  return thread;
}
