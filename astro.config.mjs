// The review site is a static shell: candidates are fetched at run time from the
// label server (local mode), so build time and page weight do not grow with the data.
import { defineConfig } from 'astro/config';
import solid from '@astrojs/solid-js';

export default defineConfig({
  output: 'static',
  outDir: './dist/site',
  integrations: [solid()],
  devToolbar: { enabled: false },
});
