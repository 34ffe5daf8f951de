// `npm run soak` itself, small: it must run, inject its faults and find every decision.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LIMIT } from '../helpers/limits.ts';
import { ROOT } from '../helpers/repo.ts';

describe('npm run soak', () => {
  // The soak's own deadline is the suite's one limit on a wait, not a time it must beat.
  it('runs both modes with injected failures and reports every decision submitted, committed and pushed', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts/soak.ts'), '--reviewers', '2', '--decisions', '6', '--seconds', String(LIMIT / 1000), '--seed', '3'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(out).toMatch(/local \(plover serve, kill -9\)[\s\S]*submitted 12, committed 12\n/);
    expect(out).toMatch(/hosted protocol[\s\S]*submitted 12, committed 12, pushed 12\n/);
    expect(out).toMatch(/dropped before \d+, dropped after \d+/);
    expect(out.match(/git fsck and checks: clean/g)).toHaveLength(2);
    expect(out).toContain('soak passed');
  });
});
