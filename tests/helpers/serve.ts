/** Starts the real `plover serve` in a child process and waits for its address. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LIMIT } from './limits.ts';
import { createRepo, GIT_ENV, ROOT, type TempRepo } from './repo.ts';

export async function startPlover(dir: string, reviewer: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'bin/plover.mjs'), 'serve', '--port', '0', '--reviewer', reviewer], {
    cwd: dir,
    env: GIT_ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`plover serve did not start:\n${output}`)), LIMIT);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`plover serve exited with ${code}:\n${output}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        // Stopped already: exited, or killed by a signal (then exitCode stays null).
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * For the tests of the calling describe: a temporary repository (see createRepo) served
 * by `plover serve`, started before them and stopped and removed after them.
 */
export function useServedRepo(reviewer: string, options?: Parameters<typeof createRepo>[0]): { readonly dir: string; readonly url: string } {
  let repo: TempRepo | undefined;
  let server: Awaited<ReturnType<typeof startPlover>> | undefined;
  beforeAll(async () => {
    repo = createRepo(options);
    server = await startPlover(repo.dir, reviewer);
  });
  afterAll(async () => {
    await server?.stop();
    repo?.remove();
  });
  return {
    get dir() {
      return repo!.dir;
    },
    get url() {
      return server!.url;
    },
  };
}
