import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { assignees } from '../../src/lib/team/team.ts';
import { plover } from '../helpers/cli.ts';
import { candidateLine, git, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();
const ANN = 'Ann <ann@example.org>';
const BOB = 'Bob <bob@example.org>';
const record = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    schema_version: 1,
    candidate_id: 'c1',
    action: 'discard',
    corrected_response: null,
    failure_category: null,
    reviewer: { name: 'Ann', email: 'ann@example.org' },
    decided_at: '2024-05-01T12:00:00Z',
    ...overrides,
  });
function put(dir: string, path: string, data: string | Uint8Array) {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), data);
}

describe('plover validate for CI', () => {
  it('reports a BOM, invalid UTF-8, an oversize file and a second decision of one reviewer, as text and as --json', () => {
    const { dir } = repo({
      candidates: false,
      files: { 'candidates/run.jsonl': `${candidateLine({ id: 'c1' })}\n${candidateLine({ id: 'c2' })}\n${candidateLine({ id: 'c3' })}\n` },
    });
    const ann = (id: string) => correctionPath(id, 'ann@example.org');
    put(dir, ann('c1'), record());
    // The same reviewer's decision on c1 again, at another candidate's path.
    put(dir, ann('c2'), record({ reviewer: { name: 'Ann', email: 'ANN@example.org' } }));
    put(dir, ann('c3'), `\uFEFF${record({ candidate_id: 'c3' })}`);
    put(dir, correctionPath('c3', 'bob@example.org'), new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]));
    put(dir, correctionPath('c2', 'bob@example.org'), record({ candidate_id: 'c2', action: 'correct', corrected_response: 'x'.repeat(1024 * 1024) }));

    const text = plover(dir, ['validate']);
    expect(text.status).toBe(1);
    const json = plover(dir, ['validate', '--json']);
    expect(json.status).toBe(1);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ valid: false, candidates: 3, corrections: 1 });
    expect(result.problems).toEqual(
      expect.arrayContaining([
        { file: ann('c2'), path: 'candidate_id', message: `is a second decision of ANN@example.org on "c1", which ${ann('c1')} already holds; delete one of the two` },
        { file: ann('c3'), message: 'starts with a byte-order mark (BOM); save the file as UTF-8 without BOM' },
        { file: correctionPath('c3', 'bob@example.org'), message: 'is not valid UTF-8; re-encode it as UTF-8' },
        {
          file: correctionPath('c2', 'bob@example.org'),
          message: expect.stringMatching(/^is \d+ bytes, over the 1048576-byte limit for a correction; a correction holds one response$/),
        },
      ]),
    );
    expect(result.problems).toHaveLength(4);
    expect(text.stdout.split('\n').filter((l) => l.startsWith('corrections/'))).toHaveLength(4);
  });
});

describe('plover export options', () => {
  function decided() {
    const r = repo();
    const ids = ['sftc_b5505e86f70999cf', 'sftc_723a003ab86cbec2', 'sftc_37883adc96cf1189'];
    const run = (...args: string[]) => expect(plover(r.dir, ['submit', ...args]).status).toBe(0);
    run(ids[0]!, '--action', 'correct', '--response', 'A', '--category', 'wrong_answer', '--reviewer', ANN);
    run(ids[1]!, '--action', 'correct', '--response', 'B', '--reviewer', ANN);
    run(ids[2]!, '--action', 'flag', '--category', 'hallucination', '--reviewer', ANN);
    run(ids[1]!, '--action', 'discard', '--reviewer', BOB);
    return { dir: r.dir, ids };
  }
  const lines = (dir: string, file = 'dist/sft.jsonl') =>
    readFileSync(join(dir, file), 'utf8')
      .trimEnd()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));

  it('lists a 1–1 split as a conflict under the default majority, and exports it under --resolve latest', () => {
    const { dir, ids } = decided();
    const result = plover(dir, ['export']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`  1 conflict between reviewers (not exported; listed in the manifest):\n    ${ids[1]}: ann@example.org correct, bob@example.org discard\n`);
    expect(lines(dir).map((l) => l.candidate_id)).toEqual([ids[0]]);
    expect(JSON.parse(readFileSync(join(dir, 'dist/sft.manifest.json'), 'utf8')).conflicts).toEqual([
      expect.objectContaining({
        candidate_id: ids[1],
        decisions: [expect.objectContaining({ reviewer: 'ann@example.org' }), expect.objectContaining({ reviewer: 'bob@example.org' })],
      }),
    ]);
    expect(plover(dir, ['export', '--resolve', 'latest', '--out', 'dist/latest.jsonl']).status).toBe(0);
    expect(lines(dir, 'dist/latest.jsonl').map((l) => l.candidate_id)).toEqual([ids[0]]);
    // `plover conflicts` lists what is open: the same split, with each reviewer's decision; none under --resolve latest.
    const open = plover(dir, ['conflicts']);
    expect(open.status).toBe(0);
    expect(open.stdout).toMatch(
      new RegExp(`^1 candidate in conflict under --resolve majority:\\n\\n${ids[1]} \\(run_[^)]+\\)\\n  correct by ann@example\\.org, [^\\n]+\\n  discard by bob@example\\.org, `),
    );
    const json = JSON.parse(plover(dir, ['conflicts', '--json']).stdout);
    expect(
      json.conflicts.map((c: { candidate_id: string; decisions: { reviewer: string; action: string }[] }) => [c.candidate_id, c.decisions.map((d) => `${d.reviewer} ${d.action}`)]),
    ).toEqual([[ids[1], ['ann@example.org correct', 'bob@example.org discard']]]);
    expect(plover(dir, ['conflicts', '--resolve', 'latest']).stdout).toBe('No conflicts under --resolve latest.\n');
  });

  it('writes only messages with --format messages, and filters by --action and --category', () => {
    const { dir, ids } = decided();
    expect(plover(dir, ['export', '--format', 'messages', '--out', 'dist/m.jsonl']).status).toBe(0);
    expect(lines(dir, 'dist/m.jsonl')).toEqual([{ messages: [expect.objectContaining({ role: 'user' }), { role: 'assistant', content: 'A' }] }]);
    expect(plover(dir, ['export', '--action', 'correct,flag', '--category', 'hallucination', '--out', 'dist/f.jsonl']).status).toBe(0);
    expect(lines(dir, 'dist/f.jsonl').map((l) => [l.candidate_id, l.action])).toEqual([[ids[2], 'flag']]);
    expect(plover(dir, ['export', '--category', 'rude'])).toMatchObject({ status: 1, stderr: expect.stringContaining('--category "rude" is not one of') });
  });

  it('--ref compiles from an older commit without checking it out, with that commit in the manifest', () => {
    const { dir, ids } = decided();
    const older = git(dir, 'rev-parse', 'HEAD~3');
    const result = plover(dir, ['export', '--ref', 'HEAD~3', '--out', 'dist/old.jsonl']);
    expect(result.status).toBe(0);
    expect(lines(dir, 'dist/old.jsonl').map((l) => l.candidate_id)).toEqual([ids[0]]);
    const manifest = JSON.parse(readFileSync(join(dir, 'dist/old.manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ source_commit: older, source_ref: 'HEAD~3', worktree_clean: null, counts: { corrections: 1 } });
    // The same commit read from the working tree gives the same bytes.
    git(dir, 'checkout', '-q', older);
    expect(plover(dir, ['export', '--out', 'dist/wt.jsonl']).status).toBe(0);
    expect(readFileSync(join(dir, 'dist/wt.jsonl')).equals(readFileSync(join(dir, 'dist/old.jsonl')))).toBe(true);
    expect(plover(dir, ['export', '--ref', 'no-such-branch'])).toMatchObject({ status: 1, stderr: expect.stringContaining('--ref "no-such-branch" does not name a commit') });
  });
});

describe('plover stats', () => {
  it('counts review states by run, model and task type, and what is ready for export (--json)', () => {
    const { dir } = repo();
    expect(plover(dir, ['submit', 'sftc_b5505e86f70999cf', '--action', 'correct', '--response', 'A', '--category', 'style_violation', '--reviewer', ANN]).status).toBe(0);
    expect(plover(dir, ['submit', 'sftc_723a003ab86cbec2', '--action', 'flag', '--reviewer', ANN]).status).toBe(0);
    const result = plover(dir, ['stats', '--json']);
    expect(result.status).toBe(0);
    const stats = JSON.parse(result.stdout);
    expect(stats.totals).toEqual({ candidates: 640, undecided: 638, decided: 2, correct: 1, discard: 0, flag: 1, conflict: 0, ready_for_export: 1 });
    expect(Object.keys(stats.by_run)).toHaveLength(4);
    expect(Object.values(stats.by_model as Record<string, { candidates: number }>).reduce((n, c) => n + c.candidates, 0)).toBe(640);
    expect(stats.by_category).toMatchObject({ style_violation: 1, none: 1 });
    expect(stats.by_reviewer).toEqual({ 'ann@example.org': 2 });
    expect(stats.agreement).toBeUndefined();
    expect(plover(dir, ['stats']).stdout).toMatch(
      /^640 candidates: 638 undecided, 2 decided \(correct 1, discard 0, flag 1, conflict 0\); 1 ready for export \(--resolve majority\)\n/,
    );
  });

  it("shows each team member's progress against their share, and validate names a broken team setting", () => {
    const team = { members: ['ann@example.org', 'bob@example.org'], overlap: 1 };
    const { dir } = repo({ files: { 'plover.config.json': JSON.stringify({ team }) } });
    const first = plover(dir, ['stats', '--json']);
    expect(first.status).toBe(0);
    const before = JSON.parse(first.stdout).team;
    expect(before.overlap).toBe(1);
    expect(before.members['ann@example.org'].assigned + before.members['bob@example.org'].assigned).toBe(640);
    expect(before.members['ann@example.org']).toMatchObject({ decided: 0, open: before.members['ann@example.org'].assigned });
    // Ann decides a candidate of Bob's share: it leaves Bob's queue (overlap 1), and is not Bob's decision.
    const bobs = ['sftc_b5505e86f70999cf', 'sftc_723a003ab86cbec2', 'sftc_3365714abedae0f4'].find(
      (id) => assignees({ members: team.members, overlap: 1 }, id)[0] === 'bob@example.org',
    )!;
    expect(plover(dir, ['submit', bobs, '--action', 'flag', '--reviewer', ANN]).status).toBe(0);
    const after = JSON.parse(plover(dir, ['stats', '--json']).stdout).team;
    expect(after.members['bob@example.org']).toEqual({ ...before.members['bob@example.org'], open: before.members['bob@example.org'].open - 1 });
    expect(after.members['ann@example.org']).toEqual(before.members['ann@example.org']);
    expect(plover(dir, ['stats']).stdout).toMatch(/Team progress \(overlap 1: each candidate assigned to one member\)[\s\S]*ann@example\.org/);

    writeFileSync(join(dir, 'plover.config.json'), JSON.stringify({ team: { members: ['ann@example.org', 'not an email'] } }));
    const invalid = plover(dir, ['validate']);
    expect(invalid.status).toBe(1);
    expect(invalid.stdout).toContain('plover.config.json: team.members[1]: "not an email" is not an email address');
  });
});
