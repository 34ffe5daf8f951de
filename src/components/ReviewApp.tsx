/**
 * The review page: the candidates this reviewer has not decided, one card at a time,
 * and the decision controls, all of them reachable by keyboard (see ShortcutSheet).
 * This file is its layout; what it does is the session (review/session.ts), which keys
 * (review/keys.ts) and buttons share.
 *
 * Its parts: the queue (review/queue.ts), the decisions of this visit and their commits (review/decisions.ts), the
 * settings (review/settings.ts), the decision form (review/DecisionForm.tsx), the starting
 * points (review/Starts.tsx), settling a correction's siblings (review/SettleSiblings.tsx), the commit list (review/CommitList.tsx) and the keys (review/shortcuts.ts).
 */
import { createSignal, For, Show } from 'solid-js';
import { ACTIONS } from '../lib/records/schemas.ts';
import { CandidateCard } from './CandidateCard.tsx';
import { FilterBar } from './FilterBar.tsx';
import { HistoryPanel } from './HistoryPanel.tsx';
import { BulkDecide } from './review/BulkDecide.tsx';
import { ConflictPanel } from './review/ConflictPanel.tsx';
import { actionLabel, CommitList, STATE_TEXT } from './review/CommitList.tsx';
import { DecisionForm } from './review/DecisionForm.tsx';
import { useReviewKeys } from './review/keys.ts';
import { createReviewSession, type ReviewAppProps, type ReviewSession } from './review/session.ts';
import { StartsPanel } from './review/Starts.tsx';
import { SettleSiblings } from './review/SettleSiblings.tsx';
import { ShortcutSheet } from './ShortcutSheet.tsx';

export type { ReviewAppProps } from './review/session.ts';

export function ReviewApp(props: ReviewAppProps) {
  const s = createReviewSession(props);
  const { backend, queue, decisions, settings, form, starts, settle, current } = s;
  const [sheetOpen, setSheetOpen] = createSignal(false);
  const [historyOpen, setHistoryOpen] = createSignal(false);
  const [filtersOpen, setFiltersOpen] = createSignal(false);
  useReviewKeys(s, { open: sheetOpen, set: setSheetOpen });
  const commitList = () => <CommitList decisions={decisions} onUndo={(entry) => void s.undo(entry)} onReopen={s.reopen} />;

  return (
    <div class="review">
      <Toolbar session={s} onSheet={() => setSheetOpen(true)} />

      <Show when={s.session()}>
        {/* Collapsed unless a filter is set, so the decision buttons fit on a 1280×720 screen. */}
        <details class="filters-toggle" open={s.filters.count() > 0} onToggle={(e) => setFiltersOpen(e.currentTarget.open)}>
          <summary>
            Filters and sort
            <Show when={s.filters.count()}>
              {' '}
              <span class="badge">{s.filters.count()} active</span>
            </Show>
          </summary>
          {/* Rendered only while open: no request for the counts after every decision while they are out of sight. */}
          <Show when={filtersOpen()}>
            <FilterBar backend={backend} value={queue.filters()} onChange={s.filters.apply} version={decisions.version()} />
          </Show>
          <BulkDecide
            backend={backend}
            decisions={decisions}
            filters={queue.filters()}
            matching={queue.matching()}
            onApplied={() => queue.advance(s.isDecided, queue.cursor() - 1)}
            onChanged={() => s.filters.apply(queue.filters())}
          />
        </details>
      </Show>

      <p class="visually-hidden" aria-live="polite">
        {s.announcement()}
      </p>

      <Show when={queue.error()}>
        <p class="error" role="alert">
          {queue.error()}
        </p>
      </Show>

      <Show
        when={current()}
        fallback={
          <Show when={s.session() && queue.exhausted() && !queue.error()}>
            <p class="done" tabindex="-1">
              {s.filters.count() ? 'No candidates match these filters.' : 'Nothing left to review: every candidate has your decision.'}
            </p>
          </Show>
        }
      >
        {(candidate) => (
          <div class="workspace">
            <div class="card-column" role="region" tabindex="-1" ref={s.card.ref} aria-label="Current candidate">
              <DecidedBanner session={s} />
              {/* The Conflicts view: the reviewers' decisions first, then the candidate they disagree on. */}
              <Show when={queue.filters().state === 'conflict'}>
                <ConflictPanel candidate={candidate()} history={s.history.ofCurrent()} error={s.history.error()} adjudicator={s.session()?.adjudicator === true} />
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
              <DecisionForm form={form} candidate={candidate()} start={starts.chosen()} onDecide={s.decide} isDraft={form.draft() !== s.initialDraft(candidate())} />
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
        <ShortcutSheet onClose={() => setSheetOpen(false)} returnFocus={s.card.focus} />
      </Show>
    </div>
  );
}

/** How many are left, the settings, the shortcut sheet's button and who is reviewing. */
function Toolbar(props: { session: ReviewSession; onSheet: () => void }) {
  const s = props.session;
  return (
    <div class="toolbar">
      <p class="remaining">
        <Show when={s.session()} fallback="Loading…">
          <Show
            when={s.session()!.team}
            fallback={
              <>
                <strong data-testid="remaining">{s.decisions.remaining()}</strong> of {s.session()!.total} left to review
              </>
            }
          >
            {(team) => (
              <>
                <strong data-testid="remaining">{s.decisions.remaining()}</strong> of the {team().assigned} assigned to you left to review{' '}
                {/* The team's split (plover.config.json): the queue is the reviewer's share unless they ask for everything. */}
                <button type="button" class="scope" aria-pressed={s.queue.filters().scope === 'all'} onClick={() => s.filters.toggleScope()}>
                  Everything I have not decided
                </button>
              </>
            )}
          </Show>
        </Show>
      </p>
      <div class="settings">
        <label>
          <input type="checkbox" checked={s.settings.startEmpty.on()} onChange={(e) => s.settings.startEmpty.set(e.currentTarget.checked)} /> Start corrections empty
        </label>
        <label>
          <input type="checkbox" checked={s.settings.raw.on()} onChange={(e) => s.settings.raw.set(e.currentTarget.checked)} /> Show raw text
        </label>
        <button type="button" class="link" onClick={props.onSheet} aria-keyshortcuts="?">
          Shortcuts (?)
        </button>
      </div>
      <Show when={s.session()}>
        <p class="reviewer">
          Reviewing as <span>{s.session()!.reviewer.name}</span> &lt;<span>{s.session()!.reviewer.email}</span>&gt;
        </p>
      </Show>
    </div>
  );
}

/** The reviewer's decision of the card shown: from this visit (with Undo), else from an earlier one. */
function DecidedBanner(props: { session: ReviewSession }) {
  const s = props.session;
  return (
    <>
      <Show when={!s.currentDecision() && s.history.earlierDecision()}>
        {(e) => (
          <p class="decided-banner" role="status">
            You decided <strong>{actionLabel(e().correction!.action)}</strong>
            {e().correction!.failure_category ? ` [${e().correction!.failure_category}]` : ''} on{' '}
            <time datetime={e().correction!.decided_at}>{new Date(e().correction!.decided_at).toLocaleString()}</time>, commit {e().commit.slice(0, 7)}. A new decision replaces it.
          </p>
        )}
      </Show>
      <Show when={s.currentDecision()}>
        {(d) => (
          <p class="decided-banner" role="status">
            You decided <strong>{actionLabel(d().decision.action)}</strong>
            {d().decision.failure_category ? ` [${d().decision.failure_category}]` : ''} — {d().state === 'done' ? `committed ${d().oid!.slice(0, 7)}` : STATE_TEXT[d().state]}{' '}
            <Show when={d().state === 'done'}>
              <button type="button" onClick={() => void s.undo(d())}>
                Undo this decision
              </button>
            </Show>
          </p>
        )}
      </Show>
    </>
  );
}
