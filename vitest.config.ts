import { defineConfig } from 'vitest/config';
import solid from 'vite-plugin-solid';
import { LIMIT } from './tests/helpers/limits.ts';

export default defineConfig({
  plugins: [solid()],
  resolve: { conditions: ['development', 'browser'] },
  test: {
    include: ['tests/**/*.test.{ts,tsx}'],
    environment: 'node',
    globalSetup: ['tests/global-setup.ts'],
    reporters: ['default', './tests/summary-reporter.ts'],
    // One limit for every wait (tests/helpers/limits.ts): tests wait for events, not times.
    // A test or hook gets twice that, so a stuck wait fails with its own message first.
    testTimeout: 2 * LIMIT,
    hookTimeout: 2 * LIMIT,
    expect: { poll: { timeout: LIMIT } },
    // Browser and git tests start processes; two cores run two files at a time at most.
    maxWorkers: 2,
  },
});
