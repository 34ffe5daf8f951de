// Two builds of one site:
// - `astro build --mode serve` (what `npm start` and the tests run) → dist/local, served by
//   `plover serve`; the page talks to the local label server.
// - `astro build` (`npm run build`) → dist/site, for any static host; the page clones the
//   repository configured in plover.config.json / PLOVER_* and pushes decisions to it.
// Candidates are never built into the page, so build time and page weight do not grow
// with the data.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'astro/config';
import solid from '@astrojs/solid-js';
import { generateHydrationScript } from 'solid-js/web';
import { loadSiteConfig } from './src/node/site-config.ts';

const modeAt = process.argv.indexOf('--mode');
const local = modeAt >= 0 && process.argv[modeAt + 1] === 'serve';
const root = fileURLToPath(new URL('./', import.meta.url));
const site = local ? { base: '/', hosted: null } : loadSiteConfig(root);
if (!local && !site.hosted && process.argv.includes('build')) {
  throw new Error(
    'npm run build makes the hosted site, which needs the git remote it clones and pushes to: set PLOVER_REMOTE=<https://host/owner/repo.git> ' +
      '(or "remote" in plover.config.json). For labeling on your own machine, `npm start` builds and serves the local site instead.',
  );
}

/**
 * Solid's renderer puts its hydration bootstrap inline in the page, where Astro's CSP
 * does not see it; its hash is allowed explicitly (computed from the installed Solid,
 * so an upgrade cannot silently break the page).
 */
function solidHydrationHash() {
  const script = generateHydrationScript()
    .replace(/^<script[^>]*>/, '')
    .replace(/<\/script>[\s\S]*$/, '');
  return `sha256-${createHash('sha256').update(script).digest('base64')}`;
}

/** The page may talk to its own origin, and in hosted mode to the git host (or its CORS proxy). */
const connect = ["'self'", ...[site.hosted?.remote, site.hosted?.corsProxy].filter(Boolean).map((u) => new URL(u).origin)];

export default defineConfig({
  output: 'static',
  outDir: local ? './dist/local' : './dist/site',
  base: site.base,
  integrations: [solid()],
  devToolbar: { enabled: false },
  vite: { define: { __PLOVER_SITE__: JSON.stringify(site) } },
  // A Content-Security-Policy meta tag with hashes of the page's own scripts and styles:
  // no eval, no inline script that the build did not emit, nothing loaded from elsewhere.
  security: {
    csp: {
      directives: ["default-src 'self'", `connect-src ${[...new Set(connect)].join(' ')}`, "img-src 'self' data:", "object-src 'none'", "base-uri 'none'", "form-action 'none'"],
      scriptDirective: { hashes: [solidHydrationHash()] },
    },
  },
});
