/**
 * The hosted mode's git protocol, shared by the page (LightningFS) and Node (tests,
 * benchmarks): a clone without a working tree that follows the target branch, an outbox
 * branch where decisions are committed, and a push that sends only what the outbox's new
 * commits created.
 *
 * Refs in the clone (`<dest>` is the branch decisions are pushed to, by default
 * `labels/<reviewer>`):
 * - `refs/heads/<branch>`, `refs/remotes/origin/<branch>`: the target branch, always
 *   equal, so a fetch's "have" is right and only new objects are downloaded.
 * - `refs/heads/<dest>`, `refs/remotes/origin/<dest>`: the same for the destination.
 * - `refs/plover/outbox/<dest>`: where decisions are committed (commit-file.ts).
 * - `refs/plover/base/<dest>`: the destination as last seen; the outbox's commits after
 *   it are the ones waiting to be pushed.
 *
 * A push whose destination moved (another tab, another device, another reviewer on a
 * shared branch) is never forced: the destination is fetched and each waiting one-file
 * commit is made again on its new head (same file, message, author and time), then pushed.
 */
import git, { type HttpClient, type ReadCommitResult } from 'isomorphic-git';
import { PloverError, errorCode } from '../lib/errors.ts';
import { commitFile, resolveOrNull, type GitFs } from './commit-file.ts';
import { packWriter } from './pack.ts';
import { readTree } from './tree-cache.ts';

export interface RemoteOptions {
  /** The repository's smart-HTTP URL, e.g. `https://git.example.org/team/labels.git`. */
  url: string;
  /** A CORS proxy (`@isomorphic-git/cors-proxy`) the requests go through, when the host sends no CORS headers. */
  corsProxy?: string;
  /** The target branch, whose candidates are reviewed (e.g. `main`). */
  branch: string;
  /** Where decisions are pushed: a review branch (`labels/<reviewer>`) or the target branch itself. */
  dest: string;
  /** Sent as HTTP Basic auth; the password is the access token. Never stored by this module. */
  auth?: { username: string; password: string };
}

export interface Clone {
  fs: GitFs;
  gitdir: string;
  /** isomorphic-git's object cache: one per session. */
  cache: object;
  http: HttpClient;
}

export interface SyncResult {
  /** Bytes the last clone or fetch downloaded (as the server sent them). */
  fetched: number;
  cloned: boolean;
}

export interface PushResult {
  /** Commits the destination received. */
  pushed: number;
  /** Bytes of the receive-pack request (commands and pack). */
  bytes: number;
  /** Waiting commits made again on a destination that had moved. */
  replayed: number;
}

const ZERO = '0000000000000000000000000000000000000000';
const MAX_PUSH_ROUNDS = 5;

export const outboxRef = (dest: string) => `refs/plover/outbox/${dest}`;
const baseRef = (dest: string) => `refs/plover/base/${dest}`;
const trackingRef = (branch: string) => `refs/remotes/origin/${branch}`;

/** `Authorization` header for the remote, or none. */
function authHeaders(remote: RemoteOptions): Record<string, string> {
  if (!remote.auth) return {};
  const bytes = new TextEncoder().encode(`${remote.auth.username}:${remote.auth.password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return { authorization: `Basic ${btoa(binary)}` };
}

/** The URL a request goes to, through the CORS proxy when one is set (as isomorphic-git builds it). */
function proxied(remote: RemoteOptions, url: string): string {
  const proxy = remote.corsProxy;
  if (!proxy) return url;
  return proxy.endsWith('?') ? `${proxy}${url}` : `${proxy.replace(/\/$/, '')}/${url.replace(/^https?:\/\//, '')}`;
}

/** Turns what went wrong talking to the host into a message for the reviewer; never includes the token. */
export function remoteError(err: unknown, what: string): PloverError {
  if (err instanceof PloverError) return err;
  const e = err as { code?: string; data?: { statusCode?: number }; name?: string; message?: string };
  const status = e.code === 'HttpError' ? e.data?.statusCode : undefined;
  if (status === 401 || status === 403) return authError(status, what);
  if (status !== undefined) return new PloverError('E_REMOTE', `${what}: the git host answered HTTP ${status}`, { cause: err });
  if (e.name === 'TypeError' || e.code === 'ECONNREFUSED' || /fetch failed|NetworkError|Failed to fetch/i.test(e.message ?? '')) {
    return new PloverError('E_OFFLINE', `${what}: the git host cannot be reached (offline, or the server is down); decisions wait and are pushed when it answers`, { cause: err });
  }
  return new PloverError('E_REMOTE', `${what}: ${e.message ?? String(err)}`, { cause: err });
}

function authError(status: number, what: string): PloverError {
  return new PloverError(
    'E_AUTH',
    `${what}: the git host refused the access token (HTTP ${status}). Sign out and sign in with a token that can read and write the repository; your decisions are kept and wait to be pushed.`,
  );
}

/** The oid of `ref` in the clone, or null when the ref does not exist. */
const resolveIn = (clone: Clone, ref: string) => resolveOrNull(clone.fs, clone.gitdir, ref);

async function setRef(clone: Clone, ref: string, value: string): Promise<void> {
  await git.writeRef({ fs: clone.fs, gitdir: clone.gitdir, ref, value, force: true });
}

/**
 * Clones the target branch (depth 1, one branch, no checkout) the first time, and
 * fetches only what is new afterwards; fetches the destination branch too when it
 * differs and exists. Creates the outbox on the destination (or the target) when missing.
 * @throws PloverError `E_AUTH`, `E_OFFLINE`, `E_REMOTE`.
 */
export async function syncClone(clone: Clone, remote: RemoteOptions, onProgress?: (phase: string, loaded: number, total: number) => void): Promise<SyncResult> {
  const { fs, gitdir, cache, http } = clone;
  const headers = authHeaders(remote);
  const common = { fs, http, gitdir, cache, headers, ...(remote.corsProxy ? { corsProxy: remote.corsProxy } : {}), ...(onProgress ? { onProgress: (p: { phase: string; loaded: number; total?: number }) => onProgress(p.phase, p.loaded, p.total ?? 0) } : {}) };
  let fetched = 0;
  const cloned = (await resolveIn(clone, trackingRef(remote.branch))) === null;
  try {
    if (cloned) {
      await git.init({ fs, gitdir, bare: true, defaultBranch: remote.branch });
      await git.addRemote({ fs, gitdir, remote: 'origin', url: remote.url, force: true });
      const result = await git.fetch({ ...common, url: remote.url, ref: remote.branch, singleBranch: true, depth: 1, tags: false });
      fetched += await packSize(clone, result);
    } else {
      // Without depth: with the local branch equal to the remote one as the "have", only new objects come.
      const result = await git.fetch({ ...common, url: remote.url, ref: remote.branch, singleBranch: true, tags: false });
      fetched += await packSize(clone, result);
    }
    await setRef(clone, `refs/heads/${remote.branch}`, (await resolveIn(clone, trackingRef(remote.branch)))!);
    if (remote.dest !== remote.branch) fetched += await fetchDest(clone, remote, common);
  } catch (err) {
    throw remoteError(err, cloned ? 'Cloning the repository failed' : 'Fetching new commits failed');
  }
  const outbox = await resolveIn(clone, outboxRef(remote.dest));
  if (outbox === null) {
    const start = (await resolveIn(clone, trackingRef(remote.dest))) ?? (await resolveIn(clone, trackingRef(remote.branch)))!;
    await setRef(clone, outboxRef(remote.dest), start);
    await setRef(clone, baseRef(remote.dest), start);
  }
  return { fetched, cloned };
}

/** Fetches the destination branch if the host has it: depth 1 the first time, only what is new later. */
async function fetchDest(clone: Clone, remote: RemoteOptions, common: object): Promise<number> {
  const known = await resolveIn(clone, trackingRef(remote.dest));
  try {
    const result = await git.fetch({ ...common, url: remote.url, ref: remote.dest, singleBranch: true, tags: false, ...(known ? {} : { depth: 1 }) } as Parameters<typeof git.fetch>[0]);
    const head = await resolveIn(clone, trackingRef(remote.dest));
    if (head) await setRef(clone, `refs/heads/${remote.dest}`, head);
    return await packSize(clone, result);
  } catch (err) {
    // The review branch does not exist on the host yet: the first push creates it.
    if (errorCode(err) === 'NotFoundError') return 0;
    throw err;
  }
}

/** The size of the pack a fetch stored (isomorphic-git returns its path, untyped). */
async function packSize(clone: Clone, result: object): Promise<number> {
  const packfile = (result as { packfile?: string }).packfile;
  if (!packfile) return 0;
  try {
    const stat = await clone.fs.promises.stat(`${clone.gitdir}/${packfile}`);
    return (stat as { size: number }).size;
  } catch {
    return 0;
  }
}

/** The outbox's commits that the destination has not received, oldest first. */
export async function waitingCommits(clone: Clone, dest: string): Promise<ReadCommitResult[]> {
  return (await readOutbox(clone, dest)).waiting;
}

/** Where the destination was last seen (the base), and the outbox's commits on top of it, oldest first. */
async function readOutbox(clone: Clone, dest: string): Promise<{ base: string | null; waiting: ReadCommitResult[] }> {
  const [base, head] = await Promise.all([resolveIn(clone, baseRef(dest)), resolveIn(clone, outboxRef(dest))]);
  let oid = head;
  const waiting: ReadCommitResult[] = [];
  while (oid && oid !== base) {
    const commit = await git.readCommit({ fs: clone.fs, gitdir: clone.gitdir, oid, cache: clone.cache });
    waiting.push(commit);
    oid = commit.commit.parent[0] ?? null;
  }
  if (oid !== base) throw new PloverError('E_OUTBOX', `the outbox ${outboxRef(dest)} does not descend from ${baseRef(dest)}; clear this site's storage to start over`);
  return { base, waiting: waiting.reverse() };
}

/**
 * Pushes the outbox to the destination branch: one receive-pack request with the
 * commits and the objects they created (trees on the changed paths, blobs), never the
 * whole tree. A destination that moved is fetched and the waiting commits are made
 * again on it; never a force push.
 * @throws PloverError `E_AUTH`, `E_OFFLINE`, `E_REMOTE`.
 */
export async function pushOutbox(clone: Clone, remote: RemoteOptions): Promise<PushResult> {
  const result: PushResult = { pushed: 0, bytes: 0, replayed: 0 };
  // Round 0 pushes without asking the host where the branch is first: as a rule it is where
  // our last push or fetch left it (the base), and one request instead of two is most of the
  // time a push takes. If the branch moved, the host refuses the update and the rounds
  // after it look first.
  const [tracking, first] = await Promise.all([resolveIn(clone, trackingRef(remote.dest)), readOutbox(clone, remote.dest)]);
  const guess = tracking !== null && tracking === first.base;
  let outbox: typeof first | null = first;
  for (let round = guess ? 0 : 1; round <= MAX_PUSH_ROUNDS; round++) {
    const { base, waiting } = outbox ?? (await readOutbox(clone, remote.dest));
    outbox = null;
    if (!waiting.length) return result;
    const remoteHead = round === 0 ? base! : ((await discoverReceivePack(remote)).get(`refs/heads/${remote.dest}`) ?? ZERO);
    const landed = waiting.findIndex((c) => c.oid === remoteHead);
    if (landed >= 0) {
      // An earlier push arrived but its answer was lost (tab closed, network cut): those commits are there.
      await recordPushed(clone, remote.dest, remoteHead);
      continue;
    }
    const baseIsRemote = remoteHead === base || (remoteHead === ZERO && !(await hasTracking(clone, remote.dest)));
    if (!baseIsRemote) {
      result.replayed += await replayOnRemote(clone, remote);
      continue;
    }
    const head = waiting[waiting.length - 1]!.oid;
    const pack = packWriter(clone);
    for (const c of waiting) {
      pack.add(c.oid);
      const parentTree = c.commit.parent[0] ? (await git.readCommit({ fs: clone.fs, gitdir: clone.gitdir, oid: c.commit.parent[0], cache: clone.cache })).commit.tree : null;
      await diffTrees(clone, parentTree, c.commit.tree, '', pack.add, []);
    }
    const packfile = await pack.finish();
    const answer = await receivePack(remote, remoteHead, head, `refs/heads/${remote.dest}`, packfile);
    result.bytes += answer.bytes;
    if (answer.ok) {
      result.pushed += waiting.length;
      await recordPushed(clone, remote.dest, head);
      return result;
    }
    // The guess was wrong (someone else pushed, or an earlier answer was lost): look, then push.
    if (round === 0) continue;
    // Rejected (the branch moved between our look and our push): fetch, make the commits again, retry.
    result.replayed += await replayOnRemote(clone, remote);
  }
  throw new PloverError('E_REMOTE', `the branch ${remote.dest} kept moving while pushing; the decisions are kept and the push is retried`);
}

async function hasTracking(clone: Clone, dest: string): Promise<boolean> {
  return (await resolveIn(clone, trackingRef(dest))) !== null;
}

async function recordPushed(clone: Clone, dest: string, oid: string): Promise<void> {
  await Promise.all([setRef(clone, trackingRef(dest), oid), setRef(clone, `refs/heads/${dest}`, oid), setRef(clone, baseRef(dest), oid)]);
}

/**
 * Fetches the destination and makes each waiting commit again on its new head (or on the
 * target branch when the destination is gone, e.g. a merged and deleted review branch).
 * @returns how many commits were made again.
 */
async function replayOnRemote(clone: Clone, remote: RemoteOptions): Promise<number> {
  const waiting = await waitingCommits(clone, remote.dest);
  const headers = authHeaders(remote);
  const common = { fs: clone.fs, http: clone.http, gitdir: clone.gitdir, cache: clone.cache, headers, ...(remote.corsProxy ? { corsProxy: remote.corsProxy } : {}) };
  let onto: string | null;
  try {
    await git.fetch({ ...common, url: remote.url, ref: remote.branch, singleBranch: true, tags: false });
    await setRef(clone, `refs/heads/${remote.branch}`, (await resolveIn(clone, trackingRef(remote.branch)))!);
    if (remote.dest !== remote.branch) {
      await git.deleteRef({ fs: clone.fs, gitdir: clone.gitdir, ref: trackingRef(remote.dest) }).catch(() => undefined);
      await fetchDest(clone, remote, common);
    }
    onto = (await resolveIn(clone, trackingRef(remote.dest))) ?? (await resolveIn(clone, trackingRef(remote.branch)));
  } catch (err) {
    throw remoteError(err, 'Fetching the branch that moved failed');
  }
  await setRef(clone, outboxRef(remote.dest), onto!);
  await setRef(clone, baseRef(remote.dest), onto!);
  for (const c of waiting) {
    const parentTree = c.commit.parent[0] ? (await git.readCommit({ fs: clone.fs, gitdir: clone.gitdir, oid: c.commit.parent[0], cache: clone.cache })).commit.tree : null;
    const changes: Change[] = [];
    await diffTrees(clone, parentTree, c.commit.tree, '', () => undefined, changes);
    if (changes.length !== 1) {
      throw new PloverError('E_OUTBOX', `commit ${c.oid.slice(0, 7)} in the outbox changes ${changes.length} files; plover only replays its own one-file commits`);
    }
    const [change] = changes as [Change];
    const text = change.oid === null ? null : new TextDecoder().decode((await git.readBlob({ fs: clone.fs, gitdir: clone.gitdir, oid: change.oid, cache: clone.cache })).blob);
    const { author } = c.commit;
    await commitFile({
      fs: clone.fs,
      gitdir: clone.gitdir,
      cache: clone.cache,
      ref: outboxRef(remote.dest),
      path: change.path,
      text,
      message: c.commit.message,
      author: { name: author.name, email: author.email, date: new Date(author.timestamp * 1000) },
    });
  }
  return waiting.length;
}

interface Change {
  path: string;
  /** The new blob, or null when the file was removed. */
  oid: string | null;
}

/**
 * Walks two trees in step, descending only where they differ: hands each object of
 * `tree` that `before` does not have to `found` as soon as it is seen, and collects the
 * files that changed.
 */
async function diffTrees(clone: Clone, before: string | null, tree: string | null, prefix: string, found: (oid: string) => void, changes: Change[]): Promise<void> {
  if (before === tree) return;
  const read = async (oid: string | null) => (oid ? readTree(clone, oid) : []);
  if (tree) found(tree);
  const [then, now] = await Promise.all([read(before), read(tree)]);
  const old = new Map(then.map((e) => [e.path, e]));
  for (const entry of now) {
    const was = old.get(entry.path);
    old.delete(entry.path);
    if (was?.oid === entry.oid) continue;
    if (entry.type === 'tree') await diffTrees(clone, was?.type === 'tree' ? was.oid : null, entry.oid, `${prefix}${entry.path}/`, found, changes);
    else if (entry.type === 'blob') {
      found(entry.oid);
      changes.push({ path: `${prefix}${entry.path}`, oid: entry.oid });
    }
  }
  for (const gone of old.values()) {
    if (gone.type === 'tree') await diffTrees(clone, gone.oid, null, `${prefix}${gone.path}/`, found, changes);
    else changes.push({ path: `${prefix}${gone.path}`, oid: null });
  }
}

// --- git smart HTTP, receive-pack side (what `git push` speaks) -----------------------

function pktLine(text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const head = (body.length + 4).toString(16).padStart(4, '0');
  const out = new Uint8Array(body.length + 4);
  out.set(new TextEncoder().encode(head));
  out.set(body, 4);
  return out;
}

/** Splits a pkt-line stream into its lines (flush packets are skipped). */
function parsePktLines(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  const decoder = new TextDecoder();
  let i = 0;
  while (i + 4 <= bytes.length) {
    const length = Number.parseInt(decoder.decode(bytes.subarray(i, i + 4)), 16);
    if (Number.isNaN(length)) break;
    if (length < 4) {
      i += 4;
      continue;
    }
    lines.push(decoder.decode(bytes.subarray(i + 4, i + length)));
    i += length;
  }
  return lines;
}

async function request(remote: RemoteOptions, path: string, init: RequestInit, what: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(proxied(remote, `${remote.url.replace(/\/$/, '')}${path}`), { ...init, headers: { ...authHeaders(remote), ...(init.headers as Record<string, string>) } });
  } catch (err) {
    throw remoteError(err, what);
  }
  if (res.status === 401 || res.status === 403) throw authError(res.status, what);
  if (!res.ok) throw new PloverError('E_REMOTE', `${what}: the git host answered HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The destination's refs as the host advertises them for a push. */
async function discoverReceivePack(remote: RemoteOptions): Promise<Map<string, string>> {
  const body = await request(remote, '/info/refs?service=git-receive-pack', { method: 'GET' }, 'Pushing failed');
  const refs = new Map<string, string>();
  for (const line of parsePktLines(body)) {
    if (line.startsWith('#')) continue;
    const [oid, rest] = [line.slice(0, 40), line.slice(41)];
    const name = rest.split('\0')[0]!.trim();
    if (/^[0-9a-f]{40}$/.test(oid) && name.startsWith('refs/')) refs.set(name, oid);
  }
  return refs;
}

/** One receive-pack POST: the ref update and the pack. `ok` is false when the host refused the update. */
async function receivePack(remote: RemoteOptions, oldOid: string, newOid: string, ref: string, pack: Uint8Array): Promise<{ ok: boolean; bytes: number; reason: string }> {
  const command = pktLine(`${oldOid} ${newOid} ${ref}\0report-status agent=plover\n`);
  const body = new Uint8Array(command.length + 4 + pack.length);
  body.set(command);
  body.set(new TextEncoder().encode('0000'), command.length);
  body.set(pack, command.length + 4);
  const answer = parsePktLines(
    await request(remote, '/git-receive-pack', { method: 'POST', headers: { 'content-type': 'application/x-git-receive-pack-request', accept: 'application/x-git-receive-pack-result' }, body }, 'Pushing failed'),
  );
  const unpack = answer.find((l) => l.startsWith('unpack '));
  const status = answer.find((l) => l.startsWith('ok ') || l.startsWith('ng '));
  const ok = unpack?.trim() === 'unpack ok' && status?.startsWith('ok ') === true;
  return { ok, bytes: body.length, reason: ok ? '' : (status ?? unpack ?? 'no answer').trim() };
}
