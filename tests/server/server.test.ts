import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import { Workspace } from '../../src/node/workspace.ts';
import { plover } from '../helpers/cli.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { candidateLine, fsck, git, useTempRepos } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';
import { createLocalBackend } from '../../src/client/local-backend.ts';
import { PloverError } from '../../src/lib/errors.ts';

const repo = useTempRepos();
let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve() {
  const { dir } = repo();
  server = await startServer({ workspace: await Workspace.open(dir), reviewer: ann, port: 0 });
  return { dir, server };
}

/**
 * A raw HTTP request, so tests can set Host and Origin as an attacker would. Each on a
 * connection of its own: a kept-alive one can be closed by the server's idle timer just
 * as the next request goes out (ECONNRESET), which a test that blocks this process with
 * a child process (plover submit) makes likely on a slow machine.
 */
function send(port: number, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }) {
  return new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, agent: false, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the label server', () => {
  it('sends the site gzipped to a browser that takes gzip, the same bytes once unzipped, and names a favicon so none is asked for', async () => {
    const { server } = await serve();
    const get = (path: string, gzip: boolean) =>
      new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
        request({ host: '127.0.0.1', port: server.port, agent: false, path, headers: gzip ? { 'accept-encoding': 'gzip, deflate, br' } : {} }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        })
          .on('error', reject)
          .end();
      });
    const plain = await get('/', false);
    const zipped = await get('/', true);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(zipped.body).equals(plain.body)).toBe(true);
    expect(zipped.body.length).toBeLessThan(plain.body.length / 2);
    expect(plain.body.toString()).toMatch(/<link rel="icon" href="data:image\/svg\+xml,/);
    const script = /src="(\/_astro\/[^"]+\.js)"/.exec(plain.body.toString())?.[1];
    if (script) expect((await get(script, true)).headers['content-encoding']).toBe('gzip');
  });

  it('carries every LabelBackend method to the page: the client and the server, both from one route table, answer as the service does', async () => {
    const { dir, server } = await serve();
    const page = createLocalBackend(server.url.replace(/\/$/, ''));
    const service = (await Workspace.open(dir)).service.backend(ann);
    expect(await page.session()).toEqual(await service.session());
    expect(await page.facets()).toEqual(await service.facets());
    const first = await page.queue(null, 3, { sort: '-score' });
    expect(first).toEqual(await service.queue(null, 3, { sort: '-score' }));
    const id = first.items[0]!.id;
    expect(await page.context(id)).toEqual(await service.context(id));
    const decided = await page.decide({ candidate_id: id, action: 'flag', corrected_response: null, failure_category: 'hallucination' }, 1234);
    expect(decided.oid).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(decided.correction).toMatchObject({ candidate_id: id, action: 'flag', failure_category: 'hallucination', duration_ms: 1234 });
    const undone = await page.undo(id);
    expect(undone.oid).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect((await page.history(id)).map((e) => [e.kind, e.commit])).toEqual([
      ['undo', undone.oid],
      ['decision', decided.oid],
    ]);
    expect(await page.stats()).toEqual(await (await Workspace.open(dir)).service.backend(ann).stats());
    // A refusal reaches the page with its code and every problem, as the service throws it.
    const refused = await page.decide({ candidate_id: id, action: 'correct', corrected_response: ' ', failure_category: null }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(PloverError);
    expect(refused).toMatchObject({ code: 'E_INVALID_DECISION', problems: [{ path: 'corrected_response', message: 'must not be blank when action is "correct"' }] });
    await expect(page.context('nope')).rejects.toMatchObject({ code: 'E_UNKNOWN_CANDIDATE' });
    expect(fsck(dir).status).toBe(0);
  });

  it('serves the session, the queue in pages, and commits a posted decision', async () => {
    const { dir, server } = await serve();
    const session = JSON.parse((await send(server.port, { path: '/api/session' })).body);
    expect(session).toEqual({ reviewer: ann, counts: { correct: 0, discard: 0, flag: 0 }, remaining: 640, total: 640 });
    const first = JSON.parse((await send(server.port, { path: '/api/queue?limit=3' })).body);
    expect(first.items).toHaveLength(3);
    const next = JSON.parse((await send(server.port, { path: `/api/queue?limit=3&after=${first.items[2].id}` })).body);
    expect(next.items[0].id).not.toBe(first.items[2].id);

    const posted = await send(server.port, {
      method: 'POST',
      path: '/api/decisions',
      headers: { 'content-type': 'application/json', origin: server.url.slice(0, -1) },
      body: JSON.stringify({ candidate_id: first.items[1].id, action: 'discard', failure_category: 'scoring_artifact' }),
    });
    expect(posted.status).toBe(201);
    expect(JSON.parse(posted.body)).toMatchObject({ counts: { discard: 1 }, remaining: 639 });
    expect(git(dir, 'log', '-1', '--format=%s')).toBe(`plover: discard ${first.items[1].id} [scoring_artifact]`);
    // A page that began before the decision goes on after the decided candidate.
    const again = JSON.parse((await send(server.port, { path: `/api/queue?limit=1&after=${first.items[0].id}` })).body);
    expect(again.items[0].id).toBe(first.items[2].id);
  });

  it('takes in what comes into the branch while it runs: decisions committed beside it, removed files, broken files (named in its log), a new run', async () => {
    const { dir, server } = await serve();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const logs = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const session = async () => JSON.parse((await send(server.port, { path: '/api/session' })).body);
    const stats = async () => JSON.parse((await send(server.port, { path: '/api/stats' })).body);
    const [x, y, z] = ['sftc_b5505e86f70999cf', 'sftc_723a003ab86cbec2', 'sftc_37883adc96cf1189'];
    expect(await session()).toMatchObject({ counts: { flag: 0 }, remaining: 640, total: 640 });
    // Committed beside it by plover submit: Ann's own decision and Bob's.
    expect(plover(dir, ['submit', x, '--action', 'flag', '--reviewer', 'Ann Lee <ann@example.org>']).status).toBe(0);
    expect(plover(dir, ['submit', y, '--action', 'discard', '--reviewer', 'Bob Ray <bob@example.org>']).status).toBe(0);
    expect(await session()).toMatchObject({ counts: { flag: 1 }, remaining: 639 });
    expect((await stats()).by_reviewer).toEqual({ 'ann@example.org': 1, 'bob@example.org': 1 });
    // A decision posted now, on top of them.
    const post = (id: string) =>
      send(server.port, { method: 'POST', path: '/api/decisions', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ candidate_id: id, action: 'flag' }) });
    const tookIn = () => logs.mock.calls.flat().filter((l) => String(l).startsWith('took in')).length;
    const before = tookIn();
    expect((await post(z)).status).toBe(201);
    expect(await session()).toMatchObject({ counts: { flag: 2 }, remaining: 638 });
    expect(tookIn()).toBe(before); // its own commit is not read again
    // A pull that removes Ann's first decision.
    git(dir, 'rm', '-q', correctionPath(x, ann.email));
    git(dir, 'commit', '-q', '-m', 'drop');
    expect(await session()).toMatchObject({ counts: { flag: 1 }, remaining: 639 });
    // A broken file merged in: kept out, and named in the log; fixed, it is taken in.
    const broken = correctionPath(x, ann.email);
    mkdirSync(dirname(join(dir, broken)), { recursive: true });
    writeFileSync(join(dir, broken), '{ "candidate_id": ');
    git(dir, 'add', broken);
    git(dir, 'commit', '-q', '-m', 'broken');
    expect(await session()).toMatchObject({ counts: { flag: 1 }, remaining: 639 });
    expect(errors.mock.calls.flat().join('\n')).toContain(broken);
    git(dir, 'checkout', 'HEAD~2', '--', broken);
    git(dir, 'commit', '-q', '-m', 'fixed');
    expect(await session()).toMatchObject({ counts: { flag: 2 }, remaining: 638 });
    // A new run: read again, with its candidate in the queue.
    writeFileSync(join(dir, 'candidates/run_new.jsonl'), `${candidateLine({ id: 'c_new', benchmark_run_id: 'run_new' })}\n`);
    git(dir, 'add', 'candidates/run_new.jsonl');
    git(dir, 'commit', '-q', '-m', 'new run');
    expect(await session()).toMatchObject({ counts: { flag: 2 }, remaining: 639, total: 641 });
    expect((await post('c_new')).status).toBe(201);
    // A broken run: the last repository read goes on serving, and the log says why.
    writeFileSync(join(dir, 'candidates/run_bad.jsonl'), '{ nope\n');
    git(dir, 'add', 'candidates/run_bad.jsonl');
    git(dir, 'commit', '-q', '-m', 'bad run');
    expect(await session()).toMatchObject({ counts: { flag: 3 }, remaining: 638, total: 641 });
    expect(errors.mock.calls.flat().join('\n')).toContain('candidates/run_bad.jsonl');
    expect(logs.mock.calls.flat().join('\n')).toContain('641 candidates');
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
    errors.mockRestore();
    logs.mockRestore();
  });

  it('answers a bad decision with 400 and the problems, an unknown candidate with 404, and commits nothing', async () => {
    const { dir, server } = await serve();
    const head = git(dir, 'rev-parse', 'HEAD');
    const post = (body: string) => send(server.port, { method: 'POST', path: '/api/decisions', headers: { 'content-type': 'application/json' }, body });
    const blank = await post(JSON.stringify({ candidate_id: 'sftc_b5505e86f70999cf', action: 'correct', corrected_response: ' ' }));
    expect(blank.status).toBe(400);
    expect(JSON.parse(blank.body).error.problems).toEqual([{ file: 'decision', path: 'corrected_response', message: 'must not be blank when action is "correct"' }]);
    expect((await post(JSON.stringify({ candidate_id: 'nope', action: 'flag' }))).status).toBe(404);
    // Read as plover submit --from reads a line: an unknown field is refused, not ignored.
    const unknown = await post(JSON.stringify({ candidate_id: 'sftc_b5505e86f70999cf', action: 'flag', colour: 'red' }));
    expect(unknown.status).toBe(400);
    expect(JSON.parse(unknown.body).error.problems).toEqual([
      { file: 'decision', path: 'colour', message: 'unknown field; a decision has candidate_id, action, corrected_response, failure_category, unchanged, started_from' },
    ]);
    expect(JSON.parse((await post(JSON.stringify({ action: 'flag' }))).body).error.problems).toEqual([
      { file: 'decision', path: 'candidate_id', message: 'must be a candidate id (a non-empty string)' },
    ]);
    expect((await post('{not json')).status).toBe(400);
    expect((await post('x'.repeat(5 * 1024 * 1024))).status).toBe(413);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('refuses, before anything is written, a correction over the size limit, a lone surrogate and a duplicate key', async () => {
    const { dir, server } = await serve();
    const head = git(dir, 'rev-parse', 'HEAD');
    const post = (body: string) => send(server.port, { method: 'POST', path: '/api/decisions', headers: { 'content-type': 'application/json' }, body });
    const id = 'sftc_b5505e86f70999cf';
    for (const size of [1.2e6, 1.5 * 1024 * 1024, 3.9 * 1024 * 1024]) {
      const big = await post(JSON.stringify({ candidate_id: id, action: 'correct', corrected_response: 'y'.repeat(size) }));
      expect(big.status).toBe(400);
      expect(JSON.parse(big.body).error.problems).toEqual([
        {
          file: 'decision',
          path: 'corrected_response',
          message: expect.stringMatching(/^makes a correction of \d+ bytes, over the 1048576-byte limit of a correction file; shorten it$/),
        },
      ]);
    }
    const lone = await post(`{"candidate_id": "${id}", "action": "correct", "corrected_response": "half \\ud800 a pair"}`);
    expect(lone.status).toBe(400);
    expect(JSON.parse(lone.body).error).toMatchObject({ code: 'E_BAD_JSON', problems: [{ path: 'corrected_response', message: expect.stringContaining('lone surrogate') }] });
    const twice = await post(`{"candidate_id": "${id}", "action": "flag", "action": "discard"}`);
    expect(twice.status).toBe(400);
    expect(JSON.parse(twice.body).error.message).toBe('the request body: action: appears twice in its object, and a JSON reader keeps only the last one; keep one');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    expect(readdirSync(join(dir, '.git/plover-pending'), { recursive: true })).toEqual([]);
  });

  it('serialises 100 simultaneous submissions into 100 commits, none lost', async () => {
    const { dir, server } = await serve();
    const ids = JSON.parse((await send(server.port, { path: '/api/queue?limit=100' })).body).items.map((c: { id: string }) => c.id);
    expect(ids).toHaveLength(100);
    const results = await Promise.all(
      ids.map((id: string, i: number) =>
        send(server.port, {
          method: 'POST',
          path: '/api/decisions',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ candidate_id: id, action: i % 2 ? 'discard' : 'flag' }),
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(ids.map(() => 201));
    expect(git(dir, 'rev-list', '--count', 'HEAD')).toBe('101');
    expect(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'corrections').split('\n')).toHaveLength(100);
    expect(new Set(results.map((r) => JSON.parse(r.body).oid)).size).toBe(100);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it("loses no decision and answers none with an error while git's maintenance packs objects and removes their folders beside it", async () => {
    const { dir, server } = await serve();
    const ids = JSON.parse((await send(server.port, { path: '/api/queue?limit=60' })).body).items.map((c: { id: string }) => c.id);
    let running = true;
    const maintenance = (async () => {
      let rounds = 0;
      // repack packs what is reachable; prune-packed then removes those loose objects and the folders they leave empty.
      while (running || rounds === 0) {
        await new Promise((resolve) => execFile('sh', ['-c', 'git repack -d -q && git prune-packed'], { cwd: dir }, resolve));
        rounds++;
      }
      return rounds;
    })();
    const statuses: (number | string)[] = [];
    for (const id of ids) {
      const posted = await send(server.port, {
        method: 'POST',
        path: '/api/decisions',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ candidate_id: id, action: 'flag' }),
      });
      statuses.push(posted.status === 201 ? 201 : `${posted.status} ${posted.body}`);
    }
    running = false;
    expect(await maintenance).toBeGreaterThan(0);
    expect(statuses).toEqual(ids.map(() => 201));
    expect(git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'corrections').split('\n')).toHaveLength(ids.length);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(fsck(dir).status).toBe(0);
  });

  it('commits nothing while another branch is checked out under it, says so in the reply and its log, and carries on when the branch is back', async () => {
    const { dir, server } = await serve();
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const post = (id: string) =>
      send(server.port, { method: 'POST', path: '/api/decisions', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ candidate_id: id, action: 'flag' }) });
    const [x, y, z] = ['sftc_b5505e86f70999cf', 'sftc_723a003ab86cbec2', 'sftc_37883adc96cf1189'];
    expect((await post(x)).status).toBe(201);
    git(dir, 'switch', '-q', '-c', 'other');
    const other = git(dir, 'rev-parse', 'HEAD');
    const refused = await post(y);
    expect(refused.status).toBe(409);
    expect(JSON.parse(refused.body).error).toMatchObject({
      code: 'E_BRANCH_SWITCHED',
      message: expect.stringContaining('HEAD is on other now, not on main, where this session commits; nothing was written'),
    });
    expect(errors.mock.calls.flat().join('\n')).toContain('HEAD is on other now');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(other);
    expect(git(dir, 'rev-parse', 'main')).toBe(other);
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
    git(dir, 'switch', '-q', 'main');
    expect((await post(z)).status).toBe(201);
    expect(git(dir, 'log', '--format=%s', '-2', 'main').split('\n')).toEqual([`plover: flag ${z}`, `plover: flag ${x}`]);
    expect(fsck(dir).status).toBe(0);
    errors.mockRestore();
  });

  it('refuses other Host names (DNS rebinding) and cross-origin writes', async () => {
    const { server } = await serve();
    expect((await send(server.port, { path: '/api/session', headers: { host: 'evil.example' } })).status).toBe(421);
    const crossSite = await send(server.port, {
      method: 'POST',
      path: '/api/decisions',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ candidate_id: 'sftc_b5505e86f70999cf', action: 'flag' }),
    });
    expect(crossSite.status).toBe(403);
  });

  it('serves the built page and nothing outside the site folder', async () => {
    const { server } = await serve();
    const page = await send(server.port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('astro-island');
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/_astro/../../../package.json']) {
      expect((await send(server.port, { path })).status).toBe(404);
    }
  });
});
