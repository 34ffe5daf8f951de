/**
 * The text of a training target: the one normalisation rule for corrected responses,
 * and what "unchanged" means. Kept apart from correction.ts so that the review page can
 * use it without the validators.
 */

/** What prints nothing: JavaScript's whitespace (spaces, tabs, no-break spaces, line ends, the BOM) and the zero-width characters. */
const INVISIBLE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
  0xfeff, 0x200b, 0x200c, 0x200d, 0x2060,
]);
const invisibleAt = (text: string, i: number) => INVISIBLE.has(text.charCodeAt(i));

/** CRLF and a bare CR become LF. */
const toLf = (text: string) => (text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text);

/** Removes the blank lines (nothing but invisible characters) before the first line with text; that line's indentation stays. */
function dropLeadingBlankLines(text: string): string {
  let cut = 0;
  for (let i = 0; i < text.length && invisibleAt(text, i); i++) if (text.charCodeAt(i) === 0x0a) cut = i + 1;
  return cut ? text.slice(cut) : text;
}

/** Removes every invisible character at the end. */
function dropTrailingInvisible(text: string): string {
  let end = text.length;
  while (end > 0 && invisibleAt(text, end - 1)) end--;
  return end === text.length ? text : text.slice(0, end);
}

/**
 * The text rule for corrected responses: CRLF and a bare CR become LF, the blank lines
 * before the first line with text go, and so does everything invisible at the end
 * (whitespace, no-break and zero-width spaces); everything else, the first line's
 * indentation included, is kept byte for byte.
 */
export function normalizeCorrectedText(text: string): string {
  if (text.length && !invisibleAt(text, 0) && !invisibleAt(text, text.length - 1) && !text.includes('\r')) return text;
  return dropTrailingInvisible(dropLeadingBlankLines(toLf(text)));
}

/** How a text breaks the text rule, one phrase per way (none when it obeys it). */
export function textRuleBreaks(text: string): string[] {
  const lf = toLf(text);
  const lead = dropLeadingBlankLines(lf);
  return [
    lf !== text ? 'has CR line ends (CRLF or a bare CR)' : '',
    lead !== lf ? 'starts with blank lines' : '',
    dropTrailingInvisible(lead) !== lead ? 'ends with whitespace or invisible characters (no-break or zero-width spaces)' : '',
  ].filter(Boolean);
}

/** Whether a corrected text is the model's response unchanged, under the text rule. */
export function isUnchangedResponse(corrected: string, modelResponse: string): boolean {
  return normalizeCorrectedText(corrected) === normalizeCorrectedText(modelResponse);
}
