/**
 * Decide in bulk: discard or flag (with an optional category) every candidate the current
 * filters show, after a confirmation that states how many, and take the whole batch back
 * with one Undo. Each decision is made like one by hand (review/decisions.ts: journaled,
 * one commit each, in order); candidates decided in this visit are left alone. Only in
 * the queue of candidates the reviewer has not decided: an undo removes a decision, so a
 * batch over earlier decisions could not be taken back.
 */
import { createSignal, For, Show } from 'solid-js';
import type { LabelBackend } from '../../lib/review/label-backend.ts';
import { FAILURE_CATEGORIES } from '../../lib/records/schemas.ts';
import type { Decision } from '../../lib/records/correction.ts';
import type { Candidate, FailureCategory } from '../../lib/records/schema-types.generated.ts';
import type { CommitStatus, Decisions } from './decisions.ts';
import { BatchStatus, ConfirmBatch } from './Batch.tsx';

export interface BulkDecideProps {
  backend: LabelBackend;
  decisions: Decisions;
  /** The queue's current filters (lib/review/queue-filter.ts). */
  filters: Record<string, string>;
  /** How many candidates match them, once known. */
  matching: number | null;
  /** A batch was sent: the page moves past the cards it decided. */
  onApplied: () => void;
  /** A batch was committed or undone: the queue is read again. */
  onChanged: () => void;
}

const PAGE = 200;
const VERB = { discard: ['Discard', 'Discarded', 'Discarding'], flag: ['Flag', 'Flagged', 'Flagging'] } as const;

export function BulkDecide(props: BulkDecideProps) {
  const [action, setAction] = createSignal<'discard' | 'flag'>('flag');
  const [category, setCategory] = createSignal('');
  const [progress, setProgress] = createSignal<string | null>(null);
  const [last, setLast] = createSignal<{ action: 'discard' | 'flag'; entries: CommitStatus[] } | null>(null);
  let dialog: HTMLDialogElement | undefined;
  const undecidedOnly = () => (props.filters.state ?? 'undecided') === 'undecided';

  /** Every candidate the filters show now, less those decided in this visit. */
  async function shown(): Promise<Candidate[]> {
    const out: Candidate[] = [];
    for (let after: string | null = null; ;) {
      const page = await props.backend.queue(after, PAGE, props.filters);
      out.push(...page.items.filter((c) => !props.decisions.decided().has(c.id)));
      if (page.items.length < PAGE) return out;
      after = page.items.at(-1)!.id;
    }
  }

  async function apply() {
    const verb = VERB[action()];
    setProgress(`Reading the candidates to ${verb[0].toLowerCase()}…`);
    try {
      const candidates = await shown();
      const entries: CommitStatus[] = [];
      for (const c of candidates) {
        const decision: Decision = { candidate_id: c.id, action: action(), ...(category() ? { failure_category: category() as FailureCategory } : {}) };
        entries.push(props.decisions.decide(c, decision));
      }
      props.onApplied();
      setProgress(`${verb[2]} ${entries.length} candidates: committing…`);
      await props.decisions.settled();
      const failed = entries.filter((e) => props.decisions.decided().get(e.candidate.id)?.state === 'failed').length;
      setLast({ action: action(), entries });
      setProgress(failed ? `${verb[1]} ${entries.length - failed} candidates; ${failed} failed (see the list below).` : `${verb[1]} ${entries.length} candidates.`);
      props.onChanged();
    } catch (err) {
      setProgress(`Nothing was decided: ${(err as Error).message}`);
    }
  }

  async function undoAll() {
    const batch = last();
    if (!batch) return;
    setLast(null);
    let undone = 0;
    let failed = 0;
    // Newest first, as one undo after another would go.
    for (const entry of [...batch.entries].reverse()) {
      // The decision as it stands now (the commit list shows only the latest few; `decided` keeps each candidate's).
      const now = props.decisions.decided().get(entry.candidate.id);
      const current = now?.key === entry.key ? now : entry;
      setProgress(`Undoing ${undone + failed + 1} of ${batch.entries.length}…`);
      if (await props.decisions.undo(current)) undone += 1;
      else failed += 1;
    }
    setProgress(failed ? `Undid ${undone}; ${failed} could not be undone (see the list below).` : `Undid all ${undone}.`);
    props.onChanged();
  }

  return (
    <section class="bulk" aria-label="Decide in bulk">
      <Show when={undecidedOnly()} fallback={<p class="muted">Deciding in bulk works on candidates you have not decided: set Review state to "not decided by me".</p>}>
        <label>
          Action
          <select value={action()} onChange={(e) => setAction(e.currentTarget.value as 'discard' | 'flag')}>
            <option value="flag">flag</option>
            <option value="discard">discard</option>
          </select>
        </label>
        <label>
          Category
          <select value={category()} onChange={(e) => setCategory(e.currentTarget.value)}>
            <option value="">none</option>
            <For each={FAILURE_CATEGORIES}>{(c) => <option value={c.value}>{c.label}</option>}</For>
          </select>
        </label>
        <button type="button" disabled={!props.matching || progress()?.endsWith('…')} onClick={() => dialog?.showModal()}>
          Apply to all {props.matching ?? '…'} shown
        </button>
      </Show>
      <BatchStatus progress={progress()} undoable={last()?.entries.length} onUndoAll={() => void undoAll()} />
      <ConfirmBatch id="bulk-confirm" ref={(d) => (dialog = d)} confirm={`${VERB[action()][0]} ${props.matching}`} onConfirm={() => void apply()}>
        {VERB[action()][0]} all {props.matching} candidates the filters show{category() ? `, as ${category()}` : ''}? Each becomes a commit of yours; one Undo takes them all back.
      </ConfirmBatch>
    </section>
  );
}
