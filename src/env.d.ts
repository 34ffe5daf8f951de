// What astro.config.mjs gives the pages at build time.
declare const __PLOVER_SITE__: import('./lib/site-config.ts').SiteConfig;
