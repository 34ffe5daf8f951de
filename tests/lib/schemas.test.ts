import { describe, expect, it } from 'vitest';
import { ACTIONS, FAILURE_CATEGORIES, candidateSchema, correctionSchema, exportLineSchema } from '../../src/lib/records/schemas.ts';
import { checkAgainstSchema } from '../../src/lib/records/schema-check.ts';
import { candidateLine } from '../helpers/repo.ts';

const where = { file: 'f.json' };
const correction = (overrides: Record<string, unknown> = {}) => ({
  schema_version: 1,
  candidate_id: 'c1',
  action: 'correct',
  corrected_response: '4',
  failure_category: 'wrong_answer',
  reviewer: { name: 'Ann Lee', email: 'ann@example.org' },
  decided_at: '2024-05-01T12:00:00.000Z',
  ...overrides,
});
const without = (key: string) => {
  const c: Record<string, unknown> = correction();
  delete c[key];
  return c;
};

describe('the failure categories', () => {
  it('come from the correction schema with a label and a one-sentence description each', () => {
    expect(FAILURE_CATEGORIES.map((c) => c.value)).toEqual(['scoring_artifact', 'style_violation', 'partial_answer', 'wrong_answer', 'format_error', 'hallucination']);
    for (const c of FAILURE_CATEGORIES) {
      expect(c.label).toMatch(/^[A-Z][a-z]+( [a-z]+)?$/);
      expect(c.description).toMatch(/^[A-Z].+\.$/);
    }
    expect(ACTIONS.map((a) => a.label)).toEqual(['Correct', 'Discard', 'Flag']);
  });

  it("every property of every schema has a description (its own or its definition's)", () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== 'object') return;
      const props = (node as { properties?: Record<string, { description?: string; $ref?: string }> }).properties;
      for (const [k, v] of Object.entries(props ?? {})) {
        if (!v.description && !v.$ref) missing.push(`${path}.${k}`);
      }
      for (const [k, v] of Object.entries(node)) if (k !== 'if' && k !== 'then') walk(v, `${path}/${k}`);
    };
    for (const schema of [candidateSchema, correctionSchema, exportLineSchema]) walk(schema, schema.title);
    expect(missing).toEqual([]);
  });
});

describe('the correction schema', () => {
  it.each([
    ['a correction with a category', correction()],
    ['a correction without failure_category (records from before the field existed)', without('failure_category')],
    ['a correction with failure_category null', correction({ failure_category: null })],
    ['a discard with a category', correction({ action: 'discard', corrected_response: null, failure_category: 'scoring_artifact' })],
    [
      'a flag without corrected_response',
      (() => {
        const c = without('corrected_response');
        c.action = 'flag';
        return c;
      })(),
    ],
  ])('accepts %s', (_name, value) => {
    expect(checkAgainstSchema('correction', value, where)).toEqual([]);
  });

  it.each([
    ['a correct without corrected_response', without('corrected_response'), 'corrected_response', 'is required but missing when action is "correct"'],
    ['a blank correction', correction({ corrected_response: ' \n\t' }), 'corrected_response', 'must not be blank when action is "correct"'],
    ['a discard with a response', correction({ action: 'discard' }), 'corrected_response', 'must be null or absent unless action is "correct"'],
    [
      'an unknown category',
      correction({ failure_category: 'typo' }),
      'failure_category',
      'must be one of "scoring_artifact", "style_violation", "partial_answer", "wrong_answer", "format_error", "hallucination", null',
    ],
    ['an unknown action', correction({ action: 'approve' }), 'action', 'must be one of "correct", "discard", "flag"'],
    ['a misspelt field', correction({ failure_categroy: 'x' }), 'failure_categroy', 'is not a known field (check its spelling against the schema)'],
    ['a bad email', correction({ reviewer: { name: 'A', email: 'not-an-email' } }), 'reviewer.email', 'must match format "email"'],
    ['a bad time', correction({ decided_at: 'yesterday' }), 'decided_at', 'must match format "date-time"'],
    ['an unknown schema version', correction({ schema_version: 2 }), 'schema_version', 'must be equal to constant'],
    ['a missing reviewer', without('reviewer'), 'reviewer', 'is required but missing'],
  ])('rejects %s, naming the field', (_name, value, path, message) => {
    expect(checkAgainstSchema('correction', value, where)).toEqual([{ file: 'f.json', path, message }]);
  });
});

describe('the candidate schema', () => {
  it('accepts the harness record', () => {
    expect(checkAgainstSchema('candidate', JSON.parse(candidateLine()), where)).toEqual([]);
  });

  it('accepts a null score and extra fields the harness adds', () => {
    expect(checkAgainstSchema('candidate', JSON.parse(candidateLine({ quality_score: null, extra: 1 })), where)).toEqual([]);
  });

  it.each([
    ['a score above 1', { quality_score: 1.5 }, 'quality_score', 'must be <= 1'],
    ['an unknown role', { prompt_messages: [{ role: 'robot', content: 'x' }] }, 'prompt_messages[0].role', 'must be one of "system", "user", "assistant"'],
    ['an empty id', { id: '' }, 'id', 'must NOT have fewer than 1 characters'],
    ['an id with a newline', { id: 'a\nb' }, 'id', 'must not contain control characters (NUL, tab, line breaks…); remove them'],
    ['no prompt', { prompt_messages: [] }, 'prompt_messages', 'must NOT have fewer than 1 items'],
    ['a response that is not text', { model_response: 42 }, 'model_response', 'must be string'],
  ])('rejects %s', (_name, overrides, path, message) => {
    expect(checkAgainstSchema('candidate', JSON.parse(candidateLine(overrides)), where)).toEqual([{ file: 'f.json', path, message }]);
  });
});

describe('the export-line schema', () => {
  const line = (overrides: Record<string, unknown> = {}) => ({
    messages: [
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ],
    candidate_id: 'c1',
    failure_category: null,
    ...overrides,
  });

  it('accepts a conversation ending in the corrected response', () => {
    expect(checkAgainstSchema('exportLine', line(), where)).toEqual([]);
  });

  it.each([
    [
      'an empty message',
      {
        messages: [
          { role: 'system', content: '' },
          { role: 'assistant', content: 'a' },
        ],
      },
      'messages[0].content',
      'must NOT have fewer than 1 characters',
    ],
    [
      'no assistant message',
      {
        messages: [
          { role: 'user', content: 'q' },
          { role: 'user', content: 'q' },
        ],
      },
      'messages',
      'must contain at least 1 valid item(s)',
    ],
    [
      'an id inside a message',
      {
        messages: [
          { role: 'user', content: 'q', id: 'c1' },
          { role: 'assistant', content: 'a' },
        ],
      },
      'messages[0].id',
      'is not a known field (check its spelling against the schema)',
    ],
  ])('rejects %s', (_name, overrides, path, message) => {
    expect(checkAgainstSchema('exportLine', line(overrides), where)).toContainEqual({ file: 'f.json', path, message });
  });
});
