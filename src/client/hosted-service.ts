/**
 * The hosted page's review service: the review index of the target branch with the
 * reviewer's own corrections from the outbox (index-snapshot.ts, kept between visits),
 * decisions committed in the clone (clone-committer.ts), and what the page reads from
 * the clone when asked: the stats, a sibling's correction, the suggestions.
 */
import git from 'isomorphic-git';
import type { Clone } from '../git/remote.ts';
import { MAX_CORRECTION_BYTES, parseCorrection } from '../lib/records/correction.ts';
import { formatProblem } from '../lib/errors.ts';
import { reviewerTag } from '../lib/records/paths.ts';
import { ReviewService } from '../lib/review/review-service.ts';
import type { Reviewer } from '../lib/records/schema-types.generated.ts';
import { computeStats } from '../lib/review/stats.ts';
import { readSuggestions } from '../lib/records/suggestions.ts';
import type { CloneCommitter } from './clone-committer.ts';
import { openIndex, pageSource, readWhole, type CandidatesRead, type IndexRead, type IndexSource } from './index-snapshot.ts';
import { IndexStore } from './index-store.ts';

/** Where the service reads and commits: the remote and branch, the reviewer's branch on the host, the reviewer. */
export interface HostedPlace {
  remote: string;
  branch: string;
  dest: string;
  reviewer: Reviewer;
}

/**
 * Opens the review service over the clone; the suggestions arrive in the background.
 * @param ahead the candidates, read while a first clone was made (openIndex).
 * @returns the service, and how its index was read.
 * @throws PloverError `E_INVALID_REPOSITORY`.
 */
export async function openHostedService(
  clone: Clone,
  committer: CloneCommitter,
  place: HostedPlace,
  ahead?: Promise<CandidatesRead>,
): Promise<{ service: ReviewService; read: IndexRead }> {
  const store = await IndexStore.open(`plover-index:${place.remote}`).catch((err: Error) => {
    console.warn(`plover: the review index cannot be kept in this browser (${err.message}); every visit reads the repository whole`);
    return null;
  });
  const locked = <T>(work: () => Promise<T>) => committer.locked(work);
  const source = () => sourceOf(clone, committer, place);
  const { index, read, stored } = await locked(async () => openIndex(await source(), store, `${place.dest}\n${reviewerTag(place.reviewer.email)}`, locked, ahead));
  // The mark tells the tests and `npm run bench` that the next visit can start from this state.
  void stored.then(
    () => performance.mark('plover:index-kept'),
    (err: Error) => console.warn(`plover: keeping the review index for the next visit failed: ${err.message}`),
  );
  const stats = () =>
    locked(async () => {
      const whole = await readWhole(await source());
      return computeStats(whole.data.candidates, whole.corrections, index.team);
    });
  // The index keeps outlines: a correction's text (a sibling's, for the card's starts) is read from the clone when asked for.
  const readCorrection = (file: string) =>
    locked(async () => {
      const bytes = await pageSource(await source()).read(file, MAX_CORRECTION_BYTES);
      return 'tooLarge' in bytes ? undefined : parseCorrection(new TextDecoder().decode(bytes), file, false).correction;
    });
  const service = new ReviewService(index, committer, stats, readCorrection);
  void locked(async () => readSuggestions(pageSource(await source()), (id) => index.has(id))).then(
    ({ byCandidate, problems }) => {
      service.suggestions = byCandidate;
      if (problems.length) console.warn(`plover: suggestions left out (see plover validate):\n${problems.map(formatProblem).join('\n')}`);
    },
    (err: Error) => console.warn(`plover: reading the suggestions failed: ${err.message}`),
  );
  return { service, read };
}

/** The commits the page reads: the target branch as last fetched, and the reviewer's outbox. Under the clone's lock. */
async function sourceOf(clone: Clone, committer: CloneCommitter, place: HostedPlace): Promise<IndexSource> {
  const { fs, gitdir } = clone;
  const mine = `--${reviewerTag(place.reviewer.email)}.json`;
  return {
    clone,
    target: await git.resolveRef({ fs, gitdir, ref: `refs/remotes/origin/${place.branch}` }),
    outbox: await git.resolveRef({ fs, gitdir, ref: committer.outbox }),
    mine: (p) => p.endsWith(mine),
  };
}
