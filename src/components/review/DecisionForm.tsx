/**
 * The decision form beside the card: the corrected response, warnings about it, the
 * question asked when it is unchanged, the diff, the failure categories and the three
 * actions. Its state lives in a store (createDecisionForm), so the keyboard shortcuts
 * and the buttons change the same thing.
 */
import { createMemo, createSignal, For, Show } from 'solid-js';
import { controlTokensIn } from '../../lib/export/control-tokens.ts';
import type { Action, Candidate, FailureCategory } from '../../lib/records/schema-types.generated.ts';
import { FAILURE_CATEGORIES } from '../../lib/records/schemas.ts';
import type { Start } from '../../lib/review/siblings.ts';
import { WordDiff } from '../WordDiff.tsx';
import { startLabel } from './Starts.tsx';

/** `onEdit`: called with the text after each change the reviewer makes (for drafts). */
export function createDecisionForm(onEdit?: (text: string) => void) {
  const [draft, setDraft] = createSignal('');
  const [category, setCategory] = createSignal<FailureCategory | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  /** Correct was chosen with the model's response unchanged: the form asks whether the model was right. */
  const [askUnchanged, setAskUnchanged] = createSignal(false);
  const tokens = createMemo(() => controlTokensIn(draft()));
  let textarea: HTMLTextAreaElement | undefined;
  let unchangedPanel: HTMLDivElement | undefined;
  return {
    draft,
    setDraft,
    category,
    setCategory,
    toggleCategory: (value: FailureCategory) => setCategory(category() === value ? null : value),
    error,
    askUnchanged,
    setAskUnchanged,
    /** Control tokens in the correction. */
    tokens,
    /** The reviewer typed: a new text, and whatever was said about the old one goes. */
    edit(text: string) {
      setDraft(text);
      setError(null);
      setAskUnchanged(false);
      onEdit?.(text);
    },
    /** A fresh form: this text and category, no error, no question. */
    reset(text: string, chosen: FailureCategory | null) {
      setDraft(text);
      setCategory(chosen);
      setError(null);
      setAskUnchanged(false);
    },
    /** Shows why Correct cannot go ahead, and puts the cursor in the text. */
    refuse(message: string) {
      setError(message);
      textarea?.focus();
    },
    /** Asks whether the model's unchanged answer was right, with the first answer focused. */
    ask() {
      setAskUnchanged(true);
      queueMicrotask(() => unchangedPanel?.querySelector('button')?.focus());
    },
    focusText: () => textarea?.focus(),
    isTextFocused: () => typeof document !== 'undefined' && document.activeElement === textarea,
    refs: {
      textarea: (el: HTMLTextAreaElement) => (textarea = el),
      unchangedPanel: (el: HTMLDivElement) => (unchangedPanel = el),
    },
  };
}

export type DecisionFormState = ReturnType<typeof createDecisionForm>;

export interface DecisionFormProps {
  form: DecisionFormState;
  candidate: Candidate;
  /** The start taken (review/Starts.tsx), when it is not the model's response: the diff shows the change against it too. */
  start?: Start | undefined;
  /** The correction is an unsubmitted draft (kept in this browser). */
  isDraft?: boolean;
  /** `unchanged`: the reviewer said the model's unchanged answer was right. */
  onDecide: (action: Action, unchanged?: boolean) => void;
}

export function DecisionForm(props: DecisionFormProps) {
  const form = () => props.form;
  const [diffOpen, setDiffOpen] = createSignal(false);
  const [startDiffOpen, setStartDiffOpen] = createSignal(false);
  const start = () => (props.start && props.start.kind !== 'model_response' ? props.start : undefined);
  return (
    <form class="decision" aria-label="Decision" onSubmit={(e) => e.preventDefault()}>
      <label for="corrected-response">
        Corrected response
        <Show when={props.isDraft}>
          {' '}
          <span class="draft-badge" data-testid="draft">
            Draft, not submitted: kept in this browser (Esc drops it)
          </span>
        </Show>
      </label>
      <textarea
        id="corrected-response"
        ref={form().refs.textarea}
        value={form().draft()}
        onInput={(e) => form().edit(e.currentTarget.value)}
        aria-invalid={form().error() ? 'true' : undefined}
        aria-describedby={form().error() ? 'correction-error' : undefined}
        rows={12}
        spellcheck={true}
        aria-keyshortcuts="c"
      />
      <Show when={form().error()}>
        <p class="error" role="alert" id="correction-error">
          {form().error()}
        </p>
      </Show>
      <Show when={form().tokens().length}>
        <p class="warning control-token-warning" role="status">
          The corrected response holds chat-template control tokens ({form().tokens().join(' ')}): a tokenizer turns them into real turn markers, so the model would learn to end or
          fake a turn. Remove them before Correct.
        </p>
      </Show>
      <Show when={form().askUnchanged()}>
        <div class="unchanged-ask" role="alert" ref={form().refs.unchangedPanel}>
          <p>
            <strong>Unchanged: was the model's answer right?</strong> The corrected response is the model's response as it is, so Correct would train on the answer that failed the
            check.
          </p>
          <button
            type="button"
            onClick={() => {
              form().setCategory('scoring_artifact');
              props.onDecide('correct', true);
            }}
          >
            Yes: Correct as Scoring artifact
          </button>
          <button type="button" onClick={() => props.onDecide('correct', true)}>
            Yes: Correct{form().category() ? ` (${FAILURE_CATEGORIES.find((c) => c.value === form().category())!.label})` : ''}
          </button>
          <button
            type="button"
            onClick={() => {
              form().setAskUnchanged(false);
              form().focusText();
            }}
          >
            No: edit it
          </button>
        </div>
      </Show>
      {/* Rendered only while open: no diff work for every card shown. */}
      <details class="diff-toggle" onToggle={(e) => setDiffOpen(e.currentTarget.open)}>
        <summary>Changes to the model response</summary>
        <Show when={diffOpen()}>
          <WordDiff before={props.candidate.model_response} after={form().draft()} />
        </Show>
      </details>
      <Show when={start()}>
        {(s) => (
          <details class="diff-toggle start-diff" onToggle={(e) => setStartDiffOpen(e.currentTarget.open)}>
            <summary>Changes to the start ({startLabel(s().kind)})</summary>
            <Show when={startDiffOpen()}>
              <WordDiff before={s().text} after={form().draft()} />
            </Show>
          </details>
        )}
      </Show>
      <fieldset class="categories">
        <legend>Failure category (optional)</legend>
        <For each={FAILURE_CATEGORIES}>
          {(c, i) => (
            <button
              type="button"
              class="category"
              aria-pressed={form().category() === c.value}
              aria-keyshortcuts={String(i() + 1)}
              title={`${c.description} (key ${i() + 1})`}
              onClick={() => form().toggleCategory(c.value)}
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
        <button type="button" class="action action-correct" onClick={() => props.onDecide('correct')} aria-keyshortcuts="Control+Enter">
          Correct
        </button>
        <button type="button" class="action action-discard" onClick={() => props.onDecide('discard')} aria-keyshortcuts="d">
          Discard
        </button>
        <button type="button" class="action action-flag" onClick={() => props.onDecide('flag')} aria-keyshortcuts="f">
          Flag
        </button>
        <span class="hint">Ctrl/⌘+Enter correct · d discard · f flag · u undo · ? all keys</span>
      </div>
    </form>
  );
}
