// The site the browser tests run is the one users get: `npm start` and `npm run build`
// ship Solid's production build, and so do the tests' builds (tests/helpers/site-build.ts).
import { mkdtempSync, rmSync } from 'node:fs';
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
});
