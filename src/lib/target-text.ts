/**
 * The text of a training target: the one normalisation rule for corrected responses,
 * and what "unchanged" means. Kept apart from correction.ts so that the review page can
 * use it without the validators.
 */

/**
 * The text rule for corrected responses: CRLF becomes LF and the whitespace at the end
 * of the text is removed; everything else, leading indentation included, is kept.
 */
export function normalizeCorrectedText(text: string): string {
  return (text.includes('\r\n') ? text.replace(/\r\n/g, '\n') : text).trimEnd();
}

/** Whether a corrected text is the model's response unchanged, under the text rule. */
export function isUnchangedResponse(corrected: string, modelResponse: string): boolean {
  return normalizeCorrectedText(corrected) === normalizeCorrectedText(modelResponse);
}
