import type { GraphQLResponse, TestServer } from './server.js';

export interface LoadResult {
  responses: GraphQLResponse[];
  /** Responses with errors, with the time they came back (ms since the load began). */
  failures: { at: number; response: GraphQLResponse }[];
  /** Successful responses per serving node. */
  byNode: Map<string, number>;
}

/**
 * Sends the same query from `concurrency` loops until `until` resolves, then lets the loops
 * finish their request. Bounded: also stops after `maxMs`.
 */
export async function readLoad(
  server: TestServer,
  query: string,
  options: { concurrency: number; until: Promise<unknown>; maxMs?: number },
): Promise<LoadResult> {
  const started = Date.now();
  let running = true;
  const stop = () => (running = false);
  void options.until.then(stop, stop);
  const timer = setTimeout(stop, options.maxMs ?? 30_000);
  const result: LoadResult = { responses: [], failures: [], byNode: new Map() };
  const loop = async () => {
    while (running) {
      const response = await server.request(query);
      result.responses.push(response);
      if (response.errors) result.failures.push({ at: Date.now() - started, response });
      else {
        const node = response.extensions?.routing?.node ?? 'unknown';
        result.byNode.set(node, (result.byNode.get(node) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, loop));
  clearTimeout(timer);
  return result;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
