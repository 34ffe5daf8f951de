// The fast index entry update, judged by native git: the checksum it verifies on every
// read, `git ls-files` order, and `git diff-files` (empty only when the stat data recorded
// matches the file, i.e. `git status` has nothing to re-check).
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { updateIndexEntry } from '../../src/node/git-index.ts';
import { git, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();

function write(dir: string, path: string, text: string): string {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
  return git(dir, 'hash-object', '-w', path);
}

describe('updateIndexEntry', () => {
  it('adds, replaces and removes one entry in order, with stat data git accepts, keeping the index valid', () => {
    const { dir } = repo({ candidates: false, files: { 'b/middle.json': '1\n', 'a.txt': 'a\n', 'z/last.txt': 'z\n' } });
    const gitdir = join(dir, '.git');
    // git commit wrote a TREE extension (cached trees); it must be dropped, not left stale.
    const paths = ['0-first.json', 'b/m.json', 'b/middle.json', 'zz/after-all.json'];
    for (const path of paths) expect(updateIndexEntry(dir, gitdir, path, write(dir, path, `${path}\n`))).toBe(true);
    expect(git(dir, 'ls-files').split('\n')).toEqual(['0-first.json', 'a.txt', 'b/m.json', 'b/middle.json', 'z/last.txt', 'zz/after-all.json']);
    expect(git(dir, 'diff-files', '--name-only')).toBe('');
    expect(git(dir, 'status', '--porcelain').split('\n').sort()).toEqual(['A  0-first.json', 'A  b/m.json', 'A  zz/after-all.json', 'M  b/middle.json']);
    // The index tree is what a native commit would record.
    git(dir, 'commit', '-q', '-m', 'next');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(git(dir, 'show', 'HEAD:b/middle.json')).toBe('b/middle.json');

    expect(updateIndexEntry(dir, gitdir, 'a.txt', null)).toBe(true);
    expect(git(dir, 'ls-files')).not.toContain('a.txt');
    expect(updateIndexEntry(dir, gitdir, 'not-there.txt', null)).toBe(true);
    expect(git(dir, 'fsck', '--no-progress')).toBe('');
  });

  it('replaces the index leaving at most a link to the old one in plover-tmp/, removed just after, and works without plover-tmp/', async () => {
    const { dir } = repo({ candidates: false, files: { 'a.txt': 'a\n' } });
    const gitdir = join(dir, '.git');
    const before = statSync(join(gitdir, 'index')).ino;
    // No plover-tmp/ yet: the rename frees the old index itself.
    expect(updateIndexEntry(dir, gitdir, 'b.txt', write(dir, 'b.txt', 'b\n'))).toBe(true);
    expect(existsSync(join(gitdir, 'plover-tmp'))).toBe(false);
    mkdirSync(join(gitdir, 'plover-tmp'));
    const old = statSync(join(gitdir, 'index'));
    expect(old.ino).not.toBe(before);
    expect(updateIndexEntry(dir, gitdir, 'c.txt', write(dir, 'c.txt', 'c\n'))).toBe(true);
    // Right after, plover-tmp/ holds the old index or nothing (its unlink runs on another thread) ...
    const kept = readdirSync(join(gitdir, 'plover-tmp')).map((name) => statSync(join(gitdir, 'plover-tmp', name), { throwIfNoEntry: false })?.ino ?? old.ino);
    expect(kept.every((ino) => ino === old.ino) && kept.length <= 1).toBe(true);
    // ... and nothing just after.
    await expect.poll(() => readdirSync(join(gitdir, 'plover-tmp'))).toEqual([]);
    expect(git(dir, 'ls-files').split('\n')).toEqual(['a.txt', 'b.txt', 'c.txt']);
    expect(git(dir, 'diff-files', '--name-only')).toBe('');
  });

  it('keeps every index it writes whole while it reuses its buffers: growing, shrinking, growing again', () => {
    const { dir } = repo({ candidates: false, files: { 'a.txt': 'a\n' } });
    const gitdir = join(dir, '.git');
    const add = (path: string) => expect(updateIndexEntry(dir, gitdir, path, write(dir, path, `${path}\n`))).toBe(true);
    for (let i = 0; i < 10; i++) add(`c/${i}.json`);
    for (let i = 0; i < 5; i++) expect(updateIndexEntry(dir, gitdir, `c/${i}.json`, null)).toBe(true);
    // Added after removals: the buffer the index came from has room, and must not be written into.
    for (let i = 0; i < 5; i++) add(`b/${i}.json`);
    add('c/7.json');
    const want = ['a.txt', ...[0, 1, 2, 3, 4].map((i) => `b/${i}.json`), ...[5, 6, 7, 8, 9].map((i) => `c/${i}.json`)];
    expect(git(dir, 'ls-files').split('\n')).toEqual(want);
    expect(git(dir, 'diff-files', '--name-only')).toBe('');
    for (const path of want.slice(1)) expect(git(dir, 'ls-files', '-s', path)).toContain(git(dir, 'hash-object', path));
  });

  it('keeps what another git command wrote between two of its updates (the index it remembers is used only while the file is unchanged)', () => {
    const { dir } = repo({ candidates: false, files: { 'a.txt': 'a\n' } });
    const gitdir = join(dir, '.git');
    expect(updateIndexEntry(dir, gitdir, 'c1.json', write(dir, 'c1.json', '1\n'))).toBe(true);
    write(dir, 'native.txt', 'n\n');
    git(dir, 'add', 'native.txt');
    expect(updateIndexEntry(dir, gitdir, 'c2.json', write(dir, 'c2.json', '2\n'))).toBe(true);
    expect(updateIndexEntry(dir, gitdir, 'c3.json', write(dir, 'c3.json', '3\n'))).toBe(true);
    expect(git(dir, 'ls-files').split('\n')).toEqual(['a.txt', 'c1.json', 'c2.json', 'c3.json', 'native.txt']);
    expect(git(dir, 'diff-files', '--name-only')).toBe('');
  });

  it('leaves indexes it does not handle to isomorphic-git: version 4, a split index', () => {
    for (const setup of [['--index-version', '4'], ['--split-index']]) {
      const { dir } = repo({ candidates: false, files: { 'a.txt': 'a\n' } });
      git(dir, 'update-index', ...setup);
      const before = git(dir, 'ls-files', '--stage');
      expect(updateIndexEntry(dir, join(dir, '.git'), 'b.txt', write(dir, 'b.txt', 'b\n'))).toBe(false);
      expect(git(dir, 'ls-files', '--stage')).toBe(before);
    }
  });

  it('refuses while another git command holds index.lock, and writes nothing', () => {
    const { dir } = repo({ candidates: false, files: { 'a.txt': 'a\n' } });
    writeFileSync(join(dir, '.git/index.lock'), '');
    expect(() => updateIndexEntry(dir, join(dir, '.git'), 'b.txt', write(dir, 'b.txt', 'b\n'))).toThrow(/index\.lock exists: another git command is using the index/);
    expect(git(dir, 'ls-files')).toBe('a.txt');
  });
});
