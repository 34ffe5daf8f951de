// Generates src/lib/schema-types.ts from schemas/*.schema.json, so the TypeScript
// types come from the schemas rather than from copies. `npm run gen:types` rewrites it;
// tests/lib/schema-types.test.ts fails when the checked-in file is out of date.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compileSchemaTypes } from './schema-types.ts';

const out = fileURLToPath(new URL('../src/lib/schema-types.ts', import.meta.url));
writeFileSync(out, await compileSchemaTypes());
console.log(`wrote ${out}`);
