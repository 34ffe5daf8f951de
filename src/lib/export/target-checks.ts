/**
 * Checks of committed corrections as training targets, which `plover validate` reports
 * as warnings: a text that breaks the text rule (the export applies the rule to it), a
 * chat-template control token, and a correction that is the model's response unchanged
 * without saying so (written before plover asked).
 */
import type { LocatedCandidate } from '../records/candidates.ts';
import { controlTokensIn } from './control-tokens.ts';
import { isUnchangedResponse, textRuleBreaks } from '../records/target-text.ts';
import type { Problem } from '../errors.ts';
import type { LocatedCorrection } from '../records/correction.ts';

export interface TargetReport {
  warnings: Problem[];
  /** Corrections that are the model's response unchanged (confirmed or not). */
  unchanged: number;
}

/** Checks every `correct` correction's text; never fails, only reports. */
export function checkTargets(candidates: Map<string, LocatedCandidate>, corrections: LocatedCorrection[]): TargetReport {
  const warnings: Problem[] = [];
  let unchanged = 0;
  for (const { correction, file } of corrections) {
    const text = correction.corrected_response;
    if (correction.action !== 'correct' || typeof text !== 'string') continue;
    const path = 'corrected_response';
    const breaks = textRuleBreaks(text);
    if (breaks.length) {
      const what = breaks.join(' and ');
      warnings.push({
        file,
        path,
        message: `${what}, which the text rule removes; the export applies the rule to it (committed files are never rewritten; deciding again writes it clean)`,
      });
    }
    const tokens = controlTokensIn(text);
    if (tokens.length) {
      warnings.push({ file, path, message: `holds chat-template control tokens (${tokens.join(' ')}), which a tokenizer turns into real turn markers; decide again without them` });
    }
    const candidate = candidates.get(correction.candidate_id)?.candidate;
    if (candidate && isUnchangedResponse(text, candidate.model_response)) {
      unchanged += 1;
      if (!correction.unchanged) {
        warnings.push({
          file,
          path,
          message:
            "is the model's response unchanged, and the record does not say the model was right; decide again (edit the text, or confirm it unchanged), or leave it out with plover export --exclude-unchanged",
        });
      }
    }
  }
  return { warnings, unchanged };
}
