/**
 * The review page: the candidates this reviewer has not decided, one card at a time,
 * and the decision controls, all of them reachable by keyboard (see ShortcutSheet). A
 * decision shows the next candidate at once; its commit runs in the background and its
 * outcome stays visible (failed ones can be retried or reopened, so nothing submitted
 * is lost). Every decision can be undone: the last one from the list or `u`, any other
 * by going back to its candidate (`k`). Keys and buttons call the same functions.
 *
 * Its parts: the queue (review/queue.ts), the decisions of this visit and their commits (review/decisions.ts), the
 * settings (review/settings.ts), the decision form (review/DecisionForm.tsx), the starting
 * points (review/Starts.tsx), settling a correction's siblings (review/SettleSiblings.tsx), the commit list (review/CommitList.tsx) and the keys (review/shortcuts.ts).
 */
import { createEffect, createResource, createSignal, For, on, onCleanup, onMount, Show } from 'solid-js';
import type { DecisionJournal } from '../client/decision-journal.ts';
import { createLocalBackend } from '../client/local-backend.ts';
import type { Decision } from '../lib/correction.ts';
import { correctionPath, correctionsPrefix } from '../lib/paths.ts';
import type { LabelBackend, Session } from '../lib/label-backend.ts';
import type { Action, Candidate } from '../lib/schema-types.ts';
import { ACTIONS, FAILURE_CATEGORIES } from '../lib/schemas.ts';
import { isUnchangedResponse } from '../lib/target-text.ts';
import { CandidateCard } from './CandidateCard.tsx';
import { FilterBar } from './FilterBar.tsx';
import { HistoryPanel } from './HistoryPanel.tsx';
import { BulkDecide } from './review/BulkDecide.tsx';
import { ConflictPanel } from './review/ConflictPanel.tsx';
import { actionLabel, CommitList, STATE_TEXT } from './review/CommitList.tsx';
import { createDecisionForm, DecisionForm } from './review/DecisionForm.tsx';
import { createDrafts } from './review/drafts.ts';
import { createDecisions, type CommitStatus } from './review/decisions.ts';
import { createQueue } from './review/queue.ts';
import { createSettings } from './review/settings.ts';
import { shortcutOf } from './review/shortcuts.ts';
import { createStarts, startLabel, StartsPanel } from './review/Starts.tsx';
import { createSettleSiblings, SettleSiblings } from './review/SettleSiblings.tsx';
import { ShortcutSheet } from './ShortcutSheet.tsx';

export interface ReviewAppProps {
  /** Where decisions go; the local label server when not given. */
  backend?: LabelBackend;
  /** Initial filters (query parameters, see lib/queue-filter.ts); default: the page URL's. */
  filters?: Record<string, string>;
  /** Where decisions are kept until their commit is stored (hosted mode). */
  journal?: DecisionJournal;
  /** Where the decisions go, which keeps drafts apart per place: the git remote in hosted mode; `local` when not given. */
  place?: string;
}

/** Fetch the next page while this many undecided candidates are still ahead: a fast reviewer never waits for it. */
const PREFETCH_BELOW = 10;

export function ReviewApp(props: ReviewAppProps) {
  const backend = props.backend ?? createLocalBackend();
  const queue = createQueue(backend, props.filters ?? {});
  const decisions = createDecisions(backend, props.journal);
  const settings = createSettings();
  const drafts = createDrafts(() => {
    const email = session()?.reviewer.email;
    return email === undefined ? undefined : { place: props.place ?? 'local', email };
  });
  const form = createDecisionForm((text) => {
    const c = current();
    if (c) drafts.keep(c.id, text, initialDraft(c));
  });
  const [session, setSession] = createSignal<Session | null>(null);
  const starts = createStarts(backend, () => queue.current(), (text) => form.edit(text));
  const settle = createSettleSiblings({ backend, decisions, reviewer: () => session()?.reviewer.email });
  const [sheetOpen, setSheetOpen] = createSignal(false);
  const [announcement, setAnnouncement] = createSignal('');
  const [historyOpen, setHistoryOpen] = createSignal(false);
  let shownAt = 0;
  let cardRegion: HTMLDivElement | undefined;

  const current = queue.current;
  const isDecided = (c: Candidate) => decisions.decided().has(c.id);
  const currentDecision = () => {
    const c = current();
    return c ? decisions.decided().get(c.id) : undefined;
  };
  const undecidedAhead = () => queue.items().slice(queue.cursor()).filter((c) => !isDecided(c)).length;
  // The current card's history from git, in the views that show decided ones; read once for
  // both the "You decided … (earlier visit)" banner and the Conflicts view.
  const [cardHistory] = createResource(
    () => {
      const c = current();
      const state = queue.filters().state;
      return c && state && state !== 'undecided' ? ([c.id, decisions.version()] as const) : undefined;
    },
    ([id]) => backend.history(id),
  );
  // `.latest`, not `cardHistory()`: reading a loading resource would suspend the island (see
  // FilterBar). While the next read runs, the last one stays if it is this card's.
  const historyOfCurrent = () => {
    const c = current();
    const entries = cardHistory.error ? undefined : cardHistory.latest;
    if (!c || !entries) return undefined;
    const prefix = correctionsPrefix(c.id);
    return entries.every((e) => e.path.startsWith(prefix)) ? entries : undefined;
  };
  // A card this visit did not decide: the reviewer's decision from an earlier visit.
  const earlierDecision = () => {
    const c = current();
    if (!c || isDecided(c)) return null;
    const mine = correctionPath(c.id, session()!.reviewer.email);
    const latest = historyOfCurrent()?.find((e) => e.path === mine);
    return latest?.kind === 'decision' ? latest : null;
  };
  const filterCount = () => Object.keys(queue.filters()).length;

  /** The filters with the team scope set (`all`) or removed (''). */
  const withScope = (filters: Record<string, string>, scope: string) => {
    const { scope: _old, ...rest } = filters;
    return scope ? { ...rest, scope } : rest;
  };
  /** New filters: into the URL (shareable, survives a reload), a fresh queue, and how many match, said to a screen reader. */
  function applyFilters(next: Record<string, string>) {
    const search = new URLSearchParams(next).toString();
    history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
    announceMatching = true;
    queue.setFilters(next);
    void queue.loadMore();
  }
  let announceMatching = false;
  createEffect(
    on(queue.matching, (n) => {
      if (n === null || !announceMatching) return;
      announceMatching = false;
      setAnnouncement(`${n} candidate${n === 1 ? '' : 's'} match${n === 1 ? 'es' : ''} these filters.`);
    }),
  );

  onMount(async () => {
    if (!props.filters) queue.setFilters(Object.fromEntries(new URLSearchParams(location.search)));
    settings.startEmpty.load();
    settings.raw.load();
    try {
      const s = await backend.session();
      setSession(s);
      decisions.start(s);
    } catch (err) {
      queue.setError((err as Error).message);
      return;
    }
    await queue.loadMore();
  });

  // Keep a few undecided candidates ahead so the next card shows at once.
  createEffect(() => {
    if (session() && undecidedAhead() < PREFETCH_BELOW && !queue.exhausted()) void queue.loadMore();
  });

  // A card starts with the model's response to edit (or empty, by setting) and no category.
  let firstCardMarked = false;
  let awaitingCard = false;
  createEffect(
    on([current, settings.startEmpty.on], ([c]) => {
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
    const prior = c ? decisions.decided().get(c.id) : undefined;
    return prior?.decision.corrected_response ?? (settings.startEmpty.on() ? '' : (c?.model_response ?? ''));
  }

  /** A card's form: its kept draft, else what initialDraft says. */
  function resetForm(c: Candidate | undefined) {
    const draft = c && drafts.get(c.id);
    // A draft kept from an earlier visit may have started anywhere: its start is not known unless one is taken now.
    if (c && typeof draft === 'string' && !starts.chosen()) starts.unknown(c.id);
    form.reset(draft ?? initialDraft(c), (c ? decisions.decided().get(c.id) : undefined)?.decision.failure_category ?? null);
  }

  /** Focus on the card shown; if its top is above the window (a long card read to its end), it starts at its top. */
  function focusCard() {
    queueMicrotask(() => {
      if (!cardRegion) return;
      if (cardRegion.getBoundingClientRect().top < 0) cardRegion.scrollIntoView({ block: 'start' });
      cardRegion.focus({ preventScroll: true });
    });
  }

  /**
   * Decides the current card. A correction equal to the model's response (after the text
   * rule) is not committed until the reviewer says the model was right (`unchanged`).
   */
  function decide(action: Action, unchanged = false) {
    const candidate = current();
    if (!candidate) return;
    if (action === 'correct' && form.draft().trim() === '') return form.refuse('Write the corrected response before choosing Correct.');
    if (action === 'correct' && !unchanged && isUnchangedResponse(form.draft(), candidate.model_response)) return form.ask();
    form.setAskUnchanged(false);
    performance.mark('plover:decide');
    const decision: Decision = {
      candidate_id: candidate.id,
      action,
      corrected_response: action === 'correct' ? form.draft() : null,
      failure_category: form.category(),
      ...(action === 'correct' && unchanged ? { unchanged: true } : {}),
    };
    const start = action === 'correct' ? starts.startingPoint(candidate, !decisions.decided().has(candidate.id) && !settings.startEmpty.on()) : undefined;
    if (start) decision.started_from = start;
    void settle.decided(candidate, decision, starts.context());
    starts.forget(candidate.id);
    const durationMs = performance.now() - shownAt;
    decisions.decide(candidate, decision, durationMs);
    drafts.clear(candidate.id);
    queue.advance(isDecided);
    setAnnouncement(`${actionLabel(action)}: ${candidate.id}. ${current() ? 'Next candidate.' : ''}`);
    if (current()) requestAnimationFrame(() => performance.measure('plover:next-card', 'plover:decide'));
    else awaitingCard = true;
    focusCard();
  }

  /** Puts a failed decision's candidate back in front, to decide it again by hand. */
  function reopen(entry: CommitStatus) {
    decisions.reopen(entry);
    goTo(entry.candidate.id);
  }

  function goTo(id: string) {
    awaitingCard = false;
    queue.show(id);
    focusCard();
  }

  /** Undoes a committed decision (a new commit), and goes back to its candidate. */
  async function undo(entry: CommitStatus | undefined) {
    if (!(await decisions.undo(entry))) return;
    goTo(entry!.candidate.id);
    resetForm(entry!.candidate);
    setAnnouncement(`Undone: ${entry!.candidate.id} is back in your queue.`);
  }

  const commitList = () => <CommitList decisions={decisions} onUndo={(entry) => void undo(entry)} onReopen={reopen} />;

  function move(step: 1 | -1) {
    if (!queue.move(step)) return;
    focusCard();
    const c = current();
    setAnnouncement(c ? `Candidate ${c.id}${isDecided(c) ? ', decided' : ''}.` : 'No more candidates here.');
  }

  function toggleCategory(index: number) {
    const c = FAILURE_CATEGORIES[index]!;
    form.toggleCategory(c.value);
    setAnnouncement(`${c.label} ${form.category() === c.value ? 'chosen' : 'cleared'}.`);
  }

  const onKeyDown = (e: KeyboardEvent) => {
    const shortcut = shortcutOf(e, sheetOpen());
    if (!shortcut) return;
    if (shortcut.kind === 'escape') {
      // Esc cancels: the sheet if open, else the edit of the correction (wherever focus is).
      if (sheetOpen()) setSheetOpen(false);
      else if (form.isTextFocused() || form.draft() !== initialDraft(current())) {
        const c = current();
        if (c) drafts.clear(c.id);
        if (c) starts.forget(c.id);
        resetForm(c);
        focusCard();
      }
      return;
    }
    e.preventDefault();
    switch (shortcut.kind) {
      case 'correct':
        return decide('correct');
      case 'sheet':
        return setSheetOpen(!sheetOpen());
      case 'category':
        return toggleCategory(shortcut.index);
      case 'edit':
        return form.focusText();
      case 'start': {
        const start = starts.cycle();
        return setAnnouncement(start ? `Started from ${startLabel(start.kind)}${start.source ? ` (${start.source})` : ''}.` : 'No starting points for this candidate yet.');
      }
      case 'discard':
      case 'flag':
        return decide(shortcut.kind);
      case 'undo':
        return void undo(decisions.lastUndoable());
      case 'next':
        return move(1);
      case 'previous':
        return move(-1);
    }
  };
  onMount(() => window.addEventListener('keydown', onKeyDown));
  onCleanup(() => typeof window !== 'undefined' && window.removeEventListener('keydown', onKeyDown));

  // Leaving while a decision is not yet stored (committing, or an undo on its way) asks first.
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (!decisions.unsaved()) return;
    e.preventDefault();
    e.returnValue = '';
  };
  onMount(() => window.addEventListener('beforeunload', onBeforeUnload));
  onCleanup(() => typeof window !== 'undefined' && window.removeEventListener('beforeunload', onBeforeUnload));

  return (
    <div class="review">
      <div class="toolbar">
        <p class="remaining">
          <Show when={session()} fallback="Loading…">
            <Show when={session()!.team} fallback={<><strong data-testid="remaining">{decisions.remaining()}</strong> of {session()!.total} left to review</>}>
              {(team) => (
                <>
                  <strong data-testid="remaining">{decisions.remaining()}</strong> of the {team().assigned} assigned to you left to review{' '}
                  {/* The team's split (plover.config.json): the queue is the reviewer's share unless they ask for everything. */}
                  <button type="button" class="scope" aria-pressed={queue.filters().scope === 'all'} onClick={() => applyFilters(withScope(queue.filters(), queue.filters().scope === 'all' ? '' : 'all'))}>
                    Everything I have not decided
                  </button>
                </>
              )}
            </Show>
          </Show>
        </p>
        <div class="settings">
          <label>
            <input type="checkbox" checked={settings.startEmpty.on()} onChange={(e) => settings.startEmpty.set(e.currentTarget.checked)} /> Start corrections empty
          </label>
          <label>
            <input type="checkbox" checked={settings.raw.on()} onChange={(e) => settings.raw.set(e.currentTarget.checked)} /> Show raw text
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
        <details class="filters-toggle" open={filterCount() > 0}>
          <summary>
            Filters and sort
            <Show when={filterCount()}>
              {' '}
              <span class="badge">{filterCount()} active</span>
            </Show>
          </summary>
          <FilterBar backend={backend} value={queue.filters()} onChange={applyFilters} version={decisions.version()} />
          <BulkDecide backend={backend} decisions={decisions} filters={queue.filters()} matching={queue.matching()} onApplied={() => queue.advance(isDecided, queue.cursor() - 1)} onChanged={() => applyFilters(queue.filters())} />
        </details>
      </Show>

      <p class="visually-hidden" aria-live="polite">
        {announcement()}
      </p>

      <Show when={queue.error()}>
        <p class="error" role="alert">
          {queue.error()}
        </p>
      </Show>

      <Show
        when={current()}
        fallback={
          <Show when={session() && queue.exhausted() && !queue.error()}>
            <p class="done" tabindex="-1">
              {filterCount() ? 'No candidates match these filters.' : 'Nothing left to review: every candidate has your decision.'}
            </p>
          </Show>
        }
      >
        {(candidate) => (
          <div class="workspace">
            <div class="card-column" role="region" tabindex="-1" ref={cardRegion} aria-label="Current candidate">
              <Show when={!currentDecision() && earlierDecision()}>
                {(e) => (
                  <p class="decided-banner" role="status">
                    You decided <strong>{actionLabel(e().correction!.action)}</strong>
                    {e().correction!.failure_category ? ` [${e().correction!.failure_category}]` : ''} on{' '}
                    <time datetime={e().correction!.decided_at}>{new Date(e().correction!.decided_at).toLocaleString()}</time>, commit {e().commit.slice(0, 7)}. A new decision replaces it.
                  </p>
                )}
              </Show>
              <Show when={currentDecision()}>
                {(d) => (
                  <p class="decided-banner" role="status">
                    You decided <strong>{actionLabel(d().decision.action)}</strong>
                    {d().decision.failure_category ? ` [${d().decision.failure_category}]` : ''} —{' '}
                    {d().state === 'done' ? `committed ${d().oid!.slice(0, 7)}` : STATE_TEXT[d().state]}{' '}
                    <Show when={d().state === 'done'}>
                      <button type="button" onClick={() => void undo(d())}>
                        Undo this decision
                      </button>
                    </Show>
                  </p>
                )}
              </Show>
              {/* The Conflicts view: the reviewers' decisions first, then the candidate they disagree on. */}
              <Show when={queue.filters().state === 'conflict'}>
                <ConflictPanel candidate={candidate()} history={historyOfCurrent()} error={cardHistory.error} adjudicator={session()?.adjudicator === true} />
              </Show>
              <CandidateCard candidate={candidate()} raw={settings.raw.on()} />
              {/* Rendered only while open: no history request for every card shown. */}
              <details class="history-toggle" onToggle={(e) => setHistoryOpen(e.currentTarget.open)}>
                <summary>History of this candidate</summary>
                <Show when={historyOpen()}>
                  <HistoryPanel backend={backend} candidate={candidate()} version={decisions.version()} />
                </Show>
              </details>
            </div>
            {/* The commits list sits under the actions: in view after a decision, never over a control. */}
            <div class="decision-column">
              <DecisionForm form={form} candidate={candidate()} start={starts.chosen()} onDecide={decide} isDraft={form.draft() !== initialDraft(candidate())} />
              {/* Under the actions: what they read never moves a control out of view. */}
              <StartsPanel starts={starts} />
              <SettleSiblings state={settle} />
              {commitList()}
            </div>
          </div>
        )}
      </Show>
      <Show when={!current()}>
        <SettleSiblings state={settle} />
        {commitList()}
      </Show>

      <footer class="counts" aria-label="Your decisions">
        <For each={ACTIONS}>
          {(a) => (
            <span class={`count count-${a.value}`}>
              {a.label}: <strong data-testid={`count-${a.value}`}>{decisions.counts()[a.value]}</strong>
            </span>
          )}
        </For>
      </footer>

      <Show when={sheetOpen()}>
        <ShortcutSheet onClose={() => setSheetOpen(false)} returnFocus={focusCard} />
      </Show>
    </div>
  );
}
