import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { ApiKeyStore, MAX_PAGE_SIZE } from '../db/index.js';
import { RateLimiter } from './limits/rate-limiter.js';
import { limitsPlugin, type RequestLimits } from './plugins/limits.js';
import { applyFieldAuthorization } from './auth/field-authorization.js';
import { Authenticator, cachedKeyLookup, type AuthConfig } from './auth/index.js';
import type { ConnectionManager } from '../cluster/index.js';
import { silentLogger, type Logger } from '../log.js';
import type { GraphQLContext } from './context.js';
import { formatError } from './errors.js';
import { createHttpHandler } from './http.js';
import { errorReportingPlugin } from './plugins/error-reporting.js';
import { routingPlugin } from './plugins/routing.js';
import { resolvers } from './resolvers/index.js';
import { loadSchemaSource } from './schema-source.js';

export interface GraphQLServerOptions {
  cluster: ConnectionManager;
  /** Port to listen on; 0 picks a free one (tests). */
  port: number;
  /** Interface to bind, for example 127.0.0.1. */
  host: string;
  logger?: Logger;
  /** Largest request body, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Who may do what: anonymous scopes, JWT settings. Default: anonymous callers read the catalogue. */
  auth?: AuthConfig;
  /** Static request limits; see DEFAULT_LIMITS. */
  limits?: Partial<ServerLimits>;
}

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

/** Starts the GraphQL API over HTTP on the given cluster. */
export async function startGraphQLServer(options: GraphQLServerOptions): Promise<RunningServer> {
  const logger = options.logger ?? silentLogger;
  const httpServer = http.createServer();
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const schema = applyFieldAuthorization(makeExecutableSchema({ typeDefs: loadSchemaSource(), resolvers }));
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: true,
    // The process owner (the CLI) handles signals, so shutdown happens in one order.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: limits.maxTokens },
    plugins: [
      limitsPlugin(limits, new RateLimiter()),
      routingPlugin(options.cluster, logger),
      errorReportingPlugin(logger),
      ApolloServerPluginDrainHttpServer({ httpServer }),
    ],
  });
  await apollo.start();
  const keys = cachedKeyLookup((id) => new ApiKeyStore(options.cluster.route('read')).byId(id));
  const authenticator = new Authenticator(options.auth ?? DEFAULT_AUTH, keys);
  const handler = createHttpHandler(apollo, options.cluster, { maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024, authenticator });
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
    url: `http://${displayHost}:${port}/graphql`,
    port,
    stop: () => apollo.stop(),
  };
}
