/**
 * A labeling session on a local clone: the one path by which both the label server
 * and `plover submit` turn a decision into a commit.
 */
import type { Decision } from '../lib/correction.ts';
import { PloverError } from '../lib/errors.ts';
import type { LocatedCorrection } from '../lib/export.ts';
import { compileQueue, countByAction } from '../lib/review-state.ts';
import type { Candidate, Correction, Reviewer } from '../lib/schema-types.ts';
import { normalizeEmail } from '../lib/paths.ts';
import { StatsCompiler, type Stats } from '../lib/stats.ts';
import { DEFAULT_EXPORT_OPTIONS, type ResolvePolicy } from '../lib/export.ts';
import { matchesFilter, parseQueueFilter, sortCandidates, type QueueFilter, type SortOrder } from '../lib/queue-filter.ts';

const DEFAULT_FILTER: QueueFilter = parseQueueFilter(new URLSearchParams());
import { commitDecision, commitUndo, type CommitDecisionResult, type GitFs } from '../git/commit-decision.ts';
import { readCandidateHistory, type HistoryEntry } from './history.ts';

import { invalidRepository, readCandidates, readCorrections, type CandidateData } from './repository.ts';
import { worktreeSource } from './sources.ts';
import { createAtomicFs } from './atomic-fs.ts';
import { recoverUncommitted, type Recovered } from './recover.ts';

export class Workspace {
  readonly dir: string;
  private readonly data: CandidateData;
  /** Corrections by path: a new decision of the same reviewer replaces the old one. */
  private readonly corrections: Map<string, LocatedCorrection>;
  /** One isomorphic-git cache for the session (the first packed read hashes the whole pack). */
  private readonly cache: object;
  /** Decisions commit one at a time: each commit's parent is the one before. */
  private tail: Promise<unknown> = Promise.resolve();

  /** Decisions a previous, interrupted run wrote but did not commit, committed on opening. */
  readonly recovered: Recovered[];
  private readonly fs: GitFs;

  private constructor(dir: string, data: CandidateData, corrections: LocatedCorrection[], gitFs: GitFs, cache: object, recovered: Recovered[]) {
    this.dir = dir;
    this.fs = gitFs;
    this.cache = cache;
    this.recovered = recovered;
    this.data = data;
    this.corrections = new Map(corrections.map((c) => [c.file, c]));
  }

  /**
   * Opens the repository at `dir`. With `corrections: false` (one `plover submit`),
   * existing corrections are not read: a commit does not need them, and the queue and
   * counts then cover only what this Workspace commits.
   * @throws PloverError `E_INVALID_REPOSITORY` listing every invalid candidate or correction.
   */
  static async open(dir: string, options: { corrections?: boolean } = {}): Promise<Workspace> {
    const gitFs = createAtomicFs(`${dir}/.git`);
    const cache = {};
    // A previous run killed mid-commit may have left a decision written but not committed.
    const recovered = await recoverUncommitted({ fs: gitFs, dir, cache });
    const source = worktreeSource(dir);
    const data = await readCandidates(source);
    const read = options.corrections === false ? { corrections: [], problems: [] } : await readCorrections(source, data.candidates);
    const problems = [...data.problems, ...read.problems];
    if (problems.length) throw invalidRepository(problems);
    return new Workspace(dir, data, read.corrections, gitFs, cache, recovered);
  }

  get candidateCount(): number {
    return this.data.candidates.size;
  }

  /** The candidates this reviewer has not decided yet, in file order. */
  queue(reviewer: Reviewer): Candidate[] {
    const ordered = this.data.candidateOrder.map((id) => this.data.candidates.get(id)!.candidate);
    return compileQueue(ordered, this.correctionRecords(), reviewer.email);
  }

  /**
   * One page of the queue under a filter: up to `limit` matching candidates that come
   * after `after` in the filter's sort order (from the start when `after` is null or
   * unknown), how many match in all, and how many this reviewer has left overall.
   */
  queuePage(reviewer: Reviewer, after: string | null, limit: number, filter: QueueFilter = DEFAULT_FILTER) {
    const order = this.sorted(filter.sort);
    const mine = this.mine(reviewer);
    const matching = order.ids.filter((id) => {
      const c = this.data.candidates.get(id)!.candidate;
      return matchesFilter(filter, c, mine.get(id), () => this.searchText(c));
    });
    const position = after === null ? -1 : (order.position.get(after) ?? -1);
    const start = matching.findIndex((id) => order.position.get(id)! > position);
    const items = start < 0 ? [] : matching.slice(start, start + limit).map((id) => this.data.candidates.get(id)!.candidate);
    return { items, matching: matching.length, remaining: this.data.candidates.size - mine.size };
  }

  /** Runs, models and task types with their totals and this reviewer's progress, for the filter bar. */
  facets(reviewer: Reviewer) {
    const mine = this.mine(reviewer);
    const tally = () => new Map<string, { total: number; decided: number; label: string }>();
    const runs = tally();
    const models = tally();
    const taskTypes = tally();
    for (const { candidate: c } of this.data.candidates.values()) {
      const done = mine.has(c.id) ? 1 : 0;
      for (const [map, key, label] of [
        [runs, c.benchmark_run_id, c.benchmark_run_id],
        [models, c.model_id, c.model_name || c.model_id],
        [taskTypes, c.task_type, c.task_type],
      ] as const) {
        const entry = map.get(key) ?? { total: 0, decided: 0, label };
        entry.total += 1;
        entry.decided += done;
        map.set(key, entry);
      }
    }
    const list = (map: ReturnType<typeof tally>) => [...map].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, v]) => ({ id, ...v }));
    return { runs: list(runs), models: list(models), task_types: list(taskTypes) };
  }

  /** This reviewer's current decisions, by candidate id. */
  private mine(reviewer: Reviewer): Map<string, Correction> {
    const me = normalizeEmail(reviewer.email);
    const out = new Map<string, Correction>();
    for (const { correction } of this.corrections.values()) if (normalizeEmail(correction.reviewer.email) === me) out.set(correction.candidate_id, correction);
    return out;
  }

  private readonly orders = new Map<SortOrder, { ids: string[]; position: Map<string, number> }>();
  /** Candidate ids in a sort order, with each id's place: computed once per order (candidates do not change). */
  private sorted(sort: SortOrder) {
    let order = this.orders.get(sort);
    if (!order) {
      const ids = sortCandidates(this.data.candidateOrder.map((id) => this.data.candidates.get(id)!.candidate), sort).map((c) => c.id);
      order = { ids, position: new Map(ids.map((id, i) => [id, i])) };
      this.orders.set(sort, order);
    }
    return order;
  }

  private readonly search = new Map<string, string>();
  /** A candidate's prompt, response and id, lower-cased, built on the first search. */
  private searchText(c: Candidate): string {
    let text = this.search.get(c.id);
    if (text === undefined) {
      text = [c.id, ...c.prompt_messages.map((m) => m.content), c.model_response].join('\n').toLowerCase();
      this.search.set(c.id, text);
    }
    return text;
  }

  /** Review statistics of the whole repository (every reviewer), as `plover stats` computes them. */
  stats(resolve: ResolvePolicy = DEFAULT_EXPORT_OPTIONS.resolve): Stats {
    const compiler = new StatsCompiler(this.data.candidates, resolve);
    const groups = new Map<string, LocatedCorrection[]>();
    for (const c of [...this.corrections.values()].sort((a, b) => (a.file < b.file ? -1 : 1))) {
      groups.set(c.correction.candidate_id, [...(groups.get(c.correction.candidate_id) ?? []), c]);
    }
    for (const group of groups.values()) compiler.add(group);
    return compiler.result();
  }

  /** This reviewer's decisions per action. */
  counts(reviewer: Reviewer) {
    return countByAction(this.correctionRecords(), reviewer.email);
  }

  /**
   * Commits one decision, after every decision submitted before it.
   * @throws PloverError `E_UNKNOWN_CANDIDATE`, or whatever commitDecision throws; nothing is written then.
   */
  submit(decision: Decision, reviewer: Reviewer, options: { now?: Date; durationMs?: number } = {}): Promise<CommitDecisionResult> {
    return this.serialize(async () => {
      this.requireCandidate(decision.candidate_id);
      const result = await commitDecision({ fs: this.fs, dir: this.dir, cache: this.cache, decision, reviewer, ...options });
      this.corrections.set(result.path, { correction: result.correction, file: result.path });
      return result;
    });
  }

  /**
   * Undoes the reviewer's current decision on a candidate (a commit that removes its file).
   * @throws PloverError `E_UNKNOWN_CANDIDATE`, `E_NOTHING_TO_UNDO`.
   */
  undo(candidateId: string, reviewer: Reviewer, now?: Date) {
    return this.serialize(async () => {
      this.requireCandidate(candidateId);
      const result = await commitUndo({ fs: this.fs, dir: this.dir, cache: this.cache, candidateId, reviewer, ...(now ? { now } : {}) });
      this.corrections.delete(result.path);
      return result;
    });
  }

  /** Who decided what on a candidate, when, in which commit: read from git. */
  history(candidateId: string): Promise<HistoryEntry[]> {
    this.requireCandidate(candidateId);
    return readCandidateHistory(this.dir, candidateId);
  }

  /** Runs git writes one at a time: each commit's parent is the one before. */
  private serialize<T>(run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private requireCandidate(id: string) {
    if (!this.data.candidates.has(id)) {
      throw new PloverError('E_UNKNOWN_CANDIDATE', `unknown candidate ${JSON.stringify(id)}: no line in candidates/*.jsonl has this id (see \`plover validate\`)`);
    }
  }

  private correctionRecords() {
    return [...this.corrections.values()].map((c) => c.correction);
  }
}
