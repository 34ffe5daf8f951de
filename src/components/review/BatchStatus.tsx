/** A batch of decisions (deciding in bulk, settling siblings): its progress, and once it is done, the one Undo that takes it all back. */
import { Show } from 'solid-js';

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
