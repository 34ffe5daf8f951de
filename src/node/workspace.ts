/**
 * Opens a local clone for labeling: commits what an interrupted run left, reads and
 * checks the candidates and corrections, and gives the review service that both the
 * label server and `plover submit` commit decisions through. A running label server
 * takes in what comes into the branch meanwhile (a `git pull`, a `plover submit` beside
 * it) with `refresh`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveOrNull, type GitFs } from '../git/commit-file.ts';
import { writtenParent } from '../git/tree-cache.ts';
import type { Problem } from '../lib/errors.ts';
import { CORRECTIONS_DIR } from '../lib/records/paths.ts';
import type { LocatedCandidate } from '../lib/records/candidates.ts';
import { CANDIDATES_DIR, invalidRepository, readCandidates, readCorrections } from '../lib/records/repository.ts';
import { requireTeam, type Team } from '../lib/team/team.ts';
import { ReviewIndex } from '../lib/review/review-index.ts';
import { ReviewService } from '../lib/review/review-service.ts';
import type { Candidate } from '../lib/records/schema-types.generated.ts';
import { computeStats } from '../lib/review/stats.ts';
import { readSuggestions } from '../lib/records/suggestions.ts';
import { createAtomicFs } from './atomic-fs.ts';
import { findCandidate } from './find-candidate.ts';
import { readConfigFile, SITE_CONFIG_FILE } from './site-config.ts';
import { recoverUncommitted, type Recovered } from './recover.ts';
import { gitFilesSource, worktreeSource } from './sources.ts';
import { WorktreeCommitter } from './worktree-committer.ts';

const run = promisify(execFile);
/** git's empty tree: what a branch without commits holds. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

/** What `refresh` found in the branch since it was last read. */
export type Refreshed =
  | { kind: 'same' }
  /** Corrections changed: `taken` read and in the index, `removed` gone from it, `problems` files kept out (and out of the index). */
  | { kind: 'corrections'; commit: string; taken: number; removed: number; problems: Problem[] }
  /** Candidate files or plover.config.json changed: open the workspace again to review them. */
  | { kind: 'reopen'; commit: string };

export class Workspace {
  readonly service: ReviewService;
  /** Decisions a previous, interrupted run wrote but did not commit, committed on opening. */
  readonly recovered: Recovered[];

  private readonly candidates: Map<string, LocatedCandidate>;
  private readonly dir: string;
  private readonly fs: GitFs;
  /** The commit of the checked-out branch that the index holds (null: no commit yet). */
  private head: string | null;

  /** The session's isomorphic-git cache, which also keeps the commits it wrote (git/tree-cache.ts). */
  private readonly cache: object;

  private constructor(
    service: ReviewService,
    recovered: Recovered[],
    candidates: Map<string, LocatedCandidate>,
    where: { dir: string; fs: GitFs; cache: object; head: string | null },
  ) {
    this.service = service;
    this.recovered = recovered;
    this.candidates = candidates;
    this.dir = where.dir;
    this.fs = where.fs;
    this.head = where.head;
    this.cache = where.cache;
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
    const suggestions = one ? { byCandidate: new Map(), problems: [] } : await readSuggestions(source, (id) => data.candidates.has(id));
    const problems = [...data.problems, ...read.problems, ...suggestions.problems];
    if (problems.length) throw invalidRepository(problems);
    const team = readWorktreeTeam(dir);
    const index = ReviewIndex.ofData(data, read.corrections, team);
    const service = new ReviewService(index, new WorktreeCommitter(dir, fs, cache), async () => computeStats(data.candidates, index.records(), team));
    service.suggestions = suggestions.byCandidate;
    return new Workspace(service, recovered, data.candidates, { dir, fs, cache, head: await resolveOrNull(fs, `${dir}/.git`, 'HEAD') });
  }

  /** This repository read again (after `refresh` said `reopen`), once no commit is in flight. */
  reopen(): Promise<Workspace> {
    return this.service.exclusively(() => Workspace.open(this.dir));
  }

  /**
   * Takes in the corrections that came into the checked-out branch since it was last
   * read, between commits: each added or changed file is read from the new commit and
   * checked as on opening, each removed one is forgotten. A file with a problem is kept
   * out of the index (and reported); the next change to it is read again. When only this
   * workspace's own commits came in since (its cache keeps each with its parent), the
   * index already has them, and nothing is read.
   */
  async refresh(): Promise<Refreshed> {
    const gitdir = `${this.dir}/.git`;
    // The usual case, without waiting for a commit in flight: the branch has not moved.
    if ((await resolveOrNull(this.fs, gitdir, 'HEAD')) === this.head) return { kind: 'same' };
    return this.service.exclusively(async () => {
      const head = await resolveOrNull(this.fs, gitdir, 'HEAD');
      if (head === this.head || head === null) return { kind: 'same' } as const;
      // Only this workspace's own commits since: the index has them already.
      let at: string | null | undefined = head;
      while (at && at !== this.head) at = writtenParent(this.cache, at);
      if (at === this.head) {
        this.head = head;
        return { kind: 'same' } as const;
      }
      const { stdout } = await run('git', ['diff', '--no-renames', '--name-status', '-z', this.head ?? EMPTY_TREE, head, '--', CANDIDATES_DIR, CORRECTIONS_DIR, SITE_CONFIG_FILE], {
        cwd: this.dir,
        maxBuffer: 256 * 1024 * 1024,
      });
      const fields = stdout.split('\0');
      const changed: string[] = [];
      const removed: string[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const [status, path] = [fields[i]!, fields[i + 1]!];
        if (!path.startsWith(`${CORRECTIONS_DIR}/`)) return { kind: 'reopen', commit: head } as const;
        (status === 'D' ? removed : changed).push(path);
      }
      const source = gitFilesSource(this.dir, head, changed);
      const read = await readCorrections(source, this.candidates).finally(() => source.close());
      const bad = new Set(read.problems.map((p) => p.file));
      for (const path of [...removed, ...bad]) this.service.index.delete(path);
      const taken = read.corrections.filter((c) => !bad.has(c.file));
      for (const c of taken) this.service.index.set(c);
      this.head = head;
      return { kind: 'corrections', commit: head, taken: taken.length, removed: removed.length, problems: read.problems } as const;
    });
  }
}

/**
 * The team of the working tree's plover.config.json (null without one).
 * @throws PloverError `E_SITE_CONFIG` naming the JSON path and the fix.
 */
export function readWorktreeTeam(dir: string): Team | null {
  return requireTeam(readConfigFile(dir), SITE_CONFIG_FILE);
}
