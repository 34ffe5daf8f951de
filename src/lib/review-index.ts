/**
 * What the review page asks of the data, computed from the candidates and the current
 * corrections: the queue under a filter, the filter bar's facets, counts and statistics.
 * Pure: the review service (review-service.ts) keeps one, in the label server and in
 * the hosted page alike, and tells it about each commit.
 */
import type { LocatedCorrection } from './export.ts';
import { DEFAULT_EXPORT_OPTIONS, type ResolvePolicy } from './export.ts';
import { normalizeEmail } from './paths.ts';
import { matchesFilter, parseQueueFilter, sortCandidates, type QueueFilter, type SortOrder } from './queue-filter.ts';
import type { CandidateData } from './repository.ts';
import { compileQueue, countByAction } from './review-state.ts';
import type { Candidate, Correction, Reviewer } from './schema-types.ts';
import { StatsCompiler, type Stats } from './stats.ts';

const DEFAULT_FILTER: QueueFilter = parseQueueFilter(new URLSearchParams());
const NONE: ReadonlyMap<string, Correction> = new Map();

type FacetTally = Map<string, { count: number; label: string }>;

/** Candidates counted by run, model and task type (with each one's label). */
function tallyFacets(candidates: Iterable<Candidate>): Record<'runs' | 'models' | 'taskTypes', FacetTally> {
  const out: Record<'runs' | 'models' | 'taskTypes', FacetTally> = { runs: new Map(), models: new Map(), taskTypes: new Map() };
  for (const c of candidates) {
    for (const [map, key, label] of [
      [out.runs, c.benchmark_run_id, c.benchmark_run_id],
      [out.models, c.model_id, c.model_name || c.model_id],
      [out.taskTypes, c.task_type, c.task_type],
    ] as const) {
      const entry = map.get(key);
      if (entry) entry.count += 1;
      else map.set(key, { count: 1, label });
    }
  }
  return out;
}

export class ReviewIndex {
  private readonly data: CandidateData;
  /** Corrections by path: a new decision of the same reviewer replaces the old one. */
  private readonly corrections = new Map<string, LocatedCorrection>();
  /**
   * Each reviewer's current decisions by candidate id (reviewers by normalised email),
   * kept with every change, so what the page asks after each decision does not walk
   * every correction (at 100k that walk was most of a decision's round trip).
   */
  private readonly byReviewer = new Map<string, Map<string, Correction>>();
  /** Each reviewer's decided candidates counted by run, model and task type, kept the same way. */
  private readonly decidedFacets = new Map<string, Record<'runs' | 'models' | 'taskTypes', Map<string, number>>>();

  constructor(data: CandidateData, corrections: LocatedCorrection[]) {
    this.data = data;
    for (const c of corrections) this.set(c);
  }

  get candidateCount(): number {
    return this.data.candidates.size;
  }

  /** The candidate with this id, if there is one. */
  candidate(id: string): Candidate | undefined {
    return this.data.candidates.get(id)?.candidate;
  }

  /** Records a committed correction (replacing the one at its path). */
  set(correction: LocatedCorrection): void {
    this.delete(correction.file);
    this.corrections.set(correction.file, correction);
    const key = normalizeEmail(correction.correction.reviewer.email);
    let mine = this.byReviewer.get(key);
    if (!mine) this.byReviewer.set(key, (mine = new Map()));
    const had = mine.has(correction.correction.candidate_id);
    mine.set(correction.correction.candidate_id, correction.correction);
    if (!had) this.countDecided(key, correction.correction.candidate_id, 1);
  }

  /** Forgets the correction at `path` (an undo). */
  delete(path: string): void {
    const old = this.corrections.get(path)?.correction;
    if (!old) return;
    this.corrections.delete(path);
    const key = normalizeEmail(old.reviewer.email);
    const mine = this.byReviewer.get(key);
    if (mine?.get(old.candidate_id) === old) {
      mine.delete(old.candidate_id);
      this.countDecided(key, old.candidate_id, -1);
    }
  }

  private countDecided(reviewer: string, candidateId: string, by: 1 | -1): void {
    const c = this.data.candidates.get(candidateId)?.candidate;
    if (!c) return;
    let tally = this.decidedFacets.get(reviewer);
    if (!tally) this.decidedFacets.set(reviewer, (tally = { runs: new Map(), models: new Map(), taskTypes: new Map() }));
    for (const [map, value] of [
      [tally.runs, c.benchmark_run_id],
      [tally.models, c.model_id],
      [tally.taskTypes, c.task_type],
    ] as const) {
      map.set(value, (map.get(value) ?? 0) + by);
    }
  }

  /** The candidates this reviewer has not decided yet, in file order. */
  queue(reviewer: Reviewer): Candidate[] {
    return compileQueue(this.candidatesInOrder(), this.correctionRecords(), reviewer.email);
  }

  /**
   * One page of the queue under a filter: up to `limit` matching candidates that come
   * after `after` in the filter's sort order (from the start when `after` is null or
   * unknown), and how many this reviewer has left overall.
   */
  queuePage(reviewer: Reviewer, after: string | null, limit: number, filter: QueueFilter = DEFAULT_FILTER): { items: Candidate[]; remaining: number; matching?: number } {
    const order = this.sorted(filter.sort);
    const mine = this.mine(reviewer);
    const matches = (c: Candidate) => matchesFilter(filter, c, mine.get(c.id), () => this.searchText(c));
    // Walks on from `after` only as far as one page needs: a page costs the same at 100k candidates as at 1k.
    const items: Candidate[] = [];
    const from = after === null ? 0 : (order.position.get(after) ?? -1) + 1;
    for (let i = from; i < order.ids.length && items.length < limit; i++) {
      const c = this.data.candidates.get(order.ids[i]!)!.candidate;
      if (matches(c)) items.push(c);
    }
    if (after !== null) return { items, remaining: this.remaining(reviewer) };
    // The first page of a filter also says how many match in all (one pass, once per filter change).
    let matching = 0;
    for (const { candidate } of this.data.candidates.values()) if (matches(candidate)) matching += 1;
    return { items, remaining: this.remaining(reviewer), matching };
  }

  /** How many candidates this reviewer has not decided. */
  remaining(reviewer: Reviewer): number {
    return this.data.candidates.size - this.mine(reviewer).size;
  }

  /** Runs, models and task types with their totals and this reviewer's progress, for the filter bar. */
  facets(reviewer: Reviewer) {
    // Totals once (candidates do not change); this reviewer's progress from their decisions only.
    this.facetTotals ??= tallyFacets(this.candidatesInOrder());
    const decided = this.decidedFacets.get(normalizeEmail(reviewer.email)) ?? { runs: new Map(), models: new Map(), taskTypes: new Map() };
    const list = (totals: FacetTally, done: Map<string, number>) =>
      [...totals].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, v]) => ({ id, total: v.count, decided: done.get(id) ?? 0, label: v.label }));
    return { runs: list(this.facetTotals.runs, decided.runs), models: list(this.facetTotals.models, decided.models), task_types: list(this.facetTotals.taskTypes, decided.taskTypes) };
  }
  private facetTotals: Record<'runs' | 'models' | 'taskTypes', FacetTally> | undefined;

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
    return countByAction(this.mine(reviewer).values());
  }

  /** Every current correction record. */
  correctionRecords(): Correction[] {
    return [...this.corrections.values()].map((c) => c.correction);
  }

  /** The candidates in queue (file) order. */
  candidatesInOrder(): Candidate[] {
    return this.data.candidateOrder.map((id) => this.data.candidates.get(id)!.candidate);
  }

  /** This reviewer's current decisions, by candidate id. */
  private mine(reviewer: Reviewer): ReadonlyMap<string, Correction> {
    return this.byReviewer.get(normalizeEmail(reviewer.email)) ?? NONE;
  }

  private readonly orders = new Map<SortOrder, { ids: string[]; position: Map<string, number> }>();
  /** Candidate ids in a sort order, with each id's place: computed once per order (candidates do not change). */
  private sorted(sort: SortOrder) {
    let order = this.orders.get(sort);
    if (!order) {
      const ids = sortCandidates(this.candidatesInOrder(), sort).map((c) => c.id);
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
}
