/**
 * Where a correction starts: the card's siblings (the same question in other runs) and
 * the starting points the service offers (lib/review/siblings.ts), read after the card shows so
 * the next card never waits for them. `s` takes the first start and cycles through the
 * rest; a button takes any. The start taken is what the decision records
 * (`started_from`); with none taken, the model's response is the start.
 */
import { createResource, createSignal, For, Show } from 'solid-js';
import type { CardContext, LabelBackend } from '../../lib/review/label-backend.ts';
import type { Candidate, StartingPoint } from '../../lib/records/schema-types.generated.ts';
import { START_KINDS } from '../../lib/records/schemas.ts';
import { startingPoint, type Start } from '../../lib/review/siblings.ts';
import { actionLabel } from './CommitList.tsx';

export const startLabel = (kind: Start['kind']) => START_KINDS.find((k) => k.value === kind)!.label;

/**
 * A card's context is asked for once it has been shown this long: a reviewer going
 * through cards quickly asks for none of those they pass, and the request never competes
 * with painting the next card.
 */
const CONTEXT_AFTER_MS = 150;

/** `current`: the card shown; `take`: puts a start's text in the correction box. */
export function createStarts(backend: LabelBackend, current: () => Candidate | undefined, take: (text: string) => void) {
  const [context] = createResource(
    () => current()?.id,
    async (id): Promise<CardContext | undefined> => {
      await new Promise((resolve) => setTimeout(resolve, CONTEXT_AFTER_MS));
      return current()?.id === id ? backend.context(id) : undefined;
    },
  );
  /** The start taken per candidate this visit (its index in the starts when taken). */
  const [taken, setTaken] = createSignal(new Map<string, { start: Start; at: number }>());
  /** Candidates whose box holds a draft from an earlier visit: where it started is not known. */
  const unknown = new Set<string>();
  /** The context of the card shown, once read (`.latest`: reading a loading resource would suspend the island). */
  const shown = (): CardContext | undefined => {
    const c = current();
    const latest = context.error ? undefined : context.latest;
    return c && latest?.candidate_id === c.id ? latest : undefined;
  };
  const chosen = () => {
    const c = current();
    return c ? taken().get(c.id) : undefined;
  };
  function choose(start: Start, at: number) {
    const c = current();
    if (!c) return;
    unknown.delete(c.id);
    setTaken(new Map(taken()).set(c.id, { start, at }));
    take(start.text);
  }
  return {
    context: shown,
    error: () => (context.error as Error | undefined)?.message,
    chosen: () => chosen()?.start,
    choose,
    /** `s`: the first start, then the next one each time; the start taken, or undefined when there is none to take. */
    cycle(): Start | undefined {
      const starts = shown()?.starts;
      if (!starts?.length) return undefined;
      const at = ((chosen()?.at ?? -1) + 1) % starts.length;
      choose(starts[at]!, at);
      return starts[at];
    },
    /** Marks a candidate whose box holds a draft from an earlier visit, until a start is taken or the draft goes. */
    unknown: (id: string) => unknown.add(id),
    /** Forgets the start taken on a candidate (its edit was dropped, or it was decided). */
    forget(id: string) {
      unknown.delete(id);
      if (!taken().has(id)) return;
      const next = new Map(taken());
      next.delete(id);
      setTaken(next);
    },
    /** What a correction of the card records: the start taken, else the model's response when the box started from it. */
    startingPoint(c: Candidate, startedFromResponse: boolean): StartingPoint | undefined {
      const start = taken().get(c.id)?.start;
      if (start) return startingPoint(start);
      return startedFromResponse && !unknown.has(c.id) ? startingPoint({ kind: 'model_response', text: c.model_response }) : undefined;
    },
  };
}

export type StartsState = ReturnType<typeof createStarts>;

const score = (s: number | null | undefined) => (s === null || s === undefined ? 'no score' : s.toFixed(2));

/** The siblings and the starts of the card shown, under the card. */
export function StartsPanel(props: { starts: StartsState }) {
  const context = () => props.starts.context();
  // Rendered only while open: no table for every card shown.
  const [siblingsOpen, setSiblingsOpen] = createSignal(false);
  return (
    <section class="starts" aria-label="Siblings and starting points">
      <Show when={props.starts.error()}>
        <p class="error" role="status">
          Siblings and starting points could not be read: {props.starts.error()}
        </p>
      </Show>
      <Show when={context()}>
        {(ctx) => (
          <>
            <h2>Start from</h2>
            <ol class="start-list">
              <For each={ctx().starts}>
                {(start, i) => (
                  <li>
                    <button type="button" class="start" aria-pressed={props.starts.chosen() === start} data-kind={start.kind} onClick={() => props.starts.choose(start, i())}>
                      <span class="start-kind">{startLabel(start.kind)}</span>
                      <Show when={start.source}>
                        {' · '}
                        <span class="start-source">{start.source}</span>
                      </Show>
                      <Show when={start.score !== undefined}> · {score(start.score)}</Show>
                    </button>
                  </li>
                )}
              </For>
            </ol>
            <p class="hint">s takes the first start, then the next</p>
            <Show when={ctx().siblings.length}>
              <details class="siblings" open={siblingsOpen()} onToggle={(e) => setSiblingsOpen(e.currentTarget.open)}>
                <summary>
                  {ctx().sibling_count} sibling{ctx().sibling_count === 1 ? '' : 's'}: the same question in other runs
                  {ctx().sibling_count > ctx().siblings.length ? ` (${ctx().siblings.length} listed, those with decisions first)` : ''}
                </summary>
                <Show when={siblingsOpen()}>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Model</th>
                        <th scope="col">Run</th>
                        <th scope="col">Score</th>
                        <th scope="col">Decisions</th>
                      </tr>
                    </thead>
                    <tbody>
                      <For each={ctx().siblings}>
                        {(s) => (
                          <tr data-candidate-id={s.id}>
                            <td>{s.model}</td>
                            <td>{s.run}</td>
                            <td>{score(s.score)}</td>
                            <td>{s.decisions.length ? s.decisions.map((d) => `${actionLabel(d.action)} (${d.reviewer})`).join(', ') : 'none yet'}</td>
                          </tr>
                        )}
                      </For>
                    </tbody>
                  </table>
                </Show>
              </details>
            </Show>
          </>
        )}
      </Show>
    </section>
  );
}
