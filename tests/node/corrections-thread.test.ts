// The export reads corrections on a worker thread: what it yields must be exactly what
// iterateCorrections yields on the main thread (groups, order, problems), across many
// chunks of flow control, from the working tree and from a commit; failures must surface.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { createCorrection, serializeCorrection } from '../../src/lib/records/correction.ts';
import type { Problem } from '../../src/lib/errors.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { iterateCorrections } from '../../src/lib/records/repository.ts';
import { AHEAD, CHUNK_GROUPS, readCorrectionsOnThread } from '../../src/node/corrections-thread.ts';
import { gitRefSource, worktreeSource } from '../../src/node/sources.ts';
import { countTextTokens, TokenCountCache } from '../../src/node/token-count.ts';
import { normalizeCorrectedText } from '../../src/lib/records/target-text.ts';
import { LIMIT } from '../helpers/limits.ts';
import { git, useTempRepos } from '../helpers/repo.ts';
import type { LocatedCorrection } from '../../src/lib/records/correction.ts';

const REVIEWERS = [
  { name: 'Ann', email: 'ann@example.org' },
  { name: 'Bob', email: 'bob@example.org' },
];

describe('reading corrections on a worker thread', () => {
  const repo = useTempRepos();
  // More groups than the thread may send ahead, so it has to wait for the main thread and go on.
  const candidates = CHUNK_GROUPS * (AHEAD + 2) + 7;

  function files(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < candidates; i++) {
      const id = `cand_${i}`;
      for (const reviewer of i % 3 === 0 ? REVIEWERS : [REVIEWERS[i % 2]!]) {
        const c = createCorrection(
          { candidate_id: id, action: i % 2 ? 'discard' : 'correct', corrected_response: i % 2 ? null : `fixed ${i}` },
          reviewer,
          new Date(Date.UTC(2024, 0, 1, 0, i % 60)),
        );
        out[correctionPath(id, reviewer.email)] = serializeCorrection(c);
      }
    }
    // Problems, spread through the listing: a file out of place, one not JSON, one whose record belongs elsewhere.
    out['corrections/00/not-a-correction.txt'] = 'x';
    const somePath = Object.keys(out).sort()[Math.floor(Object.keys(out).length / 2)]!;
    out[somePath] = '{ not json';
    // The record that belongs elsewhere comes early: its problem is sent with the first chunk, while the reading goes on.
    const moved = Object.keys(out).sort()[3]!;
    out[moved] = out[correctionPath('cand_1', REVIEWERS[1]!.email)]!;
    return out;
  }

  async function onMainThread(source: ReturnType<typeof worktreeSource>) {
    const problems: Problem[] = [];
    const groups: LocatedCorrection[][] = [];
    for await (const g of iterateCorrections(source, problems)) groups.push(g);
    source.close();
    return { groups, problems };
  }

  async function onThread(at: Parameters<typeof readCorrectionsOnThread>[0]) {
    const thread = readCorrectionsOnThread(at);
    const groups: LocatedCorrection[][] = [];
    for await (const g of thread.groups) groups.push(g);
    return { groups, problems: thread.problems };
  }

  it('yields the same groups and problems as on the main thread, from the working tree and from a commit', async () => {
    const r = repo({ files: files(), candidates: false });
    const expected = await onMainThread(worktreeSource(r.dir));
    expect(expected.groups.length).toBeGreaterThan(CHUNK_GROUPS * AHEAD);
    expect(expected.problems.map((p) => p.file)).toHaveLength(3);
    expect(await onThread({ dir: r.dir })).toEqual(expected);

    const commit = git(r.dir, 'rev-parse', 'HEAD');
    // A change in the working tree after the commit: the commit's tree is what is read.
    writeFileSync(join(r.dir, 'corrections/00/not-a-correction.txt'), 'changed');
    git(r.dir, 'rm', '-q', '--cached', 'corrections/00/not-a-correction.txt');
    expect(await onThread({ dir: r.dir, commit })).toEqual(await onMainThread(await gitRefSource(r.dir, commit)));
  });

  it('stops when the caller stops taking groups, and reports a failure of the thread as an error', async () => {
    const r = repo({ files: files(), candidates: false });
    const thread = readCorrectionsOnThread({ dir: r.dir });
    for await (const _ of thread.groups) break;
    await thread.stop();

    // A file where the repository should be: reading its corrections/ fails with the system's error.
    const notADir = join(r.dir, 'corrections/00/not-a-correction.txt');
    await expect(onThread({ dir: notADir })).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it("counts the new texts' tokens unless the main thread waits for them, leaves the rest to it, and hands over the counts it kept", async () => {
    const r = repo({ files: files(), candidates: false });
    const total = (await onMainThread(worktreeSource(r.dir))).groups.length;
    const cold = readCorrectionsOnThread({ dir: r.dir, countTokens: true });
    const targets: { chunk: number; text: string; tokens: number | undefined }[] = [];
    let n = 0;
    // A main thread slower than the reading: it takes a chunk only once the thread has sent
    // it, so it never says it waits, and every chunk comes counted.
    const sent = () => vi.waitFor(() => expect(cold.buffered()).toBeGreaterThan(0), { timeout: LIMIT, interval: 20 });
    await sent();
    for await (const g of cold.groups) {
      for (const { correction, tokens } of g)
        if (correction.action === 'correct') targets.push({ chunk: Math.floor(n / CHUNK_GROUPS), text: normalizeCorrectedText(correction.corrected_response!), tokens });
      n += 1;
      if (n % CHUNK_GROUPS === 0 && n < total) await sent();
    }
    expect(new Set(targets.map((t) => t.chunk)).size).toBeGreaterThan(AHEAD);
    for (const t of targets) if (t.tokens !== undefined || t.chunk > 0) expect([t.chunk, t.tokens]).toEqual([t.chunk, countTextTokens(t.text)]);
    // The main thread counts the rest and saves them all: the next export's thread knows every count.
    const cache = await TokenCountCache.open(r.dir);
    cache.merge(cold.tokenCounts!);
    for (const t of targets) cache.count(t.text);
    await cache.save(async (path, text) => writeFileSync(path, text));
    const warm = readCorrectionsOnThread({ dir: r.dir, countTokens: true });
    const counted: (number | undefined)[] = [];
    for await (const g of warm.groups) for (const { correction, tokens } of g) if (correction.action === 'correct') counted.push(tokens);
    expect(counted).toEqual(targets.map((t) => countTextTokens(t.text)));
    expect(warm.tokenCounts!.added).toBe(0);
  });

  it('hands each group the corrected texts of its earlier turns, whether their files come before or after it, across chunks', async () => {
    const r = repo({ files: files(), candidates: false });
    const order = (await onMainThread(worktreeSource(r.dir))).groups.map((g) => g[0]!.correction.candidate_id);
    const number = (id: string) => Number(id.slice('cand_'.length));
    const corrected = order.filter((id) => number(id) % 2 === 0 && number(id) > 1);
    const discarded = order.filter((id) => number(id) % 2 === 1 && number(id) > 1);
    const at = (id: string) => order.indexOf(id);
    // Later turns (by stream position) and their earlier turns: after it, far ahead; before it;
    // one earlier turn shared by two later turns chunks apart; a discarded earlier turn (no text).
    const later = [corrected[3]!, corrected.at(-3)!, corrected[20]!, corrected[CHUNK_GROUPS * 2]!, corrected[40]!];
    const earlier = [[corrected.at(-5)!], [corrected[1]!], [corrected[30]!], [corrected[30]!], [discarded[7]!]];
    expect(at(earlier[0]![0]!) - at(later[0]!)).toBeGreaterThan(CHUNK_GROUPS * AHEAD);
    expect(at(earlier[1]![0]!)).toBeLessThan(at(later[1]!));
    const turns = new Map(later.map((id, i) => [id, new Map([[1, earlier[i]!]])]));
    const thread = readCorrectionsOnThread({ dir: r.dir, earlierTurns: 'majority' });
    // The thread waits for the earlier turns before it sends anything; they may come late.
    setTimeout(() => thread.earlierTurns({ turns, sources: new Set(earlier.flat()) }), 50);
    const seen = new Map<string, (string | undefined)[]>();
    for await (const g of thread.groups) {
      const id = g[0]!.correction.candidate_id;
      if (turns.has(id))
        seen.set(
          id,
          turns
            .get(id)!
            .get(1)!
            .map((e) => thread.corrected.get(e)),
        );
    }
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(later.map((id, i) => [id, earlier[i]!.map((e) => (number(e) % 2 === 0 ? `fixed ${number(e)}` : undefined))])));
  });

  it("leaves the count of an earlier turn read ahead of its group to the main thread, which counts it for the later turn's context", async () => {
    const r = repo({ files: files(), candidates: false });
    const order = (await onMainThread(worktreeSource(r.dir))).groups.map((g) => g[0]!.correction.candidate_id);
    const corrected = order.filter((id) => Number(id.slice('cand_'.length)) % 2 === 0 && id !== 'cand_0');
    const [later, earlier] = [corrected[3]!, corrected.at(-5)!];
    expect(order.indexOf(earlier) - order.indexOf(later)).toBeGreaterThan(CHUNK_GROUPS * AHEAD);
    const thread = readCorrectionsOnThread({ dir: r.dir, countTokens: true, earlierTurns: 'majority' });
    thread.earlierTurns({ turns: new Map([[later, new Map([[1, [earlier]]])]]), sources: new Set([earlier]) });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const counted = new Map<string, number | undefined>();
    let n = 0;
    for await (const g of thread.groups) {
      const id = g[0]!.correction.candidate_id;
      if (id === later) expect([thread.corrected.get(earlier), thread.correctedTokens.get(earlier)]).toEqual([`fixed ${earlier.slice('cand_'.length)}`, undefined]);
      for (const c of g) if (c.correction.action === 'correct') counted.set(id, c.tokens);
      if (++n % CHUNK_GROUPS === 0) await new Promise((resolve) => setTimeout(resolve, 300));
    }
    // Not counted again on this thread: the main thread's cache has it from the later turn's context.
    expect(counted.get(earlier)).toBeUndefined();
    const sameChunk = order.filter((id, i) => Math.floor(i / CHUNK_GROUPS) === Math.floor(order.indexOf(earlier) / CHUNK_GROUPS) && id !== earlier && counted.has(id));
    for (const id of sameChunk) expect([id, counted.get(id)]).toEqual([id, expect.any(Number)]);
  });

  it('works from a script given with -e and with V8 flags (a worker refuses both when it inherits them)', () => {
    const r = repo({
      files: { [correctionPath('c1', 'ann@example.org')]: serializeCorrection(createCorrection({ candidate_id: 'c1', action: 'flag' }, REVIEWERS[0]!, new Date())) },
      candidates: false,
    });
    const code = `const { readCorrectionsOnThread } = await import(${JSON.stringify(new URL('../../src/node/corrections-thread.ts', import.meta.url).href)});
const t = readCorrectionsOnThread({ dir: ${JSON.stringify(r.dir)} });
let n = 0; for await (const g of t.groups) n += g.length;
console.log(n);`;
    expect(execFileSync(process.execPath, ['--max-old-space-size=4096', '--input-type=module', '-e', code], { encoding: 'utf8' }).trim()).toBe('1');
  });
});
