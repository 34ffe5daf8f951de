import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commitDecision, commitUndo, type GitFs } from '../../src/git/commit-decision.ts';
import { PloverError } from '../../src/lib/errors.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { fsck, git, useTempRepos } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';

const nodeFs = fs as unknown as GitFs;
const bob = { name: 'Bob', email: 'bob@example.org' };
const now = new Date('2024-05-01T12:00:00Z');
const repo = useTempRepos();

describe('commitDecision', () => {
  it('makes one commit per decision, authored by the reviewer, with git status clean and fsck clean', async () => {
    const { dir } = repo({ candidates: false, files: { 'README.md': 'x\n' } });
    const cache = {};
    const first = await commitDecision({
      fs: nodeFs,
      dir,
      cache,
      now,
      reviewer: ann,
      decision: { candidate_id: 'c1', action: 'correct', corrected_response: 'four', failure_category: 'wrong_answer' },
    });
    const second = await commitDecision({ fs: nodeFs, dir, cache, now, reviewer: bob, decision: { candidate_id: 'c1', action: 'flag' } });

    expect(git(dir, 'log', '--format=%H|%an <%ae>|%aI|%cn|%s')).toBe(
      [
        `${second.oid}|Bob <bob@example.org>|2024-05-01T12:00:00+00:00|Bob|plover: flag c1`,
        `${first.oid}|Ann Lee <ann@example.org>|2024-05-01T12:00:00+00:00|Ann Lee|plover: correct c1 [wrong_answer]`,
        `${git(dir, 'rev-parse', 'HEAD~2')}|Test Setup <setup@example.org>|2024-05-01T12:00:00+00:00|Test Setup|initial`,
      ].join('\n'),
    );
    expect(git(dir, 'log', '-1', '--format=%(trailers:key=Plover-Action,valueonly)', first.oid)).toBe('correct');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir)).toMatchObject({ status: 0 });
    expect(git(dir, 'show', `HEAD~1:${first.path}`)).toBe(fs.readFileSync(`${dir}/${first.path}`, 'utf8').trim());
    expect(first.path).toBe(correctionPath('c1', ann.email));
    expect(git(dir, 'diff-tree', '--no-commit-id', '--name-status', '-r', 'HEAD')).toBe(`A\t${second.path}`);
  });

  it('gives the same commit sha for the same decision on the same parent (fixed author and date)', async () => {
    const oids = [];
    for (let i = 0; i < 2; i++) {
      const { dir } = repo({ candidates: false, files: { 'README.md': 'x\n' } });
      oids.push((await commitDecision({ fs: nodeFs, dir, cache: {}, now, reviewer: ann, decision: { candidate_id: 'c1', action: 'discard' } })).oid);
    }
    expect(oids[0]).toBe(oids[1]);
  });

  it("replaces the reviewer's earlier decision on the same candidate in a new commit", async () => {
    const { dir } = repo({ candidates: false });
    const cache = {};
    const a = await commitDecision({ fs: nodeFs, dir, cache, now, reviewer: ann, decision: { candidate_id: 'c1', action: 'discard' } });
    const b = await commitDecision({
      fs: nodeFs,
      dir,
      cache,
      now: new Date('2024-05-02T00:00:00Z'),
      reviewer: ann,
      decision: { candidate_id: 'c1', action: 'flag', failure_category: 'hallucination' },
    });
    expect(b.path).toBe(a.path);
    expect(git(dir, 'diff-tree', '--no-commit-id', '--name-status', '-r', 'HEAD')).toBe(`M\t${a.path}`);
    expect(JSON.parse(git(dir, 'show', `HEAD:${a.path}`))).toMatchObject({ action: 'flag', failure_category: 'hallucination' });
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('keeps every other file and shard as it was', async () => {
    const { dir } = repo();
    const cache = {};
    for (let i = 0; i < 30; i++) {
      await commitDecision({ fs: nodeFs, dir, cache, now, reviewer: ann, decision: { candidate_id: `c${i}`, action: 'discard' } });
    }
    expect(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'corrections').split('\n')).toHaveLength(30);
    expect(git(dir, 'diff', '--stat', 'HEAD~30', 'HEAD', '--', 'candidates')).toBe('');
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe('31');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it('commits objects only, on the named branch, when there is no working tree', async () => {
    const { dir } = repo({ candidates: false, files: { 'README.md': 'x\n' } });
    const result = await commitDecision({
      fs: nodeFs,
      gitdir: `${dir}/.git`,
      cache: {},
      now,
      reviewer: ann,
      ref: 'refs/heads/labels/ann',
      decision: { candidate_id: 'c1', action: 'discard' },
    });
    expect(git(dir, 'rev-parse', 'labels/ann')).toBe(result.oid);
    expect(git(dir, 'rev-parse', 'labels/ann~1')).toBe(git(dir, 'rev-parse', 'main'));
    expect(fs.existsSync(`${dir}/${result.path}`)).toBe(false);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it('starts the history of an empty repository', async () => {
    const { dir } = repo({ candidates: false });
    fs.rmSync(`${dir}/.git`, { recursive: true });
    git(dir, 'init', '-q', '-b', 'main');
    const result = await commitDecision({ fs: nodeFs, dir, cache: {}, now, reviewer: ann, decision: { candidate_id: 'c1', action: 'discard' } });
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe('1');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(result.oid);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('writes nothing and commits nothing for an invalid decision', async () => {
    const { dir } = repo({ candidates: false });
    const head = git(dir, 'rev-parse', 'HEAD');
    await expect(
      commitDecision({ fs: nodeFs, dir, cache: {}, now, reviewer: ann, decision: { candidate_id: 'c1', action: 'correct', corrected_response: '' } }),
    ).rejects.toMatchObject({ code: 'E_INVALID_DECISION' });
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(fs.existsSync(`${dir}/corrections`)).toBe(false);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('refuses a detached HEAD with a clear error', async () => {
    const { dir } = repo({ candidates: false });
    git(dir, 'checkout', '-q', '--detach');
    const error = await commitDecision({ fs: nodeFs, dir, cache: {}, now, reviewer: ann, decision: { candidate_id: 'c1', action: 'discard' } }).catch((e) => e);
    expect(error).toBeInstanceOf(PloverError);
    expect(error.code).toBe('E_DETACHED_HEAD');
  });

  it('sees commits made by native git in between', async () => {
    const { dir } = repo({ candidates: false });
    const cache = {};
    await commitDecision({ fs: nodeFs, dir, cache, now, reviewer: ann, decision: { candidate_id: 'c1', action: 'discard' } });
    fs.writeFileSync(`${dir}/notes.txt`, 'n\n');
    git(dir, 'add', 'notes.txt');
    git(dir, 'commit', '-q', '-m', 'native');
    await commitDecision({ fs: nodeFs, dir, cache, now, reviewer: ann, decision: { candidate_id: 'c2', action: 'discard' } });
    expect(git(dir, 'log', '--format=%s')).toBe('plover: discard c2\nnative\nplover: discard c1\ninitial');
    expect(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD')).toContain('notes.txt');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });
});

describe('commitUndo', () => {
  it("removes the reviewer's file in a new commit, leaving history, other reviewers and git status as they were", async () => {
    const { dir } = repo({ candidates: false, files: { 'README.md': 'x\n' } });
    const cache = {};
    const a = await commitDecision({
      fs: nodeFs,
      dir,
      cache,
      now,
      reviewer: ann,
      decision: { candidate_id: 'c1', action: 'correct', corrected_response: 'x', failure_category: 'wrong_answer' },
    });
    const b = await commitDecision({ fs: nodeFs, dir, cache, now, reviewer: bob, decision: { candidate_id: 'c1', action: 'flag' } });
    const undo = await commitUndo({ fs: nodeFs, dir, cache, now, reviewer: ann, candidateId: 'c1' });
    expect(undo.undone).toMatchObject({ action: 'correct', failure_category: 'wrong_answer' });
    expect(git(dir, 'log', '-1', '--format=%an|%s|%(trailers:key=Plover-Action,valueonly)')).toBe('Ann Lee|plover: undo correct c1 [wrong_answer]|undo');
    expect(git(dir, 'diff-tree', '--no-commit-id', '--name-status', '-r', 'HEAD')).toBe(`D\t${a.path}`);
    expect(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'corrections')).toBe(b.path);
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe('4');
    expect(fs.existsSync(`${dir}/${a.path}`)).toBe(false);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it('drops folders left empty, as git does', async () => {
    const { dir } = repo({ candidates: false, files: { 'README.md': 'x\n' } });
    const cache = {};
    await commitDecision({ fs: nodeFs, dir, cache, now, reviewer: ann, decision: { candidate_id: 'c1', action: 'discard' } });
    await commitUndo({ fs: nodeFs, dir, cache, now, reviewer: ann, candidateId: 'c1' });
    expect(git(dir, 'ls-tree', '--name-only', 'HEAD')).toBe('README.md');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it('refuses when the reviewer has no decision to undo, committing nothing', async () => {
    const { dir } = repo({ candidates: false });
    const head = git(dir, 'rev-parse', 'HEAD');
    await expect(commitUndo({ fs: nodeFs, dir, cache: {}, now, reviewer: ann, candidateId: 'c1' })).rejects.toMatchObject({ code: 'E_NOTHING_TO_UNDO' });
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
  });
});
