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
});
