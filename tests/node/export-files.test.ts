// writeExport encodes lines into two buffers that take turns being written: whatever the
// line sizes (tiny, multi-byte, longer than a buffer), the file must be exactly the lines
// compileExport makes in memory, and the manifest's sha256 and size must be the file's.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { DEFAULT_EXPORT_OPTIONS, serializeExportLine } from '../../src/lib/export/export-format.ts';
import { compileExport } from '../helpers/compile-export.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { readCandidates, readCorrections } from '../../src/lib/records/repository.ts';
import { writeExport } from '../../src/node/export-files.ts';
import { worktreeSource } from '../../src/node/sources.ts';
import { candidateLine, useTempRepos } from '../helpers/repo.ts';

describe('writeExport', () => {
  const repo = useTempRepos();

  it('writes exactly the compiled lines, across buffer turns and lines longer than a buffer', async () => {
    // 1 MB buffers hold at most ~349k UTF-16 units of a line; these cross that both ways.
    const sizes = [1, 10, 100_000, 340_000, 349_600, 360_000, 400_000, 5, 250_000, 300_000, 1_000, 380_000, 2];
    const texts = ['a', 'é', '😀', 'x\n"\\'];
    const files: Record<string, string> = {};
    const candidateLines: string[] = [];
    sizes.forEach((size, i) => {
      const id = `big_${i}`;
      candidateLines.push(candidateLine({ id }));
      const unit = texts[i % texts.length]!;
      const response = unit
        .repeat(Math.ceil(size / unit.length))
        .slice(0, size)
        .replace(/\uD83D$/, '');
      const c = createCorrection({ candidate_id: id, action: 'correct', corrected_response: response }, { name: 'Ann', email: 'ann@example.org' }, new Date(Date.UTC(2024, 0, 1)));
      files[correctionPath(id, 'ann@example.org')] = serializeCorrection(c);
    });
    files['candidates/run.jsonl'] = `${candidateLines.join('\n')}\n`;
    const { dir } = repo({ files, candidates: false });

    const manifest = await writeExport({ dir, out: join(dir, 'dist/sft.jsonl'), ...DEFAULT_EXPORT_OPTIONS });
    const bytes = readFileSync(join(dir, 'dist/sft.jsonl'));

    const source = worktreeSource(dir);
    const { candidates } = await readCandidates(source);
    const { corrections } = await readCorrections(source, candidates);
    const expected = compileExport(candidates, corrections, DEFAULT_EXPORT_OPTIONS).lines.map(serializeExportLine).join('');
    expect(bytes.length).toBeGreaterThan(3 * 1024 * 1024);
    expect(bytes.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    expect(manifest).toMatchObject({ bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), counts: { lines: sizes.length } });
  });
});
