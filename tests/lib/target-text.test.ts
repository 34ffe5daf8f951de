// The text rule for training targets, case by case.
import { describe, expect, it } from 'vitest';
import { isUnchangedResponse, normalizeCorrectedText, textRuleBreaks } from '../../src/lib/records/target-text.ts';

describe('the text rule', () => {
  it.each([
    ['CRLF becomes LF', 'a\r\nb', 'a\nb'],
    ['a bare CR becomes LF', 'a\rb\r\rc', 'a\nb\n\nc'],
    ['blank lines before the text go, the first line keeps its indentation', '\n \t\n\u00a0\u200b\n    def f():\n        pass', '    def f():\n        pass'],
    ['a first line indented with a no-break space is kept', '\u00a0x', '\u00a0x'],
    ['whitespace at the end goes', 'answer  \n\n\t', 'answer'],
    ['no-break and zero-width spaces at the end go', 'answer\u00a0\u200b\u2060\ufeff \u202f', 'answer'],
    ['blank lines inside are kept', 'a\n\n\nb', 'a\n\n\nb'],
    ['zero-width characters inside are kept (emoji sequences, scripts that need them)', '👩\u200d💻 and \u200cx', '👩\u200d💻 and \u200cx'],
    ['a text of nothing visible becomes empty', ' \u200b\r\n\u00a0', ''],
    ['a text that obeys the rule is the same string', 'fine\ntext', 'fine\ntext'],
  ])('%s', (_, text, expected) => {
    expect(normalizeCorrectedText(text)).toBe(expected);
    expect(normalizeCorrectedText(expected)).toBe(expected);
    expect(textRuleBreaks(text).length > 0).toBe(text !== expected);
    expect(textRuleBreaks(expected)).toEqual([]);
  });

  it('names each way a text breaks it', () => {
    expect(textRuleBreaks('\n\nx\r\ny\u00a0')).toEqual([
      'has CR line ends (CRLF or a bare CR)',
      'starts with blank lines',
      'ends with whitespace or invisible characters (no-break or zero-width spaces)',
    ]);
  });

  it('is linear in a 65k-character line of spaces', () => {
    const text = `${' '.repeat(65_536)}x${' '.repeat(65_536)}`;
    expect(normalizeCorrectedText(text)).toBe(`${' '.repeat(65_536)}x`);
  });

  it('calls a response unchanged when only what the rule removes differs', () => {
    expect(isUnchangedResponse('\r\nThe answer.\u00a0', 'The answer.\n')).toBe(true);
    expect(isUnchangedResponse(' The answer.', 'The answer.')).toBe(false);
  });
});
