/**
 * The review queue as the page holds it: the candidates loaded so far under the current
 * filters, in queue order, a page at a time, and the card shown. Decided candidates stay
 * in the list, so the reviewer can go back to them.
 *
 * Each filter change starts a new run of the queue; a page that arrives for an older run
 * is dropped, so a slow answer to old filters never mixes into the new list.
 */
import { batch, createSignal } from 'solid-js';
import type { LabelBackend } from '../../lib/review/label-backend.ts';
import type { Candidate } from '../../lib/records/schema-types.generated.ts';

/** Candidates asked for at a time. */
export const PAGE = 20;

interface Run {
  filters: Record<string, string>;
  /** The last candidate received: the next page starts after it. */
  after: string | null;
  loading: boolean;
}

export function createQueue(backend: LabelBackend, filters: Record<string, string>) {
  const [run, setRun] = createSignal<Run>({ filters, after: null, loading: false });
  const [items, setItems] = createSignal<Candidate[]>([]);
  const [cursor, setCursor] = createSignal(0);
  const [exhausted, setExhausted] = createSignal(false);
  const [error, setError] = createSignal<string | null>(null);
  /** How many candidates match the current filters, once the first page says. */
  const [matching, setMatching] = createSignal<number | null>(null);

  /** Asks for the next page (once at a time), unless the queue has no more. */
  async function loadMore(): Promise<void> {
    const asked = run();
    if (asked.loading || exhausted()) return;
    asked.loading = true;
    try {
      const page = await backend.queue(asked.after, PAGE, asked.filters);
      if (run() !== asked) return;
      const last = page.items.at(-1);
      if (last) asked.after = last.id;
      batch(() => {
        if (page.items.length < PAGE) setExhausted(true);
        if (page.matching !== undefined) setMatching(page.matching);
        setItems((list) => {
          const known = new Set(list.map((c) => c.id));
          return [...list, ...page.items.filter((c) => !known.has(c.id))];
        });
        setError(null);
      });
    } catch (err) {
      if (run() === asked) setError((err as Error).message);
    } finally {
      asked.loading = false;
    }
  }

  return {
    items,
    cursor,
    setCursor,
    exhausted,
    /** Why the last page could not be loaded, or null. */
    error,
    setError,
    filters: () => run().filters,
    matching,
    current: (): Candidate | undefined => items()[cursor()],
    loadMore,
    /** New filters: a new run of the queue from its start (loaded by the next loadMore). */
    setFilters(next: Record<string, string>) {
      batch(() => {
        setRun({ filters: next, after: null, loading: false });
        setMatching(null);
        setExhausted(false);
        setItems([]);
        setCursor(0);
      });
    },
    /** Moves to the card at `from + 1` or the next after it that `skip` does not exclude (past the end: no card). */
    advance(skip: (c: Candidate) => boolean, from = cursor()) {
      const list = items();
      let i = from + 1;
      while (i < list.length && skip(list[i]!)) i++;
      setCursor(Math.min(i, list.length));
    },
    /** One card forward or back; false at either end. */
    move(step: 1 | -1): boolean {
      const next = cursor() + step;
      if (next < 0 || next > items().length) return false;
      setCursor(next);
      return true;
    },
    /** Shows the candidate with this id if it is loaded. */
    show(id: string) {
      const i = items().findIndex((c) => c.id === id);
      if (i >= 0) setCursor(i);
    },
  };
}

export type Queue = ReturnType<typeof createQueue>;
