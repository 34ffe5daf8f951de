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
port.on('message', (m: MainMessage) => {
  if (m === 'more') credit += 1;
  else turns = m.earlierTurns;
  wake?.();
  wake = undefined;
});
const post = (message: ThreadMessage) => port.postMessage(message);

const problems: Problem[] = [];
const source = at.commit ? await gitRefSource(at.dir, at.commit) : worktreeSource(at.dir);
// Counting the targets' tokens and looking for control tokens in them here takes that off the thread that compiles and writes.
const tokens = at.countTokens ? await TokenCountCache.open(at.dir) : undefined;
try {
  let groups: LocatedCorrection[][] = [];
  let chunk = 0;
  for await (const group of iterateCorrections(source, problems)) {
    if (tokens) {
      // Counting texts no export counted before (a clone's first export) is most of the work:
      // this thread counts those of every other chunk, the main thread (ExportCompiler) the rest.
      const counting = chunk % 2 === 0;
      for (const c of group) {
        const text = c.correction.corrected_response;
        if (c.correction.action !== 'correct' || typeof text !== 'string') continue;
        const target = normalizeCorrectedText(text);
        const n = counting ? tokens.count(target) : tokens.lookup(target);
        if (n !== undefined) c.tokens = n;
        c.controlTokens = controlTokensIn(target);
      }
    }
    groups.push(group);
    if (groups.length < CHUNK_GROUPS) continue;
    while (credit === 0 || turns === undefined) await new Promise<void>((resolve) => (wake = resolve));
    credit -= 1;
    post({ groups, problems: problems.splice(0), done: false, ...(await settle(groups)) });
    groups = [];
    chunk += 1;
  }
  while (turns === undefined) await new Promise<void>((resolve) => (wake = resolve));
  post({ groups, problems: problems.splice(0), done: true, ...(tokens ? { tokenCounts: tokens.takeUsed() } : {}), ...(await settle(groups)) });
} catch (err) {
  const e = err as Error & { code?: string; problems?: Problem[] };
  post({ error: { message: e.message, ...(e.code ? { code: e.code } : {}), ...(e.problems ? { problems: e.problems } : {}) } });
} finally {
  source.close();
  port.close();
}

/** The corrected texts of the earlier turns that `groups` need, settled in stream order. */
async function settle(groups: LocatedCorrection[][]): Promise<{ corrected?: [string, string][] }> {
  if (!turns) return {};
  earlier ??= new EarlierTurnReader(source, turns, at.earlierTurns!);
  const corrected: [string, string][] = [];
  for (const group of groups) {
    const reading = earlier.prepare(group);
    if (reading) await reading;
    corrected.push(...earlier.textsFor(group));
  }
  return { corrected };
}
