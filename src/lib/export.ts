/**
 * Where the export is compiled: candidates plus corrections → fine-tuning lines, the
 * manifest's counts, and the conflicts between reviewers. Pure and streaming: the
 * ExportCompiler takes the corrections of one candidate at a time, so the caller can
 * read and write files without holding all corrections in memory.
 */
import type { LocatedCandidate } from './candidates.ts';
import type { Problem } from './errors.ts';
import type { Action, Correction, ExportLine, FailureCategory, Message } from './schema-types.ts';
import { decidingCorrection, groupByCandidate } from './review-state.ts';
import { ACTIONS, FAILURE_CATEGORIES } from './schemas.ts';
import { checkAgainstSchema } from './validate.ts';

/** A correction and the file it was read from. */
export interface LocatedCorrection {
  correction: Correction;
  file: string;
}

/**
 * How one decision is chosen when several reviewers decided a candidate:
 * - `majority` (default): the action more than half of the reviewers chose; a tie or a
 *   split is a conflict. One reviewer is a majority; a third reviewer settles a 1–1 split.
 * - `unanimous`: only when every reviewer chose the same action.
 * - `latest`: the latest decision, whatever the others said (never a conflict).
 * In every case the chosen action's latest correction gives the text and the category.
 */
export type ResolvePolicy = 'majority' | 'unanimous' | 'latest';
export const RESOLVE_POLICIES: ResolvePolicy[] = ['majority', 'unanimous', 'latest'];

export type CategoryFilter = FailureCategory | 'none';

export interface ExportOptions {
  /** `full`: messages plus ids, labels and metadata; `messages`: only `messages`. */
  format: 'full' | 'messages';
  resolve: ResolvePolicy;
  /** Deciding actions to export (default: correct). Others use the model's original response. */
  actions: Action[];
  /** Categories to export, `none` for lines without one; all when not given. */
  categories?: CategoryFilter[];
}

export const DEFAULT_EXPORT_OPTIONS: ExportOptions = { format: 'full', resolve: 'majority', actions: ['correct'] };

/** Reviewers who disagree about a candidate under the chosen policy. */
export interface Conflict {
  candidate_id: string;
  decisions: { reviewer: string; action: Action; failure_category: FailureCategory | null; decided_at: string }[];
}

export interface ExportCounts {
  candidates: number;
  corrections: number;
  /** Candidates with at least one correction. */
  decided: number;
  /** Decided candidates per resolved action (conflicts not included). */
  by_action: Record<string, number>;
  conflicts: number;
  /** Candidates whose resolved action is exported but whose category --category leaves out (other actions show in by_action). */
  filtered_out: number;
  lines: number;
  /** Exported lines per failure category; `none` counts lines without one. */
  by_category: Record<string, number>;
  /** Exported lines per model id. */
  by_model: Record<string, number>;
  /** Exported lines per benchmark run. */
  by_run: Record<string, number>;
}

/** A line of `--format messages`. */
export type MessagesLine = Pick<ExportLine, 'messages'>;

/**
 * Chooses the deciding correction of one candidate under `policy`.
 * @returns the decision, or the conflict when the policy cannot choose.
 */
export function resolveDecision(corrections: Correction[], policy: ResolvePolicy): { decision: Correction } | { conflict: Conflict } {
  if (policy === 'latest' || corrections.length === 1) return { decision: decidingCorrection(corrections)! };
  const byAction = new Map<Action, Correction[]>();
  for (const c of corrections) byAction.set(c.action, [...(byAction.get(c.action) ?? []), c]);
  const group = [...byAction.values()].sort((a, b) => b.length - a.length)[0]!;
  const wins = policy === 'unanimous' ? byAction.size === 1 : group.length * 2 > corrections.length;
  if (wins) return { decision: decidingCorrection(group)! };
  return {
    conflict: {
      candidate_id: corrections[0]!.candidate_id,
      decisions: [...corrections]
        .sort((a, b) => Date.parse(a.decided_at) - Date.parse(b.decided_at))
        .map((c) => ({ reviewer: c.reviewer.email, action: c.action, failure_category: c.failure_category ?? null, decided_at: c.decided_at })),
    },
  };
}

/** Compiles export lines one candidate at a time, keeping only counts, conflicts and problems. */
export class ExportCompiler {
  readonly problems: Problem[] = [];
  readonly conflicts: Conflict[] = [];
  private readonly candidates: Map<string, LocatedCandidate>;
  private readonly options: ExportOptions;
  private readonly counts: ExportCounts;

  constructor(candidates: Map<string, LocatedCandidate>, options: ExportOptions = DEFAULT_EXPORT_OPTIONS) {
    this.candidates = candidates;
    this.options = options;
    this.counts = {
      candidates: candidates.size,
      corrections: 0,
      decided: 0,
      by_action: Object.fromEntries(ACTIONS.map((a) => [a.value, 0])),
      conflicts: 0,
      filtered_out: 0,
      lines: 0,
      by_category: Object.fromEntries([...FAILURE_CATEGORIES.map((c) => [c.value, 0]), ['none', 0]]),
      by_model: {},
      by_run: {},
    };
  }

  /**
   * Takes every correction of one candidate.
   * @returns the line to write, or undefined (not `correct`, filtered out, a conflict, or a problem).
   */
  add(group: LocatedCorrection[]): ExportLine | MessagesLine | undefined {
    this.counts.corrections += group.length;
    const id = group[0]!.correction.candidate_id;
    const located = this.candidates.get(id);
    if (!located) {
      for (const c of group) {
        this.problems.push({ file: c.file, path: 'candidate_id', message: `refers to unknown candidate ${JSON.stringify(id)}; import its run into candidates/ or delete this file` });
      }
      return undefined;
    }
    this.counts.decided += 1;
    const resolved = resolveDecision(group.map((c) => c.correction), this.options.resolve);
    if ('conflict' in resolved) {
      this.counts.conflicts += 1;
      this.conflicts.push(resolved.conflict);
      return undefined;
    }
    const decision = resolved.decision;
    this.counts.by_action[decision.action] = (this.counts.by_action[decision.action] ?? 0) + 1;
    const category: CategoryFilter = decision.failure_category ?? 'none';
    if (!this.options.actions.includes(decision.action)) return undefined;
    if (this.options.categories && !this.options.categories.includes(category)) {
      this.counts.filtered_out += 1;
      return undefined;
    }

    const { candidate, file, line } = located;
    const messages: Message[] = [];
    let bad = false;
    candidate.prompt_messages.forEach((m, i) => {
      if (m.content.trim() === '') {
        if (m.role === 'system') return; // chat fine-tuning formats reject empty system messages
        this.problems.push({ file, line, path: `prompt_messages[${i}].content`, message: `is empty in a ${m.role} message, which fine-tuning formats reject; fix the candidate or discard it` });
        bad = true;
        return;
      }
      messages.push({ role: m.role, content: m.content });
    });
    // A correction's text, or for an exported discard/flag the model's own response.
    const answer = decision.action === 'correct' ? decision.corrected_response! : candidate.model_response;
    if (answer.trim() === '') {
      this.problems.push({ file, line, path: 'model_response', message: `is empty, so this ${decision.action} cannot be exported; leave ${decision.action} out of --action` });
      bad = true;
    }
    if (bad) return undefined;
    messages.push({ role: 'assistant', content: answer });

    const exportLine: ExportLine = {
      messages,
      candidate_id: id,
      action: decision.action,
      failure_category: decision.failure_category ?? null,
      benchmark_run_id: candidate.benchmark_run_id,
      task_id: candidate.task_id ?? null,
      task_type: candidate.task_type,
      model_id: candidate.model_id,
      quality_score: candidate.quality_score,
      reviewer: decision.reviewer.email,
      decided_at: decision.decided_at,
    };
    const decisionFile = group.find((c) => c.correction === decision)!.file;
    // The export schema is the contract with the fine-tuning job: check every line.
    const lineProblems = checkAgainstSchema('exportLine', exportLine, { file: decisionFile });
    if (lineProblems.length) {
      this.problems.push(...lineProblems.map((p) => ({ ...p, message: `${p.message} (in the export line built from this correction)` })));
      return undefined;
    }
    this.counts.lines += 1;
    this.counts.by_category[category] = (this.counts.by_category[category] ?? 0) + 1;
    this.counts.by_model[candidate.model_id] = (this.counts.by_model[candidate.model_id] ?? 0) + 1;
    this.counts.by_run[candidate.benchmark_run_id] = (this.counts.by_run[candidate.benchmark_run_id] ?? 0) + 1;
    return this.options.format === 'messages' ? { messages } : exportLine;
  }

  /** The counts so far, with per-model and per-run keys sorted. */
  result(): ExportCounts {
    return { ...this.counts, by_model: sortKeys(this.counts.by_model), by_run: sortKeys(this.counts.by_run) };
  }
}

export interface CompiledExport {
  lines: (ExportLine | MessagesLine)[];
  counts: ExportCounts;
  conflicts: Conflict[];
  problems: Problem[];
}

/**
 * Compiles a whole export in memory (tests, small repositories): corrections grouped by
 * candidate, candidates in the order of their correction paths (a hash of the id).
 */
export function compileExport(
  candidates: Map<string, LocatedCandidate>,
  corrections: LocatedCorrection[],
  options: ExportOptions = DEFAULT_EXPORT_OPTIONS,
): CompiledExport {
  const compiler = new ExportCompiler(candidates, options);
  const fileOf = new Map(corrections.map((c) => [c.correction, c.file]));
  const groups = [...groupByCandidate(corrections.map((c) => c.correction)).values()]
    .map((g) => g.map((correction) => ({ correction, file: fileOf.get(correction)! })))
    .sort((a, b) => compareOrdinal(a[0]!.file, b[0]!.file));
  const lines = groups.map((g) => compiler.add(g)).filter((l) => l !== undefined);
  return { lines, counts: compiler.result(), conflicts: compiler.conflicts, problems: compiler.problems };
}

/** One JSONL line (with its `\n`): keys in a fixed order, UTF-8 as is, no BOM. */
export function serializeExportLine(line: ExportLine | MessagesLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** Orders strings by UTF-16 code unit, independent of locale, for deterministic output. */
export function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareOrdinal(a, b)));
}
