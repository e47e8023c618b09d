import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_FAILURES_PER_MINUTE } from './graphql/auth/failure-limiter.js';
import { parseScopes, SCOPES, type Scope } from './graphql/auth/scopes.js';
import { parseAddressRange, type AddressRange } from './graphql/client-address.js';

/**
 * The one place configuration is read. Everything comes from the environment, is validated
 * here at start-up, and a bad value stops start-up with one line that names the variable,
 * the value and the fix.
 */
export interface Config {
  /** HTTP port of the GraphQL server. `PORT`, default 4000. */
  port: number;
  /** Interface the server binds to. `HOST`, default 127.0.0.1 (set 0.0.0.0 to serve a network). */
  host: string;
  /**
   * Every node of the PostgreSQL cluster, from `DATABASE_URLS`. Empty means: run the embedded
   * local cluster. Roles are discovered, never taken from the order. A node is named by the
   * URL's `#fragment` (`postgres://...#east-1`), else `node1`, `node2`, ... by position; the
   * name, never the host, is what logs and status show.
   */
  databaseNodes: { name: string; url: string }[];
  /**
   * libpq settings that choose a node by themselves (`target_session_attrs`,
   * `load_balance_hosts`, in `DATABASE_URLS` or as `PGTARGETSESSIONATTRS`): ShopGraph
   * ignores them, because it chooses the node for every statement, and says so once at
   * start-up. Each entry names the setting and its value, never a URL.
   */
  ignoredDatabaseSettings: string[];
  /** Connections per node in the statement pool. `DATABASE_POOL_SIZE`, default 10. */
  poolSize: number;
  routing: RoutingConfig;
  auth: AuthSettings;
  server: ServerSettings;
  queries: QuerySettings;
  backup: BackupSettings;
  edge: EdgeSettings;
  /** OpenTelemetry traces; undefined: none are recorded. */
  tracing?: TracingSettings;
  /** `LOG_LEVEL`: debug, info (default), warn or error. */
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** `SHOPGRAPH_SHUTDOWN_GRACE_MS`, default 10000: time in-flight requests get to finish on SIGTERM. */
  shutdownGraceMs: number;
  /** `SHOPGRAPH_STARTUP_WAIT_MS`, default 60000: how long start-up waits for a reachable primary. */
  startupWaitMs: number;
  embedded: EmbeddedConfig;
  instances: InstancesSettings;
}

/** Running several instances on one cluster (README: Running several instances). */
export interface InstancesSettings {
  /**
   * `SHOPGRAPH_REDIS_URL` (redis:// or rediss://): keep the rate-limit buckets in Redis, shared
   * by every instance, so a caller's rate holds across them, and share the response cache's
   * entries through it too (when that cache is on). Unset: each instance keeps its own.
   */
  redisUrl?: string;
}

/** Where backups go and when the server takes them (see src/db/backup). */
export interface BackupSettings {
  /** `SHOPGRAPH_BACKUP_TARGET`: local, s3 or hybrid (both); default s3 when a bucket is set, else local. */
  target: 'local' | 's3' | 'hybrid';
  /** `SHOPGRAPH_BACKUP_DIR`, default `<SHOPGRAPH_DATA_DIR>/backups`. */
  dir: string;
  /** `SHOPGRAPH_BACKUP_S3_BUCKET` (+ `_PREFIX`, default shopgraph/; `_REGION`, default us-east-1; `_ENDPOINT` for S3-compatible services). */
  s3?: { bucket: string; prefix: string; region: string; endpoint?: string; forcePathStyle: boolean };
  /** `SHOPGRAPH_BACKUP_INTERVAL_MINUTES`: the running server takes a backup this often; unset: never. */
  intervalMinutes?: number;
  /** `SHOPGRAPH_BACKUP_KEEP`, default 7: the newest backups pruning always keeps. */
  keep: number;
  /** `SHOPGRAPH_BACKUP_MAX_AGE_DAYS`: pruning deletes older ones beyond those kept; unset: all beyond them. */
  maxAgeDays?: number;
}

/** The HTTP server and the limits it puts on requests (see src/graphql). */
export interface ServerSettings {
  /** `SHOPGRAPH_REQUEST_TIMEOUT_MS`, default 10000: a request's SQL is cancelled after this. */
  requestTimeoutMs: number;
  /** `SHOPGRAPH_MAX_BODY_BYTES`, default 1 MiB. */
  maxBodyBytes: number;
  /** `SHOPGRAPH_INTROSPECTION`, default true (schema tools are users). */
  introspection: boolean;
  /** `SHOPGRAPH_TLS_CERT_FILE` and `SHOPGRAPH_TLS_KEY_FILE` (PEM): serve HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** `SHOPGRAPH_OPERATIONS_FILE`: registered operations (Apollo persisted query manifest). */
  operationsFile?: string;
  /** `SHOPGRAPH_REGISTERED_OPERATIONS_ONLY`, default false: refuse any other operation. */
  registeredOperationsOnly: boolean;
  limits: {
    /** `SHOPGRAPH_MAX_QUERY_COST`, default 5000 points. */
    maxCost: number;
    /** `SHOPGRAPH_MAX_DEPTH`, default 12. */
    maxDepth: number;
    /** `SHOPGRAPH_MAX_ALIASES`, default 30. */
    maxAliases: number;
    /** `SHOPGRAPH_MAX_DIRECTIVES`, default 50. */
    maxDirectives: number;
    /** `SHOPGRAPH_MAX_TOKENS`, default 5000. */
    maxTokens: number;
  };
}

/** Query texts, and what the server keeps of them: parsed documents, statements, cost plans, persisted queries. */
export interface QuerySettings {
  /** `SHOPGRAPH_MAX_QUERY_BYTES`, default 65536: the longest query text accepted. */
  maxQueryBytes: number;
  /** `SHOPGRAPH_QUERY_CACHE_BYTES`, default 64 MiB: what those caches may hold together. */
  cacheBytes: number;
  /**
   * `SHOPGRAPH_RESPONSE_CACHE_BYTES`, default 32 MiB: what the server's cache of public read
   * responses may hold (evicted by the primary's committed changes); 0 turns it off.
   */
  responseCacheBytes: number;
}

/** Who may call, and how much (see src/graphql/auth). */
export interface AuthSettings {
  /** Scopes of callers without credentials. `SHOPGRAPH_ANONYMOUS_SCOPES`, default catalog:read; `none` for none. */
  anonymousScopes: Scope[];
  /** Cost points per second restored to each anonymous client address. `SHOPGRAPH_ANONYMOUS_RATE`, default 50. */
  anonymousRatePerSecond: number;
  /**
   * Failed authentications one client address may make per minute before its requests with
   * credentials get 429 without being looked up. `SHOPGRAPH_AUTH_FAILURES_PER_MINUTE`, default 30.
   */
  failuresPerMinute: number;
  /** JSON Web Tokens from the partner's identity provider; undefined: API keys only. */
  jwt?: {
    /** `SHOPGRAPH_JWT_SECRET` (HS256, at least 32 characters) or */
    secret?: string;
    /** `SHOPGRAPH_JWKS_URL` (the provider's key set). */
    jwksUrl?: string;
    /** `SHOPGRAPH_JWT_ISSUER`, `SHOPGRAPH_JWT_AUDIENCE`: required claims when set. */
    issuer?: string;
    audience?: string;
    /** `SHOPGRAPH_JWT_RATE`, default 100 cost points per second per token subject. */
    ratePerSecond: number;
    /** `SHOPGRAPH_JWT_ALLOW_NO_EXP`, default false: tokens without an `exp` claim are refused. */
    allowNoExpiry: boolean;
  };
}

/** How the server meets browsers, proxies in front of it, and operators (see src/graphql/http.ts). */
export interface EdgeSettings {
  /**
   * `SHOPGRAPH_CORS_ORIGINS`: web origins whose pages may call the API (exact
   * `scheme://host[:port]`, comma separated), and `*` for any other origin, anonymously (its
   * pages may not send an Authorization header). Default: none, so only same-origin pages.
   */
  corsOrigins: string[];
  /** `SHOPGRAPH_TRUSTED_PROXIES`: addresses and CIDR ranges whose X-Forwarded-For names the client. Default: none. */
  trustedProxies: AddressRange[];
  /**
   * `SHOPGRAPH_ADMIN_PORT` (and `SHOPGRAPH_ADMIN_HOST`, default 127.0.0.1): a second listener for
   * /metrics and the full /readyz, which the API's port shows only to admin credentials. Unset: none.
   */
  admin?: { port: number; host: string };
}

/** OpenTelemetry traces, exported over OTLP (see src/tracing). */
export interface TracingSettings {
  /** `OTEL_SERVICE_NAME`, default shopgraph. */
  serviceName: string;
}

/** How the connection manager probes nodes and picks them (see src/cluster/manager.ts). */
export interface RoutingConfig {
  /** `SHOPGRAPH_PROBE_INTERVAL_MS`, default 500. */
  probeIntervalMs: number;
  /** `SHOPGRAPH_PROBE_TIMEOUT_MS`, default 1000. */
  probeTimeoutMs: number;
  /** `SHOPGRAPH_CONNECT_TIMEOUT_MS`, default 2000. */
  connectTimeoutMs: number;
  /** `SHOPGRAPH_MAX_REPLICA_LAG_BYTES`, default 16 MiB. */
  maxReplicaLagBytes: number;
  /** `SHOPGRAPH_MAX_REPLICA_LAG_SECONDS`, default 10. */
  maxReplicaLagSeconds: number;
  /** `SHOPGRAPH_FALLBACK_TO_PRIMARY`, default true. */
  fallbackToPrimary: boolean;
  /** `SHOPGRAPH_READ_TIMEOUT_MS`, default 5000. */
  statementTimeoutMs: number;
  /** `SHOPGRAPH_TOKEN_WAIT_MS`, default 500. */
  tokenWaitMs: number;
  /** `SHOPGRAPH_MODE_HOLD_MS`, default 2000: how long a new cluster mode holds before it is reported. */
  modeHoldMs: number;
  /**
   * `SHOPGRAPH_TIMELINE_FILE`: where the newest timeline seen is kept, so that after a restart
   * an old primary stays fenced while the newer one is unreachable. Default with the embedded
   * cluster: `<SHOPGRAPH_DATA_DIR>/newest-timeline.json`; with DATABASE_URLS: none (a fresh
   * start knows only what the answering nodes say).
   */
  timelineFile: string | undefined;
  /**
   * `SHOPGRAPH_REQUIRE_SYNCHRONOUS_STANDBY`: take writes only while a standby confirms the
   * primary's commits, so an acknowledged write is on two nodes. Default: true with the
   * embedded cluster (it keeps one configured), false with DATABASE_URLS (managed services
   * keep their own copies; the durability is reported either way).
   */
  requireSynchronousStandby: boolean;
}

export interface EmbeddedConfig {
  /** Where the embedded cluster keeps its data. `SHOPGRAPH_DATA_DIR`, default `.shopgraph/` in the project. */
  dataDir: string;
  /** First of the consecutive loopback ports of the nodes. `SHOPGRAPH_EMBEDDED_PORT`, default 54320. */
  basePort: number;
  /** Number of streaming replicas. `SHOPGRAPH_EMBEDDED_REPLICAS`, default 2. */
  replicas: number;
  /** Demo data size for the first start; 1 is 10,000 products. `SHOPGRAPH_SEED_SCALE`, default 1. */
  seedScale: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** The project root: two levels above this file, in `src/` as in `dist/`. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const database = readDatabaseNodes(env);
  return {
    port: readInteger(env, 'PORT', 4000, { min: 0, max: 65535 }),
    host: readString(env, 'HOST', '127.0.0.1'),
    databaseNodes: database.nodes,
    ignoredDatabaseSettings: database.ignored,
    poolSize: readInteger(env, 'DATABASE_POOL_SIZE', 10, { min: 1, max: 1000 }),
    routing: {
      probeIntervalMs: readInteger(env, 'SHOPGRAPH_PROBE_INTERVAL_MS', 500, { min: 50, max: 60_000 }),
      probeTimeoutMs: readInteger(env, 'SHOPGRAPH_PROBE_TIMEOUT_MS', 1000, { min: 50, max: 60_000 }),
      connectTimeoutMs: readInteger(env, 'SHOPGRAPH_CONNECT_TIMEOUT_MS', 2000, { min: 100, max: 60_000 }),
      maxReplicaLagBytes: readInteger(env, 'SHOPGRAPH_MAX_REPLICA_LAG_BYTES', 16 * 1024 * 1024, { min: 0, max: 2 ** 40 }),
      maxReplicaLagSeconds: readNumber(env, 'SHOPGRAPH_MAX_REPLICA_LAG_SECONDS', 10, { min: 0, max: 86_400 }),
      fallbackToPrimary: readBoolean(env, 'SHOPGRAPH_FALLBACK_TO_PRIMARY', true),
      statementTimeoutMs: readInteger(env, 'SHOPGRAPH_READ_TIMEOUT_MS', 5000, { min: 100, max: 600_000 }),
      tokenWaitMs: readInteger(env, 'SHOPGRAPH_TOKEN_WAIT_MS', 500, { min: 0, max: 60_000 }),
      modeHoldMs: readInteger(env, 'SHOPGRAPH_MODE_HOLD_MS', 2000, { min: 0, max: 60_000 }),
      timelineFile: readTimelineFile(env),
      requireSynchronousStandby: readRequireSynchronousStandby(env),
    },
    auth: readAuth(env),
    server: readServer(env),
    queries: readQueries(env),
    backup: readBackup(env),
    edge: readEdge(env),
    tracing: readTracing(env),
    logLevel: readChoice(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error'] as const, 'info'),
    shutdownGraceMs: readInteger(env, 'SHOPGRAPH_SHUTDOWN_GRACE_MS', 10_000, { min: 0, max: 600_000 }),
    startupWaitMs: readInteger(env, 'SHOPGRAPH_STARTUP_WAIT_MS', 60_000, { min: 0, max: 3_600_000 }),
    embedded: loadEmbeddedConfig(env),
    instances: readInstances(env),
  };
}

function readInstances(env: Env): InstancesSettings {
  const redisUrl = env.SHOPGRAPH_REDIS_URL?.trim() || undefined;
  if (redisUrl === undefined) return {};
  // The message never repeats the URL: it may hold a password.
  let protocol: string;
  try {
    protocol = new URL(redisUrl).protocol;
  } catch {
    throw new ConfigError('SHOPGRAPH_REDIS_URL', 'is not a URL; write redis://[:password@]host:port[/db] (or rediss:// for TLS).');
  }
  if (protocol !== 'redis:' && protocol !== 'rediss:')
    throw new ConfigError('SHOPGRAPH_REDIS_URL', 'must start with redis:// or rediss://.');
  return { redisUrl };
}

export function loadEmbeddedConfig(env: Env = process.env): EmbeddedConfig {
  const dataDir = readString(env, 'SHOPGRAPH_DATA_DIR', path.join(projectRoot, '.shopgraph'));
  return {
    dataDir: path.resolve(dataDir),
    basePort: readInteger(env, 'SHOPGRAPH_EMBEDDED_PORT', 54320, { min: 1024, max: 65000 }),
    replicas: readInteger(env, 'SHOPGRAPH_EMBEDDED_REPLICAS', 2, { min: 0, max: 8 }),
    seedScale: readNumber(env, 'SHOPGRAPH_SEED_SCALE', 1, { min: 0.001, max: 100 }),
  };
}

function readRequireSynchronousStandby(env: Env): boolean {
  const embeddedReplicas = env.DATABASE_URLS?.trim() ? undefined : loadEmbeddedConfig(env).replicas;
  const required = readBoolean(env, 'SHOPGRAPH_REQUIRE_SYNCHRONOUS_STANDBY', embeddedReplicas !== undefined && embeddedReplicas > 0);
  if (required && embeddedReplicas === 0) {
    throw new ConfigError(
      'SHOPGRAPH_REQUIRE_SYNCHRONOUS_STANDBY',
      'is true but SHOPGRAPH_EMBEDDED_REPLICAS is 0, so no write could ever be confirmed; add a replica or set it to false.',
    );
  }
  return required;
}

function readTimelineFile(env: Env): string | undefined {
  const raw = env.SHOPGRAPH_TIMELINE_FILE?.trim();
  if (raw) return path.resolve(raw);
  if (env.DATABASE_URLS?.trim()) return undefined;
  return path.join(loadEmbeddedConfig(env).dataDir, 'newest-timeline.json');
}

function readString(env: Env, name: string, fallback: string): string {
  const raw = env[name]?.trim();
  return raw ? raw : fallback;
}

function readBackup(env: Env): BackupSettings {
  const bucket = env.SHOPGRAPH_BACKUP_S3_BUCKET?.trim() || undefined;
  const endpoint = env.SHOPGRAPH_BACKUP_S3_ENDPOINT?.trim() || undefined;
  const target = readChoice(env, 'SHOPGRAPH_BACKUP_TARGET', ['local', 's3', 'hybrid'] as const, bucket ? 's3' : 'local');
  if (target !== 'local' && !bucket)
    throw new ConfigError('SHOPGRAPH_BACKUP_TARGET', `is ${target} but SHOPGRAPH_BACKUP_S3_BUCKET names no bucket.`);
  const interval = env.SHOPGRAPH_BACKUP_INTERVAL_MINUTES?.trim();
  const maxAge = env.SHOPGRAPH_BACKUP_MAX_AGE_DAYS?.trim();
  return {
    target,
    dir: path.resolve(readString(env, 'SHOPGRAPH_BACKUP_DIR', path.join(loadEmbeddedConfig(env).dataDir, 'backups'))),
    s3: bucket
      ? {
          bucket,
          prefix: readString(env, 'SHOPGRAPH_BACKUP_S3_PREFIX', 'shopgraph/'),
          region: readString(env, 'SHOPGRAPH_BACKUP_S3_REGION', 'us-east-1'),
          endpoint,
          forcePathStyle: readBoolean(env, 'SHOPGRAPH_BACKUP_S3_FORCE_PATH_STYLE', endpoint !== undefined),
        }
      : undefined,
    intervalMinutes: interval ? readNumber(env, 'SHOPGRAPH_BACKUP_INTERVAL_MINUTES', 0, { min: 0.05, max: 100_000 }) : undefined,
    keep: readInteger(env, 'SHOPGRAPH_BACKUP_KEEP', 7, { min: 1, max: 10_000 }),
    maxAgeDays: maxAge ? readNumber(env, 'SHOPGRAPH_BACKUP_MAX_AGE_DAYS', 0, { min: 0.01, max: 100_000 }) : undefined,
  };
}

function readChoice<const Choice extends string>(env: Env, name: string, choices: readonly Choice[], fallback: Choice): Choice {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  if (!(choices as readonly string[]).includes(raw))
    throw new ConfigError(name, `"${raw}" is not one of ${choices.join(', ')}; set one of them, or unset it for ${fallback}.`);
  return raw as Choice;
}

function readServer(env: Env): ServerSettings {
  const certFile = env.SHOPGRAPH_TLS_CERT_FILE?.trim() || undefined;
  const keyFile = env.SHOPGRAPH_TLS_KEY_FILE?.trim() || undefined;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new ConfigError(
      certFile ? 'SHOPGRAPH_TLS_KEY_FILE' : 'SHOPGRAPH_TLS_CERT_FILE',
      'is needed too: HTTPS takes a certificate and its private key (PEM files).',
    );
  }
  const operationsFile = env.SHOPGRAPH_OPERATIONS_FILE?.trim() || undefined;
  const registeredOperationsOnly = readBoolean(env, 'SHOPGRAPH_REGISTERED_OPERATIONS_ONLY', false);
  if (registeredOperationsOnly && !operationsFile) {
    throw new ConfigError(
      'SHOPGRAPH_REGISTERED_OPERATIONS_ONLY',
      'is true but SHOPGRAPH_OPERATIONS_FILE names no manifest of registered operations.',
    );
  }
  return {
    requestTimeoutMs: readInteger(env, 'SHOPGRAPH_REQUEST_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    maxBodyBytes: readInteger(env, 'SHOPGRAPH_MAX_BODY_BYTES', 1024 * 1024, { min: 1024, max: 100 * 1024 * 1024 }),
    introspection: readBoolean(env, 'SHOPGRAPH_INTROSPECTION', true),
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    operationsFile,
    registeredOperationsOnly,
    limits: {
      maxCost: readInteger(env, 'SHOPGRAPH_MAX_QUERY_COST', 5000, { min: 1, max: 10_000_000 }),
      maxDepth: readInteger(env, 'SHOPGRAPH_MAX_DEPTH', 12, { min: 2, max: 100 }),
      maxAliases: readInteger(env, 'SHOPGRAPH_MAX_ALIASES', 30, { min: 0, max: 10_000 }),
      maxDirectives: readInteger(env, 'SHOPGRAPH_MAX_DIRECTIVES', 50, { min: 0, max: 10_000 }),
      maxTokens: readInteger(env, 'SHOPGRAPH_MAX_TOKENS', 5000, { min: 100, max: 1_000_000 }),
    },
  };
}

function readQueries(env: Env): QuerySettings {
  return {
    maxQueryBytes: readInteger(env, 'SHOPGRAPH_MAX_QUERY_BYTES', 64 * 1024, { min: 1024, max: 100 * 1024 * 1024 }),
    cacheBytes: readInteger(env, 'SHOPGRAPH_QUERY_CACHE_BYTES', 64 * 1024 * 1024, { min: 1024 * 1024, max: 2 ** 40 }),
    responseCacheBytes: readResponseCacheBytes(env),
  };
}

function readResponseCacheBytes(env: Env): number {
  const bytes = readInteger(env, 'SHOPGRAPH_RESPONSE_CACHE_BYTES', 32 * 1024 * 1024, { min: 0, max: 2 ** 40 });
  if (bytes > 0 && bytes < 1024 * 1024)
    throw new ConfigError(
      'SHOPGRAPH_RESPONSE_CACHE_BYTES',
      `${bytes} bytes holds almost nothing; set 0 to turn the cache off, or at least 1048576 (1 MiB).`,
    );
  return bytes;
}

function readAuth(env: Env): AuthSettings {
  const settings: AuthSettings = {
    anonymousScopes: readScopes(env, 'SHOPGRAPH_ANONYMOUS_SCOPES', ['catalog:read']),
    anonymousRatePerSecond: readInteger(env, 'SHOPGRAPH_ANONYMOUS_RATE', 50, { min: 1, max: 1_000_000 }),
    failuresPerMinute: readInteger(env, 'SHOPGRAPH_AUTH_FAILURES_PER_MINUTE', DEFAULT_FAILURES_PER_MINUTE, { min: 1, max: 1_000_000 }),
  };
  const secret = readSecret(env, 'SHOPGRAPH_JWT_SECRET', 32);
  const jwksUrl = env.SHOPGRAPH_JWKS_URL?.trim() || undefined;
  if (secret && jwksUrl) throw new ConfigError('SHOPGRAPH_JWKS_URL', 'is set together with SHOPGRAPH_JWT_SECRET; set one of them.');
  if (jwksUrl && !/^https?:\/\//.test(jwksUrl))
    throw new ConfigError('SHOPGRAPH_JWKS_URL', 'must be an http(s) URL of a JSON Web Key Set.');
  if (secret || jwksUrl) {
    settings.jwt = {
      secret,
      jwksUrl,
      issuer: env.SHOPGRAPH_JWT_ISSUER?.trim() || undefined,
      audience: env.SHOPGRAPH_JWT_AUDIENCE?.trim() || undefined,
      ratePerSecond: readInteger(env, 'SHOPGRAPH_JWT_RATE', 100, { min: 1, max: 1_000_000 }),
      allowNoExpiry: readBoolean(env, 'SHOPGRAPH_JWT_ALLOW_NO_EXP', false),
    };
  }
  return settings;
}

function readEdge(env: Env): EdgeSettings {
  const adminPort = env.SHOPGRAPH_ADMIN_PORT?.trim();
  const admin = adminPort
    ? {
        port: readInteger(env, 'SHOPGRAPH_ADMIN_PORT', 0, { min: 0, max: 65535 }),
        host: readString(env, 'SHOPGRAPH_ADMIN_HOST', '127.0.0.1'),
      }
    : undefined;
  if (admin && admin.port !== 0 && admin.port === readInteger(env, 'PORT', 4000, { min: 0, max: 65535 })) {
    throw new ConfigError('SHOPGRAPH_ADMIN_PORT', `is ${admin.port}, the API's PORT too; give the admin listener a port of its own.`);
  }
  return {
    corsOrigins: readList(env, 'SHOPGRAPH_CORS_ORIGINS').map((origin) => {
      if (origin === '*' || (URL.canParse(origin) && new URL(origin).origin === origin)) return origin;
      throw new ConfigError(
        'SHOPGRAPH_CORS_ORIGINS',
        `"${origin}" is not a web origin; write scheme://host[:port] without a path or a trailing slash (https://shop.example), comma separated, or * for any origin without credentials.`,
      );
    }),
    trustedProxies: readList(env, 'SHOPGRAPH_TRUSTED_PROXIES').map((entry) => {
      const range = parseAddressRange(entry);
      if (range) return range;
      throw new ConfigError(
        'SHOPGRAPH_TRUSTED_PROXIES',
        `"${entry}" is not an IP address or CIDR range; list addresses like 10.0.0.7 or ranges like 10.0.0.0/8 or fd00::/8, comma separated.`,
      );
    }),
    admin,
  };
}

/**
 * Traces are exported when an OTLP endpoint is set in OpenTelemetry's own variables (the
 * exporter reads them, with `OTEL_EXPORTER_OTLP_HEADERS` and the rest); `OTEL_SDK_DISABLED=true`
 * turns them off again.
 */
function readTracing(env: Env): TracingSettings | undefined {
  if (readBoolean(env, 'OTEL_SDK_DISABLED', false)) return undefined;
  let configured = false;
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT']) {
    const raw = env[name]?.trim();
    if (!raw) continue;
    if (!/^https?:\/\//.test(raw) || !URL.canParse(raw))
      throw new ConfigError(name, 'is not an http(s) URL; set the OTLP/HTTP endpoint of your collector, such as http://localhost:4318.');
    configured = true;
  }
  return configured ? { serviceName: readString(env, 'OTEL_SERVICE_NAME', 'shopgraph') } : undefined;
}

/** A comma-separated list, without empty entries. */
function readList(env: Env, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
}

function readScopes(env: Env, name: string, fallback: Scope[]): Scope[] {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'none') return [];
  const { scopes, unknown } = parseScopes(raw);
  if (unknown.length > 0) throw new ConfigError(name, `"${unknown.join(', ')}" is not a scope; use some of ${SCOPES.join(', ')}, or none.`);
  return scopes;
}

function readSecret(env: Env, name: string, minLength: number): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (raw.length < minLength) {
    throw new ConfigError(
      name,
      `is ${raw.length} characters long; use at least ${minLength} random characters (for example: openssl rand -base64 32).`,
    );
  }
  return raw;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `"${env[name]}" is not true or false; set true or false, or unset it for ${fallback}.`);
}

interface Range {
  min: number;
  max: number;
}

function readNumber(env: Env, name: string, fallback: number, range: Range): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < range.min || value > range.max) {
    throw new ConfigError(name, `"${raw}" is not a number from ${range.min} to ${range.max}; set it to one, or unset it for ${fallback}.`);
  }
  return value;
}

function readInteger(env: Env, name: string, fallback: number, range: Range): number {
  const value = readNumber(env, name, fallback, range);
  if (!Number.isInteger(value)) {
    throw new ConfigError(name, `"${env[name]}" is not a whole number; set a whole number from ${range.min} to ${range.max}.`);
  }
  return value;
}

/**
 * Accepts a comma-separated list of postgres:// URLs, or one libpq multi-host URL
 * (`postgres://u:p@h1:5432,h2:5433/db`), which is split into one URL per host. Settings that
 * choose a node by themselves are taken out of each URL and listed as ignored.
 */
function readDatabaseNodes(env: Env): { nodes: { name: string; url: string }[]; ignored: string[] } {
  const ignored = new Set<string>();
  const fromEnvironment = env.PGTARGETSESSIONATTRS?.trim();
  const raw = env.DATABASE_URLS?.trim();
  const urls = raw ? splitDatabaseUrls(raw) : [];
  const seen = new Set<string>();
  const names = new Set<string>();
  const nodes: { name: string; url: string }[] = [];
  // Messages name an entry by its position: the URL itself may hold a password or a host name.
  urls.forEach((url, index) => {
    const entry = `entry ${index + 1} of ${urls.length}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError('DATABASE_URLS', `${entry} is not a URL; write postgres://user:password@host:port/database, comma separated.`);
    }
    if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
      throw new ConfigError('DATABASE_URLS', `${entry} must start with postgres:// or postgresql://.`);
    }
    if (!parsed.hostname) {
      throw new ConfigError('DATABASE_URLS', `${entry} has no host; write postgres://user:password@host:port/database.`);
    }
    const key = `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
    if (seen.has(key)) {
      throw new ConfigError('DATABASE_URLS', `${entry} names a node listed before it; list every node once.`);
    }
    seen.add(key);
    const name = decodeURIComponent(parsed.hash.slice(1)) || `node${index + 1}`;
    if (!/^[A-Za-z0-9_.-]{1,40}$/.test(name) || names.has(name)) {
      throw new ConfigError(
        'DATABASE_URLS',
        `${entry} has the node name "${name}", which is taken or not 1 to 40 letters, digits, dots, dashes or underscores.`,
      );
    }
    names.add(name);
    parsed.hash = '';
    for (const setting of NODE_CHOOSING_SETTINGS) {
      const value = parsed.searchParams.get(setting);
      if (value !== null) ignored.add(`${setting}=${value} in DATABASE_URLS`);
      parsed.searchParams.delete(setting);
    }
    nodes.push({ name, url: parsed.toString() });
  });
  if (fromEnvironment) ignored.add(`PGTARGETSESSIONATTRS=${fromEnvironment}`);
  return { nodes, ignored: [...ignored] };
}

/** libpq URL settings that pick a node among several: each node's URL must reach that node. */
const NODE_CHOOSING_SETTINGS = ['target_session_attrs', 'load_balance_hosts'] as const;

export function splitDatabaseUrls(raw: string): string[] {
  const entries = raw
    .split(/,(?=\s*postgres(?:ql)?:\/\/)/)
    .map((s) => s.trim())
    .filter(Boolean);
  return entries.flatMap(expandMultiHostUrl);
}

function expandMultiHostUrl(url: string): string[] {
  const match = /^(postgres(?:ql)?:\/\/)([^@/]*@)?([^/?#]*)(.*)$/.exec(url);
  if (!match) return [url];
  const [, scheme, auth = '', hosts = '', rest = ''] = match;
  if (!hosts.includes(',')) return [url];
  return hosts.split(',').map((host) => `${scheme}${auth}${host.trim()}${rest}`);
}
