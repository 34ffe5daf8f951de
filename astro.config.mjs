// The review site is a static shell: candidates are fetched at run time from the
// label server (local mode), so build time and page weight do not grow with the data.
import { createHash } from 'node:crypto';
import { defineConfig } from 'astro/config';
import solid from '@astrojs/solid-js';
import { generateHydrationScript } from 'solid-js/web';

/**
 * Solid's renderer puts its hydration bootstrap inline in the page, where Astro's CSP
 * does not see it; its hash is allowed explicitly (computed from the installed Solid,
 * so an upgrade cannot silently break the page).
 */
function solidHydrationHash() {
  const script = generateHydrationScript().replace(/^<script[^>]*>/, '').replace(/<\/script>[\s\S]*$/, '');
  return `sha256-${createHash('sha256').update(script).digest('base64')}`;
}

export default defineConfig({
  output: 'static',
  outDir: './dist/site',
  integrations: [solid()],
  devToolbar: { enabled: false },
  // A Content-Security-Policy meta tag with hashes of the page's own scripts and styles:
  // no eval, no inline script that the build did not emit, nothing loaded from elsewhere.
  security: {
    csp: {
      directives: [
        "default-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
      ],
      scriptDirective: { hashes: [solidHydrationHash()] },
    },
  },
});
