// Builds the review site for the tests as `npm start` and `npm run build` make it: the
// production bundle (vitest sets NODE_ENV=test, under which Vite would bundle Solid's
// development build, one users never get).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIMIT } from './limits.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `astro build` with these arguments (`--mode serve` for the local site, `--outDir DIR` for a hosted one) and settings (PLOVER_*). */
export function buildSite(args: string[], env: Record<string, string> = {}): void {
  oneBuildAtATime(() =>
    execFileSync(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build', '--silent', ...args], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', ...env },
    }),
  );
}

/**
 * Runs one build of this checkout at a time across the suite's workers: every build writes
 * its prerender entry into the project's `.astro/`, and a build beside it removes it
 * ("Cannot find module …/.astro/.prerender/prerender-entry…", seen under load). The lock
 * is a folder holding its owner's pid; one whose owner is gone (a killed run) is taken over.
 */
function oneBuildAtATime(build: () => void): void {
  const lock = join(ROOT, '.astro', 'plover-test-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  const deadline = Date.now() + LIMIT;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (!ownerAlive(lock)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`another test's site build held ${lock} for ${LIMIT / 1000} s`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function ownerAlive(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
  } catch {
    return true; // just made, its pid not yet written
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A warning only Solid's development build holds (solid-js/dist/dev.js). */
export const SOLID_DEV_MARKER = 'computations created outside a `createRoot`';

/** The script files of a built site that hold Solid's development build. */
export function solidDevBuildIn(siteDir: string): string[] {
  const scripts = readdirSync(siteDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  return scripts.filter((f) => readFileSync(join(siteDir, f), 'utf8').includes(SOLID_DEV_MARKER));
}
