import fs from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer, type RunningServer } from '../../src/graphql/index.js';
import { schemaForToolsFile } from '../../src/graphql/schema-source.js';
import { connectShared } from '../support/cluster.js';
import { startTestServer, type TestServer } from '../support/server.js';

let cluster: ConnectionManager;
let server: TestServer;

beforeAll(async () => {
  cluster = await connectShared();
  server = await startTestServer(cluster);
});

afterAll(async () => {
  await server?.stop();
  await cluster?.close();
});

const schemaUrl = () => server.url.replace(/\/graphql$/, '/schema.graphql');

describe('GET /schema.graphql', () => {
  it('serves the schema file for tools, byte for byte', async () => {
    const response = await fetch(schemaUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await response.text()).toBe(await fs.readFile(schemaForToolsFile, 'utf8'));
  });

  it('answers 304 to a tool that already has this version', async () => {
    const first = await fetch(schemaUrl());
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await fetch(schemaUrl(), { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
  });

  it('is not served when introspection is off', async () => {
    let closed: RunningServer | undefined;
    try {
      closed = await startGraphQLServer({ cluster, port: 0, host: '127.0.0.1', introspection: false });
      const response = await fetch(closed.url.replace(/\/graphql$/, '/schema.graphql'));
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'NOT_FOUND' } }] });
    } finally {
      await closed?.stop();
    }
  });
});

describe('the DateTime scalar', () => {
  it('names its specification in introspection (@specifiedBy)', async () => {
    const response = await server.request('{ __type(name: "DateTime") { kind specifiedByURL } }');
    expect(response.data).toEqual({ __type: { kind: 'SCALAR', specifiedByURL: 'https://scalars.graphql.org/andimarek/date-time' } });
  });
});
