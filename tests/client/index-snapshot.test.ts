// The first read of a clone (openIndex with no snapshot kept) and what the session read
// ahead while the clone was made: used for the same commit, ignored for another, and read
// again when it failed.
import * as fs from 'node:fs';
import { join } from 'node:path';
import http from 'isomorphic-git/http/node';
import { describe, expect, it } from 'vitest';
import { openIndex, readCandidatesAt, type IndexSource } from '../../src/client/index-snapshot.ts';
import { candidateLine, git, useTempRepos } from '../helpers/repo.ts';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';

const repo = useTempRepos();

describe('the first read of a clone', () => {
  it('takes the candidates read ahead for the same commit, not for another, and reads again when that read failed', async () => {
    const { dir } = repo({ files: { 'candidates/run_a.jsonl': `${candidateLine({ id: 'one' })}\n${candidateLine({ id: 'two' })}\n` }, candidates: false });
    const clone = { fs, gitdir: join(dir, '.git'), cache: {}, http };
    const head = git(dir, 'rev-parse', 'HEAD');
    const source: IndexSource = { clone, target: head, outbox: head, mine: () => false };
    const open = async (ahead?: ReturnType<typeof readCandidatesAt>) => (await openIndex(source, null, 'k', (work) => work(), ahead)).index;

    const whole = await open();
    expect(['one', 'two'].map((id) => whole.has(id))).toEqual([true, true]);
    // Read ahead from the same commit: taken as it is (here, told to hold none of them).
    const ahead = await readCandidatesAt(clone, head);
    expect(ahead.outlines.map((o) => o.id)).toEqual(['one', 'two']);
    const taken = await open(Promise.resolve({ ...ahead, outlines: [], places: [] }));
    expect(taken.has('one')).toBe(false);
    // From another commit, or failed: read again.
    expect((await open(Promise.resolve({ ...ahead, commit: '0'.repeat(40), outlines: [], places: [] }))).has('one')).toBe(true);
    const failed = Promise.reject(new Error('the read ahead failed'));
    failed.catch(() => undefined); // as the session does: its error is told where it is used
    expect((await open(failed)).has('two')).toBe(true);
  });

  it('takes the corrections read ahead with the candidates while the outbox is the target, and reads them again when it holds more', async () => {
    const decided = createCorrection({ candidate_id: 'one', action: 'discard' }, { name: 'Ann', email: 'ann@example.org' }, new Date('2024-05-01T12:00:00Z'));
    const { dir } = repo({
      files: {
        'candidates/run_a.jsonl': `${candidateLine({ id: 'one' })}\n${candidateLine({ id: 'two' })}\n`,
        [correctionPath('one', 'ann@example.org')]: serializeCorrection(decided),
      },
      candidates: false,
    });
    const clone = { fs, gitdir: join(dir, '.git'), cache: {}, http };
    const head = git(dir, 'rev-parse', 'HEAD');
    const ahead = await readCandidatesAt(clone, head, true);
    expect(ahead.correctionsRead!.corrections.map((c) => c.correction.candidate_id)).toEqual(['one']);
    expect(ahead.correctionsRead!.problems).toEqual([]);
    // Told the read ahead found none: taken while the outbox is the target.
    const none = Promise.resolve({ ...ahead, correctionsRead: { corrections: [], problems: [] } });
    const open = async (outbox: string) => (await openIndex({ clone, target: head, outbox, mine: () => false }, null, 'k', (work) => work(), none)).index;
    expect((await open(head)).records()).toEqual([]);
    // An outbox with a commit of its own: the corrections are read from the page's source.
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'a decision of this reviewer');
    expect((await open(git(dir, 'rev-parse', 'HEAD'))).records().map((c) => c.correction.candidate_id)).toEqual(['one']);
  });
});
