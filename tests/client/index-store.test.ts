// The hosted page's kept review index, in Node with an in-memory IndexedDB (fake-indexeddb):
// the snapshot's column codec gives back exactly the outlines it was given, on the real
// runs, and the store keeps snapshots and candidate texts as the page reads them.
import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IndexStore } from '../../src/client/index-store.ts';
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
  it('keeps a snapshot per key, refuses one of another format, and keeps and prunes the texts by candidate file', async () => {
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

    // Texts by the blob of their file and their line; a blob counts as stored once all its texts are.
    const [first, second] = files;
    const ofFile = (path: string) => located.filter((c) => c.file === path);
    const bytesOf = (path: string) => readFileSync(dataRuns().find(({ run }) => `candidates/${run}.jsonl` === path)!.file);
    expect(await store.hasTexts([first!.blob])).toBe(false);
    await store.storeTexts(first!.blob, bytesOf(first!.path));
    expect(await store.hasTexts([first!.blob])).toBe(true);
    expect(await store.hasTexts([first!.blob, second!.blob])).toBe(false);
    const some = ofFile(first!.path).slice(5, 8);
    expect(await store.texts(some.map((c) => [first!.blob, c.line]))).toEqual(some.map((c) => c.candidate));
    expect(await store.texts([[second!.blob, 1]])).toEqual([undefined]);
    const all = await store.allTexts(first!.blob);
    expect(all).toEqual(ofFile(first!.path).map(({ line, candidate }) => ({ line, candidate })));

    // A file replaced since: its old texts go once no snapshot names its blob.
    await store.storeTexts('replaced', bytesOf(second!.path));
    await store.prune();
    expect(await store.hasTexts(['replaced'])).toBe(false);
    expect(await store.allTexts('replaced')).toEqual([]);
    expect(await store.hasTexts([first!.blob])).toBe(true);
  });

  it('keeps texts by batches of lines, across batch ends and CRLF lines, and drops the texts an earlier version stored', async () => {
    const name = `plover-index:test-${Math.random()}`;
    // Version 1 of the database: an object per candidate.
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open(name, 1);
      open.onupgradeneeded = () => {
        for (const store of ['heads', 'bodies', 'texts', 'blobs']) open.result.createObjectStore(store);
        open.transaction!.objectStore('texts').put(located[0]!.candidate, ['old', 1]);
        open.transaction!.objectStore('blobs').put(1, 'old');
      };
      open.onsuccess = () => (open.result.close(), resolve());
      open.onerror = () => reject(open.error);
    });
    const store = await IndexStore.open(name);
    expect(await store.hasTexts(['old'])).toBe(false);
    expect(await store.texts([['old', 1]])).toEqual([undefined]);

    const candidates = Array.from({ length: 1203 }, (_, i) => ({ ...located[i % located.length]!.candidate, id: `c${i + 1}` }));
    const text = candidates.map((c, i) => `${JSON.stringify(c)}${i === 499 ? '\r' : ''}\n`).join('');
    await store.storeTexts('big', new TextEncoder().encode(text));
    const lines = [1, 499, 500, 501, 1000, 1001, 1203];
    expect(await store.texts(lines.map((line) => ['big', line]))).toEqual(lines.map((line) => candidates[line - 1]));
    expect(await store.texts([['big', 1204]])).toEqual([undefined]);
    const all = await store.allTexts('big');
    expect(all.map((t) => t.line)).toEqual(candidates.map((_, i) => i + 1));
    expect(all.map((t) => t.candidate)).toEqual(candidates);
  });
});
