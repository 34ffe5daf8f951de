import { describe, expect, it } from 'vitest';
import { MEMO_CHARS, MEMO_TEXTS, memoizeTexts } from '../../src/lib/export/text-memo.ts';

/** A memo of each text's length, and the texts it worked out, in order. */
function lengths() {
  const asked: string[] = [];
  const length = memoizeTexts((text) => {
    asked.push(text);
    return text.length;
  });
  return { asked, length };
}

describe('memoizeTexts', () => {
  it('works each text out once while it is kept, and empties itself at MEMO_TEXTS texts so that it never holds them all', () => {
    const { asked, length } = lengths();
    expect([length('ab'), length('ab'), length(''), length('')]).toEqual([2, 2, 0, 0]);
    expect(asked).toEqual(['ab', '']);
    for (let n = 2; n < MEMO_TEXTS; n++) length(`text ${n}`);
    expect(asked).toHaveLength(MEMO_TEXTS);
    length('ab');
    expect(asked).toHaveLength(MEMO_TEXTS);
    // One text more than it holds: the memo starts again, and 'ab' is worked out anew.
    length('one more');
    length('ab');
    expect(asked.slice(-2)).toEqual(['one more', 'ab']);
  });

  it('empties itself before its texts hold more than MEMO_CHARS characters', () => {
    const { asked, length } = lengths();
    const half = 'x'.repeat(MEMO_CHARS / 2);
    length(half);
    length(`${half.slice(1)}y`);
    length(half);
    expect(asked).toHaveLength(2);
    length('z');
    length(half);
    expect(asked).toHaveLength(4);
  });
});
