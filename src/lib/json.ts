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
 * A byte-order mark, a non-object value, a duplicate key (JSON.parse would keep the last
 * one without a word) and a lone surrogate (no UTF-8 can encode it: Python and Arrow
 * refuse the line) are problems, like a syntax error.
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
  const problem = textProblem(text, value);
  if (problem) return { problems: [{ ...at, ...problem }] };
  return { value, problems: [] };
}

/** The first lone surrogate or duplicate key of a parsed text, with its JSON path. */
function textProblem(text: string, value: unknown): { path: string; message: string } | undefined {
  // Decoded UTF-8 holds no lone surrogate: only a `\u` escape can make one.
  const walked = { keys: 0, strings: text.includes('\\u'), badString: undefined as string | undefined };
  walk(value, walked);
  if (walked.badString !== undefined) return { path: walked.badString, message: LONE_SURROGATE };
  if (countKeys(text) === walked.keys) return undefined;
  const duplicate = findDuplicateKey(text);
  return duplicate === undefined ? undefined : { path: duplicate, message: 'appears twice in its object, and a JSON reader keeps only the last one; keep one' };
}

/** The problem message of a lone surrogate, wherever one is found. */
export const LONE_SURROGATE = 'holds a lone surrogate (half of a UTF-16 pair, such as \\ud800), which no UTF-8 file can hold; remove it or complete the pair';

/** The path of the first string or key in `value` that is not well-formed UTF-16, or undefined. */
export function findLoneSurrogate(value: unknown): string | undefined {
  const walked = { keys: 0, strings: true, badString: undefined as string | undefined };
  walk(value, walked);
  return walked.badString;
}

/**
 * Counts the keys of every object in `value`; with `strings`, finds the path of the first
 * string or key that is not well-formed UTF-16. Iterative: JSON.parse takes nesting far
 * deeper than the call stack does. Holds no path while it walks (a candidate has dozens of
 * values, 100k candidates millions): the path is found again once a bad string is.
 */
function walk(value: unknown, out: { keys: number; strings: boolean; badString: string | undefined }): void {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') {
      if (out.strings && !v.isWellFormed()) return void (out.badString = badStringPath(value));
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push(v[i]);
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      out.keys += keys.length;
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (out.strings && !key.isWellFormed()) return void (out.badString = badStringPath(value));
        stack.push((v as Record<string, unknown>)[key]);
      }
    }
  }
}

/** The path of the first string or key in `value` that is not well-formed UTF-16, in walk's order; undefined when there is none. */
function badStringPath(value: unknown): string | undefined {
  interface Node {
    value: unknown;
    key: string | number | undefined;
    parent: Node | undefined;
  }
  const pathOf = (node: Node | undefined, last?: string) => {
    const parts: (string | number)[] = last === undefined ? [] : [last];
    for (let n = node; n?.key !== undefined; n = n.parent) parts.unshift(n.key);
    return jsonPath(parts);
  };
  const stack: Node[] = [{ value, key: undefined, parent: undefined }];
  for (let node = stack.pop(); node; node = stack.pop()) {
    const v = node.value;
    if (typeof v === 'string') {
      if (!v.isWellFormed()) return pathOf(node);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], key: i, parent: node });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (!key.isWellFormed()) return pathOf(node, key);
        stack.push({ value: (v as Record<string, unknown>)[key], key, parent: node });
      }
    }
  }
  return undefined;
}

/**
 * How many keys a valid JSON text writes: more than its parsed value has means a
 * duplicate. Jumps from quote to quote (a quote inside a string is escaped, and outside
 * strings JSON has no backslash); a string followed by `:` is a key.
 */
function countKeys(text: string): number {
  let n = 0;
  let inString = false;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) {
    if (!inString) {
      inString = true;
      continue;
    }
    let backslashes = 0;
    while (text.charCodeAt(i - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2) continue;
    inString = false;
    let j = i + 1;
    for (let c = text.charCodeAt(j); c === 32 || c === 9 || c === 10 || c === 13; c = text.charCodeAt(++j));
    if (text.charCodeAt(j) === COLON) n++;
  }
  return n;
}
const BACKSLASH = 92;
const COLON = 58;

/** The path of the first key written twice in one object (the slow pass, run only when there is one). */
function findDuplicateKey(text: string): string | undefined {
  const token = /"[^"\\]*(?:\\.[^"\\]*)*"(\s*:)?|[{}[\],]/g;
  const stack: { keys?: Set<string>; key?: string; index: number }[] = [];
  const pathOf = (last: string) => jsonPath([...stack.slice(0, -1).map((f) => (f.keys ? f.key! : f.index)), last]);
  for (let m = token.exec(text); m; m = token.exec(text)) {
    const t = m[0];
    const top = stack.at(-1);
    if (t === '{') stack.push({ keys: new Set(), index: 0 });
    else if (t === '[') stack.push({ index: 0 });
    else if (t === '}' || t === ']') stack.pop();
    else if (t === ',') {
      if (top) top.index++;
    } else if (m[1] !== undefined && top?.keys) {
      const key = JSON.parse(t.slice(0, t.lastIndexOf('"') + 1)) as string;
      if (top.keys.has(key)) return pathOf(key);
      top.keys.add(key);
      top.key = key;
    }
  }
  return undefined;
}

/** `prompt_messages[0].role`: how problems name a place in a record. */
export function jsonPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' || /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  return out || '(record)';
}
