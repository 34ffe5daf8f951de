// Builds the review site for the tests as `npm start` and `npm run build` make it: the
// production bundle (vitest sets NODE_ENV=test, under which Vite would bundle Solid's
// development build, one users never get).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `astro build` with these arguments (`--mode serve` for the local site, `--outDir DIR` for a hosted one) and settings (PLOVER_*). */
export function buildSite(args: string[], env: Record<string, string> = {}): void {
  execFileSync(process.execPath, ['node_modules/astro/bin/astro.mjs', 'build', '--silent', ...args], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', ...env },
  });
}

/** A warning only Solid's development build holds (solid-js/dist/dev.js). */
export const SOLID_DEV_MARKER = 'computations created outside a `createRoot`';

/** The script files of a built site that hold Solid's development build. */
export function solidDevBuildIn(siteDir: string): string[] {
  const scripts = readdirSync(siteDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
  return scripts.filter((f) => readFileSync(join(siteDir, f), 'utf8').includes(SOLID_DEV_MARKER));
}
