/**
 * `npm run bench [-- --out FILE] [--only NAME,...] [--profile DIR]`: ShopGraph's throughput and latency for its operations,
 * side by side with the raw-SQL floor, on the embedded cluster at a fixed scale. The server
 * is the production build in its own process; the floor is its own process; the load comes
 * from a third. Writes test/bench/results/latest.{json,md,svg} and, with --out, the JSON to
 * FILE. Bounded: a few minutes, then it stops everything it started. `--only` measures the
 * operations named (while working on one) and leaves the results files alone; `--profile`
 * has both servers write V8 CPU profiles into DIR when they stop (open them in Chrome's DevTools).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectionManager } from '../../src/cluster/index.js';
import { ApiKeyStore, migrateDatabase, seedDatabase } from '../../src/db/index.js';
import { EmbeddedCluster } from '../../src/embedded/index.js';
import { findFreePorts } from '../../src/embedded/ports.js';
import { generateApiKey } from '../../src/graphql/auth/index.js';
import { floorParameters } from './floor.js';
import { WARMED_UP, type LoadPlan, type LoadResult } from './load.js';
import { evaluateTargets, markdownTable, svgChart, type BenchReport, type OperationResult } from './report.js';
import { toGlobalId } from '../../src/graphql/ids.js';
import { searchTerms, variablesFor, zipfProductId, type BenchData } from './variables.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const benchDir = path.join(root, 'test', 'bench');
const SCALE = 1;
const CONNECTIONS = 16;
/**
 * Each operation is measured in rounds, each ShopGraph's and then the floor's. Five: with three,
 * one round that met a slow moment of the machine on one side only moved the median ratio by
 * a third.
 */
const ROUNDS = 5;
const ROUND_SECONDS = 5;
/** Before each round: new connections, and the server's caches for this operation. */
const WARMUP_SECONDS = 2;
/**
 * Before the first round of a cached operation: this long under the same load and writer. The
 * skewed ids have a long tail, and a cache that has just started meets most of it for the first
 * time, each first read a miss: the rounds measure a server that has run a while instead.
 */
const CACHE_WARMUP_SECONDS = 30;
/**
 * Connections per node, the same for ShopGraph and the floor: ShopGraph's default. On this
 * machine (2 cores shared by the nodes, the server and the load) a pool of 2 makes both
 * faster on the light reads (the floor about 2,100 instead of 1,600 req/s on the product page,
 * ShopGraph about 1,500 instead of 1,100), but queues heavy reads behind each other (search's
 * p99 went past 3x its p50) and slows writes; see "Pool size" under Performance in README.
 */
const POOL_SIZE = 10;
const ALL_OPERATIONS = ['product-page', 'cached-product-page', 'category-listing', 'order-history', 'search', 'search-rare', 'place-order'];
const only = optionValue('--only')?.split(',');
for (const name of only ?? []) {
  if (!ALL_OPERATIONS.includes(name)) throw new Error(`--only takes operations of ${ALL_OPERATIONS.join(', ')}, not ${name}.`);
}
const OPERATIONS = only ? ALL_OPERATIONS.filter((name) => only.includes(name)) : ALL_OPERATIONS;
/**
 * Operations sent to a second ShopGraph with its response cache on, while a writer changes
 * prices and stock; the first one runs with the cache off, so the others measure what they did.
 */
const CACHED = new Set(OPERATIONS.filter((operation) => operation.includes('cached')));
/** Writes per second beside the cached operations, half price changes and half stock adjustments. */
const WRITES_PER_SECOND = 20;
/** Operations that send another one's document with other variables. */
const DOCUMENT_OF: Record<string, string> = { 'search-rare': 'search' };
const READS = OPERATIONS.filter((operation) => operation !== 'place-order');

async function main(): Promise<void> {
  const outFile = optionValue('--out');
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanUp = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };
  process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
  try {
    const report = await bench(cleanups);
    const markdown = markdownTable(report);
    console.log(`\n${markdown}\n`);
    if (only) {
      if (outFile) await fs.writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const results = path.join(benchDir, 'results');
    await fs.mkdir(results, { recursive: true });
    await fs.writeFile(path.join(results, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
    await fs.writeFile(path.join(results, 'latest.md'), `${markdown}\n`);
    await fs.writeFile(path.join(results, 'latest.svg'), svgChart(report));
    if (outFile) await fs.writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`wrote test/bench/results/latest.{json,md,svg}${outFile ? ` and ${outFile}` : ''}`);
  } finally {
    await cleanUp();
  }
}

async function bench(cleanups: (() => Promise<unknown>)[]): Promise<BenchReport> {
  step('building the production server (npm run build)');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');

  const dataDir = process.env.SHOPGRAPH_BENCH_DIR || path.join(root, '.shopgraph-bench');
  step(`embedded cluster in ${dataDir} with demo data at scale ${SCALE}`);
  const cluster = await EmbeddedCluster.open({ dataDir, basePort: 'auto', dataDirSetting: 'SHOPGRAPH_BENCH_DIR' });
  const started = await cluster.up();
  cleanups.push(async () => {
    for (const name of [...started].reverse()) await cluster.stopNode(name);
  });
  const setup = await ConnectionManager.start({ nodes: cluster.nodes, poolSize: 2 });
  const primary = setup.choosePrimary();
  await migrateDatabase(primary);
  // The same rows every run: orders placed by the last run are gone, stock is back.
  await seedDatabase(primary, { scale: SCALE, seed: 42, reset: true });
  const { id, key, secretHash } = generateApiKey();
  await new ApiKeyStore(setup.route('write')).insert({ id, name: 'bench', secretHash, scopes: ['admin'], ratePerSecond: 10_000_000 });
  const data = await benchData(setup);
  await setup.close();
  const dataFile = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-bench-')), 'data.json');
  await fs.writeFile(dataFile, JSON.stringify(data));
  cleanups.push(() => fs.rm(path.dirname(dataFile), { recursive: true, force: true }));

  const [serverPort, floorPort, cachingPort] = await findFreePorts(3);
  const profileDir = optionValue('--profile');
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profileDir)}`] : [];
  const replicas = cluster.nodes.filter((node) => node.name !== cluster.primaryName);
  step('starting ShopGraph (dist/, NODE_ENV=production) and the floor, each in its own process');
  const server = await startProcess(
    process.execPath,
    [...profiling, path.join(root, 'dist/cli/main.js'), 'start'],
    {
      PORT: String(serverPort),
      NODE_ENV: 'production',
      DATABASE_URLS: cluster.nodes.map((node) => `${node.url}#${node.name}`).join(','),
      DATABASE_POOL_SIZE: String(POOL_SIZE),
      SHOPGRAPH_RESPONSE_CACHE_BYTES: '0',
    },
    'ShopGraph is serving',
  );
  cleanups.push(() => stop(server));
  const cachingServer = await startProcess(
    process.execPath,
    [...profiling, path.join(root, 'dist/cli/main.js'), 'start'],
    {
      PORT: String(cachingPort),
      NODE_ENV: 'production',
      DATABASE_URLS: cluster.nodes.map((node) => `${node.url}#${node.name}`).join(','),
      DATABASE_POOL_SIZE: String(POOL_SIZE),
    },
    'ShopGraph is serving',
  );
  cleanups.push(() => stop(cachingServer));
  const floor = await startProcess(
    process.execPath,
    ['--import', 'tsx', path.join(benchDir, 'floor.ts')],
    {
      FLOOR_PORT: String(floorPort),
      REPLICA_URLS: replicas.map((node) => node.url).join(','),
      FLOOR_POOL_SIZE: String(POOL_SIZE),
    },
    'floor ready',
  );
  cleanups.push(() => stop(floor));
  const serverUrl = `http://127.0.0.1:${serverPort}/graphql`;
  const cachingUrl = `http://127.0.0.1:${cachingPort}/graphql`;
  const writer = { ratePerSecond: WRITES_PER_SECOND, writes: 0, failures: 0 };
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  const authorization = `Bearer ${key}`;

  step('checking that ShopGraph and the floor answer the same data, byte for byte');
  const queries = Object.fromEntries(
    await Promise.all(
      OPERATIONS.map(async (name) => [
        name,
        await fs.readFile(path.join(benchDir, 'operations', `${DOCUMENT_OF[name] ?? name}.graphql`), 'utf8'),
      ]),
    ),
  );
  await verifySameData(serverUrl, floorUrl, authorization, queries, data);

  const operations: OperationResult[] = [];
  for (const name of OPERATIONS) {
    const isRead = READS.includes(name);
    const url = CACHED.has(name) ? cachingUrl : serverUrl;
    const before = await statementCounts(url, authorization);
    // Cache lookups are counted over the measured runs, not their warm-ups, as the figures are.
    const lookups = { hit: 0, miss: 0, joined: 0 };
    // The writer goes through the other server: the caching one hears its changes from the WAL.
    const writing = CACHED.has(name) ? startWriter(serverUrl, authorization, data, writer) : undefined;
    // This machine's speed drifts by tens of percent within a minute; short rounds that take
    // turns with the floor see the same drift, and the median round leaves out the outliers.
    const rounds: { mine: LoadResult; floor?: LoadResult }[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      step(`${name}: round ${round} of ${ROUNDS}, ShopGraph${isRead ? ', then the floor' : ''}`);
      let measuring: Promise<Lookups> | undefined;
      const mine = await load(
        {
          url,
          operation: name,
          query: queries[name],
          authorization,
          connections: CONNECTIONS,
          durationSeconds: ROUND_SECONDS,
          warmupSeconds: CACHED.has(name) && round === 1 ? CACHE_WARMUP_SECONDS : WARMUP_SECONDS,
          dataFile,
        },
        () => (measuring = CACHED.has(name) ? cacheLookups(url, authorization) : undefined),
      );
      if (measuring) {
        const [from, to] = [await measuring, await cacheLookups(url, authorization)];
        for (const count of ['hit', 'miss', 'joined'] as const) lookups[count] += to[count] - from[count];
      }
      const floor = isRead
        ? await load({
            url: `${floorUrl}/${name}`,
            operation: name,
            connections: CONNECTIONS,
            durationSeconds: ROUND_SECONDS,
            warmupSeconds: WARMUP_SECONDS,
            dataFile,
          })
        : undefined;
      rounds.push({ mine, floor });
      step(
        `${name}: round ${round}: ${Math.round(mine.rps)} req/s` +
          (floor ? `, the floor ${Math.round(floor.rps)} req/s (${Math.round((mine.rps / floor.rps) * 100)}%)` : ''),
      );
    }
    await writing?.stop();
    if (CACHED.has(name)) step(`${name}: the cache's fills and evictions so far: ${await cacheActivity(url, authorization)}`);
    const after = await statementCounts(url, authorization);
    const shareOfLookups = (count: 'hit' | 'joined') =>
      CACHED.has(name) ? Math.round((lookups[count] / Math.max(1, lookups.hit + lookups.miss)) * 1000) / 1000 : undefined;
    const hitRatio = shareOfLookups('hit');
    const joinedRatio = shareOfLookups('joined');
    const mine = medianBy(
      rounds.map((round) => round.mine),
      (result) => result.rps,
    );
    const floorRounds = rounds.flatMap((round) => (round.floor ? [round.floor] : []));
    const floorResult = floorRounds.length > 0 ? medianBy(floorRounds, (result) => result.rps) : undefined;
    const ratios = rounds.flatMap((round) => (round.floor ? [round.mine.rps / round.floor.rps] : []));
    // The server's statement counters run through warm-up and measurement alike.
    const totalRequests = sum(rounds.map((round) => round.mine.warmupRequests + round.mine.requests));
    const statements = sum(after) - sum(before);
    const onReplicas = replicas.reduce((total, node) => total + (after[node.name] ?? 0) - (before[node.name] ?? 0), 0);
    operations.push({
      name,
      rps: mine.rps,
      p50Ms: mine.p50Ms,
      p95Ms: mine.p95Ms,
      p99Ms: mine.p99Ms,
      sqlPerRequest: Math.round((statements / totalRequests) * 10) / 10,
      replicaShare: statements === 0 ? 0 : Math.round((onReplicas / statements) * 1000) / 1000,
      errors: sum(rounds.map((round) => round.mine.errors)),
      floorRps: floorResult?.rps ?? null,
      floorP50Ms: floorResult?.p50Ms ?? null,
      floorP99Ms: floorResult?.p99Ms ?? null,
      ratioToFloor: ratios.length > 0 ? Math.round(medianBy(ratios, (ratio) => ratio) * 100) / 100 : null,
      ...(hitRatio === undefined ? {} : { hitRatio, joinedRatio }),
    });
  }
  step('the fragment-doubling query, with /healthz polled meanwhile');
  const fragmentDoubling = await measureFragmentDoubling(serverUrl, authorization);
  const invalidation = await invalidationTimes(cachingUrl, authorization);
  const peakRssMb = peakRss(server.pid!);
  return {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, node: process.version },
    scale: SCALE,
    connections: CONNECTIONS,
    rounds: ROUNDS,
    durationSeconds: ROUND_SECONDS,
    operations,
    peakRssMb,
    fragmentDoubling,
    invalidation,
    writer,
    cacheWarmupSeconds: CACHE_WARMUP_SECONDS,
    targets: evaluateTargets(operations, peakRssMb, fragmentDoubling, invalidation),
  };
}

/**
 * Sixteen fragments that each spread the next twice (a 1 KB text that unrolls into 32,768
 * selections), sent 50 times one after the other while /healthz is asked every 5 ms.
 */
async function measureFragmentDoubling(serverUrl: string, authorization: string): Promise<BenchReport['fragmentDoubling']> {
  const fragments = Array.from({ length: 15 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  const query = `{ ...F0 }\n${fragments.join('\n')}\nfragment F15 on Query { __typename }`;
  const healthz = serverUrl.replace('/graphql', '/healthz');
  const health: number[] = [];
  let polling = true;
  const poll = (async () => {
    while (polling) {
      const started = performance.now();
      await fetch(healthz).then((response) => response.text());
      health.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    const body = (await post(serverUrl, { query }, authorization)) as { data?: unknown };
    times.push(performance.now() - started);
    if (JSON.stringify(body.data) !== '{"__typename":"Query"}')
      throw new Error(`the fragment-doubling query was answered ${JSON.stringify(body)}`);
  }
  polling = false;
  await poll;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  times.sort((a, b) => a - b);
  return { p50Ms: round(times[25]!), maxMs: round(times[49]!), healthzMaxMs: round(Math.max(...health)) };
}

async function benchData(manager: ConnectionManager): Promise<BenchData> {
  return manager.route('read').run(async (node) => ({
    activeProductIds: (await node.sql<{ id: number }[]>`select id from products where status = 'ACTIVE' order by id`).map((row) => row.id),
    leafCategoryIds: (await node.sql<{ id: number }[]>`select id from categories where parent_id is not null order by id`).map(
      (row) => row.id,
    ),
    ...searchTerms((await node.sql<{ name: string }[]>`select name from products order by id`).map((row) => row.name)),
    customerIdsWithOrders: (await node.sql<{ id: number }[]>`select distinct customer_id as id from orders order by 1`).map(
      (row) => row.id,
    ),
    warehouseOf: Object.fromEntries(
      (
        await node.sql<{ product: number; warehouse: number }[]>`
          select distinct on (product_id) product_id as product, warehouse_id as warehouse from inventory_levels order by product_id, warehouse_id`
      ).map((row) => [row.product, row.warehouse]),
    ),
  }));
}

/**
 * Changes prices and stock at a steady rate, of products drawn as the cached reads draw them
 * (so the hot ones change most), until stopped.
 */
function startWriter(url: string, authorization: string, data: BenchData, counts: { writes: number; failures: number }) {
  let price = true;
  const timer = setInterval(() => {
    const product = zipfProductId(data);
    const id = toGlobalId('Product', product);
    const body = (price = !price)
      ? {
          query: 'mutation ($input: UpdateProductInput!) { updateProduct(input: $input) { product { id } } }',
          variables: { input: { id, price: { amount: `${1 + Math.floor(Math.random() * 500)}.99`, currency: 'USD' } } },
        }
      : {
          query: 'mutation ($input: AdjustInventoryInput!) { adjustInventory(input: $input) { __typename } }',
          variables: { input: { productId: id, warehouseId: toGlobalId('Warehouse', data.warehouseOf[product]!), delta: 1 } },
        };
    const write = post(url, body, authorization).then((answer) => {
      if ((answer as { errors?: unknown }).errors) counts.failures += 1;
      else counts.writes += 1;
    });
    pending.add(write);
    void write.catch(() => (counts.failures += 1)).finally(() => pending.delete(write));
  }, 1000 / WRITES_PER_SECOND);
  const pending = new Set<Promise<void>>();
  return {
    stop: async () => {
      clearInterval(timer);
      await Promise.allSettled([...pending]);
    },
  };
}

/** The response cache's hits and misses so far, from the server's /metrics. */
interface Lookups {
  hit: number;
  miss: number;
  joined: number;
}

async function cacheLookups(url: string, authorization: string): Promise<Lookups> {
  const text = await metricsText(url, authorization);
  const count = (result: string) =>
    Number(new RegExp(`shopgraph_response_cache_lookups_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  const joined = Number(/^shopgraph_response_cache_joined_total (\d+)/m.exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss'), joined };
}

/** The response cache's fills (stored or refused) and evictions by cause, as the server counts them. */
async function cacheActivity(url: string, authorization: string): Promise<string> {
  const text = await metricsText(url, authorization);
  return [...text.matchAll(/^shopgraph_response_cache_(fills|evictions)_total\{\w+="(\w+)"\} (\d+)/gm)]
    .map(([, kind, label, count]) => `${kind} ${label} ${count}`)
    .join(', ');
}

/** Commit-to-eviction percentiles as the server measured them, or null when it recorded none. */
async function invalidationTimes(url: string, authorization: string): Promise<{ p50Ms: number; p99Ms: number } | null> {
  const text = await metricsText(url, authorization);
  const quantile = (q: string) => new RegExp(`shopgraph_response_cache_invalidation_ms\\{quantile="${q}"\\} ([\\d.e+-]+)`).exec(text)?.[1];
  const p50 = quantile('0.5');
  const p99 = quantile('0.99');
  return p50 && p99 ? { p50Ms: Number(p50), p99Ms: Number(p99) } : null;
}

async function metricsText(url: string, authorization: string): Promise<string> {
  return (await fetch(url.replace('/graphql', '/metrics'), { headers: { authorization } })).text();
}

async function verifySameData(
  serverUrl: string,
  floorUrl: string,
  authorization: string,
  queries: Record<string, string>,
  data: BenchData,
): Promise<void> {
  let state = 7;
  const random = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  for (const name of READS) {
    for (let sample = 0; sample < 25; sample++) {
      const variables = variablesFor(name, data, random);
      const mine = (await post(serverUrl, { query: queries[name], variables }, authorization)) as { data?: unknown; errors?: unknown };
      const floor = (await post(`${floorUrl}/${name}`, { variables })) as { data?: unknown };
      if (mine.errors) throw new Error(`${name} failed on ShopGraph: ${JSON.stringify(mine.errors)}`);
      if (JSON.stringify(mine.data) !== JSON.stringify(floor.data)) {
        throw new Error(
          `${name} differs from the floor for ${JSON.stringify(variables)} (SQL parameters ${JSON.stringify(floorParameters(name, variables as Record<string, string>))}):\n${JSON.stringify(mine.data)}\n${JSON.stringify(floor.data)}`,
        );
      }
    }
  }
}

async function statementCounts(url: string, authorization: string): Promise<Record<string, number>> {
  const body = (await post(url, { query: '{ clusterStatus { nodes { name statements } } }' }, authorization)) as {
    data: { clusterStatus: { nodes: { name: string; statements: number }[] } };
  };
  return Object.fromEntries(body.data.clusterStatus.nodes.map((node) => [node.name, node.statements]));
}

async function post(url: string, body: unknown, authorization?: string): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify(body),
  });
  return response.json();
}

/** Runs the load generator; `onWarmedUp` is called when its warm-up is over and the measured run starts. */
function load(plan: LoadPlan, onWarmedUp?: () => void): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchDir, 'load.ts'), JSON.stringify(plan)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const warmedUp = !output.includes(WARMED_UP);
      output += chunk.toString();
      if (warmedUp && output.includes(WARMED_UP)) onWarmedUp?.();
    });
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(output.trim().split('\n').pop()!) as LoadResult)
        : reject(new Error(`load generator exited with ${code}`)),
    );
  });
}

function startProcess(command: string, args: string[], env: Record<string, string>, readyLine: string): Promise<ChildProcess> {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (!output.includes(readyLine)) return;
      // From here on its log lines are read and dropped, not kept: the run keeps its memory and CPU.
      child.stdout!.off('data', collect).resume();
      resolve(child);
    };
    child.stdout!.on('data', collect);
    child.once('exit', (code) => reject(new Error(`${path.basename(args[args.length - 1] ?? command)} exited with ${code}:\n${output}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

/** The process's peak resident memory (VmHWM), in MB. */
function peakRss(pid: number): number {
  const status = spawnSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }).stdout;
  const kilobytes = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kilobytes / 1024);
}

const sum = (counts: Record<string, number> | number[]) => Object.values(counts).reduce((total, count) => total + count, 0);

/** The middle item by `value` (the upper middle of an even count). */
function medianBy<T>(items: T[], value: (item: T) => number): T {
  return [...items].sort((a, b) => value(a) - value(b))[Math.floor(items.length / 2)]!;
}
const step = (message: string) => console.log(`bench: ${message}`);

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

/** The value after `name` on the command line, if given. */
function optionValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
}
