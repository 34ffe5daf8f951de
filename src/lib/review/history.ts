/** A candidate's history as the page shows it: one entry per commit that touched one of its correction files. */
import type { Correction } from '../records/schema-types.generated.ts';

export interface HistoryEntry {
  commit: string;
  author: { name: string; email: string };
  /** Commit time, ISO 8601 (UTC). */
  date: string;
  /** `decision` when the commit wrote a correction, `undo` when it removed one. */
  kind: 'decision' | 'undo';
  path: string;
  /** The record the commit wrote (decisions only). */
  correction?: Correction;
}
