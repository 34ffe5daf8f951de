import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { afterEach, describe, expect, it } from 'vitest';
import { readBlobAt } from '../../src/git/object-store.ts';
import { syncClone, type Clone, type RemoteOptions } from '../../src/git/remote.ts';
import { parseUploadPackResult, uploadPackRequest } from '../../src/git/shallow-clone.ts';
import { pktLine } from '../../src/git/smart-http.ts';
import { concat } from '../../src/lib/bytes.ts';
import { TOKEN, useGitServer } from '../helpers/git-server.ts';
import { GIT_ENV, createRepo, git as run } from '../helpers/repo.ts';

describe('the first clone', () => {
  const remote = useGitServer();
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const options: RemoteOptions = { url: '', branch: 'main', dest: 'labels/ann', reviewer: 'ann@example.org' };
  const newClone = (): Clone => {
    const dir = mkdtempSync(join(tmpdir(), 'plover-clone-'));
    dirs.push(dir);
    return { fs, gitdir: join(dir, 'repo.git'), cache: {}, http };
  };
  const withAuth = () => ({ ...options, url: remote.url, auth: { username: 'plover', password: TOKEN } });

  it('stores the pack git would, its index as git writes it, the shallow boundary and the ref; git finds the clone sound', async () => {
    const clone = newClone();
    const told: string[] = [];
    const sync = await syncClone(clone, withAuth(), (phase) => told.push(phase));
    expect(told).toContain('Indexing objects');
    const head = run(remote.bare, 'rev-parse', 'main').trim();
    const packDir = join(clone.gitdir, 'objects/pack');
    const packs = fs.readdirSync(packDir).filter((f) => f.endsWith('.pack'));
    expect(packs).toHaveLength(1);
    expect(sync.fetched).toBeGreaterThan(fs.statSync(join(packDir, packs[0]!)).size);
    // git's own index of the same pack is the one stored, byte for byte.
    const copy = join(clone.gitdir, 'copy.pack');
    fs.copyFileSync(join(packDir, packs[0]!), copy);
    expect(spawnSync('git', ['index-pack', copy], { env: GIT_ENV }).status).toBe(0);
    expect(fs.readFileSync(copy.replace(/\.pack$/, '.idx')).equals(fs.readFileSync(join(packDir, packs[0]!.replace(/\.pack$/, '.idx'))))).toBe(true);
    fs.rmSync(copy);
    fs.rmSync(copy.replace(/\.pack$/, '.idx'));
    expect(fs.readFileSync(join(clone.gitdir, 'shallow'), 'utf8')).toBe(`${head}\n`);
    const gitIn = (...args: string[]) => spawnSync('git', [`--git-dir=${clone.gitdir}`, ...args], { env: GIT_ENV, encoding: 'utf8' });
    expect(gitIn('rev-parse', 'refs/remotes/origin/main').stdout.trim()).toBe(head);
    expect(gitIn('log', '--format=%H', 'refs/remotes/origin/main').stdout.trim()).toBe(head);
    const fsck = gitIn('fsck', '--strict', '--no-dangling');
    expect(fsck.stderr).toBe('');
    expect(fsck.status).toBe(0);
    expect(gitIn('ls-tree', '-r', '--name-only', head).stdout.trim()).toBe(run(remote.bare, 'ls-tree', '-r', '--name-only', head).trim());
  });

  it('tells the commit before the clone is stored; the files read from then on are those git has', async () => {
    const clone = newClone();
    const head = run(remote.bare, 'rev-parse', 'main').trim();
    const paths = run(remote.bare, 'ls-tree', '-r', '--name-only', head).trim().split('\n');
    let reads: Promise<(Uint8Array | null)[]> | undefined;
    let storedWhenTold: string[] | undefined;
    await syncClone(clone, withAuth(), undefined, (commit) => {
      expect(commit).toBe(head);
      const packs = join(clone.gitdir, 'objects/pack');
      storedWhenTold = [...(fs.existsSync(join(clone.gitdir, 'refs/remotes/origin/main')) ? ['the ref'] : []), ...(fs.existsSync(packs) ? fs.readdirSync(packs) : [])];
      reads = Promise.all(paths.map((path) => readBlobAt(clone, commit, path)));
    });
    expect(storedWhenTold).toEqual([]);
    const read = await reads!;
    const gitHas = (path: string) => spawnSync('git', ['cat-file', 'blob', `${head}:${path}`], { cwd: remote.bare, env: GIT_ENV }).stdout;
    expect(read.map((bytes, i) => Buffer.from(bytes!).equals(gitHas(paths[i]!)))).toEqual(paths.map(() => true));
  });

  it('stores nothing of a pack that does not index: the pack stored while it was indexed is removed', async () => {
    // Between the page and the host, a pack damaged on the way: one byte of its last object flipped.
    const proxy = createServer(async (req, res) => {
      const body: Buffer[] = [];
      for await (const chunk of req) body.push(chunk as Buffer);
      const answer = await fetch(`${remote.url}${req.url!.slice('/demo.git'.length)}`, {
        method: req.method!,
        headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k))) as Record<string, string>,
        ...(req.method === 'POST' ? { body: Buffer.concat(body) } : {}),
      });
      const bytes = Buffer.from(await answer.arrayBuffer());
      if (req.url!.endsWith('/git-upload-pack')) bytes[bytes.length - 4 - 20 - 2]! ^= 0xff; // before the flush and the pack's checksum
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' });
      res.end(bytes);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const clone = newClone();
      const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/demo.git`;
      await expect(syncClone(clone, { ...withAuth(), url })).rejects.toThrow(/pack is damaged/);
      const packDir = join(clone.gitdir, 'objects/pack');
      expect(fs.existsSync(packDir) ? fs.readdirSync(packDir) : []).toEqual([]);
      expect(fs.existsSync(join(clone.gitdir, 'refs/remotes/origin/main'))).toBe(false);
    } finally {
      proxy.close();
    }
  });

  it('leaves later fetches to isomorphic-git, which finds what the first one stored and brings only what is new', async () => {
    const clone = newClone();
    await syncClone(clone, withAuth());
    const work = createRepo({ candidates: false });
    try {
      run(work.dir, 'fetch', '-q', remote.bare, 'main');
      run(work.dir, 'reset', '-q', '--hard', 'FETCH_HEAD');
      fs.writeFileSync(join(work.dir, 'later.txt'), 'a later commit\n');
      run(work.dir, 'add', '-A');
      run(work.dir, 'commit', '-qm', 'later');
      run(work.dir, 'push', '-q', remote.bare, 'HEAD:main');
    } finally {
      work.remove();
    }
    remote.server.resetStats();
    const again = await syncClone(clone, withAuth());
    expect(again.cloned).toBe(false);
    expect(remote.server.stats.fetchBytes).toBeLessThan(2000);
    const head = run(remote.bare, 'rev-parse', 'main').trim();
    const { blob } = await git.readBlob({ fs, gitdir: clone.gitdir, oid: head, filepath: 'later.txt' });
    expect(Buffer.from(blob).toString()).toBe('a later commit\n');
    // An object of the first pack, read by isomorphic-git on its own.
    const first = run(remote.bare, 'rev-parse', 'main~1:candidates').trim();
    expect((await git.readTree({ fs, gitdir: clone.gitdir, oid: first })).tree.length).toBeGreaterThan(0);
  });
});

describe('the upload-pack exchange', () => {
  it('asks for one commit at depth 1 with what the fetch needs, and progress only when the host cannot leave it out', () => {
    const text = (offered: string[]) => Buffer.from(uploadPackRequest('a'.repeat(40), new Set(offered))).toString();
    expect(text(['no-progress'])).toBe(`006bwant ${'a'.repeat(40)} shallow side-band-64k ofs-delta no-progress agent=plover\n000ddeepen 1\n00000009done\n`);
    expect(text([])).not.toContain('no-progress');
  });

  it('says what the host said when it refuses or stops, and refuses an answer that holds no pack', () => {
    const answer = (...lines: (string | Uint8Array)[]) => concat(lines.map((l) => pktLine(l)));
    expect(() => parseUploadPackResult(answer('ERR upload-pack: not our ref\n'))).toThrow('The git host refused the fetch: upload-pack: not our ref');
    expect(() => parseUploadPackResult(answer('NAK\n', new Uint8Array([3, ...Buffer.from('out of memory\n')])))).toThrow(
      'The git host stopped sending the repository: out of memory',
    );
    expect(() => parseUploadPackResult(answer('NAK\n'))).toThrow('without a pack');
    expect(() => parseUploadPackResult(answer('<html>\n'))).toThrow('not a pack');
    const ok = parseUploadPackResult(answer(`shallow ${'b'.repeat(40)}\n`, 'NAK\n', new Uint8Array([2, 65]), new Uint8Array([1, 80, 65]), new Uint8Array([1, 67, 75])));
    expect(ok.shallow).toEqual(['b'.repeat(40)]);
    expect(Buffer.from(ok.pack).toString()).toBe('PACK');
  });
});
