/** The thread of candidates-apart.ts: parses and checks the parts of candidate files it is asked for. */
import { parentPort, workerData } from 'node:worker_threads';
import { readCandidatePart } from '../lib/records/candidate-index.ts';
import { turnKeys } from '../lib/export/earlier-turns.ts';
import { fingerprint } from './fingerprint.ts';
import { worktreeSource } from './sources.ts';
import type { ApartAt, PartReply, PartRequest } from './candidates-apart.ts';

const CHUNK_BYTES = 4 * 1024 * 1024;
const { dir, turnKeys: withKeys } = workerData as ApartAt;
const source = worktreeSource(dir);
const port = parentPort!;

port.on('message', ({ n, file, start, end }: PartRequest) => {
  let reply: PartReply;
  try {
    const chunks = (function* () {
      for (let at = start; at < end;) {
        const bytes = source.readAt!(file, at, Math.min(CHUNK_BYTES, end - at));
        if (bytes.length === 0) return; // the file is shorter now: its lines are checked again when read
        yield bytes;
        at += bytes.length;
      }
    })();
    reply = { n, part: readCandidatePart(file, start, chunks, (candidate) => (withKeys ? turnKeys(candidate, fingerprint) : null)) };
  } catch (err) {
    reply = { n, error: (err as Error).message };
  } finally {
    source.close(); // a thread's files stay open after it ends
  }
  port.postMessage(reply);
});
