import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { plover } from '../helpers/cli.ts';
import { GIT_ENV, ROOT, git } from '../helpers/repo.ts';
import { checkExportRules } from '../helpers/export-rules.ts';
import { TOKEN, useGitServer } from '../helpers/git-server.ts';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, string>;
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, { if: string; steps: Step[] }>;
}

const WORKFLOWS = ['.github/workflows/plover.yml', '.forgejo/workflows/plover.yml'];

/**
 * A copy of the project as CI checks it out (code linked, data copied) with decisions of
 * three reviewers committed, so the workflows' npm steps run against real data.
 */
let project: string;
beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'plover-ci-'));
  for (const name of ['node_modules', 'bin', 'src', 'schemas', 'scripts']) symlinkSync(join(ROOT, name), join(project, name));
  cpSync(join(ROOT, 'package.json'), join(project, 'package.json'));
  cpSync(join(ROOT, 'candidates'), join(project, 'candidates'), { recursive: true });
  git(project, 'init', '-q', '-b', 'main');
  writeFileSync(join(project, '.gitignore'), 'node_modules\ndist\nplover-summary.md\n');
  // The base branch of the pull request, as a checkout with fetch-depth: 0 has it: the candidates without the decisions.
  git(project, 'add', '-A');
  git(project, 'commit', '-qm', 'candidates');
  git(project, 'update-ref', 'refs/remotes/origin/main', 'HEAD');
  const ids = ['sftc_b5505e86f70999cf', 'sftc_723a003ab86cbec2', 'sftc_37883adc96cf1189'];
  for (const reviewer of ['Ann <ann@example.org>', 'Bob <bob@example.org>', 'Cy <cy@example.org>']) {
    for (const id of ids) {
      const args = reviewer.startsWith('Cy') && id === ids[2] ? ['--action', 'discard'] : ['--action', 'correct', '--response', `Fixed ${id}`, '--category', 'wrong_answer'];
      expect(plover(project, ['submit', id, ...args, '--reviewer', reviewer]).status).toBe(0);
    }
  }
  git(project, 'add', '-A');
  git(project, 'commit', '-qm', 'decisions', '--allow-empty');
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

function runStep(command: string, env: Record<string, string>) {
  return spawnSync('bash', ['-eo', 'pipefail', '-c', command], { cwd: project, env: { ...GIT_ENV, ...env }, encoding: 'utf8' });
}

describe.each(WORKFLOWS)('%s', (file) => {
  const workflow = parse(readFileSync(join(ROOT, file), 'utf8')) as Workflow;

  it('validates pull requests and exports on pushes to main', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    expect(workflow.jobs.validate!.if).toBe("github.event_name == 'pull_request'");
    expect(workflow.jobs.export!.if).toBe("github.event_name == 'push'");
  });

  it('runs only npm ci and npm scripts, each exactly as docs/ci.md shows it', () => {
    const readme = readFileSync(join(ROOT, 'docs/ci.md'), 'utf8');
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps.filter((s) => s.run)) {
        expect(step.run).toMatch(/^npm (ci|run) /);
        expect(readme).toContain(step.run!);
      }
    }
  });

  it.each(['validate', 'export'])("its %s job's npm steps pass on real data and make what the job uploads", (name) => {
    const job = workflow.jobs[name]!;
    const summary = join(project, `summary-${name}.md`);
    writeFileSync(summary, '');
    for (const step of job.steps.filter((s) => s.run && !s.run.startsWith('npm ci'))) {
      const result = runStep(step.run!, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_BASE_REF: 'main' });
      expect(result.status, `${step.run}\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
    if (name === 'validate') {
      const text = readFileSync(summary, 'utf8');
      // The pull request's decisions first, readable: 9 decisions of 3 reviewers.
      expect(text.indexOf('## plover: decisions in this change')).toBe(0);
      expect(text).toContain('| reviewer | correct | discard | flag | none | wrong_answer |');
      expect(text).toContain('| ann&#64;example.org | 3 | 0 | 0 | 0 | 3 |');
      expect(text).toContain('| cy&#64;example.org | 2 | 1 | 0 | 1 | 2 |');
      if (file.startsWith('.forgejo')) expect(readFileSync(join(project, 'plover-summary.md'), 'utf8')).toBe(text.slice(0, text.indexOf('## plover review status')));
      expect(text.match(/<details>/g)).toHaveLength(9);
      expect(text).toContain('## plover review status');
      expect(text).toContain('| ann@example.org × bob@example.org | 3 | 1.00 |');
      expect(text).toMatch(/Fleiss' κ across 3 reviewers on 3 candidates/);
    } else {
      const upload = job.steps.find((s) => s.uses?.includes('upload-artifact'))!;
      const paths = upload
        .with!.path!.trim()
        .split('\n')
        .map((p) => p.trim());
      expect(paths).toEqual(['dist/sft.jsonl', 'dist/sft.manifest.json']);
      // The token counts the export kept are what the job carries to its next run.
      const cache = job.steps.find((s) => s.uses?.startsWith('actions/cache@'))!;
      expect(cache.with!.path).toBe('.git/plover/token-counts');
      expect(cache.with!.key).toMatch(/^plover-token-counts-\$\{\{ github\.sha \}\}$/);
      expect(cache.with!['restore-keys']).toBe('plover-token-counts-');
      expect(job.steps.indexOf(cache)).toBeLessThan(job.steps.findIndex((s) => s.run === 'npm run export'));
      expect(readFileSync(join(project, '.git/plover/token-counts'), 'utf8')).toMatch(/^[0-9a-f]{16}\t\d+\n/);
      for (const p of paths) expect(existsSync(join(project, p))).toBe(true);
      expect(checkExportRules(readFileSync(join(project, 'dist/sft.jsonl')))).toEqual([]);
      const manifest = JSON.parse(readFileSync(join(project, 'dist/sft.manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({ source_commit: git(project, 'rev-parse', 'HEAD'), worktree_clean: true, counts: { lines: 3, conflicts: 0 } });
    }
  });
});

describe('the validate step on a bad pull request', () => {
  it('fails and annotates the file for the pull request view', () => {
    const bad = join(project, 'corrections/zz.json');
    writeFileSync(bad, '{}');
    try {
      const result = runStep('npm run validate', { GITHUB_ACTIONS: 'true' });
      expect(result.status).not.toBe(0);
      expect(result.stdout).toContain('::error file=corrections/zz.json::is not where plover puts corrections');
    } finally {
      rmSync(bad);
    }
  });
});

interface SiteStep extends Step {
  env?: Record<string, string>;
}
interface SiteWorkflow {
  on: Record<string, unknown>;
  jobs: Record<string, { steps: SiteStep[]; needs?: string }>;
}

/** The value of a workflow expression in a step's env, for the repository variables given (the forms the site workflows use). */
function evaluate(value: string, vars: Record<string, string>, repository: string): string {
  const m = /^\$\{\{ vars\.(\w+)(?: \|\| (.+))? \}\}$/.exec(value);
  if (!m) throw new Error(`unexpected expression in a site workflow: ${value}`);
  if (vars[m[1]!]) return vars[m[1]!]!;
  const fallback = m[2];
  if (fallback === undefined) return '';
  if (/^'[^']*'$/.test(fallback)) return fallback.slice(1, -1);
  if (fallback === "format('/{0}/', github.event.repository.name)") return `/${repository}/`;
  throw new Error(`unexpected default in a site workflow: ${fallback}`);
}

describe.each([
  ['.github/workflows/plover-site.yml', 'github'],
  ['.forgejo/workflows/plover-site.yml', 'forgejo'],
] as const)('%s', (file, forge) => {
  const workflow = parse(readFileSync(join(ROOT, file), 'utf8')) as SiteWorkflow;
  const remote = useGitServer();
  const site = () => {
    const project = mkdtempSync(join(tmpdir(), 'plover-site-ci-'));
    for (const name of ['node_modules', 'bin', 'src', 'schemas', 'scripts', 'astro.config.mjs', 'tsconfig.json']) symlinkSync(join(ROOT, name), join(project, name));
    cpSync(join(ROOT, 'package.json'), join(project, 'package.json'));
    return project;
  };

  it('builds the hosted site from repository variables on each push to main', () => {
    expect(workflow.on).toMatchObject({ push: { branches: ['main'] } });
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    expect(steps.filter((s) => s.run?.startsWith('npm ')).map((s) => s.run)).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    if (forge === 'github') {
      expect(steps.find((s) => s.uses?.startsWith('actions/upload-pages-artifact@'))!.with).toEqual({ path: 'dist/site' });
      expect(workflow.jobs.deploy!.needs).toBe('build');
      expect(workflow.jobs.deploy!.steps.map((s) => s.uses)).toEqual(['actions/deploy-pages@v4']);
    }
  });

  it('its steps build the site for the configured remote and publish it', async () => {
    const project = site();
    try {
      const vars = { PLOVER_REMOTE: remote.url, PLOVER_CORS_PROXY: 'https://proxy.example.org' };
      const steps = Object.values(workflow.jobs)
        .flatMap((j) => j.steps)
        .filter((s) => s.run && !s.run.startsWith('npm ci'));
      for (const step of steps) {
        const env = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, k === 'TOKEN' ? TOKEN : evaluate(v, vars, 'labels')]));
        const result = await runIn(project, step.run!, { ...env, GITHUB_SHA: 'f'.repeat(40), GITHUB_SERVER_URL: remote.server.origin, GITHUB_REPOSITORY: 'demo' });
        expect(result.status, `${step.run}\n${result.stdout}\n${result.stderr}`).toBe(0);
      }
      const html = readFileSync(join(project, 'dist/site/index.html'), 'utf8');
      // GitHub Pages serves a project site under /<repository>/; elsewhere the site is at the root.
      expect(html).toContain(forge === 'github' ? '/labels/_astro/' : '/_astro/');
      expect(html).toContain(remote.url);
      if (forge === 'forgejo') {
        expect(git(remote.bare, 'ls-tree', '--name-only', 'pages')).toContain('index.html');
        expect(git(remote.bare, 'log', '-1', '--format=%s', 'pages')).toBe(`hosted site for ${'f'.repeat(40)}`);
      }
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

/** Runs a step without blocking this process, which serves the git remote the step may push to. */
function runIn(cwd: string, command: string, env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-eo', 'pipefail', '-c', command], {
      cwd,
      env: { ...process.env, ...GIT_ENV, ASTRO_TELEMETRY_DISABLED: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}
