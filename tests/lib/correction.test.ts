import { describe, expect, it } from 'vitest';
import { createCorrection, parseCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { PloverError } from '../../src/lib/errors.ts';
import { compileCommitMessage } from '../../src/lib/records/commit-message.ts';
import { ann } from '../helpers/reviewers.ts';

const at = new Date('2024-05-01T12:00:00Z');

describe('createCorrection', () => {
  it('builds a record with every field, null where not given', () => {
    expect(createCorrection({ candidate_id: 'c1', action: 'flag' }, ann, at)).toEqual({
      schema_version: 1,
      candidate_id: 'c1',
      action: 'flag',
      corrected_response: null,
      failure_category: null,
      reviewer: ann,
      decided_at: '2024-05-01T12:00:00.000Z',
    });
  });

  it('refuses a blank correction, an unknown category and a bad reviewer at once', () => {
    const attempt = () => createCorrection({ candidate_id: 'c1', action: 'correct', corrected_response: '   ', failure_category: 'nope' as never }, { name: 'A', email: 'no' }, at);
    expect(attempt).toThrow(PloverError);
    try {
      attempt();
    } catch (err) {
      expect((err as PloverError).code).toBe('E_INVALID_DECISION');
      expect((err as PloverError).problems.map((p) => p.path)).toEqual(['corrected_response', 'reviewer.email', 'failure_category']);
    }
  });
});

describe('serializeCorrection', () => {
  it('writes keys in a fixed order with a trailing newline, whatever order it was given', () => {
    const record = createCorrection({ failure_category: 'hallucination', action: 'correct', corrected_response: 'x', candidate_id: 'c1' }, ann, at);
    const text = serializeCorrection(record);
    expect(text.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual(['schema_version', 'candidate_id', 'action', 'corrected_response', 'failure_category', 'reviewer', 'decided_at']);
    expect(serializeCorrection(JSON.parse(text))).toBe(text);
  });
});

describe('parseCorrection', () => {
  it('reads back what serializeCorrection wrote', () => {
    const record = createCorrection({ candidate_id: 'c1', action: 'discard' }, ann, at);
    expect(parseCorrection(serializeCorrection(record), 'f.json')).toEqual({ correction: record, problems: [] });
  });

  it('names a byte-order mark, broken JSON and a non-object, with the file', () => {
    expect(parseCorrection('\uFEFF{}', 'a.json').problems[0]!.message).toMatch(/byte-order mark/);
    expect(parseCorrection('{"a":', 'b.json').problems[0]).toMatchObject({ file: 'b.json', message: expect.stringMatching(/^is not valid JSON/) });
    expect(parseCorrection('[1]', 'c.json').problems[0]!.message).toBe('must be a JSON object; received "[1]"');
  });
});

describe('compileCommitMessage', () => {
  it('names candidate, action and category in the subject and in trailers', () => {
    const record = createCorrection({ candidate_id: 'sftc_1', action: 'correct', corrected_response: 'x', failure_category: 'wrong_answer' }, ann, at);
    expect(compileCommitMessage(record)).toBe('plover: correct sftc_1 [wrong_answer]\n\nPlover-Candidate: sftc_1\nPlover-Action: correct\nPlover-Category: wrong_answer\n');
  });

  it('says "none" when no category was given and shortens a long id in the subject only', () => {
    const id = 'x'.repeat(100);
    const message = compileCommitMessage(createCorrection({ candidate_id: id, action: 'discard' }, ann, at));
    expect(message.split('\n')[0]).toBe(`plover: discard ${'x'.repeat(60)}…`);
    expect(message).toContain(`Plover-Candidate: ${id}\n`);
    expect(message).toContain('Plover-Category: none\n');
  });
});
