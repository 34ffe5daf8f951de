import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CandidateFileParser, indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { DATA_CANDIDATES, candidateLine, dataRuns } from '../helpers/repo.ts';

describe('parseCandidateFile', () => {
  it('reads every one of the real and messy candidates without a problem', () => {
    let count = 0;
    for (const { run, file } of dataRuns()) {
      const { candidates, problems } = parseCandidateFile(readFileSync(file, 'utf8'), run);
      expect(problems).toEqual([]);
      count += candidates.length;
    }
    expect(count).toBe(DATA_CANDIDATES);
  });

  it('reports each bad line with its number and keeps the good ones', () => {
    const text = [candidateLine({ id: 'a' }), '{"id": "b",', '', candidateLine({ id: 'c', quality_score: 'high' }), candidateLine({ id: 'd' })].join('\n') + '\n';
    const { candidates, problems } = parseCandidateFile(text, 'candidates/run.jsonl');
    expect(candidates.map((c) => [c.candidate.id, c.line])).toEqual([
      ['a', 1],
      ['d', 5],
    ]);
    expect(problems).toEqual([
      { file: 'candidates/run.jsonl', line: 2, message: expect.stringMatching(/^is not valid JSON \(.+\); received "\{\\"id\\": \\"b\\","$/) },
      { file: 'candidates/run.jsonl', line: 3, message: 'is blank; a JSONL file holds one JSON object per line: remove the blank line' },
      { file: 'candidates/run.jsonl', line: 4, path: 'quality_score', message: 'must be number,null' },
    ]);
  });

  it('reads bytes as it reads their text, line by line, and names a line that is not UTF-8', () => {
    const bad = [candidateLine({ id: 'a' }), '{"id": "b",', '', candidateLine({ id: 'c', quality_score: 'high' }), `${candidateLine({ id: 'é' })}\r`].join('\n');
    for (const text of [bad, `${bad}\n`, `\ufeff${bad}`, ...dataRuns().map(({ file }) => readFileSync(file, 'utf8'))]) {
      expect(parseCandidateFile(Buffer.from(text, 'utf8'), 'f')).toEqual(parseCandidateFile(text, 'f'));
    }
    const latin1 = Buffer.concat([
      Buffer.from(`${candidateLine({ id: 'a' })}\n${candidateLine({ id: 'b' }).slice(0, -1)},"x":"`),
      Buffer.from([0xe9]),
      Buffer.from(`"}\n${candidateLine({ id: 'c' })}\n`),
    ]);
    const { candidates, problems } = parseCandidateFile(latin1, 'candidates/run.jsonl');
    expect(candidates.map((c) => [c.candidate.id, c.line])).toEqual([
      ['a', 1],
      ['c', 3],
    ]);
    expect(problems).toEqual([{ file: 'candidates/run.jsonl', line: 2, message: 'is not valid UTF-8; re-encode it as UTF-8' }]);
  });

  it('reads a file pushed in chunks of one reused buffer as it reads it whole, lines and characters cut anywhere', () => {
    const bad = [candidateLine({ id: 'a' }), '{"id": "b",', '', candidateLine({ id: 'é' }), `${candidateLine({ id: '日本' })}\r`].join('\n');
    const latin1 = Buffer.concat([Buffer.from(`${bad}\n${candidateLine({ id: 'b' }).slice(0, -1)},"x":"`), Buffer.from([0xe9]), Buffer.from(`"}\n${candidateLine({ id: 'c' })}`)]);
    for (const bytes of [Buffer.from(bad), Buffer.from(`${bad}\n`), latin1, readFileSync(dataRuns()[0]!.file)]) {
      const whole = parseCandidateFile(bytes, 'f');
      for (const size of [1, 2, 3, 7, 64, 4096]) {
        const parser = new CandidateFileParser('f');
        const buffer = Buffer.alloc(size);
        for (let at = 0; at < bytes.length; at += size) {
          const n = bytes.copy(buffer, 0, at, at + size);
          parser.push(buffer.subarray(0, n));
          buffer.fill(0x7b); // the caller reuses its buffer: nothing may still point into it
        }
        expect(parser.end()).toEqual(whole);
      }
    }
  });

  it('accepts CRLF line ends', () => {
    const { candidates, problems } = parseCandidateFile(`${candidateLine({ id: 'a' })}\r\n${candidateLine({ id: 'b' })}\r\n`, 'f');
    expect(problems).toEqual([]);
    expect(candidates).toHaveLength(2);
  });
});

describe('indexCandidates', () => {
  it('reports a duplicate id with both places', () => {
    const a = parseCandidateFile(`${candidateLine({ id: 'x' })}\n`, 'candidates/a.jsonl').candidates;
    const b = parseCandidateFile(`${candidateLine({ id: 'y' })}\n${candidateLine({ id: 'x' })}\n`, 'candidates/b.jsonl').candidates;
    const { byId, problems } = indexCandidates([...a, ...b]);
    expect([...byId.keys()]).toEqual(['x', 'y']);
    expect(problems).toEqual([
      { file: 'candidates/b.jsonl', line: 2, path: 'id', message: 'duplicate candidate id "x", first at candidates/a.jsonl:1; ids must be unique across candidates/' },
    ]);
  });
});
