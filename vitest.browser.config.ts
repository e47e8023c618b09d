import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

/**
 * `npm run test:browser`: tests in a real browser (headless Chromium from Debian's `chromium`
 * package, driven by playwright-core). Apart from `npm test`, which needs nothing but Node;
 * `.ci/run` installs Chromium and runs these after it. Each test file starts its own cluster.
 */
export default mergeConfig(
  { resolve: base.resolve },
  defineConfig({
    test: {
      name: 'browser',
      include: ['test/browser/**/*.test.ts'],
      testTimeout: 60_000,
      hookTimeout: 180_000,
      pool: 'forks',
    },
  }),
);
