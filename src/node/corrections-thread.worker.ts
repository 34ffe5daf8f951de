/**
 * The worker of corrections-thread.ts: runs `iterateCorrections` and posts its groups in
 * chunks, at most AHEAD chunks ahead of what the main thread has taken, each with the
 * corrected texts of the earlier turns its groups need.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Problem } from '../lib/errors.ts';
import { iterateCorrections } from '../lib/records/repository.ts';
import { AHEAD, CHUNK_GROUPS, type CorrectionsAt, type MainMessage, type ThreadMessage } from './corrections-thread.ts';
import { EarlierTurnReader } from './earlier-turn-reader.ts';
import { fingerprint } from './fingerprint.ts';
import type { EarlierTurnIndex } from '../lib/export/earlier-turns.ts';
import { gitRefSource, worktreeSource } from './sources.ts';
import { normalizeCorrectedText } from '../lib/records/target-text.ts';
import { TokenCountCache } from './token-count.ts';
import { controlTokensIn } from '../lib/export/control-tokens.ts';
import type { LocatedCorrection } from '../lib/records/correction.ts';

const at = workerData as CorrectionsAt;
const port = parentPort!;
let credit = AHEAD;
let wake: (() => void) | undefined;
/** The earlier turns to settle; undefined until the main thread says which (once it has read the candidates). */
let turns: EarlierTurnIndex | null | undefined = at.earlierTurns ? undefined : null;
let earlier: EarlierTurnReader | undefined;
/** The main thread waits for a message: send what is gathered, counted or not. */
let waiting = false;
port.on('message', (m: MainMessage) => {
  if (m === 'more') credit += 1;
  else if (m === 'waiting') waiting = true;
  else turns = m.earlierTurns;
  wake?.();
  wake = undefined;
});
const post = (message: ThreadMessage) => port.postMessage(message);

const problems: Problem[] = [];
/** Texts counted before the main thread's messages are let in: about a millisecond of counting. */
const COUNT_BETWEEN_MESSAGES = 8;
/** The corrected texts of the chunk being gathered whose tokens are not known yet. */
let uncounted: LocatedCorrection[] = [];
/**
 * Earlier turns sent uncounted ahead of their own group (by candidate id, the fingerprint
 * of the text): the main thread counts them for the later turn's context, and finds the count
 * kept when the earlier turn's own group comes, so this thread does not count them again.
 */
const countedByMain = new Map<string, string>();
const source = at.commit ? await gitRefSource(at.dir, at.commit) : worktreeSource(at.dir);
// Counting the targets' tokens and looking for control tokens in them here takes that off the thread that compiles and writes.
const tokens = at.countTokens ? await TokenCountCache.open(at.dir) : undefined;
try {
  let groups: LocatedCorrection[][] = [];
  for await (const group of iterateCorrections(source, problems)) {
    if (tokens) {
      for (const c of group) {
        const text = c.correction.corrected_response;
        if (c.correction.action !== 'correct' || typeof text !== 'string') continue;
        const target = normalizeCorrectedText(text);
        const n = tokens.lookup(target);
        if (n !== undefined) c.tokens = n;
        else {
          // Hashed only for the earlier turn itself, not for every new text.
          const handed = countedByMain.get(c.correction.candidate_id);
          if (handed === undefined || handed !== fingerprint(target)) uncounted.push(c);
        }
        c.controlTokens = controlTokensIn(target);
      }
      countedByMain.delete(group[0]!.correction.candidate_id);
    }
    groups.push(group);
    if (groups.length < CHUNK_GROUPS) continue;
    // Counting texts no export counted before (a clone's first export) is most of the work:
    // this thread counts them unless the main thread waits for them, and leaves the rest to it (ExportCompiler).
    while (credit === 0 || turns === undefined || (uncounted.length && !waiting)) await (uncounted.length ? countSome() : waitForMain());
    credit -= 1;
    waiting = false;
    post({ groups, problems: problems.splice(0), done: false, ...(await settle(groups)) });
    groups = [];
    uncounted = [];
  }
  while (turns === undefined || (uncounted.length && !waiting)) await (uncounted.length ? countSome() : waitForMain());
  const settled = await settle(groups);
  post({ groups, problems: problems.splice(0), done: true, ...(tokens ? { tokenCounts: tokens.takeUsed() } : {}), ...settled });
} catch (err) {
  const e = err as Error & { code?: string; problems?: Problem[] };
  post({ error: { message: e.message, ...(e.code ? { code: e.code } : {}), ...(e.problems ? { problems: e.problems } : {}) } });
} finally {
  source.close();
  port.close();
}

function waitForMain(): Promise<void> {
  return new Promise<void>((resolve) => (wake = resolve));
}

/** Counts a few of the uncounted texts, then lets the main thread's messages in. */
function countSome(): Promise<void> {
  for (const c of uncounted.splice(0, COUNT_BETWEEN_MESSAGES)) c.tokens = tokens!.count(normalizeCorrectedText(c.correction.corrected_response!));
  return new Promise<void>((resolve) => setImmediate(resolve));
}

/** The corrected texts of the earlier turns that `groups` need, settled in stream order, with their tokens where counted. */
async function settle(groups: LocatedCorrection[][]): Promise<{ corrected?: [string, string, number?][] }> {
  if (!turns) return {};
  earlier ??= new EarlierTurnReader(source, turns, at.earlierTurns!);
  const corrected: [string, string, number?][] = [];
  for (const group of groups) {
    const reading = earlier.prepare(group);
    if (reading) await reading;
    for (const [id, text] of earlier.textsFor(group)) {
      const n = tokens?.lookup(text);
      if (n === undefined && tokens && earlier.isAhead(id)) countedByMain.set(id, fingerprint(text));
      corrected.push(n === undefined ? [id, text] : [id, text, n]);
    }
  }
  return { corrected };
}
