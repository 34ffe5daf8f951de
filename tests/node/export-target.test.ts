// `plover export --out` refuses every place an export must not write, with a clear error
// and nothing written; over its own earlier output it goes on as before.
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plover } from '../helpers/cli.ts';
import { fsck, git, useTempRepos } from '../helpers/repo.ts';

const repos = useTempRepos();

/** Every file under `dir` (but .git/objects) with its bytes, to show that nothing was written. */
function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(e.parentPath, e.name);
    if (path.includes('/.git/objects/')) continue;
    files[path] = e.isFile() ? readFileSync(path, 'latin1') : e.isDirectory() ? '(dir)' : '(other)';
  }
  return files;
}

describe('plover export --out', () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    ['.git/HEAD', () => '.git/HEAD', /\.git\/HEAD is inside \.git\//],
    ['a new file inside .git/', () => '.git/sft.jsonl', /is inside \.git\//],
    [
      'the tracked README.md',
      (dir) => (writeFileSync(join(dir, 'README.md'), '# ours\n'), git(dir, 'add', 'README.md'), git(dir, 'commit', '-q', '-m', 'readme'), 'README.md'),
      /README\.md is a file git tracks/,
    ],
    ['a candidate file', () => 'candidates/run_20240325_mt_bench_9d9abd96.jsonl', /is inside candidates\//],
    ['a new file in corrections/', () => 'corrections/out.jsonl', /is inside corrections\//],
    ['a file in suggestions/', () => 'suggestions/x.jsonl', /is inside suggestions\//],
    ['.git reached through a link', (dir) => (symlinkSync(join(dir, '.git'), join(dir, 'meta')), 'meta/config'), /is inside \.git\//],
    [
      'a tracked file whose manifest would be tracked too',
      (dir) => (writeFileSync(join(dir, 'notes.manifest.json'), '{}\n'), git(dir, 'add', 'notes.manifest.json'), 'notes.jsonl'),
      /notes\.manifest\.json is a file git tracks/,
    ],
    ['an existing directory', (dir) => (mkdirSync(join(dir, 'dist/sft.jsonl'), { recursive: true }), 'dist/sft.jsonl'), /dist\/sft\.jsonl is a directory/],
    ['a symbolic link', (dir) => (mkdirSync(join(dir, 'dist')), symlinkSync('/etc/hostname', join(dir, 'dist/sft.jsonl')), 'dist/sft.jsonl'), /is a symbolic link/],
    ['a named pipe', (dir) => (mkdirSync(join(dir, 'dist')), execFileSync('mkfifo', [join(dir, 'dist/sft.jsonl')]), 'dist/sft.jsonl'), /is not a regular file/],
    ['a device', () => '/dev/null', /\/dev\/null is not a regular file/],
    [
      'a file that is not an earlier export',
      (dir) => (mkdirSync(join(dir, 'dist')), writeFileSync(join(dir, 'dist/sft.jsonl'), 'mine\n'), 'dist/sft.jsonl'),
      /exists and is not an export plover wrote \(no sft\.manifest\.json beside it/,
    ],
    [
      'a manifest that is not one',
      (dir) => (mkdirSync(join(dir, 'dist')), writeFileSync(join(dir, 'dist/sft.manifest.json'), '{"mine":1}\n'), 'dist/sft.jsonl'),
      /sft\.manifest\.json exists and is not the manifest of a plover export/,
    ],
  ];
  for (const [name, setUp, message] of cases) {
    it(`refuses ${name}, says why, and writes nothing`, () => {
      const { dir } = repos();
      const out = setUp(dir);
      const before = snapshot(dir);
      const r = plover(dir, ['export', '--out', out]);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('nothing was written');
      expect(r.stderr).not.toContain('a bug');
      expect(r.status).toBe(1);
      expect(snapshot(dir)).toEqual(before);
      expect(fsck(dir).status).toBe(0);
    });
  }

  it('writes outside the repository, and over its own earlier export, but not over that export once it was changed', () => {
    const { dir } = repos();
    const elsewhere = mkdtempSync(join(tmpdir(), 'plover-out-'));
    try {
      const out = join(elsewhere, 'new/sft.jsonl');
      expect(plover(dir, ['export', '--out', out]).status).toBe(0);
      expect(lstatSync(out).isFile()).toBe(true);
      const again = plover(dir, ['export', '--out', out]);
      expect(again.stderr).toBe('');
      expect(again.status).toBe(0);
      writeFileSync(out, `${readFileSync(out, 'utf8')}{"messages":[]}\n`);
      const changed = plover(dir, ['export', '--out', out]);
      expect(changed.stderr).toMatch(/sft\.jsonl exists and is not an export plover wrote \(it no longer matches sft\.manifest\.json\)/);
      expect(changed.status).toBe(1);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
