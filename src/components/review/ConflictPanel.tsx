/**
 * The Conflicts view's card part: every reviewer's current decision on the candidate side
 * by side (action, category, who and when, and the correction as a word diff against the
 * model response), from the card's history in git (read once by ReviewApp, which shares it
 * with the "You decided" banner). Shown under the filter
 * "in conflict between reviewers"; deciding the card adds the viewer's decision, which
 * settles the candidate under `majority` when it sides with one of them, and under every
 * policy when the viewer is an adjudicator (team.adjudicators).
 */
import { For, Show } from 'solid-js';
import type { HistoryEntry } from '../../lib/review/label-backend.ts';
import type { Candidate } from '../../lib/records/schema-types.generated.ts';
import { WordDiff } from '../WordDiff.tsx';

export interface ConflictPanelProps {
  candidate: Candidate;
  /** The candidate's history, newest first; undefined while it is read. */
  history: HistoryEntry[] | undefined;
  /** Why the history could not be read. */
  error?: unknown;
  /** Whether the viewer is an adjudicator: their decision settles the candidate. */
  adjudicator: boolean;
}

/** Each reviewer's latest entry, kept when it is a decision (an undo leaves none): their current decisions. */
function currentDecisions(history: HistoryEntry[]): HistoryEntry[] {
  const latest = new Map<string, HistoryEntry>();
  // History is newest first: the first entry per file is that reviewer's latest.
  for (const e of history) if (!latest.has(e.path)) latest.set(e.path, e);
  // Oldest decision first, by the decision's own time (commit times have whole seconds).
  return [...latest.values()].filter((e) => e.kind === 'decision').sort((a, b) => Date.parse(a.correction!.decided_at) - Date.parse(b.correction!.decided_at));
}

export function ConflictPanel(props: ConflictPanelProps) {
  const decisions = () => props.history && currentDecisions(props.history);
  return (
    <section class="conflict" aria-label="Decisions in conflict">
      <h2>Reviewers' decisions</h2>
      <Show when={props.adjudicator}>
        <p class="muted">You are an adjudicator: your decision settles this candidate, whatever the others chose.</p>
      </Show>
      <Show when={!props.error} fallback={<p class="error">Decisions unavailable: {String((props.error as Error | undefined)?.message ?? props.error)}</p>}>
        <Show when={decisions()} fallback={<p>Loading decisions…</p>}>
          {(list) => (
            <div class="conflict-columns">
              <For each={list()}>
                {(e) => (
                  <article class="conflict-decision" aria-label={`Decision of ${e.correction!.reviewer.email}`}>
                    <p>
                      <strong class="conflict-action">{e.correction!.action}</strong>
                      {e.correction!.failure_category ? ` [${e.correction!.failure_category}]` : ''}
                    </p>
                    <p class="muted">
                      {e.correction!.reviewer.name} &lt;{e.correction!.reviewer.email}&gt;,{' '}
                      <time datetime={e.correction!.decided_at}>{new Date(e.correction!.decided_at).toLocaleString()}</time>
                    </p>
                    <Show when={e.correction!.action === 'correct'} fallback={<p class="muted">No correction: the model response stands as shown.</p>}>
                      <WordDiff before={props.candidate.model_response} after={e.correction!.corrected_response ?? ''} />
                    </Show>
                  </article>
                )}
              </For>
            </div>
          )}
        </Show>
      </Show>
    </section>
  );
}
