import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { indexPack } from '../../src/git/pack-index.ts';
import { applyDelta, BaseCache, Inflater, PackReader } from '../../src/git/pack-reader.ts';
import { allObjects, GIT_ENV, git, gitPack, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();

/**
 * A repository whose history deltifies: one file edited over many commits (chains of
 * deltas), sizes around the header's boundaries, a long line, bytes that are not UTF-8.
 */
function history(): { dir: string; oids: string[] } {
  // 1.5 MiB: a large object, hashed apart.
  const sizes = [0, 1, 15, 16, 17, 2047, 2048, 2049, 262_144, 65_536, 1_572_864];
  const { dir } = repo({ files: Object.fromEntries(sizes.map((n, i) => [`f/${i}.txt`, 'x'.repeat(n)])), candidates: false });
  fs.writeFileSync(join(dir, 'f/bin'), Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]));
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i} of a correction that changes a little each time`);
  for (let c = 0; c < 30; c++) {
    lines[(c * 37) % lines.length] = `edited in commit ${c}`;
    fs.writeFileSync(join(dir, 'notes.txt'), `${lines.join('\n')}\n`);
    fs.writeFileSync(join(dir, `f/c${c % 5}.json`), JSON.stringify({ commit: c, text: lines.slice(c, c + 50) }));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', `commit ${c}`);
  }
  // The large file edited: one of its two versions is a delta of the other, whose oid the
  // index learns late (a large object is hashed apart).
  fs.appendFileSync(join(dir, 'f/10.txt'), 'y');
  git(dir, 'commit', '-qam', 'the large file edited');
  return { dir, oids: allObjects(dir) };
}

/** Every object's type and content, from `git cat-file --batch`. */
function catFiles(dir: string, oids: string[]): Map<string, { type: string; data: Buffer }> {
  const out = spawnSync('git', ['cat-file', '--batch'], { cwd: dir, env: GIT_ENV, input: oids.join('\n') + '\n', maxBuffer: 1 << 30 }).stdout;
  const objects = new Map<string, { type: string; data: Buffer }>();
  for (let at = 0; at < out.length;) {
    const eol = out.indexOf(10, at);
    const [oid, type, size] = out.subarray(at, eol).toString().split(' ') as [string, string, string];
    objects.set(oid, { type, data: out.subarray(eol + 1, eol + 1 + Number(size)) });
    at = eol + 2 + Number(size);
  }
  return objects;
}

describe('indexPack', () => {
  it.each([
    ['offset deltas', ['--delta-base-offset']],
    ['deltas naming their base', []],
  ])('writes the index git writes for a pack with %s, byte for byte', async (_, args) => {
    const { dir, oids } = history();
    const { pack, idx, chains, listed } = gitPack(dir, oids, ['--depth=50', ...args]);
    expect(chains).toMatch(/chain length = [3-9]:/);
    let told = 0;
    const given: string[] = [];
    const expected = catFiles(dir, oids);
    const ours = await indexPack(new Uint8Array(pack), {
      onProgress: (done) => (told = done),
      onObject: (oid, object) => {
        given.push(oid);
        expect(object.type).toBe(expected.get(oid)?.type);
        expect(Buffer.from(object.data).equals(expected.get(oid)!.data)).toBe(true);
      },
    });
    expect(told).toBe(oids.length);
    // Every object once, the large file's two versions too: one whole (hashed apart), the other a delta of it.
    expect(given.toSorted()).toEqual(oids.toSorted());
    const versions = [git(dir, 'rev-parse', 'HEAD~:f/10.txt').trim(), git(dir, 'rev-parse', 'HEAD:f/10.txt').trim()];
    const deltas = listed.split('\n').filter((line) => line.split(' ').filter(Boolean).length === 7);
    expect(deltas.some((line) => versions.some((v) => line.startsWith(v)))).toBe(true);
    expect(Buffer.from(ours).equals(idx)).toBe(true);
  });

  it("tells a large object's content as it inflates, a few MiB at a time, before its oid; onObject then gives those bytes at the same offset", async () => {
    const lines = Array.from({ length: 230_000 }, (_, i) => `line ${i}: ${(i * 2654435761) % 1_000_003} of a large candidate file`);
    const { dir } = repo({ files: { 'candidates/big.jsonl': `${lines.join('\n')}\n`, 'small.txt': 'small\n' }, candidates: false });
    const oids = allObjects(dir);
    const { pack } = gitPack(dir, oids);
    const big = git(dir, 'rev-parse', 'HEAD:candidates/big.jsonl').trim();
    const content = catFiles(dir, [big]).get(big)!.data;
    expect(content.length).toBeGreaterThan(9 << 20);
    const parts = new Map<number, Uint8Array[]>();
    const sizes = new Map<number, number>();
    const given = new Map<string, { at: number; data: Uint8Array }>();
    await indexPack(new Uint8Array(pack), {
      onInflating: (at, type, size, part) => {
        expect(type).toBe('blob');
        sizes.set(at, size);
        parts.set(at, [...(parts.get(at) ?? []), part.slice()]);
        expect(given.has(big)).toBe(false); // before its oid is known
      },
      onObject: (oid, object, at) => given.set(oid, { at, data: object.data }),
    });
    // Only the large object, in parts of a few MiB that are its content.
    expect([...parts.keys()]).toEqual([given.get(big)!.at]);
    const told = parts.get(given.get(big)!.at)!;
    expect(told.length).toBeGreaterThanOrEqual(3);
    expect(sizes.get(given.get(big)!.at)).toBe(content.length);
    expect(Buffer.concat(told).equals(content)).toBe(true);
    expect(Buffer.from(given.get(big)!.data).equals(content)).toBe(true);
    expect(given.size).toBe(oids.length);
  });

  it('refuses a damaged pack, saying so', async () => {
    const { dir, oids } = history();
    const { pack } = gitPack(dir, oids, ['--depth=50', '--delta-base-offset']);
    const damaged = new Uint8Array(pack);
    damaged[200]! ^= 0xff;
    await expect(indexPack(damaged)).rejects.toThrow(/pack is damaged \(the object at byte \d+ does not inflate/);
    const badSum = new Uint8Array(pack);
    badSum[badSum.length - 1]! ^= 0xff;
    await expect(indexPack(badSum)).rejects.toThrow(/pack is damaged \(its checksum does not match\)/);
    await expect(indexPack(new Uint8Array(pack.subarray(0, 100)))).rejects.toThrow(/pack is damaged/);
  });
});

describe('PackReader', () => {
  it('reads every object of a pack as git does, deltas and all', () => {
    const { dir, oids } = history();
    const { pack, idx, chains } = gitPack(dir, oids, ['--depth=50', '--delta-base-offset']);
    expect(chains).toMatch(/chain length = [3-9]:/);
    const reader = new PackReader(new Uint8Array(pack), new Uint8Array(idx));
    const objects = catFiles(dir, oids);
    expect(objects.size).toBe(oids.length);
    // Read twice, in two orders, so that bases come from the cache and from the pack.
    for (const order of [oids, [...oids].reverse()]) {
      for (const oid of order) {
        const want = objects.get(oid)!;
        const got = reader.read(oid)!;
        expect(got.type).toBe(want.type);
        expect(Buffer.from(got.data).equals(want.data)).toBe(true);
      }
    }
    expect(reader.read('0'.repeat(40))).toBeUndefined();
    expect(reader.read('f'.repeat(40))).toBeUndefined();
  });
});

describe('Inflater and applyDelta', () => {
  it('inflates streams one after another with one state, and says where each ended', async () => {
    const { deflateSync } = await import('node:zlib');
    const texts = ['', 'a', 'x'.repeat(100_000), 'héllo <script>'];
    const streams = texts.map((t) => deflateSync(Buffer.from(t)));
    const all = Buffer.concat([...streams, Buffer.from('trailing')]);
    // Checked (Adler-32 compared), and raw (as indexing a pack inflates): the same content, the same ends.
    for (const inflater of [new Inflater(), new Inflater(false)]) {
      let at = 0;
      for (const [i, t] of texts.entries()) {
        const { data, end } = inflater.inflate(all, at, Buffer.byteLength(t));
        expect(Buffer.from(data).toString()).toBe(t);
        expect(end).toBe(at + streams[i]!.length);
        at = end;
      }
      expect(() => inflater.inflate(all, 0, 5)).toThrow(/does not inflate to its 5 bytes/);
      expect(() => inflater.inflate(all, streams[0]!.length + 1, 1)).toThrow(/damaged/);
      // The last stream cut short of its Adler-32.
      const cut = all.subarray(0, all.length - 'trailing'.length - 2);
      expect(() => inflater.inflate(cut, cut.length - streams.at(-1)!.length + 2, Buffer.byteLength(texts.at(-1)!))).toThrow(/damaged/);
    }
    // Only the checked one compares the Adler-32: a pack's checksum covers it when indexing.
    const wrongSum = Buffer.from(streams[1]!);
    wrongSum[wrongSum.length - 1]! ^= 0xff;
    expect(() => new Inflater().inflate(wrongSum, 0, 1)).toThrow(/damaged/);
    expect(Buffer.from(new Inflater(false).inflate(wrongSum, 0, 1).data).toString()).toBe('a');
  });

  it('refuses a delta that copies outside its base', () => {
    // Base size 3, result size 4; copy 4 bytes from offset 0.
    expect(() => applyDelta(new Uint8Array([3, 4, 0x90, 4]), new Uint8Array([1, 2, 3]))).toThrow(/copies outside its base/);
    expect(applyDelta(new Uint8Array([3, 4, 0x90, 3, 1, 9]), new Uint8Array([1, 2, 3]))).toEqual(new Uint8Array([1, 2, 3, 9]));
  });
});

describe('the delta base cache', () => {
  const object = (size: number) => ({ type: 'blob' as const, data: new Uint8Array(size) });

  it('drops the least recently used objects past its size, and never one larger than a quarter of it', () => {
    const cache = new BaseCache(100);
    for (const offset of [1, 2, 3, 4]) cache.set(offset, object(20));
    expect(cache.get(1)).toBeDefined(); // 1 used again: 2 is now the oldest
    cache.set(5, object(20));
    cache.set(6, object(20)); // 120 bytes: the least recently used (2) goes
    expect(cache.get(2)).toBeUndefined();
    expect([1, 3, 4, 5, 6].map((o) => cache.get(o) !== undefined)).toEqual([true, true, true, true, true]);
    // Each of those just used, in that order: 1 is the oldest use now.
    cache.set(7, object(20));
    expect(cache.get(1)).toBeUndefined();
    expect(cache.get(3)).toBeDefined();
    cache.set(8, object(26)); // a quarter of the size and more: not kept, nothing dropped
    expect(cache.get(8)).toBeUndefined();
    expect([3, 4, 5, 6, 7].every((o) => cache.get(o) !== undefined)).toBe(true);
  });

  it('stays within its size over many uses, keeping what is used often', () => {
    const cache = new BaseCache(1000);
    cache.set(0, object(10));
    let dropped = 0;
    for (let offset = 1; offset <= 200_000; offset++) {
      cache.set(offset, object(10));
      if (!cache.get(0)) dropped++; // used at every step: never dropped
    }
    expect(dropped).toBe(0);
    // 100 objects of 10 bytes fit: the one used at every step and the 99 newest.
    expect(cache.get(200_000 - 98)).toBeDefined();
    expect(cache.get(200_000 - 99)).toBeUndefined();
  });
});
