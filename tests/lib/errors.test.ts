import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, PloverError, errorCode, isErrorCode } from '../../src/lib/errors.ts';
import { ROOT } from '../helpers/repo.ts';

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
    const { remoteError } = await import('../../src/git/smart-http.ts');
    const down = new TypeError('fetch failed');
    expect(remoteError(down, 'push')).toMatchObject({ code: 'E_OFFLINE', cause: down });
    const http = Object.assign(new Error('HTTP Error: 500'), { code: 'HttpError', data: { statusCode: 500 } });
    expect(remoteError(http, 'fetch')).toMatchObject({ code: 'E_REMOTE', cause: http });
  });
});

describe('the list of error codes', () => {
  it('holds every code the source uses, each with what it means, and none that is unused', async () => {
    const files = (await readdir(join(ROOT, 'src'), { recursive: true })).filter((f) => /\.tsx?$/.test(f) && !f.endsWith('errors.ts'));
    const used = new Set<string>();
    for (const f of files) for (const m of (await readFile(join(ROOT, 'src', f), 'utf8')).matchAll(/'(E_[A-Z_]+)'/g)) used.add(m[1]!);
    expect([...used].filter((c) => !isErrorCode(c))).toEqual([]);
    expect(Object.keys(ERROR_CODES).filter((c) => !used.has(c))).toEqual([]);
    for (const meaning of Object.values(ERROR_CODES)) expect(meaning.length).toBeGreaterThan(10);
  });
});

describe('failures talking to the git host', () => {
  it('name the party at fault, and say what to do where the reviewer is', async () => {
    const { adviseOn, remoteError } = await import('../../src/git/smart-http.ts');
    const viaProxy = { url: 'https://git.example.org/team/labels.git', corsProxy: 'https://proxy.example.org/' };
    const down = new TypeError('Failed to fetch');
    expect(remoteError(down, 'Pushing failed', viaProxy)).toMatchObject({
      code: 'E_PROXY',
      message: expect.stringContaining('the CORS proxy https://proxy.example.org cannot be reached'),
    });
    expect(remoteError(down, 'Pushing failed', { url: viaProxy.url })).toMatchObject({ code: 'E_OFFLINE', message: expect.stringContaining('the git host cannot be reached') });
    const http = (status: number) => Object.assign(new Error(`HTTP Error: ${status}`), { code: 'HttpError', data: { statusCode: status } });
    expect(remoteError(http(502), 'Pushing failed', viaProxy)).toMatchObject({ code: 'E_OFFLINE', message: expect.stringContaining('cannot reach the git host git.example.org') });
    expect(remoteError(http(500), 'Pushing failed', viaProxy)).toMatchObject({ code: 'E_REMOTE', message: expect.stringContaining('the git host answered HTTP 500') });
    const refused = remoteError(http(401), 'Opening the repository failed', viaProxy);
    expect(refused.code).toBe('E_AUTH');
    expect(adviseOn(refused, 'sign-in').message).toMatch(/refused the access token \(HTTP 401\)\. Check the token/);
    expect(adviseOn(refused, 'sign-in').message).not.toMatch(/Sign out|decisions/);
    expect(adviseOn(refused, 'review').message).toMatch(/Sign out and sign in .* your decisions are kept/);
    expect(adviseOn(adviseOn(refused, 'review'), 'review').message).toBe(adviseOn(refused, 'review').message);
  });
});
