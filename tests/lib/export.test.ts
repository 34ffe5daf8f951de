import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile, type LocatedCandidate } from '../../src/lib/records/candidates.ts';
import { createCorrection } from '../../src/lib/records/correction.ts';
import { DEFAULT_EXPORT_OPTIONS, serializeExportLine } from '../../src/lib/export/export-format.ts';
import { compileExport } from '../helpers/compile-export.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import type { Decision } from '../../src/lib/records/correction.ts';
import type { ExportLine } from '../../src/lib/records/schema-types.generated.ts';
import { DATA_CANDIDATES, candidateLine, dataRuns } from '../helpers/repo.ts';
import { checkExportRules } from '../helpers/export-rules.ts';
import { computeStats } from '../../src/lib/review/stats.ts';
import type { LocatedCorrection } from '../../src/lib/records/correction.ts';

const ann = { name: 'Ann', email: 'ann@example.org' };
const bob = { name: 'Bob', email: 'bob@example.org' };

function candidates(...lines: string[]): Map<string, LocatedCandidate> {
  return indexCandidates(parseCandidateFile(lines.join('\n') + '\n', 'candidates/run.jsonl').candidates).byId;
}
function decided(decision: Decision, reviewer = ann, at = '2024-05-01T12:00:00Z'): LocatedCorrection {
  const correction = createCorrection(decision, reviewer, new Date(at));
  return { correction, file: correctionPath(decision.candidate_id, reviewer.email) };
}

describe('compileExport', () => {
  it('exports one line per correct decision in correction-path order, dropping the empty system message, category null when not given', () => {
    const c = candidates(candidateLine({ id: 'b' }), candidateLine({ id: 'a' }), candidateLine({ id: 'd' }));
    const out = compileExport(c, [
      decided({ candidate_id: 'b', action: 'correct', corrected_response: '4', failure_category: 'wrong_answer' }),
      decided({ candidate_id: 'a', action: 'correct', corrected_response: 'four' }),
      decided({ candidate_id: 'd', action: 'discard', failure_category: 'scoring_artifact' }),
    ]);
    expect(out.problems).toEqual([]);
    const line = (id: string, category: string | null, answer: string) =>
      `{"messages":[{"role":"user","content":"What is 2 + 2?"},{"role":"assistant","content":"${answer}"}],"candidate_id":"${id}","action":"correct","failure_category":${JSON.stringify(category)},"benchmark_run_id":"run_test","task_id":"test/1","task_type":"math","model_id":"org/model-a","quality_score":0.1,"reference_answer":null,"reviewer":"ann@example.org","decided_at":"2024-05-01T12:00:00.000Z","started_from":null}\n`;
    const expected = [
      [correctionPath('a', ann.email), line('a', null, 'four')],
      [correctionPath('b', ann.email), line('b', 'wrong_answer', '4')],
    ].sort(([x], [y]) => (x! < y! ? -1 : 1));
    expect(out.lines.map(serializeExportLine).join('')).toBe(expected.map(([, l]) => l).join(''));
    expect(out.counts).toEqual({
      candidates: 3,
      corrections: 3,
      decided: 3,
      by_action: { correct: 2, discard: 1, flag: 0 },
      conflicts: 0,
      adjudicated: 0,
      filtered_out: 0,
      unchanged: 0,
      excluded_unchanged: 0,
      normalized: 0,
      earlier_turns: { substituted: 0, kept: 0, ambiguous: 0 },
      no_pair: 0,
      by_rule: {},
      too_long: 0,
      control_token_targets: 0,
      duplicates: 0,
      system_prompts: 0,
      unreviewed_context: 0,
      unreviewed_context_left_out: 0,
      with_control_tokens: 0,
      lines: 2,
      by_category: { scoring_artifact: 0, style_violation: 0, partial_answer: 0, wrong_answer: 1, format_error: 0, hallucination: 0, none: 1 },
      by_model: { 'org/model-a': 2 },
      by_run: { run_test: 2 },
    });
  });

  it('writes only messages with --format messages', () => {
    const c = candidates(candidateLine({ id: 'a' }));
    const out = compileExport(c, [decided({ candidate_id: 'a', action: 'correct', corrected_response: 'four', failure_category: 'wrong_answer' })], {
      ...DEFAULT_EXPORT_OPTIONS,
      format: 'messages',
    });
    expect(out.lines.map(serializeExportLine)).toEqual(['{"messages":[{"role":"user","content":"What is 2 + 2?"},{"role":"assistant","content":"four"}]}\n']);
  });

  it('filters by resolved action and category, counting what it leaves out; an exported flag carries the model response', () => {
    const c = candidates(candidateLine({ id: 'a' }), candidateLine({ id: 'b' }), candidateLine({ id: 'c' }));
    const corrections = [
      decided({ candidate_id: 'a', action: 'correct', corrected_response: 'four', failure_category: 'wrong_answer' }),
      decided({ candidate_id: 'b', action: 'flag', failure_category: 'hallucination' }),
      decided({ candidate_id: 'c', action: 'correct', corrected_response: 'IV' }),
    ];
    const onlyNone = compileExport(c, corrections, { ...DEFAULT_EXPORT_OPTIONS, categories: ['none'] });
    expect(onlyNone.lines.map((l) => (l as { candidate_id: string }).candidate_id)).toEqual(['c']);
    expect(onlyNone.counts.filtered_out).toBe(1);
    expect(onlyNone.counts.by_action).toEqual({ correct: 2, discard: 0, flag: 1 });
    const flags = compileExport(c, corrections, { ...DEFAULT_EXPORT_OPTIONS, actions: ['flag'] });
    expect(flags.lines).toEqual([
      expect.objectContaining({
        candidate_id: 'b',
        action: 'flag',
        failure_category: 'hallucination',
        messages: [
          { role: 'user', content: 'What is 2 + 2?' },
          { role: 'assistant', content: '5' },
        ],
      }),
    ]);
  });

  describe('when reviewers disagree', () => {
    const c = candidates(candidateLine({ id: 'a' }));
    const carol = { name: 'Carol', email: 'carol@example.org' };
    const annCorrects = decided({ candidate_id: 'a', action: 'correct', corrected_response: 'x', failure_category: 'wrong_answer' }, ann, '2024-05-01T10:00:00Z');
    const bobDiscards = decided({ candidate_id: 'a', action: 'discard' }, bob, '2024-05-01T09:00:00-02:00');
    const carolCorrects = decided({ candidate_id: 'a', action: 'correct', corrected_response: 'y', failure_category: 'partial_answer' }, carol, '2024-05-01T10:30:00Z');
    const ids = (out: ReturnType<typeof compileExport>) => out.lines.map((l) => (l as { messages: { content: string }[] }).messages.at(-1)!.content);

    it('majority (the default): a 1–1 split is a conflict, listed with every decision in time order', () => {
      const out = compileExport(c, [annCorrects, bobDiscards]);
      expect(out.lines).toEqual([]);
      expect(out.counts).toMatchObject({ decided: 1, conflicts: 1, by_action: { correct: 0, discard: 0, flag: 0 } });
      expect(out.conflicts).toEqual([
        {
          candidate_id: 'a',
          decisions: [
            { reviewer: 'ann@example.org', action: 'correct', failure_category: 'wrong_answer', decided_at: '2024-05-01T10:00:00.000Z' },
            { reviewer: 'bob@example.org', action: 'discard', failure_category: null, decided_at: '2024-05-01T11:00:00.000Z' },
          ],
        },
      ]);
    });

    it('majority: a third reviewer settles it, and the latest of the majority gives text and category', () => {
      const out = compileExport(c, [annCorrects, bobDiscards, carolCorrects]);
      expect(ids(out)).toEqual(['y']);
      expect(out.lines[0]).toMatchObject({ reviewer: 'carol@example.org', failure_category: 'partial_answer' });
    });

    it('unanimous: any disagreement is a conflict; agreement exports', () => {
      expect(compileExport(c, [annCorrects, bobDiscards, carolCorrects], { ...DEFAULT_EXPORT_OPTIONS, resolve: 'unanimous' }).counts.conflicts).toBe(1);
      expect(ids(compileExport(c, [annCorrects, carolCorrects], { ...DEFAULT_EXPORT_OPTIONS, resolve: 'unanimous' }))).toEqual(['y']);
    });

    it('latest: the latest decision wins, whatever the input order', () => {
      const options = { ...DEFAULT_EXPORT_OPTIONS, resolve: 'latest' as const };
      expect(compileExport(c, [annCorrects, bobDiscards], options).counts.by_action).toEqual({ correct: 0, discard: 1, flag: 0 });
      expect(compileExport(c, [bobDiscards, annCorrects], options).lines).toEqual([]);
    });
  });

  it('reports a correction of an unknown candidate and an empty user message instead of skipping them', () => {
    const c = candidates(candidateLine({ id: 'a', prompt_messages: [{ role: 'user', content: ' ' }] }));
    const out = compileExport(c, [
      decided({ candidate_id: 'a', action: 'correct', corrected_response: 'x' }),
      decided({ candidate_id: 'ghost', action: 'correct', corrected_response: 'x' }),
    ]);
    expect(out.lines).toEqual([]);
    expect(out.problems).toEqual([
      {
        file: 'candidates/run.jsonl',
        line: 1,
        path: 'prompt_messages[0].content',
        message: 'is empty in a user message, which fine-tuning formats reject; fix the candidate or discard it',
      },
      { file: correctionPath('ghost', ann.email), path: 'candidate_id', message: 'refers to unknown candidate "ghost"; import its run into candidates/ or delete this file' },
    ]);
  });

  it('compiles every real and messy candidate into lines that obey every export rule in DESIGN.md', () => {
    const located = dataRuns().flatMap(({ run, file }) => parseCandidateFile(readFileSync(file, 'utf8'), run).candidates);
    const { byId } = indexCandidates(located);
    const corrections = located.map(({ candidate }, i) =>
      decided({
        candidate_id: candidate.id,
        action: 'correct',
        corrected_response: candidate.model_response.trim() ? candidate.model_response : 'fixed',
        failure_category: i % 2 ? 'hallucination' : null,
      }),
    );
    const everything = { ...DEFAULT_EXPORT_OPTIONS, allowControlTokens: true, keepDuplicates: true };
    const out = compileExport(byId, corrections, everything);
    expect(out.problems).toEqual([]);
    expect(out.lines).toHaveLength(DATA_CANDIDATES);
    // By default, a line with a control token in its target, or the same as an earlier line, is left out and counted.
    const { counts } = compileExport(byId, corrections);
    expect(counts.control_token_targets).toBeGreaterThan(0);
    expect(counts.lines + counts.control_token_targets + counts.duplicates).toBe(DATA_CANDIDATES);
    const bytes = new TextEncoder().encode(out.lines.map(serializeExportLine).join(''));
    expect(checkExportRules(bytes)).toEqual([]);
    // 10 messy candidates carry an empty system message; none survives.
    expect(located.filter((l) => l.candidate.prompt_messages.some((m) => m.role === 'system' && m.content === ''))).toHaveLength(10);
    expect(out.lines.some((l) => (l as ExportLine).messages.some((m) => m.role === 'system' && m.content.trim() === ''))).toBe(false);
    // A system prompt with text is kept (--system keep, the default).
    expect(out.lines.filter((l) => (l as ExportLine).messages[0]!.role === 'system').map((l) => (l as ExportLine).candidate_id)).toEqual(['sftc_messy_07']);
    expect(compileExport(byId, [...corrections].reverse(), everything).lines).toEqual(out.lines);
  });

  it("counts runs, models and task types named like an object's own keys, and leaves Object.prototype alone", () => {
    const cands = candidates(
      candidateLine({ id: 'c1', benchmark_run_id: '__proto__', model_id: 'constructor', task_type: '__proto__' }),
      candidateLine({ id: 'c2', benchmark_run_id: 'toString', model_id: 'hasOwnProperty', task_type: 'valueOf' }),
    );
    const corrections = [decided({ candidate_id: 'c1', action: 'correct', corrected_response: 'A fixed answer.' }), decided({ candidate_id: 'c2', action: 'flag' })];
    const result = compileExport(cands, corrections);
    expect({ ...result.counts.by_model }).toEqual({ constructor: 1 });
    expect({ ...result.counts.by_run }).toEqual({ ['__proto__']: 1 });
    const stats = computeStats(cands, corrections);
    expect(Object.keys(stats.by_run).sort()).toEqual(['__proto__', 'toString']);
    expect(stats.by_task_type['__proto__']).toMatchObject({ candidates: 1, correct: 1 });
    expect(stats.by_model.hasOwnProperty).toMatchObject({ candidates: 1, flag: 1 });
    expect(stats.by_model_category.constructor).toEqual({ none: 1 });
    expect(({} as Record<string, unknown>).candidates).toBeUndefined();
  });
});
