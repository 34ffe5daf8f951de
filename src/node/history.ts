/**
 * A candidate's history, read from git: every commit that added, changed or removed one
 * of its correction files (any reviewer), newest first, with the record each one wrote.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseCorrection } from '../lib/records/correction.ts';
import { candidateKey, correctionsPrefix, CORRECTIONS_DIR } from '../lib/records/paths.ts';
import type { HistoryEntry } from '../lib/review/history.ts';

export type { HistoryEntry };
import { BlobReader } from './sources.ts';

const run = promisify(execFile);

/** The history of `candidateId` in the repository at `dir` (checked-out branch). */
export async function readCandidateHistory(dir: string, candidateId: string): Promise<HistoryEntry[]> {
  const { shard } = candidateKey(candidateId);
  const mine = correctionsPrefix(candidateId);
  const { stdout } = await run(
    'git',
    // The shard's folder as a literal path, the candidate's files picked out below: git prunes
    // the tree walk at a literal path, not at a glob (at 100k files: 12 ms against 70 ms).
    ['log', '--no-renames', '--format=%x1e%H%x1f%an%x1f%ae%x1f%aI', '--name-status', 'HEAD', '--', `:(literal)${CORRECTIONS_DIR}/${shard}/`],
    { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
  ).catch((err: { stderr?: string }) => {
    // A repository without commits has no history yet.
    if (/does not have any commits|unknown revision/.test(err.stderr ?? '')) return { stdout: '' };
    throw err;
  });
  const entries: HistoryEntry[] = [];
  for (const block of stdout.split('\x1e').slice(1)) {
    const [head, ...changes] = block.trim().split('\n');
    const [commit, name, email, date] = head!.split('\x1f') as [string, string, string, string];
    for (const change of changes.filter(Boolean)) {
      const [status, path] = change.split('\t') as [string, string];
      if (!path.startsWith(mine) || !path.endsWith('.json')) continue;
      entries.push({ commit, author: { name, email }, date: new Date(date).toISOString(), kind: status === 'D' ? 'undo' : 'decision', path });
    }
  }
  const reader = new BlobReader(dir);
  try {
    const decisions = entries.filter((e) => e.kind === 'decision');
    const texts = await Promise.all(decisions.map((e) => reader.read(`${e.commit}:${e.path}`)));
    decisions.forEach((e, i) => {
      const correction = parseCorrection(new TextDecoder().decode(texts[i]), e.path).correction;
      // Another candidate can share the 64-bit key only by a hash collision; keep this one's.
      if (correction) e.correction = correction;
    });
  } finally {
    reader.close();
  }
  return entries.filter((e) => e.kind === 'undo' || e.correction?.candidate_id === candidateId);
}
