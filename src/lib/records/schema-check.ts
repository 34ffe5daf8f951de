/**
 * Validation against the schemas with ajv, with errors turned into Problems that
 * name the JSON path and say what is expected.
 */
import type { ErrorObject } from 'ajv';
// The validators, compiled ahead of time from the schemas (scripts/validators.ts): no
// schema compilation, and no eval, at run time — in Node or under the page's CSP.
import validators from './validators.generated.js';
import type { Problem } from '../errors.ts';
import { jsonPath } from '../json.ts';

export type SchemaName = keyof typeof validators;

/** `/prompt_messages/0/role` → `prompt_messages[0].role`. */
function dottedPath(pointer: string, extra?: string): string {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (extra !== undefined) parts.push(extra);
  return jsonPath(parts);
}

function describe(e: ErrorObject): { path: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: dottedPath(e.instancePath, String(p.missingProperty)), message: 'is required but missing' };
    case 'additionalProperties':
      return {
        path: dottedPath(e.instancePath, String(p.additionalProperty)),
        message: 'is not a known field (check its spelling against the schema)',
      };
    case 'enum':
      return {
        path: dottedPath(e.instancePath),
        message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      };
    case 'pattern':
      return {
        path: dottedPath(e.instancePath),
        message:
          p.pattern === '\\S'
            ? 'must not be blank'
            : String(p.pattern).startsWith('^[^\\u0000-\\u001f')
              ? 'must not contain control characters (NUL, tab, line breaks…); remove them'
              : `must match ${String(p.pattern)}`,
      };
    default:
      return { path: dottedPath(e.instancePath), message: e.message ?? e.keyword };
  }
}

/**
 * Turns ajv errors into one Problem per bad field. The wrappers ajv reports for
 * `if`/`anyOf`/`oneOf` are dropped; the `const` errors of a labelled enumeration
 * (`oneOf` of consts, maybe `anyOf` null) merge into one "must be one of" message.
 */
function toProblems(errors: ErrorObject[], file: string, line?: number): Problem[] {
  const allowed = new Map<string, unknown[]>();
  const out = new Map<string, string>();
  for (const e of errors) {
    if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    const inUnion = /\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath);
    if (inUnion && (e.keyword === 'const' || (e.keyword === 'type' && e.params.type === 'null'))) {
      const values = allowed.get(e.instancePath) ?? [];
      values.push(e.keyword === 'const' ? e.params.allowedValue : null);
      allowed.set(e.instancePath, values);
      continue;
    }
    let { path, message } = describe(e);
    if (e.schemaPath.includes('/then/')) {
      message = e.keyword === 'type' && e.params.type === 'null' ? 'must be null or absent unless action is "correct"' : `${message} when action is "correct"`;
    }
    if (!out.has(path)) out.set(path, message);
  }
  for (const [pointer, values] of allowed) {
    out.set(dottedPath(pointer), `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  return [...out].map(([path, message]) => ({ file, ...(line === undefined ? {} : { line }), path, message }));
}

/**
 * Checks a parsed value against one of the schemas.
 * @returns the problems found; an empty list when the value is valid.
 */
export function checkAgainstSchema(schema: SchemaName, value: unknown, where: { file: string; line?: number }): Problem[] {
  const fn = validators[schema];
  if (fn(value)) return [];
  return toProblems(fn.errors ?? [], where.file, where.line);
}
