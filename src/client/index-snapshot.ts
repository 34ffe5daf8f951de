/**
 * The hosted page's review index, kept between visits. Reading every candidate and
 * correction of a clone again from IndexedDB takes half a minute at 100k corrections, so
 * the page keeps what the queue needs in an IndexedDB database of its own (beside the
 * clone, `plover-index:<remote>`):
 *
 * - a snapshot per reviewer: the candidates' outlines (no texts) in queue order, the
 *   correction outlines with their blobs, and the commits they were read from (the target
 *   branch and the reviewer's outbox) with the entries of their corrections/ trees;
 * - of each candidate file, by its blob (valid for as long as that file is unchanged),
 *   where its lines start and the seek points of the blob in the clone's pack: a card's
 *   texts are read from the pack when it is shown, inflating at most a MiB more than its
 *   line (the whole file for a text search). The texts are not stored a second time.
 *
 * A later visit reads the snapshot and brings it up to date with the correction files
 * that changed since its commits: only the shard trees whose oid changed are read, and
 * only the files whose blob changed are read and checked. When the candidate files
 * changed, or nothing usable is stored, the whole clone is read as on the first visit.
 * After either, the snapshot is replaced by the state just read, in the background.
 *
 * What a snapshot holds and how it is encoded is snapshot-codec.ts; the database and the
 * texts read from it, index-store.ts.
 */
import { type Clone } from '../git/remote.ts';
import { readTree } from '../git/tree-cache.ts';
import { readBlob, readBlobAt, readCommitTree, usePackStore } from '../git/object-store.ts';
import type { Change } from '../git/tree-diff.ts';
import { overlaySource, treeSource } from '../git/tree-source.ts';
import { unknownCandidate } from '../lib/records/candidates.ts';
import { formatProblem, PloverError, type Problem } from '../lib/errors.ts';
import { parseJsonText } from '../lib/json.ts';
import {
  CANDIDATES_DIR,
  invalidRepository,
  iterateCorrections,
  readCandidates,
  readCorrections,
  type CandidateData,
  type DataSource,
  type SourceFile,
} from '../lib/records/repository.ts';
import { outlineOf, type CandidateOutline, type CandidateTexts, type LocatedOutline } from '../lib/review/outline.ts';
import { CandidateIndex } from '../lib/records/candidate-index.ts';
import type { Candidate } from '../lib/records/schema-types.generated.ts';
import { ReviewIndex } from '../lib/review/review-index.ts';
import { CORRECTIONS_DIR } from '../lib/records/paths.ts';
import { SITE_CONFIG_FILE } from '../lib/records/site-config.ts';
import { IndexStore, StoredTexts } from './index-store.ts';
import { blobsOf, decodeCandidates, decodeCorrections, encodeCandidates, encodeCorrections, FORMAT, type Entries, type SnapshotBody, type SnapshotHead } from './snapshot-codec.ts';
import { requireTeam, type Team } from '../lib/team/team.ts';
import type { LocatedCorrection } from '../lib/records/correction.ts';
import { compareOrdinal } from '../lib/ordinal.ts';

/** How the index was read, for `npm run bench` and the tests. */
export type IndexRead = 'snapshot' | 'changes' | 'whole';

/** Where the page reads from: its clone, the commits of the target branch and the outbox, and which correction files are the reviewer's own (taken from the outbox). */
export interface IndexSource {
  clone: Clone;
  target: string;
  outbox: string;
  mine: (path: string) => boolean;
}

/** The root tree's entry `name` of a commit (a tree oid), or null. */
async function subtree(clone: Clone, commit: string, name: string): Promise<string | null> {
  return (await readTree(clone, await readCommitTree(clone, commit))).find((e) => e.path === name && e.type === 'tree')?.oid ?? null;
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
  const bytes = await readBlobAt(clone, commit, SITE_CONFIG_FILE);
  if (!bytes) return null;
  const { value, problems } = parseJsonText(new TextDecoder().decode(bytes), { file: SITE_CONFIG_FILE });
  if (problems.length) throw new PloverError('E_SITE_CONFIG', problems.map(formatProblem).join('\n'));
  return requireTeam(value, SITE_CONFIG_FILE);
}

/** The entries of a commit's corrections/ folder. */
async function shardsOf(clone: Clone, commit: string): Promise<Entries> {
  const tree = await subtree(clone, commit, CORRECTIONS_DIR);
  return Object.fromEntries(
    (tree ? await readTree(clone, tree) : []).filter((e) => e.type === 'tree' || e.type === 'blob').map((e) => [e.path, { oid: e.oid, tree: e.type === 'tree' }]),
  );
}

/**
 * Reads and checks every candidate and correction the page sees, texts included (what `plover stats` reads).
 * @throws PloverError `E_INVALID_REPOSITORY` listing every problem.
 */
export async function readWhole(source: IndexSource): Promise<{ data: CandidateData; corrections: LocatedCorrection[] }> {
  const files = pageSource(source);
  const data = await readCandidates(files);
  const read = await readCorrections(files, data.candidates);
  const problems = [...data.problems, ...read.problems];
  if (problems.length) throw invalidRepository(problems);
  return { data, corrections: read.corrections };
}

/** What the first read of a clone keeps of its candidates: outlines, and where each candidate's line is (CandidateIndex), not the texts. */
export interface CandidatesRead {
  /** The commit they were read from. */
  commit: string;
  outlines: CandidateOutline[];
  /** Each candidate's file and line, in the order of `outlines`. */
  places: { file: string; line: number }[];
  candidates: CandidateIndex;
  problems: Problem[];
  /** The candidate files, with their blobs. */
  files: { path: string; blob: string }[];
  /** The corrections of the same commit, where they were read with the candidates (a first clone's read ahead). */
  correctionsRead?: { corrections: LocatedCorrection[]; problems: Problem[] };
}

/** What the first read of a clone keeps for its review index. */
interface FirstRead extends CandidatesRead {
  corrections: LocatedCorrection[];
  blobOf: (path: string) => string;
}

/**
 * Reads and checks the candidates of a commit (the page's are the target branch's), keeping
 * of each its outline and its line's place in its file's bytes: the texts are read again
 * from those bytes when a card needs them. As JavaScript strings, the texts of 100k
 * candidates take about twice their bytes and slow every allocation. The hosted session
 * starts this while a first clone is still being indexed (syncClone's onCommit): a large
 * candidate file is read as it inflates (treeSource's readArriving), and, with
 * `withCorrections`, the corrections next, a shard at a time as their objects arrive
 * (listParts), not once the clone is stored.
 */
export async function readCandidatesAt(clone: Clone, commit: string, withCorrections = false): Promise<CandidatesRead> {
  const { fs, gitdir, cache } = clone;
  const files = treeSource({ fs, gitdir, cache, commit });
  const outlines: CandidateOutline[] = [];
  const places: { file: string; line: number }[] = [];
  const { candidates, problems } = await CandidateIndex.read(files, ({ candidate, file, line }) => {
    outlines.push(outlineOf(candidate));
    places.push({ file, line });
  });
  const paths = [...new Set(places.map((p) => p.file))];
  const read: CandidatesRead = { commit, outlines, places, candidates, problems, files: paths.map((path) => ({ path, blob: files.oidOf(path)! })) };
  if (withCorrections) read.correctionsRead = await readCorrections(files, candidates);
  return read;
}

/**
 * Reads and checks every candidate and correction the page sees, as readWhole does, but
 * keeps only outlines and places of the candidates (readCandidatesAt, or what it gave
 * for the same commit, `ahead`).
 * @throws PloverError `E_INVALID_REPOSITORY` listing every problem.
 */
async function readForIndex(source: IndexSource, ahead?: Promise<CandidatesRead>): Promise<FirstRead> {
  const files = pageSource(source);
  const early = await ahead?.catch(() => undefined); // read again below, which says what went wrong
  const read = early?.commit === source.target ? early : await readCandidatesAt(source.clone, source.target);
  // Read with the candidates from the target, they are the page's while the outbox holds nothing else.
  const corrections = read.correctionsRead && source.outbox === source.target ? read.correctionsRead : await readCorrections(files, read.candidates);
  const problems = [...read.problems, ...corrections.problems];
  if (problems.length) throw invalidRepository(problems);
  return { ...read, corrections: corrections.corrections, blobOf: (path) => files.oidOf(path)! };
}

/** A card's texts, read from their lines when asked for (all of them for a text search). */
function textsOf(candidates: CandidateIndex): CandidateTexts {
  const memory = new Map<string, Candidate>();
  return {
    get: (id) => memory.get(id),
    async load(ids) {
      if (ids) {
        for (const id of ids) {
          const located = memory.has(id) ? undefined : candidates.get(id);
          if (located) memory.set(id, located.candidate);
        }
      } else for (const { candidate } of candidates.all()) memory.set(candidate.id, candidate);
    },
  };
}

/**
 * The review index of a clone: from this reviewer's snapshot when one is stored for the
 * same candidate files (brought up to date with the corrections changed since), else
 * read whole. The snapshot is replaced afterwards, in the background; `stored` settles
 * when that is done.
 * @param store null when the browser gives no IndexedDB for it: always read whole.
 * @param locked runs git reads of the clone under the clone's lock.
 * @param ahead the candidates, read while the clone was made (readCandidatesAt): used when read whole from the same commit.
 * @throws PloverError `E_INVALID_REPOSITORY`.
 */
export async function openIndex(
  source: IndexSource,
  store: IndexStore | null,
  key: string,
  locked: <T>(work: () => Promise<T>) => Promise<T>,
  ahead?: Promise<CandidatesRead>,
): Promise<{ index: ReviewIndex; read: IndexRead; stored: Promise<void> }> {
  const { clone, target, outbox } = source;
  const kept = await store?.read(key).catch(() => undefined);
  // The same target commit has the same candidate files and team: no need to read its trees (which loads the clone's pack).
  const same = kept?.head.target === target;
  const candidatesTree = same ? kept!.head.candidates : await subtree(clone, target, CANDIDATES_DIR);
  const team = same ? kept!.head.team : await readTeamAt(clone, target);
  if (store && kept && kept.head.candidates === candidatesTree && (await store.hasFiles(kept.head.files.map((f) => f.blob)))) {
    const body = await kept.body();
    if (body) {
      const texts = new StoredTexts(store, kept.head.files, body.candidates, clone, locked);
      texts.prefetch(); // while the corrections are brought up to date and the index built
      const unchanged = same && kept.head.outbox === outbox;
      const updated = unchanged
        ? { corrections: decodeCorrections(body.corrections), blobOf: blobsOf(body), shards: kept.head.shards }
        : await applyChanges(source, kept.head, body);
      const index = new ReviewIndex(decodeCandidates(body.candidates), texts, updated.corrections, team);
      const head = { ...kept.head, target, outbox, shards: updated.shards, team };
      // Written once the first card is up: encoding and cloning the body takes the page a moment at 100k.
      const stored = unchanged
        ? Promise.resolve()
        : later().then(() => store.write(key, head, { candidates: body.candidates, corrections: encodeCorrections(updated.corrections, updated.blobOf) }));
      return { index, read: unchanged ? 'snapshot' : 'changes', stored };
    }
  }
  const whole = await readForIndex(source, ahead);
  const index = new ReviewIndex(whole.outlines, textsOf(whole.candidates), whole.corrections, team);
  if (!store) return { index, read: 'whole', stored: Promise.resolve() };
  const head = {
    format: FORMAT,
    target,
    outbox,
    candidates: candidatesTree,
    files: whole.files,
    team,
    shards: { target: await shardsOf(clone, target), outbox: await shardsOf(clone, outbox) },
  };
  return { index, read: 'whole', stored: later().then(() => keep(store, key, head, whole, (blob) => locked(() => usePackStore(clone).locate(blob)))) };
}

/** Resolves after the page has had a second to show what it just read. */
const later = () => new Promise<void>((resolve) => setTimeout(resolve, 1000));

/** Keeps the candidate files of a whole read (found in the clone's packs by `locate`), then its snapshot, then forgets files no snapshot needs. */
async function keep(
  store: IndexStore,
  key: string,
  head: SnapshotHead,
  whole: FirstRead,
  locate: (blob: string) => Promise<{ name: string; pack: Uint8Array; offset: number } | null>,
): Promise<void> {
  for (const f of head.files) await store.keepFile(f.blob, whole.candidates.wholeFile(f.path)!, await locate(f.blob)); // the page's source reads files whole
  const fileIndex = new Map(head.files.map((f, i) => [f.path, i]));
  const candidates = encodeCandidates(
    whole.outlines,
    whole.places.map((p) => ({ file: fileIndex.get(p.file)!, line: p.line })),
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

/**
 * The snapshot's corrections brought up to the current commits: the files changed on the
 * target branch (other reviewers') and in the outbox (the reviewer's own) are read and
 * checked as a whole read checks them. Changes are found from the new commits' trees and
 * the blobs the snapshot keeps: only shard trees whose oid changed are read, and never an
 * old commit's (reading those would load the clone's whole pack).
 * @throws PloverError `E_INVALID_REPOSITORY` for a changed file that is invalid.
 */
async function applyChanges(
  source: IndexSource,
  head: SnapshotHead,
  body: SnapshotBody,
): Promise<{ corrections: LocatedOutline[]; blobOf: (file: string) => string; shards: SnapshotHead['shards'] }> {
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
    list: async (folder) =>
      [...oids.keys()]
        .filter((p) => p.startsWith(`${folder}/`))
        .sort(compareOrdinal)
        .map((path): SourceFile => ({ path })),
    async read(path, maxBytes) {
      const blob = await readBlob(clone, oids.get(path)!);
      return blob.length > maxBytes ? { tooLarge: blob.length } : blob;
    },
    close() {},
  };
}
