import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { plover } from '../helpers/cli.ts';
import { candidateLine, fsck, git, useTempRepos } from '../helpers/repo.ts';
import { checkExportRules } from '../helpers/export-rules.ts';
import { ANN } from '../helpers/reviewers.ts';

const repo = useTempRepos();

/** HEAD and `git status`, to show that a failed command changed nothing. */
const snapshot = (dir: string) => ({ head: git(dir, 'rev-parse', 'HEAD'), status: git(dir, 'status', '--porcelain', '--untracked-files=all') });

describe('plover submit then plover export', () => {
  it('exports the category where one was chosen and null elsewhere, and a second export is byte-identical', () => {
    const { dir } = repo();
    const first = plover(dir, ['submit', 'sftc_b5505e86f70999cf', '--action', 'correct', '--response', 'Dear team,\n…', '--category', 'style_violation', '--reviewer', ANN]);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    expect(first.stdout).toMatch(/^[0-9a-f]{7} correct sftc_b5505e86f70999cf \[style_violation\] by Ann Lee <ann@example.org>\n/);
    writeFileSync(join(dir, 'answer.txt'), 'A corrected answer\nwith two lines\n');
    expect(plover(dir, ['submit', 'sftc_723a003ab86cbec2', '--action', 'correct', '--response-file', 'answer.txt', '--reviewer', ANN]).status).toBe(0);
    expect(plover(dir, ['submit', 'sftc_37883adc96cf1189', '--action', 'discard', '--category', 'scoring_artifact', '--reviewer', ANN]).status).toBe(0);
    expect(git(dir, 'log', '--format=%an|%s', '-3')).toBe(
      'Ann Lee|plover: discard sftc_37883adc96cf1189 [scoring_artifact]\nAnn Lee|plover: correct sftc_723a003ab86cbec2\nAnn Lee|plover: correct sftc_b5505e86f70999cf [style_violation]',
    );
    expect(git(dir, 'status', '--porcelain')).toBe('?? answer.txt');

    const exported = plover(dir, ['export']);
    expect(exported.status).toBe(0);
    expect(exported.stdout).toContain('exported 2 lines (full) to');
    const bytes = readFileSync(join(dir, 'dist/sft.jsonl'));
    const lines = bytes
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(Object.fromEntries(lines.map((l) => [l.candidate_id, [l.failure_category, l.messages.at(-1)]]))).toEqual({
      // The file's trailing newline is not part of the answer (the text rule).
      sftc_723a003ab86cbec2: [null, { role: 'assistant', content: 'A corrected answer\nwith two lines' }],
      sftc_b5505e86f70999cf: ['style_violation', { role: 'assistant', content: 'Dear team,\n…' }],
    });
    expect(checkExportRules(bytes)).toEqual([]);

    const manifest = JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      file: 'sft.jsonl',
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      source_commit: git(dir, 'rev-parse', 'HEAD'),
      worktree_clean: true,
      source_ref: null,
      options: { format: 'full', resolve: 'majority', actions: ['correct'] },
      conflicts: [],
      counts: { candidates: 640, corrections: 3, decided: 3, lines: 2, by_action: { correct: 2, discard: 1, flag: 0 } },
    });
    expect(manifest.counts.by_category).toMatchObject({ style_violation: 1, none: 1, scoring_artifact: 0 });

    expect(plover(dir, ['export', '--out', 'dist/again.jsonl']).status).toBe(0);
    expect(readFileSync(join(dir, 'dist/again.jsonl')).equals(bytes)).toBe(true);
    expect(fsck(dir).status).toBe(0);
  });

  it('takes the reviewer from git config when --reviewer is not given', () => {
    const { dir } = repo();
    git(dir, 'config', 'user.name', 'Cy Config');
    git(dir, 'config', 'user.email', 'cy@example.org');
    expect(plover(dir, ['submit', 'sftc_b5505e86f70999cf', '--action', 'flag']).status).toBe(0);
    expect(git(dir, 'log', '-1', '--format=%an <%ae>')).toBe('Cy Config <cy@example.org>');
  });

  it("keeps a hostile candidate id's file inside corrections/", () => {
    const id = '../../.git/hooks/pre-commit';
    const { dir } = repo({ candidates: false, files: { 'candidates/run.jsonl': `${candidateLine({ id })}\n` } });
    expect(plover(dir, ['submit', id, '--action', 'discard', '--reviewer', ANN]).status).toBe(0);
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD')).toBe(correctionPath(id, 'ann@example.org'));
    expect(existsSync(join(dir, '.git/hooks/pre-commit'))).toBe(false);
  });
});

describe('bad input gets a clear error, a non-zero exit, and nothing written or committed', () => {
  it.each([
    [
      'an unknown candidate id',
      ['submit', 'nope', '--action', 'discard', '--reviewer', ANN],
      'plover: unknown candidate "nope": no line in candidates/*.jsonl has this id (see `plover validate`)\n',
    ],
    [
      'a blank correction',
      ['submit', 'sftc_b5505e86f70999cf', '--action', 'correct', '--response', ' \n ', '--reviewer', ANN],
      'plover: --action correct needs a non-blank corrected response: --response TEXT or --response-file FILE\n',
    ],
    [
      'an unknown category',
      ['submit', 'sftc_b5505e86f70999cf', '--action', 'flag', '--category', 'rude', '--reviewer', ANN],
      'plover: --category "rude" is not one of scoring_artifact, style_violation, partial_answer, wrong_answer, format_error, hallucination, none\n',
    ],
    ['an unknown action', ['submit', 'sftc_b5505e86f70999cf', '--action', 'approve', '--reviewer', ANN], 'plover: --action "approve" is not one of correct, discard, flag\n'],
    [
      'a response with discard',
      ['submit', 'sftc_b5505e86f70999cf', '--action', 'discard', '--response', 'x', '--reviewer', ANN],
      'plover: --response and --response-file go with --action correct only (this is --action discard)\n',
    ],
    [
      'an id that would escape corrections/',
      ['submit', '../../../tmp/x', '--action', 'discard', '--reviewer', ANN],
      'plover: unknown candidate "../../../tmp/x": no line in candidates/*.jsonl has this id (see `plover validate`)\n',
    ],
    [
      'a response file that is not there',
      ['submit', 'sftc_b5505e86f70999cf', '--action', 'correct', '--response-file', 'missing.txt', '--reviewer', ANN],
      expect.stringMatching(/^plover: cannot read --response-file "missing.txt": ENOENT: no such file or directory/),
    ],
    [
      'a reviewer that is not "Name <email>"',
      ['submit', 'sftc_b5505e86f70999cf', '--action', 'flag', '--reviewer', 'ann@example.org'],
      'plover: reviewer "ann@example.org" is not of the form "Name <email>", e.g. "Ann Lee <ann@example.org>"\n',
    ],
    [
      'no reviewer identity',
      ['submit', 'sftc_b5505e86f70999cf', '--action', 'flag'],
      'plover: no reviewer identity: pass --reviewer "Name <email>", or set it once with\n  git config user.name "Your Name"\n  git config user.email you@example.org\n',
    ],
    ['an unknown option', ['submit', 'sftc_b5505e86f70999cf', '--acton', 'flag'], expect.stringMatching(/^plover: Unknown option '--acton'\..*; see `plover help`\n$/)],
  ])('%s', (_name, args, stderr) => {
    const { dir } = repo();
    const before = snapshot(dir);
    const result = plover(dir, args);
    expect(result).toEqual({ status: 1, stdout: '', stderr });
    expect(snapshot(dir)).toEqual(before);
  });

  it('a malformed candidate file: submit on that candidate and export name the file and line', () => {
    const { dir } = repo();
    const file = join(dir, 'candidates/run_20240325_mt_bench_9d9abd96.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    const broken = (JSON.parse(lines[41]!) as { id: string }).id;
    lines[41] = lines[41]!.replace('"model_response":', '"model_respons":');
    writeFileSync(file, lines.join('\n'));
    git(dir, 'commit', '-qam', 'break a line');
    const before = snapshot(dir);
    for (const args of [['submit', broken, '--action', 'flag', '--reviewer', ANN], ['export']]) {
      const result = plover(dir, args);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe('plover: 1 problem in the repository:\n  candidates/run_20240325_mt_bench_9d9abd96.jsonl:42: model_response: is required but missing\n');
    }
    expect(snapshot(dir)).toEqual(before);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    // A decision on another candidate does not need that line: it is committed, and validate still names the line.
    expect(plover(dir, ['submit', 'sftc_b5505e86f70999cf', '--action', 'flag', '--reviewer', ANN]).status).toBe(0);
    expect(plover(dir, ['validate']).stdout).toContain('candidates/run_20240325_mt_bench_9d9abd96.jsonl:42: model_response: is required but missing');
  });

  it('a port in use', async () => {
    const { dir } = repo();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = plover(dir, ['serve', '--port', String(port), '--reviewer', ANN]);
      expect(result).toEqual({ status: 1, stdout: '', stderr: `plover: port ${port} on 127.0.0.1 is in use; pass --port N, or --port 0 for a free one\n` });
    } finally {
      blocker.close();
    }
  });
});

describe('plover validate', () => {
  it('passes on the demo data', () => {
    const { dir } = repo();
    expect(plover(dir, ['validate'])).toEqual({ status: 0, stdout: 'valid: 640 candidates, 0 corrections (0 unchanged)\n', stderr: '' });
  });

  it('lists every problem with file and line or JSON path, then exits 1', () => {
    const good = JSON.stringify({
      schema_version: 1,
      candidate_id: 'c1',
      action: 'discard',
      corrected_response: null,
      failure_category: null,
      reviewer: { name: 'Ann', email: 'ann@example.org' },
      decided_at: '2024-05-01T12:00:00Z',
    });
    const { dir } = repo({
      candidates: false,
      files: {
        'candidates/run.jsonl': `${candidateLine({ id: 'c1' })}\nnot json\n`,
        [correctionPath('c1', 'bob@example.org')]: good,
        [correctionPath('ghost', 'ann@example.org')]: good.replace('"c1"', '"ghost"'),
        [correctionPath('c2', 'ann@example.org')]: good.replace('"discard"', '"approve"').replace('"c1"', '"c2"'),
        'corrections/notes.txt': 'hello',
      },
    });
    const result = plover(dir, ['validate']);
    expect(result.status).toBe(1);
    const [problems, summary] = result.stdout.split('\n\n');
    expect(summary).toBe('5 problems: 1 candidate, 1 correction (0 unchanged)\n');
    expect(problems!.split('\n').sort()).toEqual(
      [
        expect.stringMatching(/^candidates\/run\.jsonl:2: is not valid JSON \(.*\); received "not json"$/),
        `${correctionPath('c2', 'ann@example.org')}: action: must be one of "correct", "discard", "flag"`,
        `${correctionPath('ghost', 'ann@example.org')}: candidate_id: refers to unknown candidate "ghost"; import its run into candidates/ or delete this file`,
        `${correctionPath('c1', 'bob@example.org')}: candidate_id: does not match the file's path: this record belongs at ${correctionPath('c1', 'ann@example.org')}; move it there`,
        'corrections/notes.txt: is not where plover puts corrections (corrections/<2 hex>/<16 hex>--<reviewer>-<8 hex>.json); move or delete it',
      ].sort(),
    );
  });
});
