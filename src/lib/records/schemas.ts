/**
 * The schemas, and what the UI and validator take from them (choices.ts: the action and
 * failure-category lists with their labels and descriptions). Nothing here copies them.
 */
import candidateSchema from '../../../schemas/candidate.schema.json' with { type: 'json' };
import configSchema from '../../../schemas/config.schema.json' with { type: 'json' };
import correctionSchema from '../../../schemas/correction.schema.json' with { type: 'json' };
import exportLineSchema from '../../../schemas/export-line.schema.json' with { type: 'json' };
import suggestionSchema from '../../../schemas/suggestion.schema.json' with { type: 'json' };

export { candidateSchema, configSchema, correctionSchema, exportLineSchema, suggestionSchema };
export type * from './schema-types.generated.ts';
export * from './choices.ts';
