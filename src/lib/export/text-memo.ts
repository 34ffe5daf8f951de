/**
 * What is worked out from texts that repeat across lines (a run's prompts, which every
 * model's candidate shares), kept for the texts seen last: the memo is emptied once it
 * holds MEMO_TEXTS texts or MEMO_CHARS characters, so that it never holds every text.
 */

/** How many texts a memo holds at most: a run's prompts (the texts that repeat) fit. */
export const MEMO_TEXTS = 10_000;
/** How many characters a memo's texts hold at most (16–32 MB), however long each is. */
export const MEMO_CHARS = 16_000_000;

/** `work`, remembered for the texts seen last (`work` must give the same for the same text). */
export function memoizeTexts<T>(work: (text: string) => T): (text: string) => T {
  const memo = new Map<string, T>();
  let chars = 0;
  return (text) => {
    let value = memo.get(text);
    if (value === undefined) {
      if (memo.size >= MEMO_TEXTS || chars + text.length > MEMO_CHARS) {
        memo.clear();
        chars = 0;
      }
      memo.set(text, (value = work(text)));
      chars += text.length;
    }
    return value;
  };
}
