import { buildSchema, parse } from 'graphql';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';
import { countCost } from './cost-count.js';
import type { FuzzData } from './data.js';
import { generateOperation, type GeneratedOperation } from './generate.js';
import { Random } from './random.js';

/** A GraphQL endpoint and the credentials to call it with (one key per kind of caller). */
export interface Endpoint {
  url: string;
  keys: { admin: string; catalog: string };
}

export interface FuzzOptions {
  /** A server with compiled reads: each operation goes to it twice (full path, then fast lane). */
  compiled: Endpoint;
  /** A server that answers through the resolvers alone, on the same data. */
  reference: Endpoint;
  data: FuzzData;
  count: number;
  seed: number;
  /** Operations in flight at once. */
  concurrency?: number;
  /** Called for every mismatch as it is found. */
  onMismatch?: (mismatch: Mismatch) => void;
}

export interface Mismatch {
  kind: 'response' | 'cost';
  /** Which operation of the run (with the seed, it is generated again exactly). */
  index: number;
  caller: 'admin' | 'catalog';
  query: string;
  variables: Record<string, unknown>;
  details: string;
}

export interface FuzzReport {
  operations: number;
  mismatches: number;
  costMismatches: number;
  seed: number;
  examples: Mismatch[];
}

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[]; extensions?: { cost?: Record<string, number> } };
}

const MAX_EXAMPLES = 20;

/**
 * Differential fuzzing of the read path: random valid operations (see generate.ts) run
 * through the compiled path, again (the fast lane answers a repeated compiled read), and
 * through the resolvers alone, on the same data. The three answers must be the same, compared
 * as JSON text of their data and errors (key order included); each answer's actual cost must
 * equal an independent count of what it returned (cost-count.ts), and its requested cost
 * must be at least that.
 */
export async function runDifferentialFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const schema = buildSchema(loadSchemaSource());
  const report: FuzzReport = { operations: 0, mismatches: 0, costMismatches: 0, seed: options.seed, examples: [] };
  const found = (mismatch: Mismatch) => {
    if (mismatch.kind === 'response') report.mismatches += 1;
    else report.costMismatches += 1;
    if (report.examples.length < MAX_EXAMPLES) report.examples.push(mismatch);
    options.onMismatch?.(mismatch);
  };
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < options.count; index = next++) {
      // One generator per operation, from the run's seed and its index: the same operations
      // whatever the concurrency.
      const random = new Random(options.seed * 1_000_003 + index);
      const operation = generateOperation(schema, options.data, random);
      const caller = random.chance(0.15) ? 'catalog' : 'admin';
      const { full, fast, reference } = await askEveryPath(options, caller, operation);
      report.operations += 1;
      const context = { index, caller, query: operation.query, variables: operation.variables } as const;
      const answers = { full, fast, reference };
      const texts = Object.entries(answers).map(([lane, answer]) => [lane, comparable(answer)] as const);
      const differing = texts.filter(([, text]) => text !== texts[2]![1]);
      if (differing.length > 0) {
        found({ kind: 'response', ...context, details: texts.map(([lane, text]) => `${lane}: ${text}`).join('\n') });
        continue;
      }
      const counted = countCost(schema, parse(operation.query), operation.variables, reference.body.data);
      const costs = Object.entries(answers).filter(([, answer]) => answer.body.extensions?.cost);
      const wrong = costs.filter(
        ([, answer]) =>
          answer.body.extensions!.cost!.actualQueryCost !== counted ||
          answer.body.extensions!.cost!.requestedQueryCost! < counted ||
          answer.body.extensions!.cost!.requestedQueryCost !== reference.body.extensions?.cost?.requestedQueryCost,
      );
      if (wrong.length > 0) {
        const figures = costs.map(([lane, answer]) => `${lane}: ${JSON.stringify(answer.body.extensions!.cost)}`);
        found({ kind: 'cost', ...context, details: [`independent count: ${counted}`, ...figures].join('\n') });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return report;
}

/** Codes that say the cluster could not serve at that moment: a question of availability, not of meaning. */
const UNAVAILABLE = new Set(['SERVICE_UNAVAILABLE', 'PRIMARY_UNAVAILABLE', 'TIMEOUT']);
const ATTEMPTS = 3;

/**
 * The operation through the compiled path, again (the fast lane), and through the resolvers.
 * When a path was answered that no node could serve it (a loaded machine can lose every node
 * of the fuzz's cluster for a moment), all three are asked again, up to three times, so that
 * what is compared is what each path makes of the same data.
 */
async function askEveryPath(options: FuzzOptions, caller: 'admin' | 'catalog', operation: GeneratedOperation) {
  for (let attempt = 1; ; attempt += 1) {
    const answers = {
      full: await post(options.compiled, caller, operation),
      fast: await post(options.compiled, caller, operation),
      reference: await post(options.reference, caller, operation),
    };
    const unavailable = Object.values(answers).some((answer) =>
      answer.body.errors?.some((error) => UNAVAILABLE.has(String(error.extensions?.code))),
    );
    if (!unavailable || attempt === ATTEMPTS) return answers;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function post(endpoint: Endpoint, caller: 'admin' | 'catalog', operation: GeneratedOperation): Promise<Answer> {
  const response = await fetch(endpoint.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${endpoint.keys[caller]}` },
    body: JSON.stringify({ query: operation.query, variables: operation.variables }),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

/**
 * What must be the same on every path: the status, the data and the errors, without request
 * ids. graphql-js reports errors as they happen, and when several fields under one nullable
 * field fail, it reports the first to fail and nulls that field (the others' errors are
 * dropped): which one is first is up to timing, also on the resolvers alone. So an error
 * that nulled an ancestor counts only as "something nulled that ancestor" (the null itself is
 * in the data, compared exactly), the others are compared in full, in a fixed order, with
 * the list indexes of their paths left out.
 */
function comparable({ status, body }: Answer): string {
  const errors = body.errors?.map((error) => {
    const { requestId: _, ...extensions } = error.extensions ?? {};
    const path = (error as { path?: (string | number)[] }).path;
    const nulled = path && nulledAncestor(body.data, path);
    if (nulled) return JSON.stringify({ nulled: withoutIndexes(nulled) });
    return JSON.stringify({ ...error, ...(path ? { path: withoutIndexes(path) } : {}), extensions });
  });
  return JSON.stringify({ status, data: body.data, errors: errors && [...new Set(errors)].sort() });
}

/** The path of the outermost null above the end of `path` in `data`, if the error's null went up to one. */
function nulledAncestor(data: unknown, path: (string | number)[]): (string | number)[] | undefined {
  let value = data;
  for (let depth = 0; depth < path.length - 1; depth += 1) {
    if (value === null || value === undefined) return path.slice(0, depth);
    value = (value as Record<string | number, unknown>)[path[depth]!];
    if (value === null) return path.slice(0, depth + 1);
  }
  return undefined;
}

function withoutIndexes(path: (string | number)[]): string[] {
  return path.map((segment) => (typeof segment === 'number' ? '#' : segment));
}

/** Prints a mismatch so it can be run again by hand. */
export function describeMismatch(mismatch: Mismatch): string {
  return [
    `${mismatch.kind} mismatch in operation ${mismatch.index} (${mismatch.caller} caller):`,
    mismatch.query,
    `variables: ${JSON.stringify(mismatch.variables)}`,
    mismatch.details,
  ].join('\n');
}
