/**
 * What the hosted page keeps of its review index between visits (index-snapshot.ts), as
 * stored in IndexedDB (index-store.ts): a snapshot's head, and its body encoded column
 * by column.
 */
import type { CandidateOutline, LocatedOutline } from '../lib/review/outline.ts';
import type { Team } from '../lib/team/team.ts';

/** Bumped whenever what a snapshot holds changes shape: older snapshots are then read anew. */
export const FORMAT = 6;

/** What a snapshot was read from, stored apart from its body so a visit can look at it cheaply. */
export interface SnapshotHead {
  format: number;
  /** The target branch's commit. */
  target: string;
  /** The reviewer's outbox commit. */
  outbox: string;
  /** The target's candidates/ tree (null without one). */
  candidates: string | null;
  /** The candidate files, in path order. */
  files: { path: string; blob: string }[];
  /** The entries of corrections/ (shard trees, and any file beside them) in the target and the outbox commit. */
  shards: { target: Entries; outbox: Entries };
  /** The team of the target's plover.config.json. */
  team: Team | null;
}

/**
 * The outlines, column by column, strings that repeat (runs, models, reviewers, actions)
 * kept once with indexes: no key names repeated per record. Reading the body at 100k
 * takes 42–100 ms.
 */
export interface SnapshotBody {
  candidates: {
    id: string[];
    run: Interned;
    model: Interned;
    modelName: Interned;
    taskType: Interned;
    /** NaN for null. */
    score: Float64Array;
    /** '' for none. */
    timestamp: string[];
    /** The prompt keys (lib/review/siblings.ts); turns as `before:text` joined by spaces, '' for none. */
    promptKey: string[];
    responseKey: string[];
    turns: string[];
    /** Per candidate: the index of its file in `files`, and its line. */
    file: Uint32Array;
    line: Uint32Array;
  };
  corrections: {
    file: string[];
    /** Each file's blob. */
    blob: string[];
    candidateId: string[];
    email: Interned;
    action: Interned;
    /** '' for none. */
    category: Interned;
    /** 1 for an adjudicator's decision. */
    adjudication: Uint8Array;
  };
}

interface Interned {
  values: string[];
  at: Uint32Array;
}

function intern(column: string[]): Interned {
  const index = new Map<string, number>();
  const at = new Uint32Array(column.length);
  column.forEach((v, i) => {
    let k = index.get(v);
    if (k === undefined) index.set(v, (k = index.size));
    at[i] = k;
  });
  return { values: [...index.keys()], at };
}

const valueAt = (column: Interned, i: number) => column.values[column.at[i]!]!;

export function encodeCandidates(outlines: CandidateOutline[], places: { file: number; line: number }[]): SnapshotBody['candidates'] {
  return {
    id: outlines.map((o) => o.id),
    run: intern(outlines.map((o) => o.benchmark_run_id)),
    model: intern(outlines.map((o) => o.model_id)),
    modelName: intern(outlines.map((o) => o.model_name)),
    taskType: intern(outlines.map((o) => o.task_type)),
    score: Float64Array.from(outlines, (o) => o.quality_score ?? NaN),
    timestamp: outlines.map((o) => o.timestamp ?? ''),
    promptKey: outlines.map((o) => o.prompt_key),
    responseKey: outlines.map((o) => o.response_key),
    turns: outlines.map((o) => (o.turns ?? []).map((t) => `${t.before}:${t.text}`).join(' ')),
    file: Uint32Array.from(places, (p) => p.file),
    line: Uint32Array.from(places, (p) => p.line),
  };
}

export function decodeCandidates(c: SnapshotBody['candidates']): CandidateOutline[] {
  return c.id.map((id, i) => {
    const score = c.score[i]!;
    const o: CandidateOutline = {
      id,
      benchmark_run_id: valueAt(c.run, i),
      model_id: valueAt(c.model, i),
      model_name: valueAt(c.modelName, i),
      task_type: valueAt(c.taskType, i),
      quality_score: Number.isNaN(score) ? null : score,
      prompt_key: c.promptKey[i]!,
      response_key: c.responseKey[i]!,
    };
    if (c.timestamp[i]) o.timestamp = c.timestamp[i];
    if (c.turns[i]) o.turns = c.turns[i]!.split(' ').map((t) => ({ before: t.slice(0, t.indexOf(':')), text: t.slice(t.indexOf(':') + 1) }));
    return o;
  });
}

export function encodeCorrections(corrections: LocatedOutline[], blobOf: (file: string) => string): SnapshotBody['corrections'] {
  return {
    file: corrections.map((c) => c.file),
    blob: corrections.map((c) => blobOf(c.file)),
    candidateId: corrections.map((c) => c.correction.candidate_id),
    email: intern(corrections.map((c) => c.correction.reviewer.email)),
    action: intern(corrections.map((c) => c.correction.action)),
    category: intern(corrections.map((c) => c.correction.failure_category ?? '')),
    adjudication: Uint8Array.from(corrections, (c) => (c.correction.adjudication ? 1 : 0)),
  };
}

export function decodeCorrections(c: SnapshotBody['corrections']): LocatedOutline[] {
  return c.file.map((file, i) => {
    const correction: LocatedOutline['correction'] = {
      candidate_id: c.candidateId[i]!,
      action: valueAt(c.action, i) as LocatedOutline['correction']['action'],
      reviewer: { email: valueAt(c.email, i) },
    };
    const category = valueAt(c.category, i);
    if (category) correction.failure_category = category as NonNullable<LocatedOutline['correction']['failure_category']>;
    if (c.adjudication[i]) correction.adjudication = true;
    return { file, correction };
  });
}

/** Names in a tree, with their oid and whether each is a tree. */
export type Entries = Record<string, { oid: string; tree: boolean }>;

/** Each kept correction file's blob. */
export function blobsOf(body: SnapshotBody): (file: string) => string {
  const blobs = new Map(body.corrections.file.map((file, i) => [file, body.corrections.blob[i]!]));
  return (file) => blobs.get(file)!;
}
