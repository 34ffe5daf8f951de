import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { compileSchemaTypes } from '../../scripts/schema-types.ts';
import { compileValidators } from '../../scripts/validators.ts';
import { ROOT } from '../helpers/repo.ts';

it('src/lib/records/schema-types.generated.ts is what the schemas generate (run `npm run gen:types` if not)', async () => {
  expect(readFileSync(join(ROOT, 'src/lib/records/schema-types.generated.ts'), 'utf8')).toBe(await compileSchemaTypes());
});

it('src/lib/records/validators.generated.js is what the schemas generate (run `npm run gen:types` if not), and needs no eval', async () => {
  const text = readFileSync(join(ROOT, 'src/lib/records/validators.generated.js'), 'utf8');
  expect(text).toBe(await compileValidators());
  expect(text).not.toMatch(/new Function|\beval\(/);
});
