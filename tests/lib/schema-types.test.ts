import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { compileSchemaTypes } from '../../scripts/schema-types.ts';
import { ROOT } from '../helpers/repo.ts';

it('src/lib/schema-types.ts is what the schemas generate (run `npm run gen:types` if not)', async () => {
  expect(readFileSync(join(ROOT, 'src/lib/schema-types.ts'), 'utf8')).toBe(await compileSchemaTypes());
});
