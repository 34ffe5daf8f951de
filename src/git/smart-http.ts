/**
 * The wire: git's smart-HTTP protocol, receive-pack side (what `git push` speaks), as
 * plover's push uses it, and the upload-pack requests of the page's first clone
 * (shallow-clone.ts); later fetches go through isomorphic-git. Pure byte work (pkt-lines,
 * the request, report-status and side-band parsing) and the HTTP requests.
 *
 * Reference: git's Documentation/gitprotocol-pack.txt, gitprotocol-http.txt and
 * gitprotocol-capabilities.txt. tests/git/smart-http.test.ts checks every parser
 * against bytes produced by git itself.
 */
import type { HttpClient } from 'isomorphic-git';
import { PloverError } from '../lib/errors.ts';
import { concat } from '../lib/bytes.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A pkt-line: four hex digits of length (itself included), then the payload. */
export function pktLine(payload: string | Uint8Array): Uint8Array {
  const body = typeof payload === 'string' ? encoder.encode(payload) : payload;
  if (body.length > 65516) throw new RangeError(`a pkt-line holds at most 65516 bytes, not ${body.length}`);
  const out = new Uint8Array(body.length + 4);
  out.set(encoder.encode((body.length + 4).toString(16).padStart(4, '0')));
  out.set(body, 4);
  return out;
}

export const FLUSH = encoder.encode('0000');

/**
 * Splits a pkt-line stream into payloads; a flush packet (`0000`) is an empty payload
 * marked `flush`. Stops at the end of `bytes`.
 * @throws PloverError `E_PROTOCOL` on a malformed length or a packet cut short.
 */
export function readPktLines(bytes: Uint8Array): { payload: Uint8Array; flush: boolean }[] {
  const packets: { payload: Uint8Array; flush: boolean }[] = [];
  let i = 0;
  while (i < bytes.length) {
    const head = decoder.decode(bytes.subarray(i, i + 4));
    const length = /^[0-9a-f]{4}$/.test(head) ? Number.parseInt(head, 16) : NaN;
    if (Number.isNaN(length) || (length > 0 && length < 4) || i + Math.max(length, 4) > bytes.length) {
      throw new PloverError('E_PROTOCOL', `the git host sent a malformed pkt-line at byte ${i} (${JSON.stringify(head)})`);
    }
    if (length === 0) {
      packets.push({ payload: new Uint8Array(0), flush: true });
      i += 4;
      continue;
    }
    packets.push({ payload: bytes.subarray(i + 4, i + length), flush: false });
    i += length;
  }
  return packets;
}

export interface Advertisement {
  /** Ref name to oid. */
  refs: Map<string, string>;
  /** The capabilities after the first ref (`report-status`, `side-band-64k`, `agent=…`). */
  capabilities: Set<string>;
}

/**
 * Reads `GET /info/refs?service=git-receive-pack`: the `# service=` banner, then one
 * ref per line, the first one carrying the capabilities after a NUL. An empty
 * repository advertises `capabilities^{}` with the zero oid.
 */
export function parseAdvertisement(bytes: Uint8Array): Advertisement {
  const refs = new Map<string, string>();
  const capabilities = new Set<string>();
  let first = true;
  for (const { payload, flush } of readPktLines(bytes)) {
    if (flush) continue;
    const line = decoder.decode(payload).replace(/\n$/, '');
    if (line.startsWith('# service=')) continue;
    const [refPart, caps] = line.split('\0') as [string, string | undefined];
    if (first && caps !== undefined) for (const c of caps.trim().split(' ')) if (c) capabilities.add(c);
    first = false;
    const [oid, name] = [refPart.slice(0, 40), refPart.slice(41)];
    if (/^[0-9a-f]{40}$/.test(oid) && name.startsWith('refs/')) refs.set(name, oid);
  }
  return { refs, capabilities };
}

export interface RefUpdate {
  /** The oid the ref must have now (40 zeros: it must not exist). */
  old: string;
  new: string;
  ref: string;
}

/**
 * The body of a receive-pack POST: one command with the capabilities we ask for (of
 * those the host offered: report-status, and side-band-64k so hook messages come
 * back), a flush, then the pack.
 */
export function receivePackRequest(update: RefUpdate, pack: Uint8Array, offered: ReadonlySet<string>): { body: Uint8Array<ArrayBuffer>; sideBand: boolean } {
  const sideBand = offered.has('side-band-64k');
  const asked = ['report-status', ...(sideBand ? ['side-band-64k'] : []), 'agent=plover'];
  const command = pktLine(`${update.old} ${update.new} ${update.ref}\0${asked.join(' ')}\n`);
  const body = new Uint8Array(command.length + FLUSH.length + pack.length);
  body.set(command);
  body.set(FLUSH, command.length);
  body.set(pack, command.length + FLUSH.length);
  return { body, sideBand };
}

export interface ReceivePackResult {
  /** `ok`, or why the host could not unpack the pack. */
  unpack: string;
  /** Each ref's answer: `ok`, or the host's reason for refusing it (`ng <ref> <reason>`). */
  refs: Map<string, { ok: true } | { ok: false; reason: string }>;
  /** What the host printed on the side-band's message channel (hook output, `GH006: …`), line by line. */
  messages: string[];
  /** A fatal error sent on the side-band's error channel, if any. */
  fatal: string | null;
}

/**
 * Reads a receive-pack answer: report-status pkt-lines, wrapped in side-band packets
 * (band 1 data, 2 messages, 3 fatal) when side-band was asked for.
 * @throws PloverError `E_PROTOCOL` when the answer is malformed.
 */
export function parseReceivePackResult(bytes: Uint8Array, sideBand: boolean): ReceivePackResult {
  const messages: string[] = [];
  let fatal: string | null = null;
  let status = bytes;
  if (sideBand) {
    const data: Uint8Array[] = [];
    let text = '';
    for (const { payload, flush } of readPktLines(bytes)) {
      if (flush || payload.length === 0) continue;
      const band = payload[0];
      if (band === 1) data.push(payload.subarray(1));
      else if (band === 2) text += decoder.decode(payload.subarray(1), { stream: true });
      else if (band === 3) fatal = (fatal ?? '') + decoder.decode(payload.subarray(1));
      else throw new PloverError('E_PROTOCOL', `the git host sent side-band ${band}, which does not exist`);
    }
    messages.push(
      ...text
        .split(/\r|\n/)
        .map((l) => l.trimEnd())
        .filter(Boolean),
    );
    status = concat(data);
  }
  const result: ReceivePackResult = { unpack: '', refs: new Map(), messages, fatal: fatal?.trim() ?? null };
  for (const { payload, flush } of readPktLines(status)) {
    if (flush) continue;
    const line = decoder.decode(payload).replace(/\n$/, '');
    if (line.startsWith('unpack ')) result.unpack = line.slice('unpack '.length);
    else if (line.startsWith('ok ')) result.refs.set(line.slice(3), { ok: true });
    else if (line.startsWith('ng ')) {
      const [ref, ...reason] = line.slice(3).split(' ');
      result.refs.set(ref!, { ok: false, reason: reason.join(' ') });
    }
  }
  return result;
}

// --- the HTTP requests of a push --------------------------------------------------------

/** Where a repository is and how to reach it. */
export interface HttpRemote {
  /** The repository's smart-HTTP URL, e.g. `https://git.example.org/team/labels.git`. */
  url: string;
  /** A CORS proxy (`@isomorphic-git/cors-proxy`) the requests go through, when the host sends no CORS headers. */
  corsProxy?: string;
  /** Sent as HTTP Basic auth; the password is the access token. Never stored by this module. */
  auth?: { username: string; password: string };
}

/** `Authorization` header for the remote, or none. */
export function authHeaders(remote: HttpRemote): Record<string, string> {
  if (!remote.auth) return {};
  const bytes = encoder.encode(`${remote.auth.username}:${remote.auth.password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return { authorization: `Basic ${btoa(binary)}` };
}

/** The URL a request goes to, through the CORS proxy when one is set (as isomorphic-git builds it). */
function proxied(remote: HttpRemote, url: string): string {
  const proxy = remote.corsProxy;
  if (!proxy) return url;
  return proxy.endsWith('?') ? `${proxy}${url}` : `${proxy.replace(/\/$/, '')}/${url.replace(/^https?:\/\//, '')}`;
}

/**
 * Turns what went wrong talking to the host into a message that names the party at
 * fault (the CORS proxy, the git host, the token) and never includes the token. What to
 * do about it depends on where the reviewer is: see adviseOn.
 */
export function remoteError(err: unknown, what: string, remote?: HttpRemote): PloverError {
  if (err instanceof PloverError) return err;
  const e = err as { code?: string; data?: { statusCode?: number }; name?: string; message?: string };
  const status = e.code === 'HttpError' ? e.data?.statusCode : undefined;
  if (status !== undefined) return httpError(status, what, remote, err);
  if (e.name === 'TypeError' || e.code === 'ECONNREFUSED' || /fetch failed|NetworkError|Failed to fetch/i.test(e.message ?? '')) {
    if (remote?.corsProxy) {
      return new PloverError(
        'E_PROXY',
        `${what}: the CORS proxy ${new URL(remote.corsProxy).origin} cannot be reached (it is down, or this network blocks it; whoever runs it can check).`,
        { cause: err },
      );
    }
    return new PloverError('E_OFFLINE', `${what}: the git host cannot be reached (offline, or the server is down).`, { cause: err });
  }
  return new PloverError('E_REMOTE', `${what}: ${e.message ?? String(err)}`, { cause: err });
}

function httpError(status: number, what: string, remote: HttpRemote | undefined, cause?: unknown): PloverError {
  if (status === 401 || status === 403) return new PloverError('E_AUTH', `${what}: the git host refused the access token (HTTP ${status}).`, { cause });
  // @isomorphic-git/cors-proxy answers 502 when it cannot reach the host.
  if (remote?.corsProxy && status === 502) {
    return new PloverError(
      'E_OFFLINE',
      `${what}: the CORS proxy answers, but cannot reach the git host ${new URL(remote.url).host} (HTTP 502): the host is down, or the proxy does not reach it.`,
      { cause },
    );
  }
  return new PloverError('E_REMOTE', `${what}: the git host answered HTTP ${status}, an error on its side.`, { cause });
}

/** What the reviewer can do about a failure talking to the host: at sign-in, or while reviewing (decisions then wait in the browser). */
export function adviseOn(err: PloverError, when: 'sign-in' | 'review'): PloverError {
  const advice: Record<string, [string, string]> = {
    E_AUTH: [
      'Check the token: it must be current and able to read and write the repository.',
      'Sign out and sign in with a token that can read and write the repository; your decisions are kept in this browser and wait to be pushed.',
    ],
    E_PROXY: ['Try again once it answers.', 'Your decisions are kept in this browser and pushed when it answers.'],
    E_OFFLINE: ['Try again once it answers.', 'Your decisions are kept in this browser and pushed when it answers.'],
    E_REMOTE: ['Try again later.', 'Your decisions are kept in this browser; the push is tried again.'],
  };
  const text = advice[err.code]?.[when === 'sign-in' ? 0 : 1];
  return text && !err.message.endsWith(text) ? new PloverError(err.code, `${err.message} ${text}`, { cause: err.cause ?? err, problems: err.problems }) : err;
}

/**
 * A host's answer that asks to wait: 429; or 403 with `Retry-After`, `x-ratelimit-remaining: 0`
 * or GitHub's "secondary rate limit" text. A 403 without them is a refused token.
 * @returns the error to throw (its retryAfterMs when the host named a time), or null.
 */
export function rateLimited(status: number, header: (name: string) => string | null, body: string, what: string, now = Date.now()): PloverError | null {
  if (status !== 429 && status !== 403) return null;
  const retryAfter = header('retry-after');
  const remaining = header('x-ratelimit-remaining');
  const secondary = /secondary rate limit|rate limit exceeded|too many requests/i.test(body);
  if (status === 403 && retryAfter === null && remaining !== '0' && !secondary) return null;
  let waitMs: number | undefined;
  if (retryAfter !== null) {
    const seconds = Number(retryAfter);
    const date = Date.parse(retryAfter);
    waitMs = Number.isFinite(seconds) ? seconds * 1000 : Number.isFinite(date) ? Math.max(0, date - now) : undefined;
  }
  const reset = Number(header('x-ratelimit-reset'));
  if (waitMs === undefined && remaining === '0' && Number.isFinite(reset) && reset > 0) waitMs = Math.max(0, reset * 1000 - now);
  const said = body.trim().split('\n')[0]?.slice(0, 200);
  return new PloverError(
    'E_RATE_LIMITED',
    `${what}: the git host asks to wait${waitMs === undefined ? '' : ` ${Math.ceil(waitMs / 1000)} s`} (HTTP ${status}${said ? `: ${said}` : ''}).`,
    waitMs === undefined ? {} : { retryAfterMs: waitMs },
  );
}

/**
 * isomorphic-git's HTTP client, made to stop at a rate limit: such an answer becomes
 * E_RATE_LIMITED (with the time the host named) instead of a refused token or an error
 * to retry at once.
 */
export function rateAware(http: HttpClient): HttpClient {
  return {
    async request(req) {
      const res = await http.request(req);
      if (res.statusCode !== 429 && res.statusCode !== 403) return res;
      const chunks: Uint8Array[] = [];
      if (res.body) for await (const chunk of res.body) chunks.push(chunk);
      const headers = res.headers ?? {};
      const header = (name: string): string | null => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? null;
      const limited = rateLimited(res.statusCode, header, new TextDecoder().decode(concat(chunks)), 'The git host');
      if (limited) throw limited;
      return {
        ...res,
        body: (async function* () {
          yield* chunks;
        })(),
      };
    },
  };
}

async function request(remote: HttpRemote, path: string, init: RequestInit, what: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(proxied(remote, `${remote.url.replace(/\/$/, '')}${path}`), { ...init, headers: { ...authHeaders(remote), ...(init.headers as Record<string, string>) } });
  } catch (err) {
    throw remoteError(err, what, remote);
  }
  if (!res.ok) {
    const limited = rateLimited(res.status, (name) => res.headers.get(name), await res.text().catch(() => ''), what);
    throw limited ?? httpError(res.status, what, remote);
  }
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * What every receive-pack since git 1.6 offers; a push made without asking first (see
 * pushOutbox) asks for these.
 */
export const USUAL_CAPABILITIES: ReadonlySet<string> = new Set(['report-status', 'side-band-64k']);

/** `GET /info/refs?service=git-receive-pack`: where the host's refs are, and what it offers. */
export async function advertiseReceivePack(remote: HttpRemote): Promise<Advertisement> {
  return parseAdvertisement(await request(remote, '/info/refs?service=git-receive-pack', { method: 'GET' }, 'Pushing failed'));
}

/** One receive-pack POST: the ref update and the pack, and the host's answer; `bytes` is what was uploaded. */
export async function sendReceivePack(remote: HttpRemote, update: RefUpdate, pack: Uint8Array, offered: ReadonlySet<string>): Promise<ReceivePackResult & { bytes: number }> {
  const { body, sideBand } = receivePackRequest(update, pack, offered);
  const answer = await request(
    remote,
    '/git-receive-pack',
    { method: 'POST', headers: { 'content-type': 'application/x-git-receive-pack-request', accept: 'application/x-git-receive-pack-result' }, body },
    'Pushing failed',
  );
  return { ...parseReceivePackResult(answer, sideBand), bytes: body.length };
}

/** `GET /info/refs?service=git-upload-pack`: the host's refs, and what it offers to fetches. */
export async function advertiseUploadPack(remote: HttpRemote, what: string): Promise<Advertisement> {
  return parseAdvertisement(await request(remote, '/info/refs?service=git-upload-pack', { method: 'GET' }, what));
}

/** One upload-pack POST (a fetch's wants): the host's answer, whole. */
export function sendUploadPack(remote: HttpRemote, body: Uint8Array<ArrayBuffer>, what: string): Promise<Uint8Array> {
  return request(
    remote,
    '/git-upload-pack',
    { method: 'POST', headers: { 'content-type': 'application/x-git-upload-pack-request', accept: 'application/x-git-upload-pack-result' }, body },
    what,
  );
}
