// The team's split (team.ts): rendezvous hashing of candidates over members, checked as
// properties, and the queue, counts and statistics that follow from it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { indexCandidates, parseCandidateFile } from '../../src/lib/records/candidates.ts';
import { createCorrection } from '../../src/lib/records/correction.ts';
import { resolveDecision } from '../../src/lib/team/resolve.ts';
import { MemoryCommitter } from '../helpers/memory-committer.ts';
import { correctionPath } from '../../src/lib/records/paths.ts';
import { ReviewIndex } from '../../src/lib/review/review-index.ts';
import { ReviewService } from '../../src/lib/review/review-service.ts';
import type { Reviewer } from '../../src/lib/records/schema-types.generated.ts';
import { computeStats } from '../../src/lib/review/stats.ts';
import { assignees, parseTeam, type Team } from '../../src/lib/team/team.ts';
import { candidateLine } from '../helpers/repo.ts';
import type { LocatedCorrection } from '../../src/lib/records/correction.ts';

const emails = (n: number) => Array.from({ length: n }, (_, i) => `member${i}@example.org`);
const ids = (n: number) => Array.from({ length: n }, (_, i) => `sftc_${i.toString(16).padStart(6, '0')}`);

function data(count: number) {
  const parsed = parseCandidateFile(
    ids(count)
      .map((id) => candidateLine({ id }))
      .join('\n'),
    'candidates/run_test.jsonl',
  );
  const { byId } = indexCandidates(parsed.candidates);
  return { candidates: byId, candidateOrder: parsed.candidates.map((c) => c.candidate.id), problems: [] };
}

describe('assignees', () => {
  it('gives each candidate exactly min(overlap, team size) distinct members, the same every time', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 }), fc.string({ minLength: 1, maxLength: 40 }), (size, overlap, id) => {
        const team = { members: emails(size), overlap };
        const to = assignees(team, id);
        expect(to).toHaveLength(Math.min(overlap, size));
        expect(new Set(to).size).toBe(to.length);
        expect(to.every((m) => team.members.includes(m))).toBe(true);
        // Deterministic, and independent of the order the file lists the members in.
        expect(assignees({ members: [...team.members].reverse(), overlap }, id)).toEqual(to);
      }),
    );
  });

  it('moves about 1/(n+1) of the assignments when a member joins, and only to the newcomer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 3 }), (size, overlap) => {
        const before = { members: emails(size), overlap };
        const after = { members: emails(size + 1), overlap };
        const newcomer = after.members.at(-1)!;
        let moved = 0;
        let total = 0;
        for (const id of ids(3000)) {
          const was = assignees(before, id);
          const now = assignees(after, id);
          total += was.length;
          const lost = was.filter((m) => !now.includes(m));
          // A member keeps a candidate unless the newcomer takes its place.
          expect(now.filter((m) => !was.includes(m)).every((m) => m === newcomer)).toBe(true);
          moved += lost.length;
        }
        // Exactly min(overlap, n)/(n+1) of the candidates go to the newcomer when overlap < n+1; 3000 draws: within 3 points.
        const expected = overlap <= size ? 1 / (size + 1) : 0;
        expect(moved / total).toBeLessThanOrEqual(expected + 0.03);
        expect(moved / total).toBeGreaterThanOrEqual(Math.max(0, expected - 0.03));
      }),
      { numRuns: 24 },
    );
  });
});

describe('parseTeam', () => {
  it('names the JSON path and the fix of every problem', () => {
    expect(parseTeam({}, 'plover.config.json')).toEqual({ team: null, problems: [] });
    expect(parseTeam({ team: { members: ['Ann@Example.org ', 'bob@example.org'] } }, 'plover.config.json').team).toEqual({
      members: ['ann@example.org', 'bob@example.org'],
      overlap: 1,
      adjudicators: [],
    });
    expect(parseTeam({ team: { adjudicators: ['Cat@example.org'] } }, 'plover.config.json').team).toEqual({ members: [], overlap: 1, adjudicators: ['cat@example.org'] });
    expect(parseTeam({ team: {} }, 'plover.config.json').problems.map((p) => p.path)).toEqual(['team']);
    const { team, problems } = parseTeam({ team: { members: ['ann@example.org', 'nobody', 'ANN@example.org'], overlap: 0, size: 3 } }, 'plover.config.json');
    expect(team).toBeNull();
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'team.size: is not a team setting; the settings are "members", "overlap" and "adjudicators"',
      'team.members[1]: "nobody" is not an email address in printable ASCII; write the email the reviewer signs their decisions with',
      'team.members[2]: "ANN@example.org" is listed twice; list each reviewer once',
      'team.overlap: 0 is not a whole number of reviewers per candidate (1 or more)',
    ]);
    expect(parseTeam({ team: [] }, 'plover.config.json').problems[0]).toMatchObject({ path: 'team' });
  });

  it('refuses an email with an invisible or look-alike character, naming it, and an overlap above the team size', () => {
    const { problems } = parseTeam({ team: { members: ['ann@example.org', 'bob\u200b@example.org', 'c\u0430t@example.org'], overlap: 2 } }, 'plover.config.json');
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'team.members[1]: "bob\u200b@example.org" is not an email address in printable ASCII (it holds U+200B); write the email the reviewer signs their decisions with',
      'team.members[2]: "c\u0430t@example.org" is not an email address in printable ASCII (it holds U+0430); write the email the reviewer signs their decisions with',
      'team.overlap: is 2, more than the 1 member of the team: each candidate would go to fewer reviewers than it says; lower it or list more members',
    ]);
  });

  it('takes a team of 100,000 members, each checked once', () => {
    const members = Array.from({ length: 100_000 }, (_, i) => `m${i}@example.org`);
    expect(parseTeam({ team: { members: [...members, 'M7@example.org'] } }, 'plover.config.json').problems).toEqual([
      { file: 'plover.config.json', path: 'team.members[100000]', message: '"M7@example.org" is listed twice; list each reviewer once' },
    ]);
  });
});

describe('a team sharing the work', () => {
  const members: Reviewer[] = emails(3).map((email, i) => ({ name: `Member ${i}`, email }));
  const outsider: Reviewer = { name: 'Out Sider', email: 'outsider@example.org' };

  /** Every member takes the next candidate of their queue in turn, until every queue is empty. */
  async function splitAll(overlap: number) {
    const d = data(640);
    const team: Team = { members: members.map((m) => m.email), overlap, adjudicators: [] };
    const committer = new MemoryCommitter();
    const index = ReviewIndex.ofData<LocatedCorrection>(d, [], team);
    const service = new ReviewService(index, committer, async () => computeStats(d.candidates, index.records(), team));
    for (let busy = true; busy;) {
      busy = false;
      for (const m of members) {
        const [next] = (await service.backend(m).queue(null, 1)).items;
        if (!next) continue;
        busy = true;
        await service.decide(m, { candidate_id: next.id, action: 'flag' });
      }
    }
    return { service, index, team };
  }

  it('with overlap 1, three members split 640 candidates: each decided once, each by the member it is assigned to', async () => {
    const { service, index, team } = await splitAll(1);
    const decided = index.records().map((c) => c.correction.candidate_id);
    expect(decided).toHaveLength(640);
    expect(new Set(decided).size).toBe(640);
    for (const c of index.records()) expect(assignees(team, c.correction.candidate_id)).toEqual([c.correction.reviewer.email]);
    const stats = await service.stats();
    expect(Object.values(stats.team!.members).reduce((n, p) => n + p.assigned, 0)).toBe(640);
    for (const p of Object.values(stats.team!.members)) expect(p).toMatchObject({ decided: p.assigned, open: 0 });
    for (const m of members) expect((await service.backend(m).session()).remaining).toBe(0);
  });

  it('with overlap 2, every candidate gets two decisions, from two different members', async () => {
    const { index } = await splitAll(2);
    const byCandidate = new Map<string, string[]>();
    for (const { correction: c } of index.records()) byCandidate.set(c.candidate_id, [...(byCandidate.get(c.candidate_id) ?? []), c.reviewer.email]);
    expect(byCandidate.size).toBe(640);
    for (const who of byCandidate.values()) expect(new Set(who).size).toBe(2);
  });

  it('keeps queues and counts as a recomputation would: a candidate decided by `overlap` reviewers leaves every queue; "everything" is one filter away; outsiders see everything', async () => {
    const d = data(60);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.record({ id: fc.constantFrom(...d.candidateOrder), who: fc.constantFrom(...members, outsider), undo: fc.boolean() }), { maxLength: 60 }),
        async (overlap, steps) => {
          const team: Team = { members: members.map((m) => m.email), overlap, adjudicators: [] };
          const index = ReviewIndex.ofData<LocatedCorrection>(d, [], team);
          const current = new Map<string, LocatedCorrection>();
          steps.forEach((s, i) => {
            const file = correctionPath(s.id, s.who.email);
            if (s.undo) {
              index.delete(file);
              current.delete(file);
            } else {
              const c = { correction: createCorrection({ candidate_id: s.id, action: 'discard' }, s.who, new Date(Date.UTC(2024, 0, 1, 0, i))), file };
              index.set(c);
              current.set(file, c);
            }
          });
          const deciders = (id: string) => [...current.values()].filter((c) => c.correction.candidate_id === id).map((c) => c.correction.reviewer.email);
          for (const who of [...members, outsider]) {
            const mineUndecided = d.candidateOrder.filter((id) => !deciders(id).includes(who.email));
            const member = who !== outsider;
            const everything = member ? mineUndecided.filter((id) => deciders(id).length < overlap) : mineUndecided;
            const assigned = member ? everything.filter((id) => assignees(team, id).includes(who.email)) : everything;
            expect((await index.queuePage(who, null, 100)).items.map((c) => c.id)).toEqual(assigned);
            expect((await index.queuePage(who, null, 100, { state: 'undecided', sort: 'file', scope: 'all' })).items.map((c) => c.id)).toEqual(everything);
            expect(index.remaining(who)).toBe(assigned.length);
            expect(index.membership(who)).toEqual(member ? { overlap, assigned: d.candidateOrder.filter((id) => assignees(team, id).includes(who.email)).length } : null);
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('adjudicators', () => {
  const [ann, bob, cat] = (['ann', 'bob', 'cat'] as const).map((n) => ({ name: n, email: `${n}@example.org` }));

  function setUp() {
    const d = data(3);
    const team: Team = { members: [], overlap: 1, adjudicators: ['cat@example.org'] };
    const index = ReviewIndex.ofData<LocatedCorrection>(d, [], team);
    const committer = new MemoryCommitter();
    return { service: new ReviewService(index, committer, async () => computeStats(d.candidates, index.records(), team)), index, ids: d.candidateOrder };
  }

  it("records an adjudicator's decision on a candidate the others disagree on as an adjudication, which settles it under every policy", async () => {
    const { service, index, ids } = setUp();
    const [disputed, agreed] = ids as [string, string];
    await service.decide(ann!, { candidate_id: disputed, action: 'correct', corrected_response: 'A' });
    await service.decide(bob!, { candidate_id: disputed, action: 'discard' });
    await service.decide(ann!, { candidate_id: agreed, action: 'flag' });
    await service.decide(bob!, { candidate_id: agreed, action: 'flag' });
    expect(index.inConflict(disputed)).toBe(true);
    // A third action: under majority still a split, but the adjudicator's decision settles it.
    const settled = await service.decide(cat!, { candidate_id: disputed, action: 'flag', failure_category: 'hallucination' });
    expect(settled.correction.adjudication).toBe(true);
    expect(index.inConflict(disputed)).toBe(false);
    const group = index
      .records()
      .filter((c) => c.correction.candidate_id === disputed)
      .map((c) => c.correction);
    for (const policy of ['majority', 'unanimous', 'latest'] as const) expect(resolveDecision(group, policy)).toEqual({ decision: settled.correction });
    // Where the others agree, or for anyone else, a decision is an ordinary one.
    expect((await service.decide(cat!, { candidate_id: agreed, action: 'discard' })).correction.adjudication).toBeUndefined();
    expect((await service.decide(ann!, { candidate_id: disputed, action: 'discard', adjudication: true })).correction.adjudication).toBeUndefined();
    expect((await service.stats()).adjudicated).toBe(1);
    expect((await service.backend(cat!).session()).adjudicator).toBe(true);
    expect((await service.backend(ann!).session()).adjudicator).toBeUndefined();
  });
});
