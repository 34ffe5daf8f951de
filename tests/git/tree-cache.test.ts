import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTree, writeTree } from '../../src/git/tree-cache.ts';
import { isomorphicWriter } from '../../src/git/objects.ts';
import { git, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();
const looseFile = (gitdir: string, oid: string) => join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
const blobOid = '8baef1b4abc478178b004d62031cf7fe6db6f903'; // "abc\n"

describe('tree cache', () => {
  it('writes real trees, serves the ones it read or wrote from memory per cache object, and keeps only the newest', async () => {
    const { dir } = repo({ files: { 'a.txt': 'abc\n' }, candidates: false });
    const gitdir = join(dir, '.git');
    const cache = {};
    const entries = (i: number) => [{ mode: '100644', path: `f${i}.txt`, type: 'blob' as const, oid: blobOid }];

    const write = isomorphicWriter(fs, gitdir);
    const first = await writeTree({ fs, gitdir, cache, write }, entries(0));
    expect(git(dir, 'cat-file', '-p', first).trim()).toBe(`100644 blob ${blobOid}\tf0.txt`);

    // Gone from disk, still known to this cache object; another cache object reads the disk.
    fs.rmSync(looseFile(gitdir, first));
    expect(await readTree({ fs, gitdir, cache }, first)).toEqual(entries(0));
    await expect(readTree({ fs, gitdir, cache: {} }, first)).rejects.toThrow(first);

    // Read from disk once, then from memory.
    const head = git(dir, 'rev-parse', 'HEAD^{tree}').trim();
    const read = await readTree({ fs, gitdir, cache }, head);
    expect(read.map((e) => e.path)).toEqual(['a.txt']);
    expect(await readTree({ fs, gitdir, cache }, head)).toBe(read);

    // 64 newer trees push the first one out: it is read from disk again (and is gone there).
    for (let i = 1; i <= 64; i++) await writeTree({ fs, gitdir, cache, write }, entries(i));
    await expect(readTree({ fs, gitdir, cache }, first)).rejects.toThrow(first);
  });
});
