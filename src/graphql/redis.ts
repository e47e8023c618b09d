import { Redis } from 'ioredis';
import { safeErrorFields } from '../errors.js';
import type { Logger } from '../log.js';

/**
 * A client of the Redis that instances share (`SHOPGRAPH_REDIS_URL`). Redis is not allowed to
 * take the API down with it, nor to hold a request up: a command fails at once while the
 * connection is down (no offline queue, no retries) and after `commandTimeoutMs` without an
 * answer, and the caller carries on without Redis; the connection is retried in the background.
 */
export function connectRedis(url: string, commandTimeoutMs: number): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Connection errors are reported by the commands that fail (once per outage), not per retry.
  redis.on('error', () => {});
  return redis;
}

/** Resolves once Redis answers, or with false after `timeoutMs`. */
export async function redisReady(redis: Redis, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (redis.status === 'ready') return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

export async function closeRedis(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}

/**
 * Whether Redis answers, as the commands found: an outage is logged once when it starts and
 * once when it ends, with the error's class and code only (never the URL, which may hold a
 * password and names the host).
 */
export class RedisOutage {
  private since: number | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly messages: { down: string; up: string },
  ) {}

  /** When the outage began (ms since the epoch); undefined while Redis answers. */
  get startedAt(): number | undefined {
    return this.since;
  }

  answered(): void {
    if (this.since === undefined) return;
    this.since = undefined;
    this.logger.info(this.messages.up);
  }

  failed(error: unknown, now = Date.now()): void {
    if (this.since !== undefined) return;
    this.since = now;
    this.logger.warn(this.messages.down, safeErrorFields(error));
  }
}
