/**
 * The hosted page's IndexedDB database of review-index snapshots and candidate texts
 * (`plover-index:<remote>`, beside the clone), and the texts a card reads from it
 * (StoredTexts). What a snapshot holds is snapshot-codec.ts; when it is read and kept,
 * index-snapshot.ts.
 */
import { readBlob } from '../git/object-store.ts';
import type { Clone } from '../git/remote.ts';
import { parseCandidateFile } from '../lib/records/candidates.ts';
import { through } from '../lib/bytes.ts';
import { PloverError } from '../lib/errors.ts';
import type { CandidateTexts } from '../lib/review/outline.ts';
import type { Candidate } from '../lib/records/schema-types.generated.ts';
import { FORMAT, type SnapshotBody, type SnapshotHead } from './snapshot-codec.ts';

/**
 * Lines of a candidate file kept together, gzip-compressed, as one IndexedDB value: a
 * third of the space of one object per candidate, and a few hundred writes for 100k
 * candidates. A card's text costs reading and inflating its whole batch.
 */
const LINES_PER_BATCH = 500;

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

/** The lines of a stored batch, as the candidate file's lines (a CR before the newline dropped, as the parser drops it); undefined for none. */
async function unpack(value: unknown): Promise<string[] | undefined> {
  if (value === undefined) return undefined;
  if (!(value instanceof Uint8Array)) throw new Error('not a batch of lines');
  const bytes = await through(value, new DecompressionStream('gzip'));
  return new TextDecoder()
    .decode(bytes)
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** The key of the batch holding a line of a file (lines count from 1), and the line's place in it. */
function batchOf(blob: string, line: number): { key: [string, number]; at: number } {
  return { key: [blob, Math.floor((line - 1) / LINES_PER_BATCH)], at: (line - 1) % LINES_PER_BATCH };
}

/** A stored line, parsed; undefined when the store has no such line or it does not parse (the clone is read instead). */
function candidateOf(text: string | undefined): Candidate | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Candidate; // checked when the file was read, before it was stored
  } catch {
    return undefined;
  }
}

/** The IndexedDB database of snapshots and texts. */
export class IndexStore {
  private readonly db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.db = db;
  }

  static async open(name: string): Promise<IndexStore> {
    const open = indexedDB.open(name, 2);
    open.onupgradeneeded = () => {
      const db = open.result;
      // Texts stored by version 1 (an object per candidate) are dropped: they are read again from the clone.
      for (const store of ['texts', 'blobs']) if (db.objectStoreNames.contains(store)) db.deleteObjectStore(store);
      for (const store of ['heads', 'bodies', 'texts', 'blobs']) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
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

  /**
   * Stores the lines of one candidate file (unless stored), read and checked as it is
   * (a file with problems is never stored), by batches of lines; the blob is marked complete last.
   */
  async storeTexts(blob: string, file: Uint8Array): Promise<void> {
    if (await this.hasTexts([blob])) return;
    let lines = 0;
    for (let start = 0, batch = 0; start < file.length; batch++) {
      let end = start;
      for (let n = 0; n < LINES_PER_BATCH && end < file.length; n++, lines++) {
        const newline = file.indexOf(0x0a, end);
        end = newline === -1 ? file.length : newline + 1;
      }
      const compressed = await through(file.subarray(start, end), new CompressionStream('gzip'));
      const tx = this.db.transaction('texts', 'readwrite');
      tx.objectStore('texts').put(compressed, [blob, batch]);
      await finished(tx);
      start = end;
    }
    const done = this.db.transaction('blobs', 'readwrite');
    done.objectStore('blobs').put(lines, blob);
    await finished(done);
  }

  /** The candidates at these places (blob, line), each undefined where the store has none. */
  async texts(keys: [string, number][]): Promise<(Candidate | undefined)[]> {
    const store = this.db.transaction('texts').objectStore('texts');
    const batches = new Map<string, Promise<string[] | undefined>>();
    const lines = keys.map(([blob, line]) => {
      const { key, at } = batchOf(blob, line);
      const id = JSON.stringify(key);
      if (!batches.has(id))
        batches.set(
          id,
          request(store.get(key))
            .then(unpack)
            .catch(() => undefined),
        );
      return batches.get(id)!.then((batch) => batch?.[at]);
    });
    return (await Promise.all(lines)).map(candidateOf);
  }

  /** Every stored candidate of one blob, by line. */
  async allTexts(blob: string): Promise<{ line: number; candidate: Candidate }[]> {
    const store = this.db.transaction('texts').objectStore('texts');
    const range = IDBKeyRange.bound([blob, 0], [blob, Infinity]);
    const [keys, values] = await Promise.all([request(store.getAllKeys(range)), request(store.getAll(range))]);
    const found: { line: number; candidate: Candidate }[] = [];
    for (const [i, value] of values.entries()) {
      const first = (keys[i] as [string, number])[1] * LINES_PER_BATCH + 1;
      const lines = await unpack(value).catch(() => undefined);
      if (!lines) return []; // a batch that does not read: the file is read from the clone
      for (const [at, text] of lines.entries()) {
        const candidate = candidateOf(text);
        if (candidate) found.push({ line: first + at, candidate });
      }
    }
    return found;
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

/** Candidate texts from the store, read as cards need them; from the clone should the store lack one. */
export class StoredTexts implements CandidateTexts {
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
    const bytes = await this.locked(() => readBlob(this.clone, blob));
    const parsed = parseCandidateFile(bytes, path);
    if (parsed.problems.length) throw new PloverError('E_INVALID_REPOSITORY', `${path} no longer reads as it did when the page kept its review index; reload the page`);
    for (const c of parsed.candidates) this.memory.set(c.candidate.id, c.candidate);
    void this.store.storeTexts(blob, bytes).catch(() => undefined);
  }
}
