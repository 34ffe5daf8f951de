import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { plover } from '../helpers/cli.ts';
import { GIT_ENV, ROOT, git } from '../helpers/repo.ts';
import { checkExportRules } from '../helpers/export-rules.ts';

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
  writeFileSync(join(project, '.gitignore'), 'node_modules\ndist\n');
  const ids = ['sftc_b5505e86f70999cf', 'sftc_723a003ab86cbec2', 'sftc_37883adc96cf1189'];
  for (const reviewer of ['Ann <ann@example.org>', 'Bob <bob@example.org>', 'Cy <cy@example.org>']) {
    for (const id of ids) {
      const args = reviewer.startsWith('Cy') && id === ids[2] ? ['--action', 'discard'] : ['--action', 'correct', '--response', `Fixed ${id}`, '--category', 'wrong_answer'];
      expect(plover(project, ['submit', id, ...args, '--reviewer', reviewer]).status).toBe(0);
    }
  }
  git(project, 'add', '-A');
  git(project, 'commit', '-qm', 'decisions');
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

  it('runs only npm ci and npm scripts, each exactly as the README shows it', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const job of Object.values(workflow.jobs)) {
      for (const step of job.steps.filter((s) => s.run)) {
        expect(step.run).toMatch(/^npm (ci|run) /);
        expect(readme).toContain(step.run!);
      }
    }
  });

  it.each(['validate', 'export'])('its %s job\'s npm steps pass on real data and make what the job uploads', (name) => {
    const job = workflow.jobs[name]!;
    const summary = join(project, `summary-${name}.md`);
    writeFileSync(summary, '');
    for (const step of job.steps.filter((s) => s.run && !s.run.startsWith('npm ci'))) {
      const result = runStep(step.run!, { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary });
      expect(result.status, `${step.run}\n${result.stdout}\n${result.stderr}`).toBe(0);
    }
    if (name === 'validate') {
      const text = readFileSync(summary, 'utf8');
      expect(text).toContain('## plover review status');
      expect(text).toContain('| ann@example.org × bob@example.org | 3 | 1.00 |');
      expect(text).toMatch(/Fleiss' κ across 3 reviewers on 3 candidates/);
    } else {
      const upload = job.steps.find((s) => s.uses?.includes('upload-artifact'))!;
      const paths = upload.with!.path!.trim().split('\n').map((p) => p.trim());
      expect(paths).toEqual(['dist/sft.jsonl', 'dist/sft.manifest.json']);
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
