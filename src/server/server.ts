/**
 * The local label server: serves the built review site on 127.0.0.1 and carries the
 * review service's LabelBackend (lib/review/label-backend.ts) over a small JSON API; each
 * decision is committed by the same service as `plover submit`.
 *
 * The API's routes are the table in lib/review/api.ts, one per LabelBackend method.
 *
 * Before answering a GET, the server takes in what came into the checked-out branch since
 * it last looked (a `git pull`, a `plover submit` beside it; Workspace.refresh): changed
 * corrections at once, new candidate files or a new plover.config.json by reading the
 * repository again. What it cannot take in is logged, naming the file and the fix.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { routeOf } from '../lib/review/api.ts';
import { formatProblem, PloverError } from '../lib/errors.ts';
import { parseJsonText } from '../lib/json.ts';
import type { Reviewer } from '../lib/records/schema-types.generated.ts';
import type { Workspace } from '../node/workspace.ts';

export const DEFAULT_SITE_DIR = fileURLToPath(new URL('../../dist/local/', import.meta.url));

/** Large enough for a 65k-character correction many times over; small enough to refuse floods. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

export interface ServerOptions {
  workspace: Workspace;
  reviewer: Reviewer;
  /** 0 picks a free port. */
  port: number;
  /** The built site (default: dist/local of this package, built by `astro build --mode serve`). */
  siteDir?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the server on 127.0.0.1 (never another interface).
 * @throws PloverError `E_PORT_IN_USE`, `E_NO_SITE` (the site is not built).
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const siteDir = options.siteDir ?? DEFAULT_SITE_DIR;
  try {
    await stat(join(siteDir, 'index.html'));
  } catch {
    throw new PloverError(
      'E_NO_SITE',
      `the review site is not built (no ${join(siteDir, 'index.html')}); \`npm start\` builds it and serves it (or build it alone with \`npx astro build --mode serve\`)`,
    );
  }
  let port = options.port;
  const current = keepCurrent(options.workspace);
  const server = createServer((req, res) => {
    handle(req, res, { ...options, siteDir, port, current }).catch((err) => {
      console.error(err);
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'E_INTERNAL', message: 'internal error; see the server log' } });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? new PloverError('E_PORT_IN_USE', `port ${options.port} on 127.0.0.1 is in use; pass --port N, or --port 0 for a free one`) : err);
    });
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/**
 * The workspace, kept current with the branch: `refresh` looks once per call (calls made
 * while one runs share it). A repository that cannot be read again is logged, and the
 * last one read goes on serving until the branch moves again.
 */
function keepCurrent(first: Workspace) {
  let workspace = first;
  let running: Promise<void> | undefined;
  let unreadable: string | undefined;
  async function look(): Promise<void> {
    const found = await workspace.refresh();
    if (found.kind === 'corrections') {
      if (found.taken || found.removed) console.log(`took in ${found.taken} changed and ${found.removed} removed correction file(s) from ${found.commit.slice(0, 7)}`);
      if (found.problems.length) {
        console.error(
          `${found.problems.length} correction file(s) from ${found.commit.slice(0, 7)} are not taken in (see \`plover validate\`):\n${found.problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`,
        );
      }
    } else if (found.kind === 'reopen' && found.commit !== unreadable) {
      try {
        workspace = await workspace.reopen();
        console.log(`${found.commit.slice(0, 7)} changed the candidates or plover.config.json: read again, ${workspace.index.candidateCount} candidates`);
      } catch (err) {
        unreadable = found.commit;
        console.error(
          `${found.commit.slice(0, 7)} changed the candidates or plover.config.json, and the repository cannot be read; still serving what was read before.\n${(err as Error).message}`,
        );
      }
    }
  }
  return {
    get workspace() {
      return workspace;
    },
    refresh(): Promise<void> {
      running ??= look()
        .catch((err) => console.error('could not look for changes in the branch:', err))
        .finally(() => (running = undefined));
      return running;
    },
  };
}

type Current = ReturnType<typeof keepCurrent>;

async function handle(req: IncomingMessage, res: ServerResponse, ctx: ServerOptions & { siteDir: string; port: number; current: Current }) {
  // DNS rebinding and cross-site requests: only our own host names, only same-origin writes.
  const allowedHosts = [`127.0.0.1:${ctx.port}`, `localhost:${ctx.port}`];
  if (!allowedHosts.includes(req.headers.host ?? '')) return sendJson(res, 421, { error: { code: 'E_HOST', message: 'unexpected Host header' } });
  const url = new URL(req.url ?? '/', `http://${req.headers.host}`);

  if (url.pathname.startsWith('/api/')) {
    if (req.method === 'POST') {
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedHosts.some((h) => origin === `http://${h}`)) {
        return sendJson(res, 403, { error: { code: 'E_ORIGIN', message: 'cross-origin request refused' } });
      }
    }
    return api(req, res, url, ctx);
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: { code: 'E_METHOD', message: 'method not allowed' } });
  return serveStatic(res, url.pathname, ctx.siteDir, req.method === 'HEAD', req.headers['accept-encoding']);
}

async function api(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ServerOptions & { current: Current }) {
  const route = routeOf(req.method ?? '', url.pathname);
  if (!route) return sendJson(res, 404, { error: { code: 'E_NOT_FOUND', message: `no API route ${req.method} ${url.pathname}` } });
  let body: Record<string, unknown> = {};
  if (route.method === 'POST') {
    const read = await readJsonObject(req, res);
    if (!read) return;
    body = read;
  } else await ctx.current.refresh();
  const backend = ctx.current.workspace.service.backend(ctx.reviewer);
  return respond(res, () => route.answer(backend, { query: url.searchParams, body }), route.method === 'GET' ? 200 : 201);
}

/** Answers with `work()`'s result, or with a PloverError's code, message and problems. */
async function respond(res: ServerResponse, work: () => Promise<unknown>, status: number) {
  try {
    return sendJson(res, status, await work());
  } catch (err) {
    if (err instanceof PloverError) {
      // The page shows it on the decision; the terminal that runs the server must say it too.
      if (err.code === 'E_BRANCH_SWITCHED') console.error(`plover: ${err.message}`);
      return sendError(res, err);
    }
    throw err;
  }
}

/** The request's JSON object body; on anything else answers 400/413 and returns undefined. */
async function readJsonObject(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | undefined> {
  if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
    res.setHeader('connection', 'close');
    sendError(res, new PloverError('E_TOO_LARGE', `the request is larger than ${MAX_BODY_BYTES} bytes`));
    return undefined;
  }
  let text: string;
  try {
    text = await readBody(req);
  } catch (err) {
    if (err instanceof PloverError) sendError(res, err);
    else sendJson(res, 400, { error: { code: 'E_BAD_JSON', message: 'the request body could not be read' } });
    return undefined;
  }
  // The same parse as every file plover reads: a duplicate key or a lone surrogate is refused, not guessed at.
  const { value, problems } = parseJsonText(text, { file: 'the request body' });
  if (problems.length) {
    sendJson(res, 400, { error: { code: 'E_BAD_JSON', message: problems.map(formatProblem).join('\n'), problems } });
    return undefined;
  }
  return value as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, value: unknown) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(body);
}

const STATUS: Record<string, number> = {
  E_INVALID_DECISION: 400,
  E_UNKNOWN_CANDIDATE: 404,
  E_NOTHING_TO_UNDO: 404,
  E_TOO_LARGE: 413,
  E_UNCHANGED: 422,
};

function sendError(res: ServerResponse, err: PloverError) {
  sendJson(res, STATUS[err.code] ?? 409, { error: { code: err.code, message: err.message, problems: err.problems } });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new PloverError('E_TOO_LARGE', `the request is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Serves a file of the built site; the path is resolved inside `siteDir` or refused. */
export async function serveStatic(res: ServerResponse, pathname: string, siteDir: string, headOnly: boolean, acceptEncoding?: string | string[]) {
  let rel: string;
  try {
    rel = decodeURIComponent(pathname);
  } catch {
    return sendJson(res, 400, { error: { code: 'E_BAD_PATH', message: 'malformed path' } });
  }
  if (rel.endsWith('/')) rel += 'index.html';
  const file = normalize(join(siteDir, rel));
  if (!file.startsWith(siteDir.endsWith(sep) ? siteDir : siteDir + sep) || rel.includes('\0')) {
    return sendJson(res, 404, { error: { code: 'E_NOT_FOUND', message: 'not found' } });
  }
  let size: number;
  try {
    const s = await stat(file);
    if (s.isDirectory() && !pathname.endsWith('/')) {
      // A page's folder without its slash: send the browser to the page, as static hosts do.
      res.writeHead(301, { location: `${pathname}/` });
      return res.end();
    }
    if (!s.isFile()) throw new Error('not a file');
    size = s.size;
  } catch {
    return sendJson(res, 404, { error: { code: 'E_NOT_FOUND', message: `no file ${pathname}` } });
  }
  const type = TYPES[extname(file)] ?? 'application/octet-stream';
  // Text is sent gzipped to a browser that takes it (HTML, scripts, styles, JSON: a third of their size).
  const gzip = COMPRESSIBLE.test(type) && /\bgzip\b/.test(String(acceptEncoding ?? ''));
  res.writeHead(200, {
    'content-type': type,
    ...(gzip ? { 'content-encoding': 'gzip' } : { 'content-length': size }),
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': file.includes(`${sep}_astro${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (headOnly) res.end();
  else if (gzip) createReadStream(file).pipe(createGzip()).pipe(res);
  else createReadStream(file).pipe(res);
}

const COMPRESSIBLE = /^(text\/|application\/json|image\/svg)/;
