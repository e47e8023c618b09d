import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * `npm run test:redis`: the tests that need a Redis server (Debian's redis-server, which each
 * test starts itself) besides the embedded cluster. Apart from `npm test`, which needs
 * nothing installed; `.ci/run` installs redis-server and runs these after it.
 */
export default defineConfig({
  resolve: {
    // As in vitest.config.ts: one copy of graphql for our sources, Apollo and graphql-tools.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    name: 'redis',
    include: ['test/redis/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
