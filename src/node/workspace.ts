/**
 * Opens a local clone for labeling: commits what an interrupted run left, reads and
 * checks the candidates and corrections, and gives the review service that both the
 * label server and `plover submit` commit decisions through.
 */
import type { LocatedCandidate } from '../lib/candidates.ts';
import { invalidRepository, readCandidates, readCorrections } from '../lib/repository.ts';
import { requireTeam, type Team } from '../lib/team.ts';
import { ReviewIndex } from '../lib/review-index.ts';
import { ReviewService } from '../lib/review-service.ts';
import type { Candidate } from '../lib/schema-types.ts';
import { computeStats } from '../lib/stats.ts';
import { createAtomicFs } from './atomic-fs.ts';
import { findCandidate } from './find-candidate.ts';
import { readConfigFile, SITE_CONFIG_FILE } from './site-config.ts';
import { recoverUncommitted, type Recovered } from './recover.ts';
import { worktreeSource } from './sources.ts';
import { WorktreeCommitter } from './worktree-committer.ts';

export class Workspace {
  readonly service: ReviewService;
  /** Decisions a previous, interrupted run wrote but did not commit, committed on opening. */
  readonly recovered: Recovered[];

  private readonly candidates: ReadonlyMap<string, LocatedCandidate>;

  private constructor(service: ReviewService, recovered: Recovered[], candidates: ReadonlyMap<string, LocatedCandidate>) {
    this.service = service;
    this.recovered = recovered;
    this.candidates = candidates;
  }

  /** The queue, facets and counts, kept current with every commit. */
  get index(): ReviewIndex {
    return this.service.index;
  }

  /** The candidate with this id, if there is one. */
  candidate(id: string): Candidate | undefined {
    return this.candidates.get(id)?.candidate;
  }

  /**
   * Opens the repository at `dir`. With `corrections: false` (`plover submit`), existing
   * corrections are not read: a commit does not need them, and the queue and counts then
   * cover only what this Workspace commits. With `candidate` (one `plover submit`), only
   * that candidate is read when its line can be found by its id (find-candidate.ts).
   * @throws PloverError `E_INVALID_REPOSITORY` listing every invalid candidate or correction.
   */
  static async open(dir: string, options: { corrections?: boolean; candidate?: string } = {}): Promise<Workspace> {
    const fs = createAtomicFs(`${dir}/.git`);
    const cache = {};
    // A previous run killed mid-commit may have left a decision written but not committed.
    const recovered = await recoverUncommitted({ fs, dir, cache });
    const source = worktreeSource(dir);
    const one = options.candidate === undefined ? undefined : await findCandidate(dir, source, options.candidate);
    const data = one ? { candidates: new Map([[one.candidate.id, one]]), candidateOrder: [one.candidate.id], problems: [] } : await readCandidates(source);
    const read = options.corrections === false ? { corrections: [], problems: [] } : await readCorrections(source, data.candidates);
    const problems = [...data.problems, ...read.problems];
    if (problems.length) throw invalidRepository(problems);
    const team = readTeam(dir);
    const index = ReviewIndex.ofData(data, read.corrections, team);
    const service = new ReviewService(index, new WorktreeCommitter(dir, fs, cache), async () => computeStats(data.candidates, index.records(), team));
    return new Workspace(service, recovered, data.candidates);
  }
}

/**
 * The team of the repository's plover.config.json (null without one).
 * @throws PloverError `E_SITE_CONFIG` naming the JSON path and the fix.
 */
export function readTeam(dir: string): Team | null {
  return requireTeam(readConfigFile(dir), SITE_CONFIG_FILE);
}
