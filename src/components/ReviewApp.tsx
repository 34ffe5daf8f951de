/**
 * The review page: the queue of candidates this reviewer has not decided, one card at
 * a time, and the decision controls. A decision shows the next candidate at once; its
 * commit runs in the background and its outcome stays visible (failed ones can be
 * retried or reopened, so nothing submitted is lost).
 */
import { createEffect, createMemo, createSignal, For, on, onCleanup, onMount, Show } from 'solid-js';
import type { Decision } from '../lib/correction.ts';
import type { ActionCounts } from '../lib/review-state.ts';
import type { Action, Candidate, FailureCategory } from '../lib/schema-types.ts';
import { ACTIONS, FAILURE_CATEGORIES } from '../lib/schemas.ts';
import type { LabelBackend, Session } from '../client/backend.ts';
import { createLocalBackend } from '../client/local-backend.ts';
import { CandidateCard } from './CandidateCard.tsx';

export interface ReviewAppProps {
  /** Where decisions go; the local label server when not given. */
  backend?: LabelBackend;
}

interface CommitStatus {
  key: number;
  candidate: Candidate;
  decision: Decision;
  state: 'pending' | 'done' | 'failed';
  oid?: string;
  error?: string;
}

/** Pending and failed commits always stay listed; of the finished ones, the latest few. */
function keepVisible(list: CommitStatus[]): CommitStatus[] {
  let done = 0;
  return list.filter((c) => c.state !== 'done' || ++done <= STATUS_SHOWN);
}

const PAGE = 20;
const PREFETCH_BELOW = 5;
const STATUS_SHOWN = 6;

export function ReviewApp(props: ReviewAppProps) {
  const backend = props.backend ?? createLocalBackend();
  const [session, setSession] = createSignal<Session | null>(null);
  const [loadError, setLoadError] = createSignal<string | null>(null);
  const [queue, setQueue] = createSignal<Candidate[]>([]);
  const [exhausted, setExhausted] = createSignal(false);
  const [serverRemaining, setServerRemaining] = createSignal(0);
  const [counts, setCounts] = createSignal<ActionCounts>({ correct: 0, discard: 0, flag: 0 });
  const [draft, setDraft] = createSignal('');
  const [category, setCategory] = createSignal<FailureCategory | null>(null);
  const [formError, setFormError] = createSignal<string | null>(null);
  const [commits, setCommits] = createSignal<CommitStatus[]>([]);
  let lastFetched: string | null = null;
  let loading = false;
  let nextKey = 0;
  let textarea: HTMLTextAreaElement | undefined;

  const current = () => queue()[0];
  const pending = createMemo(() => commits().filter((c) => c.state === 'pending').length);
  const remaining = () => Math.max(serverRemaining() - pending(), 0);

  async function loadMore() {
    if (loading || exhausted()) return;
    loading = true;
    try {
      const page = await backend.queue(lastFetched, PAGE);
      const last = page.items.at(-1);
      if (last) lastFetched = last.id;
      if (page.items.length < PAGE) setExhausted(true);
      setQueue((q) => [...q, ...page.items.filter((c) => !q.some((x) => x.id === c.id))]);
      setLoadError(null);
    } catch (err) {
      setLoadError((err as Error).message);
    } finally {
      loading = false;
    }
  }

  onMount(async () => {
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

  // Keep a few candidates ahead so the next card shows at once.
  createEffect(() => {
    if (session() && queue().length < PREFETCH_BELOW && !exhausted()) void loadMore();
  });

  // A new card starts with the model's response to edit, and no category.
  createEffect(
    on(current, (c) => {
      setDraft(c?.model_response ?? '');
      setCategory(null);
      setFormError(null);
    }),
  );

  function updateCommit(key: number, patch: Partial<CommitStatus>) {
    setCommits((list) => list.map((c) => (c.key === key ? { ...c, ...patch } : c)));
  }

  async function send(key: number, decision: Decision) {
    try {
      const result = await backend.decide(decision);
      updateCommit(key, { state: 'done', oid: result.oid });
      setCounts(result.counts);
      setServerRemaining(result.remaining);
    } catch (err) {
      updateCommit(key, { state: 'failed', error: (err as Error).message });
    }
  }

  function decide(action: Action) {
    const candidate = current();
    if (!candidate) return;
    if (action === 'correct' && draft().trim() === '') {
      setFormError('Write the corrected response before choosing Correct.');
      textarea?.focus();
      return;
    }
    const decision: Decision = {
      candidate_id: candidate.id,
      action,
      corrected_response: action === 'correct' ? draft() : null,
      failure_category: category(),
    };
    const key = nextKey++;
    setCommits((list) => keepVisible([{ key, candidate, decision, state: 'pending' }, ...list]));
    setQueue((q) => q.slice(1));
    void send(key, decision);
  }

  function retry(entry: CommitStatus) {
    updateCommit(entry.key, { state: 'pending', error: undefined });
    void send(entry.key, entry.decision);
  }

  /** Puts a failed decision's candidate back in front, to decide it again by hand. */
  function reopen(entry: CommitStatus) {
    setCommits((list) => list.filter((c) => c.key !== entry.key));
    setQueue((q) => [entry.candidate, ...q.filter((c) => c.id !== entry.candidate.id)]);
  }

  const onKeyDown = (e: KeyboardEvent) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
      e.preventDefault();
      decide('correct');
    }
  };
  onMount(() => window.addEventListener('keydown', onKeyDown));
  onCleanup(() => typeof window !== 'undefined' && window.removeEventListener('keydown', onKeyDown));

  const label = (action: Action) => ACTIONS.find((a) => a.value === action)!.label;

  return (
    <div class="review">
      <div class="toolbar">
        <p class="remaining" aria-live="polite">
          <Show when={session()} fallback="Loading…">
            <strong data-testid="remaining">{remaining()}</strong> of {session()!.total} left to review
          </Show>
        </p>
        <Show when={session()}>
          <p class="reviewer">
            Reviewing as <span>{session()!.reviewer.name}</span> &lt;<span>{session()!.reviewer.email}</span>&gt;
          </p>
        </Show>
      </div>

      <Show when={loadError()}>
        <p class="error" role="alert">
          {loadError()}
        </p>
      </Show>

      <Show
        when={current()}
        fallback={
          <Show when={session() && exhausted() && !loadError()}>
            <p class="done">Nothing left to review: every candidate has your decision.</p>
          </Show>
        }
      >
        {(candidate) => (
          <div class="workspace">
            <CandidateCard candidate={candidate()} />
            <form class="decision" aria-label="Decision" onSubmit={(e) => e.preventDefault()}>
              <label for="corrected-response">Corrected response</label>
              <textarea
                id="corrected-response"
                ref={textarea}
                value={draft()}
                onInput={(e) => {
                  setDraft(e.currentTarget.value);
                  setFormError(null);
                }}
                rows={12}
                spellcheck={true}
              />
              <Show when={formError()}>
                <p class="error" role="alert">
                  {formError()}
                </p>
              </Show>
              <fieldset class="categories">
                <legend>Failure category (optional)</legend>
                <For each={FAILURE_CATEGORIES}>
                  {(c) => (
                    <button
                      type="button"
                      class="category"
                      aria-pressed={category() === c.value}
                      title={c.description}
                      onClick={() => setCategory(category() === c.value ? null : c.value)}
                    >
                      {c.label}
                    </button>
                  )}
                </For>
              </fieldset>
              <div class="actions">
                <button type="button" class="action action-correct" onClick={() => decide('correct')} aria-keyshortcuts="Control+Enter">
                  Correct
                </button>
                <button type="button" class="action action-discard" onClick={() => decide('discard')}>
                  Discard
                </button>
                <button type="button" class="action action-flag" onClick={() => decide('flag')}>
                  Flag
                </button>
                <span class="hint">Ctrl/⌘+Enter submits the correction</span>
              </div>
            </form>
          </div>
        )}
      </Show>

      <section class="commits" aria-label="Commits">
        <ul>
          <For each={commits()}>
            {(entry) => (
              <li class={`commit commit-${entry.state}`} role={entry.state === 'failed' ? 'alert' : undefined} data-state={entry.state}>
                <span class="commit-what">
                  {label(entry.decision.action)} <code>{entry.decision.candidate_id}</code>
                  {entry.decision.failure_category ? ` [${entry.decision.failure_category}]` : ''}
                </span>{' '}
                <Show when={entry.state === 'pending'}>
                  <span>committing…</span>
                </Show>
                <Show when={entry.state === 'done'}>
                  <span>
                    committed <code class="sha">{entry.oid!.slice(0, 7)}</code>
                  </span>
                </Show>
                <Show when={entry.state === 'failed'}>
                  <span class="commit-error">not committed: {entry.error}</span>{' '}
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
    </div>
  );
}
