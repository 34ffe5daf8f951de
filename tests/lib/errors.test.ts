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

describe('wrapped errors', () => {
  it('keep what they wrap as their cause', async () => {
    const { remoteError } = await import('../../src/git/remote.ts');
    const { BackendError } = await import('../../src/client/backend.ts');
    const down = new TypeError('fetch failed');
    expect(remoteError(down, 'push')).toMatchObject({ code: 'E_OFFLINE', cause: down });
    const http = Object.assign(new Error('HTTP Error: 500'), { code: 'HttpError', data: { statusCode: 500 } });
    expect(remoteError(http, 'fetch')).toMatchObject({ code: 'E_REMOTE', cause: http });
    expect(new BackendError('E_OFFLINE', 'x', { cause: down }).cause).toBe(down);
  });
});
