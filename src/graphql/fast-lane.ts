import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import {
  getVariableValues,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { ConnectionManager, RouteOptions } from '../cluster/index.js';
import type { GraphQLContext } from './context.js';
import { runCompiled } from './executor.js';
import { ByteBoundedCache, documentBytes, textBytes } from './byte-cache.js';
import type { Charge, CostAccounting } from './limits/accounting.js';
import { fragmentsOf, type OperationShape } from './limits/cost.js';
import type { Metrics } from './metrics.js';
import { reportOperation } from './plugins/observability.js';
import { CONSISTENCY_TOKEN_HEADER, READ_FROM_HEADER, readRouteOptions, routingExtensions } from './plugins/routing.js';
import type { ReadStatement, ReadTemplates } from './read-templates.js';
import type { CachePolicies, CachePolicy } from './cache-policy.js';
import { cachingHeaders, etagOf, type CachingHeaders } from './http-caching.js';
import {
  scopesKeyOf,
  variablesKeyOf,
  type CacheableRequest,
  type CachedRead,
  type CachedReads,
  type CacheHit,
} from './response-cache/index.js';
import { inOperationSpan } from '../tracing/index.js';

/** Longer query texts are not remembered (they always take the full path). */
const MAX_QUERY_LENGTH = 16 * 1024;

const JSON_MEDIA_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_MEDIA_TYPE = 'application/graphql-response+json; charset=utf-8';
/**
 * The response media type Apollo Server negotiates for the Accept headers clients send most;
 * any other Accept header takes the full path, which negotiates it.
 */
const MEDIA_TYPE_BY_ACCEPT: ReadonlyMap<string | undefined, string> = new Map([
  [undefined, JSON_MEDIA_TYPE],
  ['*/*', JSON_MEDIA_TYPE],
  ['application/json', JSON_MEDIA_TYPE],
  ['application/graphql-response+json', GRAPHQL_RESPONSE_MEDIA_TYPE],
  ['application/graphql-response+json, application/json', GRAPHQL_RESPONSE_MEDIA_TYPE],
]);

interface KnownOperation {
  /** SHA-256 of the query text, as Apollo Server's `queryHash`. */
  queryHash: string;
  document: DocumentNode;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  /**
   * The keys of its known requests (see FastLane.requests): they go when it goes, so that
   * they cannot keep its document alive past the operations' byte bound.
   */
  requests: Set<string>;
  /** It has left the operations it is known by. */
  forgotten?: boolean;
}

/**
 * A POST body the fast lane answered before, by its text: its request as checked and worked
 * out then. All of it follows from the text alone (the operation, its variables as graphql-js
 * coerces them, its cache policy and static cost), so a body sent again is not parsed again.
 */
interface KnownRequest {
  /** The body's text. */
  text: string;
  known: KnownOperation;
  operationName: string | undefined;
  variables: Record<string, unknown>;
  policy: CachePolicy;
  shape: OperationShape;
  /** Its variables in the response cache's keys (see CacheableRequest). */
  variablesKey: string;
  /**
   * Its response cache keys by caller scopes (see CachedReads.keyOf), kept as the same string
   * objects: V8 hashes a string once, and a key made anew for every request was hashed every time.
   */
  cacheKeys: Map<string, string | undefined>;
}

/** Estimated bytes of a known request beside its body text: its objects, variables and cache keys. */
const KNOWN_REQUEST_BYTES = 600;
/** Scope sets whose cache keys a known request keeps (callers usually have a few between them). */
const MAX_CACHE_KEYS = 8;
/**
 * Characters at each end of a body that, with its length, find its known request. Hashing a
 * whole body (a query text of a kilobyte or more) for a map lookup took a few microseconds,
 * as long as the rest of a cache hit. Its ends hold the variables, whether a client sends them
 * after the query or, as Apollo Client does, before it; the match is checked on the whole text.
 */
const BODY_KEY_EDGE = 96;

export interface FastLaneAnswer {
  contentType: string;
  caching: CachingHeaders;
  body: string;
}

/**
 * The fast lane for compiled reads. Apollo Server's request pipeline (parsing and validation
 * caches, plugin hooks, content negotiation, parsing PostgreSQL's JSON and serialising it
 * again) costs a compiled read more CPU than its SQL. A query that has already gone the full
 * way through Apollo and was answered by one compiled statement is known to be valid and
 * allowed on this server, so when the same query text comes again in a plain POST, it is
 * answered here: the same limits and rate charge, the same route and headers, the same
 * statement, with PostgreSQL's JSON text as the response's `data`, and the same metrics and
 * log line. Anything else, including every refusal and every failure, takes the full path,
 * which produces its error exactly as before; nothing is answered differently, only sooner.
 */
export class FastLane {
  /** By operation name and query text; each holds its parsed document. */
  readonly operations: ByteBoundedCache<string, KnownOperation>;
  /** By body text (see KnownRequest). */
  readonly requests: ByteBoundedCache<string, KnownRequest>;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly templates: ReadTemplates,
    private readonly accounting: CostAccounting,
    private readonly cluster: ConnectionManager,
    private readonly metrics: Metrics,
    private readonly policies: CachePolicies,
    bounds: { operationBytes: number; requestBytes: number },
    /** The server's response cache, when it has one. */
    private readonly cachedReads?: CachedReads,
  ) {
    this.operations = new ByteBoundedCache(
      'fast-lane',
      bounds.operationBytes,
      (key, known) => textBytes(key) + documentBytes(known.document),
      (_key, known) => {
        known.forgotten = true;
        for (const body of known.requests) this.requests.delete(body);
      },
    );
    this.requests = new ByteBoundedCache(
      'fast-lane-requests',
      bounds.requestBytes,
      (key, request) => textBytes(key) + textBytes(request.text) + KNOWN_REQUEST_BYTES,
      (key, request) => request.known.requests.delete(key),
    );
  }

  /** Called by the executor when Apollo ran this request's query as a compiled read. */
  learn(request: { query?: string; operationName?: string | null }, document: DocumentNode, operation: OperationDefinitionNode): void {
    if (request.query === undefined || request.query.length > MAX_QUERY_LENGTH) return;
    const key = keyOf(request.query, request.operationName);
    if (this.operations.get(key)) return;
    this.operations.set(key, {
      queryHash: createHash('sha256').update(request.query).digest('hex'),
      document,
      operation,
      fragments: fragmentsOf(document),
      requests: new Set(),
    });
  }

  /**
   * A POST body the fast lane answered before, by its text (see KnownRequest): such a body is
   * valid JSON with a query of an accepted length, and need not be parsed again.
   */
  recognise(text: string): KnownRequest | undefined {
    const request = this.requests.get(bodyKeyOf(text));
    return request?.text === text ? request : undefined;
  }

  /**
   * The response to a POST body (its text, and the request `recognise` found for it or else
   * its parsed value), or undefined when the full path must answer it.
   * `contextFor` identifies the caller (it throws for bad credentials, which the full path reports).
   */
  async answer(
    body: { text: string; recognised: KnownRequest } | { text: string; value: unknown },
    headers: IncomingHttpHeaders,
    contextFor: () => Promise<GraphQLContext>,
  ): Promise<FastLaneAnswer | undefined> {
    const contentType = MEDIA_TYPE_BY_ACCEPT.get(headers.accept);
    if (!contentType) return undefined;
    const request = 'recognised' in body ? body.recognised : this.requestOf(body.text, body.value);
    if (!request) return undefined;
    const { known } = request;
    const started = performance.now();
    const startedAt = Date.now();
    const context = await contextFor().catch(() => undefined);
    if (!context) return undefined;
    const routeOptions = this.routeOptions(headers, context);
    if (!routeOptions) return undefined;
    // Charged before planning, as on the full path: the limits bound the plan's size.
    const charge = await this.accounting.chargeShape(request.shape, context.caller).catch(() => undefined);
    if (!charge) return undefined;
    // Remembered once a caller was charged for it, so that bodies nobody may send cannot crowd
    // out the others; not when its operation was forgotten meanwhile.
    if (!('recognised' in body) && !known.forgotten) {
      const key = bodyKeyOf(body.text);
      this.requests.set(key, request);
      known.requests.add(key);
    }
    const { policy } = request;
    const cacheable = {
      queryHash: known.queryHash,
      operationName: request.operationName,
      operation: known.operation,
      fragments: known.fragments,
      variables: request.variables,
      variablesKey: request.variablesKey,
      policy,
      caller: context.caller,
    };
    const key = this.cacheKeyOf(request, cacheable);
    let hit = key === undefined ? undefined : this.cachedReads?.lookup(key, routeOptions);
    let reading: ((read: CachedRead | undefined) => void) | undefined;
    // Anything beyond the process (Redis, a read in flight) is awaited only after a miss in
    // process: a hit there stays synchronous.
    if (key !== undefined && !hit) ({ hit, settle: reading } = await this.cachedReads!.lookupAfterMiss(key, cacheable, routeOptions));
    const route = this.cluster.route('read', { ...routeOptions, deadline: context.deadline });
    let data: string;
    let parsed: Record<string, unknown> | undefined;
    let canonical: string | undefined;
    // PostgreSQL's JSON text spaces its keys differently: the ETag and the cache keep the text the full path sends.
    const dataText = () => (canonical ??= JSON.stringify(parsed));
    try {
      if (hit) {
        context.cacheHit = hit;
        data = hit.data;
      } else {
        const compiled = this.statementFor(known, request.variables, context);
        if (!compiled) {
          await this.accounting.cancel(charge);
          return undefined;
        }
        context.assignRoute(route);
        try {
          data = await inOperationSpan({ type: 'query', name: known.operation.name?.value }, () => runCompiled(context, compiled));
        } catch (error) {
          // The full path reports the failure its way, without sending the read a third time.
          context.failedRead = error;
          await this.accounting.cancel(charge);
          this.metrics.recordFastLane('handed-over');
          return undefined;
        }
      }
      if (!hit) {
        parsed = JSON.parse(data) as Record<string, unknown>;
        if (key !== undefined) reading?.(this.cachedReads?.fill(key, cacheable, route, parsed, dataText(), startedAt));
      }
    } finally {
      reading?.(undefined);
    }
    const extensions = {
      cost: await this.accounting.settleUsed(charge, hit ? this.costOfHit(charge, hit) : this.accounting.actualCostOf(charge, parsed)),
      ...routingExtensions(this.cluster, route, context.tokenIgnored, hit),
    };
    this.metrics.recordFastLane('answered');
    context.log.lane = 'fast';
    reportOperation(this.metrics, context, {
      name: known.operation.name?.value,
      type: 'query',
      outcome: 'ok',
      seconds: (performance.now() - started) / 1000,
    });
    // Apollo Server's layout: data, then extensions, and a final newline.
    return {
      contentType,
      caching: cachingHeaders(policy, false, () => (hit ? hit.etag : etagOf(dataText()))),
      body: `{"data":${data},"extensions":${JSON.stringify(extensions)}}\n`,
    };
  }

  /** A hit's actual cost: the entry keeps it for its key's cost plan, so its data is parsed on the first hit only. */
  private costOfHit(charge: Charge, hit: CacheHit): number {
    const { cost } = hit;
    if (cost.plan !== charge.plan || cost.actual === undefined) {
      cost.actual = this.accounting.actualCostOf(charge, JSON.parse(hit.data) as Record<string, unknown>);
      cost.plan = charge.plan;
    }
    return cost.actual;
  }

  /** What the routing headers ask for, or undefined for a bad header (the full path refuses it). */
  private routeOptions(headers: IncomingHttpHeaders, context: GraphQLContext): RouteOptions | undefined {
    try {
      return readRouteOptions(routingHeaders(headers), context, this.cluster);
    } catch {
      return undefined;
    }
  }

  /** The request's statement; anything that goes wrong planning it is the full path's to report. */
  private statementFor(known: KnownOperation, variables: Record<string, unknown>, context: GraphQLContext): ReadStatement | undefined {
    try {
      return this.templates.statementFor(known.document, known.operation, variables, context.caller);
    } catch {
      return undefined;
    }
  }

  /**
   * The request of a parsed POST body, or undefined when it is not a plain query the fast lane
   * knows with variables graphql-js accepts, or its cost is over a static limit (the full path
   * refuses those).
   */
  private requestOf(text: string, body: unknown): KnownRequest | undefined {
    const request = plainRequest(body);
    const known = request && this.operations.get(keyOf(request.query, request.operationName));
    if (!request || !known) return undefined;
    const coerced = getVariableValues(this.schema, known.operation.variableDefinitions ?? [], request.variables);
    if (!coerced.coerced) return undefined;
    const variables = coerced.coerced;
    return {
      text,
      known,
      operationName: request.operationName,
      variables,
      policy: this.policies.policyOf(known.operation, known.fragments, variables),
      shape: this.accounting.shapeOf({ schema: this.schema, operation: known.operation, fragments: known.fragments, variables }),
      variablesKey: variablesKeyOf(variables),
      cacheKeys: new Map(),
    };
  }

  /** The response cache's key of a request for its caller (see KnownRequest.cacheKeys). */
  private cacheKeyOf(request: KnownRequest, cacheable: CacheableRequest): string | undefined {
    if (!this.cachedReads) return undefined;
    const scopes = scopesKeyOf(cacheable.caller.scopes);
    let key = request.cacheKeys.get(scopes);
    if (key === undefined && !request.cacheKeys.has(scopes)) {
      key = this.cachedReads.keyOf(cacheable);
      if (request.cacheKeys.size < MAX_CACHE_KEYS) request.cacheKeys.set(scopes, key);
    }
    return key;
  }
}

/** The key a body's known request is found by (see BODY_KEY_EDGE). */
function bodyKeyOf(text: string): string {
  return text.length <= 2 * BODY_KEY_EDGE ? text : `${text.length}:${text.slice(0, BODY_KEY_EDGE)}${text.slice(-BODY_KEY_EDGE)}`;
}

interface PlainRequest {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
}

/** A POST body with a query, and optionally variables and an operation name, and nothing else. */
function plainRequest(body: unknown): PlainRequest | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { query, variables, operationName, ...rest } = body as Record<string, unknown>;
  if (typeof query !== 'string' || Object.values(rest).some((value) => value !== undefined && value !== null)) return undefined;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
  return { query, operationName: operationName ?? undefined, variables: (variables ?? {}) as Record<string, unknown> };
}

function keyOf(query: string, operationName: string | null | undefined): string {
  return `${operationName ?? ''}\n${query}`;
}

function routingHeaders(headers: IncomingHttpHeaders): Map<string, string> {
  const picked = new Map<string, string>();
  for (const name of [READ_FROM_HEADER, CONSISTENCY_TOKEN_HEADER]) {
    const value = headers[name];
    if (value !== undefined) picked.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return picked;
}
