// Siblings and starting points on the bundled MT-Bench runs (four models, the same 80
// questions) and on candidates written for the test.
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { MemoryCommitter } from '../helpers/memory-committer.ts';
import { ReviewIndex } from '../../src/lib/review/review-index.ts';
import { ReviewService } from '../../src/lib/review/review-service.ts';
import type { Reviewer } from '../../src/lib/records/schema-types.generated.ts';
import { promptKeys, startingPoint, startsFor, textKey } from '../../src/lib/review/siblings.ts';
import { computeStats } from '../../src/lib/review/stats.ts';
import { sha256Hex } from '../../src/lib/records/paths.ts';
import { memoryService } from '../helpers/memory-service.ts';

const ann: Reviewer = { name: 'Ann', email: 'ann@example.org' };

function bundled(): ReviewService {
  const located = readdirSync('candidates')
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => parseCandidateFile(readFileSync(`candidates/${f}`, 'utf8'), `candidates/${f}`).candidates);
  const { byId } = indexCandidates(located);
  const data = { candidates: byId, candidateOrder: located.map((c) => c.candidate.id), problems: [] };
  const index = ReviewIndex.ofData(data, []);
  return new ReviewService(index, new MemoryCommitter(), async () => computeStats(data.candidates, index.records()));
}

describe('siblings on the bundled MT-Bench runs', () => {
  it('groups every turn-1 candidate with the three other models’ answers to its question, and no turn-2 candidate before its turn 1 is corrected', async () => {
    const service = bundled();
    const outlines = service.index.outlinesInOrder();
    const turn1 = outlines.filter((o) => !o.turns);
    expect(turn1).toHaveLength(320);
    const counts = new Map<number, number>();
    for (const o of turn1) {
      const { siblings, starts } = await service.context(o.id);
      counts.set(siblings.length, (counts.get(siblings.length) ?? 0) + 1);
      expect(new Set(siblings.map((s) => s.run)).size).toBe(siblings.length);
      expect(siblings.map((s) => s.run)).not.toContain(o.benchmark_run_id);
      expect(starts.at(-1)!.kind).toBe('model_response');
      // Every turn-1 candidate offers its three siblings' answers as starts before any decision
      // (a text offered once: where a sibling's answer is the reference answer, as the reference).
      for (const s of siblings) expect(starts.map((x) => x.text)).toContain(s.candidate.model_response.trimEnd());
      expect(starts.filter((s) => s.kind === 'sibling_answer').length).toBeGreaterThanOrEqual(2);
    }
    expect(Object.fromEntries(counts)).toEqual({ 3: 320 });
    const turn2 = outlines.filter((o) => o.turns);
    expect(turn2).toHaveLength(320);
    for (const o of turn2.slice(0, 40)) expect((await service.context(o.id)).siblings).toEqual([]);
  });

  it('makes turn-2 candidates siblings once their turn 1 is corrected identically, and offers the sibling’s correction first', async () => {
    const service = bundled();
    const outlines = service.index.outlinesInOrder();
    const turn2 = outlines.find((o) => o.turns)!;
    const group = [turn2.id, ...service.index.promptGroup(turn2.id)];
    expect(group).toHaveLength(4);
    const [a, b, c] = group.map((id) => service.index.earlierTurns(id)[0]!);
    expect(a).toHaveLength(1);
    await service.decide(ann, { candidate_id: a![0]!, action: 'correct', corrected_response: 'The same corrected turn 1.' });
    expect((await service.context(turn2.id)).siblings).toEqual([]);
    await service.decide(ann, { candidate_id: b![0]!, action: 'correct', corrected_response: 'The same corrected turn 1.\n' });
    await service.decide(ann, { candidate_id: c![0]!, action: 'correct', corrected_response: 'Another corrected turn 1.' });
    const context = await service.context(turn2.id);
    expect(context.siblings.map((s) => s.id)).toEqual([group[1]]);
    // The turn-1 candidates are siblings too, and their corrections are the first starts.
    const first = await service.context(a![0]!);
    expect(first.starts.slice(0, 2).map((s) => [s.kind, s.candidate_id])).toEqual([
      ['sibling_correction', b![0]],
      ['sibling_correction', c![0]],
    ]);
    expect(first.starts.at(-1)!.kind).toBe('model_response');
    expect(first.starts[0]).toMatchObject({ kind: 'sibling_correction', candidate_id: b![0], text: 'The same corrected turn 1.' });
    await service.decide(ann, { candidate_id: group[1]!, action: 'correct', corrected_response: 'Turn 2, corrected.' });
    expect((await service.context(turn2.id)).starts[0]).toMatchObject({ kind: 'sibling_correction', candidate_id: group[1], text: 'Turn 2, corrected.' });
  });
});

describe('siblings and starts on candidates written for the test', () => {
  const user = (content: string) => [{ role: 'user', content }];
  it('sets empty system messages aside, and a different system prompt separates', async () => {
    const { service } = memoryService([
      { id: 'a', prompt_messages: user('2+2?'), model_response: 'five', quality_score: 0.2 },
      {
        id: 'b',
        prompt_messages: [{ role: 'system', content: '' }, ...user('2+2?')],
        model_response: '4',
        quality_score: 0.9,
        benchmark_run_id: 'run_b',
        model_id: 'm2',
        model_name: 'M2',
      },
      { id: 'c', prompt_messages: [{ role: 'system', content: 'Answer in French.' }, ...user('2+2?')], model_response: 'quatre', quality_score: 1 },
      { id: 'd', prompt_messages: user('2+3?'), model_response: '5', quality_score: 1 },
    ]);
    const context = await service.context('a');
    expect(context.siblings).toEqual([{ id: 'b', candidate: expect.objectContaining({ id: 'b', model_response: '4' }), model: 'M2', run: 'run_b', score: 0.9, decisions: [] }]);
    expect(context.starts).toEqual([
      { kind: 'sibling_answer', text: '4', candidate_id: 'b', source: 'M2', score: 0.9 },
      expect.objectContaining({ kind: 'model_response', text: 'five' }),
    ]);
    expect((await service.context('c')).siblings).toEqual([]);
    expect((await service.context('b')).starts.map((s) => [s.kind, s.text])).toEqual([
      ['sibling_answer', 'five'],
      ['model_response', '4'],
    ]);
    await expect(service.context('nope')).rejects.toMatchObject({ code: 'E_UNKNOWN_CANDIDATE' });
  });

  it('lists twenty siblings at most, those with decisions first, counts them all, and offers the five best sibling answers', async () => {
    const { service } = memoryService(
      Array.from({ length: 25 }, (_, i) => ({ id: `s${String(i).padStart(2, '0')}`, prompt_messages: user('same?'), model_response: `answer ${i}`, quality_score: i / 100 })),
    );
    await service.decide(ann, { candidate_id: 's24', action: 'correct', corrected_response: 'fixed' });
    const context = await service.context('s00');
    expect(context.sibling_count).toBe(24);
    expect(context.siblings.map((s) => s.id)).toEqual(['s24', ...Array.from({ length: 19 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`)]);
    expect(context.starts.map((s) => s.text)).toEqual(['fixed', 'answer 24', 'answer 19', 'answer 18', 'answer 17', 'answer 16', 'answer 0']);
  });

  it('orders starts: sibling corrections, reference, suggestions by score, sibling answers by score, the model response; a text is offered once', () => {
    const candidate = { id: 'x', prompt_messages: user('q'), model_response: 'bad', quality_score: 0.1, reference_answer: 'ref' } as never;
    const sib = (id: string, score: number, response: string) =>
      ({ id, model_id: id, model_name: id, quality_score: score, model_response: response, prompt_messages: user('q') }) as never;
    const starts = startsFor(
      candidate,
      [{ candidate: sib('s1', 0.5, 'mid'), corrected: 'fixed' }, { candidate: sib('s2', 0.9, 'good') }, { candidate: sib('s3', 0.8, 'fixed'), corrected: 'fixed\n' }],
      [
        { agent: 'low', text: 'sugg low', score: 0.2 },
        { agent: 'high', text: 'sugg high', score: 0.7 },
        { agent: 'same', text: 'ref' },
      ],
    );
    expect(starts.map((s) => [s.kind, s.text])).toEqual([
      ['sibling_correction', 'fixed'],
      ['reference', 'ref'],
      ['suggestion', 'sugg high'],
      ['suggestion', 'sugg low'],
      ['sibling_answer', 'good'],
      ['sibling_answer', 'mid'],
      ['model_response', 'bad'],
    ]);
    expect(startingPoint(starts[2]!)).toEqual({ kind: 'suggestion', agent: 'high', sha256: sha256Hex('sugg high') });
    expect(startingPoint(starts[0]!)).toEqual({ kind: 'sibling_correction', candidate_id: 's1', sha256: sha256Hex('fixed') });
  });

  it('keys prompts by text, assistant turns apart', () => {
    const k = promptKeys({
      prompt_messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'a' },
        { role: 'user', content: 'q2' },
      ] as never,
      model_response: 'r',
    });
    expect(k.turns).toEqual([{ before: promptKeys({ prompt_messages: user('q') as never, model_response: '' }).prompt_key, text: textKey('a') }]);
    expect(textKey('a')).toMatch(/^[0-9a-f]{14}$/);
    expect(textKey('a')).not.toBe(textKey('b'));
  });
});

describe('stats by where corrections started', () => {
  it('counts corrections per start kind, those committed as started, and the median time, from a fixture with known durations', async () => {
    const { service } = memoryService([{ id: 'a', model_response: 'x' }, { id: 'b', model_response: 'y' }, { id: 'c', model_response: 'z' }, { id: 'd' }, { id: 'e' }]);
    const bob: Reviewer = { name: 'Bob', email: 'bob@example.org' };
    const sug = (text: string) => startingPoint({ kind: 'suggestion', agent: 'llm', text });
    await service.decide(ann, { candidate_id: 'a', action: 'correct', corrected_response: 'taken as is', started_from: sug('taken as is') }, { durationMs: 1000 });
    await service.decide(ann, { candidate_id: 'b', action: 'correct', corrected_response: 'edited', started_from: sug('suggested') }, { durationMs: 3000 });
    await service.decide(bob, { candidate_id: 'a', action: 'correct', corrected_response: 'also taken', started_from: sug('also taken') }, { durationMs: 8000 });
    await service.decide(
      ann,
      { candidate_id: 'c', action: 'correct', corrected_response: 'typed', started_from: startingPoint({ kind: 'model_response', text: 'z' }) },
      { durationMs: 20000 },
    );
    await service.decide(ann, { candidate_id: 'd', action: 'correct', corrected_response: 'no start said' });
    await service.decide(ann, { candidate_id: 'e', action: 'discard' }, { durationMs: 500 });
    expect((await service.stats()).by_start).toEqual({
      model_response: { corrections: 1, unchanged_from_start: 0, timed: 1, median_ms: 20000 },
      suggestion: { corrections: 3, unchanged_from_start: 2, timed: 3, median_ms: 3000 },
      not_recorded: { corrections: 1, unchanged_from_start: 0, timed: 0, median_ms: null },
    });
  });
});
