/**
 * The hosted page's review index, kept between visits. Reading every candidate and
 * correction of a clone again from IndexedDB takes half a minute at 100k corrections, so
 * the page keeps what the queue needs in an IndexedDB database of its own (beside the
 * clone, `plover-index:<remote>`):
 *
 * - a snapshot per reviewer: the candidates' outlines (no texts) in queue order, the
 *   correction outlines, and the commits they were read from (the target branch and the
 *   reviewer's outbox);
 * - the candidates' texts, keyed by the blob of their candidate file and their line, so
 *   they stay valid for as long as that file is unchanged; a card's texts are read when
 *   it is shown (all of them for a text search).
 *
 * A later visit reads the snapshot and brings it up to date with the correction files
 * that changed since its commits (tree diffs: only changed files are read and checked).
 * When the candidate files changed, or nothing usable is stored, the whole clone is read
 * as on the first visit. After either, the snapshot is replaced by the state just read.
 */
import git from 'isomorphic-git';
import { type Clone } from '../git/remote.ts';
import { readTree } from '../git/tree-cache.ts';
import { diffTrees, type Change } from '../git/tree-diff.ts';
import { overlaySource, treeSource } from '../git/tree-source.ts';
import { parseCandidateFile, type LocatedCandidate } from '../lib/candidates.ts';
import { PloverError, type Problem } from '../lib/errors.ts';
import type { LocatedCorrection } from '../lib/export.ts';
import { CANDIDATES_DIR, invalidRepository, iterateCorrections, readCandidates, readCorrections, type CandidateData, type DataSource, type SourceFile } from '../lib/repository.ts';
import { correctionOutline, outlineOf, ReviewIndex, type CandidateOutline, type CandidateTexts, type LocatedOutline } from '../lib/review-index.ts';
import { CORRECTIONS_DIR } from '../lib/paths.ts';
import type { Candidate } from '../lib/schema-types.ts';

/** Bumped whenever what a snapshot holds changes shape: older snapshots are then read anew. */
const FORMAT = 1;
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
}

interface SnapshotBody {
  outlines: CandidateOutline[];
  /** Per outline, flat: the index of its file in `files`, then its line. */
  places: number[];
  corrections: LocatedOutline[];
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
function pageSource({ clone, target, outbox, mine }: IndexSource): DataSource & { oidOf(path: string): string | undefined } {
  const { fs, gitdir, cache } = clone;
  const base = treeSource({ fs, gitdir, cache, commit: target });
  return { ...overlaySource(base, treeSource({ fs, gitdir, cache, commit: outbox }), mine), oidOf: base.oidOf };
}

interface WholeRead {
  data: CandidateData;
  corrections: LocatedCorrection[];
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
  return { data, corrections: read.corrections, files: candidateFiles };
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
  const candidatesTree = await subtree(clone, target, CANDIDATES_DIR);
  const kept = await store?.read(key).catch(() => undefined);
  if (store && kept && kept.head.candidates === candidatesTree && (await store.hasTexts(kept.head.files.map((f) => f.blob)))) {
    const body = await kept.body();
    if (body) {
      const unchanged = kept.head.target === target && kept.head.outbox === outbox;
      const corrections = unchanged ? body.corrections : await applyChanges(source, kept.head, body);
      if (corrections) {
        const texts = new StoredTexts(store, kept.head.files, body, clone, locked);
        const index = new ReviewIndex(body.outlines, texts, corrections);
        const head = { ...kept.head, target, outbox };
        const stored = unchanged ? Promise.resolve() : store.write(key, head, { ...body, corrections });
        return { index, read: unchanged ? 'snapshot' : 'changes', stored };
      }
    }
  }
  const whole = await readWhole(source);
  const index = ReviewIndex.ofData(whole.data, whole.corrections);
  return { index, read: 'whole', stored: store ? keep(store, key, { format: FORMAT, target, outbox, candidates: candidatesTree, files: whole.files }, whole) : Promise.resolve() };
}

/** Stores the texts of a whole read, then its snapshot, then drops texts no snapshot needs. */
async function keep(store: IndexStore, key: string, head: SnapshotHead, whole: WholeRead): Promise<void> {
  const byFile = new Map<string, LocatedCandidate[]>(head.files.map((f) => [f.path, []]));
  for (const id of whole.data.candidateOrder) {
    const c = whole.data.candidates.get(id)!;
    byFile.get(c.file)!.push(c);
  }
  for (const f of head.files) await store.storeTexts(f.blob, byFile.get(f.path)!);
  const fileIndex = new Map(head.files.map((f, i) => [f.path, i]));
  const places: number[] = [];
  const outlines = whole.data.candidateOrder.map((id) => {
    const c = whole.data.candidates.get(id)!;
    places.push(fileIndex.get(c.file)!, c.line);
    return outlineOf(c.candidate);
  });
  await store.write(key, head, { outlines, places, corrections: whole.corrections.map(correctionOutline) });
  await store.prune();
}

/**
 * The snapshot's corrections brought up to the current commits: the files changed on the
 * target branch (other reviewers') and in the outbox (the reviewer's own) are read and
 * checked as a whole read checks them. Undefined when an old commit cannot be read
 * (then the clone is read whole).
 * @throws PloverError `E_INVALID_REPOSITORY` for a changed file that is invalid.
 */
async function applyChanges(source: IndexSource, head: SnapshotHead, body: SnapshotBody): Promise<LocatedOutline[] | undefined> {
  const { clone, mine } = source;
  const changes: Change[] = [];
  try {
    for (const [before, now, ours] of [
      [head.target, source.target, false],
      [head.outbox, source.outbox, true],
    ] as const) {
      if (before === now) continue;
      const found: Change[] = [];
      await diffTrees(clone, await subtree(clone, before, CORRECTIONS_DIR), await subtree(clone, now, CORRECTIONS_DIR), `${CORRECTIONS_DIR}/`, () => undefined, found);
      changes.push(...found.filter((c) => mine(c.path) === ours));
    }
  } catch (err) {
    console.warn(`plover: the kept review index could not be brought up to date (${(err as Error).message}); reading the repository whole`);
    return undefined;
  }
  const byPath = new Map(body.corrections.map((c) => [c.file, c]));
  for (const c of changes) byPath.delete(c.path);
  const known = new Set(body.outlines.map((o) => o.id));
  const problems: Problem[] = [];
  for await (const group of iterateCorrections(changedFiles(clone, changes), problems)) {
    for (const c of group) {
      if (!known.has(c.correction.candidate_id)) {
        problems.push({ file: c.file, path: 'candidate_id', message: `refers to unknown candidate ${JSON.stringify(c.correction.candidate_id)}; import its run into candidates/ or delete this file` });
      }
      byPath.set(c.file, correctionOutline(c));
    }
  }
  if (problems.length) throw invalidRepository(problems);
  return [...byPath.values()];
}

/** A DataSource of just the files that changed (and still exist). */
function changedFiles(clone: Clone, changes: Change[]): DataSource {
  const oids = new Map(changes.filter((c) => c.oid !== null).map((c) => [c.path, c.oid!]));
  return {
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
  private readonly places = new Map<string, [file: number, line: number]>();
  private readonly store: IndexStore;
  private readonly files: { path: string; blob: string }[];
  private readonly clone: Clone;
  private readonly locked: <T>(work: () => Promise<T>) => Promise<T>;

  constructor(store: IndexStore, files: { path: string; blob: string }[], body: SnapshotBody, clone: Clone, locked: <T>(work: () => Promise<T>) => Promise<T>) {
    this.store = store;
    this.files = files;
    this.clone = clone;
    this.locked = locked;
    body.outlines.forEach((o, i) => this.places.set(o.id, [body.places[2 * i]!, body.places[2 * i + 1]!]));
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
    const keys = wanted.map((id) => {
      const [file, line] = this.places.get(id)!;
      return [this.files[file]!.blob, line] as [string, number];
    });
    const found = await this.store.texts(keys);
    const missing = new Set<number>();
    found.forEach((candidate, i) => {
      if (candidate) this.memory.set(candidate.id, candidate);
      else missing.add(this.places.get(wanted[i]!)![0]);
    });
    for (const file of missing) await this.fromClone(file);
  }

  /** Reads one candidate file from the clone (its texts were not in the store) and stores its texts again. */
  private async fromClone(file: number): Promise<void> {
    const { path, blob } = this.files[file]!;
    const { blob: bytes } = await this.locked(() => git.readBlob({ fs: this.clone.fs, gitdir: this.clone.gitdir, oid: blob, cache: this.clone.cache }));
    const parsed = parseCandidateFile(new TextDecoder().decode(bytes), path);
    if (parsed.problems.length) throw new PloverError('E_INVALID_REPOSITORY', `${path} no longer reads as it did when the page kept its review index; reload the page`);
    for (const c of parsed.candidates) this.memory.set(c.candidate.id, c.candidate);
    void this.store.storeTexts(blob, parsed.candidates).catch(() => undefined);
  }
}
