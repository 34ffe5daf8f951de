/** A real git server on loopback for the tests of the hosted mode: bare repositories behind `git http-backend`. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startGitHttpServer, type GitHttpServer } from '../../scripts/git-http-server.ts';
import { createRepo, git } from './repo.ts';

export const TOKEN = 'test-token-5f3a9c';

export interface ServedRemote {
  server: GitHttpServer;
  /** The bare repository on the server's side. */
  bare: string;
  /** `http://127.0.0.1:<port>/demo.git` */
  url: string;
}

/**
 * A server (token required) holding `demo.git`: one commit with the demo candidates (or
 * `files`) on `main`, for the calling describe.
 */
export function useGitServer(options: Parameters<typeof createRepo>[0] & { cors?: boolean } = {}): ServedRemote {
  const state = {} as ServedRemote;
  let root = '';
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'plover-git-server-'));
    const source = createRepo(options);
    state.bare = join(root, 'demo.git');
    git(root, 'clone', '-q', '--bare', source.dir, state.bare);
    source.remove();
    state.server = await startGitHttpServer({ root, token: TOKEN, ...(options.cors === false ? { cors: false } : {}) });
    state.url = `${state.server.origin}/demo.git`;
  });
  afterAll(async () => {
    await state.server?.stop();
    rmSync(root, { recursive: true, force: true });
  });
  return state;
}
