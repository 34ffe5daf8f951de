/**
 * Settle the siblings: after a correction, one action commits the same correction (and
 * category) for every sibling of that candidate (lib/review/siblings.ts) this reviewer has not
 * decided, each recorded as started from that correction (`sibling_correction`), after a
 * confirmation that says how many; one Undo takes the batch back. Each sibling keeps its
 * own failed answer, so each becomes its own preference pair. A sibling whose answer is
 * already the correction is left out (the model was right there; decide it by hand).
 */
import { createSignal, Show } from 'solid-js';
import type { Decision } from '../../lib/records/correction.ts';
import type { CardContext, LabelBackend } from '../../lib/review/label-backend.ts';
import type { Candidate } from '../../lib/records/schema-types.generated.ts';
import { FAILURE_CATEGORIES } from '../../lib/records/schemas.ts';
import { startingPoint } from '../../lib/review/siblings.ts';
import { isUnchangedResponse, normalizeCorrectedText } from '../../lib/records/target-text.ts';
import { normalizeEmail } from '../../lib/records/paths.ts';
import type { CommitStatus, Decisions } from './decisions.ts';
import { BatchStatus, ConfirmBatch } from './Batch.tsx';

export interface SettleSiblingsProps {
  backend: LabelBackend;
  decisions: Decisions;
  /** The signed-in reviewer's email. */
  reviewer: () => string | undefined;
}

/** What the page keeps of the last correction: its candidate, decision and siblings. */
interface Offer {
  candidate: Candidate;
  decision: Decision;
  siblings: Candidate[];
}

export function createSettleSiblings(props: SettleSiblingsProps) {
  const [offer, setOffer] = createSignal<Offer | null>(null);
  const [progress, setProgress] = createSignal<string | null>(null);
  const [last, setLast] = createSignal<CommitStatus[] | null>(null);
  /** Counts decisions: a context read for an earlier one comes too late to offer anything. */
  let latest = 0;
  /** The siblings still to settle: not decided by this reviewer (before or in this visit), their answer not already the correction. */
  const open = () => {
    const o = offer();
    if (!o) return [];
    return o.siblings.filter((s) => !props.decisions.decided().has(s.id) && !isUnchangedResponse(o.decision.corrected_response ?? '', s.model_response));
  };
  return {
    offer,
    open,
    progress,
    last,
    /**
     * After a decision: a correction with siblings is offered; any other decision takes the
     * offer away. `shown` is the card's context if it was read; else it is read now.
     */
    async decided(candidate: Candidate, decision: Decision, shown: CardContext | undefined) {
      const mine = ++latest;
      setOffer(null);
      if (decision.action !== 'correct') return;
      const context = shown?.candidate_id === candidate.id ? shown : await props.backend.context(candidate.id).catch(() => undefined);
      if (mine !== latest || !context) return;
      const me = props.reviewer();
      const siblings = context.siblings.filter((s) => !s.decisions.some((d) => me !== undefined && normalizeEmail(d.reviewer) === normalizeEmail(me))).map((s) => s.candidate);
      if (!siblings.length) return;
      setOffer({ candidate, decision, siblings });
      setProgress(null);
    },
    async apply() {
      const o = offer();
      const targets = open();
      if (!o || !targets.length) return;
      const text = normalizeCorrectedText(o.decision.corrected_response ?? '');
      const started_from = startingPoint({ kind: 'sibling_correction', candidate_id: o.candidate.id, text });
      const entries = targets.map((s) =>
        props.decisions.decide(s, { candidate_id: s.id, action: 'correct', corrected_response: text, failure_category: o.decision.failure_category ?? null, started_from }),
      );
      setOffer(null);
      setProgress(`Correcting ${entries.length} siblings: committing…`);
      await props.decisions.settled();
      const failed = entries.filter((e) => props.decisions.decided().get(e.candidate.id)?.state === 'failed').length;
      setLast(entries);
      setProgress(
        failed ? `Corrected ${entries.length - failed} siblings the same way; ${failed} failed (see the list below).` : `Corrected ${entries.length} siblings the same way.`,
      );
    },
    async undoAll() {
      const batch = last();
      if (!batch) return;
      setLast(null);
      let undone = 0;
      for (const entry of [...batch].reverse()) {
        const now = props.decisions.decided().get(entry.candidate.id);
        if (await props.decisions.undo(now?.key === entry.key ? now : entry)) undone += 1;
      }
      setProgress(undone === batch.length ? `Undid all ${undone}.` : `Undid ${undone}; ${batch.length - undone} could not be undone (see the list below).`);
    },
  };
}

export type SettleSiblingsState = ReturnType<typeof createSettleSiblings>;

/** The offer after a correction, its confirmation, and the batch's progress and Undo. */
export function SettleSiblings(props: { state: SettleSiblingsState }) {
  let dialog: HTMLDialogElement | undefined;
  const n = () => props.state.open().length;
  const category = () => FAILURE_CATEGORIES.find((c) => c.value === props.state.offer()?.decision.failure_category)?.label;
  return (
    <Show when={(props.state.offer() && n()) || props.state.progress()}>
      <section class="settle-siblings" aria-label="Siblings of the last correction">
        <Show when={props.state.offer() && n()}>
          <p>
            You corrected <code>{props.state.offer()!.candidate.id}</code>; {n()} sibling{n() === 1 ? '' : 's'} (the same question in other runs) {n() === 1 ? 'is' : 'are'} not
            decided by you.{' '}
            <button type="button" onClick={() => dialog?.showModal()}>
              Same correction for {n()} sibling{n() === 1 ? '' : 's'}
            </button>
          </p>
        </Show>
        <BatchStatus progress={props.state.progress()} undoable={props.state.last()?.length} onUndoAll={() => void props.state.undoAll()} />
        <ConfirmBatch id="settle-confirm" ref={(d) => (dialog = d)} confirm={`Correct ${n()}`} onConfirm={() => void props.state.apply()}>
          Commit the same correction{category() ? `, as ${category()},` : ''} for {n()} sibling{n() === 1 ? '' : 's'}? Each keeps its own model answer and becomes a commit of
          yours; one Undo takes them all back.
        </ConfirmBatch>
      </section>
    </Show>
  );
}
