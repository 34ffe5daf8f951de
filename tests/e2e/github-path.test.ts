// The way a GitHub team deploys the hosted site: a git host that sends no CORS headers,
// the real @isomorphic-git/cors-proxy in front of it (its request handler, on 127.0.0.1),
// the site built with PLOVER_CORS_PROXY and PLOVER_HOST=github, Chromium.
import { buildSite } from '../helpers/site-build.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStaticHost } from '../../scripts/git-http-server.ts';
import { reviewerTag } from '../../src/lib/records/paths.ts';
import { CHROMIUM, useBrowser } from '../helpers/browser.ts';
import { TOKEN, useGitServer } from '../helpers/git-server.ts';
import { fsck, git } from '../helpers/repo.ts';

const jo = { name: 'Jo Park', email: 'jo@example.org' };

describe.skipIf(!CHROMIUM)('the hosted site behind the real CORS proxy, for a host without CORS', () => {
  const remote = useGitServer({ cors: false });
  const chromium = useBrowser();
  let site: Awaited<ReturnType<typeof startStaticHost>>;
  let proxy: Server;
  let proxyUrl = '';
  let outDir = '';
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  /** Listens on loopback; a port it cannot take (another process took it meanwhile) fails the test with the system's error, not a wait. */
  function listenProxy(port = 0): Promise<void> {
    proxy = createServer((req, res) => handler!(req, res));
    return new Promise((resolve, reject) => {
      proxy.once('error', reject);
      proxy.listen(port, '127.0.0.1', () => resolve());
    });
  }
  const stopProxy = () =>
    new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      proxy.closeAllConnections();
    });

  beforeAll(async () => {
    // Its command line listens on every interface; its handler is started here, on loopback.
    await listenProxy();
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    outDir = mkdtempSync(join(tmpdir(), 'plover-github-site-'));
    buildSite(['--outDir', outDir], { PLOVER_REMOTE: remote.url, PLOVER_BRANCH: 'main', PLOVER_CORS_PROXY: proxyUrl, PLOVER_HOST: 'github' });
    site = await startStaticHost({ dir: outDir });
    // The proxy reads its settings once, when loaded: only this site may use it, and the loopback host is reached over http.
    process.env.ALLOW_ORIGIN = new URL(site.url).origin;
    process.env.INSECURE_HTTP_ORIGINS = new URL(remote.url).host;
    handler = (await import('@isomorphic-git/cors-proxy')).default;
  });
  afterAll(async () => {
    await stopProxy();
    await site?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });

  async function signIn(page: Page) {
    await page.getByLabel('Name').fill(jo.name);
    await page.getByLabel('Email').fill(jo.email);
    await page.getByLabel('Access token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }
  const card = (page: Page) => page.getByRole('article', { name: 'Candidate' });
  const waiting = (page: Page) => page.getByTestId('waiting').getAttribute('data-waiting');
  const branch = `labels/${reviewerTag(jo.email)}`;

  it('signs in, decides and pushes through the proxy; names the proxy when it is down and pushes when it is back', async () => {
    // The host itself gives a page nothing to go on: no CORS headers.
    const direct = await fetch(`${remote.url}/info/refs?service=git-upload-pack`, { headers: { origin: new URL(site.url).origin, authorization: `Basic ${btoa(`x:${TOKEN}`)}` } });
    expect(direct.status).toBe(200);
    expect(direct.headers.get('access-control-allow-origin')).toBeNull();

    const page = await chromium.context.newPage();
    await page.goto(site.url);
    await signIn(page);
    await card(page).waitFor();
    const decided: string[] = [];
    for (let i = 0; i < 2; i++) {
      decided.push((await card(page).getAttribute('data-candidate-id'))!);
      await page.getByRole('button', { name: 'Flag', exact: true }).click();
      await expect.poll(() => card(page).getAttribute('data-candidate-id')).not.toBe(decided.at(-1));
    }
    // Both commits stored in the browser, then nothing left waiting.
    await expect.poll(() => page.locator('.commit[data-state="done"]').count()).toBe(2);
    await expect.poll(() => waiting(page)).toBe('0');
    expect(git(remote.bare, 'log', '--format=%an|%s', `main..${branch}`).split('\n').sort()).toEqual(decided.map((id) => `${jo.name}|plover: flag ${id}`).sort());

    // The proxy goes down: the bar names it, and the decision waits.
    const port = (proxy.address() as AddressInfo).port;
    await stopProxy();
    const third = (await card(page).getAttribute('data-candidate-id'))!;
    await page.getByRole('button', { name: 'Flag', exact: true }).click();
    await expect
      .poll(() => page.getByTestId('sync-error').textContent())
      .toMatch(new RegExp(`the CORS proxy ${proxyUrl.replace(/[.]/g, '\\.')} cannot be reached[\\s\\S]*kept in this browser`));
    expect(await waiting(page)).toBe('1');
    await listenProxy(port);
    await expect.poll(() => waiting(page)).toBe('0');
    expect(git(remote.bare, 'log', '-1', '--format=%s', branch)).toBe(`plover: flag ${third}`);
    expect(fsck(remote.bare).status).toBe(0);
  });
});
