/**
 * The review page's state and what the reviewer does with it, apart from its layout
 * (ReviewApp.tsx): the queue, the decisions of this visit, the form, the starting points
 * and the siblings, and the actions that keys and buttons share (decide, undo, move,
 * filters). A decision shows the next candidate at once; its commit runs in the
 * background and its outcome stays visible.
 */
import { batch, createEffect, createResource, createSignal, on, onMount } from 'solid-js';
import type { DecisionJournal } from '../../client/decision-journal.ts';
import { createLocalBackend } from '../../client/local-backend.ts';
import { renderAhead } from '../../client/markdown.ts';
import type { Decision } from '../../lib/records/correction.ts';
import type { LabelBackend, Session } from '../../lib/review/label-backend.ts';
import { correctionPath, correctionsPrefix } from '../../lib/records/paths.ts';
import type { Action, Candidate } from '../../lib/records/schema-types.generated.ts';
import { FAILURE_CATEGORIES } from '../../lib/records/schemas.ts';
import { isUnchangedResponse } from '../../lib/records/target-text.ts';
import { actionLabel } from './CommitList.tsx';
import { createDecisionForm } from './DecisionForm.tsx';
import { createDecisions, type CommitStatus, type Decisions } from './decisions.ts';
import { createDrafts } from './drafts.ts';
import { createQueue, type Queue } from './queue.ts';
import { createSettings } from './settings.ts';
import { createSettleSiblings } from './SettleSiblings.tsx';
import { createStarts } from './Starts.tsx';

export interface ReviewAppProps {
  /** Where decisions go; the local label server when not given. */
  backend?: LabelBackend;
  /** Initial filters (query parameters, see lib/review/queue-filter.ts); default: the page URL's. */
  filters?: Record<string, string>;
  /** Where decisions are kept until their commit is stored (hosted mode). */
  journal?: DecisionJournal;
  /** Where the decisions go, which keeps drafts apart per place: the git remote in hosted mode; `local` when not given. */
  place?: string;
}

/** Fetch the next page while this many undecided candidates are still ahead: a fast reviewer never waits for it. */
const PREFETCH_BELOW = 10;
/** Cards whose Markdown is rendered ahead, while the reviewer reads the one shown. */
const RENDER_AHEAD = 3;

export type ReviewSession = ReturnType<typeof createReviewSession>;

/** The review page's session: its state, and the actions that keys and buttons share. */
export function createReviewSession(props: ReviewAppProps) {
  const state = createReviewState(props);
  return { ...state, ...createReviewActions(state) };
}

type ReviewState = ReturnType<typeof createReviewState>;

/** What the page holds: the parts, the session, the card shown and its form, loaded and kept in step. */
function createReviewState(props: ReviewAppProps) {
  const backend = props.backend ?? createLocalBackend();
  const queue = createQueue(backend, props.filters ?? {});
  const decisions = createDecisions(backend, props.journal);
  const settings = createSettings();
  const [session, setSession] = createSignal<Session | null>(null);
  const drafts = createDrafts(() => {
    const email = session()?.reviewer.email;
    return email === undefined ? undefined : { place: props.place ?? 'local', email };
  });
  const form = createDecisionForm((text) => {
    const c = current();
    if (c) drafts.keep(c.id, text, initialDraft(c));
  });
  const starts = createStarts(
    backend,
    () => queue.current(),
    (text) => form.edit(text),
  );
  const settle = createSettleSiblings({ backend, decisions, reviewer: () => session()?.reviewer.email });
  const [announcement, setAnnouncement] = createSignal('');
  const filters = createFilters(queue, setAnnouncement);
  const card = createCardFocus();
  const current = queue.current;
  const isDecided = (c: Candidate) => decisions.decided().has(c.id);
  const history = createCardHistory(backend, queue, decisions, () => session()?.reviewer.email);

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
  const undecidedAhead = () =>
    queue
      .items()
      .slice(queue.cursor())
      .filter((c) => !isDecided(c)).length;
  createEffect(() => {
    if (session() && undecidedAhead() < PREFETCH_BELOW && !queue.exhausted()) void queue.loadMore();
  });

  // The next cards' texts, rendered while this one is read: the key press only inserts them.
  createEffect(
    on(current, () => {
      if (settings.raw.on()) return;
      const ahead = queue
        .items()
        .slice(queue.cursor() + 1)
        .filter((c) => !isDecided(c))
        .slice(0, RENDER_AHEAD);
      renderAhead(ahead.flatMap((c) => [...c.prompt_messages.map((m) => m.content), c.model_response, ...(typeof c.reference_answer === 'string' ? [c.reference_answer] : [])]));
    }),
  );

  // A card starts with the model's response to edit (or empty, by setting) and no category.
  createEffect(
    on([current, settings.startEmpty.on], ([c]) => {
      resetForm(c);
      card.shown();
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

  return {
    backend,
    queue,
    decisions,
    settings,
    session,
    drafts,
    form,
    starts,
    settle,
    announcement,
    setAnnouncement,
    filters,
    card,
    history,
    current,
    isDecided,
    /** My decision of the current card in this visit, if any. */
    currentDecision: () => {
      const c = current();
      return c ? decisions.decided().get(c.id) : undefined;
    },
    initialDraft,
    resetForm,
  };
}

/** What the reviewer does: decide, undo, reopen a failed commit, move, pick a category, cancel an edit. */
function createReviewActions(state: ReviewState) {
  const { queue, decisions, settings, drafts, form, starts, settle, setAnnouncement, card, current, isDecided, resetForm } = state;

  /** Cancels the edit of the current card's correction: its draft and start are dropped. */
  function cancelEdit() {
    const toTop = card.scrolledPast();
    const c = current();
    if (c) drafts.clear(c.id);
    if (c) starts.forget(c.id);
    resetForm(c);
    card.focus(toTop);
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
    const toTop = card.scrolledPast();
    const decision: Decision = {
      candidate_id: candidate.id,
      action,
      corrected_response: action === 'correct' ? form.draft() : null,
      failure_category: form.category(),
      ...(action === 'correct' && unchanged ? { unchanged: true } : {}),
    };
    const start = action === 'correct' ? starts.startingPoint(candidate, !decisions.decided().has(candidate.id) && !settings.startEmpty.on()) : undefined;
    if (start) decision.started_from = start;
    // One update of the page for all of it: the next card and the decision's entry render together.
    batch(() => {
      void settle.decided(candidate, decision, starts.context());
      starts.forget(candidate.id);
      decisions.decide(candidate, decision, card.sinceShown());
      drafts.clear(candidate.id);
      queue.advance(isDecided);
      setAnnouncement(`${actionLabel(action)}: ${candidate.id}. ${current() ? 'Next candidate.' : ''}`);
    });
    card.focus(toTop);
  }

  function goTo(id: string) {
    const toTop = card.scrolledPast();
    queue.show(id);
    card.focus(toTop);
  }

  /** Puts a failed decision's candidate back in front, to decide it again by hand. */
  function reopen(entry: CommitStatus) {
    decisions.reopen(entry);
    goTo(entry.candidate.id);
  }

  /** Undoes a committed decision (a new commit), and goes back to its candidate. */
  async function undo(entry: CommitStatus | undefined) {
    if (!(await decisions.undo(entry))) return;
    goTo(entry!.candidate.id);
    resetForm(entry!.candidate);
    setAnnouncement(`Undone: ${entry!.candidate.id} is back in your queue.`);
  }

  function move(step: 1 | -1) {
    const toTop = card.scrolledPast();
    if (!queue.move(step)) return;
    card.focus(toTop);
    const c = current();
    setAnnouncement(c ? `Candidate ${c.id}${isDecided(c) ? ', decided' : ''}.` : 'No more candidates here.');
  }

  function toggleCategory(index: number) {
    const c = FAILURE_CATEGORIES[index]!;
    form.toggleCategory(c.value);
    setAnnouncement(`${c.label} ${form.category() === c.value ? 'chosen' : 'cleared'}.`);
  }

  return { cancelEdit, decide, reopen, undo, move, toggleCategory };
}

/** The filters: in the URL (shareable, survives a reload), a fresh queue for each, and how many match, said to a screen reader. */
function createFilters(queue: Queue, announce: (text: string) => void) {
  let announceMatching = false;
  createEffect(
    on(queue.matching, (n) => {
      if (n === null || !announceMatching) return;
      announceMatching = false;
      announce(`${n} candidate${n === 1 ? '' : 's'} match${n === 1 ? 'es' : ''} these filters.`);
    }),
  );
  function apply(next: Record<string, string>) {
    const search = new URLSearchParams(next).toString();
    history.replaceState(null, '', `${location.pathname}${search ? `?${search}` : ''}`);
    announceMatching = true;
    queue.setFilters(next);
    void queue.loadMore();
  }
  return {
    apply,
    count: () => Object.keys(queue.filters()).length,
    /** The team's split (plover.config.json): the reviewer's share, or everything they have not decided. */
    toggleScope() {
      const { scope, ...rest } = queue.filters();
      apply(scope === 'all' ? rest : { ...rest, scope: 'all' });
    },
  };
}

/**
 * The region of the card shown and when it was shown, focused after every move. A card
 * read to its end (its top above the window) starts the next at its top: callers ask
 * `scrolledPast()` before the card changes, while the layout is still the last frame's
 * (asked after the change, it would lay out the new card inside the key press).
 */
function createCardFocus() {
  let region: HTMLDivElement | undefined;
  let shownAt = 0;
  return {
    ref: (el: HTMLDivElement) => (region = el),
    /** A card was shown: the time a decision of it took is counted from now. */
    shown: () => (shownAt = performance.now()),
    sinceShown: () => performance.now() - shownAt,
    /** Whether the reviewer has scrolled past the top of the card shown. */
    scrolledPast: () => region !== undefined && region.getBoundingClientRect().top < 0,
    /** Focuses the card region, its top scrolled into view first when `toTop`. */
    focus(toTop = false) {
      queueMicrotask(() => {
        if (!region) return;
        if (toTop) region.scrollIntoView({ block: 'start' });
        region.focus({ preventScroll: true });
      });
    },
  };
}

/**
 * The current card's history from git, in the views that show decided ones; read once for
 * both the "You decided … (earlier visit)" banner and the Conflicts view.
 */
function createCardHistory(backend: LabelBackend, queue: Queue, decisions: Decisions, email: () => string | undefined) {
  const [history] = createResource(
    () => {
      const c = queue.current();
      const state = queue.filters().state;
      return c && state && state !== 'undecided' ? ([c.id, decisions.version()] as const) : undefined;
    },
    ([id]) => backend.history(id),
  );
  // `.latest`, not `history()`: reading a loading resource would suspend the island (see
  // FilterBar). While the next read runs, the last one stays if it is this card's.
  const ofCurrent = () => {
    const c = queue.current();
    const entries = history.error ? undefined : history.latest;
    if (!c || !entries) return undefined;
    const prefix = correctionsPrefix(c.id);
    return entries.every((e) => e.path.startsWith(prefix)) ? entries : undefined;
  };
  return {
    ofCurrent,
    error: () => history.error as unknown,
    /** A card this visit did not decide: the reviewer's decision from an earlier visit. */
    earlierDecision() {
      const c = queue.current();
      const me = email();
      if (!c || me === undefined || decisions.decided().has(c.id)) return null;
      const latest = ofCurrent()?.find((e) => e.path === correctionPath(c.id, me));
      return latest?.kind === 'decision' ? latest : null;
    },
  };
}
