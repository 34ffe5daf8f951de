// The hosted page's kept review index, in Node with an in-memory IndexedDB (fake-indexeddb):
// the snapshot's column codec gives back exactly the outlines it was given, on the real
// runs, and the store keeps snapshots and, of each candidate file, where its lines start
// and its blob's seek points in a pack (pack-seek.ts), from which a card's line reads.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { candidateOf, IndexStore } from '../../src/client/index-store.ts';
import { inflateFrom, pointBefore, seekPoints } from '../../src/git/pack-seek.ts';
import { blobsOf, decodeCandidates, decodeCorrections, encodeCandidates, encodeCorrections, FORMAT, type SnapshotHead } from '../../src/client/snapshot-codec.ts';
import { parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { outlineOf, type LocatedOutline } from '../../src/lib/review/outline.ts';
import { dataRuns } from '../helpers/repo.ts';

const located = dataRuns().flatMap(({ run, file }) => parseCandidateFile(readFileSync(file), `candidates/${run}.jsonl`).candidates);
const files = [...new Set(located.map((c) => c.file))].map((path, i) => ({ path, blob: `blob${i}` }));
const fileIndex = new Map(files.map((f, i) => [f.path, i]));

/** Corrections of every shape the index reads: each action, with and without a category, an adjudication, reviewers that repeat. */
function corrections(): LocatedOutline[] {
  return located.slice(0, 60).map((c, i) => {
    const correction: LocatedOutline['correction'] = {
      candidate_id: c.candidate.id,
      action: (['correct', 'discard', 'flag'] as const)[i % 3]!,
      reviewer: { email: `r${i % 4}@example.org` },
    };
    if (i % 5 === 0) correction.failure_category = 'wrong_answer';
    if (i % 7 === 0) correction.adjudication = true;
    return { file: `corrections/${String(i % 16).padStart(2, '0')}/f${i}.json`, correction };
  });
}

/** A pack entry as git writes one (a blob's header, then its zlib stream), after the pack's 12-byte header, and its offset. */
function packOf(content: Uint8Array): { pack: Uint8Array; offset: number } {
  const header = [];
  let size = content.length;
  let byte = 0x30 | (size & 15);
  for (size = Math.floor(size / 16); size; size = Math.floor(size / 128)) {
    header.push(byte | 0x80);
    byte = size & 0x7f;
  }
  header.push(byte);
  const pack = Buffer.concat([Buffer.from('PACK\0\0\0\x02\0\0\0\x01', 'latin1'), Buffer.from(header), deflateSync(content), Buffer.alloc(20)]);
  return { pack, offset: 12 };
}

function head(files: { path: string; blob: string }[]): SnapshotHead {
  return { format: FORMAT, target: 't1', outbox: 'o1', candidates: 'tree1', files, shards: { target: { '00': { oid: 's0', tree: true } }, outbox: {} }, team: null };
}

describe('the snapshot codec', () => {
  it('gives back the outlines of the real runs and every correction shape exactly, column by column', () => {
    // Every real outline, and one with no timestamp ('' in its column) and no score (NaN in its column).
    const { timestamp: _t, ...untimed } = outlineOf(located[0]!.candidate);
    const outlines = [...located.map((c) => outlineOf(c.candidate)), { ...untimed, id: 'untimed', quality_score: null }];
    expect(outlines.some((o) => o.turns?.length)).toBe(true); // turn-2 candidates: their earlier turns' keys
    const encoded = encodeCandidates(
      outlines,
      outlines.map((o, i) => ({ file: i % files.length, line: i + 1 })),
    );
    expect(encoded.run.values.length).toBeLessThan(10); // a repeated string is kept once
    expect(decodeCandidates(encoded)).toEqual(outlines);
    const listed = corrections();
    const blobOf = (file: string) => `b:${file}`;
    const body = { candidates: encoded, corrections: encodeCorrections(listed, blobOf) };
    expect(decodeCorrections(body.corrections)).toEqual(listed);
    expect(blobsOf(body)(listed[3]!.file)).toBe(blobOf(listed[3]!.file));
  });
});

describe('the IndexedDB store', () => {
  it('keeps a snapshot per key, refuses one of another format, and keeps and forgets candidate files by blob', async () => {
    const store = await IndexStore.open(`plover-index:test-${Math.random()}`);
    expect(await store.read('ann')).toBeUndefined();
    const outlines = located.map((c) => outlineOf(c.candidate));
    const body = {
      candidates: encodeCandidates(
        outlines,
        located.map((c) => ({ file: fileIndex.get(c.file)!, line: c.line })),
      ),
      corrections: encodeCorrections(corrections(), (f) => `b:${f}`),
    };
    await store.write('ann', head(files), body);
    const kept = await store.read('ann');
    expect(kept?.head).toEqual(head(files));
    // Structured clone keeps the typed columns: the body decodes to the same outlines.
    expect(decodeCandidates((await kept!.body())!.candidates)).toEqual(outlines);
    await store.write('old', { ...head(files), format: FORMAT - 1 }, body);
    expect(await store.read('old')).toBeUndefined();

    // Candidate files by their blob: where their lines start, and their blob's seek points in a pack.
    const [first, second] = files;
    const bytesOf = (path: string) => readFileSync(dataRuns().find(({ run }) => `candidates/${run}.jsonl` === path)!.file);
    expect(await store.hasFiles([first!.blob])).toBe(false);
    const { pack, offset } = packOf(bytesOf(first!.path));
    await store.keepFile(first!.blob, bytesOf(first!.path), { name: 'pack-1', pack, offset });
    expect(await store.hasFiles([first!.blob])).toBe(true);
    expect(await store.hasFiles([first!.blob, second!.blob])).toBe(false);
    const keptFile = (await store.file(first!.blob))!;
    expect(keptFile.packed).toMatchObject({ pack: 'pack-1', offset });
    // The windows come back inflated, as seekPoints gave them.
    expect(keptFile.packed!.points).toEqual(await seekPoints(pack, offset));
    // Each candidate's line, read from the pack where the kept file says it is.
    const points = keptFile.packed!.points;
    for (const c of located.filter((c) => c.file === first!.path)) {
      const [from, to] = [keptFile.starts[c.line - 1]!, keptFile.starts[c.line]!];
      expect(candidateOf(inflateFrom(pack, offset, points, pointBefore(points, from), from, to))).toEqual(c.candidate);
    }
    // A blob no pack holds whole (a delta): only its lines are kept.
    await store.keepFile(second!.blob, bytesOf(second!.path), null);
    expect((await store.file(second!.blob))?.packed).toBeNull();

    // A file replaced since: forgotten once no snapshot names its blob.
    await store.keepFile('replaced', bytesOf(second!.path), null);
    await store.prune();
    expect(await store.hasFiles(['replaced'])).toBe(false);
    expect(await store.hasFiles([first!.blob, second!.blob])).toBe(true);
  });

  it('keeps where each line starts, a CRLF line and a last line without a newline included, and drops the texts earlier versions stored', async () => {
    const name = `plover-index:test-${Math.random()}`;
    // Version 2 of the database: batches of lines by blob.
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(name, 2);
      open.onupgradeneeded = () => {
        for (const store of ['heads', 'bodies', 'texts', 'blobs']) open.result.createObjectStore(store);
        open.transaction!.objectStore('texts').put(new Uint8Array([1]), ['old', 0]);
        open.transaction!.objectStore('blobs').put(1, 'old');
      };
      open.onsuccess = () => (open.result.close(), resolve());
      open.onerror = () => reject(open.error);
    });
    // A tab of that version still holding it: this visit goes without the store, and says why.
    const held = await new Promise<IDBDatabase>((resolve) => {
      const open = indexedDB.open(name, 2);
      open.onsuccess = () => resolve(open.result);
    });
    await expect(IndexStore.open(name)).rejects.toThrow(/earlier version of this site holds it open/);
    held.close();
    const store = await IndexStore.open(name);
    expect(await store.hasFiles(['old'])).toBe(false);

    const candidates = Array.from({ length: 1203 }, (_, i) => ({ ...located[i % located.length]!.candidate, id: `c${i + 1}` }));
    const text = candidates.map((c, i) => `${JSON.stringify(c)}${i === 499 ? '\r' : ''}${i === 1202 ? '' : '\n'}`).join('');
    const bytes = new TextEncoder().encode(text);
    const { pack, offset } = packOf(bytes);
    await store.keepFile('big', bytes, { name: 'pack-1', pack, offset });
    const { starts, packed } = (await store.file('big'))!;
    expect(starts.length).toBe(candidates.length + 1);
    expect(starts.at(-1)).toBe(bytes.length);
    const read = (line: number) => candidateOf(bytes.subarray(starts[line - 1], starts[line]));
    expect([1, 499, 500, 501, 1203].map(read)).toEqual([1, 499, 500, 501, 1203].map((line) => candidates[line - 1]));
    expect(packed!.points.size).toBe(bytes.length);

    // A later version opened in another tab: this one lets go (its reads fail from then on, and the page reads from the clone).
    const later = await new Promise<IDBDatabase>((resolve, reject) => {
      const open = indexedDB.open(name, 4);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
      open.onblocked = () => reject(new Error('blocked'));
    });
    expect(later.version).toBe(4);
    later.close();
    await expect(store.hasFiles(['big'])).rejects.toThrow();
  });
});
