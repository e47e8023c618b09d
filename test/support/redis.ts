import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findFreePorts } from '../../src/embedded/ports.js';

/** What installs the Redis server the Redis tests start (Debian's package). */
export const REDIS_INSTALL = 'apt-get install -y redis-server';

/** The redis-server binary on PATH (or in /usr/bin), or undefined when it is not installed. */
export function findRedisServer(): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'];
  for (const directory of directories.filter(Boolean)) {
    const candidate = path.join(directory, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface LocalRedis {
  url: string;
  port: number;
  /** Stops the server (and waits until it is gone). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * A Redis server of the test's own, on a free loopback port (or on `port`, to bring one back
 * where its clients look for it), keeping nothing on disk, as the tests start their own
 * PostgreSQL. The caller stops it, also when the test fails.
 */
export async function startRedis(binary: string, port?: number): Promise<LocalRedis> {
  port ??= (await findFreePorts(1))[0]!;
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'shopgraph-redis-'));
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory, '--daemonize', 'no'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await fs.rm(directory, { recursive: true, force: true });
  };
  try {
    await waitForPort(child, port, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

async function waitForPort(child: ChildProcess, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode} before it listened`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
