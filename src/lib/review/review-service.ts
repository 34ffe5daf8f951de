/**
 * The review service: one labeling session over a repository, the same in the label
 * server (local mode) and in the page (hosted mode). It owns the review index (queue,
 * facets, counts) and turns each decision into a commit through a Committer, one at a
 * time, updating the index once the commit is durable. Statistics come from whoever
 * holds the whole data (the label server's read, the page's clone read whole).
 *
 * Committers: node/worktree-committer.ts (the working tree of a local clone),
 * client/clone-committer.ts (the page's IndexedDB clone; pushing is the hosted session's
 * own loop) and tests/helpers/memory-committer.ts (tests).
 */
import type { Decision } from '../records/correction.ts';
import { PloverError } from '../errors.ts';
import type { HistoryEntry } from './history.ts';
import type { CardContext, DecisionResult, LabelBackend, Session, SiblingView, UndoResult } from './label-backend.ts';
import { correctionPath } from '../records/paths.ts';
import { parseQueueFilter } from './queue-filter.ts';
import { ReviewIndex } from './review-index.ts';
import type { Candidate, Correction, Reviewer } from '../records/schema-types.generated.ts';
import { resolveCorrectedText } from '../team/resolve.ts';
import { MAX_SIBLINGS, sameQuestion, startsFor, turnTextAt } from './siblings.ts';
import type { Stats } from './stats.ts';
import type { Suggestion } from '../records/suggestions.ts';
import { isAdjudicator } from '../team/team.ts';
import { noCandidateMessage } from '../records/candidates.ts';

/** Where decisions are stored: each method resolves once what it wrote is durable. */
export interface Committer {
  /**
   * Commits one decision as its correction file.
   * @throws PloverError `E_INVALID_DECISION`, `E_UNCHANGED` (see createCorrection); nothing is written then.
   */
  commit(decision: Decision, reviewer: Reviewer, options: CommitOptions): Promise<{ oid: string; path: string; correction: Correction }>;
  /**
   * Commits the removal of the reviewer's correction file for a candidate.
   * @throws PloverError `E_NOTHING_TO_UNDO`.
   */
  undo(candidateId: string, reviewer: Reviewer, now?: Date): Promise<{ oid: string; path: string; undone: Correction }>;
  /** Every commit that touched the candidate's correction files, newest first; `paths` are the ones the index knows of. */
  history(candidateId: string, paths: string[]): Promise<HistoryEntry[]>;
}

export interface CommitOptions {
  /** The candidate's model response, so that an unchanged correction is caught. */
  modelResponse: string;
  /** Milliseconds the reviewer spent on the candidate. */
  durationMs?: number;
  /** The decision time (default: now). */
  now?: Date;
}

export class ReviewService {
  /** The queue, facets and counts, kept current with every commit. */
  readonly index: ReviewIndex;
  private readonly committer: Committer;
  /** The statistics of every reviewer's current decisions (`plover stats`). */
  readonly stats: () => Promise<Stats>;
  /** Decisions commit one at a time: each commit's parent is the one before. */
  private tail: Promise<unknown> = Promise.resolve();

  /** Each candidate's imported suggestions (lib/records/suggestions.ts). */
  suggestions: ReadonlyMap<string, Suggestion[]> = new Map();
  /** Reads a correction file whose text the index does not hold (the hosted page's index keeps outlines). */
  private readonly readCorrection: (file: string) => Promise<Correction | undefined>;

  constructor(index: ReviewIndex, committer: Committer, stats: () => Promise<Stats>, readCorrection: (file: string) => Promise<Correction | undefined> = async () => undefined) {
    this.index = index;
    this.committer = committer;
    this.stats = stats;
    this.readCorrection = readCorrection;
  }

  session(reviewer: Reviewer): Session {
    const team = this.index.membership(reviewer);
    return {
      reviewer,
      counts: this.index.counts(reviewer),
      remaining: this.index.remaining(reviewer),
      total: this.index.candidateCount,
      ...(team ? { team } : {}),
      ...(isAdjudicator(this.index.team, reviewer.email) ? { adjudicator: true } : {}),
    };
  }

  /**
   * Commits one decision, after every decision submitted before it.
   * @throws PloverError `E_UNKNOWN_CANDIDATE`, or whatever the committer throws; nothing is written then.
   */
  decide(reviewer: Reviewer, decision: Decision, options: { durationMs?: number; now?: Date } = {}): Promise<DecisionResult> {
    return this.serialize(async () => {
      const candidate = await this.requireCandidate(decision.candidate_id);
      if (decision.started_from?.candidate_id !== undefined) this.requireKnown(decision.started_from.candidate_id);
      // Never taken from the input: an adjudicator's decision on a candidate the others disagree on settles it.
      const adjudication = isAdjudicator(this.index.team, reviewer.email) && this.index.othersDisagree(decision.candidate_id, reviewer);
      const { adjudication: _asked, ...asked } = decision;
      const result = await this.committer.commit(adjudication ? { ...asked, adjudication } : asked, reviewer, { ...options, modelResponse: candidate.model_response });
      this.index.set({ correction: result.correction, file: result.path });
      return { ...result, counts: this.index.counts(reviewer), remaining: this.index.remaining(reviewer) };
    });
  }

  /**
   * Undoes the reviewer's current decision on a candidate (a commit that removes its file).
   * @throws PloverError `E_UNKNOWN_CANDIDATE`, `E_NOTHING_TO_UNDO`.
   */
  undo(reviewer: Reviewer, candidateId: string, now?: Date): Promise<UndoResult & { path: string }> {
    return this.serialize(async () => {
      this.requireKnown(candidateId);
      const result = await this.committer.undo(candidateId, reviewer, now);
      this.index.delete(result.path);
      return { ...result, counts: this.index.counts(reviewer), remaining: this.index.remaining(reviewer) };
    });
  }

  /**
   * Who decided what on a candidate, when, in which commit, newest first; `reviewer`'s
   * own file is looked at even when they undid their decision.
   * @throws PloverError `E_UNKNOWN_CANDIDATE`.
   */
  async history(candidateId: string, reviewer?: Reviewer): Promise<HistoryEntry[]> {
    this.requireKnown(candidateId);
    const paths = new Set<string>(reviewer ? [correctionPath(candidateId, reviewer.email)] : []);
    for (const { correction: c } of this.index.records()) if (c.candidate_id === candidateId) paths.add(correctionPath(c.candidate_id, c.reviewer.email));
    return this.committer.history(candidateId, [...paths]);
  }

  /** A candidate's current corrections, whole. */
  private async correctionsOf(id: string): Promise<Correction[]> {
    const records = await Promise.all(
      this.index.recordsOf(id).map(async (r) => ('schema_version' in r.correction ? (r.correction as Correction) : await this.readCorrection(r.file))),
    );
    return records.filter((c): c is Correction => c !== undefined);
  }

  /**
   * A candidate's siblings (lib/review/siblings.ts: the same prompt, earlier turns read as their
   * resolved corrections) with their decisions, and the starts its correction can take.
   * @throws PloverError `E_UNKNOWN_CANDIDATE`.
   */
  async context(id: string): Promise<CardContext> {
    const candidate = await this.requireCandidate(id);
    const group = this.index.promptGroup(id);
    const earlier = new Map<string, string[][]>([id, ...group].map((c) => [c, this.index.earlierTurns(c)]));
    await this.index.texts.load([...group, ...[...earlier.values()].flat(2)]);
    // Each earlier turn read as its resolved correction (the default majority policy), else as the prompt has it.
    const resolved = new Map<string, string | undefined>();
    for (const turnIds of earlier.values()) {
      for (const eid of turnIds.flat()) if (!resolved.has(eid)) resolved.set(eid, resolveCorrectedText(await this.correctionsOf(eid), 'majority'));
    }
    const turnText = (c: Candidate, i: number) => {
      const own = turnTextAt(c, i);
      for (const eid of earlier.get(c.id)?.[i] ?? []) {
        // Found by keys: the earlier candidate's answer must be this very text.
        const text = this.index.texts.get(eid)?.model_response === own ? resolved.get(eid) : undefined;
        if (text !== undefined) return text;
      }
      return own;
    };
    const all = group.filter((sid) => sameQuestion(candidate, this.index.texts.get(sid)!, turnText));
    // Those with decisions first (their corrections are starts), then in queue order, MAX_SIBLINGS at most.
    const decided = all.filter((sid) => this.index.recordsOf(sid).length > 0);
    const listed = [...decided, ...all.filter((sid) => !decided.includes(sid))].slice(0, MAX_SIBLINGS);
    const siblings: SiblingView[] = [];
    for (const sid of listed) {
      const sibling = this.index.texts.get(sid)!;
      const corrections = await this.correctionsOf(sid);
      const corrected = resolveCorrectedText(corrections, 'majority');
      siblings.push({
        id: sid,
        candidate: sibling,
        model: sibling.model_name || sibling.model_id,
        run: sibling.benchmark_run_id,
        score: sibling.quality_score,
        decisions: corrections.map((c) => ({ reviewer: c.reviewer.email, action: c.action })),
        ...(corrected === undefined ? {} : { corrected }),
      });
    }
    const byId = new Map(siblings.map((s) => [s.id, s]));
    const starts = startsFor(
      candidate,
      siblings.map((s) => ({
        candidate: this.index.texts.get(s.id)!,
        ...(s.corrected === undefined
          ? {}
          : {
              corrected: s.corrected,
              reviewers: byId
                .get(s.id)!
                .decisions.filter((d) => d.action === 'correct')
                .map((d) => d.reviewer),
            }),
      })),
      this.suggestions.get(id) ?? [],
    );
    return { candidate_id: id, sibling_count: all.length, siblings, starts };
  }

  /** The LabelBackend of one reviewer: what the pages call. */
  backend(reviewer: Reviewer): LabelBackend {
    return {
      session: async () => this.session(reviewer),
      queue: (after, limit, filters = {}) => this.index.queuePage(reviewer, after, limit, parseQueueFilter(new URLSearchParams(filters))),
      facets: async () => this.index.facets(reviewer),
      stats: () => this.stats(),
      decide: (decision, durationMs) => this.decide(reviewer, decision, durationMs === undefined ? {} : { durationMs }),
      undo: async (candidateId) => {
        const { path: _path, ...result } = await this.undo(reviewer, candidateId);
        return result;
      },
      history: (candidateId) => this.history(candidateId, reviewer),
      context: (candidateId) => this.context(candidateId),
    };
  }

  /**
   * Runs `run` between commits, none in flight: for changing the index from outside (the
   * label server taking in what a `git pull` brought).
   */
  exclusively<T>(run: () => Promise<T>): Promise<T> {
    return this.serialize(run);
  }

  /** Runs commits one at a time; a failed one does not stop those after it. */
  private serialize<T>(run: () => Promise<T>): Promise<T> {
    const result = this.tail.then(run, run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  private requireKnown(id: string): void {
    if (!this.index.has(id)) {
      throw new PloverError('E_UNKNOWN_CANDIDATE', noCandidateMessage(id));
    }
  }

  private async requireCandidate(id: string): Promise<Candidate> {
    this.requireKnown(id);
    return (await this.index.candidate(id))!;
  }
}
