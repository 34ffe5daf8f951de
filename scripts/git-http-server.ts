/**
 * A real git server on loopback for the hosted mode's tests, benchmarks and demos: git's
 * own `git http-backend` (smart HTTP, clone/fetch/push) behind a small Node wrapper that
 * adds what a git host adds: HTTP Basic auth with an access token, CORS for a page on
 * another origin, and a check of every object pushed (receive.fsckObjects). It can also serve a built site, on a second port, as a static host.
 *
 *   node scripts/git-http-server.ts --root <folder of bare repos> [--port 8174] [--token T]
 *                                   [--site dist/site --site-port 8175 [--base /plover/]]
 *
 * Loopback only. It counts the bytes of every request and response per git service, so
 * tests and `npm run bench` can tell what a clone or a push cost on the wire.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { serveStatic } from '../src/server/server.ts';

export interface GitHttpServerOptions {
  /** The folder holding bare repositories: `<root>/<name>.git` is served at `/<name>.git`. */
  root: string;
  /** 0 (default) picks a free port; a restart keeps the port it got. */
  port?: number;
  /** When set, every request needs Basic auth whose password is this token. */
  token?: string;
  /** false: no CORS headers, as GitHub's git endpoints (a page then needs a CORS proxy). Default true. */
  cors?: boolean;
}

export interface WireStats {
  requests: number;
  /** Request body bytes of `git-receive-pack` POSTs: what pushes upload. */
  pushBytes: number;
  pushes: number;
  /** Each `git-receive-pack` POST's milliseconds from its arrival to git's exit: the host's share of a push. */
  pushHostMs: number[];
  /** Response bytes of `git-upload-pack` POSTs: what clones and fetches download. */
  fetchBytes: number;
  fetches: number;
  /** Requests refused for a missing or wrong token. */
  unauthorized: number;
  /** Connections cut by injected faults (setFaults): before git saw the request, and after it handled it. */
  droppedBefore: number;
  droppedAfter: number;
  /** When each git request (not a CORS preflight) arrived, in ms since the epoch. */
  arrivals: number[];
  /** When each `git-receive-pack` POST (a push) arrived, in ms since the epoch. */
  pushArrivals: number[];
  /** Requests answered with an injected rate limit. */
  rateLimited: number;
}

export interface GitHttpServer {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly stats: WireStats;
  /** Stops listening and drops open connections (a server that goes down). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  resetStats(): void;
  /** Changes the token the server accepts (a token revoked or rotated). */
  setToken(token: string | undefined): void;
  /** Injected network faults, for `npm run soak` (none by default). */
  setFaults(faults: Faults): void;
}

/**
 * Dropped connections: each git request (not the CORS preflight) is cut, with these
 * probabilities, before git sees it (nothing happened), or after git has done it (a
 * push landed; its answer is lost).
 */
export interface Faults {
  dropBefore?: number;
  dropAfter?: number;
  random?: () => number;
  /** Answers the next git requests with these, one each, in order, as a rate-limited host does (429, or 403 with a reason). */
  rateLimits?: RateLimitAnswer[];
}

export interface RateLimitAnswer {
  status: 429 | 403;
  headers?: Record<string, string>;
  body?: string;
}

const emptyStats = (): WireStats => ({
  requests: 0,
  pushBytes: 0,
  pushes: 0,
  pushHostMs: [],
  fetchBytes: 0,
  fetches: 0,
  unauthorized: 0,
  droppedBefore: 0,
  droppedAfter: 0,
  arrivals: [],
  pushArrivals: [],
  rateLimited: 0,
});

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const root = resolve(options.root);
  let stats = emptyStats();
  let token = options.token;
  let faults: Faults = {};
  const server = createServer((req, res) => {
    handleGit(req, res, root, token, stats, faults, options.cors !== false).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err.message));
    });
  });
  const port = await listen(server, options.port ?? 0);
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get stats() {
      return stats;
    },
    resetStats() {
      stats = emptyStats();
    },
    setToken(next) {
      token = next;
    },
    setFaults(next) {
      faults = next;
    },
    stop: () => close(server),
    start: async () => {
      await listen(server, port);
    },
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', fail);
      done((server.address() as { port: number }).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

function corsHeaders(req: IncomingMessage): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'authorization, content-type, git-protocol',
    'access-control-max-age': '600',
    // What a page needs to read to wait as a rate-limited host asks.
    'access-control-expose-headers': 'retry-after, x-ratelimit-remaining, x-ratelimit-reset',
    vary: 'Origin',
  };
}

async function handleGit(req: IncomingMessage, res: ServerResponse, root: string, token: string | undefined, stats: WireStats, faults: Faults, withCors: boolean) {
  const arrived = performance.now();
  stats.requests += 1;
  const cors = withCors ? corsHeaders(req) : {};
  if (req.method === 'OPTIONS') {
    res.writeHead(204, cors);
    return res.end();
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  let user = 'anonymous';
  if (token !== undefined) {
    const auth = req.headers.authorization ?? '';
    const [scheme, encoded] = auth.split(' ');
    const decoded = scheme === 'Basic' && encoded ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0 || decoded.slice(colon + 1) !== token) {
      stats.unauthorized += 1;
      req.resume();
      res.writeHead(401, { ...cors, 'www-authenticate': 'Basic realm="plover test git server"', 'content-type': 'text/plain' });
      return res.end('authentication required: a valid access token as the Basic auth password\n');
    }
    user = decoded.slice(0, colon) || 'token';
  }
  const service = url.pathname.endsWith('/git-receive-pack') ? 'push' : url.pathname.endsWith('/git-upload-pack') ? 'fetch' : 'other';
  stats.arrivals.push(Date.now());
  if (service === 'push' && req.method === 'POST') stats.pushArrivals.push(Date.now());
  const limited = faults.rateLimits?.shift();
  if (limited) {
    stats.rateLimited += 1;
    req.resume();
    res.writeHead(limited.status, { ...cors, 'content-type': 'text/plain', ...limited.headers });
    return res.end(limited.body ?? 'rate limited\n');
  }
  const random = faults.random ?? Math.random;
  if (random() < (faults.dropBefore ?? 0)) {
    stats.droppedBefore += 1;
    req.socket.destroy();
    return;
  }
  const loseAnswer = random() < (faults.dropAfter ?? 0);
  if (loseAnswer) stats.droppedAfter += 1;
  const child = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      // As a careful host does: every object a push sends is checked before it is taken in.
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'receive.fsckObjects',
      GIT_CONFIG_VALUE_0: 'true',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method ?? 'GET',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
      ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      REMOTE_USER: user,
      REMOTE_ADDR: '127.0.0.1',
    },
  });
  req.on('data', (chunk: Buffer) => {
    if (service === 'push') stats.pushBytes += chunk.length;
  });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (loseAnswer) return;
    if (headersDone) {
      if (service === 'fetch') stats.fetchBytes += chunk.length;
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end < 0) return;
    headersDone = true;
    const headers: Record<string, string> = { ...cors };
    let status = 200;
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const i = line.indexOf(':');
      const name = line.slice(0, i).trim().toLowerCase();
      const value = line.slice(i + 1).trim();
      if (name === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    res.writeHead(status, headers);
    const body = head.subarray(end + 4);
    if (service === 'fetch') stats.fetchBytes += body.length;
    res.write(body);
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((done) => {
    child.on('close', (code) => {
      if (service === 'push') {
        stats.pushes += 1;
        stats.pushHostMs.push(performance.now() - arrived);
      }
      if (service === 'fetch') stats.fetches += 1;
      if (loseAnswer) {
        req.socket.destroy();
        return done();
      }
      if (!headersDone) {
        res.writeHead(500, { ...cors, 'content-type': 'text/plain' });
        res.write(`git http-backend exited ${code}: ${stderr}`);
      }
      res.end();
      done();
    });
  });
}

/** A static host for a built site, under `base` (e.g. `/plover/`), on loopback. */
export async function startStaticHost(options: { dir: string; base?: string; port?: number }): Promise<{ origin: string; url: string; stop(): Promise<void> }> {
  const dir = resolve(options.dir);
  const base = options.base ?? '/';
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (!url.pathname.startsWith(base)) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    serveStatic(res, `/${url.pathname.slice(base.length)}`, dir, req.method === 'HEAD', req.headers['accept-encoding']).catch(() => res.end());
  });
  const port = await listen(server, options.port ?? 0);
  const origin = `http://127.0.0.1:${port}`;
  return { origin, url: `${origin}${base}`, stop: () => close(server) };
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      root: { type: 'string' },
      port: { type: 'string', default: '8174' },
      token: { type: 'string' },
      site: { type: 'string' },
      'site-port': { type: 'string', default: '8175' },
      base: { type: 'string', default: '/' },
    },
  });
  if (!values.root) {
    console.error('usage: node scripts/git-http-server.ts --root <folder of bare repos> [--port 8174] [--token T] [--site dist/site --site-port 8175 --base /]');
    process.exit(1);
  }
  const git = await startGitHttpServer({ root: values.root, port: Number(values.port), ...(values.token ? { token: values.token } : {}) });
  console.log(`git server: ${git.origin}/<name>.git for the bare repositories in ${resolve(values.root)}${values.token ? ' (token required)' : ''}`);
  if (values.site) {
    const site = await startStaticHost({ dir: values.site, base: values.base, port: Number(values['site-port']) });
    console.log(`site: ${site.url}`);
  }
}
