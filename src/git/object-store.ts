/**
 * The page's clone read through its packs (pack-reader.ts) rather than isomorphic-git,
 * whose per-object costs made reading 100k corrections from a clone take a minute. The
 * hosted session registers a PackStore for its clone (`usePackStore`); the readers here
 * (trees, commits, blobs by path) use it where one is registered, and isomorphic-git
 * elsewhere (the CLI and the label server, which read a working tree's repository).
 * An object no loaded pack holds (a commit the page wrote, a pack fetched since) is read
 * through isomorphic-git.
 */
import git, { type TreeEntry } from 'isomorphic-git';
import type { GitFs } from './commit-file.ts';
import { PackReader, type GitObject } from './pack-reader.ts';
import { hex } from './bytes.ts';

export interface ObjectContext {
  fs: GitFs;
  gitdir: string;
  /** isomorphic-git's cache object of the session: the PackStore is registered under it. */
  cache: object;
}

/** The packs of a clone, each loaded once (pack and index read whole from the file system). */
export class PackStore {
  private readonly ctx: ObjectContext;
  private readonly readers = new Map<string, PackReader>();
  private loading: Promise<void> | null = null;
  /** Objects already inflated (those of a fresh clone), each given out once. */
  private readonly once = new Map<string, GitObject>();
  /** While a pack is indexed (receive): the reads waiting for an object not yet found, by oid. */
  private waiting: Map<string, (() => void)[]> | null = null;
  /** While a pack is indexed: the large objects inflating, by their offset in the pack, until their oid is known. */
  private readonly inflating = new Map<number, Inflating>();
  /** Told when an object arrives, a large one starts to inflate, or the indexing ends (what `arriving` waits for). */
  private changed: (() => void)[] = [];
  /** While a pack is indexed: how many objects arrived, and how many had when each tree did. */
  private arrived = 0;
  private readonly treeArrived = new Map<string, number>();

  constructor(ctx: ObjectContext) {
    this.ctx = ctx;
  }

  /** A pack already in memory (one just fetched and indexed), under its name in objects/pack (`pack-<sha>`). */
  add(name: string, reader: PackReader): void {
    this.readers.set(name, reader);
  }

  /** Drops what receive kept and was not read. */
  forgetKept(): void {
    this.once.clear();
  }

  /**
   * Takes the objects of a pack being indexed as they are found, each kept for its next
   * read (which takes it); until `end`, a read of an object not yet found waits for it, and after
   * `end` goes to the packs (the indexed one added by then, or none when indexing failed).
   */
  receive(): {
    arrive(oid: string, object: GitObject, at: number): void;
    inflating(at: number, type: GitObject['type'], size: number, part: Uint8Array): void;
    end(): void;
  } {
    const waiting = new Map<string, (() => void)[]>();
    this.waiting = waiting;
    const tell = () => {
      const told = this.changed;
      this.changed = [];
      for (const resolve of told) resolve();
    };
    return {
      arrive: (oid, object, at) => {
        this.once.set(oid, object);
        this.arrived += 1;
        if (object.type === 'tree') this.treeArrived.set(oid, this.arrived);
        for (const resolve of waiting.get(oid) ?? []) resolve();
        waiting.delete(oid);
        const inflating = this.inflating.get(at);
        if (inflating) {
          this.inflating.delete(at);
          inflating.oid = oid;
          inflating.wake();
        }
        if (this.changed.length) tell();
      },
      inflating: (at, type, size, part) => {
        let inflating = this.inflating.get(at);
        if (!inflating) this.inflating.set(at, (inflating = new Inflating(type, size, this.arrived)));
        inflating.add(part);
        if (this.changed.length) tell();
      },
      end: () => {
        if (this.waiting === waiting) this.waiting = null;
        for (const list of waiting.values()) for (const resolve of list) resolve();
        waiting.clear();
        for (const inflating of this.inflating.values()) inflating.end();
        this.inflating.clear();
        this.treeArrived.clear();
        tell();
      },
    };
  }

  /**
   * A blob not found yet, read as it inflates, before its oid is known: while a pack is
   * indexed, the first large blob that starts to inflate after the tree naming it arrived,
   * and that no other read took, is taken to be this one (git packs a tree's blobs right
   * after it). `whole` tells whether that guess was right, once the blob is hashed: the
   * reader must not use what it read before. Marks `plover:arriving` with the answer.
   * @param tree the tree that names the blob.
   * @returns null when the blob is found (or never inflates apart) before such a guess: read it whole.
   */
  async arriving(oid: string, tree: string): Promise<ArrivingBlob | null> {
    for (const waiting = this.waiting; waiting === this.waiting && waiting && !this.once.has(oid);) {
      const named = this.treeArrived.get(tree);
      if (named === undefined) return null;
      const inflating = [...this.inflating.values()].find((i) => !i.taken && i.type === 'blob' && i.after >= named);
      if (inflating) {
        inflating.taken = true;
        return {
          size: inflating.size,
          parts: inflating.parts(),
          whole: async () => {
            const found = await inflating.found();
            performance.mark('plover:arriving', { detail: { right: found === oid } });
            if (found !== oid) throw new Error(`the blob read as it inflated is ${found ?? 'not in the pack'}, not ${oid}`);
            return (await this.read(oid))!.data;
          },
        };
      }
      await new Promise<void>((resolve) => this.changed.push(resolve));
    }
    return null;
  }

  private load(): Promise<void> {
    this.loading ??= (async () => {
      const { fs, gitdir } = this.ctx;
      const dir = `${gitdir}/objects/pack`;
      const names = await fs.promises.readdir(dir).catch(() => [] as string[]);
      // A pack counts once its index is written (as for git and isomorphic-git).
      for (const name of names) {
        if (!name.endsWith('.idx') || this.readers.has(name.replace(/\.idx$/, ''))) continue;
        const [pack, idx] = await Promise.all([fs.promises.readFile(`${dir}/${name.replace(/\.idx$/, '.pack')}`), fs.promises.readFile(`${dir}/${name}`)]);
        this.readers.set(name.replace(/\.idx$/, ''), new PackReader(pack as Uint8Array, idx as Uint8Array));
      }
    })();
    return this.loading;
  }

  /** Where a pack holds an object: the pack's name (`pack-<sha>`, its bytes' checksum), its bytes, the object's offset; null when no pack holds it. */
  async locate(oid: string): Promise<{ name: string; pack: Uint8Array; offset: number } | null> {
    await this.load();
    for (const [name, reader] of this.readers) {
      const offset = reader.offsetOf(oid);
      if (offset !== undefined) return { name, pack: reader.pack, offset };
    }
    return null;
  }

  /** The bytes of the pack of this name, or undefined when the clone has no such pack. */
  async pack(name: string): Promise<Uint8Array | undefined> {
    await this.load();
    return this.readers.get(name)?.pack;
  }

  /** An object from the packs, or null when none of them holds it. */
  async read(oid: string): Promise<GitObject | null> {
    // Two reads may wait for one object: the first takes it, the second waits again (for the end).
    for (let waiting = this.waiting; waiting && !this.once.has(oid); waiting = this.waiting) {
      await new Promise<void>((resolve) => waiting!.set(oid, [...(waiting!.get(oid) ?? []), resolve]));
    }
    const kept = this.once.get(oid);
    if (kept) {
      this.once.delete(oid);
      return kept;
    }
    await this.load();
    for (const reader of this.readers.values()) {
      const object = reader.read(oid);
      if (object) return object;
    }
    return null;
  }
}

/** A blob read as it inflates (PackStore.arriving). */
export interface ArrivingBlob {
  size: number;
  /** Its content, a part at a time, as it inflates. */
  parts: AsyncIterable<Uint8Array>;
  /**
   * The blob, once hashed.
   * @throws when it is not the blob asked for (what was read of it must be thrown away), or the pack ended before it.
   */
  whole(): Promise<Uint8Array>;
}

/** A large object inflating: its parts kept until read, its oid once hashed. */
class Inflating {
  readonly type: GitObject['type'];
  readonly size: number;
  /** How many objects had arrived when it started. */
  readonly after: number;
  taken = false;
  oid: string | undefined;
  private readonly kept: Uint8Array[] = [];
  private ended = false;
  private waking: (() => void)[] = [];

  constructor(type: GitObject['type'], size: number, after: number) {
    this.type = type;
    this.size = size;
    this.after = after;
  }

  add(part: Uint8Array): void {
    this.kept.push(part);
    this.wake();
  }

  /** The pack was indexed (or failed) before this object's oid was told. */
  end(): void {
    this.ended = true;
    this.wake();
  }

  wake(): void {
    const waking = this.waking;
    this.waking = [];
    for (const resolve of waking) resolve();
  }

  private next(): Promise<void> {
    return new Promise((resolve) => this.waking.push(resolve));
  }

  async *parts(): AsyncGenerator<Uint8Array> {
    for (let read = 0; read < this.size;) {
      const part = this.kept.shift();
      if (part) {
        read += part.length;
        yield part;
      } else if (this.ended || this.oid !== undefined) throw new Error(`the pack ended ${this.size - read} bytes before the end of the blob read as it inflated`);
      else await this.next();
    }
  }

  /** Its oid, once hashed; undefined when the pack ended without it. */
  async found(): Promise<string | undefined> {
    while (this.oid === undefined && !this.ended) await this.next();
    return this.oid;
  }
}

const stores = new WeakMap<object, PackStore>();

/** Reads the clone's objects through its packs from now on (the hosted page's clone). */
export function usePackStore(ctx: ObjectContext): PackStore {
  let store = stores.get(ctx.cache);
  if (!store) stores.set(ctx.cache, (store = new PackStore(ctx)));
  return store;
}

/** An object of the clone, by its oid. */
export async function readObject(ctx: ObjectContext, oid: string): Promise<GitObject> {
  const packed = await stores.get(ctx.cache)?.read(oid);
  if (packed) return packed;
  const { type, object } = await git.readObject({ fs: ctx.fs, gitdir: ctx.gitdir, cache: ctx.cache, oid, format: 'content' });
  return { type: type as GitObject['type'], data: object as Uint8Array };
}

async function readTyped(ctx: ObjectContext, oid: string, type: GitObject['type']): Promise<Uint8Array> {
  const object = await readObject(ctx, oid);
  if (object.type !== type) throw new Error(`The object ${oid} is a ${object.type}, where a ${type} was expected.`);
  return object.data;
}

const decoder = new TextDecoder();

/**
 * A tree's entries as isomorphic-git's readTree gives them (a tree's mode `040000`), and
 * with the names it refuses refused: a separator, `.`, `..`, `.git` in any of its disguises.
 */
export function parseTree(data: Uint8Array, oid: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (let at = 0; at < data.length;) {
    const space = data.indexOf(32, at);
    const nul = data.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 21 > data.length) throw new Error(`The tree ${oid} is damaged at byte ${at}.`);
    let mode = decoder.decode(data.subarray(at, space));
    if (mode === '40000') mode = '040000';
    const type = mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : mode === '100644' || mode === '100755' || mode === '120000' ? 'blob' : null;
    if (!type) throw new Error(`The tree ${oid} holds an entry of mode ${mode}, which git does not write.`);
    const path = decoder.decode(data.subarray(space + 1, nul));
    if (unsafeName(path)) throw new Error(`The tree ${oid} holds an entry named ${JSON.stringify(path)}, which git refuses.`);
    entries.push({ mode, path, oid: hex(data.subarray(nul + 1, nul + 21)), type });
    at = nul + 21;
  }
  return entries;
}

/** The names isomorphic-git's tree parser refuses (as git's verify_path does). */
function unsafeName(path: string): boolean {
  const hfsClean = path.replace(/[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/g, '');
  const normalized = hfsClean
    .split(':')[0]!
    .toLowerCase()
    .replace(/[. ]+$/, '');
  return path.includes('\\') || path.includes('/') || hfsClean === '.' || hfsClean === '..' || normalized === '.git' || /^\.?git~[1-9]$/.test(normalized);
}

/** The entries of a tree. */
export async function readTreeEntries(ctx: ObjectContext, oid: string): Promise<TreeEntry[]> {
  if (!stores.has(ctx.cache)) return (await git.readTree({ fs: ctx.fs, gitdir: ctx.gitdir, cache: ctx.cache, oid })).tree;
  return parseTree(await readTyped(ctx, oid, 'tree'), oid);
}

/** The root tree of a commit. */
export async function readCommitTree(ctx: ObjectContext, oid: string): Promise<string> {
  if (!stores.has(ctx.cache)) return (await git.readCommit({ fs: ctx.fs, gitdir: ctx.gitdir, cache: ctx.cache, oid })).commit.tree;
  const head = decoder.decode((await readTyped(ctx, oid, 'commit')).subarray(0, 46));
  if (!/^tree [0-9a-f]{40}\n$/.test(head)) throw new Error(`The commit ${oid} does not start with its tree.`);
  return head.slice(5, 45);
}

/** A blob not found yet, read as it inflates (PackStore.arriving); null where it is read whole. */
export async function readArriving(ctx: ObjectContext, oid: string, tree: string): Promise<ArrivingBlob | null> {
  return (await stores.get(ctx.cache)?.arriving(oid, tree)) ?? null;
}

/** A blob's content. */
export async function readBlob(ctx: ObjectContext, oid: string): Promise<Uint8Array> {
  if (!stores.has(ctx.cache)) return (await git.readBlob({ fs: ctx.fs, gitdir: ctx.gitdir, cache: ctx.cache, oid })).blob;
  return readTyped(ctx, oid, 'blob');
}

/** The blob at a path of a commit, or null when the commit has no file there. */
export async function readBlobAt(ctx: ObjectContext, commit: string, path: string): Promise<Uint8Array | null> {
  let tree = await readCommitTree(ctx, commit);
  const names = path.split('/');
  for (const [i, name] of names.entries()) {
    const entry = (await readTreeEntries(ctx, tree)).find((e) => e.path === name);
    if (!entry) return null;
    if (i === names.length - 1) return entry.type === 'blob' ? readBlob(ctx, entry.oid) : null;
    if (entry.type !== 'tree') return null;
    tree = entry.oid;
  }
  return null;
}
