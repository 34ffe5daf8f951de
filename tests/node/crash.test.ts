import { spawn, spawnSync } from 'node:child_process';
import { existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { pendingNote } from '../../src/node/recover.ts';
import { Workspace } from '../../src/node/workspace.ts';
import { GIT_ENV, ROOT, fsck, git, useTempRepos } from '../helpers/repo.ts';
import { plover } from '../helpers/cli.ts';
import { startPlover } from '../helpers/serve.ts';
import { ann } from '../helpers/reviewers.ts';

const repo = useTempRepos();
const ID = 'sftc_b5505e86f70999cf';
const OTHER = 'sftc_723a003ab86cbec2';
/** A pid no process has: what a plover killed mid-commit leaves in its pending note. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
/** The pending note a killed plover leaves for `path`. */
function noteLeft(dir: string, path: string, pid = deadPid()): string {
  const note = pendingNote(dir, path, pid);
  mkdirSync(dirname(note), { recursive: true });
  writeFileSync(note, '');
  return note;
}

describe('after a crash', () => {
  it('commits a decision that was written and staged but not committed, as its reviewer', async () => {
    const { dir } = repo();
    const path = correctionPath(ID, ann.email);
    const record = createCorrection({ candidate_id: ID, action: 'flag', failure_category: 'hallucination' }, ann, new Date('2024-05-01T12:00:00Z'));
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), serializeCorrection(record));
    git(dir, 'add', path);
    const note = noteLeft(dir, path);
    const ws = await Workspace.open(dir);
    expect(existsSync(note)).toBe(false);
    expect(ws.recovered.map((r) => [r.path, r.kind])).toEqual([[path, 'decision']]);
    expect(git(dir, 'log', '-1', '--format=%an <%ae>|%aI|%s')).toBe(`Ann Lee <ann@example.org>|2024-05-01T12:00:00+00:00|plover: flag ${ID} [hallucination]`);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(ws.index.counts(ann)).toEqual({ correct: 0, discard: 0, flag: 1 });
  });

  it('removes the index.lock of a plover killed while writing the index, and leaves any other alone', async () => {
    const { dir } = repo();
    const path = correctionPath(ID, ann.email);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), serializeCorrection(createCorrection({ candidate_id: ID, action: 'discard' }, ann, new Date('2024-05-01T12:00:00Z'))));
    const lock = join(dir, '.git/index.lock');
    const owner = join(dir, '.git/plover-index.lock.owner');
    const dead = deadPid();
    noteLeft(dir, path, dead);

    // A lock without plover's note (a git command's): recovery cannot commit, and says why.
    writeFileSync(lock, 'half an index');
    await expect(Workspace.open(dir)).rejects.toMatchObject({ code: 'E_INDEX_LOCKED' });
    expect(existsSync(lock)).toBe(true);
    // The note of a dead plover, but a different lock file (git took the lock since): still left alone.
    writeFileSync(owner, JSON.stringify({ pid: dead, ino: lstatSync(lock).ino + 1 }));
    await expect(Workspace.open(dir)).rejects.toMatchObject({ code: 'E_INDEX_LOCKED' });
    expect(existsSync(lock)).toBe(true);
    // The note of a live process (this one's parent stands in for a plover still writing): left alone.
    writeFileSync(owner, JSON.stringify({ pid: process.ppid, ino: lstatSync(lock).ino }));
    await expect(Workspace.open(dir)).rejects.toMatchObject({ code: 'E_INDEX_LOCKED' });

    // The very lock a dead plover created (killed before it unlinked its draft name, which
    // the lock is linked from): both removed, and the decision it was writing is committed.
    // A draft of a live process is its own business.
    writeFileSync(owner, JSON.stringify({ pid: dead, ino: lstatSync(lock).ino }));
    linkSync(lock, join(dir, `.git/plover-index.lock.${dead}`));
    writeFileSync(join(dir, `.git/plover-index.lock.${process.ppid}`), '');
    // A half-written note of a dead plover goes too; a live one's is left.
    writeFileSync(join(dir, `.git/plover-index.lock.owner.tmp-${dead}`), '{"pid"');
    writeFileSync(join(dir, `.git/plover-index.lock.owner.tmp-${process.ppid}`), '');
    const ws = await Workspace.open(dir);
    expect(ws.recovered.map((r) => [r.path, r.kind])).toEqual([[path, 'decision']]);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(owner)).toBe(false);
    expect(
      readdirSync(join(dir, '.git'))
        .filter((name) => name.startsWith('plover-index'))
        .sort(),
    ).toEqual([`plover-index.lock.${process.ppid}`, `plover-index.lock.owner.tmp-${process.ppid}`].sort());
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it("removes a branch lock (refs/heads/main.lock) of a plover killed while moving the branch, and leaves git's alone", async () => {
    const { dir } = repo();
    const path = correctionPath(ID, ann.email);
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), serializeCorrection(createCorrection({ candidate_id: ID, action: 'flag' }, ann, new Date('2024-05-01T12:00:00Z'))));
    const lock = join(dir, '.git/refs/heads/main.lock');
    const owner = join(dir, `.git/plover-ref.${encodeURIComponent('refs/heads/main')}.lock.owner`);
    const dead = deadPid();
    noteLeft(dir, path, dead);
    // A git command's lock: the commit of the recovered decision fails and names it.
    writeFileSync(lock, '');
    await expect(Workspace.open(dir)).rejects.toMatchObject({ code: 'E_REF_LOCKED', message: expect.stringContaining('main.lock') });
    expect(existsSync(lock)).toBe(true);
    // The lock a dead plover took: removed, and the decision committed.
    writeFileSync(owner, JSON.stringify({ pid: dead, ino: lstatSync(lock).ino }));
    const ws = await Workspace.open(dir);
    expect(ws.recovered.map((r) => r.kind)).toEqual(['decision']);
    expect(existsSync(lock)).toBe(false);
    expect(existsSync(owner)).toBe(false);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe(`plover: flag ${ID}`);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(readdirSync(join(dir, '.git')).filter((name) => name.startsWith('plover-ref'))).toEqual([]);
    expect(fsck(dir).status).toBe(0);
  });

  it('commits an undo whose file was removed but not committed, and clears temporary files', async () => {
    const { dir } = repo();
    const ws = await Workspace.open(dir);
    const { path } = await ws.service.decide(ann, { candidate_id: ID, action: 'discard' });
    rmSync(join(dir, path));
    noteLeft(dir, path);
    mkdirSync(join(dir, '.git/plover-tmp'), { recursive: true });
    writeFileSync(join(dir, '.git/plover-tmp/123-4'), 'half');
    const again = await Workspace.open(dir);
    expect(again.recovered.map((r) => r.kind)).toEqual(['undo']);
    expect(git(dir, 'log', '-1', '--format=%s')).toBe(`plover: undo discard ${ID}`);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    // Only what this run wrote went through it, and each was renamed into place (the old
    // index's link is removed on the thread pool, just after the commit).
    await expect.poll(() => readdirSync(join(dir, '.git/plover-tmp'))).toEqual([]);
  });

  it('leaves the temporary files of a plover still running: a label server keeps committing while plover submit starts beside it', async () => {
    const { dir } = repo();
    const server = await Workspace.open(dir);
    await server.service.decide(ann, { candidate_id: ID, action: 'discard' });
    const tmp = join(dir, '.git/plover-tmp');
    writeFileSync(join(tmp, `${process.ppid}-7`), 'in flight'); // a running process's
    writeFileSync(join(tmp, `${deadPid()}-3`), 'half'); // a killed one's
    const submit = plover(dir, ['submit', OTHER, '--action', 'flag', '--reviewer', 'Bob <bob@example.org>']);
    expect(submit.status).toBe(0);
    expect(readdirSync(tmp)).toEqual([`${process.ppid}-7`]);
    // The server's next decision writes through plover-tmp/ as before.
    await server.service.decide(ann, { candidate_id: OTHER, action: 'flag' });
    expect(git(dir, 'log', '--format=%s', '-3').split('\n')).toEqual([`plover: flag ${OTHER}`, `plover: flag ${OTHER}`, `plover: discard ${ID}`]);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('looks only at noted files: a note whose commit landed, or whose process still runs, commits nothing, and a file changed by hand is left to its author', async () => {
    const { dir } = repo();
    const ws = await Workspace.open(dir);
    const { path, oid } = await ws.service.decide(ann, { candidate_id: ID, action: 'discard' });
    expect(readdirSync(join(dir, '.git/plover-pending'))).toEqual([]);
    // Killed after moving the branch, before removing its note: nothing left to commit.
    const landed = noteLeft(dir, path);
    expect((await Workspace.open(dir)).recovered).toEqual([]);
    expect(existsSync(landed)).toBe(false);
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(oid);

    // A decision in flight in a process that still runs (this one's parent stands in for it) is its own.
    const other = correctionPath(OTHER, ann.email);
    mkdirSync(dirname(join(dir, other)), { recursive: true });
    writeFileSync(join(dir, other), serializeCorrection(createCorrection({ candidate_id: OTHER, action: 'flag' }, ann, new Date('2024-05-01T12:00:00Z'))));
    const live = noteLeft(dir, other, process.ppid);
    expect((await Workspace.open(dir)).recovered).toEqual([]);
    expect(existsSync(live)).toBe(true);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe(`?? ${other}`);
    // Without any note (a file written by hand), it stays for its author to commit.
    rmSync(live);
    expect((await Workspace.open(dir)).recovered).toEqual([]);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe(`?? ${other}`);
    // Once the note's process is gone, its decision is committed.
    noteLeft(dir, other);
    expect((await Workspace.open(dir)).recovered.map((r) => [r.path, r.kind])).toEqual([[other, 'decision']]);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it('puts back a decision whose commit failed after its file was written, so nothing the reviewer was told failed is committed later', async () => {
    const { dir } = repo();
    const path = correctionPath(ID, ann.email);
    const ws = await Workspace.open(dir);
    // Once with no earlier decision (the file goes), once over a committed one (it comes back as committed).
    for (const earlier of [false, true]) {
      if (earlier) await ws.service.decide(ann, { candidate_id: ID, action: 'discard' });
      const before = earlier ? readFileSync(join(dir, path), 'utf8') : undefined;
      const head = git(dir, 'rev-parse', 'HEAD');
      const lock = join(dir, '.git/refs/heads/main.lock');
      writeFileSync(lock, ''); // a git command holds the branch
      await expect(ws.service.decide(ann, { candidate_id: ID, action: 'flag' })).rejects.toMatchObject({ code: 'E_REF_LOCKED' });
      rmSync(lock);
      expect(existsSync(join(dir, path)) ? readFileSync(join(dir, path), 'utf8') : undefined).toBe(before);
      expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
      expect(readdirSync(join(dir, '.git/plover-pending'))).toEqual([]);
      const again = await Workspace.open(dir);
      expect(again.recovered).toEqual([]);
      expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    }
    // A file its author edited by hand keeps the edits, whether the failure came before anything was written or after.
    const edited = `${readFileSync(join(dir, path), 'utf8').trimEnd()}\n`.replace('"discard"', '"flag"');
    writeFileSync(join(dir, path), edited);
    const lock = join(dir, '.git/refs/heads/main.lock');
    writeFileSync(lock, '');
    await expect(ws.service.decide(ann, { candidate_id: ID, action: 'correct', corrected_response: 'New text.' })).rejects.toMatchObject({ code: 'E_REF_LOCKED' });
    rmSync(lock);
    await expect(ws.service.decide(ann, { candidate_id: ID, action: 'correct', corrected_response: ' ' })).rejects.toMatchObject({ code: 'E_INVALID_DECISION' });
    expect(readFileSync(join(dir, path), 'utf8')).toBe(edited);
    expect(git(dir, 'diff', '--name-only')).toBe(path);
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('');
    expect(readdirSync(join(dir, '.git/plover-pending'))).toEqual([]);
    expect(fsck(dir).status).toBe(0);
  });

  it('loses no acknowledged decision when the label server is killed (-9) at random moments mid-commit', async () => {
    const { dir } = repo();
    const ids = readdirSync(join(ROOT, 'candidates'))
      .filter((f) => f.endsWith('.jsonl'))
      .flatMap((f) =>
        readFileSync(join(ROOT, 'candidates', f), 'utf8')
          .trim()
          .split('\n'),
      )
      .map((l) => JSON.parse(l).id as string);
    const acknowledged = new Set<string>();
    const refused: string[] = [];
    let next = 0;
    for (let round = 0; round < 5; round++) {
      const child = spawn(process.execPath, [join(ROOT, 'bin/plover.mjs'), 'serve', '--port', '0', '--reviewer', 'Ann Lee <ann@example.org>'], {
        cwd: dir,
        env: GIT_ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise((r) => child.once('exit', r));
      let err = '';
      child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.on('exit', (code) => reject(new Error(`serve exited ${code} in round ${round}: ${out}${err}`)));
      });
      // Eight writers keep commits in flight; the kill lands after a random number of
      // acknowledgements in this round (events, not times: a slow machine gets as many).
      let alive = true;
      const killAfter = 1 + Math.floor(Math.random() * 12);
      let acknowledgedHere = 0;
      let killed!: () => void;
      const kill = new Promise<void>((r) => (killed = r));
      const writer = async () => {
        while (alive) {
          const id = ids[next++]!;
          try {
            const res = await fetch(`${url}api/decisions`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ candidate_id: id, action: 'discard' }),
            });
            if (res.status === 201) {
              acknowledged.add(id);
              if (++acknowledgedHere === killAfter) killed();
            } else {
              refused.push(`${res.status} ${await res.text()}`);
              killed();
            }
          } catch {
            return; // the server is gone
          }
        }
      };
      const writers = Array.from({ length: 8 }, writer);
      await kill;
      child.kill('SIGKILL');
      alive = false;
      await Promise.all(writers);
      await exited;
      // The repository is sound as the kill left it, before any recovery.
      expect(fsck(dir).status).toBe(0);
    }
    expect(refused).toEqual([]);
    // A restart carries on: whatever was written but not committed is committed.
    const server = await startPlover(dir, 'Ann Lee <ann@example.org>');
    await server.stop();
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
    const committed = new Set(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'corrections').split('\n'));
    const lost = [...acknowledged].filter((id) => !committed.has(correctionPath(id, ann.email)));
    expect(lost).toEqual([]);
  });
});
