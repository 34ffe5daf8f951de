/**
 * The hosted page's IndexedDB database of review-index snapshots and kept candidate files
 * (`plover-index:<remote>`, beside the clone), and the texts a card reads through them
 * from the clone's pack (StoredTexts). What a snapshot holds is snapshot-codec.ts; when it is read and kept,
 * index-snapshot.ts.
 */
import { readBlob, usePackStore } from '../git/object-store.ts';
import { inflateFrom, pointBefore, seekable, seekPoints, type SeekPoints } from '../git/pack-seek.ts';
import type { Clone } from '../git/remote.ts';
import { parseCandidateFile } from '../lib/records/candidates.ts';
import { through } from '../lib/bytes.ts';
import { PloverError } from '../lib/errors.ts';
import type { CandidateTexts } from '../lib/review/outline.ts';
import type { Candidate } from '../lib/records/schema-types.generated.ts';
import { FORMAT, type SnapshotBody, type SnapshotHead } from './snapshot-codec.ts';

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

/**
 * What the store keeps of a candidate file, to read a line of it from the clone's pack:
 * where each line starts (and the file's end), and the pack (by name: its checksum) that
 * holds the file's blob whole, with the blob's seek points (their windows
 * gzip-compressed). `packed` is null when no pack holds the blob whole (a delta): its
 * lines are then read from the blob, read whole.
 */
export interface KeptFile {
  starts: Float64Array;
  packed: { pack: string; offset: number; points: SeekPoints } | null;
}

/** Where each line of a file starts, and the file's end last. */
function lineStarts(file: Uint8Array): Float64Array {
  const starts = [0];
  for (let at = file.indexOf(0x0a); at !== -1 && at + 1 < file.length; at = file.indexOf(0x0a, at + 1)) starts.push(at + 1);
  if (file.length) starts.push(file.length);
  return Float64Array.from(starts);
}

const decoder = new TextDecoder();

/** A line's bytes as the candidate file's parser reads them (its newline, and a CR before it, dropped), parsed; undefined when it does not parse. */
export function candidateOf(bytes: Uint8Array): Candidate | undefined {
  let end = bytes.length;
  if (bytes[end - 1] === 0x0a) end--;
  if (bytes[end - 1] === 0x0d) end--;
  try {
    return JSON.parse(decoder.decode(bytes.subarray(0, end))) as Candidate; // checked when the file was read
  } catch {
    return undefined;
  }
}

/** The IndexedDB database of snapshots and kept candidate files. */
export class IndexStore {
  private readonly db: IDBDatabase;

  private constructor(db: IDBDatabase) {
    this.db = db;
  }

  static async open(name: string): Promise<IndexStore> {
    const open = indexedDB.open(name, 3);
    open.onupgradeneeded = () => {
      const db = open.result;
      // The texts earlier versions stored (an object per candidate, then batches of lines) are dropped: the first visit after keeps its files again.
      for (const store of ['texts', 'blobs']) if (db.objectStoreNames.contains(store)) db.deleteObjectStore(store);
      for (const store of ['heads', 'bodies', 'files']) if (!db.objectStoreNames.contains(store)) db.createObjectStore(store);
    };
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      let refused = false;
      // Once refused, the upgrade still happens when the other tab goes: the connection it opens is let go.
      open.onsuccess = () => (refused ? open.result.close() : resolve(open.result));
      open.onerror = () => reject(open.error);
      // A tab of an earlier version of the site holds the database open (without letting go, as this version does below).
      open.onblocked = () => {
        refused = true;
        reject(new Error('a tab with an earlier version of this site holds it open; close that tab'));
      };
    });
    // A later version of the site, opened in another tab, upgrades the database: this tab lets go (reading from the clone from then on).
    db.onversionchange = () => db.close();
    return new IndexStore(db);
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

  /** Whether every candidate file of these blobs is kept. */
  async hasFiles(blobs: string[]): Promise<boolean> {
    const tx = this.db.transaction('files');
    const found = await Promise.all(blobs.map((blob) => request(tx.objectStore('files').count(blob))));
    return found.every((n) => n > 0);
  }

  /**
   * Keeps a candidate file (unless kept), read and checked as it is (a file with problems
   * is never kept): where its lines start, and the seek points of its blob in the pack
   * that holds it whole (`packed`, null for none).
   */
  async keepFile(blob: string, file: Uint8Array, packed: { name: string; pack: Uint8Array; offset: number } | null): Promise<void> {
    if (await this.hasFiles([blob])) return;
    const whole = packed && seekable(packed.pack, packed.offset) ? packed : null;
    const points = whole ? await seekPoints(whole.pack, whole.offset) : null;
    const kept: KeptFile = {
      starts: lineStarts(file),
      packed: whole && points ? { pack: whole.name, offset: whole.offset, points: { ...points, windows: await through(points.windows, new CompressionStream('gzip')) } } : null,
    };
    const tx = this.db.transaction('files', 'readwrite');
    tx.objectStore('files').put(kept, blob);
    await finished(tx);
  }

  /** A kept candidate file (its seek points' windows inflated), or undefined. */
  async file(blob: string): Promise<KeptFile | undefined> {
    const kept = (await request(this.db.transaction('files').objectStore('files').get(blob))) as KeptFile | undefined;
    if (!kept?.packed) return kept;
    const { points } = kept.packed;
    return { ...kept, packed: { ...kept.packed, points: { ...points, windows: await through(points.windows, new DecompressionStream('gzip')) } } };
  }

  /** Forgets the candidate files that no snapshot refers to (replaced since). */
  async prune(): Promise<void> {
    const heads = (await request(this.db.transaction('heads').objectStore('heads').getAll())) as SnapshotHead[];
    const used = new Set(heads.flatMap((h) => h.files.map((f) => f.blob)));
    const kept = (await request(this.db.transaction('files').objectStore('files').getAllKeys())) as string[];
    const tx = this.db.transaction('files', 'readwrite');
    for (const blob of kept.filter((b) => !used.has(b))) tx.objectStore('files').delete(blob);
    await finished(tx);
  }
}

/** Candidate texts read from the clone's pack as cards need them, where the store's kept files say their lines are; from the blob read whole should a file not be kept. */
export class StoredTexts implements CandidateTexts {
  private readonly memory = new Map<string, Candidate>();
  /** Each candidate's place in the snapshot's columns. */
  private readonly places = new Map<string, number>();
  private readonly columns: SnapshotBody['candidates'];
  private readonly store: IndexStore;
  private readonly files: { path: string; blob: string }[];
  private readonly clone: Clone;
  private readonly locked: <T>(work: () => Promise<T>) => Promise<T>;
  /** Each file's kept lines and seek points, and its pack, read once. */
  private readonly opened = new Map<number, Promise<{ kept: KeptFile; pack: Uint8Array } | undefined>>();

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

  /** Starts reading what the first cards need (each kept file, and the pack its seek points are for) while the page builds its index. */
  prefetch(): void {
    for (const file of this.files.keys()) void this.opening(file);
  }

  private opening(file: number): Promise<{ kept: KeptFile; pack: Uint8Array } | undefined> {
    if (!this.opened.has(file))
      this.opened.set(
        file,
        this.open(file).catch(() => undefined),
      );
    return this.opened.get(file)!;
  }

  async load(ids?: string[]): Promise<void> {
    const byFile = new Map<number, number[]>();
    if (ids === undefined) {
      // Every line of every file (a text search).
      for (const file of this.files.keys()) {
        const kept = (await this.opening(file))?.kept;
        if (kept?.packed)
          byFile.set(
            file,
            Array.from({ length: kept.starts.length - 1 }, (_, k) => k + 1),
          );
        else await this.fromClone(file);
      }
    } else {
      for (const id of ids) {
        const i = this.places.get(id);
        if (i === undefined || this.memory.has(id)) continue;
        const file = this.columns.file[i]!;
        if (!byFile.has(file)) byFile.set(file, []);
        byFile.get(file)!.push(this.columns.line[i]!);
      }
    }
    for (const [file, lines] of byFile) {
      const found = await this.fromPack(file, lines);
      // Where the texts came from, for the tests and `npm run bench`.
      performance.mark('plover:texts', { detail: { from: found ? 'pack' : 'blob', lines: lines.length } });
      if (found) for (const candidate of found) this.memory.set(candidate.id, candidate);
      else await this.fromClone(file);
    }
  }

  /** The candidates at these lines of a file, read from the pack from their seek points; undefined when the file is not kept so, or a line does not read. */
  private async fromPack(file: number, lines: number[]): Promise<Candidate[] | undefined> {
    const opened = await this.opening(file);
    if (!opened?.kept.packed) return undefined;
    const { kept, pack } = opened;
    const { offset, points } = kept.packed!;
    // Lines after the same seek point are inflated together, in one pass from it.
    const byPoint = new Map<number, [number, number][]>();
    for (const line of lines) {
      const range: [number, number] = [kept.starts[line - 1]!, kept.starts[line]!];
      if (line < 1 || !(range[1]! > range[0])) return undefined;
      const point = pointBefore(points, range[0]);
      if (!byPoint.has(point)) byPoint.set(point, []);
      byPoint.get(point)!.push(range);
    }
    const found: Candidate[] = [];
    try {
      for (const [point, ranges] of byPoint) {
        const from = ranges.reduce((n, r) => Math.min(n, r[0]), Infinity);
        const bytes = inflateFrom(
          pack,
          offset,
          points,
          point,
          from,
          ranges.reduce((n, r) => Math.max(n, r[1]), 0),
        );
        for (const [start, end] of ranges) {
          const candidate = candidateOf(bytes.subarray(start - from, end - from));
          if (!candidate) return undefined;
          found.push(candidate);
        }
      }
    } catch {
      return undefined;
    }
    return found;
  }

  /** A kept file and the bytes of the pack its seek points are for. */
  private async open(file: number): Promise<{ kept: KeptFile; pack: Uint8Array } | undefined> {
    const kept = await this.store.file(this.files[file]!.blob);
    if (!kept?.packed) return undefined;
    const name = kept.packed.pack;
    // Not under the clone's lock: a pack file is written once, before its index, and never rewritten.
    const pack = await usePackStore(this.clone).pack(name);
    return pack ? { kept, pack } : undefined;
  }

  /** Reads one candidate file whole from the clone (its lines could not be read from the pack). */
  private async fromClone(file: number): Promise<void> {
    const { path, blob } = this.files[file]!;
    const bytes = await this.locked(() => readBlob(this.clone, blob));
    const parsed = parseCandidateFile(bytes, path);
    if (parsed.problems.length) throw new PloverError('E_INVALID_REPOSITORY', `${path} no longer reads as it did when the page kept its review index; reload the page`);
    for (const c of parsed.candidates) this.memory.set(c.candidate.id, c.candidate);
  }
}
