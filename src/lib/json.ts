/** JSON text parsing that reports where and why, for files and JSONL lines. */
import type { Problem } from './errors.ts';

const MAX_SHOWN = 80;

/** The start of untrusted input, on one line, for an error message. */
export function excerpt(text: string): string {
  const flat = JSON.stringify(text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text);
  return flat;
}

/**
 * Parses one JSON text (a whole file, or one JSONL line when `line` is given).
 * A byte-order mark and a non-object value are problems, like a syntax error.
 */
export function parseJsonText(text: string, where: { file: string; line?: number }): { value?: unknown; problems: Problem[] } {
  const at = { file: where.file, ...(where.line === undefined ? {} : { line: where.line }) };
  if (text.charCodeAt(0) === 0xfeff) {
    return { problems: [{ ...at, message: 'starts with a byte-order mark (BOM); save the file as UTF-8 without BOM' }] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { problems: [{ ...at, message: `is not valid JSON (${(err as Error).message}); received ${excerpt(text)}` }] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [{ ...at, message: `must be a JSON object; received ${excerpt(text)}` }] };
  }
  return { value, problems: [] };
}
