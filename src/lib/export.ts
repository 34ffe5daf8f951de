/**
 * Where the export is compiled: candidates plus corrections → fine-tuning lines and the
 * manifest's counts. Pure: the CLI reads the files and writes the result.
 */
import type { Problem } from './errors.ts';
import type { LocatedCandidate } from './candidates.ts';
import type { Correction, ExportLine, Message } from './schema-types.ts';
import { decidingCorrection, groupByCandidate } from './review-state.ts';
import { ACTIONS, FAILURE_CATEGORIES } from './schemas.ts';
import { checkAgainstSchema } from './validate.ts';

/** A correction and the file it was read from. */
export interface LocatedCorrection {
  correction: Correction;
  file: string;
}

export interface ExportCounts {
  candidates: number;
  corrections: number;
  /** Candidates per deciding action (one deciding correction per decided candidate). */
  by_action: Record<string, number>;
  /** Exported lines per failure category; `none` counts lines without one. */
  by_category: Record<string, number>;
  /** Exported lines per model id. */
  by_model: Record<string, number>;
  lines: number;
}

export interface CompiledExport {
  lines: ExportLine[];
  counts: ExportCounts;
  problems: Problem[];
}

/**
 * Compiles one export line per candidate whose deciding correction is `correct`,
 * ordered by candidate id. Empty system messages are dropped; any other empty message
 * is a problem (fine-tuning formats reject it), as is a correction of an unknown candidate.
 */
export function compileExport(candidates: Map<string, LocatedCandidate>, corrections: LocatedCorrection[]): CompiledExport {
  const problems: Problem[] = [];
  const fileOf = new Map<Correction, string>(corrections.map((c) => [c.correction, c.file]));
  const groups = groupByCandidate(corrections.map((c) => c.correction));
  const by_action: Record<string, number> = Object.fromEntries(ACTIONS.map((a) => [a.value, 0]));
  const by_category: Record<string, number> = Object.fromEntries([...FAILURE_CATEGORIES.map((c) => [c.value, 0]), ['none', 0]]);
  const by_model: Record<string, number> = {};
  const lines: ExportLine[] = [];

  for (const id of [...groups.keys()].sort(compareOrdinal)) {
    const group = groups.get(id)!;
    const located = candidates.get(id);
    if (!located) {
      for (const c of group) {
        problems.push({ file: fileOf.get(c)!, path: 'candidate_id', message: `refers to unknown candidate ${JSON.stringify(id)}; import its run into candidates/ or delete this file` });
      }
      continue;
    }
    const decision = decidingCorrection(group)!;
    by_action[decision.action] = (by_action[decision.action] ?? 0) + 1;
    if (decision.action !== 'correct') continue;

    const { candidate, file, line } = located;
    const messages: Message[] = [];
    let bad = false;
    candidate.prompt_messages.forEach((m, i) => {
      if (m.content.trim() === '') {
        if (m.role === 'system') return; // chat fine-tuning formats reject empty system messages
        problems.push({ file, line, path: `prompt_messages[${i}].content`, message: `is empty in a ${m.role} message, which fine-tuning formats reject; fix the candidate or discard it` });
        bad = true;
        return;
      }
      messages.push({ role: m.role, content: m.content });
    });
    if (bad) continue;
    messages.push({ role: 'assistant', content: decision.corrected_response! });

    const exportLine: ExportLine = {
      messages,
      candidate_id: id,
      failure_category: decision.failure_category ?? null,
      benchmark_run_id: candidate.benchmark_run_id,
      task_id: candidate.task_id ?? null,
      task_type: candidate.task_type,
      model_id: candidate.model_id,
      quality_score: candidate.quality_score,
      reviewer: decision.reviewer.email,
      decided_at: decision.decided_at,
    };
    // The export schema is the contract with the fine-tuning job: check every line.
    const lineProblems = checkAgainstSchema('exportLine', exportLine, { file: fileOf.get(decision)! });
    if (lineProblems.length) {
      problems.push(...lineProblems.map((p) => ({ ...p, message: `${p.message} (in the export line built from this correction)` })));
      continue;
    }
    lines.push(exportLine);
    by_category[exportLine.failure_category ?? 'none'] = (by_category[exportLine.failure_category ?? 'none'] ?? 0) + 1;
    by_model[candidate.model_id] = (by_model[candidate.model_id] ?? 0) + 1;
  }

  return {
    lines,
    problems,
    counts: { candidates: candidates.size, corrections: corrections.length, by_action, by_category, by_model: sortKeys(by_model), lines: lines.length },
  };
}

/** One JSONL line (with its `\n`): keys in a fixed order, UTF-8 as is, no BOM. */
export function serializeExportLine(line: ExportLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** Orders strings by UTF-16 code unit, independent of locale, for deterministic output. */
export function compareOrdinal(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareOrdinal(a, b)));
}
