/**
 * `npm run fuzz [-- --count N] [--seed S] [--out FILE]`: differential fuzzing of the read path
 * (see differential.ts) on a cluster of its own, seeded like the test clusters. Prints every
 * mismatch with its operation and variables, then the summary; writes the summary to FILE
 * with --out. Exits with 1 when anything did not match.
 */
import fs from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startPrivateCluster } from '../support/cluster.js';
import { startFuzzServers } from './servers.js';
import { describeMismatch, runDifferentialFuzz } from './differential.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { count: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' }, out: { type: 'string' } },
  });
  const count = Number(values.count);
  const seed = Number(values.seed);
  if (!Number.isInteger(count) || count < 1 || !Number.isInteger(seed))
    throw new Error('--count takes a whole number above 0, --seed a whole number.');
  console.log(`starting a cluster of its own and two servers, then ${count} operations from seed ${seed}`);
  const cluster = await startPrivateCluster({ replicas: 0 });
  const servers = await startFuzzServers(cluster.manager).catch(async (error: unknown) => {
    await cluster.stop();
    throw error;
  });
  try {
    const started = Date.now();
    const report = await runDifferentialFuzz({
      ...servers,
      count,
      seed,
      onMismatch: (mismatch) => console.log(`${describeMismatch(mismatch)}\n`),
    });
    const summary = JSON.stringify(report, null, 2);
    if (values.out) await fs.writeFile(values.out, `${summary}\n`);
    const { examples: _, ...figures } = report;
    console.log(
      `${JSON.stringify(figures)} in ${Math.round((Date.now() - started) / 1000)} s${values.out ? `; written to ${values.out}` : ''}`,
    );
    return report.mismatches + report.costMismatches === 0 ? 0 : 1;
  } finally {
    await servers.stop();
    await cluster.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
