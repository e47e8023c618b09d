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
    expect(loadConfig({}).queries).toEqual({ maxQueryBytes: 65536, cacheBytes: 67108864 });
    expect(loadConfig({ SHOPGRAPH_MAX_QUERY_BYTES: '8192', SHOPGRAPH_QUERY_CACHE_BYTES: '2097152' }).queries).toEqual({
      maxQueryBytes: 8192,
      cacheBytes: 2097152,
    });
    expect(() => loadConfig({ SHOPGRAPH_MAX_QUERY_BYTES: '10' })).toThrowError(/SHOPGRAPH_MAX_QUERY_BYTES: "10" is not a number from 1024/);
  });
});
