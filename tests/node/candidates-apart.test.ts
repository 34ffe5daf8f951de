import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CandidateIndex } from '../../src/lib/records/candidate-index.ts';
import { EarlierTurnFinder } from '../../src/lib/export/earlier-turns.ts';
import { candidatesApart } from '../../src/node/candidates-apart.ts';
import { fingerprint } from '../../src/node/fingerprint.ts';
import { worktreeSource } from '../../src/node/sources.ts';
import { candidateLine, dataRuns, useTempRepos } from '../helpers/repo.ts';

describe('candidatesApart', () => {
  const tempRepo = useTempRepos();

  it('reads the second half of each file of the working tree on a thread, and the index is the one a single thread makes', async () => {
    const repo = tempRepo({ candidates: false });
    mkdirSync(join(repo.dir, 'candidates'));
    for (const { run, file } of dataRuns()) copyFileSync(file, join(repo.dir, 'candidates', `${run}.jsonl`));
    // Bad lines and a repeated id in the half the thread reads.
    const lines = Array.from({ length: 40 }, (_, i) => candidateLine({ id: `c${i}`, model_response: `answer ${i}` }));
    lines.splice(30, 0, '{"id": "broken",', '', candidateLine({ id: 'c3' }), `${candidateLine({ id: 'crlf' })}\r`);
    writeFileSync(join(repo.dir, 'candidates', 'run_z.jsonl'), `${lines.join('\n')}\n`);

    const alone = new EarlierTurnFinder(fingerprint);
    const source = worktreeSource(repo.dir);
    const expected = await CandidateIndex.read(source, ({ candidate }) => alone.add(candidate));
    expect(expected.problems.filter((p) => p.file === 'candidates/run_z.jsonl').map((p) => p.line)).toEqual([31, 32, 33]);

    const finder = new EarlierTurnFinder(fingerprint);
    const apart = candidatesApart(repo.dir, finder, 1000);
    const asked: string[] = [];
    const read = apart.read;
    apart.read = (file, start, end) => {
      asked.push(file);
      return read(file, start, end);
    };
    const split = await CandidateIndex.read(source, ({ candidate }) => finder.add(candidate), apart);
    await apart.close();
    expect(asked).toContain('candidates/run_z.jsonl');
    expect(split.problems).toEqual(expected.problems);
    expect(split.candidates.size).toBe(expected.candidates.size);
    for (const { candidate } of expected.candidates.all()) expect(split.candidates.get(candidate.id)).toEqual(expected.candidates.get(candidate.id));
    expect(finder.result()).toEqual(alone.result());
    expect(finder.result().turns.size).toBeGreaterThan(0); // the data's MT-Bench runs have earlier turns, some read on the thread
    source.close();
  });

  it("fails the read with the thread's error when a part cannot be read", async () => {
    const repo = tempRepo({ candidates: false });
    mkdirSync(join(repo.dir, 'candidates'));
    const apart = candidatesApart(repo.dir, undefined, 1);
    await expect(apart.read('candidates/missing.jsonl', 0, 10)).rejects.toThrow(/ENOENT/);
    await apart.close();
    // A thread that is gone refuses what it is asked afterwards, instead of leaving it waiting.
    await expect(apart.read('candidates/missing.jsonl', 0, 10)).rejects.toThrow(/the thread reading candidates stopped/);
  });
});
