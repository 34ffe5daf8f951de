/**
 * CandidatesApart (lib/records/candidate-index.ts) on a worker thread: the second half of
 * each large candidate file in the working tree is parsed and checked there while the
 * export's own thread reads the first, with each candidate's earlier-turn keys where the
 * export looks for earlier turns. Until the candidates are read the corrections' thread
 * waits (it needs the earlier turns), so this uses the core it leaves idle.
 */
import { lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CANDIDATES_DIR } from '../lib/records/repository.ts';
import type { CandidatePart, CandidatesApart } from '../lib/records/candidate-index.ts';
import type { EarlierTurnFinder, TurnKeys } from '../lib/export/earlier-turns.ts';

/** Files from this size up are split: below, starting a thread costs about what it saves. */
const SPLIT_FROM = 32 * 1024 * 1024;

/** What the thread is asked: a part of a file of the working tree at `dir`. */
export interface PartRequest {
  n: number;
  file: string;
  start: number;
  end: number;
}

/** What the thread answers, by request number. */
export type PartReply = { n: number; part: CandidatePart<TurnKeys | null> } | { n: number; error: string };

/** What the thread is started with. */
export interface ApartAt {
  dir: string;
  /** Note each candidate's earlier-turn keys (turnKeys with the Node fingerprint). */
  turnKeys: boolean;
}

/**
 * Reads the second halves of the large candidate files of the working tree at `dir` on a
 * thread, started at once when candidates/ holds one (loading its modules takes ~0.3 s,
 * spent while this thread starts the export); with `turns`, their candidates' keys are
 * added to it. Close it once the candidates are read.
 */
export function candidatesApart(dir: string, turns?: EarlierTurnFinder, fromBytes = SPLIT_FROM): CandidatesApart<TurnKeys | null> & { close(): Promise<void> } {
  let worker: Worker | undefined;
  const waiting = new Map<number, { resolve: (part: CandidatePart<TurnKeys | null>) => void; reject: (err: Error) => void }>();
  let asked = 0;
  /** Why the thread is gone: a read asked after that is refused with it, not left waiting. */
  let gone: Error | undefined;
  const fail = (err: Error) => {
    gone ??= err;
    for (const { reject } of waiting.values()) reject(err);
    waiting.clear();
  };
  const start = () => {
    const started = new Worker(new URL('./candidates-apart.worker.ts', import.meta.url), { workerData: { dir, turnKeys: Boolean(turns) } satisfies ApartAt, execArgv: [] });
    started.on('message', (reply: PartReply) => {
      const w = waiting.get(reply.n);
      waiting.delete(reply.n);
      if ('error' in reply) w?.reject(new Error(reply.error));
      else w?.resolve(reply.part);
    });
    started.on('error', fail);
    started.on('exit', (code) => fail(new Error(`the thread reading candidates stopped (exit code ${code}) before it was done`)));
    return started;
  };
  if (holdsLargeFile(join(dir, CANDIDATES_DIR), fromBytes)) worker = start();
  return {
    fromBytes,
    read(file, startAt, end) {
      if (gone) return Promise.reject(gone);
      worker ??= start();
      const n = asked++;
      const request: PartRequest = { n, file, start: startAt, end };
      return new Promise((resolve, reject) => {
        waiting.set(n, { resolve, reject });
        worker!.postMessage(request);
      });
    },
    take(keys) {
      if (keys) turns?.addKeys(keys);
    },
    async close() {
      waiting.clear();
      await worker?.terminate();
    },
  };
}

/** Whether `folder` holds a regular file large enough to be split (what the listing will find; none when it is missing). */
function holdsLargeFile(folder: string, fromBytes: number): boolean {
  try {
    return readdirSync(folder).some((name) => {
      const stat = lstatSync(join(folder, name));
      return stat.isFile() && stat.size >= fromBytes;
    });
  } catch {
    return false; // no folder: the listing says what is wrong
  }
}
