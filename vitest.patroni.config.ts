import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

/**
 * `npm run test:patroni`: ShopGraph on a three-node cluster that Patroni runs with etcd, all
 * from Debian's packages (patroni, etcd-server, postgresql-15), started and stopped by the
 * suite on loopback ports of its own. Apart from `npm test`, which needs nothing installed;
 * `.ci/run` installs the packages and runs it after it.
 */
export default defineConfig({
  resolve: {
    // As in vitest.config.ts: one copy of graphql for our sources, Apollo and graphql-tools.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    name: 'patroni',
    include: ['test/patroni/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 240_000,
    pool: 'forks',
  },
});
