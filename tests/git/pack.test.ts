import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packObjects, packWriter } from '../../src/git/pack.ts';
import { GIT_ENV, createRepo, git, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();

describe('packObjects', () => {
  it('writes a pack that git indexes strictly, with every object as it was', async () => {
    // Sizes around the header's boundaries (4 bits, then 7 bits a byte), a 65k-character
    // line, bytes that are not UTF-8; and the trees and commit that hold them.
    const sizes = [0, 1, 15, 16, 17, 2047, 2048, 2049, 262_143, 262_144, 65_536];
    const files: Record<string, string> = Object.fromEntries(sizes.map((n, i) => [`f/${i}.txt`, 'x'.repeat(n)]));
    const { dir } = repo({ files, candidates: false });
    fs.writeFileSync(join(dir, 'f/bin'), Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'binary');
    const oids = git(dir, 'rev-list', '--objects', 'HEAD')
      .split('\n')
      .map((line) => line.slice(0, 40));
    expect(oids.length).toBe(sizes.length + 1 + 2 * 2 + 2); // the blobs, two trees in each of the two commits, the commits

    const pack = await packObjects({ fs, gitdir: join(dir, '.git'), cache: {} }, oids);

    const target = createRepo({ candidates: false });
    try {
      const index = spawnSync('git', ['index-pack', '--strict', '--stdin'], { cwd: target.dir, env: GIT_ENV, input: pack, encoding: 'buffer' });
      expect(index.stderr.toString()).toBe('');
      expect(index.status).toBe(0);
      for (const oid of oids) {
        const want = spawnSync('git', ['cat-file', '-p', oid], { cwd: dir, env: GIT_ENV }).stdout;
        const got = spawnSync('git', ['cat-file', '-p', oid], { cwd: target.dir, env: GIT_ENV }).stdout;
        expect(got.equals(want)).toBe(true);
      }
      const verify = spawnSync(
        'git',
        [
          'verify-pack',
          '-v',
          ...fs
            .readdirSync(join(target.dir, '.git/objects/pack'))
            .filter((f) => f.endsWith('.idx'))
            .map((f) => join(target.dir, '.git/objects/pack', f)),
        ],
        { cwd: target.dir, env: GIT_ENV, encoding: 'utf8' },
      );
      expect(verify.status).toBe(0);
      expect(verify.stdout).toContain(`non delta: ${oids.length} objects`);
    } finally {
      target.remove();
    }
  });

  it('packs each object once, in the order first added, and reports an object it cannot read from finish', async () => {
    const { dir } = repo({ files: { 'a.txt': 'a\n', 'b/c.txt': 'c\n' }, candidates: false });
    const ctx = { fs, gitdir: join(dir, '.git'), cache: {} };
    const oids = git(dir, 'rev-list', '--objects', 'HEAD')
      .split('\n')
      .map((line) => line.slice(0, 40));
    const writer = packWriter(ctx);
    for (const oid of [...oids, ...oids.slice().reverse()]) writer.add(oid);
    expect(Buffer.from(await writer.finish()).equals(Buffer.from(await packObjects(ctx, oids)))).toBe(true);

    // An object that is not there: the writer started reading it at add(); the error waits for finish().
    const missing = packWriter(ctx);
    missing.add(oids[0]!);
    missing.add('0123456789012345678901234567890123456789');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(missing.finish()).rejects.toThrow(/0123456789012345678901234567890123456789/);
    // Given up on before finish(): no unhandled rejection (vitest fails the run on one).
    packWriter(ctx).add('9876543210987654321098765432109876543210');
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('sends a changed tree as a delta against the one the host has: git completes the thin pack from its own objects, every object as it was', async () => {
    // A folder of 3,000 files (a tree of about 150 KB: copies past 64 KiB and offsets of three bytes), then one file added, one changed and one removed.
    const files = Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`corrections/${String(i).padStart(5, '0')}.json`, `{"n": ${i}}\n`]));
    const { dir } = repo({ files, candidates: false });
    const host = repo({ candidates: false });
    {
      git(host.dir, 'fetch', '-q', dir, 'main:refs/heads/base');
      fs.writeFileSync(join(dir, 'corrections/01500.json'), '{"n": "changed"}\n');
      fs.writeFileSync(join(dir, 'corrections/zz-new.json'), '{"n": "new"}\n');
      fs.rmSync(join(dir, 'corrections/00010.json'));
      git(dir, 'add', '-A');
      git(dir, 'commit', '-qm', 'three files');
      const ctx = { fs, gitdir: join(dir, '.git'), cache: {} };
      const [rootBefore, rootAfter] = ['HEAD~1', 'HEAD'].map((c) => git(dir, 'rev-parse', `${c}^{tree}`));
      const [folderBefore, folderAfter] = ['HEAD~1', 'HEAD'].map((c) => git(dir, 'rev-parse', `${c}:corrections`));
      const blobs = ['01500.json', 'zz-new.json'].map((f) => git(dir, 'rev-parse', `HEAD:corrections/${f}`));
      const add = (writer: ReturnType<typeof packWriter>) => {
        writer.add(git(dir, 'rev-parse', 'HEAD'));
        writer.add(rootAfter!, rootBefore);
        writer.add(folderAfter!, folderBefore);
        for (const b of blobs) writer.add(b, null);
        return writer.finish();
      };
      const thin = await add(packWriter(ctx, { thin: true }));
      const whole = await add(packWriter(ctx));
      const folderSize = Number(git(dir, 'cat-file', '-s', folderAfter!));
      expect(folderSize).toBeGreaterThan(100_000);
      expect(thin.length).toBeLessThan(1024);
      expect(whole.length).toBeGreaterThan(10 * thin.length);

      const index = spawnSync('git', ['index-pack', '--strict', '--fix-thin', '--stdin'], { cwd: host.dir, env: GIT_ENV, input: thin, encoding: 'buffer' });
      expect(index.stderr.toString()).toBe('');
      expect(index.status).toBe(0);
      for (const oid of [git(dir, 'rev-parse', 'HEAD'), rootAfter!, folderAfter!, ...blobs]) {
        const want = spawnSync('git', ['cat-file', '-p', oid], { cwd: dir, env: GIT_ENV }).stdout;
        expect(spawnSync('git', ['cat-file', '-p', oid], { cwd: host.dir, env: GIT_ENV }).stdout.equals(want)).toBe(true);
      }
      // Without `thin`, a base the pack does not carry is not used: every entry whole.
      const empty = repo({ candidates: false }).dir;
      expect(spawnSync('git', ['index-pack', '--stdin'], { cwd: empty, env: GIT_ENV, input: whole }).status).toBe(0);
      const idx = fs.readdirSync(join(empty, '.git/objects/pack')).find((f) => f.endsWith('.idx'))!;
      expect(git(empty, 'verify-pack', '-v', join(empty, '.git/objects/pack', idx))).toContain('non delta: 5 objects');
    }
  });
});
