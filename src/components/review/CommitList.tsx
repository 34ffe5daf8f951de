/** The decisions of this visit and the state of their commits, with Undo, Retry and Reopen. */
import { For, Show } from 'solid-js';
import { ACTIONS } from '../../lib/records/schemas.ts';
import type { Action } from '../../lib/records/schema-types.generated.ts';
import type { CommitStatus, Decisions } from './decisions.ts';

export const actionLabel = (action: Action) => ACTIONS.find((a) => a.value === action)!.label;

export const STATE_TEXT: Record<CommitStatus['state'], string> = {
  pending: 'committing…',
  done: 'committed',
  failed: 'not committed:',
  undoing: 'undoing…',
  undone: 'undone by',
};

export interface CommitListProps {
  decisions: Decisions;
  onUndo: (entry: CommitStatus) => void;
  onReopen: (entry: CommitStatus) => void;
}

export function CommitList(props: CommitListProps) {
  const commits = () => props.decisions.commits();
  // One row per decision, updated in place as its commit's state changes (each change is a
  // new entry object), not made again and shown arriving again. A failure makes a new row:
  // an alert that appears is what a screen reader announces.
  const rowOf = (c: CommitStatus) => (c.state === 'failed' ? `${c.key} failed` : `${c.key}`);
  const rows = () => commits().map(rowOf);
  return (
    <section class="commits" aria-label="Commits">
      <ul>
        <For each={rows()}>
          {(row) => {
            let last: CommitStatus | undefined;
            const entry = () => (last = commits().find((c) => rowOf(c) === row) ?? last)!;
            return (
              <li class={`commit commit-${entry().state}`} role={entry().state === 'failed' ? 'alert' : undefined} data-state={entry().state}>
                <span class="commit-what">
                  {actionLabel(entry().decision.action)} <code>{entry().decision.candidate_id}</code>
                  {entry().decision.failure_category ? ` [${entry().decision.failure_category}]` : ''}
                </span>{' '}
                <span>{STATE_TEXT[entry().state]}</span>{' '}
                <Show when={entry().oid && (entry().state === 'done' || entry().state === 'undone')}>
                  <code class="sha">{entry().oid!.slice(0, 7)}</code>{' '}
                </Show>
                <Show when={entry().state === 'done'}>
                  <button type="button" onClick={() => props.onUndo(entry())} aria-keyshortcuts={props.decisions.lastUndoable() === entry() ? 'u' : undefined}>
                    Undo
                  </button>
                </Show>
                <Show when={entry().error}>
                  {/* A refusal that lists its problems (the label server's or the service's) shows its first line, then each problem. */}
                  <span class="commit-error"> {entry().problems.length ? entry().error!.split('\n')[0] : entry().error}</span>{' '}
                  <Show when={entry().problems.length}>
                    <ul class="commit-problems">
                      <For each={entry().problems}>
                        {(p) => (
                          <li>
                            <Show when={p.path}>
                              <code>{p.path}</code>:{' '}
                            </Show>
                            {p.message}
                          </li>
                        )}
                      </For>
                    </ul>
                  </Show>
                </Show>
                <Show when={entry().state === 'failed'}>
                  <button type="button" onClick={() => props.decisions.retry(entry())}>
                    Retry
                  </button>{' '}
                  <button type="button" onClick={() => props.onReopen(entry())}>
                    Reopen
                  </button>
                </Show>
              </li>
            );
          }}
        </For>
      </ul>
    </section>
  );
}
