/** The thread of candidates-apart.ts: parses and checks the parts of candidate files it is asked for. */
import { parentPort, workerData } from 'node:worker_threads';
import { readCandidatePart } from '../lib/records/candidate-index.ts';
import { turnKeys } from '../lib/export/earlier-turns.ts';
import { memoizeTexts } from '../lib/export/text-memo.ts';
import { fingerprint } from './fingerprint.ts';
import { chunksOfPart } from './sources.ts';
import type { ApartAt, PartReply, PartRequest } from './candidates-apart.ts';

const { dir, turnKeys: withKeys } = workerData as ApartAt;
const port = parentPort!;
const shared = memoizeTexts(fingerprint);

port.on('message', ({ n, file, start, end }: PartRequest) => {
  let reply: PartReply;
  try {
    // A file shorter now gives fewer lines: each is checked again when the export reads it.
    reply = { n, part: readCandidatePart(file, start, chunksOfPart(dir, file, start, end), (candidate) => (withKeys ? turnKeys(candidate, fingerprint, shared) : null)) };
  } catch (err) {
    reply = { n, error: (err as Error).message };
  }
  port.postMessage(reply);
});
