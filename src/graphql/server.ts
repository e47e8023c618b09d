import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { DocumentNode } from 'graphql';
import type { ConnectionManager } from '../cluster/index.js';
import { ApiKeyStore, MAX_PAGE_SIZE } from '../db/index.js';
import { ForbiddenError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { applyFieldAuthorization } from './auth/field-authorization.js';
import { Authenticator, cachedKeyLookup, type AuthConfig } from './auth/index.js';
import type { GraphQLContext } from './context.js';
import { formatError, requestError } from './errors.js';
import { shopGraphExecutor } from './executor.js';
import { createHttpHandler } from './http.js';
import { FastLane } from './fast-lane.js';
import { CostAccounting, type RequestLimits } from './limits/accounting.js';
import { RateLimiter } from './limits/rate-limiter.js';
import type { BackupHealth } from '../db/backup/index.js';
import { Metrics } from './metrics.js';
import { OperationRegistry, persistedQueryCache } from './operations.js';
import { observabilityPlugin } from './plugins/observability.js';
import { errorReportingPlugin } from './plugins/error-reporting.js';
import { limitsPlugin } from './plugins/limits.js';
import { routingPlugin } from './plugins/routing.js';
import { ReadTemplates } from './read-templates.js';
import { ByteBoundedCache, documentBytes, textBytes } from './byte-cache.js';
import { resolvers } from './resolvers/index.js';
import { knownOperationTypesRule } from './validation.js';
import { loadSchemaSource } from './schema-source.js';

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
  /** Longest query text accepted, in bytes (default 64 KiB); longer ones are refused before parsing. */
  maxQueryBytes?: number;
  /** What the caches of queries, statements and cost plans may hold together, in bytes (default 64 MiB). */
  queryCacheBytes?: number;
}

/**
 * How the query cache bytes are shared. Parsed documents are the largest entries (about 320
 * bytes per token); compiled statements and persisted query texts come next. `prepared`
 * bounds the texts run as named prepared statements, which each connection keeps.
 */
const CACHE_SHARES = { documents: 0.35, templates: 0.2, fastLane: 0.15, persistedQueries: 0.15, cost: 0.1, prepared: 0.05 };

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
  /** Stops accepting, lets in-flight requests finish, and stops Apollo. */
  stop(): Promise<void>;
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
  const cacheBytes = (share: keyof typeof CACHE_SHARES) => Math.floor((options.queryCacheBytes ?? 64 * 1024 * 1024) * CACHE_SHARES[share]);
  const accounting = new CostAccounting(limits, new RateLimiter(), cacheBytes('cost'));
  const templates =
    options.compiledReads === false
      ? undefined
      : new ReadTemplates(schema, { templateBytes: cacheBytes('templates'), preparedBytes: cacheBytes('prepared') });
  const fastLane = templates && new FastLane(schema, templates, accounting, options.cluster, metrics, cacheBytes('fastLane'));
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
    ...(fastLane ? [fastLane.operations] : []),
  ]);
  const apollo = new ApolloServer<GraphQLContext>({
    gateway: shopGraphExecutor(schema, {
      templates,
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
      errorReportingPlugin(logger),
      observabilityPlugin(metrics),
      ApolloServerPluginDrainHttpServer({ httpServer, stopGracePeriodMillis: options.shutdownGraceMs ?? 10_000 }),
    ],
  });
  await apollo.start();
  const keys = cachedKeyLookup((id) => new ApiKeyStore(options.cluster.route('read')).byId(id));
  const handler = createHttpHandler(apollo, options.cluster, {
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    maxQueryBytes: options.maxQueryBytes ?? 64 * 1024,
    authenticator: new Authenticator(options.auth ?? DEFAULT_AUTH, keys),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
    fastLane,
    metrics,
    backups,
    logger,
  });
  httpServer.on('request', (req, res) => {
    handler(req, res).catch((error: unknown) => {
      logger.error('http handler failed', { error: error instanceof Error ? error.name : typeof error });
      if (!res.headersSent) res.statusCode = 500;
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => resolve());
  });
  const { port } = httpServer.address() as AddressInfo;
  const displayHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  return {
    url: `${options.tls ? 'https' : 'http'}://${displayHost}:${port}/graphql`,
    port,
    stop: () => apollo.stop(),
  };
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
