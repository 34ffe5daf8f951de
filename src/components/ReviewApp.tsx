/**
 * The review page: the candidates this reviewer has not decided, one card at a time,
 * and the decision controls, all of them reachable by keyboard (see ShortcutSheet). A
 * decision shows the next candidate at once; its commit runs in the background and its
 * outcome stays visible (failed ones can be retried or reopened, so nothing submitted
 * is lost). Every decision can be undone: the last one from the toast or `u`, any
 * other by going back to its candidate (`k`). Keys and buttons call the same functions.
 */
import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show } from 'solid-js';
import type { Decision } from '../lib/correction.ts';
import { controlTokensIn } from '../lib/control-tokens.ts';
import { isUnchangedResponse } from '../lib/target-text.ts';
import type { ActionCounts } from '../lib/review-state.ts';
import type { Action, Candidate, FailureCategory } from '../lib/schema-types.ts';
import { ACTIONS, FAILURE_CATEGORIES } from '../lib/schemas.ts';
import type { LabelBackend, Session } from '../lib/label-backend.ts';
import { createLocalBackend } from '../client/local-backend.ts';
import { CandidateCard } from './CandidateCard.tsx';
import { FilterBar } from './FilterBar.tsx';
import { HistoryPanel } from './HistoryPanel.tsx';
import { ShortcutSheet } from './ShortcutSheet.tsx';
import { WordDiff } from './WordDiff.tsx';

export interface ReviewAppProps {
  /** Where decisions go; the local label server when not given. */
  backend?: LabelBackend;
  /** Initial filters (query parameters, see lib/queue-filter.ts); default: the page URL's. */
  filters?: Record<string, string>;
}

interface CommitStatus {
  key: number;
  candidate: Candidate;
  decision: Decision;
  state: 'pending' | 'done' | 'failed' | 'undoing' | 'undone';
  /** Whether the candidate was undecided when the decision was made (it leaves the queue). */
  wasUndecided: boolean;
  oid?: string;
  error?: string;
}

const PAGE = 20;
/** Fetch the next page while this many undecided candidates are still ahead: a fast reviewer never waits for it. */
const PREFETCH_BELOW = 10;
const STATUS_SHOWN = 6;
const START_EMPTY_KEY = 'plover.startEmpty';
const RAW_KEY = 'plover.raw';

/** Pending, failed and undoing commits always stay listed; of the finished ones, the latest few. */
function keepVisible(list: CommitStatus[]): CommitStatus[] {
  let finished = 0;
  return list.filter((c) => !(c.state === 'done' || c.state === 'undone') || ++finished <= STATUS_SHOWN);
}

/** Keys typed into a text field are text, not shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'TEXTAREA' || el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.isContentEditable);
}

function stored(key: string): boolean {
  try {
    return localStorage.getItem(key) === '1';
  } catch {
    return false; // storage unavailable (privacy mode): the default
  }
}
function store(key: string, on: boolean) {
  try {
    localStorage.setItem(key, on ? '1' : '0');
  } catch {
    // storage unavailable: the setting lasts for this page only
  }
}

export function ReviewApp(props: ReviewAppProps) {
  const backend = props.backend ?? createLocalBackend();
  const [session, setSession] = createSignal<Session | null>(null);
  const [loadError, setLoadError] = createSignal<string | null>(null);
  /** Every candidate loaded this session, in queue order; decided ones stay, to go back to. */
  const [items, setItems] = createSignal<Candidate[]>([]);
  const [cursor, setCursor] = createSignal(0);
  /** This session's latest decision per candidate id (undone ones removed). */
  const [decided, setDecided] = createSignal<Map<string, CommitStatus>>(new Map());
  const [exhausted, setExhausted] = createSignal(false);
  const [serverRemaining, setServerRemaining] = createSignal(0);
  const [counts, setCounts] = createSignal<ActionCounts>({ correct: 0, discard: 0, flag: 0 });
  const [draft, setDraft] = createSignal('');
  const [category, setCategory] = createSignal<FailureCategory | null>(null);
  const [formError, setFormError] = createSignal<string | null>(null);
  /** Correct was chosen with the model's response unchanged: the page asks whether the model was right. */
  const [askUnchanged, setAskUnchanged] = createSignal(false);
  const draftTokens = createMemo(() => controlTokensIn(draft()));
  const [commits, setCommits] = createSignal<CommitStatus[]>([]);
  const [sheetOpen, setSheetOpen] = createSignal(false);
  const [startEmpty, setStartEmpty] = createSignal(false);
  const [raw, setRaw] = createSignal(false);
  const [historyVersion, setHistoryVersion] = createSignal(0);
  const [announcement, setAnnouncement] = createSignal('');
  const [historyOpen, setHistoryOpen] = createSignal(false);
  const [diffOpen, setDiffOpen] = createSignal(false);
  let lastFetched: string | null = null;
  let loading = false;
  let nextKey = 0;
  let shownAt = 0;
  let textarea: HTMLTextAreaElement | undefined;
  let unchangedPanel: HTMLDivElement | undefined;
  let cardRegion: HTMLDivElement | undefined;

  const current = () => items()[cursor()];
  const currentDecision = () => {
    const c = current();
    return c ? decided().get(c.id) : undefined;
  };
  const pending = createMemo(() => commits().filter((c) => c.state === 'pending' && c.wasUndecided).length);
  const remaining = () => Math.max(serverRemaining() - pending(), 0);
  const undecidedAhead = () => items().slice(cursor()).filter((c) => !decided().has(c.id)).length;

  const [filters, setFilters] = createSignal<Record<string, string>>(props.filters ?? {});
  const query = () => filters();

  /** New filters: into the URL (shareable, survives a reload), and a fresh queue. */
  function applyFilters(next: Record<string, string>) {
    setFilters(next);
    const search = new URLSearchParams(next).toString();
    history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
    lastFetched = null;
    loading = false;
    generation += 1;
    setExhausted(false);
    setItems([]);
    setCursor(0);
    void loadMore();
  }

  /** Counts filter changes, so a page asked for under older filters is dropped. */
  let generation = 0;
  async function loadMore() {
    if (loading || exhausted()) return;
    loading = true;
    const asked = generation;
    try {
      const page = await backend.queue(lastFetched, PAGE, query());
      // The filters changed while this page was on its way: it belongs to the old queue.
      if (asked !== generation) return;
      const last = page.items.at(-1);
      if (last) lastFetched = last.id;
      if (page.items.length < PAGE) setExhausted(true);
      setItems((list) => {
        const known = new Set(list.map((c) => c.id));
        return [...list, ...page.items.filter((c) => !known.has(c.id))];
      });
      setLoadError(null);
    } catch (err) {
      if (asked === generation) setLoadError((err as Error).message);
    } finally {
      if (asked === generation) loading = false;
    }
  }

  onMount(async () => {
    if (!props.filters) setFilters(Object.fromEntries(new URLSearchParams(location.search)));
    setStartEmpty(stored(START_EMPTY_KEY));
    setRaw(stored(RAW_KEY));
    try {
      const s = await backend.session();
      setSession(s);
      setCounts(s.counts);
      setServerRemaining(s.remaining);
    } catch (err) {
      setLoadError((err as Error).message);
      return;
    }
    await loadMore();
  });

  // Keep a few undecided candidates ahead so the next card shows at once.
  createEffect(() => {
    if (session() && undecidedAhead() < PREFETCH_BELOW && !exhausted()) void loadMore();
  });

  // A card starts with the model's response to edit (or empty, by setting) and no category.
  let firstCardMarked = false;
  let awaitingCard = false;
  createEffect(
    on([current, startEmpty], ([c]) => {
      resetForm(c);
      shownAt = performance.now();
      // For `npm run bench`: a decision made with no card left ahead is measured until the next card arrives.
      if (c && awaitingCard) {
        awaitingCard = false;
        requestAnimationFrame(() => performance.measure('plover:next-card', 'plover:decide'));
      }
      // For `npm run bench`: when the first card can be decided on.
      if (c && !firstCardMarked) {
        firstCardMarked = true;
        requestAnimationFrame(() => performance.mark('plover:first-card'));
      }
    }),
  );

  /** What the correction box starts with: my earlier correction, else the model's response (or empty, by setting). */
  function initialDraft(c: Candidate | undefined): string {
    const prior = c ? decided().get(c.id) : undefined;
    return prior?.decision.corrected_response ?? (startEmpty() ? '' : (c?.model_response ?? ''));
  }

  function resetForm(c: Candidate | undefined) {
    setDraft(initialDraft(c));
    setCategory((c ? decided().get(c.id) : undefined)?.decision.failure_category ?? null);
    setFormError(null);
    setAskUnchanged(false);
  }

  function updateCommit(key: number, patch: Partial<CommitStatus>) {
    setCommits((list) => list.map((c) => (c.key === key ? { ...c, ...patch } : c)));
    setDecided((map) => {
      const next = new Map(map);
      for (const [id, entry] of map) if (entry.key === key) next.set(id, { ...entry, ...patch });
      return next;
    });
  }

  /**
   * Decisions go out one at a time, in the order they were made. The backend commits
   * them one at a time anyway; sent all at once, a fast reviewer's decisions would take
   * every connection the browser allows a host (six) and the next queue page would wait
   * behind them.
   */
  let outbox: Promise<void> = Promise.resolve();
  let unsent = 0;
  function send(entry: CommitStatus, durationMs?: number) {
    unsent += 1;
    outbox = outbox.then(() => commit(entry, durationMs)).finally(() => (unsent -= 1));
  }

  async function commit(entry: CommitStatus, durationMs?: number) {
    try {
      const result = await backend.decide(entry.decision, durationMs);
      updateCommit(entry.key, { state: 'done', oid: result.oid });
      setCounts(result.counts);
      setServerRemaining(result.remaining);
      // Progress and history are read again once the decisions made so far are committed, not after each.
      if (unsent === 1) setHistoryVersion((v) => v + 1);
    } catch (err) {
      updateCommit(entry.key, { state: 'failed', error: (err as Error).message });
    }
  }

  /** Moves to the next candidate without a decision in this session, loading more if needed. */
  function advance(from = cursor()) {
    const list = items();
    let i = from + 1;
    while (i < list.length && decided().has(list[i]!.id)) i++;
    setCursor(Math.min(i, list.length));
  }

  function focusCard() {
    queueMicrotask(() => cardRegion?.focus({ preventScroll: false }));
  }

  /**
   * Decides the current card. A correction equal to the model's response (after the text
   * rule) is not committed until the reviewer says the model was right (`unchanged`).
   */
  function decide(action: Action, unchanged = false) {
    const candidate = current();
    if (!candidate) return;
    if (action === 'correct' && draft().trim() === '') {
      setFormError('Write the corrected response before choosing Correct.');
      textarea?.focus();
      return;
    }
    if (action === 'correct' && !unchanged && isUnchangedResponse(draft(), candidate.model_response)) {
      setAskUnchanged(true);
      queueMicrotask(() => unchangedPanel?.querySelector('button')?.focus());
      return;
    }
    setAskUnchanged(false);
    performance.mark('plover:decide');
    const decision: Decision = {
      candidate_id: candidate.id,
      action,
      corrected_response: action === 'correct' ? draft() : null,
      failure_category: category(),
      ...(action === 'correct' && unchanged ? { unchanged: true } : {}),
    };
    const entry: CommitStatus = { key: nextKey++, candidate, decision, state: 'pending', wasUndecided: !decided().has(candidate.id) };
    setCommits((list) => keepVisible([entry, ...list]));
    setDecided((map) => new Map(map).set(candidate.id, entry));
    advance();
    setAnnouncement(`${ACTIONS.find((a) => a.value === action)!.label}: ${candidate.id}. ${current() ? 'Next candidate.' : ''}`);
    if (current()) requestAnimationFrame(() => performance.measure('plover:next-card', 'plover:decide'));
    else awaitingCard = true;
    focusCard();
    send(entry, performance.now() - shownAt);
  }

  function retry(entry: CommitStatus) {
    updateCommit(entry.key, { state: 'pending', error: undefined });
    send({ ...entry, state: 'pending' });
  }

  /** Puts a failed decision's candidate back in front, to decide it again by hand. */
  function reopen(entry: CommitStatus) {
    setCommits((list) => list.filter((c) => c.key !== entry.key));
    setDecided((map) => {
      const next = new Map(map);
      next.delete(entry.candidate.id);
      return next;
    });
    goTo(entry.candidate.id);
  }

  function goTo(id: string) {
    awaitingCard = false;
    const i = items().findIndex((c) => c.id === id);
    if (i >= 0) setCursor(i);
    focusCard();
  }

  /** Undoes a committed decision (a new commit), and goes back to its candidate. */
  async function undo(entry: CommitStatus | undefined) {
    if (!entry || entry.state !== 'done') return;
    updateCommit(entry.key, { state: 'undoing' });
    try {
      const result = await backend.undo(entry.candidate.id);
      setCommits((list) => list.map((c) => (c.key === entry.key ? { ...c, state: 'undone', oid: result.oid } : c)));
      setDecided((map) => {
        const next = new Map(map);
        next.delete(entry.candidate.id);
        return next;
      });
      setCounts(result.counts);
      setServerRemaining(result.remaining);
      setHistoryVersion((v) => v + 1);
      goTo(entry.candidate.id);
      resetForm(entry.candidate);
      setAnnouncement(`Undone: ${entry.candidate.id} is back in your queue.`);
    } catch (err) {
      updateCommit(entry.key, { state: 'done', error: `undo failed: ${(err as Error).message}` });
    }
  }

  const lastUndoable = () => commits().find((c) => c.state === 'done');

  function toggleCategory(value: FailureCategory) {
    setCategory(category() === value ? null : value);
  }

  function move(step: 1 | -1) {
    const next = cursor() + step;
    if (next < 0 || next > items().length) return;
    setCursor(next);
    focusCard();
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      decide('correct');
      return;
    }
    if (e.key === 'Escape') {
      // Esc cancels: the sheet if open, else the edit of the correction (wherever focus is).
      if (sheetOpen()) setSheetOpen(false);
      else if (document.activeElement === textarea || draft() !== initialDraft(current())) {
        resetForm(current());
        focusCard();
      }
      return;
    }
    if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === '?') {
      e.preventDefault();
      setSheetOpen(!sheetOpen());
      return;
    }
    if (sheetOpen()) return;
    const digit = Number(e.key);
    if (Number.isInteger(digit) && digit >= 1 && digit <= FAILURE_CATEGORIES.length) {
      e.preventDefault();
      toggleCategory(FAILURE_CATEGORIES[digit - 1]!.value);
      return;
    }
    const handlers: Record<string, () => void> = {
      c: () => textarea?.focus(),
      d: () => decide('discard'),
      f: () => decide('flag'),
      u: () => void undo(lastUndoable()),
      j: () => move(1),
      ArrowDown: () => move(1),
      ArrowRight: () => move(1),
      k: () => move(-1),
      ArrowUp: () => move(-1),
      ArrowLeft: () => move(-1),
    };
    const handler = handlers[e.key];
    if (handler) {
      e.preventDefault();
      handler();
    }
  };
  onMount(() => window.addEventListener('keydown', onKeyDown));
  onCleanup(() => typeof window !== 'undefined' && window.removeEventListener('keydown', onKeyDown));

  const label = (action: Action) => ACTIONS.find((a) => a.value === action)!.label;
  const stateText: Record<CommitStatus['state'], string> = {
    pending: 'committing…',
    done: 'committed',
    failed: 'not committed:',
    undoing: 'undoing…',
    undone: 'undone by',
  };

  return (
    <div class="review">
      <div class="toolbar">
        <p class="remaining">
          <Show when={session()} fallback="Loading…">
            <strong data-testid="remaining">{remaining()}</strong> of {session()!.total} left to review
          </Show>
        </p>
        <div class="settings">
          <label>
            <input
              type="checkbox"
              checked={startEmpty()}
              onChange={(e) => {
                setStartEmpty(e.currentTarget.checked);
                store(START_EMPTY_KEY, e.currentTarget.checked);
              }}
            />{' '}
            Start corrections empty
          </label>
          <label>
            <input
              type="checkbox"
              checked={raw()}
              onChange={(e) => {
                setRaw(e.currentTarget.checked);
                store(RAW_KEY, e.currentTarget.checked);
              }}
            />{' '}
            Show raw text
          </label>
          <button type="button" class="link" onClick={() => setSheetOpen(true)} aria-keyshortcuts="?">
            Shortcuts (?)
          </button>
        </div>
        <Show when={session()}>
          <p class="reviewer">
            Reviewing as <span>{session()!.reviewer.name}</span> &lt;<span>{session()!.reviewer.email}</span>&gt;
          </p>
        </Show>
      </div>

      <Show when={session()}>
        {/* Collapsed unless a filter is set, so the decision buttons fit on a 1280×720 screen. */}
        <details class="filters-toggle" open={Object.keys(filters()).length > 0}>
          <summary>
            Filters and sort
            <Show when={Object.keys(filters()).length}>
              {' '}
              <span class="badge">{Object.keys(filters()).length} active</span>
            </Show>
          </summary>
          <FilterBar backend={backend} value={filters()} onChange={applyFilters} version={historyVersion()} />
        </details>
      </Show>

      <p class="visually-hidden" aria-live="polite">
        {announcement()}
      </p>

      <Show when={loadError()}>
        <p class="error" role="alert">
          {loadError()}
        </p>
      </Show>

      <Show
        when={current()}
        fallback={
          <Show when={session() && exhausted() && !loadError()}>
            <p class="done" tabindex="-1">
              {Object.keys(filters()).length ? 'No candidates match these filters.' : 'Nothing left to review: every candidate has your decision.'}
            </p>
          </Show>
        }
      >
        {(candidate) => (
          <div class="workspace">
            <div class="card-column" tabindex="-1" ref={cardRegion} aria-label="Current candidate">
              <Show when={currentDecision()}>
                {(d) => (
                  <p class="decided-banner" role="status">
                    You decided <strong>{label(d().decision.action)}</strong>
                    {d().decision.failure_category ? ` [${d().decision.failure_category}]` : ''} —{' '}
                    {d().state === 'done' ? `committed ${d().oid!.slice(0, 7)}` : stateText[d().state]}{' '}
                    <Show when={d().state === 'done'}>
                      <button type="button" onClick={() => void undo(d())}>
                        Undo this decision
                      </button>
                    </Show>
                  </p>
                )}
              </Show>
              <CandidateCard candidate={candidate()} raw={raw()} />
              {/* Rendered only while open: no history request, no diff work, for every card shown. */}
              <details class="history-toggle" onToggle={(e) => setHistoryOpen(e.currentTarget.open)}>
                <summary>History of this candidate</summary>
                <Show when={historyOpen()}>
                  <HistoryPanel backend={backend} candidate={candidate()} version={historyVersion()} />
                </Show>
              </details>
            </div>
            <form class="decision" aria-label="Decision" onSubmit={(e) => e.preventDefault()}>
              <label for="corrected-response">Corrected response</label>
              <textarea
                id="corrected-response"
                ref={textarea}
                value={draft()}
                onInput={(e) => {
                  setDraft(e.currentTarget.value);
                  setFormError(null);
                  setAskUnchanged(false);
                }}
                rows={12}
                spellcheck={true}
                aria-keyshortcuts="c"
              />
              <Show when={formError()}>
                <p class="error" role="alert">
                  {formError()}
                </p>
              </Show>
              <Show when={draftTokens().length}>
                <p class="warning control-token-warning" role="status">
                  The corrected response holds chat-template control tokens ({draftTokens().join(' ')}): a tokenizer turns them into real turn markers, so the model would learn to end or fake a turn. Remove them before Correct.
                </p>
              </Show>
              <Show when={askUnchanged()}>
                <div class="unchanged-ask" role="alert" ref={unchangedPanel}>
                  <p>
                    <strong>Unchanged: was the model's answer right?</strong> The corrected response is the model's response as it is, so Correct would train on the answer that failed the check.
                  </p>
                  <button
                    type="button"
                    onClick={() => {
                      setCategory('scoring_artifact');
                      decide('correct', true);
                    }}
                  >
                    Yes: Correct as Scoring artifact
                  </button>
                  <button type="button" onClick={() => decide('correct', true)}>
                    Yes: Correct{category() ? ` (${FAILURE_CATEGORIES.find((c) => c.value === category())!.label})` : ''}
                  </button>
                  <button
                    type="button"
                    onClick={() => {
                      setAskUnchanged(false);
                      textarea?.focus();
                    }}
                  >
                    No: edit it
                  </button>
                </div>
              </Show>
              <details class="diff-toggle" onToggle={(e) => setDiffOpen(e.currentTarget.open)}>
                <summary>Changes to the model response</summary>
                <Show when={diffOpen()}>
                  <WordDiff before={candidate().model_response} after={draft()} />
                </Show>
              </details>
              <fieldset class="categories">
                <legend>Failure category (optional)</legend>
                <For each={FAILURE_CATEGORIES}>
                  {(c, i) => (
                    <button
                      type="button"
                      class="category"
                      aria-pressed={category() === c.value}
                      aria-keyshortcuts={String(i() + 1)}
                      title={`${c.description} (key ${i() + 1})`}
                      onClick={() => toggleCategory(c.value)}
                    >
                      <span class="key" aria-hidden="true">
                        {i() + 1}
                      </span>
                      {c.label}
                    </button>
                  )}
                </For>
              </fieldset>
              <div class="actions">
                <button type="button" class="action action-correct" onClick={() => decide('correct')} aria-keyshortcuts="Control+Enter">
                  Correct
                </button>
                <button type="button" class="action action-discard" onClick={() => decide('discard')} aria-keyshortcuts="d">
                  Discard
                </button>
                <button type="button" class="action action-flag" onClick={() => decide('flag')} aria-keyshortcuts="f">
                  Flag
                </button>
                <span class="hint">Ctrl/⌘+Enter correct · d discard · f flag · u undo · ? all keys</span>
              </div>
            </form>
          </div>
        )}
      </Show>

      <section class="commits" aria-label="Commits">
        <ul>
          <For each={commits()}>
            {(entry, i) => (
              <li class={`commit commit-${entry.state}`} role={entry.state === 'failed' ? 'alert' : undefined} data-state={entry.state}>
                <span class="commit-what">
                  {label(entry.decision.action)} <code>{entry.decision.candidate_id}</code>
                  {entry.decision.failure_category ? ` [${entry.decision.failure_category}]` : ''}
                </span>{' '}
                <span>{stateText[entry.state]}</span>{' '}
                <Show when={entry.oid && (entry.state === 'done' || entry.state === 'undone')}>
                  <code class="sha">{entry.oid!.slice(0, 7)}</code>{' '}
                </Show>
                <Show when={entry.state === 'done'}>
                  <button type="button" onClick={() => void undo(entry)} aria-keyshortcuts={i() === commits().findIndex((c) => c.state === 'done') ? 'u' : undefined}>
                    Undo
                  </button>
                </Show>
                <Show when={entry.error}>
                  <span class="commit-error"> {entry.error}</span>{' '}
                </Show>
                <Show when={entry.state === 'failed'}>
                  <button type="button" onClick={() => retry(entry)}>
                    Retry
                  </button>{' '}
                  <button type="button" onClick={() => reopen(entry)}>
                    Reopen
                  </button>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </section>

      <footer class="counts" aria-label="Your decisions">
        <For each={ACTIONS}>
          {(a) => (
            <span class={`count count-${a.value}`}>
              {a.label}: <strong data-testid={`count-${a.value}`}>{counts()[a.value]}</strong>
            </span>
          )}
        </For>
      </footer>

      <Show when={sheetOpen()}>
        <ShortcutSheet onClose={() => setSheetOpen(false)} />
      </Show>
    </div>
  );
}
