/**
 * `npm run chaos [-- --out FILE]`: ShopGraph under a bounded mixed load while the cluster
 * loses a replica, loses its primary (a replica is promoted) and has a replica's link cut.
 * Prints what the clients saw and writes it as JSON. Everything runs on loopback, in a temp
 * directory, and is stopped at the end, also when the run fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { ConnectionManager } from '../../src/cluster/index.js';
import { ApiKeyStore, migrateDatabase, seedDatabase } from '../../src/db/index.js';
import { EmbeddedCluster } from '../../src/embedded/index.js';
import { generateApiKey } from '../../src/graphql/auth/index.js';
import { findFreePorts } from '../../src/embedded/ports.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { newWorkloadState, runWorkload } from './workload.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SCALE = 0.1;
const LOAD = { workers: 8, writeShare: 0.25, products: 1000, customers: 500 };

interface Report {
  requests: number;
  requestsByOutcome: Record<string, number>;
  failedReads: number;
  lostAcknowledgedWrites: number;
  duplicateOrders: number;
  writeResumeMs: number | null;
  ejectBlackholedMs: number | null;
  acknowledgedWrites: number;
  durationMs: number;
  events: { at: number; event: string }[];
  readFailures: { at: number; code: string }[];
  otherWriteErrors: Record<string, number>;
}

async function main(): Promise<void> {
  const outIndex = process.argv.indexOf('--out');
  const outFile = outIndex > 0 ? process.argv[outIndex + 1] : undefined;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-chaos-'));
  const cleanups: (() => Promise<unknown>)[] = [() => fs.rm(dataDir, { recursive: true, force: true })];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  try {
    const report = await chaos(dataDir, cleanups);
    print(report);
    if (outFile) await fs.writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await cleanUp();
  }
}

async function chaos(dataDir: string, cleanups: (() => Promise<unknown>)[]): Promise<Report> {
  const started = Date.now();
  const events: Report['events'] = [];
  const note = (event: string) => {
    events.push({ at: Date.now() - loadStarted, event });
    console.log(`${((Date.now() - loadStarted) / 1000).toFixed(1).padStart(5)} s  ${event}`);
  };
  let loadStarted = Date.now();

  console.log('setting up: embedded cluster (1 primary, 2 replicas), demo data, TCP proxies, server');
  const cluster = await EmbeddedCluster.open({ dataDir, basePort: 'auto', durable: false });
  cleanups.push(() => cluster.down());
  await cluster.up();
  const setup = await ConnectionManager.start({ nodes: cluster.nodes, poolSize: 2 });
  await migrateDatabase(setup.choosePrimary());
  await seedDatabase(setup.choosePrimary(), { scale: SCALE, seed: 42 });
  // One admin key for the clients (they read, order, and watch cluster status).
  const { id, key, secretHash } = generateApiKey();
  await new ApiKeyStore(setup.route('write')).insert({ id, name: 'chaos', secretHash, scopes: ['admin'], ratePerSecond: 1_000_000 });
  await setup.close();

  const proxies = new Map<string, TcpProxy>();
  for (const node of cluster.nodes) {
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: node.port });
    cleanups.push(() => proxy.close());
    proxies.set(node.name, proxy);
  }
  const [port] = await findFreePorts(1);
  const server = await startServer(
    port!,
    cluster.nodes.map((node) => `${proxies.get(node.name)!.proxyUrl(node.url)}#${node.name}`),
  );
  cleanups.push(() => stopServer(server));
  const url = `http://127.0.0.1:${port}/graphql`;

  const state = newWorkloadState();
  let stopping = false;
  loadStarted = Date.now();
  const load = runWorkload({ url, apiKey: key, ...LOAD, startedAt: loadStarted, shouldStop: () => stopping }, state);

  let writeResumeMs: number | null = null;
  let ejectBlackholedMs: number | null = null;
  try {
    note('load running: 8 clients, 75% product reads, 25% placeOrder with idempotency keys');
    await sleep(3000);
    note('kill -9 replica pg2');
    await cluster.killNode('pg2');
    await sleep(3000);
    note('restart pg2');
    await cluster.startNode('pg2');
    await sleep(3000);

    note('kill -9 primary pg1');
    await cluster.killNode('pg1');
    await sleep(1000);
    const { to } = await cluster.failover();
    const promotedAt = Date.now() - loadStarted;
    note(`promoted ${to}; it accepts connections`);
    writeResumeMs = await waitFor(() => {
      const first = state.writeLog.find((write) => write.at >= promotedAt && write.node === to);
      return first ? first.at - promotedAt : undefined;
    }, 10_000);
    note(`first write acknowledged by ${to} after ${writeResumeMs ?? 'never'} ms`);
    await sleep(2000);
    note('restart pg1 (rebuilt as a replica of the new primary)');
    await cluster.startNode('pg1');
    await sleep(2000);

    const victim = cluster.nodes.find((node) => node.name !== cluster.primaryName)!.name;
    await waitFor(async () => ((await nodeState(url, key, victim)) === 'UP' ? 0 : undefined), 15_000);
    note(`black-hole the link to replica ${victim}`);
    const cutAt = Date.now();
    proxies.get(victim)!.setMode({ kind: 'blackhole' });
    ejectBlackholedMs = await waitFor(async () => {
      const state = await nodeState(url, key, victim);
      return state !== undefined && state !== 'UP' ? Date.now() - cutAt : undefined;
    }, 15_000);
    note(`${victim} ejected after ${ejectBlackholedMs ?? 'never'} ms`);
    await sleep(3000);
    note(`restore the link to ${victim}`);
    proxies.get(victim)!.setMode({ kind: 'pass' });
    await sleep(3000);
  } finally {
    stopping = true;
    await load;
    note('load stopped');
  }

  const { lost, duplicates } = await verifyOrders(cluster.node(cluster.primaryName).url, state.acknowledged);
  const requests = Object.values(state.outcomes).reduce((sum, count) => sum + count, 0);
  return {
    requests,
    requestsByOutcome: state.outcomes,
    failedReads: state.outcomes['read-failed'],
    lostAcknowledgedWrites: lost,
    duplicateOrders: duplicates,
    writeResumeMs,
    ejectBlackholedMs,
    acknowledgedWrites: state.acknowledged.length,
    durationMs: Date.now() - started,
    events,
    readFailures: state.readFailures.slice(0, 50),
    otherWriteErrors: state.otherWriteErrors,
  };
}

/** Row by row: every acknowledged order is on the primary, once, under its key. */
async function verifyOrders(
  primaryUrl: string,
  acknowledged: { key: string; orderId: string }[],
): Promise<{ lost: number; duplicates: number }> {
  const sql = postgres(primaryUrl, { max: 1 });
  try {
    const rows = await sql<{ key: string; id: number }[]>`
      select idempotency_key as key, id from orders where idempotency_key = any(${acknowledged.map((order) => order.key)})`;
    const byKey = new Map<string, number[]>();
    for (const row of rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row.id]);
    let lost = 0;
    for (const order of acknowledged) {
      const ids = byKey.get(order.key) ?? [];
      const expectedId = Number(Buffer.from(order.orderId, 'base64url').toString().split(':')[1]);
      if (!ids.includes(expectedId)) lost += 1;
    }
    const duplicates = [...byKey.values()].filter((ids) => ids.length > 1).length;
    return { lost, duplicates };
  } finally {
    await sql.end();
  }
}

async function nodeState(url: string, apiKey: string, name: string): Promise<string | undefined> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({ query: '{ clusterStatus { nodes { name state } } }' }),
  });
  const body = (await response.json()) as { data?: { clusterStatus: { nodes: { name: string; state: string }[] } } };
  return body.data?.clusterStatus.nodes.find((node) => node.name === name)?.state;
}

/** The ShopGraph server as its own process, on the cluster through the proxies. */
async function startServer(port: number, databaseUrls: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'start'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), DATABASE_URLS: databaseUrls.join(',') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ShopGraph is serving')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the server exited with ${code} before serving:\n${output}`)));
  });
  return child;
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

async function waitFor(check: () => number | undefined | Promise<number | undefined>, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(20);
  }
  return null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function print(report: Report): void {
  const goal = (ok: boolean) => (ok ? 'ok' : 'MISSED');
  console.log('\nrequests by outcome');
  for (const [outcome, count] of Object.entries(report.requestsByOutcome)) console.log(`  ${outcome.padEnd(28)} ${count}`);
  for (const [code, count] of Object.entries(report.otherWriteErrors)) console.log(`    of which ${code.padEnd(19)} ${count}`);
  console.log(`\n  requests                      ${report.requests}`);
  console.log(`  failed reads                  ${report.failedReads}   goal 0: ${goal(report.failedReads === 0)}`);
  console.log(
    `  lost acknowledged writes      ${report.lostAcknowledgedWrites} of ${report.acknowledgedWrites}   goal 0: ${goal(report.lostAcknowledgedWrites === 0)}`,
  );
  console.log(`  duplicate orders for one key  ${report.duplicateOrders}   goal 0: ${goal(report.duplicateOrders === 0)}`);
  console.log(
    `  write resume after promotion  ${report.writeResumeMs ?? 'never'} ms   goal < 1000: ${goal(report.writeResumeMs !== null && report.writeResumeMs < 1000)}`,
  );
  console.log(`  black-holed replica ejected   ${report.ejectBlackholedMs ?? 'never'} ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
