// Git objects as plover writes them: the same bytes as isomorphic-git's writeTree and
// writeCommit (so the page and the label server make the same commits), trees in git's
// own order for any name, read back by real git; the Node writer stores what the
// isomorphic-git writer stores.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import isogit, { type TreeEntry } from 'isomorphic-git';
import { describe, expect, it } from 'vitest';
import { commitContent, isomorphicWriter, treeContent } from '../../src/git/objects.ts';
import { looseObjectWriter } from '../../src/node/object-writer.ts';
import { createAtomicFs } from '../../src/node/atomic-fs.ts';
import { fsck, git, GIT_ENV, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();
/** git with `input` on its standard input. */
const gitIn = (dir: string, input: string, ...args: string[]) => execFileSync('git', args, { cwd: dir, env: GIT_ENV, encoding: 'utf8', input }).trim();
const blob = '8baef1b4abc478178b004d62031cf7fe6db6f903'; // "abc\n"

/** Names that sort differently as bytes, as JS strings, and with a tree's `/`: git's order is the bytes with `/` after a tree's name. */
const NAMES = ['a', 'a.b', 'a-b', 'a0', 'B', 'é', '\u{1F600}', '\uFF5E', 'z z', 'a.json', 'corrections', 'candidates', 'README.md', '.gitignore'];

function entries(): TreeEntry[] {
  return NAMES.map((path, i) =>
    i % 3 === 0 ? { mode: '040000', path, type: 'tree', oid: '4b825dc642cb6eb9a060e54bf8d69288fbee4904' } : { mode: i % 5 ? '100644' : '100755', path, type: 'blob', oid: blob },
  );
}

describe('git objects', () => {
  it('lays out a tree as isomorphic-git and git do, for names of every kind, and git reads it back in its own order', async () => {
    const { dir } = repo({ files: { 'a.txt': 'abc\n' }, candidates: false });
    const gitdir = join(dir, '.git');
    const ours = await isomorphicWriter(fs, gitdir)('tree', treeContent(entries()));
    const empty = await isomorphicWriter(fs, gitdir)('tree', treeContent([]));
    expect(empty).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');
    // What git makes of the same entries (mktree sorts them itself).
    const listing = entries()
      .map((e) => `${e.mode} ${e.type} ${e.oid}\t${e.path}`)
      .join('\n');
    expect(gitIn(dir, `${listing}\n`, 'mktree')).toBe(ours);
    // isomorphic-git writes the same bytes for names it orders as git does (the ASCII ones).
    const ascii = entries().filter((e) => /^[\x20-\x7e]+$/.test(e.path));
    expect(await isogit.writeTree({ fs, gitdir, tree: ascii })).toBe(await isomorphicWriter(fs, gitdir)('tree', treeContent(ascii)));
    expect(fsck(dir).status).toBe(0);
  });

  it('lays out a commit as isomorphic-git does: headers, one blank line, the message without CRs, ending in one newline', async () => {
    const { dir } = repo({ files: { 'a.txt': 'abc\n' }, candidates: false });
    const gitdir = join(dir, '.git');
    const tree = git(dir, 'rev-parse', 'HEAD^{tree}').trim();
    const parent = git(dir, 'rev-parse', 'HEAD').trim();
    const who = { name: 'Ann Example', email: 'ann@example.org', timestamp: 1_714_000_000 };
    for (const message of ['plover: flag c1\n\nPlover-Candidate: c1\n', '\n\nsubject\r\n\r\nbody\n\n\n', 'no newline']) {
      for (const parents of [[], [parent]]) {
        const ours = await isomorphicWriter(fs, gitdir)('commit', commitContent({ tree, parents, who, message }));
        const theirs = await isogit.writeCommit({
          fs,
          gitdir,
          commit: { tree, parent: parents, author: { ...who, timezoneOffset: 0 }, committer: { ...who, timezoneOffset: 0 }, message },
        });
        expect(ours).toBe(theirs);
        expect(git(dir, 'cat-file', 'commit', ours)).toContain(`author Ann Example <ann@example.org> 1714000000 +0000\n`);
      }
    }
    expect(fsck(dir).status).toBe(0);
  });

  it('stores with node:zlib the same objects as isomorphic-git, atomically, and leaves one already there as it is', async () => {
    const { dir } = repo({ files: { 'a.txt': 'abc\n' }, candidates: false });
    const gitdir = join(dir, '.git');
    const node = looseObjectWriter(createAtomicFs(gitdir), gitdir);
    const text = new TextEncoder().encode('a correction\n'.repeat(1000));
    const oid = await node('blob', text);
    expect(oid).toBe(gitIn(dir, 'a correction\n'.repeat(1000), 'hash-object', '--stdin'));
    expect(git(dir, 'cat-file', '-p', oid)).toBe('a correction\n'.repeat(1000).trim());
    const file = join(gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
    const written = fs.statSync(file).mtimeMs;
    expect(await node('blob', text)).toBe(oid);
    expect(fs.statSync(file).mtimeMs).toBe(written);
    const tree = await node('tree', treeContent(entries()));
    expect(tree).toBe(await isomorphicWriter(fs, gitdir)('tree', treeContent(entries())));
    expect(fs.readdirSync(join(gitdir, 'plover-tmp'))).toEqual([]);
    expect(fsck(dir).status).toBe(0);
  });
});
