// Property-based tests (fast-check): invariants over arbitrary input, hostile strings included.
import fc from 'fast-check';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { createCorrection, parseCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { serializeExportLine } from '../../src/lib/export/export-format.ts';
import { compileExport } from '../helpers/compile-export.ts';
import { CORRECTION_PATH_PATTERN, correctionPath } from '../../src/lib/records/paths.ts';
import type { Action, FailureCategory } from '../../src/lib/records/schema-types.generated.ts';
import { FAILURE_CATEGORIES } from '../../src/lib/records/schemas.ts';
import { candidateLine } from '../helpers/repo.ts';
import { checkExportRules } from '../helpers/export-rules.ts';

const hostile = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('../x', '/etc/passwd', '.git/config', 'con', 'a. ', '\u0000', '\uFEFF', 'e\u0301', '\u00e9', '<script>alert(1)</script>', 'x'.repeat(10_000), ''),
);
const email = fc.emailAddress();
const category = fc.option(fc.constantFrom(...FAILURE_CATEGORIES.map((c) => c.value)), { nil: null });

describe('properties', () => {
  it('every correction path, for any id and email, matches the layout and stays inside corrections/', () => {
    fc.assert(
      fc.property(hostile, fc.oneof(email, hostile), (id, mail) => {
        const path = correctionPath(id, mail);
        expect(path).toMatch(CORRECTION_PATH_PATTERN);
        expect(posix.normalize(path)).toBe(path);
        expect(correctionPath(id, mail)).toBe(path);
      }),
      { numRuns: 300 },
    );
  });

  it('parsing any text as a candidate file never throws, and accounts for every line', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(hostile, fc.constant(candidateLine()), fc.json()), { maxLength: 8 }), (lines) => {
        const text = lines.join('\n');
        const { candidates, problems } = parseCandidateFile(text, 'f.jsonl');
        const counted = text.split('\n');
        if (counted.at(-1) === '') counted.pop();
        const lineNumbers = new Set([...candidates.map((c) => c.line), ...problems.map((p) => p.line)]);
        expect(lineNumbers.size).toBe(counted.length);
        for (const p of problems) expect(p.line).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('parsing any text as a correction never throws: it gives a record or problems naming the file', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          hostile,
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify(v)),
        ),
        (text) => {
          const result = parseCorrection(text, 'c.json');
          expect(Boolean(result.correction) !== result.problems.length > 0).toBe(true);
          for (const p of result.problems) expect(p.file).toBe('c.json');
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a valid decision serialises and parses back to the same record, whatever its text', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 64 }).filter((s) => !/[\u0000-\u001f\u007f]/.test(s)),
        fc.constantFrom<Action>('correct', 'discard', 'flag'),
        fc.string({ unit: 'grapheme', maxLength: 500 }).filter((s) => /\S/.test(s)),
        category,
        (id, action, text, cat) => {
          const record = createCorrection(
            { candidate_id: id, action, corrected_response: action === 'correct' ? text : null, failure_category: cat as FailureCategory | null },
            { name: 'Ann', email: 'ann@example.org' },
            new Date(0),
          );
          expect(parseCorrection(serializeCorrection(record), 'f').correction).toEqual(record);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any set of valid decisions exports lines that obey every export rule, the same bytes in any order', () => {
    const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }).filter((s) => /\S/.test(s));
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            id: fc.stringMatching(/^[a-z0-9_]{1,12}$/),
            prompt: text,
            system: fc.constantFrom('', 'Be brief.'),
            answer: text,
            action: fc.constantFrom<Action>('correct', 'discard', 'flag'),
            cat: category,
          }),
          { selector: (r) => r.id, maxLength: 12 },
        ),
        (rows) => {
          const lines = rows.map((r) =>
            candidateLine({
              id: r.id,
              prompt_messages: [
                { role: 'system', content: r.system },
                { role: 'user', content: r.prompt },
              ],
            }),
          );
          const { byId } = indexCandidates(parseCandidateFile(lines.join('\n') + '\n', 'c.jsonl').candidates);
          const corrections = rows.map((r) => {
            const correction = createCorrection(
              { candidate_id: r.id, action: r.action, corrected_response: r.action === 'correct' ? r.answer : null, failure_category: r.cat as FailureCategory | null },
              { name: 'Ann', email: 'ann@example.org' },
              new Date(0),
            );
            return { correction, file: correctionPath(r.id, 'ann@example.org') };
          });
          const out = compileExport(byId, corrections);
          expect(out.problems).toEqual([]);
          const bytes = out.lines.map(serializeExportLine).join('');
          expect(checkExportRules(new TextEncoder().encode(bytes))).toEqual([]);
          expect(out.lines).toHaveLength(rows.filter((r) => r.action === 'correct').length);
          expect(
            compileExport(byId, [...corrections].reverse())
              .lines.map(serializeExportLine)
              .join(''),
          ).toBe(bytes);
        },
      ),
      { numRuns: 150 },
    );
  });
});
