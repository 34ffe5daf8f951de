import { describe, expect, it } from 'vitest';
import { candidateKey } from '../../src/lib/records/paths.ts';
import { Workspace } from '../../src/node/workspace.ts';
import { plover } from '../helpers/cli.ts';
import { candidateLine, git, useTempRepos } from '../helpers/repo.ts';
import { ann } from '../helpers/reviewers.ts';

const repo = useTempRepos();
const bob = { name: 'Bob', email: 'bob@example.org' };
const ID = 'sftc_b5505e86f70999cf';

describe('history and undo', () => {
  it('reads who decided what on a candidate, when and in which commit, undos included, newest first', async () => {
    // A candidate whose corrections share ID's shard folder: its decisions are not ID's history.
    const shard = candidateKey(ID).shard;
    let neighbour = '';
    for (let i = 0; candidateKey(neighbour).shard !== shard; i++) neighbour = `neighbour_${i}`;
    const { dir } = repo({ files: { 'candidates/run_neighbour.jsonl': `${candidateLine({ id: neighbour })}\n` } });
    const ws = await Workspace.open(dir);
    await ws.service.decide(bob, { candidate_id: neighbour, action: 'flag' }, { now: new Date('2024-05-01T10:30:00Z') });
    await ws.service.undo(bob, neighbour, new Date('2024-05-01T10:40:00Z'));
    const first = await ws.service.decide(
      ann,
      { candidate_id: ID, action: 'correct', corrected_response: 'v1', failure_category: 'wrong_answer' },
      { now: new Date('2024-05-01T10:00:00Z'), durationMs: 12_345 },
    );
    const second = await ws.service.decide(bob, { candidate_id: ID, action: 'discard' }, { now: new Date('2024-05-01T11:00:00Z') });
    await ws.service.decide(ann, { candidate_id: 'sftc_723a003ab86cbec2', action: 'flag' });
    const undo = await ws.service.undo(ann, ID, new Date('2024-05-01T12:00:00Z'));
    expect((await ws.index.queuePage(ann, null, 1000)).items.some((c) => c.id === ID)).toBe(true);
    expect(ws.index.counts(ann)).toEqual({ correct: 0, discard: 0, flag: 1 });

    const history = await ws.service.history(ID);
    expect(history.map((e) => [e.commit, e.kind, e.author.email, e.correction?.action ?? null])).toEqual([
      [undo.oid, 'undo', 'ann@example.org', null],
      [second.oid, 'decision', 'bob@example.org', 'discard'],
      [first.oid, 'decision', 'ann@example.org', 'correct'],
    ]);
    expect(history[2]!.correction).toMatchObject({ corrected_response: 'v1', failure_category: 'wrong_answer', duration_ms: 12_345 });
    expect(history[0]!.date).toBe('2024-05-01T12:00:00.000Z');
    expect(git(dir, 'status', '--porcelain')).toBe('');
  });

  it('plover undo commits the removal, and says so when there is nothing to undo', () => {
    const { dir } = repo();
    expect(plover(dir, ['submit', ID, '--action', 'flag', '--reviewer', 'Ann <ann@example.org>']).status).toBe(0);
    const result = plover(dir, ['undo', ID, '--reviewer', 'Ann <ann@example.org>']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^[0-9a-f]{7} undo flag ${ID} by Ann <ann@example.org>\\n  removed corrections/`));
    expect(git(dir, 'log', '-1', '--format=%s')).toBe(`plover: undo flag ${ID}`);
    expect(plover(dir, ['undo', ID, '--reviewer', 'Ann <ann@example.org>'])).toEqual({
      status: 1,
      stdout: '',
      stderr: `plover: ann@example.org has no decision on "${ID}" to undo\n`,
    });
  });
});
