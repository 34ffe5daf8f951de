// Reading part of a large object from a pack git wrote, from seek points (pack-seek.ts):
// every range read equals the same bytes of the file, across seek points, at the object's
// ends, in stored (incompressible) blocks as in compressed ones; a delta has no seek
// points, and points taken from another object are refused.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inflateFrom, pointBefore, seekable, seekPoints } from '../../src/git/pack-seek.ts';
import { PackReader } from '../../src/git/pack-reader.ts';
import { allObjects, dataRuns, git, gitPack, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();

/** A repository with a candidate file of the real runs (about 2 MB), a file of random bytes between text, and the candidate file edited (one version a delta of the other), packed by git. */
function packed(): { reader: PackReader; files: Record<string, Buffer>; oids: Record<string, string>; delta: string } {
  const { dir } = repo({ candidates: false });
  const runs = Buffer.concat(dataRuns().map(({ file }) => fs.readFileSync(file)));
  // Upper-cased, so that git does not make it a delta of the runs.
  const text = Buffer.from(runs.toString('latin1').toUpperCase(), 'latin1');
  const mixed = Buffer.concat([text.subarray(0, 200_000), randomBytes(300_000), text.subarray(200_000, 400_000)]);
  const files = { 'runs.jsonl': runs, 'mixed.bin': mixed };
  for (const [name, bytes] of Object.entries(files)) fs.writeFileSync(join(dir, name), bytes);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'files');
  const oids = Object.fromEntries(Object.keys(files).map((name) => [name, git(dir, 'rev-parse', `HEAD:${name}`)]));
  fs.appendFileSync(join(dir, 'runs.jsonl'), '{"id":"one more"}\n');
  git(dir, 'commit', '-qam', 'one more line');
  // git's own account of the pack: which object is a delta.
  const { pack, idx, listed } = gitPack(dir, allObjects(dir));
  const delta = listed
    .split('\n')
    .find((line) => /^[0-9a-f]{40} blob .* [0-9a-f]{40}$/.test(line))!
    .slice(0, 40);
  return { reader: new PackReader(pack, idx), files, oids, delta };
}

describe('seek points of a pack object', () => {
  it('read any range of the object as the file holds it, from the last point before it', async () => {
    const { reader, files, oids, delta } = packed();
    for (const [name, file] of Object.entries(files)) {
      const offset = reader.offsetOf(oids[name]!)!;
      if (!seekable(reader.pack, offset)) continue; // git made this version the delta: the other file is read below
      const points = await seekPoints(reader.pack, offset, 64 * 1024);
      expect(points.size).toBe(file.length);
      expect(points.outs.length).toBeGreaterThan(5);
      expect(points.outs[0]).toBe(0);
      // Each point at least a span after the last, each with the 32 KB before it.
      for (let i = 1; i < points.outs.length; i++) expect(points.outs[i]! - points.outs[i - 1]!).toBeGreaterThanOrEqual(64 * 1024);
      expect(points.windows.length).toBe([...points.outs].reduce((n, out) => n + Math.min(out, 32768), 0));
      const read = (from: number, to: number) => Buffer.from(inflateFrom(reader.pack, offset, points, pointBefore(points, from), from, to));
      const ranges: [number, number][] = [
        [0, 1],
        [0, file.length],
        [file.length - 1, file.length],
        [file.length, file.length],
      ];
      for (const out of points.outs) ranges.push([out, out + 1], [Math.max(out - 10, 0), Math.min(out + 10, file.length)]);
      for (let k = 0; k < 100; k++) {
        const from = Math.floor(Math.random() * file.length);
        ranges.push([from, Math.min(file.length, from + Math.floor(Math.random() * 70_000))]);
      }
      for (const [from, to] of ranges) expect(read(from, to).equals(file.subarray(from, to)), `${name} ${from}..${to}`).toBe(true);
      // Read from an earlier point than the last one before it: the same bytes.
      expect(Buffer.from(inflateFrom(reader.pack, offset, points, 0, 100_000, 100_050)).equals(file.subarray(100_000, 100_050))).toBe(true);
    }
    // The mixed file's random middle went into stored blocks, the text around it into compressed ones: both read above.
    expect(seekable(reader.pack, reader.offsetOf(oids['mixed.bin']!)!)).not.toBeNull();
    // A delta has none.
    const deltaAt = reader.offsetOf(delta)!;
    expect(seekable(reader.pack, deltaAt)).toBeNull();
    await expect(seekPoints(reader.pack, deltaAt)).rejects.toThrow(/is a delta/);
  });

  it('refuses points taken from another object, and a range past the object', async () => {
    const { reader, oids } = packed();
    const mixed = reader.offsetOf(oids['mixed.bin']!)!;
    const points = await seekPoints(reader.pack, mixed, 64 * 1024);
    const other = [...Object.values(oids)].map((oid) => reader.offsetOf(oid)!).find((at) => at !== mixed && seekable(reader.pack, at));
    if (other !== undefined) expect(() => inflateFrom(reader.pack, other, points, 1, points.outs[1]!, points.outs[1]! + 10)).toThrow(/damaged/);
    expect(() => inflateFrom(reader.pack, mixed, points, 0, 0, points.size + 1)).toThrow(/damaged/);
    expect(() => inflateFrom(reader.pack, mixed, points, 2, 0, 10)).toThrow(/damaged/);
  });
});
