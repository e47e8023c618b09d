import type { ConnectionManager } from '../../src/cluster/index.js';
import { startGraphQLServer } from '../../src/graphql/index.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface GraphQLResponse<Data = Record<string, any>> {
  status: number;
  headers: Headers;
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions: { code: string; [key: string]: unknown } }[];
  extensions?: {
    routing?: { role: string; node: string; lagBytes: number | null; lagSeconds: number | null; fallbackReason?: string };
    consistency?: { token?: string; warning?: string; message?: string };
    [key: string]: unknown;
  };
}

export interface TestServer {
  url: string;
  /** POSTs an operation and returns the parsed response with its status and headers. */
  request<Data = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data>>;
  stop(): Promise<void>;
}

/** The real HTTP server on a free loopback port, on the given cluster. */
export async function startTestServer(cluster: ConnectionManager): Promise<TestServer> {
  const server = await startGraphQLServer({ cluster, port: 0, host: '127.0.0.1', adminToken: TEST_ADMIN_TOKEN });
  return {
    url: server.url,
    async request(query, variables = {}, headers = {}) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status' | 'headers'>;
      return { status: response.status, headers: response.headers, ...body } as never;
    },
    stop: () => server.stop(),
  };
}
