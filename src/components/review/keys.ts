/**
 * The review page's keys, listened for on the window while the page is open: each calls
 * what its button calls (session.ts). Which key means what is shortcuts.ts. Leaving the
 * page while a decision is not yet stored asks first.
 */
import { onCleanup, onMount } from 'solid-js';
import type { ReviewSession } from './session.ts';
import { shortcutOf } from './shortcuts.ts';
import { startLabel } from './Starts.tsx';

export function useReviewKeys(s: ReviewSession, sheet: { open: () => boolean; set: (open: boolean) => void }): void {
  const onKeyDown = (e: KeyboardEvent) => {
    const shortcut = shortcutOf(e, sheet.open());
    if (!shortcut) return;
    if (shortcut.kind === 'escape') {
      // Esc cancels: the sheet if open, else the edit of the correction (wherever focus is).
      if (sheet.open()) sheet.set(false);
      else if (s.form.isTextFocused() || s.form.draft() !== s.initialDraft(s.current())) s.cancelEdit();
      return;
    }
    e.preventDefault();
    switch (shortcut.kind) {
      case 'correct':
        return s.decide('correct');
      case 'sheet':
        return sheet.set(!sheet.open());
      case 'category':
        return s.toggleCategory(shortcut.index);
      case 'edit':
        return s.form.focusText();
      case 'start': {
        const start = s.starts.cycle();
        return s.setAnnouncement(start ? `Started from ${startLabel(start.kind)}${start.source ? ` (${start.source})` : ''}.` : 'No starting points for this candidate yet.');
      }
      case 'discard':
      case 'flag':
        return s.decide(shortcut.kind);
      case 'undo':
        return void s.undo(s.decisions.lastUndoable());
      case 'next':
        return s.move(1);
      case 'previous':
        return s.move(-1);
    }
  };
  // Leaving while a decision is not yet stored (committing, or an undo on its way) asks first.
  const onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (!s.decisions.unsaved()) return;
    e.preventDefault();
    e.returnValue = '';
  };
  onMount(() => {
    window.addEventListener('keydown', onKeyDown);
    window.addEventListener('beforeunload', onBeforeUnload);
  });
  onCleanup(() => {
    if (typeof window === 'undefined') return;
    window.removeEventListener('keydown', onKeyDown);
    window.removeEventListener('beforeunload', onBeforeUnload);
  });
}
