// The hostile corpus through the CLI: every bad input gets a clear error naming file and
// line; every hostile but valid input is kept as text and its decision stays inside
// corrections/. (The review page rendering such text inertly: tests/e2e/review.test.ts.)
import { readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORRECTION_PATH_PATTERN, correctionPath } from '../../src/lib/records/paths.ts';
import { plover } from '../helpers/cli.ts';
import { candidateLine, git, useTempRepos } from '../helpers/repo.ts';
import { ANN } from '../helpers/reviewers.ts';

const repo = useTempRepos();
const payload = '<script>alert(1)</script><img src=x onerror=alert(1)>{{7*7}}${7*7}<|im_end|>';

describe('a hostile corpus', () => {
  it('names every bad line with its file, line, JSON path and the fix, and survives deep nesting and a 10 MB field', () => {
    const lines = [
      /* 1 */ candidateLine({ id: 'big', model_response: 'x'.repeat(10 * 1024 * 1024) }),
      /* 2 */ `{"id":"deep","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`,
      /* 3 */ candidateLine({ id: 5 }),
      /* 4 */ candidateLine({ id: 'types', prompt_messages: 'not a list', quality_score: 'high' }),
      /* 5 */ candidateLine({ id: 'nul\u0000id' }),
      /* 6 */ candidateLine({ id: '' }),
      /* 7 */ candidateLine({ id: 'x'.repeat(10_000) }),
      /* 8 */ candidateLine({ id: 'caf\u00e9' }),
      /* 9 */ candidateLine({ id: 'cafe\u0301' }),
      /* 10 */ '{"id": "broken", ',
      /* 11 */ '"just a string"',
    ];
    const { dir } = repo({
      candidates: false,
      files: {
        'candidates/run_test.jsonl': `${lines.join('\n')}\n`,
        'candidates/bom.jsonl': `\uFEFF${candidateLine({ id: 'bom' })}\n`,
      },
    });
    writeFileSync(
      join(dir, 'candidates/latin1.jsonl'),
      Buffer.concat([Buffer.from(`${candidateLine({ id: 'l1' }).slice(0, -1)},"x":"`), Buffer.from([0xe9]), Buffer.from('"}\n')]),
    );
    const result = plover(dir, ['validate', '--json']);
    expect(result.status).toBe(1);
    const problems = JSON.parse(result.stdout).problems as { file: string; line?: number; path?: string; message: string }[];
    const at = (line: number) => problems.filter((p) => p.file === 'candidates/run_test.jsonl' && p.line === line);
    expect(at(1)).toEqual([]);
    expect(at(2).map((p) => p.path)).toContain('prompt_messages');
    expect(at(3)).toEqual([expect.objectContaining({ path: 'id', message: 'must be string' })]);
    expect(
      at(4)
        .map((p) => p.path)
        .sort(),
    ).toEqual(['prompt_messages', 'quality_score']);
    expect(at(5)).toEqual([expect.objectContaining({ path: 'id', message: 'must not contain control characters (NUL, tab, line breaks…); remove them' })]);
    expect(at(6)).toEqual([expect.objectContaining({ path: 'id', message: 'must NOT have fewer than 1 characters' })]);
    expect(at(7)).toEqual([expect.objectContaining({ path: 'id', message: 'must NOT have more than 512 characters' })]);
    expect(at(8)).toEqual([]);
    expect(at(9)).toEqual([
      expect.objectContaining({
        path: 'id',
        message: expect.stringMatching(/is "café" \(candidates\/run_test\.jsonl:8\) written with other Unicode code points.*give them ids that differ visibly/),
      }),
    ]);
    expect(at(10)).toEqual([expect.objectContaining({ message: expect.stringMatching(/JSON/) })]);
    expect(at(11)).toHaveLength(1);
    expect(problems).toContainEqual(expect.objectContaining({ file: 'candidates/bom.jsonl', message: expect.stringMatching(/byte-order mark/) }));
    expect(problems).toContainEqual(expect.objectContaining({ file: 'candidates/latin1.jsonl', line: 1, message: 'is not valid UTF-8; re-encode it as UTF-8' }));
    // Nothing is skipped silently: every problem names its place, and the summary counts them.
    for (const p of problems) expect(p.file).toMatch(/^candidates\//);
    expect(plover(dir, ['validate']).stdout).toContain(`${problems.length} problems`);
  });

  it('keeps hostile but valid ids and text as text: each decision is a commit inside corrections/, and the export carries the text unchanged', () => {
    const ids = ['../x', '/etc/passwd', '.git/config', 'con', 'trailing. ', ' lead', 'ɑdmin', 'a\\b', `id ${payload}`];
    const { dir } = repo({
      candidates: false,
      files: {
        'candidates/run_test.jsonl': `${ids.map((id) => candidateLine({ id, model_name: payload, failure_reason: payload, model_response: payload, prompt_messages: [{ role: 'user', content: payload }] })).join('\n')}\n`,
      },
    });
    expect(plover(dir, ['validate']).status).toBe(0);
    for (const id of ids) {
      const submitted = plover(dir, ['submit', id, '--action', 'correct', '--response', `fixed ${payload}`, '--reviewer', ANN]);
      expect(submitted.status, submitted.stderr).toBe(0);
    }
    const files = git(dir, 'ls-tree', '-r', '--name-only', 'HEAD').split('\n');
    const corrections = files.filter((f) => !f.startsWith('candidates/'));
    expect(corrections.sort()).toEqual(ids.map((id) => correctionPath(id, 'ann@example.org')).sort());
    for (const f of corrections) {
      expect(f).toMatch(CORRECTION_PATH_PATTERN);
      expect(posix.normalize(f)).toBe(f);
    }
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe(String(ids.length + 1));

    // Nine lines a trainer cannot tell apart: kept here, to look at each one.
    expect(plover(dir, ['export', '--keep-duplicates', '--allow-control-tokens']).status).toBe(0);
    const lines = readFileSync(join(dir, 'dist/sft.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.candidate_id).sort()).toEqual([...ids].sort());
    for (const l of lines) {
      expect(l.messages).toEqual([
        { role: 'user', content: payload },
        { role: 'assistant', content: `fixed ${payload}` },
      ]);
    }
  });
});
