/** The sheet of every keyboard shortcut (`?`). */
import { For } from 'solid-js';

export const SHORTCUTS: [string, string][] = [
  ['c', 'Edit the correction (focus the text box)'],
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
}

export function ShortcutSheet(props: ShortcutSheetProps) {
  return (
    <div class="sheet-backdrop" onClick={() => props.onClose()}>
      <div role="dialog" aria-modal="true" aria-labelledby="shortcut-title" class="sheet" onClick={(e) => e.stopPropagation()}>
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
        <button type="button" ref={(el) => queueMicrotask(() => el.focus())} onClick={() => props.onClose()}>
          Close
        </button>
      </div>
    </div>
  );
}
