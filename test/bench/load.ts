/**
 * The load generator, run as its own process so it does not share an event loop with the
 * server under test: autocannon with fixed connections and duration, a warm-up first, a new
 * set of variables for every request, and every response's latency recorded for percentiles.
 *
 * Input: one JSON argument (LoadPlan). Output: the line WARMED_UP when the warm-up is over,
 * then one JSON line (LoadResult) on stdout.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { variablesFor, type BenchData } from './variables.js';

export interface LoadPlan {
  url: string;
  operation: string;
  /** The GraphQL document, or undefined for the floor (which takes variables only). */
  query?: string;
  authorization?: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  dataFile: string;
}

/** Bodies kept for sending again (the searches' variables rarely repeat). */
const MAX_BODIES = 50_000;

/** The line written once the warm-up is over and the measured run starts. */
export const WARMED_UP = 'warmed up';

export interface LoadResult {
  /** Requests sent during the warm-up, which the server counts too. */
  warmupRequests: number;
  requests: number;
  rps: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2]!) as LoadPlan;
  const data = JSON.parse(readFileSync(plan.dataFile, 'utf8')) as BenchData;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (plan.authorization) headers.authorization = plan.authorization;
  // A body per set of variables, made once: the generator shares the machine with the server,
  // and serialising the query text again for every request took CPU the server could have had.
  const bodies = new Map<string, string>();
  const body = () => {
    const variables = variablesFor(plan.operation, data);
    const key = JSON.stringify(variables);
    let text = bodies.get(key);
    if (text === undefined) {
      text = JSON.stringify(plan.query ? { query: plan.query, variables } : { variables });
      if (bodies.size < MAX_BODIES) bodies.set(key, text);
    }
    return text;
  };
  const run = (seconds: number, record?: number[]) =>
    new Promise<autocannon.Result>((resolve, reject) => {
      const instance = autocannon(
        {
          url: plan.url,
          connections: plan.connections,
          duration: seconds,
          requests: [{ method: 'POST', headers, setupRequest: (request) => ({ ...request, body: body() }) }],
        },
        (error, result) => (error ? reject(error) : resolve(result)),
      );
      if (record) instance.on('response', (_client, _status, _bytes, responseTime) => record.push(responseTime));
    });
  const warmup = await run(plan.warmupSeconds);
  // Told to the bench, which counts the server's cache lookups from here, as the figures below.
  process.stdout.write(`${WARMED_UP}\n`);
  const latencies: number[] = [];
  const result = await run(plan.durationSeconds, latencies);
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const output: LoadResult = {
    warmupRequests: warmup.requests.total,
    requests: result.requests.total,
    rps: Math.round(result.requests.total / plan.durationSeconds),
    p50Ms: round(percentile(50)),
    p95Ms: round(percentile(95)),
    p99Ms: round(percentile(99)),
    errors: result.errors + result.timeouts + result.non2xx,
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

const round = (value: number) => Math.round(value * 100) / 100;

// Run as a process by the bench; imported only for its types and WARMED_UP.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
