// plover validate warns when a folder of the repository passes the entries a git host recommends.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FOLDER_ENTRIES } from '../../src/node/check-repository.ts';
import { plover } from '../helpers/cli.ts';
import { candidateLine, useTempRepos } from '../helpers/repo.ts';

describe("the layout within the host's limits", () => {
  const repo = useTempRepos();

  it(`warns (exit 0) about a folder of more than ${MAX_FOLDER_ENTRIES} entries, naming it, and not about one at the limit`, () => {
    const { dir } = repo({ candidates: false });
    mkdirSync(join(dir, 'candidates'), { recursive: true });
    for (let i = 0; i < MAX_FOLDER_ENTRIES; i++) writeFileSync(join(dir, `candidates/run_${i}.jsonl`), `${candidateLine({ id: `c${i}`, benchmark_run_id: `run_${i}` })}\n`);
    const at = plover(dir, ['validate']);
    expect(at.status, at.stdout).toBe(0);
    expect(at.stdout).not.toContain('entries');
    writeFileSync(join(dir, 'candidates/run_extra.jsonl'), `${candidateLine({ id: 'extra', benchmark_run_id: 'run_extra' })}\n`);
    const over = plover(dir, ['validate']);
    expect(over.status).toBe(0);
    expect(over.stdout).toContain(`candidates/: holds ${MAX_FOLDER_ENTRIES + 1} entries; git hosts slow down past ${MAX_FOLDER_ENTRIES} in one folder`);
    expect(plover(dir, ['validate', '--strict']).status).toBe(1);
  });
});
