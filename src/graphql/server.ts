import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { ChangeFeed, type ConnectionManager } from '../cluster/index.js';
import { ApiKeyStore, MAX_PAGE_SIZE } from '../db/index.js';
import { ForbiddenError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { createAdminHandler } from './admin.js';
import { applyFieldAuthorization } from './auth/field-authorization.js';
import { AuthFailureLimiter, DEFAULT_FAILURES_PER_MINUTE } from './auth/failure-limiter.js';
import { Authenticator, KeyCache, RevocationListener, type AuthConfig } from './auth/index.js';
import { ClientAddresses, type AddressRange } from './client-address.js';
import { CachePolicies } from './cache-policy.js';
import { CorsPolicy } from './cors.js';
import type { GraphQLContext } from './context.js';
import { formatError, requestError } from './errors.js';
import { shopGraphExecutor } from './executor.js';
import { createHttpHandler } from './http.js';
import { FastLane } from './fast-lane.js';
import { CostAccounting, type RequestLimits } from './limits/accounting.js';
import { RateLimiter } from './limits/rate-limiter.js';
import { RedisBuckets } from './limits/redis-buckets.js';
import type { BackupHealth } from '../db/backup/index.js';
import { Metrics } from './metrics.js';
import { OperationRegistry, persistedQueryCache } from './operations.js';
import { observabilityPlugin } from './plugins/observability.js';
import { errorReportingPlugin } from './plugins/error-reporting.js';
import { httpCachingPlugin } from './plugins/http-caching.js';
import { limitsPlugin } from './plugins/limits.js';
import { routingPlugin } from './plugins/routing.js';
import { ReadTemplates } from './read-templates.js';
import { ByteBoundedCache, documentBytes, textBytes } from './byte-cache.js';
import { resolvers } from './resolvers/index.js';
import { CachedReads, changeTags, ResponseCache, SharedResponses } from './response-cache/index.js';
import { knownOperationTypesRule } from './validation.js';
import { loadSchemaSource, printSchemaForTools } from './schema-source.js';

export interface GraphQLServerOptions {
  cluster: ConnectionManager;
  /** Port to listen on; 0 picks a free one (tests). */
  port: number;
  /** Interface to bind, for example 127.0.0.1. */
  host: string;
  logger?: Logger;
  /** Who may do what: anonymous scopes, JWT settings. Default: anonymous callers read the catalogue. */
  auth?: AuthConfig;
  /** Static request limits; see DEFAULT_LIMITS. */
  limits?: Partial<ServerLimits>;
  /** Time one request may take, in ms, before its SQL is cancelled (default 10 s). */
  requestTimeoutMs?: number;
  /** Largest request body, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Whether the schema can be introspected (default true: schema tools are users). */
  introspection?: boolean;
  /** PEM certificate and key files: serve HTTPS instead of HTTP. */
  tls?: { certFile: string; keyFile: string };
  /** A manifest of registered operations (see OperationRegistry). */
  operationsFile?: string;
  /** Refuse every operation that is not in the manifest. */
  registeredOperationsOnly?: boolean;
  /** Run covered queries as one compiled SQL statement (default true); false: resolvers only. */
  compiledReads?: boolean;
  /** The state of scheduled backups, shown in /metrics and /readyz. */
  backups?: () => BackupHealth | undefined;
  /** On stop, how long in-flight requests may take to finish before their connections are cut (default 10 s). */
  shutdownGraceMs?: number;
  /** Web origins whose pages may call, and `*` for any other, anonymously (see CorsPolicy). Default: none. */
  corsOrigins?: string[];
  /** Proxies whose X-Forwarded-For names the client (see ClientAddresses). Default: none. */
  trustedProxies?: AddressRange[];
  /** A second listener for /metrics and the full /readyz (port 0 picks a free one). Default: none. */
  admin?: { port: number; host: string };
  /**
   * Hear key revocations on the primary (LISTEN/NOTIFY), so a revoked key stops working here
   * within a second (default true); false: within the key cache's 10 s.
   */
  listenForRevocations?: boolean;
  /**
   * Keep the rate-limit buckets, and with `responseCacheBytes` the cached responses, in this
   * Redis, shared with every other instance; unset: in this process.
   */
  redisUrl?: string;
  /** Longest query text accepted, in bytes (default 64 KiB); longer ones are refused before parsing. */
  maxQueryBytes?: number;
  /** What the caches of queries, statements and cost plans may hold together, in bytes (default 64 MiB). */
  queryCacheBytes?: number;
  /**
   * Keep the answers of cacheable reads in process, up to this many bytes, evicted by the
   * primary's committed changes (see ResponseCache). Default: none. With `redisUrl`, shared by
   * every instance too (see CachedReads).
   */
  responseCacheBytes?: number;
}

/**
 * How the query cache bytes are shared. Parsed documents are the largest entries (about 320
 * bytes per token); compiled statements and persisted query texts come next. `prepared`
 * bounds the texts run as named prepared statements, which each connection keeps.
 */
const CACHE_SHARES = {
  documents: 0.3,
  templates: 0.2,
  fastLane: 0.1,
  fastLaneRequests: 0.1,
  persistedQueries: 0.15,
  cost: 0.1,
  prepared: 0.05,
};

export interface ServerLimits extends RequestLimits {
  /** Most lexical tokens a document may have (checked while parsing). */
  maxTokens: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxCost: 5000,
  maxDepth: 12,
  maxAliases: 30,
  maxDirectives: 50,
  maxPageSize: MAX_PAGE_SIZE,
  maxTokens: 5000,
};

const DEFAULT_AUTH: AuthConfig = { anonymousScopes: ['catalog:read'], anonymousRatePerSecond: 50 };

export interface RunningServer {
  /** The GraphQL endpoint, for example http://127.0.0.1:4000/graphql. */
  url: string;
  port: number;
  /** The admin listener, for example http://127.0.0.1:9464, when there is one. */
  adminUrl?: string;
  /** Stops accepting, lets in-flight requests finish, and stops Apollo. */
  stop(): Promise<void>;
  /** The node on which it hears key revocations now, if it does. */
  listeningForRevocationsOn(): string | undefined;
}

/** Starts the GraphQL API over HTTP (or HTTPS) on the given cluster. */
export async function startGraphQLServer(options: GraphQLServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? silentLogger;
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const registry = options.operationsFile ? OperationRegistry.fromFile(options.operationsFile) : undefined;
  const backups = options.backups ?? (() => undefined);
  const metrics = new Metrics(options.cluster, backups);
  const httpServer = options.tls
    ? https.createServer({ cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) })
    : http.createServer();
  const schema = applyFieldAuthorization(makeExecutableSchema({ typeDefs: loadSchemaSource(), resolvers }));
  const buckets = options.redisUrl ? new RedisBuckets(options.redisUrl, { logger }) : new RateLimiter();
  if (buckets instanceof RedisBuckets && !(await buckets.ready()))
    logger.warn('rate limits: Redis does not answer yet; each instance enforces its own buckets until it does');
  const cacheBytes = (share: keyof typeof CACHE_SHARES) => Math.floor((options.queryCacheBytes ?? 64 * 1024 * 1024) * CACHE_SHARES[share]);
  const accounting = new CostAccounting(limits, buckets, cacheBytes('cost'));
  const templates =
    options.compiledReads === false
      ? undefined
      : new ReadTemplates(schema, { templateBytes: cacheBytes('templates'), preparedBytes: cacheBytes('prepared') });
  const auth = options.auth ?? DEFAULT_AUTH;
  const policies = new CachePolicies(schema, auth.anonymousScopes);
  const responses = options.responseCacheBytes
    ? startResponseCache(schema, options.cluster, options.responseCacheBytes, logger, options.redisUrl)
    : undefined;
  if (responses) metrics.watchResponseCache(responses.cachedReads.cache, responses.feed, responses.cachedReads.shared);
  const fastLane =
    templates &&
    new FastLane(
      schema,
      templates,
      accounting,
      options.cluster,
      metrics,
      policies,
      { operationBytes: cacheBytes('fastLane'), requestBytes: cacheBytes('fastLaneRequests') },
      responses?.cachedReads,
    );
  const documents = new ByteBoundedCache<string, DocumentNode>(
    'documents',
    cacheBytes('documents'),
    (key, document) => textBytes(key) + documentBytes(document),
  );
  const persistedQueries = persistedQueryCache(registry, !options.registeredOperationsOnly, cacheBytes('persistedQueries'));
  metrics.watchCaches([
    documents,
    persistedQueries.learned,
    accounting.shapes,
    ...(templates ? [templates.cache, templates.prepared] : []),
    ...(fastLane ? [fastLane.operations, fastLane.requests] : []),
  ]);
  const apollo = new ApolloServer<GraphQLContext>({
    gateway: shopGraphExecutor(schema, {
      templates,
      cachedReads: responses?.cachedReads,
      onCompiledRead: (request, document, operation) => fastLane?.learn(request, document, operation),
    }),
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: options.introspection ?? true,
    // The process owner (the CLI) handles signals, so shutdown happens in one order.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [knownOperationTypesRule],
    // Apollo's own store sizes a document without its source text, which holds comments and all.
    documentStore: {
      get: async (key) => documents.get(key),
      set: async (key, document) => documents.set(key, document),
      delete: async (key) => documents.delete(key),
    },
    persistedQueries: { cache: persistedQueries },
    plugins: [
      ...(options.registeredOperationsOnly && registry ? [registeredOperationsOnlyPlugin(registry)] : []),
      limitsPlugin(accounting),
      routingPlugin(options.cluster, logger),
      httpCachingPlugin(schema, policies),
      ApolloServerPluginCacheControlDisabled(),
      errorReportingPlugin(logger),
      observabilityPlugin(metrics),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: options.shutdownGraceMs ?? 10_000 }),
    ],
  });
  await apollo.start();
  // A key created a moment ago may not have reached the replica that answers, and "no such
  // key" is cached: one a replica does not know is looked for on the primary before that.
  const keys = new KeyCache(
    async (id) =>
      (await new ApiKeyStore(options.cluster.route('read')).byId(id)) ??
      (await new ApiKeyStore(options.cluster.route('read', { primary: true })).byId(id)),
  );
  const handler = createHttpHandler(apollo, options.cluster, {
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxQueryBytes: options.maxQueryBytes ?? 64 * 1024,
    authenticator: new Authenticator(auth, keys.lookup, new AuthFailureLimiter(auth.failuresPerMinute ?? DEFAULT_FAILURES_PER_MINUTE)),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    fastLane,
    metrics,
    backups,
    logger,
    clients: new ClientAddresses(options.trustedProxies),
    cors: new CorsPolicy(options.corsOrigins ?? []),
    // Schema tools are users, as for introspection; off together with it.
    schemaForTools: options.introspection === false ? undefined : printSchemaForTools(),
  });
  serve(httpServer, handler, logger);
  const adminServer = options.admin && http.createServer();
  try {
    await listen(httpServer, options.port, options.host);
    if (adminServer && options.admin) {
      serve(adminServer, createAdminHandler({ cluster: options.cluster, metrics, backups }), logger);
      await listen(adminServer, options.admin.port, options.admin.host);
    }
  } catch (error) {
    await apollo.stop();
    throw error;
  }
  const { port } = httpServer.address() as AddressInfo;
  const revocations = options.listenForRevocations === false ? undefined : new RevocationListener(options.cluster, keys, { logger });
  revocations?.start();
  return {
    url: `${options.tls ? 'https' : 'http'}://${displayHost(options.host)}:${port}/graphql`,
    port,
    adminUrl: adminServer && options.admin && `http://${displayHost(options.admin.host)}:${(adminServer.address() as AddressInfo).port}`,
    stop: async () => {
      await apollo.stop();
      await revocations?.stop();
      await responses?.feed.stop();
      await responses?.cachedReads.shared?.close();
      if (buckets instanceof RedisBuckets) await buckets.close();
      if (!adminServer?.listening) return;
      const closed = new Promise((resolve) => adminServer.close(resolve));
      // A scraper's idle keep-alive connection would hold the listener open.
      adminServer.closeAllConnections();
      await closed;
    },
    listeningForRevocationsOn: () => revocations?.listeningOn,
  };
}

/**
 * The response cache and the change feed that evicts from it: every committed change is told
 * to the cache as the rows it touched; whenever the feed (re)starts or stops hearing, the
 * cache empties, since what it holds can no longer be proven fresh. With Redis, the cache's
 * second level is shared by every instance, and each instance's feed evicts from it too.
 */
function startResponseCache(schema: GraphQLSchema, cluster: ConnectionManager, maxBytes: number, logger: Logger, redisUrl?: string) {
  const cache = new ResponseCache({ maxBytes, maxLagSeconds: cluster.maxReplicaLagSeconds, heardUpTo: () => feed.heardUpTo });
  const cachedReads = new CachedReads(schema, cache, cluster, redisUrl ? new SharedResponses(redisUrl, { logger }) : undefined);
  const feed = new ChangeFeed(cluster, {
    logger,
    onCommit: (transaction) => {
      cachedReads.applyCommit({ ...transaction, tags: changeTags(transaction.rows) });
      // A fill of what the change touched is refused until a probe sees its replica past the
      // change (each read's position is its replica's as last probed): probing the replicas
      // again at once keeps that window (and the misses in it) to about a probe's round trip.
      cluster.probeReplicasAgain();
    },
    onResync: (position, state) =>
      cache.resync(position, state === 'following' ? 'wal' : state === 'unavailable' ? 'ages-only' : 'resyncing'),
  });
  feed.start();
  return { cachedReads, feed };
}

function serve(server: http.Server, handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>, logger: Logger): void {
  server.on('request', (req, res) => {
    handler(req, res).catch((error: unknown) => {
      logger.error('http handler failed', { error: error instanceof Error ? error.name : typeof error });
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

function displayHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? 'localhost' : host;
}

/** With only registered operations allowed, anything else is refused before it runs. */
function registeredOperationsOnlyPlugin(registry: OperationRegistry): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ queryHash }) {
          if (!registry.has(queryHash)) {
            throw requestError(new ForbiddenError('This server runs registered operations only; ask its operator to register this one.'));
          }
        },
      };
    },
  };
}
