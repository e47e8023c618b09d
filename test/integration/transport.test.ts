import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { connectShared } from '../support/cluster.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let manager: ConnectionManager;
const running: RunningServer[] = [];

beforeAll(async () => {
  manager = await connectShared();
});
afterAll(async () => {
  for (const server of running) await server.stop();
  await manager?.close();
});

async function serve(options: Partial<Parameters<typeof startGraphQLServer>[0]> = {}): Promise<RunningServer> {
  const server = await startGraphQLServer({ cluster: manager, port: 0, host: '127.0.0.1', ...options });
  running.push(server);
  return server;
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('GraphQL over HTTP', () => {
  it('passes every MUST audit of the graphql-http conformance suite', async () => {
    const server = await serve();
    const results = await auditServer({ url: server.url });
    const failedMusts = results
      .filter((result) => result.name.startsWith('MUST') && result.status !== 'ok')
      .map((result) => `${result.name}: ${'reason' in result ? result.reason : ''}`);
    expect(failedMusts).toEqual([]);
    expect(results.filter((result) => result.name.startsWith('MUST')).length).toBeGreaterThan(10);
  });

  it('answers a query sent with GET (with the header that shows it is not a cross-site form)', async () => {
    const server = await serve();
    const response = await fetch(`${server.url}?query=${encodeURIComponent('{ warehouses { code } }')}`, {
      headers: { accept: 'application/graphql-response+json', 'apollo-require-preflight': 'true' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    expect(((await response.json()) as { data: { warehouses: unknown[] } }).data.warehouses).toHaveLength(4);
  });

  it('refuses a mutation sent with GET', async () => {
    const server = await serve();
    const response = await fetch(
      `${server.url}?query=${encodeURIComponent('mutation { cancelOrder(input: { id: "x" }) { order { id } } }')}`,
      {
        headers: { 'apollo-require-preflight': 'true' },
      },
    );
    expect(response.status).toBe(405);
  });

  it('keeps CSRF prevention on: a simple cross-site GET is refused', async () => {
    const server = await serve();
    const response = await fetch(`${server.url}?query=${encodeURIComponent('{ warehouses { code } }')}`);
    expect(response.status).toBe(400);
  });
});

describe('HTTPS', () => {
  it('serves over TLS when a certificate and key are configured', async () => {
    const server = await serve({ tls: { certFile: path.join(fixtures, 'cert.pem'), keyFile: path.join(fixtures, 'key.pem') } });
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const ca = await fs.readFile(path.join(fixtures, 'cert.pem'));
    const body = await new Promise<string>((resolve, reject) => {
      const request = https.request(server.url, { method: 'POST', ca, headers: { 'content-type': 'application/json' } }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      });
      request.on('error', reject);
      request.end(JSON.stringify({ query: '{ warehouses { code } }' }));
    });
    expect(JSON.parse(body).data.warehouses).toHaveLength(4);
  });
});

describe('persisted operations', () => {
  const query = '{ warehouses { code } }';
  const persisted = (hash: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hash } } });

  it('accept a query registered earlier by hash (automatic persisted queries)', async () => {
    const server = await serve();
    const first = await post(server.url, persisted(sha256(query)));
    expect(((await first.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    await post(server.url, { query, ...persisted(sha256(query)) });
    const again = await post(server.url, persisted(sha256(query)));
    expect(((await again.json()) as { data: { warehouses: unknown[] } }).data.warehouses).toHaveLength(4);
  });

  describe('with only registered operations allowed', () => {
    let server: RunningServer;
    beforeAll(async () => {
      const manifest = path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-ops-')), 'operations.json');
      await fs.writeFile(
        manifest,
        JSON.stringify({
          format: 'apollo-persisted-query-manifest',
          version: 1,
          operations: [{ id: sha256(query), name: 'Warehouses', type: 'query', body: query }],
        }),
      );
      server = await serve({ operationsFile: manifest, registeredOperationsOnly: true });
    });

    it('run a registered operation sent by hash alone', async () => {
      const response = await post(server.url, persisted(sha256(query)));
      expect(((await response.json()) as { data: { warehouses: unknown[] } }).data.warehouses).toHaveLength(4);
    });

    it('refuse any other operation', async () => {
      const response = await post(server.url, { query: '{ warehouses { name } }' });
      expect(response.status).toBe(403);
      expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('FORBIDDEN');
    });
  });
});

describe('introspection', () => {
  it('is on by default, for schema tools', async () => {
    const server = await serve();
    const response = await post(server.url, { query: '{ __schema { queryType { name } } }' });
    expect(await response.json()).toEqual({ data: { __schema: { queryType: { name: 'Query' } } }, extensions: expect.anything() });
  });

  it('can be turned off', async () => {
    const server = await serve({ introspection: false });
    const response = await post(server.url, { query: '{ __schema { queryType { name } } }' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'GRAPHQL_VALIDATION_FAILED',
    );
  });
});
