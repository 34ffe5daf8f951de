/**
 * A Committer that keeps correction files and their commits in memory: the review
 * service and the review page run against it in tests without git, with the same
 * records, paths and errors as the git committers (the record is built by the same
 * createCorrection).
 */
import { createCorrection, parseCorrection, serializeCorrection, type Decision } from '../../src/lib/records/correction.ts';
import { PloverError } from '../../src/lib/errors.ts';
import type { HistoryEntry } from '../../src/lib/review/history.ts';
import { correctionPath, correctionsPrefix } from '../../src/lib/records/paths.ts';
import type { CommitOptions, Committer } from '../../src/lib/review/review-service.ts';
import type { Correction, Reviewer } from '../../src/lib/records/schema-types.generated.ts';

export interface MemoryCommit {
  oid: string;
  path: string;
  /** The file's new content, or null when the commit removed it. */
  text: string | null;
  author: { name: string; email: string };
  date: Date;
}

export class MemoryCommitter implements Committer {
  /** Correction files by path, as the last commit left them. */
  readonly files = new Map<string, string>();
  /** Every commit, oldest first. */
  readonly commits: MemoryCommit[] = [];
  /** When set, the next commit waits for it (tests of a slow or failing store). */
  gate: (() => Promise<void>) | null = null;

  async commit(decision: Decision, reviewer: Reviewer, options: CommitOptions): Promise<{ oid: string; path: string; correction: Correction }> {
    const now = options.now ?? new Date();
    const correction = createCorrection(decision, reviewer, now, {
      modelResponse: options.modelResponse,
      ...(options.durationMs === undefined ? {} : { durationMs: options.durationMs }),
    });
    const path = correctionPath(correction.candidate_id, correction.reviewer.email);
    const oid = await this.write(path, serializeCorrection(correction), reviewer, now);
    return { oid, path, correction };
  }

  async undo(candidateId: string, reviewer: Reviewer, now = new Date()): Promise<{ oid: string; path: string; undone: Correction }> {
    const path = correctionPath(candidateId, reviewer.email);
    const text = this.files.get(path);
    const undone = text === undefined ? undefined : parseCorrection(text, path).correction;
    if (!undone) throw new PloverError('E_NOTHING_TO_UNDO', `${reviewer.email} has no decision on ${JSON.stringify(candidateId)} to undo`);
    const oid = await this.write(path, null, reviewer, now);
    return { oid, path, undone };
  }

  async history(candidateId: string): Promise<HistoryEntry[]> {
    const prefix = correctionsPrefix(candidateId);
    const entries: HistoryEntry[] = [];
    for (const c of this.commits) {
      if (!c.path.startsWith(prefix)) continue;
      const base = { commit: c.oid, author: c.author, date: c.date.toISOString(), path: c.path };
      if (c.text === null) entries.push({ ...base, kind: 'undo' });
      else entries.push({ ...base, kind: 'decision', correction: parseCorrection(c.text, c.path).correction! });
    }
    return entries.reverse();
  }

  private async write(path: string, text: string | null, reviewer: Reviewer, date: Date): Promise<string> {
    if (this.gate) await this.gate();
    const oid = (this.commits.length + 1).toString(16).padStart(40, '0');
    if (text === null) this.files.delete(path);
    else this.files.set(path, text);
    this.commits.push({ oid, path, text, author: { name: reviewer.name, email: reviewer.email }, date });
    return oid;
  }
}
