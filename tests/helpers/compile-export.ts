/**
 * A whole export compiled in memory, for tests: corrections grouped by candidate,
 * candidates in the order of their correction paths (a hash of the id), as
 * `plover export` streams them.
 */
import type { LocatedCandidate } from '../../src/lib/records/candidates.ts';
import { indexEarlierTurns } from '../../src/lib/export/earlier-turns.ts';
import type { Problem } from '../../src/lib/errors.ts';
import { ExportCompiler } from '../../src/lib/export/export.ts';
import { DEFAULT_EXPORT_OPTIONS, type ControlTokenLine, type ExportCounts, type ExportOptions, type ExportRecord } from '../../src/lib/export/export-format.ts';
import { summarizeLengths, type LengthSummary } from '../../src/lib/export/lengths.ts';
import { resolveCorrectedTurns, type Conflict } from '../../src/lib/team/resolve.ts';
import { groupByCandidate } from '../../src/lib/team/review-state.ts';
import { compareOrdinal } from '../../src/lib/ordinal.ts';
import type { LocatedCorrection } from '../../src/lib/records/correction.ts';

export interface CompiledExport {
  lines: ExportRecord[];
  counts: ExportCounts;
  conflicts: Conflict[];
  controlTokenLines: ControlTokenLine[];
  tooLong: { candidate_id: string; tokens: number }[];
  controlTokenTargets: { candidate_id: string; tokens: string[] }[];
  duplicates: { candidate_id: string; same_as: string }[];
  unreviewedContext: { candidate_id: string; turns: number; left_out: boolean }[];
  lengths: LengthSummary;
  problems: Problem[];
}

/** Compiles a whole export in memory. */
export function compileExport(
  candidates: Map<string, LocatedCandidate>,
  corrections: LocatedCorrection[],
  options: ExportOptions = DEFAULT_EXPORT_OPTIONS,
  countTokens?: (text: string) => number,
): CompiledExport {
  const earlier = indexEarlierTurns(candidates);
  const byCandidate = groupByCandidate(
    corrections.map((c) => c.correction),
    (c) => c.candidate_id,
  );
  const compiler = new ExportCompiler(candidates, options, {
    earlier: { turns: earlier.turns, corrected: resolveCorrectedTurns(byCandidate.values(), earlier.sources, options.resolve) },
    ...(countTokens ? { countTokens } : {}),
  });
  const fileOf = new Map(corrections.map((c) => [c.correction, c.file]));
  const groups = [...byCandidate.values()]
    .map((g) => g.map((correction) => ({ correction, file: fileOf.get(correction)! })))
    .sort((a, b) => compareOrdinal(a[0]!.file, b[0]!.file));
  const lines = groups.flatMap((g) => compiler.add(g));
  return {
    lines,
    counts: compiler.result(),
    conflicts: compiler.conflicts,
    controlTokenLines: compiler.controlTokenLines,
    tooLong: compiler.tooLong,
    controlTokenTargets: compiler.controlTokenTargets,
    duplicates: compiler.duplicates,
    unreviewedContext: compiler.unreviewedContext,
    lengths: summarizeLengths(compiler.lineTokens),
    problems: compiler.problems,
  };
}
