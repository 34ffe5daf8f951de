/**
 * Corrections being written and not yet submitted, kept in this browser per reviewer and
 * candidate (localStorage), so that moving to another card, changing the filters or a
 * reload loses none; a decision or Esc forgets it.
 */
import { readStored, writeStored } from '../../client/web-storage.ts';

const PREFIX = 'plover.draft:';

export function createDrafts(reviewerEmail: () => string | undefined) {
  const key = (candidateId: string) => {
    const email = reviewerEmail();
    return email === undefined ? null : `${PREFIX}${encodeURIComponent(email.toLowerCase())}:${encodeURIComponent(candidateId)}`;
  };
  return {
    /** The kept draft of a candidate, or null. */
    get(candidateId: string): string | null {
      const k = key(candidateId);
      return k === null ? null : readStored('local', k);
    },
    /** Keeps `text` as the draft, or forgets the draft when the text is what the box starts with anyway. */
    keep(candidateId: string, text: string, initial: string): void {
      const k = key(candidateId);
      if (k !== null) writeStored('local', k, text === initial ? null : text);
    },
    clear(candidateId: string): void {
      const k = key(candidateId);
      if (k !== null) writeStored('local', k, null);
    },
  };
}
