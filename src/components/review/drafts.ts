/**
 * Corrections being written and not yet submitted, kept in this browser (localStorage)
 * per place (the git remote in hosted mode, `local` for the label server), reviewer and
 * candidate, so that moving to another card, changing the filters or a reload loses none;
 * a decision or Esc forgets it, and so does Sign out, for every card of that reviewer
 * there: the next person at a shared browser sees none of them.
 */
import { readStored, writeStored } from '../../client/web-storage.ts';

const PREFIX = 'plover.draft:';

/** Whose drafts: a reviewer at one place. */
export interface DraftOwner {
  place: string;
  email: string;
}

const scopeOf = (owner: DraftOwner) => `${PREFIX}${encodeURIComponent(owner.place)}:${encodeURIComponent(owner.email.toLowerCase())}:`;
/** Drafts were kept per reviewer alone before they were kept per place: still read, and forgotten with the others. */
const unplacedScopeOf = (owner: DraftOwner) => `${PREFIX}${encodeURIComponent(owner.email.toLowerCase())}:`;

export function createDrafts(owner: () => DraftOwner | undefined) {
  const keys = (candidateId: string) => {
    const o = owner();
    return o === undefined ? null : { key: scopeOf(o) + encodeURIComponent(candidateId), unplaced: unplacedScopeOf(o) + encodeURIComponent(candidateId) };
  };
  const set = (candidateId: string, text: string | null) => {
    const k = keys(candidateId);
    if (k === null) return;
    writeStored('local', k.key, text);
    writeStored('local', k.unplaced, null);
  };
  return {
    /** The kept draft of a candidate, or null. */
    get(candidateId: string): string | null {
      const k = keys(candidateId);
      return k === null ? null : (readStored('local', k.key) ?? readStored('local', k.unplaced));
    },
    /** Keeps `text` as the draft, or forgets the draft when the text is what the box starts with anyway. */
    keep(candidateId: string, text: string, initial: string): void {
      set(candidateId, text === initial ? null : text);
    },
    clear(candidateId: string): void {
      set(candidateId, null);
    },
  };
}

/**
 * Forgets every draft of a reviewer at a place (Sign out).
 * @returns how many were forgotten.
 */
export function forgetDrafts(owner: DraftOwner): number {
  let keys: string[];
  try {
    keys = Object.keys(localStorage);
  } catch {
    return 0; // storage blocked: nothing was kept
  }
  const scopes = [scopeOf(owner), unplacedScopeOf(owner)];
  const mine = keys.filter((k) => scopes.some((s) => k.startsWith(s)));
  for (const k of mine) writeStored('local', k, null);
  return mine.length;
}
