/**
 * Opens a local clone for labeling: commits what an interrupted run left, reads and
 * checks the candidates and corrections, and gives the review service that both the
 * label server and `plover submit` commit decisions through.
 */
import { invalidRepository, readCandidates, readCorrections } from '../lib/repository.ts';
import { ReviewIndex } from '../lib/review-index.ts';
import { ReviewService } from '../lib/review-service.ts';
import { createAtomicFs } from './atomic-fs.ts';
import { recoverUncommitted, type Recovered } from './recover.ts';
import { worktreeSource } from './sources.ts';
import { WorktreeCommitter } from './worktree-committer.ts';

export class Workspace {
  readonly service: ReviewService;
  /** Decisions a previous, interrupted run wrote but did not commit, committed on opening. */
  readonly recovered: Recovered[];

  private constructor(service: ReviewService, recovered: Recovered[]) {
    this.service = service;
    this.recovered = recovered;
  }

  /** The queue, facets, counts and statistics, kept current with every commit. */
  get index(): ReviewIndex {
    return this.service.index;
  }

  /**
   * Opens the repository at `dir`. With `corrections: false` (one `plover submit`),
   * existing corrections are not read: a commit does not need them, and the queue and
   * counts then cover only what this Workspace commits.
   * @throws PloverError `E_INVALID_REPOSITORY` listing every invalid candidate or correction.
   */
  static async open(dir: string, options: { corrections?: boolean } = {}): Promise<Workspace> {
    const fs = createAtomicFs(`${dir}/.git`);
    const cache = {};
    // A previous run killed mid-commit may have left a decision written but not committed.
    const recovered = await recoverUncommitted({ fs, dir, cache });
    const source = worktreeSource(dir);
    const data = await readCandidates(source);
    const read = options.corrections === false ? { corrections: [], problems: [] } : await readCorrections(source, data.candidates);
    const problems = [...data.problems, ...read.problems];
    if (problems.length) throw invalidRepository(problems);
    const service = new ReviewService(new ReviewIndex(data, read.corrections), new WorktreeCommitter(dir, fs, cache));
    return new Workspace(service, recovered);
  }
}
