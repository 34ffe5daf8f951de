/** The review page's keys (listed for the reviewer in ShortcutSheet.tsx), read from a key press. */
import { FAILURE_CATEGORIES } from '../../lib/records/schemas.ts';

export type Shortcut =
  | { kind: 'correct' }
  | { kind: 'escape' }
  | { kind: 'sheet' }
  | { kind: 'category'; index: number }
  | { kind: 'edit' | 'discard' | 'flag' | 'undo' | 'next' | 'previous' | 'start' };

const KEYS: Record<string, Shortcut['kind']> = {
  c: 'edit',
  d: 'discard',
  f: 'flag',
  u: 'undo',
  s: 'start',
  j: 'next',
  ArrowDown: 'next',
  ArrowRight: 'next',
  k: 'previous',
  ArrowUp: 'previous',
  ArrowLeft: 'previous',
};

/** Keys typed into a text field are text, not shortcuts. */
function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'TEXTAREA' || el.tagName === 'INPUT' || el.tagName === 'SELECT' || el.isContentEditable);
}

/**
 * The shortcut a key press means, or null. Ctrl/⌘+Enter and Esc work everywhere, the
 * text box included; the other keys only outside text fields, and only `?` and Esc
 * while the shortcut sheet is open.
 */
export function shortcutOf(e: KeyboardEvent, sheetOpen: boolean): Shortcut | null {
  if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') return { kind: 'correct' };
  if (e.key === 'Escape') return { kind: 'escape' };
  if (isTyping(e.target) || e.ctrlKey || e.metaKey || e.altKey) return null;
  if (e.key === '?') return { kind: 'sheet' };
  if (sheetOpen) return null;
  const digit = Number(e.key);
  if (Number.isInteger(digit) && digit >= 1 && digit <= FAILURE_CATEGORIES.length) return { kind: 'category', index: digit - 1 };
  const kind = KEYS[e.key];
  return kind ? ({ kind } as Shortcut) : null;
}
