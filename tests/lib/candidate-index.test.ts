import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CandidateIndex, readCandidatePart, type CandidatesApart } from '../../src/lib/records/candidate-index.ts';
import { readCandidates, type DataSource } from '../../src/lib/records/repository.ts';
import { EarlierTurnFinder, indexEarlierTurns, turnKeys, type TurnKeys } from '../../src/lib/export/earlier-turns.ts';
import { fingerprint } from '../../src/node/fingerprint.ts';
import { worktreeSource } from '../../src/node/sources.ts';
import { candidateLine, dataRuns, useTempRepos } from '../helpers/repo.ts';

/** Files held in memory, read whole (as a git ref or the page's clone reads), or in chunks of `chunk` bytes of one reused buffer with `readAt`. */
function memorySource(files: Record<string, Buffer>, chunk?: number): DataSource {
  return {
    list: async (folder) =>
      Object.keys(files)
        .filter((path) => path.startsWith(`${folder}/`))
        .sort()
        .map((path) => ({ path })),
    read: async (path) => files[path]!,
    ...(chunk
      ? {
          readChunks: (path: string) =>
            Object.assign(
              (function* () {
                const buffer = Buffer.alloc(chunk);
                for (let at = 0; at < files[path]!.length; at += chunk) {
                  const n = files[path]!.copy(buffer, 0, at, at + chunk);
                  yield buffer.subarray(0, n);
                  buffer.fill(0x7b); // reused: nothing may still point into it
                }
              })(),
              { size: files[path]!.length },
            ),
          readAt: (path: string, offset: number, length: number) => files[path]!.subarray(offset, offset + length),
        }
      : {}),
    close() {},
  };
}

const messy = Buffer.from(
  [
    candidateLine({ id: 'a' }),
    '{"id": "b",',
    '',
    candidateLine({ id: 'é', model_response: 'ça va — 日本語 🎉' }),
    `${candidateLine({ id: '日本', prompt_messages: [{ role: 'user', content: '<script>alert(1)</script>' }] })}\r`,
    candidateLine({ id: 'a' }),
    candidateLine({ id: 'e\u0301' }),
    candidateLine({ id: 'last' }),
  ].join('\n'),
);

describe('CandidateIndex', () => {
  it('finds every candidate and every problem readCandidates finds, in its order, from sources read whole or in chunks', async () => {
    const real = Object.fromEntries(dataRuns().map(({ run, file }) => [`candidates/${run}.jsonl`, readFileSync(file)]));
    for (const files of [{ 'candidates/run_a.jsonl': messy, 'candidates/run_b.jsonl': Buffer.from(`${candidateLine({ id: 'last' })}\n`) }, real]) {
      const expected = await readCandidates(memorySource(files));
      expect(expected.candidates.size).toBeGreaterThan(3);
      for (const chunk of [undefined, 1, 7, 4096]) {
        const { candidates, problems } = await CandidateIndex.read(memorySource(files, chunk));
        expect(problems).toEqual(expected.problems);
        expect(candidates.size).toBe(expected.candidates.size);
        for (const [id, located] of expected.candidates) expect(candidates.get(id)).toEqual(located);
        expect(candidates.get('b')).toBeUndefined();
      }
    }
  });

  it('reads files as they arrive, in parts, with the same candidates and problems; fails when what arrived was another file', async () => {
    const files = { 'candidates/run_a.jsonl': messy, 'candidates/run_b.jsonl': Buffer.from(`${candidateLine({ id: 'last' })}\n`) };
    const expected = await readCandidates(memorySource(files));
    /** The files read as they arrive, in parts of `chunk` bytes; `whole` gives `arrived` for each, which may be another file's bytes. */
    const arrivingSource = (chunk: number, arrived: Record<string, Buffer>): DataSource => ({
      ...memorySource(files),
      readArriving: async (path) => ({
        parts: (async function* () {
          for (let at = 0; at < arrived[path]!.length; at += chunk) yield arrived[path]!.subarray(at, at + chunk);
        })(),
        whole: async () => {
          if (arrived[path] !== files[path as keyof typeof files]) throw new Error(`another blob arrived, not ${path}`);
          return arrived[path]!;
        },
      }),
    });
    for (const chunk of [1, 7, 4096]) {
      const { candidates, problems } = await CandidateIndex.read(arrivingSource(chunk, files));
      expect(problems).toEqual(expected.problems);
      expect(candidates.size).toBe(expected.candidates.size);
      for (const [id, located] of expected.candidates) expect(candidates.get(id)).toEqual(located);
    }
    const swapped = { 'candidates/run_a.jsonl': files['candidates/run_b.jsonl'], 'candidates/run_b.jsonl': files['candidates/run_a.jsonl'] };
    await expect(CandidateIndex.read(arrivingSource(7, swapped))).rejects.toThrow('another blob arrived, not candidates/run_a.jsonl');
  });

  it('finds earlier turns as it reads, from fingerprints, as indexEarlierTurns finds them among all the texts', async () => {
    const real = Object.fromEntries(dataRuns().map(({ run, file }) => [`candidates/${run}.jsonl`, readFileSync(file)]));
    const first = { id: 't1', model_response: 'Paris is the capital.', prompt_messages: [{ role: 'user', content: 'Capital of France?' }] };
    const second = {
      id: 't2',
      prompt_messages: [...first.prompt_messages, { role: 'assistant', content: first.model_response }, { role: 'user', content: 'And of Spain?' }],
    };
    const sameLength = { id: 'other', model_response: 'Rome is the capitals.' };
    // Another model's answer, and the same answer to another question, are not the earlier turn.
    const otherModel = { ...first, id: 'other-model', model_id: 'org/other' };
    const otherQuestion = { ...first, id: 'other-question', prompt_messages: [{ role: 'user', content: 'Capital of Italy?' }] };
    real['candidates/run_turns.jsonl'] = Buffer.from([first, sameLength, second, otherModel, otherQuestion].map((c) => candidateLine(c)).join('\n'));
    const all = (await readCandidates(memorySource(real))).candidates;
    const expected = indexEarlierTurns(all);
    expect(expected.turns.get('t2')).toEqual(new Map([[1, ['t1']]]));
    const finder = new EarlierTurnFinder(fingerprint);
    await CandidateIndex.read(memorySource(real, 4096), ({ candidate }) => finder.add(candidate));
    expect(finder.result()).toEqual(expected);
  });

  it('reads the second half of each file apart with the same candidates, lines, problems and earlier turns', async () => {
    const real = Object.fromEntries(dataRuns().map(({ run, file }) => [`candidates/${run}.jsonl`, readFileSync(file)]));
    // The second "a", the blank line's neighbours and the NFC twin fall in the half read apart.
    const files: Record<string, Buffer> = { ...real, 'candidates/run_a.jsonl': messy, 'candidates/run_b.jsonl': Buffer.from(`${candidateLine({ id: 'last' })}\n`) };
    const expected = await readCandidates(memorySource(files));
    const alone = new EarlierTurnFinder(fingerprint);
    await CandidateIndex.read(memorySource(files, 4096), ({ candidate }) => alone.add(candidate));
    for (const chunk of [1, 7, 4096]) {
      const finder = new EarlierTurnFinder(fingerprint);
      const parts: { file: string; start: number; end: number }[] = [];
      const apart: CandidatesApart<TurnKeys> = {
        fromBytes: 200,
        read: async (file, start, end) => {
          parts.push({ file, start, end });
          return readCandidatePart(file, start, [files[file]!.subarray(start, end)], (candidate) => turnKeys(candidate, fingerprint));
        },
        take: (keys) => finder.addKeys(keys),
      };
      const { candidates, problems } = await CandidateIndex.read(memorySource(files, chunk), ({ candidate }) => finder.add(candidate), apart);
      // Every file of 200 bytes or more is split once, after the first line break past its middle (run_b's only one ends it: not split).
      const splittable = Object.keys(files).filter((f) => files[f]!.length >= 200 && files[f]!.subarray(files[f]!.length >> 1, -1).includes(0x0a));
      expect(splittable).not.toContain('candidates/run_b.jsonl');
      expect(parts.map((p) => p.file).sort()).toEqual(splittable.sort());
      for (const { file, start, end } of parts) {
        expect(files[file]![start - 1]).toBe(0x0a);
        expect(start).toBeGreaterThan(end / 2);
      }
      expect(problems).toEqual(expected.problems);
      expect(problems.some((p) => p.file === 'candidates/run_a.jsonl' && p.line! > 4)).toBe(true);
      expect(candidates.size).toBe(expected.candidates.size);
      for (const [id, located] of expected.candidates) expect(candidates.get(id)).toEqual(located);
      expect(finder.result()).toEqual(alone.result());
    }
  });

  const tempRepo = useTempRepos();

  it('reads the working tree again, and names the line when its file changed after it was read', async () => {
    const repo = tempRepo({ candidates: false });
    mkdirSync(join(repo.dir, 'candidates'));
    const file = join(repo.dir, 'candidates', 'run_x.jsonl');
    writeFileSync(file, `${candidateLine({ id: 'a' })}\n${candidateLine({ id: 'b', model_response: 'b’s answer' })}\n`);
    const source = worktreeSource(repo.dir);
    const { candidates, problems } = await CandidateIndex.read(source);
    expect(problems).toEqual([]);
    expect(candidates.get('b')!.candidate.model_response).toBe('b’s answer');
    source.close();
    writeFileSync(file, `${candidateLine({ id: 'b' })}\n${candidateLine({ id: 'a' })}\n`);
    expect(() => candidates.get('b')).toThrow(/candidates\/run_x\.jsonl:2: changed while it was read: this line no longer holds candidate "b"; run the command again/);
    writeFileSync(file, '');
    expect(() => candidates.get('a')).toThrow(/candidates\/run_x\.jsonl:1: changed while it was read/);
    source.close();
  });
});
