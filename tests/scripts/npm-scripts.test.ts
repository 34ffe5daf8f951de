// Every npm script of package.json, run on its own in a fresh clone of the repository (its
// committed state, with this checkout's node_modules): each does its job, or says exactly
// which setting or argument it needs. The long-running ones (start, git-server) are
// started, asked once, and stopped; soak and bench run at a small scale.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMIT } from '../helpers/limits.ts';
import { git, ROOT } from '../helpers/repo.ts';

const SCRIPTS = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts);

describe('every npm script in a fresh clone', () => {
  let dir = '';
  const ran = new Set<string>(['test']); // `npm test` is what runs this
  const children: ChildProcess[] = [];
  const bare: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'plover-scripts-'));
    git(ROOT, 'clone', '--quiet', ROOT, dir);
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  });
  afterAll(() => {
    for (const child of children) if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
    for (const d of [dir, ...bare]) rmSync(d, { recursive: true, force: true });
  });

  function npm(script: string, args: string[] = [], env: Record<string, string> = {}) {
    ran.add(script);
    return spawnSync('npm', ['run', '--silent', script, ...(args.length ? ['--', ...args] : [])], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } });
  }

  /** Starts a long-running script in its own process group; resolves with the first line of its output that matches. */
  function started(script: string, args: string[], pattern: RegExp): Promise<string> {
    ran.add(script);
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk;
        const m = pattern.exec(out);
        if (m) resolve(m[0]);
      });
      child.stderr!.on('data', (chunk: Buffer) => (out += chunk));
      child.on('exit', (code) => reject(new Error(`npm run ${script} exited with ${code}:\n${out}`)));
    });
  }

  it('validate, export, stats, summary, gen:types, format and typecheck do their job and leave the clone as it was', () => {
    expect(npm('validate').status).toBe(0);
    const exported = npm('export');
    expect(exported.status, exported.stderr).toBe(0);
    expect(existsSync(join(dir, 'dist/sft.jsonl'))).toBe(true);
    expect(npm('stats').stdout).toContain('undecided');
    const summary = npm('summary', ['--base', 'HEAD']);
    expect(summary.status, summary.stderr).toBe(0);
    expect(npm('gen:types').status).toBe(0);
    expect(npm('format').status).toBe(0);
    expect(npm('typecheck').status).toBe(0);
    // Generated files and formatting as committed: nothing changed but the export's ignored dist/.
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('import and build say what they need, and do their job with it', () => {
    const asked = npm('import');
    expect(asked.status).toBe(1);
    expect(asked.stderr).toContain('import needs a path: plover import <harness output folder');
    const imported = npm('import', [join(ROOT, 'tests/fixtures/harness')]);
    expect(imported.status, imported.stderr).toBe(0);
    const unset = npm('build', [], { PLOVER_REMOTE: '' });
    expect(unset.status).not.toBe(0);
    expect(`${unset.stdout}${unset.stderr}`).toContain('set PLOVER_REMOTE=');
    const built = npm('build', [], { PLOVER_REMOTE: 'http://127.0.0.1:9/repo.git', PLOVER_BRANCH: 'main' });
    expect(built.status, built.stderr).toBe(0);
    expect(existsSync(join(dir, 'dist/site/index.html'))).toBe(true);
  });

  it('start builds the site and serves it; git-server serves the bare repositories it is given', async () => {
    const url = await started('start', ['--port', '0', '--reviewer', 'Ann Lee <ann@example.org>'], /http:\/\/127\.0\.0\.1:\d+\//);
    expect((await fetch(url)).status).toBe(200);
    const root = mkdtempSync(join(tmpdir(), 'plover-bare-'));
    bare.push(root);
    git(root, 'init', '--quiet', '--bare', 'repo.git');
    const origin = await started('git-server', ['--root', root, '--port', '0'], /http:\/\/127\.0\.0\.1:\d+/);
    const refs = await fetch(`${origin}/repo.git/info/refs?service=git-upload-pack`);
    expect(refs.status).toBe(200);
  });

  it('soak runs, small, and finds every decision', () => {
    // The soak's own deadline is the suite's one limit on a wait, not a time it must beat.
    const soak = npm('soak', ['--reviewers', '2', '--decisions', '4', '--seconds', String(LIMIT / 1000), '--seed', '5']);
    expect(soak.status, soak.stderr).toBe(0);
    expect(soak.stdout).toContain('soak passed');
  });

  it('bench runs every part at a tiny scale and writes its tables', () => {
    const bench = npm('bench', [], {
      BENCH_SIZES: '20',
      BENCH_EXPORT_SIZES: '20',
      BENCH_BUILD_SIZES: '20',
      BENCH_UI_SIZES: '20',
      BENCH_RUNS: '1',
      BENCH_UI_DECISIONS: '3',
      BENCH_SIBLING_QUESTIONS: '1',
    });
    expect(bench.status, bench.stderr).toBe(0);
    for (const table of ['commit', 'export', 'ui', 'hosted', 'build', 'siblings']) expect(git(dir, 'status', '--porcelain', `docs/bench/${table}.md`)).toContain('M');
  });

  it('leaves no script untried', () => {
    expect(SCRIPTS.filter((s) => !ran.has(s))).toEqual([]);
  });
});
