// The layers: src/lib is the pure core (Node and the browser alike) and src/git the git
// layer over it; neither reaches into the adapters (node, client, server, cli, components)
// or into Node's own modules, so the page and the label server share them as they are.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/repo.ts';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : /\.(ts|tsx|js)$/.test(e.name) ? [join(dir, e.name)] : []));
}

/** Every module a file imports (static, dynamic and re-exports, over one line or several), as written. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)].map(
    (m) => (m[1] ?? m[2] ?? m[3])!,
  );
}

/** Where an import of `file` lands: a folder of src/ (lib, git, node…), `schemas`, a package, or node:. */
function layerOf(file: string, spec: string): string {
  if (spec.startsWith('node:')) return 'node:';
  if (!spec.startsWith('.')) return `package ${spec}`;
  const target = relative(ROOT, resolve(file, '..', spec)).split(sep);
  return target[0] === 'src' ? `src/${target[1]}` : target[0]!;
}

describe('the layers', () => {
  it.each([
    ['src/lib', ['src/lib', 'schemas']],
    ['src/git', ['src/lib', 'src/git']],
  ])('%s imports only from %j and from packages, never node: or an adapter', (folder, allowed) => {
    const found: string[] = [];
    for (const file of filesUnder(join(ROOT, folder))) {
      if (file.endsWith('.generated.js')) continue; // ajv's standalone output, which imports nothing
      for (const spec of importsOf(file)) {
        const layer = layerOf(file, spec);
        if (layer.startsWith('package ') && !/^package (buffer|fs|path|crypto|child_process|worker_threads|os|url|util)$/.test(layer)) continue;
        if (!allowed.includes(layer)) found.push(`${relative(ROOT, file)} imports ${spec} (${layer})`);
      }
    }
    expect(found).toEqual([]);
  });

  // Inside src/lib, a folder builds only on those before it: the basics at its root (errors, JSON, order, plural),
  // then records (the files and their schemas), team (who decides and which decision stands), export, review.
  const LIB_ORDER = ['src/lib', 'src/lib/records', 'src/lib/team', 'src/lib/export', 'src/lib/review'];
  it.each(LIB_ORDER.slice(1).map((folder, i) => [folder, LIB_ORDER.slice(0, i + 2)] as const))('%s imports only from %j within src/lib', (folder, allowed) => {
    const found: string[] = [];
    for (const file of filesUnder(join(ROOT, folder))) {
      for (const spec of importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = relative(ROOT, resolve(file, '..', spec)).split(sep);
        const home = target.slice(0, target.length - 1).join('/');
        if (target[0] === 'src' && target[1] === 'lib' && !allowed.includes(home)) found.push(`${relative(ROOT, file)} imports ${spec} (${home})`);
      }
    }
    expect(found).toEqual([]);
  });

  it('puts every file of src/lib in one of its folders, or at its root', () => {
    const homes = new Set(filesUnder(join(ROOT, 'src/lib')).map((f) => relative(ROOT, resolve(f, '..')).split(sep).join('/')));
    expect([...homes].sort()).toEqual([...LIB_ORDER].sort());
  });

  it.each(['src/components', 'src/client'])('%s (the page, in the browser) imports nothing of src/node, src/server or src/cli, nor node:', (folder) => {
    const found: string[] = [];
    for (const file of filesUnder(join(ROOT, folder))) {
      for (const spec of importsOf(file)) {
        const layer = layerOf(file, spec);
        if (['src/node', 'src/server', 'src/cli', 'node:'].includes(layer)) found.push(`${relative(ROOT, file)} imports ${spec} (${layer})`);
      }
    }
    expect(found).toEqual([]);
  });

  it('finds an adapter import when there is one (the check itself works)', () => {
    expect(layerOf(join(ROOT, 'src/lib/x.ts'), '../node/workspace.ts')).toBe('src/node');
    expect(layerOf(join(ROOT, 'src/git/x.ts'), 'node:fs')).toBe('node:');
    expect(importsOf(join(ROOT, 'src/node/export-files.ts'))).toEqual(expect.arrayContaining(['node:crypto', '../lib/export/export.ts']));
    // An import list over several lines, as the formatter writes a long one.
    expect(importsOf(join(ROOT, 'src/lib/export/export.ts'))).toContain('./export-format.ts');
  });
});
