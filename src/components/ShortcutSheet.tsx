/** The sheet of every keyboard shortcut (`?`). */
import { For, onCleanup } from 'solid-js';

export const SHORTCUTS: [string, string][] = [
  ['c', 'Edit the correction (focus the text box)'],
  ['s', 'Start from the next starting point (a sibling’s correction, the reference answer, a suggestion, a sibling’s answer, the model response)'],
  ['Ctrl/⌘ + Enter', 'Submit the correction (Correct)'],
  ['d', 'Discard'],
  ['f', 'Flag'],
  ['1 – 6', 'Toggle a failure category'],
  ['j / → / ↓', 'Next candidate'],
  ['k / ← / ↑', 'Previous candidate'],
  ['u', 'Undo your last decision'],
  ['Esc', 'Leave the text box (dropping edits), or close this sheet'],
  ['?', 'Show or hide this sheet'],
];

export interface ShortcutSheetProps {
  onClose: () => void;
  /** Where focus goes on closing when the sheet was opened from no control (the `?` key): e.g. the card. */
  returnFocus?: () => void;
}

/**
 * A modal sheet: focus starts on Close and stays inside it (Tab cycles there), and on
 * closing goes back to the control that opened it, or to `returnFocus`.
 */
export function ShortcutSheet(props: ShortcutSheetProps) {
  const opener = typeof document === 'undefined' ? null : (document.activeElement as HTMLElement | null);
  onCleanup(() => {
    if (opener && opener !== document.body && opener.isConnected) opener.focus();
    else props.returnFocus?.();
  });
  let close: HTMLButtonElement | undefined;
  return (
    <div class="sheet-backdrop" onClick={() => props.onClose()}>
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="shortcut-title"
        class="sheet"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          // Close is the sheet's one control: Tab and Shift+Tab stay on it.
          if (e.key === 'Tab') {
            e.preventDefault();
            close?.focus();
          }
        }}
      >
        <h2 id="shortcut-title">Keyboard shortcuts</h2>
        <p class="muted">Letter keys do nothing while you type in the text box.</p>
        <table>
          <tbody>
            <For each={SHORTCUTS}>
              {([key, what]) => (
                <tr>
                  <th scope="row">
                    <kbd>{key}</kbd>
                  </th>
                  <td>{what}</td>
                </tr>
              )}
            </For>
          </tbody>
        </table>
        <button
          type="button"
          ref={(el) => {
            close = el;
            queueMicrotask(() => el.focus());
          }}
          onClick={() => props.onClose()}
        >
          Close
        </button>
      </div>
    </div>
  );
}
