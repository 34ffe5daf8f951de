// A pull request is untrusted input to CI: committed links and submodules in the data
// folders are named as problems by validate, export and export --ref, never followed,
// never skipped. Each case is a branch committed elsewhere and cloned, as CI checks it out.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { plover } from '../helpers/cli.ts';
import { git, useTempRepos } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';

const repos = useTempRepos();
const ID = 'sftc_b5505e86f70999cf';
const FILE = correctionPath(ID, ann.email);
const SHARD = FILE.split('/').slice(0, 2).join('/');
const BODY = serializeCorrection(createCorrection({ candidate_id: ID, action: 'flag' }, ann, new Date(Date.UTC(2024, 0, 1))));

// Outside every repository: a folder laid out like corrections/, with a name that must never reach a log.
const outside = mkdtempSync(join(tmpdir(), 'plover-outside-'));
mkdirSync(join(outside, 'corrections', SHARD.split('/')[1]!), { recursive: true });
writeFileSync(join(outside, 'corrections', FILE.slice('corrections/'.length)), BODY);
writeFileSync(join(outside, 'corrections', 'host-secret-name.json'), '{}');
afterAll(() => rmSync(outside, { recursive: true, force: true }));

/** A clone (as CI has it) of a repository whose one commit was changed by `change`. */
function pullRequest(change: (dir: string) => void): string {
  const { dir } = repos();
  change(dir);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'pull request');
  const clone = repos({ candidates: false }).dir;
  rmSync(clone, { recursive: true, force: true });
  git(dirname(clone), 'clone', '-q', dir, clone);
  return clone;
}

const cases: [string, (dir: string) => void, string, string][] = [
  ['corrections/ as a link to a folder outside', (dir) => symlinkSync(join(outside, 'corrections'), join(dir, 'corrections')), 'corrections', 'is a symbolic link'],
  ['a shard as a link', (dir) => (mkdirSync(join(dir, 'corrections'), { recursive: true }), symlinkSync(join(outside, SHARD), join(dir, SHARD))), SHARD, 'is a symbolic link'],
  ['a correction file as a link', (dir) => (mkdirSync(join(dir, SHARD), { recursive: true }), symlinkSync(join(outside, FILE), join(dir, FILE))), FILE, 'is a symbolic link'],
  [
    'candidates/ as a link',
    (dir) => (
      cpSync(join(dir, 'candidates'), join(outside, 'candidates-copy'), { recursive: true }),
      rmSync(join(dir, 'candidates'), { recursive: true }),
      symlinkSync(join(outside, 'candidates-copy'), join(dir, 'candidates'))
    ),
    'candidates',
    'is a symbolic link',
  ],
  [
    'a candidate file as a link',
    (dir) => {
      const file = join(dir, 'candidates/run_20240325_mt_bench_9d9abd96.jsonl');
      writeFileSync(join(outside, 'run.jsonl'), readFileSync(file));
      rmSync(file);
      symlinkSync(join(outside, 'run.jsonl'), file);
    },
    'candidates/run_20240325_mt_bench_9d9abd96.jsonl',
    'is a symbolic link',
  ],
  [
    'a submodule in corrections/',
    (dir) => (mkdirSync(join(dir, SHARD), { recursive: true }), git(dir, 'update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},${SHARD}`)),
    SHARD,
    'is a submodule',
  ],
];

describe('links and submodules in a pull request', () => {
  for (const [name, change, path, what] of cases) {
    it(`names ${name} in validate, export and export --ref, reads nothing through it, and writes no export`, () => {
      const dir = pullRequest(change);
      const problem = `${path}: ${what}`;
      const validated = plover(dir, ['validate']);
      expect(validated.stdout).toContain(problem);
      expect(validated.status).toBe(1);
      for (const args of [['export'], ['export', '--ref', 'HEAD']]) {
        const exported = plover(dir, args);
        expect(exported.stderr, args.join(' ')).toContain(problem);
        expect(exported.status).toBe(1);
        expect(`${exported.stdout}${exported.stderr}${validated.stdout}`).not.toContain('host-secret-name');
        expect(() => readFileSync(join(dir, 'dist/sft.jsonl'))).toThrow(/ENOENT/);
      }
      expect(plover(dir, ['stats']).status).toBe(1);
    });
  }
});
