// The wire (src/git/smart-http.ts) against bytes produced by git itself: `git http-backend`
// behind the test server answers every request, packs come from `git pack-objects`, and a
// real pre-receive hook refuses as forges do.
import { execFileSync } from 'node:child_process';
import fs, { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'isomorphic-git/http/web';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { commitDecision } from '../../src/git/commit-decision.ts';
import { rateLimitWaitMs } from '../../src/client/hosted-session.ts';
import { outboxRef, pushOutbox, syncClone, type RemoteOptions } from '../../src/git/remote.ts';
import {
  advertiseReceivePack,
  authHeaders,
  parseAdvertisement,
  parseReceivePackResult,
  pktLine,
  rateAware,
  rateLimited,
  readPktLines,
  sendReceivePack,
  USUAL_CAPABILITIES,
  type HttpRemote,
} from '../../src/git/smart-http.ts';
import { fsck, git, GIT_ENV } from '../helpers/repo.ts';
import { TOKEN, useGitServer } from '../helpers/git-server.ts';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('pkt-lines', () => {
  it('frame payloads with their length, and read back data and flush packets', () => {
    expect(new TextDecoder().decode(pktLine('hello\n'))).toBe('000ahello\n');
    const stream = new Uint8Array([...pktLine('a\n'), ...bytes('0000'), ...pktLine(new Uint8Array([1, 0, 255]))]);
    expect(readPktLines(stream).map((p) => [p.flush, [...p.payload]])).toEqual([
      [false, [97, 10]],
      [true, []],
      [false, [1, 0, 255]],
    ]);
    expect(() => pktLine(new Uint8Array(65517))).toThrow(RangeError);
  });

  it('refuse a malformed length or a packet cut short, saying where', () => {
    expect(() => readPktLines(bytes('00zzhello'))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL', message: expect.stringContaining('byte 0') }));
    expect(() => readPktLines(bytes('000ahel'))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
    expect(() => readPktLines(bytes('0003'))).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
  });
});

describe('receive-pack over HTTP, answered by git http-backend', () => {
  const served = useGitServer();
  const work = mkdtempSync(join(tmpdir(), 'plover-wire-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const remote = (): HttpRemote => ({ url: served.url, auth: { username: 'plover', password: TOKEN } });
  const hook = () => join(served.bare, 'hooks/pre-receive');
  afterEach(() => rmSync(hook(), { force: true }));

  /** A new commit on top of the bare repository's `main`, and the pack `git pack-objects` makes of it. */
  function nextCommit(name: string): { old: string; commit: string; pack: Uint8Array } {
    const dir = join(work, name);
    execFileSync('git', ['clone', '-q', served.bare, dir], { env: { ...process.env, ...GIT_ENV } });
    writeFileSync(join(dir, `${name}.txt`), `${name}\n`);
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', name);
    const old = git(dir, 'rev-parse', 'HEAD~1');
    const commit = git(dir, 'rev-parse', 'HEAD');
    const pack = execFileSync('git', ['pack-objects', '--revs', '--stdout', '-q'], { cwd: dir, input: `${commit}\n^${old}\n` });
    return { old, commit, pack: new Uint8Array(pack) };
  }

  async function rawAdvertisement(): Promise<Uint8Array> {
    const res = await fetch(`${served.url}/info/refs?service=git-receive-pack`, { headers: authHeaders(remote()) });
    return new Uint8Array(await res.arrayBuffer());
  }

  it("reads git's advertisement: every ref, and the capabilities of the first line", async () => {
    const raw = await rawAdvertisement();
    expect(new TextDecoder().decode(raw.subarray(0, 35))).toBe('001f# service=git-receive-pack\n0000');
    const ad = parseAdvertisement(raw);
    const refs = git(served.bare, 'for-each-ref', '--format=%(refname) %(objectname)')
      .split('\n')
      .map((l) => l.split(' '));
    expect([...ad.refs]).toEqual(refs);
    for (const c of ['report-status', 'side-band-64k', 'delete-refs']) expect(ad.capabilities).toContain(c);
    expect(await advertiseReceivePack(remote())).toEqual(ad);
    for (const c of USUAL_CAPABILITIES) expect(ad.capabilities).toContain(c);
  });

  it('reads the advertisement of an empty repository (no refs, capabilities on `capabilities^{}`)', () => {
    const empty = join(work, 'empty.git');
    execFileSync('git', ['init', '-q', '--bare', empty]);
    const out = execFileSync('git', ['receive-pack', '--stateless-rpc', '--advertise-refs', empty]);
    expect(out.toString()).toContain('capabilities^{}');
    const ad = parseAdvertisement(new Uint8Array(out));
    expect(ad.refs.size).toBe(0);
    expect(ad.capabilities).toContain('report-status');
  });

  it('pushes a pack git accepts, with and without side-band', async () => {
    for (const [name, offered] of [
      ['plain', new Set(['report-status'])],
      ['banded', USUAL_CAPABILITIES],
    ] as const) {
      const next = nextCommit(name);
      const answer = await sendReceivePack(remote(), { old: next.old, new: next.commit, ref: 'refs/heads/main' }, next.pack, offered);
      expect(answer).toMatchObject({ unpack: 'ok', fatal: null });
      expect([...answer.refs]).toEqual([['refs/heads/main', { ok: true }]]);
      expect(git(served.bare, 'rev-parse', 'main')).toBe(next.commit);
    }
    expect(fsck(served.bare).status).toBe(0);
  });

  it("reports a stale old oid as git does: `ng … failed to update ref`, and git's own message on the side-band", async () => {
    const next = nextCommit('stale');
    const answer = await sendReceivePack(remote(), { old: next.commit, new: next.commit, ref: 'refs/heads/main' }, next.pack, USUAL_CAPABILITIES);
    expect(answer.unpack).toBe('ok');
    expect(answer.refs.get('refs/heads/main')).toEqual({ ok: false, reason: 'failed to update ref' });
    expect(answer.messages.join('\n')).toMatch(/cannot lock ref 'refs\/heads\/main'/);
    expect(git(served.bare, 'rev-parse', 'main')).toBe(next.old);
  });

  it("brings back a hook's refusal verbatim on the side-band (nothing without it), with git's reason", async () => {
    writeFileSync(
      hook(),
      '#!/bin/sh\necho "error: GH006: Protected branch update failed for refs/heads/main." >&2\necho "error: Changes must be made through a pull request." >&2\nexit 1\n',
    );
    chmodSync(hook(), 0o755);
    const next = nextCommit('hooked');
    const update = { old: next.old, new: next.commit, ref: 'refs/heads/main' };
    const banded = await sendReceivePack(remote(), update, next.pack, USUAL_CAPABILITIES);
    expect(banded.refs.get('refs/heads/main')).toEqual({ ok: false, reason: 'pre-receive hook declined' });
    expect(banded.messages).toEqual(['error: GH006: Protected branch update failed for refs/heads/main.', 'error: Changes must be made through a pull request.']);
    const plain = await sendReceivePack(remote(), update, next.pack, new Set(['report-status']));
    expect(plain.refs.get('refs/heads/main')).toEqual({ ok: false, reason: 'pre-receive hook declined' });
    expect(plain.messages).toEqual([]);
    expect(git(served.bare, 'rev-parse', 'main')).toBe(next.old);
  });

  it('parses side-band data split over several packets, and band 3 as fatal', () => {
    const status = new Uint8Array([...pktLine('unpack ok\n'), ...pktLine('ok refs/heads/main\n'), ...bytes('0000')]);
    const band = (n: number, payload: Uint8Array) => pktLine(new Uint8Array([n, ...payload]));
    const answer = new Uint8Array([
      ...band(1, status.subarray(0, 7)),
      ...band(2, bytes('remote: half')),
      ...band(1, status.subarray(7)),
      ...band(2, bytes(' a line\n')),
      ...band(3, bytes('disk full\n')),
      ...bytes('0000'),
    ]);
    expect(parseReceivePackResult(answer, true)).toEqual({
      unpack: 'ok',
      refs: new Map([['refs/heads/main', { ok: true }]]),
      messages: ['remote: half a line'],
      fatal: 'disk full',
    });
    expect(() => parseReceivePackResult(band(4, bytes('x')), true)).toThrow(expect.objectContaining({ code: 'E_PROTOCOL' }));
  });

  it("stops a push the host refuses, with the host's words, after at most 3 receive-pack requests", async () => {
    writeFileSync(hook(), '#!/bin/sh\necho "GH006: Protected branch update failed for refs/heads/labels/ann." >&2\nexit 1\n');
    chmodSync(hook(), 0o755);
    const clone = { fs, gitdir: join(work, 'clone.git'), cache: {}, http };
    const options: RemoteOptions = { ...remote(), branch: 'main', dest: 'labels/ann', reviewer: 'ann@example.org' };
    await syncClone(clone, options);
    await commitDecision({
      fs,
      gitdir: clone.gitdir,
      cache: clone.cache,
      ref: outboxRef(options),
      decision: { candidate_id: 'sftc_723a003ab86cbec2', action: 'flag' },
      reviewer: { name: 'Ann', email: 'ann@example.org' },
    });
    served.server.resetStats();
    await expect(pushOutbox(clone, options)).rejects.toMatchObject({
      code: 'E_REFUSED',
      message: expect.stringMatching(/refused the push to labels\/ann \(pre-receive hook declined\):\nGH006: Protected branch update failed/),
    });
    expect(served.server.stats.pushes).toBeLessThanOrEqual(3);
    expect(git(served.bare, 'branch', '--list', 'labels/ann')).toBe('');
  });
});

describe('a rate-limited host', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name] ?? null;
  const now = Date.parse('2024-05-01T12:00:00Z');

  it('is told apart from a refused token: 429, and 403 with Retry-After, x-ratelimit-remaining: 0 or a secondary rate limit', () => {
    expect(rateLimited(429, headers({ 'retry-after': '5' }), '', 'Pushing', now)).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryAfterMs: 5000,
      message: 'Pushing: the git host asks to wait 5 s (HTTP 429).',
    });
    expect(rateLimited(403, headers({}), 'You have exceeded a secondary rate limit. Please wait a few minutes.', 'Pushing', now)).toMatchObject({
      code: 'E_RATE_LIMITED',
      retryAfterMs: undefined,
    });
    expect(rateLimited(403, headers({ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 90) }), '', 'Pushing', now)).toMatchObject({ retryAfterMs: 90_000 });
    expect(rateLimited(403, headers({ 'retry-after': new Date(now + 30_000).toUTCString() }), '', 'Pushing', now)).toMatchObject({ retryAfterMs: 30_000 });
    expect(rateLimited(403, headers({}), 'Permission denied', 'Pushing', now)).toBeNull();
    expect(rateLimited(500, headers({ 'retry-after': '5' }), '', 'Pushing', now)).toBeNull();
  });

  it('is waited for 60 s when it names no time, doubling with each limit in a row, at most 16 min', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(rateLimitWaitMs)).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 960_000, 960_000]);
  });

  describe('as a real server answers', () => {
    const served = useGitServer();
    const dir = mkdtempSync(join(tmpdir(), 'plover-limited-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const options = (): RemoteOptions => ({ url: served.url, branch: 'main', dest: 'labels/ann', reviewer: 'ann@example.org', auth: { username: 'plover', password: TOKEN } });

    it('stops a fetch and a push with E_RATE_LIMITED and the time the host named, and goes on once it answers again', async () => {
      const clone = { fs, gitdir: join(dir, 'clone.git'), cache: {}, http: rateAware(http) };
      served.server.setFaults({ rateLimits: [{ status: 429, headers: { 'retry-after': '7' } }] });
      await expect(syncClone(clone, options())).rejects.toMatchObject({ code: 'E_RATE_LIMITED', retryAfterMs: 7000 });
      await syncClone(clone, options());
      await commitDecision({
        fs,
        gitdir: clone.gitdir,
        cache: clone.cache,
        ref: outboxRef(options()),
        decision: { candidate_id: 'sftc_723a003ab86cbec2', action: 'flag' },
        reviewer: { name: 'Ann', email: 'ann@example.org' },
      });
      served.server.setFaults({ rateLimits: [{ status: 403, body: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }] });
      await expect(pushOutbox(clone, options())).rejects.toMatchObject({ code: 'E_RATE_LIMITED', message: expect.stringContaining('secondary rate limit') });
      expect(git(served.bare, 'branch', '--list', 'labels/ann')).toBe('');
      expect(await pushOutbox(clone, options())).toMatchObject({ pushed: 1 });
      // A 403 that is not a rate limit is still a refused token.
      served.server.setFaults({ rateLimits: [{ status: 403, body: 'forbidden' }] });
      await expect(syncClone(clone, options())).rejects.toMatchObject({ code: 'E_AUTH' });
    });
  });
});
