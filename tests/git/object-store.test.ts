import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import { oidBytes } from '../../src/git/bytes.ts';
import { parseTree, readBlobAt, readCommitTree, readTreeEntries, usePackStore, type ArrivingBlob } from '../../src/git/object-store.ts';
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
    receiving.arrive(blob, found, 12);
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

  describe('a blob read as it inflates', () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    const text = (parts: Uint8Array[]) => Buffer.concat(parts).toString();
    const [tree, blob, other] = ['1'.repeat(40), '2'.repeat(40), '3'.repeat(40)];
    const newStore = () => usePackStore({ fs, gitdir: join(tmpdir(), 'plover-no-such-clone'), cache: {} });
    const settled = () => new Promise((resolve) => setTimeout(resolve, 20));
    const arrivingMarks = () => performance.getEntriesByName('plover:arriving').map((e) => (e as PerformanceMark).detail.right as boolean);

    it('takes the first large blob that starts inflating after the tree naming it, gives its parts as they come, and its bytes once hashed', async () => {
      performance.clearMarks('plover:arriving');
      const store = newStore();
      const receiving = store.receive();
      // A large blob that started before the tree: not the one (git packs a tree's blobs after it).
      receiving.inflating(40, 'blob', 3, bytes('old'));
      receiving.arrive(tree, { type: 'tree', data: new Uint8Array() }, 20);
      let asked: ArrivingBlob | null | undefined;
      const asking = store.arriving(blob, tree).then((a) => (asked = a));
      await settled();
      expect(asked).toBeUndefined(); // waits for one
      receiving.inflating(100, 'blob', 6, bytes('abc'));
      await asking;
      expect(asked!.size).toBe(6);
      const parts: Uint8Array[] = [];
      const reading = (async () => {
        for await (const part of asked!.parts) parts.push(part);
      })();
      await settled();
      expect(text(parts)).toBe('abc');
      receiving.inflating(100, 'blob', 6, bytes('def'));
      await reading;
      expect(text(parts)).toBe('abcdef');
      let whole: Uint8Array | undefined;
      const hashed = asked!.whole().then((w) => (whole = w));
      await settled();
      expect(whole).toBeUndefined(); // not before its oid is known
      receiving.arrive(blob, { type: 'blob', data: bytes('abcdef') }, 100);
      await hashed;
      expect(Buffer.from(whole!).toString()).toBe('abcdef');
      expect(arrivingMarks()).toEqual([true]);
      receiving.end();
    });

    it('says so when the blob it took is another, and the blob asked for is read whole as usual', async () => {
      performance.clearMarks('plover:arriving');
      const store = newStore();
      const receiving = store.receive();
      receiving.arrive(tree, { type: 'tree', data: new Uint8Array() }, 20);
      receiving.inflating(100, 'blob', 5, bytes('wrong'));
      const asked = (await store.arriving(blob, tree))!;
      receiving.arrive(other, { type: 'blob', data: bytes('wrong') }, 100);
      await expect(asked.whole()).rejects.toThrow(`the blob read as it inflated is ${other}, not ${blob}`);
      expect(arrivingMarks()).toEqual([false]);
      receiving.arrive(blob, { type: 'blob', data: bytes('small') }, 200);
      expect(Buffer.from((await store.read(blob))!.data).toString()).toBe('small');
      receiving.end();
    });

    it('is null when the blob arrives whole first, when its tree did not arrive, and after the end; a blob cut short by the end fails', async () => {
      const store = newStore();
      const receiving = store.receive();
      expect(await store.arriving(blob, tree)).toBeNull(); // its tree is not here
      receiving.arrive(tree, { type: 'tree', data: new Uint8Array() }, 20);
      const asking = store.arriving(blob, tree);
      receiving.arrive(blob, { type: 'blob', data: bytes('small') }, 30);
      expect(await asking).toBeNull();
      // Cut short: what was read cannot be used.
      const cut = store.arriving(other, tree);
      receiving.inflating(100, 'blob', 10, bytes('half'));
      const asked = (await cut)!;
      receiving.end();
      const parts: Uint8Array[] = [];
      await expect(
        (async () => {
          for await (const part of asked.parts) parts.push(part);
        })(),
      ).rejects.toThrow('the pack ended 6 bytes before the end of the blob read as it inflated');
      await expect(asked.whole()).rejects.toThrow(`is not in the pack, not ${other}`);
      expect(await store.arriving(other, tree)).toBeNull();
    });
  });
});
