import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * Two projects: unit tests need no database; integration tests share one embedded cluster
 * (started once per run by the global setup, in a temp dir) or start their own when they
 * break nodes on purpose.
 */
export default defineConfig({
  resolve: {
    // Node resolves \`graphql\` to its CommonJS build (the package has no "exports"), and so do
    // Apollo and graphql-tools; Vite would pick the ESM build for our sources. Two copies of
    // graphql refuse each other's types ("from another module or realm"), so use Node's.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
    ],
  },
});
