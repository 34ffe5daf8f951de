// The polarity table: what each resolved decision makes of the model's answer in the
// formats that judge it. scoring_artifact says the answer was right, so it is never
// rejected or a negative; a flagged answer is the clearest negative; a discard says nothing.
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { createCorrection } from '../../src/lib/records/correction.ts';
import { DEFAULT_EXPORT_OPTIONS, PAIR_FORMAT_ACTIONS, POLARITY, type ExportOptions } from '../../src/lib/export/export-format.ts';
import { compileExport } from '../helpers/compile-export.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { ACTIONS, FAILURE_CATEGORIES } from '../../src/lib/records/schemas.ts';
import type { KTOLine, OpenAIPreferenceLine, PreferenceLine } from '../../src/lib/records/schema-types.generated.ts';
import { candidateLine } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';

const MODEL = 'The model said this.';
const FIXED = 'The reviewer wrote this.';
const { candidates: located } = parseCandidateFile(`${candidateLine({ id: 'c1', model_response: MODEL })}\n`, 'candidates/run_test.jsonl');
const { byId } = indexCandidates(located);

/** What one decision gives in a judging format: [text, label] per kto line, [chosen, rejected] per pair. */
function linesOf(format: 'preference' | 'openai-preference' | 'kto', action: string, category: string | null, unchanged: boolean) {
  const text = action !== 'correct' ? null : unchanged ? MODEL : FIXED;
  const correction = createCorrection(
    { candidate_id: 'c1', action: action as 'correct', corrected_response: text, failure_category: category as 'wrong_answer' | null, unchanged },
    ann,
    new Date(Date.UTC(2024, 0, 1)),
    { modelResponse: MODEL },
  );
  const options: ExportOptions = { ...DEFAULT_EXPORT_OPTIONS, format, actions: PAIR_FORMAT_ACTIONS[format] };
  const out = compileExport(byId, [{ correction, file: correctionPath('c1', ann.email) }], options);
  expect(out.problems).toEqual([]);
  const lines = out.lines.map((l) =>
    format === 'kto'
      ? [(l as KTOLine).completion[0]!.content, (l as KTOLine).label]
      : format === 'preference'
        ? [(l as PreferenceLine).chosen[0]!.content, (l as PreferenceLine).rejected[0]!.content]
        : [(l as OpenAIPreferenceLine).preferred_output[0]!.content, (l as OpenAIPreferenceLine).non_preferred_output[0]!.content],
  );
  return { lines, rules: out.counts.by_rule };
}

describe('the polarity table', () => {
  for (const { value: action } of ACTIONS) {
    for (const category of [null, ...FAILURE_CATEGORIES.map((c) => c.value)]) {
      for (const unchanged of action === 'correct' ? [false, true] : [false]) {
        const name = `${action} / ${category ?? 'no category'}${unchanged ? ' / unchanged' : ''}`;
        it(`${name}: preference, openai-preference and kto follow the table`, () => {
          const artifact = category === 'scoring_artifact';
          const pref = linesOf('preference', action, category, unchanged);
          // OpenAI's preference format carries the same pairs.
          expect(linesOf('openai-preference', action, category, unchanged)).toEqual(pref);
          const kto = linesOf('kto', action, category, unchanged);
          if (action === 'correct') {
            expect(pref.lines).toEqual(unchanged || artifact ? [] : [[FIXED, MODEL]]);
            if (unchanged) expect(kto.lines).toEqual([[MODEL, true]]);
            else
              expect(kto.lines).toEqual([
                [FIXED, true],
                [MODEL, artifact],
              ]);
          } else {
            expect(pref.lines).toEqual([]);
            expect(kto.lines).toEqual(action === 'flag' && !artifact ? [[MODEL, false]] : []);
          }
          // The model's answer is never rejected or a negative when the category says it was right.
          if (artifact) {
            expect(pref.lines.filter(([, rejected]) => rejected === MODEL)).toEqual([]);
            expect(kto.lines.filter(([t, label]) => t === MODEL && label === false)).toEqual([]);
          }
          const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
          expect(total(pref.rules)).toBe(pref.lines.length);
          expect(total(kto.rules)).toBe(kto.lines.length);
          if (action === 'flag' && !artifact) expect(kto.rules).toEqual({ [POLARITY.flaggedFalse]: 1 });
        });
      }
    }
  }
});
