// Generates what is derived from schemas/*.schema.json, so nothing copies them:
// - src/lib/records/schema-types.generated.ts: the TypeScript types;
// - src/lib/records/validators.generated.js: the validators as ajv standalone code (no eval at run time).
// `npm run gen:types` rewrites both; tests/lib/schema-types.test.ts fails when either is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileSchemaTypes } from './schema-types.ts';
import { compileValidators } from './validators.ts';

for (const [file, text] of [
  ['../src/lib/records/schema-types.generated.ts', await compileSchemaTypes()],
  ['../src/lib/records/validators.generated.js', await compileValidators()],
] as const) {
  const out = fileURLToPath(new URL(file, import.meta.url));
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
