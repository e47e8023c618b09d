import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, splitDatabaseUrls } from '../../src/config.js';

describe('configuration', () => {
  it('defaults to port 4000 on loopback and the embedded cluster', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.databaseNodes).toEqual([]);
    expect(config.embedded.dataDir).toMatch(/\.shopgraph$/);
    expect(config.embedded.replicas).toBe(2);
  });

  it('names the variable, the bad value and the fix for a bad port', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrowError(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrowError(
      'PORT: "eighty" is not a number from 0 to 65535; set it to one, or unset it for 4000.',
    );
  });

  it('refuses a fractional pool size', () => {
    expect(() => loadConfig({ DATABASE_POOL_SIZE: '2.5' })).toThrowError(/DATABASE_POOL_SIZE: "2.5" is not a whole number/);
  });

  it('reads a comma-separated list of node URLs', () => {
    const config = loadConfig({ DATABASE_URLS: 'postgres://u:p@db1:5432/shop, postgres://u:p@db2:5432/shop' });
    expect(config.databaseNodes).toEqual([
      { name: 'node1', url: 'postgres://u:p@db1:5432/shop' },
      { name: 'node2', url: 'postgres://u:p@db2:5432/shop' },
    ]);
  });

  it('names nodes by the fragment of their URL', () => {
    const config = loadConfig({ DATABASE_URLS: 'postgres://u:p@db1/shop#east-1,postgres://u:p@db2/shop#west-1' });
    expect(config.databaseNodes.map((node) => node.name)).toEqual(['east-1', 'west-1']);
    expect(config.databaseNodes[0]!.url).toBe('postgres://u:p@db1/shop');
  });

  it('refuses two nodes with the same name', () => {
    expect(() => loadConfig({ DATABASE_URLS: 'postgres://u:p@db1/shop#a,postgres://u:p@db2/shop#a' })).toThrowError(
      /entry 2 of 2 has the node name "a", which is taken/,
    );
  });

  it('splits a libpq multi-host URL into one URL per node', () => {
    expect(splitDatabaseUrls('postgresql://u:p@db1:5432,db2:5433/shop?sslmode=require')).toEqual([
      'postgresql://u:p@db1:5432/shop?sslmode=require',
      'postgresql://u:p@db2:5433/shop?sslmode=require',
    ]);
  });

  it('takes target_session_attrs and load_balance_hosts out of node URLs and reports them as ignored', () => {
    const config = loadConfig({
      DATABASE_URLS: 'postgres://u:p@db1:5432,db2:5432/shop?sslmode=require&target_session_attrs=read-write&load_balance_hosts=random',
      PGTARGETSESSIONATTRS: 'primary',
    });
    expect(config.databaseNodes.map((node) => node.url)).toEqual([
      'postgres://u:p@db1:5432/shop?sslmode=require',
      'postgres://u:p@db2:5432/shop?sslmode=require',
    ]);
    expect(config.ignoredDatabaseSettings).toEqual([
      'target_session_attrs=read-write in DATABASE_URLS',
      'load_balance_hosts=random in DATABASE_URLS',
      'PGTARGETSESSIONATTRS=primary',
    ]);
  });

  it('refuses a node listed twice without repeating its URL or password', () => {
    const attempt = () => loadConfig({ DATABASE_URLS: 'postgres://u:secret@db1/shop,postgres://u:secret@db1:5432/shop' });
    expect(attempt).toThrowError('DATABASE_URLS: entry 2 of 2 names a node listed before it; list every node once.');
  });

  it('refuses a URL of another scheme without printing it', () => {
    expect(() => loadConfig({ DATABASE_URLS: 'mysql://u:secret@db1/shop' })).toThrowError(
      'DATABASE_URLS: entry 1 of 1 must start with postgres:// or postgresql://.',
    );
  });

  it('limits query texts to 64 KiB and the query caches to 64 MiB unless told otherwise', () => {
    expect(loadConfig({}).queries).toEqual({ maxQueryBytes: 65536, cacheBytes: 67108864, responseCacheBytes: 33554432 });
    expect(loadConfig({ SHOPGRAPH_MAX_QUERY_BYTES: '8192', SHOPGRAPH_QUERY_CACHE_BYTES: '2097152' }).queries).toMatchObject({
      maxQueryBytes: 8192,
      cacheBytes: 2097152,
    });
    expect(() => loadConfig({ SHOPGRAPH_MAX_QUERY_BYTES: '10' })).toThrowError(/SHOPGRAPH_MAX_QUERY_BYTES: "10" is not a number from 1024/);
  });

  it('keeps 32 MiB of public responses unless told otherwise, 0 turning the cache off, and refuses a bound too small to hold any', () => {
    expect(loadConfig({ SHOPGRAPH_RESPONSE_CACHE_BYTES: '0' }).queries.responseCacheBytes).toBe(0);
    expect(() => loadConfig({ SHOPGRAPH_RESPONSE_CACHE_BYTES: '1000' })).toThrowError(
      'SHOPGRAPH_RESPONSE_CACHE_BYTES: 1000 bytes holds almost nothing; set 0 to turn the cache off, or at least 1048576 (1 MiB).',
    );
  });

  it('requires a synchronous standby with the embedded cluster and keeps the newest timeline in its data directory', () => {
    const config = loadConfig({ SHOPGRAPH_DATA_DIR: '/var/tmp/sg' });
    expect(config.routing.requireSynchronousStandby).toBe(true);
    expect(config.routing.timelineFile).toBe('/var/tmp/sg/newest-timeline.json');
  });

  it('does not require a synchronous standby nor keep a timeline file on a cluster of its own unless told to', () => {
    const own = { DATABASE_URLS: 'postgres://u:p@db1/shop' };
    expect(loadConfig(own).routing).toMatchObject({ requireSynchronousStandby: false, timelineFile: undefined });
    expect(
      loadConfig({ ...own, SHOPGRAPH_REQUIRE_SYNCHRONOUS_STANDBY: 'true', SHOPGRAPH_TIMELINE_FILE: '/var/lib/sg/timeline.json' }).routing,
    ).toMatchObject({ requireSynchronousStandby: true, timelineFile: '/var/lib/sg/timeline.json' });
  });

  it('refuses to require a synchronous standby of an embedded cluster without replicas, naming both settings', () => {
    expect(() => loadConfig({ SHOPGRAPH_EMBEDDED_REPLICAS: '0', SHOPGRAPH_REQUIRE_SYNCHRONOUS_STANDBY: 'true' })).toThrowError(
      /SHOPGRAPH_REQUIRE_SYNCHRONOUS_STANDBY: is true but SHOPGRAPH_EMBEDDED_REPLICAS is 0/,
    );
    expect(loadConfig({ SHOPGRAPH_EMBEDDED_REPLICAS: '0' }).routing.requireSynchronousStandby).toBe(false);
  });
});

describe('configuration of the edge: browsers, proxies, operators, traces', () => {
  it('serves no other origin, trusts no proxy, has no admin listener and records no traces by default', () => {
    const config = loadConfig({});
    expect(config.edge).toEqual({ corsOrigins: [], trustedProxies: [], admin: undefined });
    expect(config.tracing).toBeUndefined();
    expect(config.auth.failuresPerMinute).toBe(30);
  });

  it('reads web origins and * for any origin', () => {
    expect(loadConfig({ SHOPGRAPH_CORS_ORIGINS: 'https://shop.example, http://localhost:5173,*' }).edge.corsOrigins).toEqual([
      'https://shop.example',
      'http://localhost:5173',
      '*',
    ]);
  });

  it('refuses an origin with a path, naming the fix', () => {
    expect(() => loadConfig({ SHOPGRAPH_CORS_ORIGINS: 'https://shop.example/' })).toThrowError(
      'SHOPGRAPH_CORS_ORIGINS: "https://shop.example/" is not a web origin; write scheme://host[:port] without a path or a trailing slash',
    );
  });

  it('reads trusted proxies as addresses and CIDR ranges, and refuses a host name', () => {
    expect(loadConfig({ SHOPGRAPH_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8, fd00::/8' }).edge.trustedProxies).toEqual([
      { address: '127.0.0.1', family: 'ipv4' },
      { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
      { address: 'fd00::', prefix: 8, family: 'ipv6' },
    ]);
    expect(() => loadConfig({ SHOPGRAPH_TRUSTED_PROXIES: 'lb.internal' })).toThrowError(
      /SHOPGRAPH_TRUSTED_PROXIES: "lb.internal" is not an IP address or CIDR range/,
    );
  });

  it('opens an admin listener on loopback, and refuses the API port for it', () => {
    expect(loadConfig({ SHOPGRAPH_ADMIN_PORT: '9464' }).edge.admin).toEqual({ port: 9464, host: '127.0.0.1' });
    expect(() => loadConfig({ SHOPGRAPH_ADMIN_PORT: '4000' })).toThrowError(/SHOPGRAPH_ADMIN_PORT: is 4000, the API's PORT too/);
  });

  it('refuses JSON Web Tokens without exp unless told to allow them', () => {
    const jwt = { SHOPGRAPH_JWT_SECRET: 'a-secret-of-at-least-32-characters-long' };
    expect(loadConfig(jwt).auth.jwt?.allowNoExpiry).toBe(false);
    expect(loadConfig({ ...jwt, SHOPGRAPH_JWT_ALLOW_NO_EXP: 'true' }).auth.jwt?.allowNoExpiry).toBe(true);
  });

  it('records traces when an OTLP endpoint is set, unless the SDK is disabled, and refuses one that is no URL', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toEqual({ serviceName: 'shopgraph' });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces', OTEL_SERVICE_NAME: 'api' }).tracing).toEqual(
      {
        serviceName: 'api',
      },
    );
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_SDK_DISABLED: 'true' }).tracing).toBeUndefined();
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrowError(
      /OTEL_EXPORTER_OTLP_ENDPOINT: is not an http\(s\) URL/,
    );
  });
});

describe('configuration for several instances', () => {
  it('keeps rate-limit buckets in the process unless SHOPGRAPH_REDIS_URL is set', () => {
    expect(loadConfig({}).instances).toEqual({});
    expect(loadConfig({ SHOPGRAPH_REDIS_URL: 'redis://:secret@cache:6379/2' }).instances).toEqual({
      redisUrl: 'redis://:secret@cache:6379/2',
    });
  });

  it('refuses a SHOPGRAPH_REDIS_URL that is not a redis URL, without repeating it', () => {
    expect(() => loadConfig({ SHOPGRAPH_REDIS_URL: 'http://:secret@cache:6379' })).toThrowError(
      'SHOPGRAPH_REDIS_URL: must start with redis:// or rediss://.',
    );
    expect(() => loadConfig({ SHOPGRAPH_REDIS_URL: 'secret@cache' })).toThrowError(/^SHOPGRAPH_REDIS_URL: is not a URL; write redis:\/\//);
  });
});
