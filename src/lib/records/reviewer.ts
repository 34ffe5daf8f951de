/** Reviewer identity: parsed from "Name <email>" or from git config, checked by the schema. */
import { PloverError } from '../errors.ts';
import type { Reviewer } from './schema-types.generated.ts';
import { checkAgainstSchema } from './schema-check.ts';
import { correctionSchema } from './schemas.ts';

/**
 * Parses `Name <email>` (the form git prints) into a reviewer.
 * @throws PloverError `E_REVIEWER` when the text is not of that form or the email is invalid.
 */
export function parseReviewer(text: string): Reviewer {
  const m = /^\s*([^<>]+?)\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!m) {
    throw new PloverError('E_REVIEWER', `reviewer ${JSON.stringify(text)} is not of the form "Name <email>", e.g. "Ann Lee <ann@example.org>"`);
  }
  return checkReviewer({ name: m[1]!, email: m[2]! });
}

/**
 * Checks a reviewer against the correction schema's reviewer definition.
 * @throws PloverError `E_REVIEWER` naming the bad field.
 */
export function checkReviewer(reviewer: Reviewer): Reviewer {
  // Validate through a minimal correction so the rule is the schema's, not a copy.
  const probe = { ...SAMPLE, reviewer };
  const problems = checkAgainstSchema('correction', probe, { file: 'reviewer' }).filter((p) => p.path?.startsWith('reviewer'));
  if (problems.length) {
    throw new PloverError('E_REVIEWER', `invalid reviewer: ${problems.map((p) => `${p.path} ${p.message}`).join('; ')}`, { problems });
  }
  return reviewer;
}

const SAMPLE = {
  schema_version: correctionSchema.properties.schema_version.const,
  candidate_id: 'x',
  action: 'discard',
  decided_at: '2024-01-01T00:00:00.000Z',
};

/** `Name <email>`, the way git writes an identity. */
export function formatReviewer(r: Reviewer): string {
  return `${r.name} <${r.email}>`;
}
