/**
 * What the UI, the CLI's usage text and the validator take from the correction schema:
 * the action and failure-category lists with their labels and descriptions, and the
 * format version. Nothing here copies them. Apart from schemas.ts, so that what needs only
 * these (`plover help`) does not load every schema.
 */
import correctionSchema from '../../../schemas/correction.schema.json' with { type: 'json' };
import type { Action, FailureCategory, StartKind } from './schema-types.generated.ts';

/** One choice of an enumeration in a schema: its value, label and help text. */
export interface Choice<T extends string> {
  value: T;
  label: string;
  description: string;
}

function choices<T extends string>(oneOf: { const: string; title: string; description: string }[]): Choice<T>[] {
  return oneOf.map((c) => ({ value: c.const as T, label: c.title, description: c.description }));
}

/** The six failure categories, in schema order, with labels and descriptions. */
export const FAILURE_CATEGORIES: Choice<FailureCategory>[] = choices(correctionSchema.$defs.failure_category.oneOf);

/** The three actions (correct, discard, flag), in schema order. */
export const ACTIONS: Choice<Action>[] = choices(correctionSchema.$defs.action.oneOf);

/** The kinds of start a correction records (started_from.kind), in schema order, with labels and descriptions. */
export const START_KINDS: Choice<StartKind>[] = choices(correctionSchema.$defs.start_kind.oneOf);

/** The correction record format version this code writes. */
export const SCHEMA_VERSION = correctionSchema.properties.schema_version.const;
