/**
 * `npm run soak`: N reviewers × M decisions, with injected failures, on loopback only.
 *
 *   node scripts/soak.ts [--reviewers 4] [--decisions 25] [--seconds 300] [--seed 1]
 *
 * 1. The local mode: each reviewer has a clone of one repository and runs the real
 *    `plover serve` on it; a client submits M decisions over its HTTP API while a chaos
 *    loop kills a random server with SIGKILL and starts it again. A request cut by the
 *    kill is checked in the candidate's history (GET /api/history) and sent again only
 *    if its decision is not there, as a reviewer would retry.
 * 2. The hosted mode's protocol (src/git/remote.ts and the commit function, the page's
 *    code path, here over node:fs): each reviewer clones from a real git server on
 *    loopback (git http-backend, scripts/git-http-server.ts), commits M decisions into
 *    its outbox and pushes after each, while the server is restarted now and then and
 *    drops connections before or after git handled them (a push that landed with its
 *    answer lost). Half the reviewers push straight to `main`, so their pushes race and
 *    are rejected and replayed; the others push to their review branches.
 *
 * It reports, per mode, decisions submitted, committed and pushed (they must be equal)
 * and the `git fsck` of every repository, and exits 1 if anything differs, fails, or the
 * run passes --seconds.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import http from 'isomorphic-git/http/node';
import { GIT_ENV, ROOT, benchId, generateRepository, git } from '../bench/generate.ts';
import { commitDecision } from '../src/git/commit-decision.ts';
import { outboxRef, pushOutbox, syncClone, waitingCommits, type Clone, type RemoteOptions } from '../src/git/remote.ts';
import { startGitHttpServer } from './git-http-server.ts';
import { createLocalBackend } from '../src/client/local-backend.ts';
import { PloverError } from '../src/lib/errors.ts';

const { values } = parseArgs({
  options: {
    reviewers: { type: 'string', default: '4' },
    decisions: { type: 'string', default: '25' },
    seconds: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
  },
});
const REVIEWERS = Math.min(16, Math.max(1, Number(values.reviewers)));
const DECISIONS = Math.min(500, Math.max(1, Number(values.decisions)));
const DEADLINE = Date.now() + Number(values.seconds) * 1000;
const TOKEN = 'soak-token';

// A small seeded generator, so a failing run can be repeated.
let seed = Number(values.seed) >>> 0 || 1;
const random = () => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const reviewers = Array.from({ length: REVIEWERS }, (_, i) => ({ name: `Soak Reviewer ${i}`, email: `soak${i}@example.org` }));
const idOf = (r: number, d: number) => benchId(r * DECISIONS + d);

function checkDeadline(): void {
  if (Date.now() > DEADLINE) throw new Error(`the soak passed --seconds ${values.seconds}`);
}

function fsckOk(gitdir: string): { ok: boolean; output: string } {
  try {
    return { ok: true, output: execFileSync('git', ['fsck', '--strict', '--no-progress'], { cwd: gitdir, env: GIT_ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (err) {
    return { ok: false, output: String((err as { stderr?: string }).stderr ?? err) };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface ModeReport {
  mode: string;
  submitted: number;
  committed: number;
  pushed: number | null;
  faults: Record<string, number>;
  fsck: string;
  ok: boolean;
}

// ---------------------------------------------------------------- 1. local mode
async function soakLocal(origin: string): Promise<ModeReport> {
  const faults = { kills: 0, cut_requests: 0, found_after_cut: 0, resent_after_cut: 0 };
  const servers = await Promise.all(
    reviewers.map(async (r) => {
      const dir = mkdtempSync(join(tmpdir(), 'plover-soak-local-'));
      git(tmpdir(), 'clone', '-q', origin, dir);
      return { reviewer: r, dir, port: await freePort(), child: null as ChildProcess | null, ready: Promise.resolve() };
    }),
  );
  const start = (s: (typeof servers)[number]) => {
    s.ready = new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [join(ROOT, 'bin/plover.mjs'), 'serve', '--port', String(s.port), '--reviewer', `${s.reviewer.name} <${s.reviewer.email}>`], {
        cwd: s.dir,
        env: GIT_ENV,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      s.child = child;
      let out = '';
      const onData = (c: Buffer) => {
        out += c.toString();
        if (out.includes('open http://127.0.0.1:')) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.on('exit', (code, signal) => {
        if (signal !== 'SIGKILL' && signal !== 'SIGTERM') reject(new Error(`plover serve in ${s.dir} exited (${code}):\n${out}`));
      });
    });
    return s.ready;
  };
  await Promise.all(servers.map(start));

  let running = true;
  const chaos = (async () => {
    while (running) {
      await sleep(150 + random() * 400);
      if (!running) break;
      const s = servers[Math.floor(random() * servers.length)]!;
      await s.ready;
      s.child!.kill('SIGKILL');
      faults.kills += 1;
      await new Promise((r) => s.child!.once('exit', r));
      await start(s);
    }
  })();

  // The API as the page calls it (client/local-backend.ts, made from lib/review/api.ts). A
  // request cut by a kill is E_OFFLINE; any other error is the server refusing, which fails the soak.
  const backendOf = (s: (typeof servers)[number]) => createLocalBackend(`http://127.0.0.1:${s.port}`);
  const cut = (err: unknown) => err instanceof PloverError && err.code === 'E_OFFLINE';

  /** Whether the reviewer's decision on `id` is in the repository (asked once the server is back). */
  const landed = async (s: (typeof servers)[number], id: string): Promise<boolean> => {
    for (;;) {
      checkDeadline();
      await s.ready;
      try {
        const entries = await backendOf(s).history(id);
        return entries.some((e) => e.kind === 'decision' && e.author.email === s.reviewer.email);
      } catch (err) {
        if (!cut(err)) throw err;
        await sleep(50); // killed again: wait for the restart
      }
    }
  };

  await Promise.all(
    servers.map(async (s, r) => {
      for (let d = 0; d < DECISIONS; d++) {
        const id = idOf(r, d);
        for (;;) {
          checkDeadline();
          await s.ready;
          try {
            await backendOf(s).decide({ candidate_id: id, action: d % 3 === 0 ? 'discard' : 'flag', corrected_response: null, failure_category: null });
            break;
          } catch (err) {
            if (!cut(err)) throw err;
            // Cut by a kill: did the decision land (committed, or recovered at restart)?
            faults.cut_requests += 1;
            if (await landed(s, id)) {
              faults.found_after_cut += 1;
              break;
            }
            faults.resent_after_cut += 1;
          }
        }
      }
    }),
  );
  running = false;
  await chaos;
  for (const s of servers) {
    await s.ready;
    s.child!.kill('SIGTERM');
    await new Promise((r) => s.child!.once('exit', r));
  }

  let committed = 0;
  const problems: string[] = [];
  for (const s of servers) {
    const subjects = git(s.dir, 'log', '--format=%s', `--author=${s.reviewer.email}`).trim().split('\n').filter(Boolean);
    committed += new Set(subjects.map((l) => l.split(' ').pop())).size;
    if (subjects.length !== new Set(subjects).size) problems.push(`${s.dir}: a decision was committed twice`);
    const status = git(s.dir, 'status', '--porcelain').trim();
    if (status) problems.push(`${s.dir}: git status is not clean:\n${status}`);
    const check = fsckOk(join(s.dir, '.git'));
    if (!check.ok) problems.push(`${s.dir}: git fsck: ${check.output}`);
  }
  if (!problems.length) for (const s of servers) rmSync(s.dir, { recursive: true, force: true });
  const submitted = REVIEWERS * DECISIONS;
  return {
    mode: 'local (plover serve, kill -9)',
    submitted,
    committed,
    pushed: null,
    faults,
    fsck: problems.length ? problems.join('\n') : 'clean',
    ok: !problems.length && committed === submitted,
  };
}

// ---------------------------------------------------------------- 2. hosted protocol
async function soakHosted(origin: string): Promise<ModeReport> {
  const root = mkdtempSync(join(tmpdir(), 'plover-soak-git-'));
  const bare = join(root, 'soak.git');
  git(root, 'clone', '-q', '--bare', origin, bare);
  const server = await startGitHttpServer({ root, token: TOKEN });
  const faults = { restarts: 0, dropped_before: 0, dropped_after: 0, push_failures: 0, replays_in_completed_pushes: 0 };
  server.setFaults({ dropBefore: 0.04, dropAfter: 0.04, random });

  let running = true;
  const chaos = (async () => {
    while (running) {
      await sleep(800 + random() * 1500);
      if (!running) break;
      await server.stop();
      faults.restarts += 1;
      await sleep(100 + random() * 400);
      await server.start();
    }
  })();

  const clones = reviewers.map((r, i) => {
    const dir = mkdtempSync(join(tmpdir(), 'plover-soak-clone-'));
    const clone: Clone = { fs, gitdir: join(dir, 'repo.git'), cache: {}, http };
    const dest = i % 2 === 0 ? 'main' : `labels/soak${i}`;
    const options: RemoteOptions = { url: `${server.origin}/soak.git`, branch: 'main', dest, reviewer: r.email, auth: { username: 'plover', password: TOKEN } };
    return { reviewer: r, dir, clone, options };
  });
  const retry = async <T>(work: () => Promise<T>, onFail?: () => void): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      checkDeadline();
      try {
        return await work();
      } catch (err) {
        onFail?.();
        await sleep(Math.min(1000, 50 * 2 ** Math.min(attempt, 5)));
      }
    }
  };

  let committed = 0;
  await Promise.all(
    clones.map(async (c, r) => {
      await retry(() => syncClone(c.clone, c.options));
      for (let d = 0; d < DECISIONS; d++) {
        await commitDecision({
          fs: c.clone.fs,
          gitdir: c.clone.gitdir,
          cache: c.clone.cache,
          ref: outboxRef(c.options),
          decision: { candidate_id: idOf(r, d), action: 'flag' },
          reviewer: c.reviewer,
        });
        committed += 1;
        // Push after each decision, as the page does; a failed push is retried with the next one.
        try {
          const result = await pushOutbox(c.clone, c.options);
          faults.replays_in_completed_pushes += result.replayed;
        } catch {
          faults.push_failures += 1;
        }
      }
      await retry(
        async () => {
          const result = await pushOutbox(c.clone, c.options);
          faults.replays_in_completed_pushes += result.replayed;
          if ((await waitingCommits(c.clone, c.options)).length) throw new Error('still waiting');
        },
        () => (faults.push_failures += 1),
      );
    }),
  );
  running = false;
  await chaos;
  server.setFaults({});
  faults.dropped_before = server.stats.droppedBefore;
  faults.dropped_after = server.stats.droppedAfter;

  let pushed = 0;
  const problems: string[] = [];
  for (const [r, c] of clones.entries()) {
    const subjects = git(bare, 'log', '--format=%s', `--author=${c.reviewer.email}`, c.options.dest).trim().split('\n').filter(Boolean);
    pushed += subjects.length;
    const expected = Array.from({ length: DECISIONS }, (_, d) => `plover: flag ${idOf(r, d)}`).sort();
    if (JSON.stringify([...subjects].sort()) !== JSON.stringify(expected))
      problems.push(
        `${c.options.dest}: ${c.reviewer.email}'s commits on the server differ from the decisions (${subjects.length} of ${DECISIONS}, duplicates: ${subjects.length - new Set(subjects).size})`,
      );
  }
  const merges = git(bare, 'rev-list', '--merges', '--count', '--all').trim();
  if (merges !== '0') problems.push(`${merges} merge commits on the server: a push was not replayed cleanly`);
  const check = fsckOk(bare);
  if (!check.ok) problems.push(`server git fsck: ${check.output}`);
  await server.stop();
  if (!problems.length) {
    rmSync(root, { recursive: true, force: true });
    for (const c of clones) rmSync(c.dir, { recursive: true, force: true });
  }
  const submitted = REVIEWERS * DECISIONS;
  return {
    mode: 'hosted protocol (git server on loopback)',
    submitted,
    committed,
    pushed,
    faults,
    fsck: problems.length ? problems.join('\n') : 'clean',
    ok: !problems.length && committed === submitted && pushed === submitted,
  };
}

// ---------------------------------------------------------------- run
const origin = generateRepository(REVIEWERS * DECISIONS + 10);
console.log(`soak: ${REVIEWERS} reviewers × ${DECISIONS} decisions, seed ${values.seed}, at most ${values.seconds} s`);
const reports: ModeReport[] = [];
try {
  for (const run of [soakLocal, soakHosted]) {
    const started = Date.now();
    const report = await run(origin);
    reports.push(report);
    console.log(`\n${report.mode} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    console.log(`  submitted ${report.submitted}, committed ${report.committed}${report.pushed === null ? '' : `, pushed ${report.pushed}`}`);
    console.log(
      `  faults: ${Object.entries(report.faults)
        .map(([k, v]) => `${k.replace(/_/g, ' ')} ${v}`)
        .join(', ')}`,
    );
    console.log(`  git fsck and checks: ${report.fsck}`);
    console.log(`  ${report.ok ? 'OK' : 'FAILED'}`);
  }
} finally {
  rmSync(origin, { recursive: true, force: true });
}
const ok = reports.length === 2 && reports.every((r) => r.ok);
console.log(ok ? '\nsoak passed: every decision submitted was committed and pushed, once' : '\nsoak FAILED');
process.exit(ok ? 0 : 1);
