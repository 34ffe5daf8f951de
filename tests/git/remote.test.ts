// The hosted mode's protocol code in Node, against a real git server (git http-backend) on
// loopback. The browser test (tests/e2e/hosted.test.ts) runs the same code in Chromium.
import fs, { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'isomorphic-git/http/web';
import { afterEach, describe, expect, it } from 'vitest';
import { commitDecision } from '../../src/git/commit-decision.ts';
import { outboxRef, pushOutbox, syncClone, waitingCommits, type Clone, type RemoteOptions } from '../../src/git/remote.ts';
import { reviewerTag } from '../../src/lib/records/paths.ts';
import { fsck, git } from '../helpers/repo.ts';
import { TOKEN, useGitServer } from '../helpers/git-server.ts';
import { ann } from '../helpers/reviewers.ts';

const bob = { name: 'Bob Ray', email: 'bob@example.org' };
const IDS = ['sftc_723a003ab86cbec2', 'sftc_0a4d6e8bfa2ab4f5', 'sftc_1f5bb5a0bd1e6a57'];

describe('pushing decisions from a clone without a working tree', () => {
  const remote = useGitServer();
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function newClone(): Clone {
    const dir = mkdtempSync(join(tmpdir(), 'plover-clone-'));
    dirs.push(dir);
    return { fs, gitdir: join(dir, 'repo.git'), cache: {}, http };
  }
  const options = (dest: string, password = TOKEN, reviewer = ann): RemoteOptions => ({
    url: remote.url,
    branch: 'main',
    dest,
    reviewer: reviewer.email,
    auth: { username: 'plover', password },
  });
  /** Commits a decision by `reviewer` in their outbox for `dest` (or in the ref given). */
  const decide = (clone: Clone, dest: string, id: string, reviewer = ann, at = '2024-05-01T10:00:00Z', ref = outboxRef({ dest, reviewer: reviewer.email })) =>
    commitDecision({ fs: clone.fs, gitdir: clone.gitdir, cache: clone.cache, ref, decision: { candidate_id: id, action: 'flag' }, reviewer, now: new Date(at) });
  const subjects = (range: string) => git(remote.bare, 'log', '--format=%an|%s', range).split('\n').sort();

  it('tells a first clone whether the outbox starts at the commit cloned, where the page reads the corrections ahead', async () => {
    const main = git(remote.bare, 'rev-parse', 'main');
    git(remote.bare, 'branch', 'labels/same', 'main');
    const first = newClone();
    await syncClone(first, options('labels/ahead'));
    await decide(first, 'labels/ahead', IDS[0]!);
    await pushOutbox(first, options('labels/ahead'));
    for (const [dest, there] of [
      ['main', true],
      ['labels/none', true],
      ['labels/same', true],
      ['labels/ahead', false],
    ] as const) {
      const clone = newClone();
      const told: [string, boolean][] = [];
      await syncClone(clone, options(dest), undefined, (commit, outboxThere) => told.push([commit, outboxThere]));
      expect(told, dest).toEqual([[main, there]]);
      expect(git(clone.gitdir, 'rev-parse', outboxRef({ dest, reviewer: ann.email })) === main, dest).toBe(there);
    }
  });

  it('clones depth 1, commits in the outbox, pushes one commit per decision to the review branch, and fetches nothing twice', async () => {
    const clone = newClone();
    const sync = await syncClone(clone, options('labels/ann'));
    expect(sync.cloned).toBe(true);
    expect(sync.fetched).toBeGreaterThan(1000);
    expect(fs.readFileSync(join(clone.gitdir, 'shallow'), 'utf8').trim()).toBe(git(remote.bare, 'rev-parse', 'main'));
    for (const id of IDS) await decide(clone, 'labels/ann', id);
    expect(await waitingCommits(clone, options('labels/ann'))).toHaveLength(3);

    remote.server.resetStats();
    const pushed = await pushOutbox(clone, options('labels/ann'));
    expect(pushed).toMatchObject({ pushed: 3, replayed: 0 });
    expect(remote.server.stats.pushes).toBe(1);
    // Three blobs, three shard trees, corrections/ and the root three times, three commits: a few KB, not the tree.
    expect(pushed.bytes).toBeLessThan(8 * 1024);
    expect(git(remote.bare, 'log', '--format=%an <%ae>|%s', 'labels/ann', '-3').split('\n')).toEqual(IDS.map((id) => `Ann Lee <ann@example.org>|plover: flag ${id}`).reverse());
    expect(git(remote.bare, 'rev-parse', 'labels/ann~3')).toBe(git(remote.bare, 'rev-parse', 'main'));
    expect(fsck(remote.bare).status).toBe(0);
    expect(await waitingCommits(clone, options('labels/ann'))).toHaveLength(0);

    // Nothing new on the host: a later visit downloads nothing, and a push sends nothing.
    remote.server.resetStats();
    const again = await syncClone(clone, options('labels/ann'));
    expect(again).toEqual({ fetched: 0, cloned: false });
    // One look at the host's branches, and no fetch: both are where this clone last saw them.
    expect(remote.server.stats).toMatchObject({ requests: 1, fetches: 0, fetchBytes: 0 });
    expect(await pushOutbox(clone, options('labels/ann'))).toEqual({ pushed: 0, bytes: 0, replayed: 0 });

    // The branch is where the last push left it: the next push is one request, without asking first.
    await decide(clone, 'labels/ann', IDS[0]!, ann, '2024-05-01T11:00:00Z');
    remote.server.resetStats();
    expect(await pushOutbox(clone, options('labels/ann'))).toMatchObject({ pushed: 1, replayed: 0 });
    expect(remote.server.stats).toMatchObject({ requests: 1, pushes: 1 });
    expect(git(remote.bare, 'log', '-1', '--format=%an|%ad|%s', '--date=iso-strict', 'labels/ann')).toBe(`Ann Lee|2024-05-01T11:00:00+00:00|plover: flag ${IDS[0]}`);
  });

  it('reports a wrong token clearly, without the token, and keeps the decisions for the next push', async () => {
    const clone = newClone();
    await syncClone(clone, options('labels/ann'));
    await decide(clone, 'labels/ann', IDS[0]!, ann, '2024-05-02T10:00:00Z');
    const wrong = 'wrong-token-123';
    const err = await pushOutbox(clone, options('labels/ann', wrong)).catch((e: Error & { code: string }) => e);
    expect(err).toMatchObject({ code: 'E_AUTH' });
    expect((err as Error).message).toMatch(/refused the access token \(HTTP 401\)/);
    expect((err as Error).message).not.toContain(wrong);
    expect(await waitingCommits(clone, options('labels/ann'))).toHaveLength(1);
    expect(await pushOutbox(clone, options('labels/ann'))).toMatchObject({ pushed: 1 });
  });

  it('keeps decisions while the server is down and pushes each exactly once when it is back, even when an answer was lost', async () => {
    const clone = newClone();
    await syncClone(clone, options('labels/ann'));
    await remote.server.stop();
    try {
      await decide(clone, 'labels/ann', IDS[1]!, ann, '2024-05-03T10:00:00Z');
      expect(await pushOutbox(clone, options('labels/ann')).catch((e: { code: string }) => e.code)).toBe('E_OFFLINE');
    } finally {
      await remote.server.start();
    }
    const before = git(remote.bare, 'rev-parse', 'labels/ann');
    expect(await pushOutbox(clone, options('labels/ann'))).toMatchObject({ pushed: 1 });
    // The answer of a push is lost (tab closed right after sending): the clone still thinks the commit waits.
    await decide(clone, 'labels/ann', IDS[2]!, ann, '2024-05-03T11:00:00Z');
    const base = join(clone.gitdir, `refs/plover/reviewer/${reviewerTag(ann.email)}/base/labels/ann`);
    const tracking = join(clone.gitdir, 'refs/remotes/origin/labels/ann');
    const beforeLost = fs.readFileSync(base, 'utf8');
    expect(fs.readFileSync(tracking, 'utf8')).toBe(beforeLost);
    await pushOutbox(clone, options('labels/ann'));
    fs.writeFileSync(base, beforeLost);
    expect(await waitingCommits(clone, options('labels/ann'))).toHaveLength(1);
    expect(await pushOutbox(clone, options('labels/ann'))).toEqual({ pushed: 0, bytes: 0, replayed: 0 });
    expect(git(remote.bare, 'rev-list', '--count', `${before}..labels/ann`)).toBe('2');
    // Lost before anything was recorded: the push that guesses the branch's place is refused, the next looks and finds the commit there.
    await decide(clone, 'labels/ann', IDS[0]!, ann, '2024-05-03T12:00:00Z');
    const beforeLost2 = fs.readFileSync(base, 'utf8');
    await pushOutbox(clone, options('labels/ann'));
    fs.writeFileSync(base, beforeLost2);
    fs.writeFileSync(tracking, beforeLost2);
    expect(await waitingCommits(clone, options('labels/ann'))).toHaveLength(1);
    expect(await pushOutbox(clone, options('labels/ann'))).toMatchObject({ pushed: 0, replayed: 0 });
    expect(await waitingCommits(clone, options('labels/ann'))).toHaveLength(0);
    expect(git(remote.bare, 'rev-list', '--count', `${before}..labels/ann`)).toBe('3');
    expect(fsck(remote.bare).status).toBe(0);
  });

  it('lands two reviewers pushing to the same branch at the same time: the loser replays its commits on the new head, never forcing', async () => {
    const a = newClone();
    const b = newClone();
    await syncClone(a, options('main'));
    await syncClone(b, options('main', TOKEN, bob));
    const start = git(remote.bare, 'rev-parse', 'main');
    await decide(a, 'main', IDS[0]!, ann, '2024-05-04T10:00:00Z');
    await decide(a, 'main', IDS[1]!, ann, '2024-05-04T10:01:00Z');
    await decide(b, 'main', IDS[0]!, bob, '2024-05-04T10:00:30Z');
    const [ra, rb] = await Promise.all([pushOutbox(a, options('main')), pushOutbox(b, options('main', TOKEN, bob))]);
    expect(ra.pushed + rb.pushed).toBe(3);
    expect(ra.replayed + rb.replayed).toBeGreaterThan(0);
    const log = git(remote.bare, 'log', '--format=%an|%ad|%s', '--date=iso-strict', `${start}..main`).split('\n');
    expect(log.sort()).toEqual(
      [
        `Ann Lee|2024-05-04T10:00:00+00:00|plover: flag ${IDS[0]}`,
        `Ann Lee|2024-05-04T10:01:00+00:00|plover: flag ${IDS[1]}`,
        `Bob Ray|2024-05-04T10:00:30+00:00|plover: flag ${IDS[0]}`,
      ].sort(),
    );
    // Linear history, no merge commits, every file there.
    expect(git(remote.bare, 'rev-list', '--merges', '--count', 'main')).toBe('0');
    expect(git(remote.bare, 'ls-tree', '-r', '--name-only', 'main', 'corrections').split('\n')).toHaveLength(3);
    expect(fsck(remote.bare).status).toBe(0);
  });

  describe('reviewers who share one browser (one clone)', () => {
    it("keeps an outbox per reviewer even when both push to the target branch: each push carries only its reviewer's commits", async () => {
      const clone = newClone();
      await syncClone(clone, options('main'));
      await syncClone(clone, options('main', TOKEN, bob));
      const start = git(remote.bare, 'rev-parse', 'main');
      await decide(clone, 'main', IDS[0]!, ann, '2024-05-05T10:00:00Z');
      await decide(clone, 'main', IDS[1]!, bob, '2024-05-05T10:01:00Z');
      await decide(clone, 'main', IDS[2]!, ann, '2024-05-05T10:02:00Z');
      expect((await waitingCommits(clone, options('main'))).map((c) => c.commit.author.name)).toEqual(['Ann Lee', 'Ann Lee']);
      expect((await waitingCommits(clone, options('main', TOKEN, bob))).map((c) => c.commit.author.name)).toEqual(['Bob Ray']);

      expect(await pushOutbox(clone, options('main'))).toMatchObject({ pushed: 2, replayed: 0 });
      expect(subjects(`${start}..main`)).toEqual([`Ann Lee|plover: flag ${IDS[0]}`, `Ann Lee|plover: flag ${IDS[2]}`].sort());
      expect(await waitingCommits(clone, options('main', TOKEN, bob))).toHaveLength(1);
      // Bob's outbox still stands on the old head: his commit is made again on Ann's, never forced.
      expect(await pushOutbox(clone, options('main', TOKEN, bob))).toMatchObject({ pushed: 1, replayed: 1 });
      expect(subjects(`${start}..main`)).toEqual([`Ann Lee|plover: flag ${IDS[0]}`, `Ann Lee|plover: flag ${IDS[2]}`, `Bob Ray|plover: flag ${IDS[1]}`].sort());
      expect(fsck(remote.bare).status).toBe(0);
    });

    it('refuses to push a commit of another reviewer found in the outbox, and pushes nothing', async () => {
      const clone = newClone();
      await syncClone(clone, options('main'));
      const start = git(remote.bare, 'rev-parse', 'main');
      await decide(clone, 'main', IDS[0]!, ann, '2024-05-06T10:00:00Z');
      await decide(clone, 'main', IDS[1]!, bob, '2024-05-06T10:01:00Z', outboxRef({ dest: 'main', reviewer: ann.email }));
      const err = await pushOutbox(clone, options('main')).catch((e: Error & { code: string }) => e);
      expect(err).toMatchObject({ code: 'E_OUTBOX', message: expect.stringContaining("in ann@example.org's outbox is by bob@example.org") });
      expect(git(remote.bare, 'rev-parse', 'main')).toBe(start);
      expect(await waitingCommits(clone, options('main'))).toHaveLength(2);
    });

    it("takes each reviewer's waiting commits from the shared outbox of earlier versions on their first sync, and leaves the others' for them", async () => {
      const clone = newClone();
      await syncClone(clone, options('main'));
      const start = git(remote.bare, 'rev-parse', 'main');
      // A clone as earlier versions left it: one outbox for the branch, holding both reviewers' commits.
      for (const ref of ['outbox', 'base']) fs.rmSync(join(clone.gitdir, `refs/plover/reviewer/${reviewerTag(ann.email)}/${ref}/main`));
      for (const ref of ['refs/plover/outbox/main', 'refs/plover/base/main']) {
        fs.mkdirSync(join(clone.gitdir, ref, '..'), { recursive: true });
        fs.writeFileSync(join(clone.gitdir, ref), `${start}\n`);
      }
      await decide(clone, 'main', IDS[0]!, ann, '2024-05-07T10:00:00Z', 'refs/plover/outbox/main');
      await decide(clone, 'main', IDS[1]!, bob, '2024-05-07T10:01:00Z', 'refs/plover/outbox/main');
      await decide(clone, 'main', IDS[2]!, ann, '2024-05-07T10:02:00Z', 'refs/plover/outbox/main');

      await syncClone(clone, options('main'));
      expect((await waitingCommits(clone, options('main'))).map((c) => c.commit.message.split('\n')[0])).toEqual([`plover: flag ${IDS[0]}`, `plover: flag ${IDS[2]}`]);
      expect(await pushOutbox(clone, options('main'))).toMatchObject({ pushed: 2 });
      expect(subjects(`${start}..main`)).toEqual([`Ann Lee|plover: flag ${IDS[0]}`, `Ann Lee|plover: flag ${IDS[2]}`].sort());
      expect(git(clone.gitdir, 'log', '--format=%an', `${start}..refs/plover/outbox/main`)).toBe('Bob Ray');

      await syncClone(clone, options('main', TOKEN, bob));
      expect(git(clone.gitdir, 'for-each-ref', '--format=%(refname)', 'refs/plover/outbox', 'refs/plover/base')).toBe('');
      expect(await pushOutbox(clone, options('main', TOKEN, bob))).toMatchObject({ pushed: 1 });
      expect(subjects(`${start}..main`)).toEqual([`Ann Lee|plover: flag ${IDS[0]}`, `Ann Lee|plover: flag ${IDS[2]}`, `Bob Ray|plover: flag ${IDS[1]}`].sort());
      expect(git(remote.bare, 'log', '-1', '--format=%ad', '--date=iso-strict', 'main')).toBe('2024-05-07T10:01:00+00:00');
      expect(fsck(remote.bare).status).toBe(0);
      expect(fsck(clone.gitdir).status).toBe(0);
    });
  });
});
