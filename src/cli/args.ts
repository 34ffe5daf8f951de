/** Reading the command line: options, choices, and files named by an option. */
import { open } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PloverError } from '../lib/errors.ts';
import type { FailureCategory } from '../lib/records/schema-types.generated.ts';
import { FAILURE_CATEGORIES } from '../lib/records/schemas.ts';
import { DEFAULT_EXPORT_OPTIONS } from '../lib/export/export-format.ts';
import { RESOLVE_POLICIES, type ResolvePolicy } from '../lib/team/resolve.ts';

const common = { dir: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

export function parse<T extends ParseArgsConfig['options']>(args: string[], options: T, positionals = 0) {
  const parsed = parseArgs({ args, options: { ...common, ...options }, allowPositionals: positionals > 0, strict: true });
  if (parsed.positionals.length > positionals) {
    throw new PloverError('E_USAGE', `unexpected argument ${JSON.stringify(parsed.positionals[positionals])}; see \`plover help\``);
  }
  return parsed;
}

export function oneOf<T extends string>(flag: string, value: string | undefined, choices: { value: T }[]): T | undefined {
  if (value === undefined) return undefined;
  const match = choices.find((c) => c.value === value);
  if (!match) {
    throw new PloverError('E_USAGE', `--${flag} ${JSON.stringify(value)} is not one of ${choices.map((c) => c.value).join(', ')}`);
  }
  return match.value;
}

/** `--resolve P` as export, stats and conflicts take it: one of RESOLVE_POLICIES, majority when not given. */
export function resolvePolicyOf(value: string | undefined): ResolvePolicy {
  return (
    oneOf(
      'resolve',
      value,
      RESOLVE_POLICIES.map((p) => ({ value: p })),
    ) ?? DEFAULT_EXPORT_OPTIONS.resolve
  );
}

/**
 * A UTF-8 file named by an option, read up to `maxBytes`: a missing, oversized or non-UTF-8
 * file, or one that is not a regular file or a pipe (a device such as /dev/zero never
 * ends), is a usage error naming the option.
 */
export async function readTextFile(path: string, option: string, maxBytes: number): Promise<string> {
  const refuse = (reason: string, cause?: unknown) => new PloverError('E_USAGE', `cannot read ${option} ${JSON.stringify(path)}: ${reason}`, { cause });
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw refuse((err as Error).message, err);
  }
  try {
    const stat = await file.stat();
    if (!stat.isFile() && !stat.isFIFO()) throw refuse('it is not a regular file or a pipe');
    const chunks: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - size));
      const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      size += bytesRead;
      if (size > maxBytes) throw refuse(`it is larger than ${maxBytes} bytes, the most ${option} reads; split it`);
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
    } catch (err) {
      throw refuse('it is not valid UTF-8', err);
    }
  } finally {
    await file.close();
  }
}

/** The failure categories, and `none` for "no category": the same vocabulary in every command. */
export const CATEGORY_CHOICES = [...FAILURE_CATEGORIES, { value: 'none' as const }];

/** `none` (or no value) → null. */
export function categoryOf(value: FailureCategory | 'none' | undefined): FailureCategory | null {
  return value === undefined || value === 'none' ? null : value;
}

/** Values of a repeatable option that also takes comma-separated lists: `--category a,b --category c`. */
export function listOf<T extends string>(flag: string, values: string[] | undefined, choices: { value: T }[]): T[] | undefined {
  if (!values?.length) return undefined;
  return values.flatMap((v) => v.split(',')).map((v) => oneOf(flag, v.trim(), choices)!);
}
