import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../../src/lib/json.ts';

const problemsOf = (text: string) => parseJsonText(text, { file: 'f.json' }).problems.map((p) => `${p.path ?? ''}: ${p.message.split(',')[0]}`);

describe('parseJsonText', () => {
  it('names a duplicate key by its path, in any object, with any spacing', () => {
    expect(problemsOf('{"a":1,"a":2}')).toEqual(['a: appears twice in its object']);
    expect(problemsOf('{"a":{"b":[{"c":1},{"c":2 , "c" :3}]}}')).toEqual(['a.b[1].c: appears twice in its object']);
    expect(problemsOf('{"a":{"x":1},"b":{"x":2}}')).toEqual([]);
  });

  it('counts no key inside a string, whatever quotes, colons and backslashes it holds', () => {
    expect(problemsOf('{"k":"has \\"k\\": inside","s":"\\\\","t":"\\\\\\"k\\":"}')).toEqual([]);
  });

  it('names a lone surrogate, escaped in a value or a key, and takes a whole pair', () => {
    expect(problemsOf('{"x":["ok","\\ud800"]}')).toEqual(['x[1]: holds a lone surrogate (half of a UTF-16 pair']);
    expect(problemsOf('{"\\udc00":1}')).toHaveLength(1);
    expect(problemsOf('{"x":"\\ud83d\\ude00 😀"}')).toEqual([]);
  });

  it('finds no problem in any JSON that JSON.stringify writes, and the duplicate that is added to it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.string(), (value, key) => {
        const text = JSON.stringify(value);
        if (!text.isWellFormed()) return;
        const hasLone = /\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f])|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}/.test(text);
        if (hasLone) return; // fc.string() can make lone surrogates; those are tested above
        expect(problemsOf(text)).toEqual([]);
        const twice = `{${JSON.stringify(key)}:1,${JSON.stringify(key)}:2${text === '{}' ? '}' : `,${text.slice(1)}`}`;
        expect(problemsOf(twice)[0]).toMatch(/appears twice in its object$/);
      }),
    );
  });
});
