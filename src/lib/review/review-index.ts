/**
 * What the review page asks of the data: the queue under a filter, the filter bar's
 * facets and each reviewer's counts, computed from candidate outlines (no texts) and the
 * current corrections. The review service (review-service.ts) keeps one, in the label
 * server and in the hosted page alike, and tells it about each commit.
 *
 * Texts (prompt, response) come from a CandidateTexts: all in memory in the label
 * server; in the hosted page, read from the browser's store as cards are shown
 * (client/index-snapshot.ts), so a later visit does not read every candidate first.
 * What it reads of candidates and corrections, the outlines, is outline.ts.
 */
import type { LocatedCandidate } from '../records/candidates.ts';
import { normalizeEmail } from '../records/paths.ts';
import { matchesFilter, parseQueueFilter, sortCandidates, type QueueFilter, type SortOrder } from './queue-filter.ts';
import type { CandidateData } from '../records/repository.ts';
import { countByAction } from '../team/review-state.ts';
import type { Candidate, Reviewer } from '../records/schema-types.generated.ts';
import { assignees, type Team } from '../team/team.ts';
import { outlineOf, type CandidateOutline, type CandidateTexts, type LocatedOutline } from './outline.ts';
import { compareOrdinal } from '../ordinal.ts';

const DEFAULT_FILTER: QueueFilter = parseQueueFilter(new URLSearchParams());

/** Candidates all in memory (the label server, `plover submit`, tests). */
function textsInMemory(candidates: ReadonlyMap<string, LocatedCandidate>): CandidateTexts {
  return { get: (id) => candidates.get(id)?.candidate, load: async () => undefined };
}

type Outline = LocatedOutline['correction'];
const NONE: ReadonlyMap<string, Outline> = new Map();

type FacetTally = Map<string, { count: number; label: string }>;

/** Candidates counted by run, model and task type (with each one's label). */
function tallyFacets(candidates: Iterable<CandidateOutline>): Record<'runs' | 'models' | 'taskTypes', FacetTally> {
  const out: Record<'runs' | 'models' | 'taskTypes', FacetTally> = { runs: new Map(), models: new Map(), taskTypes: new Map() };
  for (const c of candidates) {
    for (const [map, key, label] of [
      [out.runs, c.benchmark_run_id, c.benchmark_run_id],
      [out.models, c.model_id, c.model_name || c.model_id],
      [out.taskTypes, c.task_type, c.task_type],
    ] as const) {
      const entry = map.get(key);
      if (entry) entry.count += 1;
      else map.set(key, { count: 1, label });
    }
  }
  return out;
}

export class ReviewIndex<C extends LocatedOutline = LocatedOutline> {
  /** The candidates' outlines, by id and in queue (file) order. */
  private readonly outlines = new Map<string, CandidateOutline>();
  private readonly order: string[];
  readonly texts: CandidateTexts;
  /** Corrections by path: a new decision of the same reviewer replaces the old one. */
  private readonly corrections = new Map<string, C>();
  /**
   * Each reviewer's current decisions by candidate id (reviewers by normalised email),
   * kept with every change, so what the page asks after each decision does not walk
   * every correction (at 100k that walk was most of a decision's round trip).
   */
  private readonly byReviewer = new Map<string, Map<string, Outline>>();
  /** Each reviewer's decided candidates counted by run, model and task type, kept the same way. */
  private readonly decidedFacets = new Map<string, Record<'runs' | 'models' | 'taskTypes', Map<string, number>>>();
  /** The team sharing the work (team.ts), or null: everyone reviews everything. */
  readonly team: Team | null;
  /** With a team: the members each candidate is assigned to. */
  private readonly assigned = new Map<string, string[]>();
  /** The correction files of each candidate. */
  private readonly filesOf = new Map<string, string[]>();
  /** normalizeEmail of each reviewer email met: the corrections repeat a few emails. */
  private readonly emailKeys = new Map<string, string>();
  /** With a team: per member, the candidates assigned to them that are still open (see isOpen). */
  private readonly open = new Map<string, number>();

  /** @param outlines in queue (file) order, ids unique. */
  constructor(outlines: Iterable<CandidateOutline>, texts: CandidateTexts, corrections: Iterable<C>, team: Team | null = null) {
    for (const o of outlines) this.outlines.set(o.id, o);
    this.order = [...this.outlines.keys()];
    this.texts = texts;
    this.team = team;
    if (team) {
      for (const m of team.members) this.open.set(m, 0);
      for (const id of this.order) {
        const to = assignees(team, id);
        this.assigned.set(id, to);
        for (const m of to) this.open.set(m, this.open.get(m)! + 1);
      }
    }
    for (const c of corrections) this.set(c);
  }

  /** An index over candidates read whole (the label server, tests). */
  static ofData<C extends LocatedOutline>(data: CandidateData, corrections: Iterable<C>, team: Team | null = null): ReviewIndex<C> {
    return new ReviewIndex(
      data.candidateOrder.map((id) => outlineOf(data.candidates.get(id)!.candidate)),
      textsInMemory(data.candidates),
      corrections,
      team,
    );
  }

  /**
   * Whether a candidate is still open for a member it is assigned to: they have not
   * decided it, and fewer than `overlap` reviewers have (once `overlap` did, it leaves
   * every member's queue).
   */
  private isOpen(member: string, id: string): boolean {
    return !this.byReviewer.get(member)?.has(id) && this.decidersOf(id) < this.team!.overlap;
  }

  /** Runs a change to one candidate's decisions, keeping its assignees' open counts. */
  private counting(id: string, change: () => void): void {
    if (!this.team) return change();
    const to = this.assigned.get(id) ?? [];
    const before = to.map((m) => this.isOpen(m, id));
    change();
    to.forEach((m, i) => {
      const now = this.isOpen(m, id);
      if (now !== before[i]) this.open.set(m, this.open.get(m)! + (now ? 1 : -1));
    });
  }

  /**
   * Whether a candidate's reviewers disagree: two or more decided it, no action has more
   * than half of them, and no adjudicator settled it (the default `majority` policy's
   * conflict, lib/team/resolve.ts).
   */
  inConflict(id: string): boolean {
    if (this.decidersOf(id) < 2) return false;
    const actions = new Map<string, number>();
    let total = 0;
    for (const decisions of this.byReviewer.values()) {
      const d = decisions.get(id);
      if (!d) continue;
      // An adjudicator's decision settles it (lib/team/resolve.ts resolveDecision).
      if (d.adjudication) return false;
      total += 1;
      actions.set(d.action, (actions.get(d.action) ?? 0) + 1);
    }
    return Math.max(...actions.values()) * 2 <= total;
  }

  /** Whether reviewers other than this one disagree on a candidate: two or more of them decided it, not all alike. */
  othersDisagree(id: string, reviewer: Reviewer): boolean {
    const me = normalizeEmail(reviewer.email);
    const actions = new Set<string>();
    let others = 0;
    for (const [who, decisions] of this.byReviewer) {
      const d = who === me ? undefined : decisions.get(id);
      if (!d) continue;
      others += 1;
      actions.add(d.action);
    }
    return others >= 2 && actions.size > 1;
  }

  /** This reviewer's place in the team: null when there is no team or they are not on it. */
  membership(reviewer: Reviewer): { overlap: number; assigned: number } | null {
    const me = normalizeEmail(reviewer.email);
    if (!this.team?.members.includes(me)) return null;
    let assigned = 0;
    for (const to of this.assigned.values()) if (to.includes(me)) assigned += 1;
    return { overlap: this.team.overlap, assigned };
  }

  get candidateCount(): number {
    return this.outlines.size;
  }

  has(id: string): boolean {
    return this.outlines.has(id);
  }

  /** The whole candidate with this id, if there is one. */
  async candidate(id: string): Promise<Candidate | undefined> {
    if (!this.outlines.has(id)) return undefined;
    await this.texts.load([id]);
    return this.texts.get(id);
  }

  /** Records a committed correction (replacing the one at its path). */
  set(correction: C): void {
    this.counting(correction.correction.candidate_id, () => this.setUncounted(correction));
  }

  private setUncounted(correction: C): void {
    const { file, correction: c } = correction;
    if (this.corrections.has(file)) this.deleteUncounted(file);
    this.corrections.set(file, correction);
    const id = c.candidate_id;
    const files = this.filesOf.get(id);
    if (files) files.push(file);
    else this.filesOf.set(id, [file]);
    const key = this.emailKey(c.reviewer.email);
    let mine = this.byReviewer.get(key);
    if (!mine) this.byReviewer.set(key, (mine = new Map()));
    const had = mine.has(id);
    mine.set(id, c);
    if (!had) this.countDecided(key, id, 1);
  }

  /** How many reviewers decided a candidate (one current decision each: one file each). */
  private decidersOf(id: string): number {
    return this.filesOf.get(id)?.length ?? 0;
  }

  private emailKey(email: string): string {
    let key = this.emailKeys.get(email);
    if (key === undefined) this.emailKeys.set(email, (key = normalizeEmail(email)));
    return key;
  }

  /** Forgets the correction at `path` (an undo). */
  delete(path: string): void {
    const old = this.corrections.get(path)?.correction;
    if (old) this.counting(old.candidate_id, () => this.deleteUncounted(path));
  }

  private deleteUncounted(path: string): void {
    const old = this.corrections.get(path)?.correction;
    if (!old) return;
    this.corrections.delete(path);
    const files = this.filesOf.get(old.candidate_id);
    if (files?.includes(path)) files.splice(files.indexOf(path), 1);
    const key = this.emailKey(old.reviewer.email);
    const mine = this.byReviewer.get(key);
    if (mine?.get(old.candidate_id) === old) {
      mine.delete(old.candidate_id);
      this.countDecided(key, old.candidate_id, -1);
    }
  }

  private countDecided(reviewer: string, candidateId: string, by: 1 | -1): void {
    const c = this.outlines.get(candidateId);
    if (!c) return;
    let tally = this.decidedFacets.get(reviewer);
    if (!tally) this.decidedFacets.set(reviewer, (tally = { runs: new Map(), models: new Map(), taskTypes: new Map() }));
    tally.runs.set(c.benchmark_run_id, (tally.runs.get(c.benchmark_run_id) ?? 0) + by);
    tally.models.set(c.model_id, (tally.models.get(c.model_id) ?? 0) + by);
    tally.taskTypes.set(c.task_type, (tally.taskTypes.get(c.task_type) ?? 0) + by);
  }

  /**
   * One page of the queue under a filter: up to `limit` matching candidates that come
   * after `after` in the filter's sort order (from the start when `after` is null or
   * unknown), and how many this reviewer has left overall. A text search reads every
   * candidate's texts first.
   */
  async queuePage(
    reviewer: Reviewer,
    after: string | null,
    limit: number,
    filter: QueueFilter = DEFAULT_FILTER,
  ): Promise<{ items: Candidate[]; remaining: number; matching?: number }> {
    if (filter.q) await this.texts.load();
    const order = this.sorted(filter.sort);
    const mine = this.mine(reviewer);
    const me = normalizeEmail(reviewer.email);
    // A member's undecided queue: open candidates, assigned to them unless they asked for everything.
    const shared = this.team?.members.includes(me) && filter.state === 'undecided';
    const inQueue = (id: string) => this.decidersOf(id) < this.team!.overlap && (filter.scope === 'all' || this.assigned.get(id)!.includes(me));
    const matches = (c: CandidateOutline) =>
      (!shared || inQueue(c.id)) && (filter.state !== 'conflict' || this.inConflict(c.id)) && matchesFilter(filter, c, mine.get(c.id), () => this.searchText(c.id));
    // Walks on from `after` only as far as one page needs: a page costs the same at 100k candidates as at 1k.
    const ids: string[] = [];
    const from = after === null ? 0 : (order.position.get(after) ?? -1) + 1;
    for (let i = from; i < order.ids.length && ids.length < limit; i++) {
      if (matches(this.outlines.get(order.ids[i]!)!)) ids.push(order.ids[i]!);
    }
    await this.texts.load(ids);
    const items = ids.map((id) => this.texts.get(id)!);
    if (after !== null) return { items, remaining: this.remaining(reviewer) };
    // The first page of a filter also says how many match in all (one pass, once per filter change).
    let matching = 0;
    for (const outline of this.outlines.values()) if (matches(outline)) matching += 1;
    return { items, remaining: this.remaining(reviewer), matching };
  }

  /** How many candidates this reviewer has left: not decided by them; for a team member, the open ones assigned to them. */
  remaining(reviewer: Reviewer): number {
    const me = normalizeEmail(reviewer.email);
    if (this.team?.members.includes(me)) return this.open.get(me)!;
    return this.outlines.size - this.mine(reviewer).size;
  }

  /** Runs, models and task types with their totals and this reviewer's progress, for the filter bar. */
  facets(reviewer: Reviewer) {
    // Totals once (candidates do not change); this reviewer's progress from their decisions only.
    this.facetTotals ??= tallyFacets(this.outlines.values());
    const decided = this.decidedFacets.get(normalizeEmail(reviewer.email)) ?? { runs: new Map(), models: new Map(), taskTypes: new Map() };
    const list = (totals: FacetTally, done: Map<string, number>) =>
      [...totals].sort(([a], [b]) => compareOrdinal(a, b)).map(([id, v]) => ({ id, total: v.count, decided: done.get(id) ?? 0, label: v.label }));
    return {
      runs: list(this.facetTotals.runs, decided.runs),
      models: list(this.facetTotals.models, decided.models),
      task_types: list(this.facetTotals.taskTypes, decided.taskTypes),
    };
  }
  private facetTotals: Record<'runs' | 'models' | 'taskTypes', FacetTally> | undefined;

  /** This reviewer's decisions per action. */
  counts(reviewer: Reviewer) {
    return countByAction(this.mine(reviewer).values());
  }

  /** Every current correction, in no particular order. */
  records(): C[] {
    return [...this.corrections.values()];
  }

  private byPrompt: Map<string, string[]> | undefined;
  private byResponse: Map<string, string[]> | undefined;
  /** Candidates by prompt_key, and by prompt_key, model and response_key, built on the first question. */
  private promptMaps() {
    if (!this.byPrompt || !this.byResponse) {
      const byPrompt = new Map<string, string[]>();
      const byResponse = new Map<string, string[]>();
      const push = (map: Map<string, string[]>, key: string, id: string) => {
        const list = map.get(key);
        if (list) list.push(id);
        else map.set(key, [id]);
      };
      for (const o of this.outlines.values()) {
        push(byPrompt, o.prompt_key, o.id);
        push(byResponse, `${o.prompt_key}\u0000${o.model_id}\u0000${o.response_key}`, o.id);
      }
      this.byPrompt = byPrompt;
      this.byResponse = byResponse;
    }
    return { byPrompt: this.byPrompt, byResponse: this.byResponse };
  }

  /** The other candidates whose prompt has the same key (lib/review/siblings.ts): who may be a sibling, in queue order. */
  promptGroup(id: string): string[] {
    const o = this.outlines.get(id);
    return o
      ? this.promptMaps()
          .byPrompt.get(o.prompt_key)!
          .filter((other) => other !== id)
      : [];
  }

  /** For each assistant message of a candidate's prompt: the candidates of the same model whose prompt and response it continues (lib/export/earlier-turns.ts). */
  earlierTurns(id: string): string[][] {
    const o = this.outlines.get(id);
    if (!o?.turns) return [];
    const { byResponse } = this.promptMaps();
    return o.turns.map((t) => (byResponse.get(`${t.before}\u0000${o.model_id}\u0000${t.text}`) ?? []).filter((other) => other !== id));
  }

  /** Every current correction of one candidate. */
  recordsOf(id: string): C[] {
    return [...(this.filesOf.get(id) ?? [])].map((file) => this.corrections.get(file)!);
  }

  /** The candidates' outlines in queue (file) order. */
  outlinesInOrder(): CandidateOutline[] {
    return this.order.map((id) => this.outlines.get(id)!);
  }

  /** This reviewer's current decisions, by candidate id. */
  private mine(reviewer: Reviewer): ReadonlyMap<string, Outline> {
    return this.byReviewer.get(normalizeEmail(reviewer.email)) ?? NONE;
  }

  private readonly orders = new Map<SortOrder, { ids: string[]; position: Map<string, number> }>();
  /** Candidate ids in a sort order, with each id's place: computed once per order (candidates do not change). */
  private sorted(sort: SortOrder) {
    let order = this.orders.get(sort);
    if (!order) {
      const ids = sortCandidates(this.outlinesInOrder(), sort).map((c) => c.id);
      order = { ids, position: new Map(ids.map((id, i) => [id, i])) };
      this.orders.set(sort, order);
    }
    return order;
  }

  private readonly search = new Map<string, string>();
  /** A candidate's prompt, response and id, lower-cased, built on the first search (its texts loaded). */
  private searchText(id: string): string {
    let text = this.search.get(id);
    if (text === undefined) {
      const c = this.texts.get(id)!;
      text = [c.id, ...c.prompt_messages.map((m) => m.content), c.model_response].join('\n').toLowerCase();
      this.search.set(id, text);
    }
    return text;
  }
}
