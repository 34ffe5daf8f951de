import { describe, expect, it } from 'vitest';
import { AgreementCompiler, cohensKappa } from '../../src/lib/team/agreement.ts';
import { createCorrection } from '../../src/lib/records/correction.ts';
import type { Action, Correction } from '../../src/lib/records/schema-types.generated.ts';

const at = new Date('2024-05-01T12:00:00Z');
const person = (n: number) => ({ name: `R${n}`, email: `r${n}@example.org` });
const decide = (id: string, reviewer: number, action: Action, text = 'x'): Correction =>
  createCorrection({ candidate_id: id, action, corrected_response: action === 'correct' ? text : null }, person(reviewer), at);

describe("Cohen's kappa", () => {
  it('matches the textbook example: 20 yes–yes, 5 yes–no, 10 no–yes, 15 no–no gives κ = 0.4', () => {
    const table = new Map([
      ['yes|yes', 20],
      ['yes|no', 5],
      ['no|yes', 10],
      ['no|no', 15],
    ]);
    const { agreement, kappa } = cohensKappa(table);
    expect(agreement).toBeCloseTo(0.7, 10);
    expect(kappa).toBeCloseTo(0.4, 10);
  });

  it('is undefined when both reviewers always chose one and the same value', () => {
    expect(cohensKappa(new Map([['a|a', 5]])).kappa).toBeNull();
  });

  it('is computed per reviewer pair from the candidates both decided, with the exact-match rate of their corrections', () => {
    const agreement = new AgreementCompiler();
    // 50 candidates: correct≈yes, discard≈no, in the textbook proportions; reviewer 3 decides only one.
    const plan: [Action, Action, number][] = [
      ['correct', 'correct', 20],
      ['correct', 'discard', 5],
      ['discard', 'correct', 10],
      ['discard', 'discard', 15],
    ];
    let i = 0;
    for (const [a, b, n] of plan) {
      for (let k = 0; k < n; k++, i++) {
        agreement.add([decide(`c${i}`, 1, a, 'same'), decide(`c${i}`, 2, b, i % 2 ? 'same' : 'other')]);
      }
    }
    agreement.add([decide('solo', 3, 'flag')]);
    const report = agreement.result();
    expect(report.pairs).toHaveLength(1);
    expect(report.pairs[0]).toMatchObject({ reviewers: ['r1@example.org', 'r2@example.org'], candidates: 50, both_corrected: 20 });
    expect(report.pairs[0]!.action_kappa).toBeCloseTo(0.4, 10);
    expect(report.pairs[0]!.category_kappa).toBeNull();
    expect(report.pairs[0]!.exact_match).toBeCloseTo(0.5, 10);
    expect(report.fleiss).toMatchObject({ candidates: 50, reviewers: 3 });
  });
});

describe("Fleiss' kappa", () => {
  it("matches Fleiss' classic example (10 subjects, 14 raters, 5 categories): κ ≈ 0.210", () => {
    // Rows: how many of the 14 raters put each subject in categories 1..5.
    const rows = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    // Five categories need more than three actions: use the failure category as the rating.
    const categories = ['scoring_artifact', 'style_violation', 'partial_answer', 'wrong_answer', 'format_error'] as const;
    const agreement = new AgreementCompiler();
    rows.forEach((row, s) => {
      const decisions: Correction[] = [];
      let rater = 0;
      row.forEach((count, cat) => {
        for (let k = 0; k < count; k++, rater++) {
          decisions.push(createCorrection({ candidate_id: `s${s}`, action: 'flag', failure_category: categories[cat] }, person(rater), at));
        }
      });
      agreement.add(decisions);
    });
    const { fleiss } = agreement.result();
    expect(fleiss.candidates).toBe(10);
    expect(fleiss.category_kappa).toBeCloseTo(0.20993, 4);
    expect(fleiss.action_kappa).toBeNull();
  });
});
