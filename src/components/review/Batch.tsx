/** A batch of decisions (deciding in bulk, settling siblings): its confirmation, its progress, and once it is done, the one Undo that takes it all back. */
import { Show, type JSX } from 'solid-js';

/** The batch's progress, and the Undo of the whole batch once it is done. */
export function BatchStatus(props: { progress: string | null; undoable: number | undefined; onUndoAll: () => void }) {
  return (
    <Show when={props.progress}>
      <p role="status">
        {props.progress}{' '}
        <Show when={props.undoable}>
          {(n) => (
            <button type="button" onClick={() => props.onUndoAll()}>
              Undo all {n()}
            </button>
          )}
        </Show>
      </p>
    </Show>
  );
}

/** The confirmation before a batch: the question, the button that starts the batch (after closing the dialog), and Cancel. */
export function ConfirmBatch(props: { id: string; ref: (dialog: HTMLDialogElement) => void; confirm: string; onConfirm: () => void; children: JSX.Element }) {
  let dialog: HTMLDialogElement | undefined;
  return (
    <dialog
      ref={(d) => {
        dialog = d;
        props.ref(d);
      }}
      aria-labelledby={props.id}
    >
      <p id={props.id}>{props.children}</p>
      <button
        type="button"
        onClick={() => {
          dialog?.close();
          props.onConfirm();
        }}
      >
        {props.confirm}
      </button>{' '}
      <button type="button" onClick={() => dialog?.close()}>
        Cancel
      </button>
    </dialog>
  );
}
