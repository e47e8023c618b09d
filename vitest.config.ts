import { defineConfig } from 'vitest/config';

/**
 * Two projects: unit tests need no database; integration tests share one embedded cluster
 * (started once per run by the global setup, in a temp dir) or start their own when they
 * break nodes on purpose.
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
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
