/**
 * Agreement between reviewers, accumulated one candidate at a time (no texts kept):
 * Cohen's kappa per reviewer pair on action and on category (no category counts as
 * its own value, `none`), the exact-match rate of their corrected responses where both
 * corrected, and Fleiss' kappa across all reviewers (the form for a varying number of
 * reviewers per candidate; candidates with one reviewer do not count).
 */
import { normalizeEmail } from '../records/paths.ts';
import type { Correction } from '../records/schema-types.generated.ts';
import { compareOrdinal } from '../ordinal.ts';

export interface PairAgreement {
  reviewers: [string, string];
  /** Candidates both decided. */
  candidates: number;
  /** Share of those where both chose the same action. */
  action_agreement: number;
  /** Cohen's kappa on action; null when it is undefined (both always chose one and the same value). */
  action_kappa: number | null;
  category_agreement: number;
  category_kappa: number | null;
  /** Candidates both corrected. */
  both_corrected: number;
  /** Share of those where the corrected responses are identical; null when none. */
  exact_match: number | null;
}

export interface FleissAgreement {
  /** Candidates with two or more reviewers. */
  candidates: number;
  reviewers: number;
  action_kappa: number | null;
  category_kappa: number | null;
}

export interface AgreementReport {
  pairs: PairAgreement[];
  fleiss: FleissAgreement;
}

type Table = Map<string, number>;

interface PairCounts {
  n: number;
  action: Table;
  category: Table;
  bothCorrected: number;
  exact: number;
}

class FleissCounts {
  items = 0;
  sumP = 0;
  totals = new Map<string, number>();
  ratings = 0;

  add(values: string[]) {
    const n = values.length;
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
    let agree = 0;
    for (const [v, c] of counts) {
      agree += c * (c - 1);
      this.totals.set(v, (this.totals.get(v) ?? 0) + c);
    }
    this.sumP += agree / (n * (n - 1));
    this.items += 1;
    this.ratings += n;
  }

  kappa(): number | null {
    if (!this.items) return null;
    const pBar = this.sumP / this.items;
    let pe = 0;
    for (const c of this.totals.values()) pe += (c / this.ratings) ** 2;
    return pe === 1 ? null : (pBar - pe) / (1 - pe);
  }
}

/** Cohen's kappa from a table of `a|b` pair counts. */
export function cohensKappa(table: Table): { agreement: number; kappa: number | null } {
  let n = 0;
  let same = 0;
  const left = new Map<string, number>();
  const right = new Map<string, number>();
  for (const [key, count] of table) {
    const [a, b] = key.split('|') as [string, string];
    n += count;
    if (a === b) same += count;
    left.set(a, (left.get(a) ?? 0) + count);
    right.set(b, (right.get(b) ?? 0) + count);
  }
  if (!n) return { agreement: 0, kappa: null };
  const po = same / n;
  let pe = 0;
  for (const [v, c] of left) pe += (c / n) * ((right.get(v) ?? 0) / n);
  return { agreement: po, kappa: pe === 1 ? null : (po - pe) / (1 - pe) };
}

export class AgreementCompiler {
  private readonly pairs = new Map<string, PairCounts>();
  private readonly reviewers = new Set<string>();
  private readonly fleissAction = new FleissCounts();
  private readonly fleissCategory = new FleissCounts();

  /** Takes every correction of one candidate. */
  add(corrections: Correction[]) {
    const byReviewer = new Map<string, Correction>();
    for (const c of corrections) byReviewer.set(normalizeEmail(c.reviewer.email), c);
    const people = [...byReviewer.keys()].sort(compareOrdinal);
    people.forEach((p) => this.reviewers.add(p));
    if (people.length < 2) return;
    this.fleissAction.add(people.map((p) => byReviewer.get(p)!.action));
    this.fleissCategory.add(people.map((p) => byReviewer.get(p)!.failure_category ?? 'none'));
    for (let i = 0; i < people.length; i++) {
      for (let j = i + 1; j < people.length; j++) {
        const a = byReviewer.get(people[i]!)!;
        const b = byReviewer.get(people[j]!)!;
        const key = `${people[i]}\n${people[j]}`;
        const counts = this.pairs.get(key) ?? { n: 0, action: new Map(), category: new Map(), bothCorrected: 0, exact: 0 };
        counts.n += 1;
        bump(counts.action, `${a.action}|${b.action}`);
        bump(counts.category, `${a.failure_category ?? 'none'}|${b.failure_category ?? 'none'}`);
        if (a.action === 'correct' && b.action === 'correct') {
          counts.bothCorrected += 1;
          if (a.corrected_response === b.corrected_response) counts.exact += 1;
        }
        this.pairs.set(key, counts);
      }
    }
  }

  result(): AgreementReport {
    const pairs = [...this.pairs]
      .sort(([a], [b]) => compareOrdinal(a, b))
      .map(([key, c]): PairAgreement => {
        const action = cohensKappa(c.action);
        const category = cohensKappa(c.category);
        return {
          reviewers: key.split('\n') as [string, string],
          candidates: c.n,
          action_agreement: action.agreement,
          action_kappa: action.kappa,
          category_agreement: category.agreement,
          category_kappa: category.kappa,
          both_corrected: c.bothCorrected,
          exact_match: c.bothCorrected ? c.exact / c.bothCorrected : null,
        };
      });
    return {
      pairs,
      fleiss: {
        candidates: this.fleissAction.items,
        reviewers: this.reviewers.size,
        action_kappa: this.fleissAction.kappa(),
        category_kappa: this.fleissCategory.kappa(),
      },
    };
  }
}

function bump(table: Table, key: string) {
  table.set(key, (table.get(key) ?? 0) + 1);
}
