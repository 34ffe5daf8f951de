/**
 * The hosted mode's git protocol, shared by the page (LightningFS) and Node (tests,
 * benchmarks): a clone without a working tree that follows the target branch, an outbox
 * branch per reviewer where their decisions are committed, and a push that sends only
 * what the outbox's new commits created.
 *
 * Refs in the clone (`<dest>` is the branch decisions are pushed to, by default
 * `labels/<reviewer>`; `<tag>` is the reviewer's tag, as in correction file names):
 * - `refs/heads/<branch>`, `refs/remotes/origin/<branch>`: the target branch, always
 *   equal, so a fetch's "have" is right and only new objects are downloaded.
 * - `refs/heads/<dest>`, `refs/remotes/origin/<dest>`: the same for the destination.
 * - `refs/plover/reviewer/<tag>/outbox/<dest>`: where the reviewer's decisions are
 *   committed (commit-file.ts). Reviewers who share a browser, and a destination when
 *   `pushTo` is `branch`, each have their own, and a push carries only its reviewer's
 *   commits.
 * - `refs/plover/reviewer/<tag>/base/<dest>`: the destination as this outbox last saw it;
 *   the outbox's commits after it are the ones waiting to be pushed.
 *
 * Earlier versions kept one outbox per destination (`refs/plover/outbox/<dest>`,
 * `refs/plover/base/<dest>`); a reviewer's first sync takes their own waiting commits
 * from it and leaves the others' for them.
 *
 * The first visit's clone is shallow-clone.ts's own depth-1 fetch; later fetches, which
 * bring only what is new, go through isomorphic-git.
 *
 * A push whose destination moved (another tab, another device, another reviewer on a
 * shared branch) is never forced: the destination is fetched and each waiting one-file
 * commit is made again on its new head (same file, message, author and time), then pushed.
 */
import git, { type HttpClient, type ReadCommitResult } from 'isomorphic-git';
import { PloverError, errorCode } from '../lib/errors.ts';
import { normalizeEmail, reviewerTag } from '../lib/records/paths.ts';
import { commitFile, resolveOrNull, type GitFs } from './commit-file.ts';
import { packWriter } from './pack.ts';
import { shallowClone, type CloneProgress } from './shallow-clone.ts';
import { advertiseReceivePack, advertiseUploadPack, authHeaders, remoteError, sendReceivePack, USUAL_CAPABILITIES, type HttpRemote, type ReceivePackResult } from './smart-http.ts';
import { diffTrees, type Change } from './tree-diff.ts';

export interface RemoteOptions extends HttpRemote {
  /** The target branch, whose candidates are reviewed (e.g. `main`). */
  branch: string;
  /** Where decisions are pushed: a review branch (`labels/<reviewer>`) or the target branch itself. */
  dest: string;
  /** The email of the reviewer whose outbox this is: a push carries their commits and no one else's. */
  reviewer: string;
}

/** Whose outbox, for which destination. */
export type OutboxKey = Pick<RemoteOptions, 'dest' | 'reviewer'>;

/** The two refs of an outbox: its head, and the destination as last seen (its base). */
interface OutboxRefs {
  outbox: string;
  base: string;
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

const refsOf = (key: OutboxKey): OutboxRefs => {
  const root = `refs/plover/reviewer/${reviewerTag(key.reviewer)}`;
  return { outbox: `${root}/outbox/${key.dest}`, base: `${root}/base/${key.dest}` };
};
/** Where a reviewer's decisions for `dest` are committed. */
export const outboxRef = (key: OutboxKey) => refsOf(key).outbox;
/** The one outbox per destination that earlier versions shared between the reviewers of a browser. */
const legacyRefs = (dest: string): OutboxRefs => ({ outbox: `refs/plover/outbox/${dest}`, base: `refs/plover/base/${dest}` });
const trackingRef = (branch: string) => `refs/remotes/origin/${branch}`;

/** The oid of `ref` in the clone, or null when the ref does not exist. */
const resolveIn = (clone: Clone, ref: string) => resolveOrNull(clone.fs, clone.gitdir, ref);

async function setRef(clone: Clone, ref: string, value: string): Promise<void> {
  await git.writeRef({ fs: clone.fs, gitdir: clone.gitdir, ref, value, force: true });
}

/**
 * Clones the target branch (depth 1, one branch, no checkout) the first time, and
 * fetches only what is new afterwards; fetches the destination branch too when it
 * differs and exists. Creates the outbox on the destination (or the target) when missing.
 * @param onCommit on a first clone, told the target's commit as its objects start to arrive
 * (each read of its files waits for its object), and whether the outbox will start there.
 * @throws PloverError `E_AUTH`, `E_OFFLINE`, `E_REMOTE`.
 */
export async function syncClone(clone: Clone, remote: RemoteOptions, onProgress?: CloneProgress, onCommit?: (commit: string, outboxThere: boolean) => void): Promise<SyncResult> {
  const { fs, gitdir, cache, http } = clone;
  const headers = authHeaders(remote);
  const common = {
    fs,
    http,
    gitdir,
    cache,
    headers,
    ...(remote.corsProxy ? { corsProxy: remote.corsProxy } : {}),
    ...(onProgress ? { onProgress: (p: { phase: string; loaded: number; total?: number }) => onProgress(p.phase, p.loaded, p.total ?? 0) } : {}),
  };
  let fetched = 0;
  /** The host's refs, when this sync asked for them. */
  let hostRefs: ReadonlyMap<string, string> | undefined;
  const cloned = (await resolveIn(clone, trackingRef(remote.branch))) === null;
  try {
    if (cloned) {
      await git.init({ fs, gitdir, bare: true, defaultBranch: remote.branch });
      await git.addRemote({ fs, gitdir, remote: 'origin', url: remote.url, force: true });
      const startsAt = (commit: string, refs: ReadonlyMap<string, string>) => (refs.get(`refs/heads/${remote.dest}`) ?? commit) === commit;
      const ours = await shallowClone(clone, remote, remote.branch, onProgress, (commit, refs) => onCommit?.(commit, startsAt(commit, refs)));
      if (ours !== null) fetched += ours;
      else fetched += await packSize(clone, await git.fetch({ ...common, url: remote.url, ref: remote.branch, singleBranch: true, depth: 1, tags: false }));
    } else {
      // One look at the host's branches first: a branch still at the commit last fetched is not
      // fetched again (isomorphic-git's fetch would load the whole pack's index to say so).
      hostRefs = (await advertiseUploadPack(remote, 'Fetching new commits failed')).refs;
      if (hostRefs.get(`refs/heads/${remote.branch}`) !== (await resolveIn(clone, trackingRef(remote.branch)))) {
        // Without depth: with the local branch equal to the remote one as the "have", only new objects come.
        const result = await git.fetch({ ...common, url: remote.url, ref: remote.branch, singleBranch: true, tags: false });
        fetched += await packSize(clone, result);
      }
    }
    await setRef(clone, `refs/heads/${remote.branch}`, (await resolveIn(clone, trackingRef(remote.branch)))!);
    if (remote.dest !== remote.branch) fetched += (await fetchDest(clone, remote, common, hostRefs)) ?? 0;
  } catch (err) {
    throw remoteError(err, cloned ? 'Cloning the repository failed' : 'Fetching new commits failed', remote);
  }
  const refs = refsOf(remote);
  if ((await resolveIn(clone, refs.outbox)) === null) {
    const start = (await resolveIn(clone, trackingRef(remote.dest))) ?? (await resolveIn(clone, trackingRef(remote.branch)))!;
    await setRef(clone, refs.outbox, start);
    await setRef(clone, refs.base, start);
    await adoptLegacyOutbox(clone, remote);
  }
  return { fetched, cloned };
}

/**
 * Moves the reviewer's waiting commits from the destination's shared outbox of earlier
 * versions into their own (made again on it, as a moved branch's are); the other
 * reviewers' stay there for their own first sync, and the shared refs go once empty.
 */
async function adoptLegacyOutbox(clone: Clone, remote: OutboxKey): Promise<void> {
  const legacy = legacyRefs(remote.dest);
  if ((await resolveIn(clone, legacy.outbox)) === null) return;
  const { base, waiting } = await readOutbox(clone, legacy);
  const mine = waiting.filter((c) => isBy(c, remote.reviewer));
  if (!mine.length) return;
  const others = waiting.filter((c) => !isBy(c, remote.reviewer));
  await remake(clone, mine, outboxRef(remote));
  if (others.length) {
    await setRef(clone, legacy.outbox, base!);
    await remake(clone, others, legacy.outbox);
  } else {
    for (const ref of [legacy.outbox, legacy.base]) await git.deleteRef({ fs: clone.fs, gitdir: clone.gitdir, ref });
  }
}

const isBy = (commit: ReadCommitResult, email: string) => normalizeEmail(commit.commit.author.email) === normalizeEmail(email);

/**
 * Fetches the destination branch if the host has it: depth 1 the first time, only what is new later.
 * @param hostRefs the host's refs, when just asked for: a branch still where it was last seen is not fetched.
 * @returns the bytes fetched, or null when the host has no such branch.
 */
async function fetchDest(clone: Clone, remote: RemoteOptions, common: object, hostRefs?: ReadonlyMap<string, string>): Promise<number | null> {
  const known = await resolveIn(clone, trackingRef(remote.dest));
  if (hostRefs && !hostRefs.has(`refs/heads/${remote.dest}`)) return null;
  if (known && hostRefs?.get(`refs/heads/${remote.dest}`) === known) {
    await setRef(clone, `refs/heads/${remote.dest}`, known);
    return 0;
  }
  try {
    const result = await git.fetch({ ...common, url: remote.url, ref: remote.dest, singleBranch: true, tags: false, ...(known ? {} : { depth: 1 }) } as Parameters<
      typeof git.fetch
    >[0]);
    const head = await resolveIn(clone, trackingRef(remote.dest));
    if (head) await setRef(clone, `refs/heads/${remote.dest}`, head);
    return await packSize(clone, result);
  } catch (err) {
    // The review branch does not exist on the host (yet, or any more): the first push creates it.
    if (errorCode(err) === 'NotFoundError') return null;
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
export async function waitingCommits(clone: Clone, key: OutboxKey): Promise<ReadCommitResult[]> {
  return (await readOutbox(clone, refsOf(key))).waiting;
}

/** Where the destination was last seen (the base), and the outbox's commits on top of it, oldest first. */
async function readOutbox(clone: Clone, refs: OutboxRefs): Promise<{ base: string | null; waiting: ReadCommitResult[] }> {
  const [base, head] = await Promise.all([resolveIn(clone, refs.base), resolveIn(clone, refs.outbox)]);
  let oid = head;
  const waiting: ReadCommitResult[] = [];
  while (oid && oid !== base) {
    const commit = await git.readCommit({ fs: clone.fs, gitdir: clone.gitdir, oid, cache: clone.cache });
    waiting.push(commit);
    oid = commit.commit.parent[0] ?? null;
  }
  if (oid !== base) throw new PloverError('E_OUTBOX', `the outbox ${refs.outbox} does not descend from ${refs.base}; clear this site's storage to start over`);
  return { base, waiting: waiting.reverse() };
}

/** Runs git work that must not interleave with other writers of the clone (the page's Web Lock). */
export type Locked = <T>(work: () => Promise<T>) => Promise<T>;

/** What one round of a push found under the lock. */
type Step = { kind: 'done' } | { kind: 'landed' } | { kind: 'moved' } | { kind: 'refused' } | { kind: 'send'; old: string; head: string; pack: Uint8Array; count: number };

/**
 * Pushes the outbox to the destination branch: one receive-pack request with the
 * commits and the objects they created (trees on the changed paths, blobs), never the
 * whole tree. A destination that moved is fetched and the waiting commits are made
 * again on it; never a force push.
 *
 * `locked` is held only while the clone is read or written, never during a request:
 * decisions are committed while a push waits for the host. Commits made meanwhile wait
 * for the next push.
 * @throws PloverError `E_AUTH`, `E_OFFLINE`, `E_REMOTE`, `E_REFUSED` (the host refused the update: a hook, a protected branch).
 */
export async function pushOutbox(clone: Clone, remote: RemoteOptions, options: { locked?: Locked } = {}): Promise<PushResult> {
  const locked: Locked = options.locked ?? ((work) => work());
  const result: PushResult = { pushed: 0, bytes: 0, replayed: 0 };
  const ref = `refs/heads/${remote.dest}`;
  // Round 0 pushes without asking the host where the branch is first: as a rule it is where
  // our last push or fetch left it (the base), and one request instead of two is most of the
  // time a push takes. If the branch moved, the host refuses the update and the rounds
  // after it look first.
  const { guess, empty } = await locked(async () => {
    const [tracking, { base, waiting }] = await Promise.all([resolveIn(clone, trackingRef(remote.dest)), readOutbox(clone, refsOf(remote))]);
    return { guess: tracking !== null && tracking === base, empty: waiting.length === 0 };
  });
  // Nothing waits: not a request to the host.
  if (empty) return result;
  // Round 0 has not seen the host's capabilities; every receive-pack offers these.
  let offered = USUAL_CAPABILITIES;
  let failed: { old: string; answer: ReceivePackResult; thin: boolean } | null = null;
  for (let round = guess ? 0 : 1; round <= MAX_PUSH_ROUNDS; round++) {
    let advertised: string | null = null;
    if (round > 0) {
      const ad = await advertiseReceivePack(remote);
      offered = ad.capabilities;
      advertised = ad.refs.get(ref) ?? ZERO;
    }
    const step = await locked(async (): Promise<Step> => {
      const { base, waiting } = await readOutbox(clone, refsOf(remote));
      if (!waiting.length) return { kind: 'done' };
      const stranger = waiting.find((c) => !isBy(c, remote.reviewer));
      if (stranger) {
        throw new PloverError(
          'E_OUTBOX',
          `commit ${stranger.oid.slice(0, 7)} in ${remote.reviewer}'s outbox is by ${stranger.commit.author.email}; plover pushes only the signed-in reviewer's own decisions, so nothing was pushed`,
        );
      }
      const remoteHead = advertised ?? base!;
      if (waiting.some((c) => c.oid === remoteHead)) {
        // An earlier push arrived (its answer lost, or another tab's): those commits are there.
        await recordPushed(clone, remote, remoteHead);
        return { kind: 'landed' };
      }
      const baseIsRemote = remoteHead === base || (remoteHead === ZERO && !(await hasTracking(clone, remote.dest)));
      if (!baseIsRemote) return { kind: 'moved' };
      // Refused, and the branch is still where we said it was: the host has reasons of its own
      // (unless the pack was thin and the host, now asked, says it takes none: then again, whole).
      if (failed?.old === remoteHead && !(failed.thin && offered.has('no-thin'))) return { kind: 'refused' };
      const pack = packWriter(clone, { thin: !offered.has('no-thin') });
      for (const c of waiting) {
        pack.add(c.oid);
        const parentTree = c.commit.parent[0] ? (await git.readCommit({ fs: clone.fs, gitdir: clone.gitdir, oid: c.commit.parent[0], cache: clone.cache })).commit.tree : null;
        await diffTrees(clone, parentTree, c.commit.tree, '', pack.add, []);
      }
      return { kind: 'send', old: remoteHead, head: waiting[waiting.length - 1]!.oid, pack: await pack.finish(), count: waiting.length };
    });
    if (step.kind === 'done') return result;
    if (step.kind === 'landed') continue;
    if (step.kind === 'refused') throw refusal(remote.dest, ref, failed!.answer);
    if (step.kind === 'moved') {
      result.replayed += await replayOnRemote(clone, remote, locked);
      continue;
    }
    const answer = await sendReceivePack(remote, { old: step.old, new: step.head, ref }, step.pack, offered);
    result.bytes += answer.bytes;
    if (answer.unpack === 'ok' && answer.refs.get(ref)?.ok) {
      await locked(() => recordPushed(clone, remote, step.head));
      result.pushed += step.count;
      return result;
    }
    // Not taken: the next round looks where the branch is (moved, landed after all, or refused).
    failed = { old: step.old, answer, thin: !offered.has('no-thin') };
  }
  throw new PloverError('E_REMOTE', `the branch ${remote.dest} kept moving while pushing; the decisions are kept and the push is retried`);
}

/** The host refused the update for its own reasons: its words, verbatim (hook output such as `GH006: Protected branch update failed…`). */
function refusal(dest: string, ref: string, answer: ReceivePackResult): PloverError {
  const status = answer.refs.get(ref);
  const reason = answer.unpack !== 'ok' ? `unpack ${answer.unpack || 'failed'}` : status && !status.ok ? status.reason : 'no answer for the branch';
  const said = [...answer.messages, ...(answer.fatal ? [answer.fatal] : [])];
  return new PloverError('E_REFUSED', `The git host refused the push to ${dest} (${reason})${said.length ? `:\n${said.join('\n')}` : '.'}`);
}

async function hasTracking(clone: Clone, dest: string): Promise<boolean> {
  return (await resolveIn(clone, trackingRef(dest))) !== null;
}

async function recordPushed(clone: Clone, key: OutboxKey, oid: string): Promise<void> {
  await Promise.all([setRef(clone, trackingRef(key.dest), oid), setRef(clone, `refs/heads/${key.dest}`, oid), setRef(clone, refsOf(key).base, oid)]);
}

/**
 * Fetches the destination and makes each waiting commit again on its new head (or on the
 * target branch when the destination is gone, e.g. a merged and deleted review branch).
 * The fetch runs without the lock; the outbox is read and made again under it.
 * @returns how many commits were made again.
 */
async function replayOnRemote(clone: Clone, remote: RemoteOptions, locked: Locked): Promise<number> {
  const headers = authHeaders(remote);
  const common = { fs: clone.fs, http: clone.http, gitdir: clone.gitdir, cache: clone.cache, headers, ...(remote.corsProxy ? { corsProxy: remote.corsProxy } : {}) };
  let destFound = true;
  try {
    await git.fetch({ ...common, url: remote.url, ref: remote.branch, singleBranch: true, tags: false });
    if (remote.dest !== remote.branch) destFound = (await fetchDest(clone, remote, common)) !== null;
  } catch (err) {
    throw remoteError(err, 'Fetching the branch that moved failed', remote);
  }
  return locked(async () => {
    await setRef(clone, `refs/heads/${remote.branch}`, (await resolveIn(clone, trackingRef(remote.branch)))!);
    if (!destFound) await git.deleteRef({ fs: clone.fs, gitdir: clone.gitdir, ref: trackingRef(remote.dest) }).catch(() => undefined);
    const onto = (await resolveIn(clone, trackingRef(remote.dest))) ?? (await resolveIn(clone, trackingRef(remote.branch)))!;
    const refs = refsOf(remote);
    const { waiting } = await readOutbox(clone, refs);
    await setRef(clone, refs.outbox, onto);
    await setRef(clone, refs.base, onto);
    await remake(clone, waiting, refs.outbox);
    return waiting.length;
  });
}

/**
 * Makes each of plover's one-file commits again on top of `ref` (same file, message,
 * author and time), oldest first.
 */
async function remake(clone: Clone, commits: ReadCommitResult[], ref: string): Promise<void> {
  for (const c of commits) {
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
      ref,
      path: change.path,
      text,
      message: c.commit.message,
      author: { name: author.name, email: author.email, date: new Date(author.timestamp * 1000) },
    });
  }
}
