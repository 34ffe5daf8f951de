// The branch update under a decision's commit is a real compare-and-set, as git does it:
// a native git command moving the branch at the same moment is never overwritten.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitDecision } from '../../src/git/commit-decision.ts';
import { createAtomicFs } from '../../src/node/atomic-fs.ts';
import { indexWriter } from '../../src/node/git-index.ts';
import { refUpdater } from '../../src/node/ref-update.ts';
import { WorktreeCommitter } from '../../src/node/worktree-committer.ts';
import { fsck, git, useTempRepos } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';

const ID = 'sftc_723a003ab86cbec2';
const LOG = { who: { name: 'Ann Lee', email: 'ann@example.org', timestamp: 1714564800 }, message: 'commit: test' };

describe('refUpdater', () => {
  const createRepo = useTempRepos();

  it('moves the branch only from the value it expects, and leaves no lock behind', async () => {
    const { dir } = createRepo();
    const gitdir = join(dir, '.git');
    const update = refUpdater(createAtomicFs(gitdir), gitdir);
    const head = git(dir, 'rev-parse', 'HEAD');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'second');
    const second = git(dir, 'rev-parse', 'HEAD');
    expect(await update('refs/heads/main', head, head, LOG)).toBe(false);
    expect(git(dir, 'rev-parse', 'main')).toBe(second);
    expect(await update('refs/heads/main', head, second, LOG)).toBe(true);
    expect(git(dir, 'rev-parse', 'main')).toBe(head);
    expect(await update('refs/heads/new', head, null, LOG)).toBe(true);
    expect(await update('refs/heads/new', second, null, LOG)).toBe(false);
    git(dir, 'pack-refs', '--all');
    expect(await update('refs/heads/new', second, head, LOG)).toBe(true);
    expect(git(dir, 'rev-parse', 'new')).toBe(second);
    expect(existsSync(join(gitdir, 'refs/heads/main.lock')) || existsSync(join(gitdir, 'refs/heads/new.lock'))).toBe(false);
  });

  it("refuses while git holds the branch's lock, naming it", async () => {
    const { dir } = createRepo();
    const gitdir = join(dir, '.git');
    writeFileSync(join(gitdir, 'refs/heads/main.lock'), '');
    const head = git(dir, 'rev-parse', 'HEAD');
    await expect(refUpdater(createAtomicFs(gitdir), gitdir)('refs/heads/main', head, head, LOG)).rejects.toMatchObject({
      code: 'E_REF_LOCKED',
      message: expect.stringContaining('main.lock'),
    });
    expect(existsSync(join(gitdir, 'refs/heads/main.lock'))).toBe(true);
  });

  it('builds the commit again on a commit that native git made between the check and the move', async () => {
    const { dir } = createRepo();
    const gitdir = join(dir, '.git');
    const fs = createAtomicFs(gitdir);
    const real = refUpdater(fs, gitdir);
    let raced = false;
    // Another program commits just before our branch update: the update must see it and refuse.
    const updateRef: typeof real = async (ref, oid, expected, log) => {
      if (!raced) {
        raced = true;
        git(dir, 'commit', '-q', '--allow-empty', '-m', 'native commit');
      }
      return real(ref, oid, expected, log);
    };
    const result = await commitDecision({ fs, dir, cache: {}, index: indexWriter(dir), updateRef, decision: { candidate_id: ID, action: 'flag' }, reviewer: ann });
    expect(git(dir, 'log', '--format=%s', '-2').split('\n')).toEqual([`plover: flag ${ID}`, 'native commit']);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(result.oid);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it('logs every move in the reflog as git commit does, so git reflog finds a decision after a reset --hard', async () => {
    const { dir } = createRepo();
    const gitdir = join(dir, '.git');
    const fs = createAtomicFs(gitdir);
    const target = { fs, dir, cache: {}, index: indexWriter(dir), updateRef: refUpdater(fs, gitdir) };
    const first = await commitDecision({ ...target, decision: { candidate_id: ID, action: 'flag' }, reviewer: ann });
    git(dir, 'reset', '-q', '--hard', 'HEAD~1');
    expect(git(dir, 'reflog', '--format=%H %gs', '-3').split('\n')).toEqual([
      `${git(dir, 'rev-parse', 'HEAD')} reset: moving to HEAD~1`,
      `${first.oid} commit: plover: flag ${ID}`,
      `${git(dir, 'rev-parse', 'HEAD')} commit (initial): initial`,
    ]);
    expect(git(dir, 'reflog', 'show', '--format=%H %gn <%ge>', '-2', 'main').split('\n')[1]).toBe(`${first.oid} Ann Lee <ann@example.org>`);
    expect(fsck(dir).status).toBe(0);
  });

  it('moves the branch only once the objects it will name are there: a git prune beside the commit is an error that leaves the repository as it was', async () => {
    const { dir } = createRepo();
    const gitdir = join(dir, '.git');
    const atomic = createAtomicFs(gitdir);
    const head = git(dir, 'rev-parse', 'HEAD');
    // `git prune --expire=now` after each object plover writes: what no ref or index entry names yet is removed.
    const pruned = {
      promises: {
        ...atomic.promises,
        async writeFile(path: string, data: Uint8Array, options?: object) {
          await atomic.promises.writeFile(path, data, options);
          if (path.includes('/objects/')) git(dir, 'prune', '--expire=now');
        },
      },
    } as unknown as typeof atomic;
    const decision = { candidate_id: ID, action: 'flag' } as const;
    await expect(new WorktreeCommitter(dir, pruned, {}).commit(decision, ann, { modelResponse: 'the model answer' })).rejects.toMatchObject({
      code: 'E_OBJECTS_GONE',
      message: expect.stringMatching(/is gone from .* before the branch could name it .*git prune.*nothing was committed: try again/),
    });
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir)).toMatchObject({ status: 0 });
    // Tried again without the prune: committed, whole.
    const done = await new WorktreeCommitter(dir, atomic, {}).commit(decision, ann, { modelResponse: 'the model answer' });
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(done.oid);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir)).toMatchObject({ status: 0 });
  });
});
