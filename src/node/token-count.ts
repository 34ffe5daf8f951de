/**
 * Token counts of export lines, with OpenAI's o200k_base encoding (gpt-tokenizer: pure
 * JavaScript with the vocabulary in the package, so it works offline and in any runtime).
 * A count is a length guard, not an exact bill for every model: another model's
 * tokenizer gives a different number, and a chat template adds a few tokens per message.
 */
import { countTokens as countO200k } from 'gpt-tokenizer/encoding/o200k_base';

/** The name the manifest gives the tokenizer. */
export const TOKENIZER = 'o200k_base (gpt-tokenizer)';

/**
 * BPE time grows with the square of a piece without spaces (a 65k-character line of
 * dashes took 3.5 s whole), so texts are counted in segments of at most this many
 * characters, cut at a line break or space where the segment's second half has one.
 * A cut inside a word can change the count by a token or two.
 */
const SEGMENT = 1024;

/** Text is counted as text: a control token in it is counted as the characters it is made of. */
const AS_TEXT = { disallowedSpecial: new Set<string>() };

/** The number of tokens of one text. */
export function countTextTokens(text: string): number {
  if (text.length <= SEGMENT) return countO200k(text, AS_TEXT);
  let n = 0;
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + SEGMENT, text.length);
    if (end < text.length) {
      const half = start + SEGMENT / 2;
      const newline = text.lastIndexOf('\n', end - 1);
      const space = text.lastIndexOf(' ', end - 1);
      if (newline > half) end = newline;
      else if (space > half) end = space;
      else {
        const code = text.charCodeAt(end - 1);
        if (code >= 0xd800 && code <= 0xdbff) end -= 1; // keep a surrogate pair whole
      }
    }
    n += countO200k(text.slice(start, end), AS_TEXT);
    start = end;
  }
  return n;
}
