/** A candidate's history from git: who decided what, when, in which commit; undos too. */
import { createResource, For, Show } from 'solid-js';
import type { LabelBackend } from '../lib/review/label-backend.ts';
import type { Candidate } from '../lib/records/schema-types.generated.ts';
import { WordDiff } from './WordDiff.tsx';

export interface HistoryPanelProps {
  backend: LabelBackend;
  candidate: Candidate;
  /** Changes whenever the history may have changed (a decision or undo committed). */
  version: number;
}

export function HistoryPanel(props: HistoryPanelProps) {
  // `.latest`, not `entries()`: reading a loading resource would suspend the whole island (see FilterBar).
  const [resource] = createResource(
    () => [props.candidate.id, props.version] as const,
    ([id]) => props.backend.history(id),
  );
  const entries = () => (resource.error ? undefined : resource.latest);
  return (
    <section class="history" aria-label="History">
      <Show when={!resource.loading || entries()} fallback={<p>Loading history…</p>}>
        <Show when={!resource.error} fallback={<p class="error">History unavailable: {String(resource.error?.message ?? resource.error)}</p>}>
          <Show when={entries()?.length} fallback={<p class="muted">No decisions on this candidate yet.</p>}>
            <ol>
              <For each={entries()}>
                {(e) => (
                  <li class={`history-entry history-${e.kind}`}>
                    <span class="history-what">
                      {e.kind === 'undo' ? 'Undo' : e.correction!.action}
                      {e.correction?.failure_category ? ` [${e.correction.failure_category}]` : ''}
                    </span>{' '}
                    by {e.author.name} &lt;{e.author.email}&gt;, <time datetime={e.date}>{new Date(e.date).toLocaleString()}</time>, commit{' '}
                    <code class="sha">{e.commit.slice(0, 7)}</code>
                    <Show when={e.correction?.action === 'correct'}>
                      <details>
                        <summary>Changes to the model response</summary>
                        <WordDiff before={props.candidate.model_response} after={e.correction!.corrected_response ?? ''} />
                      </details>
                    </Show>
                  </li>
                )}
              </For>
            </ol>
          </Show>
        </Show>
      </Show>
    </section>
  );
}
