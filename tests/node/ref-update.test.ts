// The branch update under a decision's commit is a real compare-and-set, as git does it:
// a native git command moving the branch at the same moment is never overwritten.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitDecision } from '../../src/git/commit-decision.ts';
import { createAtomicFs } from '../../src/node/atomic-fs.ts';
import { indexWriter } from '../../src/node/git-index.ts';
import { refUpdater } from '../../src/node/ref-update.ts';
import { fsck, git, useTempRepos } from '../helpers/repo.ts';

const ann = { name: 'Ann Lee', email: 'ann@example.org' };
const ID = 'sftc_723a003ab86cbec2';

describe('refUpdater', () => {
  const createRepo = useTempRepos();

  it('moves the branch only from the value it expects, and leaves no lock behind', async () => {
    const { dir } = createRepo();
    const gitdir = join(dir, '.git');
    const update = refUpdater(createAtomicFs(gitdir), gitdir);
    const head = git(dir, 'rev-parse', 'HEAD');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'second');
    const second = git(dir, 'rev-parse', 'HEAD');
    expect(await update('refs/heads/main', head, head)).toBe(false);
    expect(git(dir, 'rev-parse', 'main')).toBe(second);
    expect(await update('refs/heads/main', head, second)).toBe(true);
    expect(git(dir, 'rev-parse', 'main')).toBe(head);
    expect(await update('refs/heads/new', head, null)).toBe(true);
    expect(await update('refs/heads/new', second, null)).toBe(false);
    git(dir, 'pack-refs', '--all');
    expect(await update('refs/heads/new', second, head)).toBe(true);
    expect(git(dir, 'rev-parse', 'new')).toBe(second);
    expect(existsSync(join(gitdir, 'refs/heads/main.lock')) || existsSync(join(gitdir, 'refs/heads/new.lock'))).toBe(false);
  });

  it("refuses while git holds the branch's lock, naming it", async () => {
    const { dir } = createRepo();
    const gitdir = join(dir, '.git');
    writeFileSync(join(gitdir, 'refs/heads/main.lock'), '');
    const head = git(dir, 'rev-parse', 'HEAD');
    await expect(refUpdater(createAtomicFs(gitdir), gitdir)('refs/heads/main', head, head)).rejects.toMatchObject({ code: 'E_REF_LOCKED', message: expect.stringContaining('main.lock') });
    expect(existsSync(join(gitdir, 'refs/heads/main.lock'))).toBe(true);
  });

  it('builds the commit again on a commit that native git made between the check and the move', async () => {
    const { dir } = createRepo();
    const gitdir = join(dir, '.git');
    const fs = createAtomicFs(gitdir);
    const real = refUpdater(fs, gitdir);
    let raced = false;
    // Another program commits just before our branch update: the update must see it and refuse.
    const updateRef = async (ref: string, oid: string, expected: string | null) => {
      if (!raced) {
        raced = true;
        git(dir, 'commit', '-q', '--allow-empty', '-m', 'native commit');
      }
      return real(ref, oid, expected);
    };
    const result = await commitDecision({ fs, dir, cache: {}, index: indexWriter(dir), updateRef, decision: { candidate_id: ID, action: 'flag' }, reviewer: ann });
    expect(git(dir, 'log', '--format=%s', '-2').split('\n')).toEqual([`plover: flag ${ID}`, 'native commit']);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(result.oid);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });
});
