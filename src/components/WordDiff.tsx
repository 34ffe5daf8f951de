/** A word-level diff, additions and removals marked with <ins> and <del>. */
import { createMemo, For } from 'solid-js';
import { compileWordDiff, countChanges } from '../lib/review/diff.ts';

export interface WordDiffProps {
  before: string;
  after: string;
}

export function WordDiff(props: WordDiffProps) {
  const parts = createMemo(() => compileWordDiff(props.before, props.after));
  const counts = createMemo(() => countChanges(parts()));
  return (
    <div class="diff">
      <p class="diff-summary">{counts().added === 0 && counts().removed === 0 ? 'No changes to the model response.' : `+${counts().added} / −${counts().removed} words`}</p>
      {/* Focusable: a long line scrolls sideways, and the keyboard must reach it too. */}
      <pre class="text diff-text" tabindex="0">
        <For each={parts()}>{(p) => (p.kind === 'added' ? <ins>{p.text}</ins> : p.kind === 'removed' ? <del>{p.text}</del> : <span>{p.text}</span>)}</For>
      </pre>
    </div>
  );
}
