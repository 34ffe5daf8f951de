import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { PloverError, errorCode } from '../../src/lib/errors.ts';

describe('errorCode', () => {
  it("reads the code of Node's system errors, of plover's and of anything with a string code, and nothing else", async () => {
    const missing = await readFile('/no/such/file').catch((err: unknown) => err);
    expect(errorCode(missing)).toBe('ENOENT');
    expect(errorCode(new PloverError('E_USAGE', 'x'))).toBe('E_USAGE');
    expect(errorCode(Object.assign(new Error('x'), { code: 'NotFoundError' }))).toBe('NotFoundError');
    for (const value of [new Error('x'), null, undefined, 'ENOENT', 42, { code: 7 }]) expect(errorCode(value)).toBeUndefined();
  });
});
