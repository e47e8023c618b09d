import { createHash } from 'node:crypto';
import { printSchema, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import {
  formatLsn,
  reaches,
  type ConnectionManager,
  type ConsistencyToken,
  type Position,
  type Route,
  type RouteOptions,
} from '../../cluster/index.js';
import type { Caller } from '../auth/index.js';
import type { CachePolicy } from '../cache-policy.js';
import { etagOf } from '../http-caching.js';
import { responseTags } from './response-tags.js';
import type { CachedRead, CommittedChange, ResponseCache } from './response-cache.js';
import type { SharedEntry } from './shared-entry.js';
import type { SharedResponses, SharedVerdict } from './shared-responses.js';

/**
 * An answer from the server's response cache; `shared` when another instance filled it
 * (through Redis), `joined` when it is the read of another request for the same key, which
 * was in flight when this one missed.
 */
export type CacheHit = CachedRead & { ageSeconds: number; shared?: boolean; joined?: boolean };

/** The operation of a request as both lanes know it. */
export interface CacheableRequest {
  /** SHA-256 of the query text (Apollo Server's `queryHash`). */
  queryHash: string;
  operationName: string | undefined;
  operation: OperationDefinitionNode;
  fragments: Record<string, FragmentDefinitionNode>;
  /** As graphql-js coerces them. */
  variables: Record<string, unknown>;
  /** `variablesKeyOf(variables)`, when the lane has it already. */
  variablesKey?: string;
  policy: CachePolicy | undefined;
  caller: Caller;
}

/**
 * The server's response cache as both lanes use it: which requests it may answer, under which
 * key, and what it keeps of an answer. Only responses anyone may read (a PUBLIC policy with a
 * maxAge) are kept, by operation, variables and the caller's scopes, so no caller is ever
 * answered with what another one's credentials showed.
 *
 * With `shared` (Redis), it has two levels: `cache`, in process, answers synchronously; on a
 * miss there, `lookupShared` asks Redis, and what it finds is used only after the checks an
 * entry of `cache` gets (timeline, token, age) and only if `cache` would have kept it as a fill
 * of its own, by this instance's own hearing of the WAL; it is then kept in `cache` too. Fills
 * go to both; committed changes evict from both.
 */
export class CachedReads {
  private schemaDigest: string | undefined;
  /** Reads in flight of keys that missed, by key: what `fill` made of each, once it is done. */
  private readonly reading = new Map<string, Promise<CachedRead | undefined>>();

  constructor(
    private readonly schema: GraphQLSchema,
    readonly cache: ResponseCache,
    private readonly cluster: ConnectionManager,
    readonly shared?: SharedResponses,
  ) {}

  /** The key of a request the cache may answer; undefined for one it may not. */
  keyOf(request: CacheableRequest): string | undefined {
    if (!mayBeCached(request.policy)) return undefined;
    const variables = request.variablesKey ?? variablesKeyOf(request.variables);
    return `${request.queryHash}\n${request.operationName ?? ''}\n${scopesKeyOf(request.caller.scopes)}\n${variables}`;
  }

  /** The cached answer, unless the request asked for the primary or its token is newer than the entry. */
  lookup(key: string, options: RouteOptions): CacheHit | undefined {
    if (options.primary) return undefined;
    return this.cache.lookup(key, { timeline: this.cluster.newestTimeline, token: options.token });
  }

  /**
   * After a miss of `lookup`: the entry another instance shared (see lookupShared), else the
   * read of another request for the same key in flight now (see join), as `hit`. Otherwise
   * this request reads, and when no read of the key was in flight, requests for it that miss
   * meanwhile wait for this one's rather than sending the same read (after an eviction, every
   * request for a popular product would otherwise read it, and each one's fill is refused
   * until the probes see a replica that replayed the change): call `settle` with what `fill` made of the
   * read, or with undefined when it failed; later calls do nothing. Whether a read is in flight
   * and taking the key are one step, so requests that arrive together cannot all find none.
   */
  async lookupAfterMiss(
    key: string,
    request: CacheableRequest,
    options: RouteOptions,
  ): Promise<{ hit: CacheHit; settle?: undefined } | { hit?: undefined; settle?: (read: CachedRead | undefined) => void }> {
    const shared = await this.lookupShared(key, request, options);
    if (shared) return { hit: shared };
    const reading = this.reading.get(key);
    if (!reading) return { settle: this.startRead(key) };
    const joined = options.primary ? undefined : await this.join(reading, options);
    return joined ? { hit: joined } : {};
  }

  private startRead(key: string): (read: CachedRead | undefined) => void {
    let settle!: (read: CachedRead | undefined) => void;
    const reading = new Promise<CachedRead | undefined>((resolve) => (settle = resolve));
    this.reading.set(key, reading);
    return (read) => {
      if (this.reading.get(key) === reading) this.reading.delete(key);
      settle(read);
    };
  }

  /**
   * The read in flight, once done, if it may answer this request as an entry would: a
   * replica's read on the newest timeline, at or past the request's token (a newer token, or a
   * failed read, and the request reads on its own). As fresh as a read of its own, which might
   * have gone to the same replica at the same moment.
   */
  private async join(reading: Promise<CachedRead | undefined>, options: RouteOptions): Promise<CacheHit | undefined> {
    const read = await reading;
    if (!read || read.position.timeline !== this.cluster.newestTimeline) return undefined;
    if (options.token && !reaches(read.position, options.token)) return undefined;
    this.cache.counts.joined += 1;
    return { ...read, ageSeconds: Math.max(0, Date.now() - read.filledAt) / 1000, joined: true };
  }

  /** After a miss of `lookup`: the entry another instance shared, if this one can prove it fresh for this request. */
  private async lookupShared(key: string, request: CacheableRequest, options: RouteOptions): Promise<CacheHit | undefined> {
    const namespace = this.namespace();
    const maxAge = request.policy?.maxAge;
    // While the change feed restarts, nothing can be proven fresh here: Redis is not asked.
    if (!this.shared || options.primary || !namespace || maxAge === undefined || this.cache.invalidation === 'resyncing') return undefined;
    const entry = await this.shared.lookup(namespace, key, (entry) =>
      judgeShared(entry, this.cache, { newestTimeline: this.cluster.newestTimeline, maxAge, token: options.token, now: Date.now() }),
    );
    if (!entry || !isDataObject(entry.data)) return undefined;
    const { expiresAt, ...shared } = entry;
    // Whether the filling instance's feed could revalidate it is not shared: here it lives out its age.
    const read: CachedRead = { ...shared, followed: false, cost: {} };
    this.cache.store(key, read, maxAge, expiresAt);
    // Another instance's clock set filledAt: an age below zero is that clock running ahead.
    return { ...read, ageSeconds: Math.max(0, Date.now() - entry.filledAt) / 1000, shared: true };
  }

  /** Evicts what a committed change touched, here and in Redis. */
  applyCommit(change: CommittedChange): void {
    this.cache.applyCommit(change);
    const namespace = this.namespace();
    if (namespace) void this.shared?.evict(namespace, change);
  }

  /**
   * Keeps an answer read on `route`, started at `startedAt`: its data as the full path sends it,
   * where it was read, and the rows it read. Returns the read as an entry would hold it (for
   * requests that joined it), kept or not; undefined for a read no entry may hold.
   */
  fill(
    key: string,
    request: CacheableRequest,
    route: Route,
    data: Record<string, unknown>,
    dataText: string,
    startedAt: number,
  ): CachedRead | undefined {
    const node = route.servedBy;
    const position = route.readPosition;
    // Only from replicas: a replica's replayed commits are visible once replayed, but on the
    // primary a commit is in the WAL before other sessions see it (while a synchronous standby
    // confirms it), so its position does not prove what a read there saw. Nor from a pooled
    // endpoint: its position is whichever server a probe reached, not the one that answered.
    if (!node || node.role !== 'replica' || node.pooled || !position || !request.policy) return undefined;
    const lagSeconds = this.cluster.lagOf(node).lagSeconds;
    const tagged = responseTags(this.schema, request.operation, request.fragments, request.variables, data);
    if (lagSeconds === null || !tagged) return undefined;
    const kept = {
      data: dataText,
      etag: etagOf(dataText),
      node: node.name,
      position,
      filledAt: startedAt,
      lagSeconds,
      tags: [...tagged.tags],
    };
    const entry = { ...kept, followed: tagged.followed, cost: {} };
    if (!this.cache.store(key, entry, request.policy.maxAge)) return entry;
    const namespace = this.namespace();
    if (namespace) void this.shared?.put(namespace, key, { ...kept, expiresAt: this.cache.expiryOf(kept, request.policy.maxAge) });
    return entry;
  }

  /**
   * Whose entries this instance may share: those of the same PostgreSQL cluster (positions of
   * another one mean nothing here) and the same schema. Undefined until a node has answered.
   */
  private namespace(): string | undefined {
    const cluster = this.cluster.systemIdentifier;
    if (!this.shared || cluster === undefined) return undefined;
    this.schemaDigest ??= createHash('sha256').update(printSchema(this.schema)).digest('hex');
    return `${cluster}\n${this.schemaDigest}`;
  }
}

/**
 * An entry from Redis is judged by this instance's own knowledge, as its own entries are:
 * the newest timeline, the request's token, the entry's age by this instance's bounds, and
 * whether `cache` would keep it as a fill, by what this instance's change feed heard. Only
 * what proves the entry stale here deletes it (an older timeline, a change heard since): an
 * entry this instance cannot prove fresh, for instance while its feed restarts, may be fresh
 * for the others, whose feeds evict it when it is not. For the same reason a resync here does
 * not empty Redis: the others' entries stay theirs to judge.
 */
export function judgeShared(
  entry: SharedEntry,
  cache: ResponseCache,
  { newestTimeline, maxAge, token, now }: { newestTimeline: number; maxAge: number; token?: ConsistencyToken; now: number },
): SharedVerdict {
  if (entry.position.timeline < newestTimeline) return 'stale';
  if (entry.position.timeline > newestTimeline) return 'pass';
  if (now >= Math.min(entry.expiresAt, cache.expiryOf(entry, maxAge))) return 'pass';
  if (token && !reaches(entry.position, token)) return 'pass';
  const freshness = cache.freshnessOf(entry);
  switch (freshness) {
    case 'proven':
      return 'use';
    case 'stale':
      return 'stale';
    case 'unproven':
      return 'pass';
    default:
      return freshness satisfies never;
  }
}

/** Whether answers under `policy` may be kept: only what anyone may read (PUBLIC), for a while. */
export function mayBeCached(policy: CachePolicy | undefined): boolean {
  return policy !== undefined && policy.scope === 'PUBLIC' && policy.maxAge > 0;
}

/** `extensions.routing` of an answer from the cache: a read from `node`, frozen at its position. */
export function cacheRoutingExtensions(hit: CacheHit): Record<string, unknown> {
  const ageSeconds = Math.round(hit.ageSeconds * 1000) / 1000;
  const routing: Record<string, unknown> = {
    role: 'cache',
    node: hit.node,
    timeline: hit.position.timeline,
    position: formattedPosition(hit.position),
    ageSeconds,
    lagSeconds: Math.round((hit.lagSeconds + ageSeconds) * 1000) / 1000,
  };
  if (hit.revalidated) routing.revalidated = true;
  if (hit.shared) routing.shared = true;
  if (hit.joined) routing.joined = true;
  return { routing };
}

/** Every copy of an entry shares its position: formatted once, not on every hit. */
const formattedPositions = new WeakMap<Position, string>();

function formattedPosition(position: Position): string {
  let text = formattedPositions.get(position);
  if (text === undefined) formattedPositions.set(position, (text = formatLsn(position.lsn)));
  return text;
}

/** Whether the data of a shared entry is a JSON object (otherwise a miss, never a failed request). */
function isDataObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value);
  } catch {
    return false;
  }
}

/** A request's variables in the cache's keys: equal variables give equal keys. */
export function variablesKeyOf(variables: Record<string, unknown>): string {
  return canonicalJson(variables);
}

/** Scope sets are never changed once made, and a caller's is one set for all its requests: each is spelt out once. */
const scopesKeys = new WeakMap<ReadonlySet<string>, string>();

/** A caller's scopes in the cache's keys. */
export function scopesKeyOf(scopes: ReadonlySet<string>): string {
  let key = scopesKeys.get(scopes);
  if (key === undefined) scopesKeys.set(scopes, (key = [...scopes].sort().join(' ')));
  return key;
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
