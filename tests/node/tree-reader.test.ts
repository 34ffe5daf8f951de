// A commit in a working tree reads the trees along its path with native git
// (node/tree-reader.ts); what it reads, and the commits made from it, are the same as
// through isomorphic-git, on a packed repository as on a loose one.
import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import { commitDecision, commitUndo } from '../../src/git/commit-decision.ts';
import { BlobReader } from '../../src/node/sources.ts';
import { parseTree, treeReader } from '../../src/node/tree-reader.ts';
import { worktreeTarget } from '../../src/node/worktree-committer.ts';
import { createAtomicFs } from '../../src/node/atomic-fs.ts';
import { fsck, git as run, useTempRepos } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';

const repo = useTempRepos();
const now = new Date('2024-05-01T12:00:00Z');
const byPath = <T extends { path: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.path < b.path ? -1 : 1));

describe('tree reader', () => {
  it('parses every kind of tree entry as isomorphic-git does', async () => {
    const { dir } = repo({ candidates: false, files: { 'a b.txt': 'x\n', 'run.sh': '#!/bin/sh\n', 'dir/é.json': '{}\n' } });
    fs.chmodSync(join(dir, 'run.sh'), 0o755);
    fs.symlinkSync('a b.txt', join(dir, 'link'));
    run(dir, 'add', '-A');
    run(dir, 'update-index', '--add', '--cacheinfo', `160000,${run(dir, 'rev-parse', 'HEAD')},sub`);
    run(dir, 'commit', '-q', '-m', 'kinds');
    const root = run(dir, 'rev-parse', 'HEAD^{tree}');
    const theirs = (await git.readTree({ fs, dir, oid: root })).tree;
    const reader = new BlobReader(dir);
    const object = await reader.object(root);
    reader.close();
    const mine = parseTree(object!.body);
    expect(byPath(mine)).toEqual(byPath(theirs));
    expect(mine.map((e) => e.type).sort()).toEqual(['blob', 'blob', 'blob', 'commit', 'tree']);
    expect(() => parseTree(object!.body.subarray(0, object!.body.length - 3))).toThrow('cut short');
  });

  it('reads the trees along a path from a packed repository, null where a folder is missing or is a file', async () => {
    const { dir } = repo({ candidates: false, files: { 'corrections/ab/x.json': '{}\n', notes: 'n\n' } });
    run(dir, 'gc', '-q');
    expect(fs.readdirSync(join(dir, '.git/objects/pack')).some((f) => f.endsWith('.pack'))).toBe(true);
    const head = run(dir, 'rev-parse', 'HEAD');
    const trees = await treeReader(dir)(head, ['', 'corrections', 'corrections/ab', 'corrections/cd', 'notes']);
    expect(trees.map((t) => t?.oid ?? null)).toEqual([
      run(dir, 'rev-parse', 'HEAD^{tree}'),
      run(dir, 'rev-parse', 'HEAD:corrections'),
      run(dir, 'rev-parse', 'HEAD:corrections/ab'),
      null,
      null,
    ]);
    expect(trees[2]!.entries).toEqual([{ mode: '100644', path: 'x.json', oid: run(dir, 'rev-parse', 'HEAD:corrections/ab/x.json'), type: 'blob' }]);
    // A request naming a path with spaces and numbers that is not there is "missing", not a header.
    const reader = new BlobReader(dir);
    expect(await reader.object(`${head}:a 1 2`)).toBeNull();
    await expect(reader.read(`${head}:a 1 2`)).rejects.toThrow('missing');
    await expect(reader.object('x\ny')).rejects.toThrow('cannot name');
    reader.close();
  });

  it('makes the same commits as isomorphic-git alone, each from a fresh session as plover submit does', async () => {
    const heads: string[][] = [];
    let nativeReads = 0;
    for (const native of [true, false]) {
      const { dir } = repo({ candidates: false, files: { 'README.md': 'x\n' } });
      const oids: string[] = [];
      const target = () => {
        const cache = {};
        const t = worktreeTarget(dir, createAtomicFs(`${dir}/.git`), cache);
        const { readTrees, ...rest } = t;
        if (native) return { ...rest, readTrees: (commit: string, paths: string[]) => (nativeReads++, readTrees(commit, paths)) };
        return rest;
      };
      // The first builds corrections/ from nothing; the rest go into new and existing shards, packed or not.
      for (const [i, id] of ['c1', 'c2', 'c1', 'c3'].entries()) {
        if (i === 2) run(dir, 'gc', '-q');
        oids.push((await commitDecision({ ...target(), now, reviewer: ann, decision: { candidate_id: id, action: i === 2 ? 'flag' : 'discard' } })).oid);
      }
      oids.push((await commitUndo({ ...target(), now, reviewer: ann, candidateId: 'c2' })).oid);
      expect(run(dir, 'status', '--porcelain')).toBe('');
      expect(fsck(dir).status).toBe(0);
      heads.push(oids);
    }
    expect(nativeReads).toBe(5); // every commit, each from a fresh session
    expect(heads[0]).toEqual(heads[1]);
    expect(new Set(heads[0]).size).toBe(5);
  });
});
