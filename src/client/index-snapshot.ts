/**
 * The hosted page's review index, kept between visits. Reading every candidate and
 * correction of a clone again from IndexedDB takes half a minute at 100k corrections, so
 * the page keeps what the queue needs in an IndexedDB database of its own (beside the
 * clone, `plover-index:<remote>`):
 *
 * - a snapshot per reviewer: the candidates' outlines (no texts) in queue order, the
 *   correction outlines with their blobs, and the commits they were read from (the target
 *   branch and the reviewer's outbox) with the entries of their corrections/ trees;
 * - the candidates' texts, keyed by the blob of their candidate file and their line, so
 *   they stay valid for as long as that file is unchanged; a card's texts are read when
 *   it is shown (all of them for a text search).
 *
 * A later visit reads the snapshot and brings it up to date with the correction files
 * that changed since its commits: only the shard trees whose oid changed are read, and
 * only the files whose blob changed are read and checked. When the candidate files
 * changed, or nothing usable is stored, the whole clone is read as on the first visit.
 * After either, the snapshot is replaced by the state just read, in the background.
 */
import git from 'isomorphic-git';
import { type Clone } from '../git/remote.ts';
import { readTree } from '../git/tree-cache.ts';
import type { Change } from '../git/tree-diff.ts';
import { overlaySource, treeSource } from '../git/tree-source.ts';
import { parseCandidateFile, unknownCandidate, type LocatedCandidate } from '../lib/candidates.ts';
import { formatProblem, PloverError, type Problem } from '../lib/errors.ts';
import { parseJsonText } from '../lib/json.ts';
import type { LocatedCorrection } from '../lib/export.ts';
import { CANDIDATES_DIR, invalidRepository, iterateCorrections, readCandidates, readCorrections, type CandidateData, type DataSource, type SourceFile } from '../lib/repository.ts';
import { outlineOf, ReviewIndex, type CandidateOutline, type CandidateTexts, type LocatedOutline } from '../lib/review-index.ts';
import { CORRECTIONS_DIR } from '../lib/paths.ts';
import type { Candidate } from '../lib/schema-types.ts';
import { SITE_CONFIG_FILE } from '../lib/site-config.ts';
import { requireTeam, type Team } from '../lib/team.ts';

/** Bumped whenever what a snapshot holds changes shape: older snapshots are then read anew. */
const FORMAT = 6;
/** Texts written per IndexedDB transaction: the page stays responsive while a first visit stores them. */
const TEXTS_PER_TRANSACTION = 500;

/** What a snapshot was read from, stored apart from its body so a visit can look at it cheaply. */
interface SnapshotHead {
  format: number;
  /** The target branch's commit. */
  target: string;
  /** The reviewer's outbox commit. */
  outbox: string;
  /** The target's candidates/ tree (null without one). */
  candidates: string | null;
  /** The candidate files, in path order. */
  files: { path: string; blob: string }[];
  /** The entries of corrections/ (shard trees, and any file beside them) in the target and the outbox commit. */
  shards: { target: Entries; outbox: Entries };
  /** The team of the target's plover.config.json. */
  team: Team | null;
}

/**
 * The outlines, column by column, strings that repeat (runs, models, reviewers, actions)
 * kept once with indexes: no key names repeated per record. Reading the body at 100k
 * takes 42–100 ms.
 */
interface SnapshotBody {
  candidates: {
    id: string[];
    run: Interned;
    model: Interned;
    modelName: Interned;
    taskType: Interned;
    /** NaN for null. */
    score: Float64Array;
    /** '' for none. */
    timestamp: string[];
    /** The prompt keys (lib/siblings.ts); turns as `before:text` joined by spaces, '' for none. */
    promptKey: string[];
    responseKey: string[];
    turns: string[];
    /** Per candidate: the index of its file in `files`, and its line. */
    file: Uint32Array;
    line: Uint32Array;
  };
  corrections: {
    file: string[];
    /** Each file's blob. */
    blob: string[];
    candidateId: string[];
    email: Interned;
    action: Interned;
    /** '' for none. */
    category: Interned;
    /** 1 for an adjudicator's decision. */
    adjudication: Uint8Array;
  };
}

interface Interned {
  values: string[];
  at: Uint32Array;
}

function intern(column: string[]): Interned {
  const index = new Map<string, number>();
  const at = new Uint32Array(column.length);
  column.forEach((v, i) => {
    let k = index.get(v);
    if (k === undefined) index.set(v, (k = index.size));
    at[i] = k;
  });
  return { values: [...index.keys()], at };
}

const valueAt = (column: Interned, i: number) => column.values[column.at[i]!]!;

function encodeCandidates(outlines: CandidateOutline[], places: { file: number; line: number }[]): SnapshotBody['candidates'] {
  return {
    id: outlines.map((o) => o.id),
    run: intern(outlines.map((o) => o.benchmark_run_id)),
    model: intern(outlines.map((o) => o.model_id)),
    modelName: intern(outlines.map((o) => o.model_name)),
    taskType: intern(outlines.map((o) => o.task_type)),
    score: Float64Array.from(outlines, (o) => o.quality_score ?? NaN),
    timestamp: outlines.map((o) => o.timestamp ?? ''),
    promptKey: outlines.map((o) => o.prompt_key),
    responseKey: outlines.map((o) => o.response_key),
    turns: outlines.map((o) => (o.turns ?? []).map((t) => `${t.before}:${t.text}`).join(' ')),
    file: Uint32Array.from(places, (p) => p.file),
    line: Uint32Array.from(places, (p) => p.line),
  };
}

function decodeCandidates(c: SnapshotBody['candidates']): CandidateOutline[] {
  return c.id.map((id, i) => {
    const score = c.score[i]!;
    const o: CandidateOutline = { id, benchmark_run_id: valueAt(c.run, i), model_id: valueAt(c.model, i), model_name: valueAt(c.modelName, i), task_type: valueAt(c.taskType, i), quality_score: Number.isNaN(score) ? null : score, prompt_key: c.promptKey[i]!, response_key: c.responseKey[i]! };
    if (c.timestamp[i]) o.timestamp = c.timestamp[i];
    if (c.turns[i]) o.turns = c.turns[i]!.split(' ').map((t) => ({ before: t.slice(0, t.indexOf(':')), text: t.slice(t.indexOf(':') + 1) }));
    return o;
  });
}

function encodeCorrections(corrections: LocatedOutline[], blobOf: (file: string) => string): SnapshotBody['corrections'] {
  return {
    file: corrections.map((c) => c.file),
    blob: corrections.map((c) => blobOf(c.file)),
    candidateId: corrections.map((c) => c.correction.candidate_id),
    email: intern(corrections.map((c) => c.correction.reviewer.email)),
    action: intern(corrections.map((c) => c.correction.action)),
    category: intern(corrections.map((c) => c.correction.failure_category ?? '')),
    adjudication: Uint8Array.from(corrections, (c) => (c.correction.adjudication ? 1 : 0)),
  };
}

function decodeCorrections(c: SnapshotBody['corrections']): LocatedOutline[] {
  return c.file.map((file, i) => {
    const correction: LocatedOutline['correction'] = { candidate_id: c.candidateId[i]!, action: valueAt(c.action, i) as LocatedOutline['correction']['action'], reviewer: { email: valueAt(c.email, i) } };
    const category = valueAt(c.category, i);
    if (category) correction.failure_category = category as NonNullable<LocatedOutline['correction']['failure_category']>;
    if (c.adjudication[i]) correction.adjudication = true;
    return { file, correction };
  });
}

/** How the index was read, for `npm run bench` and the tests. */
export type IndexRead = 'snapshot' | 'changes' | 'whole';

/** Where the page reads from: its clone, the commits of the target branch and the outbox, and which correction files are the reviewer's own (taken from the outbox). */
export interface IndexSource {
  clone: Clone;
  target: string;
  outbox: string;
  mine: (path: string) => boolean;
}

const request = <T>(r: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
const finished = (tx: IDBTransaction) =>
  new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });

/** The IndexedDB database of snapshots and texts. */
export class IndexStore {
  private readonly db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.db = db;
  }

  static async open(name: string): Promise<IndexStore> {
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => {
      for (const store of ['heads', 'bodies', 'texts', 'blobs']) open.result.createObjectStore(store);
    };
    return new IndexStore(await request(open));
  }

  async read(key: string): Promise<{ head: SnapshotHead; body: () => Promise<SnapshotBody | undefined> } | undefined> {
    const head = (await request(this.db.transaction('heads').objectStore('heads').get(key))) as SnapshotHead | undefined;
    if (!head || head.format !== FORMAT) return undefined;
    return { head, body: async () => (await request(this.db.transaction('bodies').objectStore('bodies').get(key))) as SnapshotBody | undefined };
  }

  /** Replaces a snapshot (head and body in one transaction). */
  async write(key: string, head: SnapshotHead, body: SnapshotBody): Promise<void> {
    const tx = this.db.transaction(['heads', 'bodies'], 'readwrite');
    tx.objectStore('heads').put(head, key);
    tx.objectStore('bodies').put(body, key);
    await finished(tx);
  }

  /** Whether every candidate text of these blobs is stored. */
  async hasTexts(blobs: string[]): Promise<boolean> {
    const tx = this.db.transaction('blobs');
    const found = await Promise.all(blobs.map((blob) => request(tx.objectStore('blobs').count(blob))));
    return found.every((n) => n > 0);
  }

  /** Stores the candidates of one candidate file (unless stored), a few hundred per transaction; the blob is marked complete last. */
  async storeTexts(blob: string, candidates: LocatedCandidate[]): Promise<void> {
    if (await this.hasTexts([blob])) return;
    for (let i = 0; i < candidates.length; i += TEXTS_PER_TRANSACTION) {
      const tx = this.db.transaction('texts', 'readwrite');
      for (const c of candidates.slice(i, i + TEXTS_PER_TRANSACTION)) tx.objectStore('texts').put(c.candidate, [blob, c.line]);
      await finished(tx);
    }
    const tx = this.db.transaction('blobs', 'readwrite');
    tx.objectStore('blobs').put(candidates.length, blob);
    await finished(tx);
  }

  async texts(keys: [string, number][]): Promise<(Candidate | undefined)[]> {
    const store = this.db.transaction('texts').objectStore('texts');
    return Promise.all(keys.map((key) => request(store.get(key)) as Promise<Candidate | undefined>));
  }

  /** Every stored candidate of one blob, by line. */
  async allTexts(blob: string): Promise<{ line: number; candidate: Candidate }[]> {
    const store = this.db.transaction('texts').objectStore('texts');
    const range = IDBKeyRange.bound([blob, 0], [blob, Infinity]);
    const [keys, values] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
    return values.map((candidate, i) => ({ line: (keys[i] as [string, number])[1], candidate: candidate as Candidate }));
  }

  /** Deletes the texts of blobs that no snapshot refers to (candidate files replaced since). */
  async prune(): Promise<void> {
    const heads = (await request(this.db.transaction('heads').objectStore('heads').getAll())) as SnapshotHead[];
    const used = new Set(heads.flatMap((h) => h.files.map((f) => f.blob)));
    const stored = (await request(this.db.transaction('blobs').objectStore('blobs').getAllKeys())) as string[];
    for (const blob of stored.filter((b) => !used.has(b))) {
      const tx = this.db.transaction(['texts', 'blobs'], 'readwrite');
      tx.objectStore('blobs').delete(blob);
      tx.objectStore('texts').delete(IDBKeyRange.bound([blob, 0], [blob, Infinity]));
      await finished(tx);
    }
  }
}

/** The root tree's entry `name` of a commit (a tree oid), or null. */
async function subtree(clone: Clone, commit: string, name: string): Promise<string | null> {
  const { commit: c } = await git.readCommit({ fs: clone.fs, gitdir: clone.gitdir, oid: commit, cache: clone.cache });
  return (await readTree(clone, c.tree)).find((e) => e.path === name && e.type === 'tree')?.oid ?? null;
}

/** The repository as the page sees it: the target branch, with the reviewer's own corrections from the outbox. */
export function pageSource({ clone, target, outbox, mine }: IndexSource): DataSource & { oidOf(path: string): string | undefined } {
  const { fs, gitdir, cache } = clone;
  const base = treeSource({ fs, gitdir, cache, commit: target });
  const overlay = treeSource({ fs, gitdir, cache, commit: outbox });
  return { ...overlaySource(base, overlay, mine), oidOf: (path) => (mine(path) ? overlay : base).oidOf(path) };
}

/**
 * The team of a commit's plover.config.json (null without one).
 * @throws PloverError `E_SITE_CONFIG` naming the JSON path and the fix.
 */
export async function readTeamAt(clone: Clone, commit: string): Promise<Team | null> {
  const bytes = await git.readBlob({ fs: clone.fs, gitdir: clone.gitdir, oid: commit, filepath: SITE_CONFIG_FILE, cache: clone.cache }).then(
    (b) => b.blob,
    (err: { code?: string }) => {
      if (err.code === 'NotFoundError') return null;
      throw err;
    },
  );
  if (!bytes) return null;
  const { value, problems } = parseJsonText(new TextDecoder().decode(bytes), { file: SITE_CONFIG_FILE });
  if (problems.length) throw new PloverError('E_SITE_CONFIG', problems.map(formatProblem).join('\n'));
  return requireTeam(value, SITE_CONFIG_FILE);
}

/** Names in a tree, with their oid and whether each is a tree. */
type Entries = Record<string, { oid: string; tree: boolean }>;

/** The entries of a commit's corrections/ folder. */
async function shardsOf(clone: Clone, commit: string): Promise<Entries> {
  const tree = await subtree(clone, commit, CORRECTIONS_DIR);
  return Object.fromEntries((tree ? await readTree(clone, tree) : []).filter((e) => e.type === 'tree' || e.type === 'blob').map((e) => [e.path, { oid: e.oid, tree: e.type === 'tree' }]));
}

interface WholeRead {
  data: CandidateData;
  corrections: LocatedCorrection[];
  /** The blob of each file read. */
  blobOf: (path: string) => string;
  /** The candidate files, with their blobs, in path order. */
  files: { path: string; blob: string }[];
}

/**
 * Reads and checks every candidate and correction the page sees (what `plover stats` reads).
 * @throws PloverError `E_INVALID_REPOSITORY` listing every problem.
 */
export async function readWhole(source: IndexSource): Promise<WholeRead> {
  const files = pageSource(source);
  const data = await readCandidates(files);
  const read = await readCorrections(files, data.candidates);
  const problems = [...data.problems, ...read.problems];
  if (problems.length) throw invalidRepository(problems);
  const candidateFiles = [...new Set(data.candidateOrder.map((id) => data.candidates.get(id)!.file))].map((path) => ({ path, blob: files.oidOf(path)! }));
  return { data, corrections: read.corrections, files: candidateFiles, blobOf: (path) => files.oidOf(path)! };
}

/**
 * The review index of a clone: from this reviewer's snapshot when one is stored for the
 * same candidate files (brought up to date with the corrections changed since), else
 * read whole. The snapshot is replaced afterwards, in the background; `stored` settles
 * when that is done.
 * @param store null when the browser gives no IndexedDB for it: always read whole.
 * @param locked runs git reads of the clone under the clone's lock.
 * @throws PloverError `E_INVALID_REPOSITORY`.
 */
export async function openIndex(
  source: IndexSource,
  store: IndexStore | null,
  key: string,
  locked: <T>(work: () => Promise<T>) => Promise<T>,
): Promise<{ index: ReviewIndex; read: IndexRead; stored: Promise<void> }> {
  const { clone, target, outbox } = source;
  const kept = await store?.read(key).catch(() => undefined);
  // The same target commit has the same candidate files and team: no need to read its trees (which loads the clone's pack).
  const same = kept?.head.target === target;
  const candidatesTree = same ? kept!.head.candidates : await subtree(clone, target, CANDIDATES_DIR);
  const team = same ? kept!.head.team : await readTeamAt(clone, target);
  if (store && kept && kept.head.candidates === candidatesTree && (await store.hasTexts(kept.head.files.map((f) => f.blob)))) {
    const body = await kept.body();
    if (body) {
      const unchanged = same && kept.head.outbox === outbox;
      const updated = unchanged ? { corrections: decodeCorrections(body.corrections), blobOf: blobsOf(body), shards: kept.head.shards } : await applyChanges(source, kept.head, body);
      const texts = new StoredTexts(store, kept.head.files, body.candidates, clone, locked);
      const index = new ReviewIndex(decodeCandidates(body.candidates), texts, updated.corrections, team);
      const head = { ...kept.head, target, outbox, shards: updated.shards, team };
      // Written once the first card is up: encoding and cloning the body takes the page a moment at 100k.
      const stored = unchanged ? Promise.resolve() : later().then(() => store.write(key, head, { candidates: body.candidates, corrections: encodeCorrections(updated.corrections, updated.blobOf) }));
      return { index, read: unchanged ? 'snapshot' : 'changes', stored };
    }
  }
  const whole = await readWhole(source);
  const index = ReviewIndex.ofData(whole.data, whole.corrections, team);
  if (!store) return { index, read: 'whole', stored: Promise.resolve() };
  const head = { format: FORMAT, target, outbox, candidates: candidatesTree, files: whole.files, team, shards: { target: await shardsOf(clone, target), outbox: await shardsOf(clone, outbox) } };
  return { index, read: 'whole', stored: later().then(() => keep(store, key, head, whole)) };
}

/** Resolves after the page has had a second to show what it just read. */
const later = () => new Promise<void>((resolve) => setTimeout(resolve, 1000));

/** Stores the texts of a whole read, then its snapshot, then drops texts no snapshot needs. */
async function keep(store: IndexStore, key: string, head: SnapshotHead, whole: WholeRead): Promise<void> {
  const byFile = new Map<string, LocatedCandidate[]>(head.files.map((f) => [f.path, []]));
  for (const id of whole.data.candidateOrder) {
    const c = whole.data.candidates.get(id)!;
    byFile.get(c.file)!.push(c);
  }
  for (const f of head.files) await store.storeTexts(f.blob, byFile.get(f.path)!);
  const fileIndex = new Map(head.files.map((f, i) => [f.path, i]));
  const located = whole.data.candidateOrder.map((id) => whole.data.candidates.get(id)!);
  const candidates = encodeCandidates(
    located.map((c) => outlineOf(c.candidate)),
    located.map((c) => ({ file: fileIndex.get(c.file)!, line: c.line })),
  );
  await store.write(key, head, { candidates, corrections: encodeCorrections(whole.corrections, whole.blobOf) });
  await store.prune();
}

/** Every file under a tree, with its blob. */
async function filesIn(clone: Clone, tree: string, prefix: string): Promise<{ path: string; oid: string }[]> {
  const out: { path: string; oid: string }[] = [];
  for (const entry of await readTree(clone, tree)) {
    if (entry.type === 'tree') out.push(...(await filesIn(clone, entry.oid, `${prefix}${entry.path}/`)));
    else if (entry.type === 'blob') out.push({ path: `${prefix}${entry.path}`, oid: entry.oid });
  }
  return out;
}

/** Each kept correction file's blob. */
function blobsOf(body: SnapshotBody): (file: string) => string {
  const blobs = new Map(body.corrections.file.map((file, i) => [file, body.corrections.blob[i]!]));
  return (file) => blobs.get(file)!;
}

/**
 * The snapshot's corrections brought up to the current commits: the files changed on the
 * target branch (other reviewers') and in the outbox (the reviewer's own) are read and
 * checked as a whole read checks them. Changes are found from the new commits' trees and
 * the blobs the snapshot keeps: only shard trees whose oid changed are read, and never an
 * old commit's (reading those would load the clone's whole pack).
 * @throws PloverError `E_INVALID_REPOSITORY` for a changed file that is invalid.
 */
async function applyChanges(source: IndexSource, head: SnapshotHead, body: SnapshotBody): Promise<{ corrections: LocatedOutline[]; blobOf: (file: string) => string; shards: SnapshotHead['shards'] }> {
  const { clone, mine } = source;
  const kept = decodeCorrections(body.corrections);
  const byPath = new Map(kept.map((c) => [c.file, c]));
  const blobs = new Map(body.corrections.file.map((file, i) => [file, body.corrections.blob[i]!]));
  const changes: Change[] = [];
  const shards = { ...head.shards };
  // The kept files by the corrections/ entry they are in (a shard, or themselves).
  const keptIn = new Map<string, string[]>();
  for (const path of blobs.keys()) {
    const rest = path.slice(CORRECTIONS_DIR.length + 1);
    const shard = rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : rest;
    const list = keptIn.get(shard);
    if (list) list.push(path);
    else keptIn.set(shard, [path]);
  }
  for (const side of ['target', 'outbox'] as const) {
    if (head[side] === source[side]) continue;
    const ours = side === 'outbox';
    const before = head.shards[side];
    const now = await shardsOf(clone, source[side]);
    shards[side] = now;
    for (const shard of new Set([...Object.keys(before), ...Object.keys(now)])) {
      // Names come from the repository: own entries only (a folder may be called "constructor").
      const [was, is] = [Object.hasOwn(before, shard) ? before[shard] : undefined, Object.hasOwn(now, shard) ? now[shard] : undefined];
      if (was?.oid === is?.oid && was?.tree === is?.tree) continue;
      const present = new Set<string>();
      const files = !is ? [] : is.tree ? await filesIn(clone, is.oid, `${CORRECTIONS_DIR}/${shard}/`) : [{ path: `${CORRECTIONS_DIR}/${shard}`, oid: is.oid }];
      for (const { path, oid } of files) {
        if (mine(path) !== ours) continue;
        present.add(path);
        if (blobs.get(path) !== oid) changes.push({ path, oid });
      }
      for (const path of keptIn.get(shard) ?? []) if (mine(path) === ours && !present.has(path)) changes.push({ path, oid: null });
    }
  }
  for (const c of changes) {
    byPath.delete(c.path);
    blobs.delete(c.path);
  }
  const known = new Set(body.candidates.id);
  const problems: Problem[] = [];
  const files = changedFiles(clone, changes);
  for await (const group of iterateCorrections(files, problems)) {
    for (const c of group) {
      if (!known.has(c.correction.candidate_id)) {
        problems.push(unknownCandidate(c.file, c.correction.candidate_id));
      }
      byPath.set(c.file, c);
      blobs.set(c.file, files.oidOf(c.file)!);
    }
  }
  if (problems.length) throw invalidRepository(problems);
  return { corrections: [...byPath.values()], blobOf: (file) => blobs.get(file)!, shards };
}

/** A DataSource of just the files that changed (and still exist). */
function changedFiles(clone: Clone, changes: Change[]): DataSource & { oidOf(path: string): string | undefined } {
  const oids = new Map(changes.filter((c) => c.oid !== null).map((c) => [c.path, c.oid!]));
  return {
    oidOf: (path) => oids.get(path),
    list: async (folder) => [...oids.keys()].filter((p) => p.startsWith(`${folder}/`)).sort().map((path): SourceFile => ({ path })),
    async read(path, maxBytes) {
      const { blob } = await git.readBlob({ fs: clone.fs, gitdir: clone.gitdir, oid: oids.get(path)!, cache: clone.cache });
      return blob.length > maxBytes ? { tooLarge: blob.length } : blob;
    },
    close() {},
  };
}

/** Candidate texts from the store, read as cards need them; from the clone should the store lack one. */
class StoredTexts implements CandidateTexts {
  private readonly memory = new Map<string, Candidate>();
  /** Each candidate's place in the snapshot's columns. */
  private readonly places = new Map<string, number>();
  private readonly columns: SnapshotBody['candidates'];
  private readonly store: IndexStore;
  private readonly files: { path: string; blob: string }[];
  private readonly clone: Clone;
  private readonly locked: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(store: IndexStore, files: { path: string; blob: string }[], candidates: SnapshotBody['candidates'], clone: Clone, locked: <T>(work: () => Promise<T>) => Promise<T>) {
    this.store = store;
    this.files = files;
    this.clone = clone;
    this.locked = locked;
    this.columns = candidates;
    candidates.id.forEach((id, i) => this.places.set(id, i));
  }

  get(id: string): Candidate | undefined {
    return this.memory.get(id);
  }

  async load(ids?: string[]): Promise<void> {
    if (ids === undefined) {
      for (const [file, { blob }] of this.files.entries()) {
        const stored = await this.store.allTexts(blob);
        for (const { candidate } of stored) this.memory.set(candidate.id, candidate);
        if (stored.length === 0) await this.fromClone(file);
      }
      return;
    }
    const wanted = ids.filter((id) => !this.memory.has(id) && this.places.has(id));
    if (!wanted.length) return;
    const at = wanted.map((id) => this.places.get(id)!);
    const found = await this.store.texts(at.map((i) => [this.files[this.columns.file[i]!]!.blob, this.columns.line[i]!]));
    const missing = new Set<number>();
    found.forEach((candidate, k) => {
      if (candidate) this.memory.set(candidate.id, candidate);
      else missing.add(this.columns.file[at[k]!]!);
    });
    for (const file of missing) await this.fromClone(file);
  }

  /** Reads one candidate file from the clone (its texts were not in the store) and stores its texts again. */
  private async fromClone(file: number): Promise<void> {
    const { path, blob } = this.files[file]!;
    const { blob: bytes } = await this.locked(() => git.readBlob({ fs: this.clone.fs, gitdir: this.clone.gitdir, oid: blob, cache: this.clone.cache }));
    const parsed = parseCandidateFile(bytes, path);
    if (parsed.problems.length) throw new PloverError('E_INVALID_REPOSITORY', `${path} no longer reads as it did when the page kept its review index; reload the page`);
    for (const c of parsed.candidates) this.memory.set(c.candidate.id, c.candidate);
    void this.store.storeTexts(blob, parsed.candidates).catch(() => undefined);
  }
}
