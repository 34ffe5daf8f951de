import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile, type LocatedCandidate } from '../../src/lib/candidates.ts';
import { createCorrection } from '../../src/lib/correction.ts';
import { compileExport, serializeExportLine, type LocatedCorrection } from '../../src/lib/export.ts';
import { correctionPath } from '../../src/lib/paths.ts';
import type { Decision } from '../../src/lib/correction.ts';
import { candidateLine, sharedRuns } from '../helpers/repo.ts';
import { checkExportRules } from '../helpers/export-rules.ts';

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
  it('exports one line per correct decision, dropping the empty system message, category null when not given', () => {
    const c = candidates(candidateLine({ id: 'b' }), candidateLine({ id: 'a' }), candidateLine({ id: 'd' }));
    const out = compileExport(c, [
      decided({ candidate_id: 'b', action: 'correct', corrected_response: '4', failure_category: 'wrong_answer' }),
      decided({ candidate_id: 'a', action: 'correct', corrected_response: 'four' }),
      decided({ candidate_id: 'd', action: 'discard', failure_category: 'scoring_artifact' }),
    ]);
    expect(out.problems).toEqual([]);
    expect(out.lines.map(serializeExportLine).join('')).toBe(
      '{"messages":[{"role":"user","content":"What is 2 + 2?"},{"role":"assistant","content":"four"}],"candidate_id":"a","failure_category":null,"benchmark_run_id":"run_test","task_id":"test/1","task_type":"math","model_id":"org/model-a","quality_score":0.1,"reviewer":"ann@example.org","decided_at":"2024-05-01T12:00:00.000Z"}\n' +
        '{"messages":[{"role":"user","content":"What is 2 + 2?"},{"role":"assistant","content":"4"}],"candidate_id":"b","failure_category":"wrong_answer","benchmark_run_id":"run_test","task_id":"test/1","task_type":"math","model_id":"org/model-a","quality_score":0.1,"reviewer":"ann@example.org","decided_at":"2024-05-01T12:00:00.000Z"}\n',
    );
    expect(out.counts).toEqual({
      candidates: 3,
      corrections: 3,
      by_action: { correct: 2, discard: 1, flag: 0 },
      by_category: { scoring_artifact: 0, style_violation: 0, partial_answer: 0, wrong_answer: 1, format_error: 0, hallucination: 0, none: 1 },
      by_model: { 'org/model-a': 2 },
      lines: 2,
    });
  });

  it('lets the latest decision decide when reviewers disagree, whatever the input order', () => {
    const c = candidates(candidateLine({ id: 'a' }));
    const early = decided({ candidate_id: 'a', action: 'correct', corrected_response: 'x' }, ann, '2024-05-01T10:00:00Z');
    const late = decided({ candidate_id: 'a', action: 'discard' }, bob, '2024-05-01T09:00:00-02:00');
    expect(compileExport(c, [early, late]).lines).toEqual([]);
    expect(compileExport(c, [late, early]).counts.by_action).toEqual({ correct: 0, discard: 1, flag: 0 });
  });

  it('reports a correction of an unknown candidate and an empty user message instead of skipping them', () => {
    const c = candidates(candidateLine({ id: 'a', prompt_messages: [{ role: 'user', content: ' ' }] }));
    const out = compileExport(c, [
      decided({ candidate_id: 'a', action: 'correct', corrected_response: 'x' }),
      decided({ candidate_id: 'ghost', action: 'correct', corrected_response: 'x' }),
    ]);
    expect(out.lines).toEqual([]);
    expect(out.problems).toEqual([
      { file: 'candidates/run.jsonl', line: 1, path: 'prompt_messages[0].content', message: 'is empty in a user message, which fine-tuning formats reject; fix the candidate or discard it' },
      { file: correctionPath('ghost', ann.email), path: 'candidate_id', message: 'refers to unknown candidate "ghost"; import its run into candidates/ or delete this file' },
    ]);
  });

  it('compiles all 2,250 real candidates into lines that obey every export rule in DESIGN.md', () => {
    const located = sharedRuns().flatMap(({ run, file }) => parseCandidateFile(readFileSync(file, 'utf8'), run).candidates);
    const { byId } = indexCandidates(located);
    const corrections = located.map(({ candidate }, i) =>
      decided({ candidate_id: candidate.id, action: 'correct', corrected_response: candidate.model_response.trim() ? candidate.model_response : 'fixed', failure_category: i % 2 ? 'hallucination' : null }),
    );
    const out = compileExport(byId, corrections);
    expect(out.problems).toEqual([]);
    expect(out.lines).toHaveLength(2250);
    const bytes = new TextEncoder().encode(out.lines.map(serializeExportLine).join(''));
    expect(checkExportRules(bytes)).toEqual([]);
    // 805 real candidates carry an empty system message; none survives.
    expect(located.filter((l) => l.candidate.prompt_messages.some((m) => m.role === 'system' && m.content === ''))).toHaveLength(805);
    expect(out.lines.some((l) => l.messages.some((m) => m.role === 'system'))).toBe(false);
    expect(compileExport(byId, [...corrections].reverse()).lines).toEqual(out.lines);
  });
});
