import type { FragmentDefinitionNode, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { formatLsn, type ConnectionManager, type Route, type RouteOptions } from '../../cluster/index.js';
import type { Caller } from '../auth/index.js';
import type { CachePolicy } from '../cache-policy.js';
import { etagOf } from '../http-caching.js';
import { responseTags } from './response-tags.js';
import type { CachedRead, ResponseCache } from './response-cache.js';

/** An answer from the server's response cache. */
export type CacheHit = CachedRead & { ageSeconds: number };

/** The operation of a request as both lanes know it. */
export interface CacheableRequest {
  /** SHA-256 of the query text (Apollo Server's `queryHash`). */
  queryHash: string;
  operationName: string | undefined;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  /** As graphql-js coerces them. */
  variables: Record<string, unknown>;
  policy: CachePolicy | undefined;
  caller: Caller;
}

/**
 * The server's response cache as both lanes use it: which requests it may answer, under which
 * key, and what it keeps of an answer. Only responses anyone may read (a PUBLIC policy with a
 * maxAge) are kept, by operation, variables and the caller's scopes, so no caller is ever
 * answered with what another one's credentials showed.
 */
export class CachedReads {
  constructor(
    private readonly schema: GraphQLSchema,
    readonly cache: ResponseCache,
    private readonly cluster: ConnectionManager,
  ) {}

  /** The key of a request the cache may answer; undefined for one it may not. */
  keyOf(request: CacheableRequest): string | undefined {
    const { policy } = request;
    if (!policy || policy.scope !== 'PUBLIC' || policy.maxAge <= 0) return undefined;
    const scopes = [...request.caller.scopes].sort().join(' ');
    return `${request.queryHash}\n${request.operationName ?? ''}\n${scopes}\n${canonicalJson(request.variables)}`;
  }

  /** The cached answer, unless the request asked for the primary or its token is newer than the entry. */
  lookup(key: string, options: RouteOptions): CacheHit | undefined {
    if (options.primary) return undefined;
    return this.cache.lookup(key, { timeline: this.cluster.newestTimeline, token: options.token });
  }

  /**
   * Keeps an answer read on `route`, started at `startedAt`: its data as the full path sends it,
   * where it was read, and the rows it read.
   */
  fill(key: string, request: CacheableRequest, route: Route, data: Record<string, unknown>, dataText: string, startedAt: number): void {
    const node = route.servedBy;
    const position = route.readPosition;
    // Only from replicas: a replica's replayed commits are visible once replayed, but on the
    // primary a commit is in the WAL before other sessions see it (while a synchronous standby
    // confirms it), so its position does not prove what a read there saw. Nor from a pooled
    // endpoint: its position is whichever server a probe reached, not the one that answered.
    if (!node || node.role !== 'replica' || node.pooled || !position || !request.policy) return;
    const lagSeconds = this.cluster.lagOf(node).lagSeconds;
    const tags = responseTags(this.schema, request.operation, request.fragments, request.variables, data);
    if (lagSeconds === null || !tags) return;
    this.cache.store(
      key,
      { data: dataText, value: data, etag: etagOf(dataText), node: node.name, position, filledAt: startedAt, lagSeconds, tags: [...tags] },
      request.policy.maxAge,
    );
  }
}

/** `extensions.routing` of an answer from the cache: a read from `node`, frozen at its position. */
export function cacheRoutingExtensions(hit: CacheHit): Record<string, unknown> {
  const ageSeconds = Math.round(hit.ageSeconds * 1000) / 1000;
  return {
    routing: {
      role: 'cache',
      node: hit.node,
      timeline: hit.position.timeline,
      position: formatLsn(hit.position.lsn),
      ageSeconds,
      lagSeconds: Math.round((hit.lagSeconds + ageSeconds) * 1000) / 1000,
    },
  };
}

/** JSON with object keys sorted, so equal variables give equal keys. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([name, item]) => `${JSON.stringify(name)}:${canonicalJson(item)}`).join(',')}}`;
}
