// The site the browser tests run is the one users get: `npm start` and `npm run build`
// ship Solid's production build, and so do the tests' builds (tests/helpers/site-build.ts).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/repo.ts';
import { buildSite, SOLID_DEV_MARKER, solidDevBuildIn } from '../helpers/site-build.ts';

describe('the built sites', () => {
  it('hold Solid’s production build, not its development build: the local site the tests serve, and a hosted one', () => {
    // The check can fail: Solid's development build is in node_modules with the warning it looks for.
    expect(solidDevBuildIn(join(ROOT, 'node_modules/solid-js/dist')).map((f) => f.replace(/\\/g, '/'))).toContain('dev.js');
    expect(SOLID_DEV_MARKER.length).toBeGreaterThan(20);
    expect(solidDevBuildIn(join(ROOT, 'dist/local'))).toEqual([]);
    const out = mkdtempSync(join(tmpdir(), 'plover-prod-site-'));
    try {
      buildSite(['--outDir', out], { PLOVER_REMOTE: 'http://127.0.0.1:9/repo.git', PLOVER_BRANCH: 'main' });
      expect(solidDevBuildIn(out)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('load no record checks on the local page before its first card: the modules it imports statically hold none of the schema validators', () => {
    const site = join(ROOT, 'dist/local');
    const html = readFileSync(join(site, 'index.html'), 'utf8');
    const entries = [...html.matchAll(/(?:component|renderer)-url="\/([^"]+)"/g)].map((m) => m[1]!);
    expect(entries.length).toBeGreaterThan(0);
    const loaded = new Set<string>();
    const follow = (path: string) => {
      if (loaded.has(path)) return;
      loaded.add(path);
      const code = readFileSync(join(site, path), 'utf8');
      // Static imports only (`import … from"./x.js"`, `import"./x.js"`); `import("./x.js")` loads when the code asks.
      for (const m of code.matchAll(/(?:from|import)\s*["']\.\/([^"']+)["']/g)) follow(join(path, '..', m[1]!));
    };
    entries.forEach(follow);
    expect([...loaded].some((p) => p.includes('ReviewApp'))).toBe(true);
    // ajv's generated checks name every problem's `instancePath`; the check can fail: a chunk the page loads later holds them.
    const withChecks = (files: string[]) => files.filter((p) => readFileSync(join(site, p), 'utf8').includes('instancePath'));
    expect(withChecks(readdirSync(join(site, '_astro')).map((f) => `_astro/${f}`))).not.toEqual([]);
    expect(withChecks([...loaded])).toEqual([]);
  });
});
