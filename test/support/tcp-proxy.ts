import net from 'node:net';

/**
 * A TCP proxy in front of one database node, for tests that break the network on purpose
 * (or in front of several, each new connection to the next, as a load balancer would):
 * - `pass`: forward both ways;
 * - `delay`: forward, each chunk held back `ms` (order kept);
 * - `drop`: destroy every connection now and every new one at once (a refused link);
 * - `blackhole`: keep connections and accept new ones, but forward nothing (a cable cut
 *   without a reset: nobody notices until a timeout). Bytes swallowed are lost for good, as
 *   on a real cut, so a connection that lived through it is broken for its client.
 */
export type LinkMode = { kind: 'pass' } | { kind: 'delay'; ms: number } | { kind: 'drop' } | { kind: 'blackhole' };

export interface TcpProxy {
  /** The proxy's own port on 127.0.0.1. */
  readonly port: number;
  /** `targetUrl` with its host and port replaced by the proxy's. */
  proxyUrl(targetUrl: string): string;
  setMode(mode: LinkMode): void;
  readonly mode: LinkMode;
  readonly openConnections: number;
  /** Closes the listener and every connection. Safe to call twice. */
  close(): Promise<void>;
}

type Target = { host: string; port: number };

export async function startTcpProxy(target: Target | Target[], options: { mode?: LinkMode } = {}): Promise<TcpProxy> {
  let mode: LinkMode = options.mode ?? { kind: 'pass' };
  const targets = Array.isArray(target) ? target : [target];
  let connections = 0;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();

  const forward = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => {
      const current = mode;
      if (current.kind === 'pass') to.write(chunk);
      else if (current.kind === 'delay') {
        // Pausing the source keeps chunks in order: the next one waits for this one.
        from.pause();
        setTimeout(() => {
          if (!to.destroyed) to.write(chunk);
          from.resume();
        }, current.ms);
      }
      // blackhole: swallowed; drop: the sockets are gone already.
    });
  };

  const server = net.createServer((client) => {
    if (mode.kind === 'drop') {
      client.destroy();
      return;
    }
    const next = targets[connections++ % targets.length]!;
    const upstream = net.connect(next.port, next.host);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  let closing: Promise<void> | undefined;

  return {
    port,
    get mode() {
      return mode;
    },
    get openConnections() {
      return pairs.size;
    },
    proxyUrl(targetUrl) {
      const url = new URL(targetUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    setMode(next) {
      mode = next;
      if (next.kind === 'drop') {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        pairs.clear();
      }
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const { client, upstream } of pairs) {
          client.destroy();
          upstream.destroy();
        }
        pairs.clear();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}
