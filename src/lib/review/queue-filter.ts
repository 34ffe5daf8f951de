/**
 * The review queue's filters and sort orders, as the URL and the label server carry
 * them: `?run=…&model=…&task_type=…&score_min=0.2&score_max=0.6&state=decided&category=none&q=text&sort=-score&scope=all`.
 */
import type { Candidate, Correction } from '../records/schema-types.generated.ts';

/** `conflict`: candidates whose reviewers disagree (no action chosen by more than half of them), decided by me or not. */
export type ReviewStateFilter = 'undecided' | 'decided' | 'all' | 'conflict';
export type SortOrder = 'file' | 'score' | '-score' | 'time' | '-time';
export const SORT_ORDERS: SortOrder[] = ['file', 'score', '-score', 'time', '-time'];

export interface QueueFilter {
  run?: string;
  model?: string;
  task_type?: string;
  score_min?: number;
  score_max?: number;
  /** Whether I (the reviewer) decided it; default `undecided`. */
  state: ReviewStateFilter;
  /** The category of my decision (`none`: without one); implies decided. */
  category?: string;
  /** Case-insensitive text in the prompt, the response or the id. */
  q?: string;
  /** For a team member (team.ts): `all` shows every open candidate, not only those assigned to them. */
  scope?: 'all';
  sort: SortOrder;
}

/** Reads a filter from query parameters, ignoring anything unknown or malformed. */
export function parseQueueFilter(params: URLSearchParams): QueueFilter {
  const text = (k: string) => params.get(k)?.trim() || undefined;
  const num = (k: string) => {
    const v = params.get(k);
    const n = v === null || v.trim() === '' ? NaN : Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  const state = params.get('state');
  const sort = params.get('sort') as SortOrder | null;
  const filter: QueueFilter = {
    state: state === 'decided' || state === 'all' || state === 'conflict' ? state : 'undecided',
    sort: sort && SORT_ORDERS.includes(sort) ? sort : 'file',
  };
  for (const k of ['run', 'model', 'task_type', 'category', 'q'] as const) {
    const v = text(k);
    if (v !== undefined) filter[k] = v;
  }
  for (const k of ['score_min', 'score_max'] as const) {
    const v = num(k);
    if (v !== undefined) filter[k] = v;
  }
  if (params.get('scope') === 'all') filter.scope = 'all';
  if (filter.category !== undefined && filter.state === 'undecided') filter.state = 'decided';
  return filter;
}

/** Whether a candidate passes the filter, given my decision on it (if any) and its lower-cased search text. */
export function matchesFilter(
  f: QueueFilter,
  c: Pick<Candidate, 'benchmark_run_id' | 'model_id' | 'task_type' | 'quality_score'>,
  mine: Pick<Correction, 'failure_category'> | undefined,
  searchText: () => string,
): boolean {
  if (f.state === 'undecided' && mine) return false;
  if (f.state === 'decided' && !mine) return false;
  if (f.run && c.benchmark_run_id !== f.run) return false;
  if (f.model && c.model_id !== f.model) return false;
  if (f.task_type && c.task_type !== f.task_type) return false;
  if (f.score_min !== undefined && (c.quality_score === null || c.quality_score < f.score_min)) return false;
  if (f.score_max !== undefined && (c.quality_score === null || c.quality_score > f.score_max)) return false;
  if (f.category && (mine?.failure_category ?? 'none') !== f.category) return false;
  if (f.q && !searchText().includes(f.q.toLowerCase())) return false;
  return true;
}

/** Sorts candidates (a copy) by a sort order; unscored and undated ones last, ties in file order. */
export function sortCandidates<C extends Pick<Candidate, 'quality_score' | 'timestamp'>>(candidates: C[], sort: SortOrder): C[] {
  if (sort === 'file') return candidates;
  const dir = sort.startsWith('-') ? -1 : 1;
  const key = (c: C) => (sort.endsWith('score') ? c.quality_score : c.timestamp ? Date.parse(c.timestamp) : null);
  return candidates
    .map((c, i) => ({ c, i, k: key(c) }))
    .sort((a, b) => {
      if (a.k === null || Number.isNaN(a.k)) return b.k === null || Number.isNaN(b.k) ? a.i - b.i : 1;
      if (b.k === null || Number.isNaN(b.k)) return -1;
      return a.k === b.k ? a.i - b.i : (a.k - b.k) * dir;
    })
    .map((x) => x.c);
}
