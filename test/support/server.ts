import type { ConnectionManager } from '../../src/cluster/index.js';
import { ApiKeyStore } from '../../src/db/index.js';
import { generateApiKey, type AuthConfig, type Scope } from '../../src/graphql/auth/index.js';
import { startGraphQLServer, type GraphQLServerOptions } from '../../src/graphql/index.js';

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
  /**
   * POSTs an operation and returns the parsed response with its status and headers. It is
   * sent with an admin key unless `headers` has its own `authorization` ('' for anonymous).
   */
  request<Data = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<Data>>;
  /** A new API key with these scopes, stored in the cluster's database. */
  createKey(scopes: Scope[], ratePerSecond?: number): Promise<string>;
  stop(): Promise<void>;
}

/** The real HTTP server on a free loopback port, on the given cluster. */
export async function startTestServer(
  cluster: ConnectionManager,
  options: Omit<Partial<GraphQLServerOptions>, 'cluster' | 'port' | 'host'> & { auth?: AuthConfig } = {},
): Promise<TestServer> {
  const server = await startGraphQLServer({ ...options, cluster, port: 0, host: '127.0.0.1' });
  const createKey = async (scopes: Scope[], ratePerSecond = 100_000) => {
    const { id, key, secretHash } = generateApiKey();
    await new ApiKeyStore(cluster.route('write')).insert({ id, name: 'test', secretHash, scopes, ratePerSecond });
    return key;
  };
  const adminKey = await createKey(['admin']);
  return {
    url: server.url,
    createKey,
    async request(query, variables = {}, headers = {}) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}`, ...headers },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(20_000),
      });
      const body = (await response.json()) as Omit<GraphQLResponse, 'status' | 'headers'>;
      return { status: response.status, headers: response.headers, ...body } as never;
    },
    stop: () => server.stop(),
  };
}
