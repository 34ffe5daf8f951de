// Compiles the schemas into TypeScript declarations (used by gen-types and its test).
import { compile } from 'json-schema-to-typescript';
import { fileURLToPath } from 'node:url';

const schemaDir = fileURLToPath(new URL('../schemas/', import.meta.url));

/** The text of src/lib/records/schema-types.generated.ts for the schemas as they are now. */
export async function compileSchemaTypes(): Promise<string> {
  // One wrapper that references every schema, compiled once, declares each type once.
  const wrapper = {
    title: 'PloverSchemas',
    type: 'object',
    additionalProperties: false,
    properties: {
      candidate: { $ref: 'candidate.schema.json' },
      correction: { $ref: 'correction.schema.json' },
      config: { $ref: 'config.schema.json' },
      suggestion: { $ref: 'suggestion.schema.json' },
      export_line: { $ref: 'export-line.schema.json' },
      prompt_completion_line: { $ref: 'export-line.schema.json#/$defs/prompt_completion_line' },
      preference_line: { $ref: 'export-line.schema.json#/$defs/preference_line' },
      openai_preference_line: { $ref: 'export-line.schema.json#/$defs/openai_preference_line' },
      kto_line: { $ref: 'export-line.schema.json#/$defs/kto_line' },
    },
  };
  const text = await compile(wrapper as never, 'PloverSchemas', {
    cwd: schemaDir,
    bannerComment: '// Generated from schemas/*.schema.json by `npm run gen:types`. Do not edit.',
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: true,
    format: true,
  });
  return text.replace(/export interface PloverSchemas \{[\s\S]*?\n\}\n/, '');
}
