import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { treeSource } from '../../src/git/tree-source.ts';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { iterateCorrections, type DataSource } from '../../src/lib/records/repository.ts';
import { git, useTempRepos } from '../helpers/repo.ts';

const repo = useTempRepos();
const ann = { name: 'Ann Lee', email: 'ann@example.org' };
const record = (id: string) => `${serializeCorrection(createCorrection({ candidate_id: id, action: 'discard' }, ann, new Date('2024-05-01T10:00:00Z')))}`;

describe('a commit read as a data source', () => {
  it("lists a folder an entry at a time in list's order, and the corrections read that way are those read from the whole list, problems and their words included", async () => {
    // Two candidates whose shards sort apart: a record of the later one at the earlier one's place is a second decision, told before its twin is listed.
    const ids = Array.from({ length: 400 }, (_, i) => `c${i}`);
    const [early, late] = [
      ids.find((id) => correctionPath(id, ann.email).startsWith('corrections/0'))!,
      ids.find((id) => correctionPath(id, ann.email).startsWith('corrections/f'))!,
    ];
    const files: Record<string, string> = {
      [correctionPath(late, ann.email)]: record(late),
      [correctionPath(early, ann.email)]: record(late), // late's decision again, at early's place
      [correctionPath('c-moved', ann.email).replace(/^corrections\/../, 'corrections/00')]: record('c-moved'), // a record at no path of its own
      'corrections/README.md': 'about the folder\n',
      'corrections/00-x/stray.json': '{}\n',
      'corrections/00.json': '{}\n',
      'corrections/0/a.json': '{}\n',
    };
    for (const id of ids.slice(0, 40)) files[correctionPath(id, ann.email)] ??= record(id);
    const { dir } = repo({ files, candidates: false });
    const source = treeSource({ fs, gitdir: join(dir, '.git'), cache: {}, commit: git(dir, 'rev-parse', 'HEAD').trim() });
    const parts: string[][] = [];
    for await (const part of source.listParts!('corrections')) parts.push(part.map((f) => f.path));
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.flat()).toEqual((await source.list('corrections')).map((f) => f.path));
    expect(parts.flat()).toContain('corrections/00-x/stray.json');

    const read = async (from: DataSource) => {
      const problems: { file: string; message: string }[] = [];
      const groups: string[][] = [];
      for await (const group of iterateCorrections(from, problems)) groups.push(group.map((c) => c.file));
      return { groups, problems };
    };
    const whole = await read({ ...source, listParts: undefined });
    const inParts = await read(source);
    expect(inParts).toEqual(whole);
    expect(inParts.groups.length).toBeGreaterThan(30);
    expect(inParts.problems).toContainEqual(
      expect.objectContaining({
        file: correctionPath(early, ann.email),
        message: `is a second decision of ann@example.org on ${JSON.stringify(late)}, which ${correctionPath(late, ann.email)} already holds; delete one of the two`,
      }),
    );
    expect(inParts.problems.map((p) => p.message)).toContainEqual(expect.stringContaining("does not match the file's path: this record belongs at"));
  });
});
