// What astro.config.mjs gives the pages at build time.
declare const __PLOVER_SITE__: import('./lib/records/site-config.ts').SiteConfig;
