// One set of limits, enforced by every writer before anything is written and by validate
// and export alike: a correction's size, the size of what --from and --response-file
// read, valid Unicode (no lone surrogate), no duplicate key, and a forged adjudication.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { plover } from '../helpers/cli.ts';
import { fsck, git, useTempRepos } from '../helpers/repo.ts';
import { ann, ANN } from '../helpers/reviewers.ts';

const repo = useTempRepos();
const IDS = ['sftc_b5505e86f70999cf', 'sftc_723a003ab86cbec2', 'sftc_37883adc96cf1189', 'sftc_f923d11156193432'];

describe('limits at the door', () => {
  it('plover submit --from names each line over a limit and commits nothing', () => {
    const { dir } = repo();
    const file = join(dir, 'decisions.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ candidate_id: IDS[0], action: 'correct', corrected_response: 'y'.repeat(1_200_000) }),
        JSON.stringify({ candidate_id: IDS[1], action: 'correct', corrected_response: 'é'.repeat(600_000) }),
        `{"candidate_id": "${IDS[2]}", "action": "correct", "corrected_response": "half \\ud800 a pair"}`,
        `{"candidate_id": "${IDS[3]}", "action": "flag", "action": "discard"}`,
      ].join('\n'),
    );
    const head = git(dir, 'rev-parse', 'HEAD');
    const r = plover(dir, ['submit', '--from', file, '--reviewer', ANN]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${file}:1: is \\d+ characters long, more than a correction file may hold \\(1048576 bytes\\); shorten its corrected_response`));
    expect(r.stderr).toMatch(new RegExp(`${file}:2: corrected_response: makes a correction of \\d+ bytes, over the 1048576-byte limit`));
    expect(r.stderr).toContain(`${file}:3: corrected_response: holds a lone surrogate`);
    expect(r.stderr).toContain(`${file}:4: action: appears twice in its object`);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(dir, 'status', '--porcelain', '--', 'corrections')).toBe('');
  });

  it('plover submit reads at most what a file may hold, and refuses a device that never ends', () => {
    const { dir } = repo();
    const head = git(dir, 'rev-parse', 'HEAD');
    const zero = plover(dir, ['submit', '--from', '/dev/zero', '--reviewer', ANN]);
    expect(zero.stderr).toContain('cannot read --from "/dev/zero": it is not a regular file or a pipe');
    expect(zero.status).toBe(1);
    const big = join(dir, 'big.txt');
    writeFileSync(big, 'x'.repeat(1024 * 1024 + 1));
    const response = plover(dir, ['submit', IDS[0]!, '--action', 'correct', '--response-file', big, '--reviewer', ANN]);
    expect(response.stderr).toContain(`cannot read --response-file ${JSON.stringify(big)}: it is larger than 1048576 bytes, the most --response-file reads; split it`);
    expect(response.status).toBe(1);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('validate, export and export --ref refuse a committed duplicate key, lone surrogate or forged adjudication alike', () => {
    const files: Record<string, string> = {};
    const record = (id: string, extra: Record<string, unknown> = {}) => ({
      ...createCorrection({ candidate_id: id, action: 'flag' }, ann, new Date(Date.UTC(2024, 0, 1))),
      ...extra,
    });
    // A duplicate key: the first "action" says flag, the last says discard.
    files[correctionPath(IDS[0]!, ann.email)] = serializeCorrection(record(IDS[0]!)).replace('"action": "flag",', '"action": "flag",\n  "action": "discard",');
    files[correctionPath(IDS[1]!, ann.email)] = serializeCorrection(record(IDS[1]!, { action: 'correct', corrected_response: 'half \ud800 a pair' }));
    files[correctionPath(IDS[2]!, ann.email)] = serializeCorrection(record(IDS[2]!, { adjudication: true }));
    const { dir } = repo({ files });
    const expected = [
      `${correctionPath(IDS[0]!, ann.email)}: action: appears twice in its object`,
      `${correctionPath(IDS[1]!, ann.email)}: corrected_response: holds a lone surrogate`,
      `${correctionPath(IDS[2]!, ann.email)}: adjudication: is set, but ann@example.org is not in team.adjudicators`,
    ];
    const validated = plover(dir, ['validate']);
    expect(validated.status).toBe(1);
    for (const e of expected) expect(validated.stdout).toContain(e);
    for (const args of [['export'], ['export', '--ref', 'HEAD']]) {
      const exported = plover(dir, args);
      expect(exported.status, args.join(' ')).toBe(1);
      for (const e of expected) expect(exported.stderr, args.join(' ')).toContain(e);
    }
    expect(fsck(dir).status).toBe(0);
  });

  it('validate checks plover.config.json whole: an unknown key anywhere, a duplicate key', () => {
    const typo = repo({
      files: { 'plover.config.json': JSON.stringify({ teams: { members: ['ann@example.org'] }, dataset: { licence: 'mit' }, team: { members: ['ann@example.org'], overlap: 1 } }) },
    });
    const r = plover(typo.dir, ['validate']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('plover.config.json: teams: is not a known field');
    expect(r.stdout).toContain('plover.config.json: dataset.licence: is not a known field');
    const twice = repo({ files: { 'plover.config.json': '{"team": {"members": ["ann@example.org"]}, "team": {"members": ["bob@example.org"]}}\n' } });
    const d = plover(twice.dir, ['validate']);
    expect(d.status).toBe(1);
    expect(d.stderr).toContain('plover.config.json: team: appears twice in its object');
  });
});
