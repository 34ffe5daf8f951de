/** Runs the real `plover` command in a child process, as a user would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { GIT_ENV, ROOT } from './repo.ts';

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function plover(dir: string, args: string[], env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/plover.mjs'), ...args], {
    cwd: dir,
    env: { ...GIT_ENV, ...env },
    encoding: 'utf8',
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
