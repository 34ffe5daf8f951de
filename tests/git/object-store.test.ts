import * as fs from 'node:fs';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import { oidBytes } from '../../src/git/bytes.ts';
import { parseTree, readBlobAt, readCommitTree, readTreeEntries, usePackStore } from '../../src/git/object-store.ts';
import type { GitObject } from '../../src/git/pack-reader.ts';
import { git as run, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();

describe('the pack store', () => {
  it('reads trees, commits and blobs as isomorphic-git does, packed and loose', async () => {
    const { dir } = repo({ files: { 'a.txt': 'a\n', 'corrections/ab/x--r.json': '{}\n', 'corrections/cd/y--r.json': '{"y":1}\n', 'deep/er/still/z.txt': 'z' }, candidates: false });
    run(dir, 'gc', '-q');
    // A commit after the gc: its objects are loose, read through isomorphic-git.
    fs.writeFileSync(join(dir, 'loose.txt'), 'not packed\n');
    run(dir, 'add', '-A');
    run(dir, 'commit', '-qm', 'loose');
    const gitdir = join(dir, '.git');
    const packed = { fs, gitdir, cache: {} };
    usePackStore(packed);
    const plain = { fs, gitdir, cache: {} };
    for (const commit of run(dir, 'rev-list', 'HEAD').trim().split('\n')) {
      expect(await readCommitTree(packed, commit)).toBe(await readCommitTree(plain, commit));
    }
    const trees = run(dir, 'rev-list', '--objects', '--all')
      .trim()
      .split('\n')
      .map((l) => l.slice(0, 40))
      .filter((oid) => run(dir, 'cat-file', '-t', oid).trim() === 'tree');
    expect(trees.length).toBeGreaterThan(6);
    for (const tree of trees) expect(await readTreeEntries(packed, tree)).toEqual(await readTreeEntries(plain, tree));
    const head = run(dir, 'rev-parse', 'HEAD').trim();
    // Packed objects come from the store's pack, the loose commit from isomorphic-git.
    const store = usePackStore(packed);
    expect(await store.read(run(dir, 'rev-parse', 'HEAD~1').trim())).not.toBeNull();
    expect(await store.read(head)).toBeNull();
    for (const path of ['a.txt', 'corrections/cd/y--r.json', 'deep/er/still/z.txt', 'loose.txt']) {
      expect(Buffer.from((await readBlobAt(packed, head, path))!).toString()).toBe(fs.readFileSync(join(dir, path), 'utf8'));
    }
    expect(await readBlobAt(packed, head, 'corrections/ab')).toBeNull();
    expect(await readBlobAt(packed, head, 'nowhere/x.json')).toBeNull();
    expect(await readBlobAt(packed, head, 'a.txt/deeper')).toBeNull();
    // The same answers isomorphic-git gives through its own reading.
    expect((await git.readBlob({ ...plain, oid: head, filepath: 'deep/er/still/z.txt' })).blob).toEqual(await readBlobAt(packed, head, 'deep/er/still/z.txt'));
  });

  it('refuses a tree entry isomorphic-git refuses, naming it', () => {
    const entry = (mode: string, name: string) => Buffer.concat([Buffer.from(`${mode} ${name}\0`), Buffer.from(oidBytes('1'.repeat(40)))]);
    expect(parseTree(Buffer.concat([entry('100644', 'ok.json'), entry('40000', 'dir')]), 't')).toEqual([
      { mode: '100644', path: 'ok.json', oid: '1'.repeat(40), type: 'blob' },
      { mode: '040000', path: 'dir', oid: '1'.repeat(40), type: 'tree' },
    ]);
    for (const name of ['..', '.git', '.GIT.', 'git~1', 'a\\b', '.git::$INDEX_ALLOCATION']) {
      expect(() => parseTree(entry('100644', name), 't')).toThrow(`named ${JSON.stringify(name)}, which git refuses`);
    }
    expect(() => parseTree(entry('100600', 'x'), 't')).toThrow(/mode 100600/);
    expect(() => parseTree(Buffer.from('100644 broken'), 't')).toThrow(/damaged at byte 0/);
  });

  it('gives a read the object a pack being indexed finds later, once; after the end, reads go to the packs', async () => {
    const { dir } = repo({ files: { 'a.txt': 'a\n' }, candidates: false });
    run(dir, 'gc', '-q');
    const ctx = { fs, gitdir: join(dir, '.git'), cache: {} };
    const store = usePackStore(ctx);
    const blob = run(dir, 'rev-parse', 'HEAD:a.txt').trim();
    const receiving = store.receive();
    let read: GitObject | null | undefined;
    const reading = store.read(blob).then((object) => (read = object));
    // A second read waiting for the same object at the same time.
    let second: GitObject | null | undefined;
    const secondReading = store.read(blob).then((object) => (second = object));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(read).toBeUndefined(); // not found yet: the reads wait
    const found = { type: 'blob' as const, data: new TextEncoder().encode('as the indexing found it') };
    receiving.arrive(blob, found);
    await reading;
    expect(read).toBe(found);
    // Given once: the other read waits again, for the end, then reads the pack.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(second).toBeUndefined();
    receiving.end();
    await secondReading;
    expect(Buffer.from(second!.data).toString()).toBe('a\n');
    // An object no pack holds: null after the end, not a wait.
    expect(await store.read('0'.repeat(40))).toBeNull();
  });
});
