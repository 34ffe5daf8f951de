/**
 * Review statistics: how many candidates are undecided, decided (per resolved action),
 * in conflict and ready for export, overall and per run, model and task type; resolved
 * decisions per category; corrections per reviewer and by where they started. Accumulated one candidate at a time.
 */
import type { LocatedCandidate } from '../records/candidates.ts';
import { ExportCompiler } from '../export/export.ts';
import { DEFAULT_EXPORT_OPTIONS } from '../export/export-format.ts';
import { resolveDecision, type ResolvePolicy } from '../team/resolve.ts';
import { normalizeEmail, sha256Hex } from '../records/paths.ts';
import { FAILURE_CATEGORIES, START_KINDS } from '../records/schemas.ts';
import { groupByCandidate } from '../team/review-state.ts';
import { assignees, type Team } from '../team/team.ts';
import { compareOrdinal } from '../ordinal.ts';
import type { LocatedCorrection } from '../records/correction.ts';

export interface StateCounts {
  candidates: number;
  undecided: number;
  decided: number;
  correct: number;
  discard: number;
  flag: number;
  conflict: number;
  /** Candidates that the default export (`correct` lines) would write. */
  ready_for_export: number;
}

export interface Stats {
  resolve: ResolvePolicy;
  totals: StateCounts;
  by_run: Record<string, StateCounts>;
  by_model: Record<string, StateCounts>;
  by_task_type: Record<string, StateCounts>;
  /** Resolved decisions (every action) per failure category; `none` for none given. */
  by_category: Record<string, number>;
  /** Corrections per reviewer email. */
  by_reviewer: Record<string, number>;
  /** Resolved corrections that are the model's answer unchanged (the reviewer said the model was right). */
  unchanged: number;
  /** Candidates settled by an adjudicator's decision. */
  adjudicated: number;
  /** Resolved decisions per model and failure category. */
  by_model_category: Record<string, Record<string, number>>;
  /** Per reviewer: decisions with a recorded time on the candidate, their median and total, and decisions per hour of that time. */
  throughput: Record<string, { decisions: number; timed: number; median_ms: number | null; total_ms: number; per_hour: number | null }>;
  /**
   * Every reviewer's current corrections (`correct`) by where their text started
   * (started_from.kind; `not_recorded` when the record does not say): how many, how many
   * were committed as the start gave them, and the median time on the candidate.
   */
  by_start: Record<string, { corrections: number; unchanged_from_start: number; timed: number; median_ms: number | null }>;
  /** With a team in plover.config.json: each member's share (team.ts), how much of it they decided, and how much is still open for them. */
  team?: { overlap: number; members: Record<string, { assigned: number; decided: number; open: number }> };
}

type State = 'undecided' | 'correct' | 'discard' | 'flag' | 'conflict';

const emptyCounts = (): StateCounts => ({ candidates: 0, undecided: 0, decided: 0, correct: 0, discard: 0, flag: 0, conflict: 0, ready_for_export: 0 });

export class StatsCompiler {
  private readonly candidates: Map<string, LocatedCandidate>;
  private readonly resolve: ResolvePolicy;
  private readonly exporter: ExportCompiler;
  private readonly state = new Map<string, { state: State; ready: boolean }>();
  private readonly byCategory: Record<string, number> = Object.fromEntries([...FAILURE_CATEGORIES.map((c) => [c.value, 0]), ['none', 0]]);
  // Keyed by text from outside (emails, model ids): records without a prototype, so "__proto__" or "constructor" is a key like any.
  private readonly byReviewer: Record<string, number> = keyed();
  private readonly byModelCategory: Record<string, Record<string, number>> = keyed();
  private readonly durations = new Map<string, number[]>();
  private readonly starts = new Map<string, { corrections: number; unchanged_from_start: number; times: number[] }>();

  private readonly team: Team | null;
  private adjudicated = 0;
  /** Who decided each candidate (normalised emails). */
  private readonly deciders = new Map<string, Set<string>>();

  constructor(candidates: Map<string, LocatedCandidate>, resolve: ResolvePolicy, team: Team | null = null) {
    this.candidates = candidates;
    this.resolve = resolve;
    this.team = team;
    this.exporter = new ExportCompiler(candidates, { ...DEFAULT_EXPORT_OPTIONS, resolve });
  }

  /** Takes every correction of one candidate. */
  add(group: LocatedCorrection[]) {
    for (const c of group) {
      const email = normalizeEmail(c.correction.reviewer.email);
      this.byReviewer[email] = (this.byReviewer[email] ?? 0) + 1;
      if (c.correction.duration_ms !== undefined) this.durations.set(email, [...(this.durations.get(email) ?? []), c.correction.duration_ms]);
      if (c.correction.action === 'correct') this.countStart(c.correction);
    }
    const id = group[0]!.correction.candidate_id;
    if (!this.candidates.has(id)) return;
    this.deciders.set(id, new Set(group.map((c) => normalizeEmail(c.correction.reviewer.email))));
    const ready = this.exporter.add(group).length > 0;
    const resolved = resolveDecision(
      group.map((c) => c.correction),
      this.resolve,
    );
    if ('conflict' in resolved) {
      this.state.set(id, { state: 'conflict', ready });
      return;
    }
    this.state.set(id, { state: resolved.decision.action, ready });
    if (resolved.decision.adjudication) this.adjudicated += 1;
    const category = resolved.decision.failure_category ?? 'none';
    this.byCategory[category] = (this.byCategory[category] ?? 0) + 1;
    const model = (this.byModelCategory[this.candidates.get(id)!.candidate.model_id] ??= keyed());
    model[category] = (model[category] ?? 0) + 1;
  }

  private countStart(c: LocatedCorrection['correction']) {
    const kind = c.started_from?.kind ?? 'not_recorded';
    let s = this.starts.get(kind);
    if (!s) this.starts.set(kind, (s = { corrections: 0, unchanged_from_start: 0, times: [] }));
    s.corrections += 1;
    if (c.started_from && typeof c.corrected_response === 'string' && sha256Hex(c.corrected_response) === c.started_from.sha256) s.unchanged_from_start += 1;
    if (c.duration_ms !== undefined) s.times.push(c.duration_ms);
  }

  private teamProgress(team: Team): NonNullable<Stats['team']> {
    const members = Object.fromEntries(team.members.map((m) => [m, { assigned: 0, decided: 0, open: 0 }]));
    for (const id of this.candidates.keys()) {
      const deciders = this.deciders.get(id);
      for (const m of assignees(team, id)) {
        const p = members[m]!;
        p.assigned += 1;
        if (deciders?.has(m)) p.decided += 1;
        else if ((deciders?.size ?? 0) < team.overlap) p.open += 1;
      }
    }
    return { overlap: team.overlap, members };
  }

  result(): Stats {
    const totals = emptyCounts();
    const byRun: Record<string, StateCounts> = keyed();
    const byModel: Record<string, StateCounts> = keyed();
    const byTaskType: Record<string, StateCounts> = keyed();
    for (const [id, { candidate }] of this.candidates) {
      const s = this.state.get(id) ?? { state: 'undecided' as const, ready: false };
      for (const counts of [
        totals,
        (byRun[candidate.benchmark_run_id] ??= emptyCounts()),
        (byModel[candidate.model_id] ??= emptyCounts()),
        (byTaskType[candidate.task_type] ??= emptyCounts()),
      ]) {
        counts.candidates += 1;
        counts[s.state] += 1;
        if (s.state !== 'undecided') counts.decided += 1;
        if (s.ready) counts.ready_for_export += 1;
      }
    }
    return {
      resolve: this.resolve,
      totals,
      by_run: sorted(byRun),
      by_model: sorted(byModel),
      by_task_type: sorted(byTaskType),
      by_category: this.byCategory,
      by_reviewer: sorted(this.byReviewer),
      unchanged: this.exporter.result().unchanged,
      adjudicated: this.adjudicated,
      by_model_category: sorted(this.byModelCategory),
      throughput: sorted(
        Object.fromEntries(
          Object.entries(this.byReviewer).map(([email, decisions]) => {
            const times = this.durations.get(email) ?? [];
            const total = times.reduce((n, t) => n + t, 0);
            return [
              email,
              { decisions, timed: times.length, median_ms: median(times), total_ms: total, per_hour: total > 0 ? Math.round((times.length / total) * 3_600_000 * 10) / 10 : null },
            ];
          }),
        ),
      ),
      by_start: Object.fromEntries(
        [...START_KINDS.map((k) => k.value), 'not_recorded']
          .filter((kind) => this.starts.has(kind))
          .map((kind) => {
            const s = this.starts.get(kind)!;
            return [kind, { corrections: s.corrections, unchanged_from_start: s.unchanged_from_start, timed: s.times.length, median_ms: median(s.times) }];
          }),
      ),
      ...(this.team ? { team: this.teamProgress(this.team) } : {}),
    };
  }
}

/** The median of some numbers, or null for none. */
function median(values: number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The statistics of candidates and their current corrections (in any order). */
export function computeStats(
  candidates: Map<string, LocatedCandidate>,
  corrections: Iterable<LocatedCorrection>,
  team: Team | null = null,
  resolve: ResolvePolicy = DEFAULT_EXPORT_OPTIONS.resolve,
): Stats {
  const compiler = new StatsCompiler(candidates, resolve, team);
  for (const group of groupByCandidate(
    [...corrections].sort((a, b) => (a.file < b.file ? -1 : 1)),
    (c) => c.correction.candidate_id,
  ).values())
    compiler.add(group);
  return compiler.result();
}

/** An empty record without a prototype, for keys that come from outside. */
function keyed<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function sorted<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareOrdinal(a, b)));
}
