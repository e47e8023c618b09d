import type { Redis } from 'ioredis';
import { silentLogger, type Logger } from '../../log.js';
import { closeRedis, connectRedis, redisReady, RedisOutage } from '../redis.js';
import { BURST_SECONDS, RateLimiter, retryAfter, type Buckets, type BucketState, type TakeResult } from './rate-limiter.js';

/**
 * The bucket of RateLimiter, in Redis: the same refill, take and refund, done by one script
 * per call so that concurrent requests on any instance cannot spend a point twice, with
 * Redis's clock so that the instances' clocks do not matter. A bucket expires once it would
 * be full again (an idle caller's bucket is as good as new). ARGV: rate per second, capacity,
 * points, and `take` or `refund`. Returns whether the take fitted and the points left (a
 * string: Redis turns a Lua number into an integer).
 */
const BUCKET_SCRIPT = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local points = tonumber(ARGV[3])
local stored = redis.call('HMGET', KEYS[1], 'available', 'updated')
local available = tonumber(stored[1]) or capacity
local updated = tonumber(stored[2]) or now
available = math.min(capacity, available + math.max(0, now - updated) / 1000 * rate)
local fits = 1
if ARGV[4] == 'take' then
  if points > available then fits = 0 else available = available - points end
else
  available = math.min(capacity, available + math.max(0, points))
end
redis.call('HSET', KEYS[1], 'available', tostring(available), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - available) / rate * 1000) + 1000)
return {fits, tostring(available)}
`;

interface BucketCommands {
  shopgraphBucket(key: string, rate: number, capacity: number, points: number, mode: 'take' | 'refund'): Promise<[number, string]>;
}

export interface RedisBucketsOptions {
  /** Prefix of the bucket keys, so that several deployments can share one Redis (default `shopgraph:bucket:`). */
  keyPrefix?: string;
  /** A Redis command with no answer by then counts as failed, in ms (default 250). */
  commandTimeoutMs?: number;
  burstSeconds?: number;
  logger?: Logger;
}

/**
 * Rate-limit buckets that every instance shares, in Redis (`SHOPGRAPH_REDIS_URL`). Redis is
 * not allowed to take the API down with it: while it does not answer, each instance falls
 * back to buckets of its own (as without Redis), says so once, and goes back to Redis when
 * it answers again.
 */
export class RedisBuckets implements Buckets {
  private readonly redis: Redis & BucketCommands;
  private readonly local: RateLimiter;
  private readonly keyPrefix: string;
  private readonly burstSeconds: number;
  private readonly outage: RedisOutage;

  constructor(url: string, options: RedisBucketsOptions = {}) {
    this.keyPrefix = options.keyPrefix ?? 'shopgraph:bucket:';
    this.burstSeconds = options.burstSeconds ?? BURST_SECONDS;
    this.outage = new RedisOutage(options.logger ?? silentLogger, {
      down: 'rate limits: Redis does not answer; each instance enforces its own buckets until it does',
      up: 'rate limits: Redis answers again; buckets are shared by every instance again',
    });
    this.local = new RateLimiter(this.burstSeconds);
    this.redis = connectRedis(url, options.commandTimeoutMs ?? 250) as Redis & BucketCommands;
    this.redis.defineCommand('shopgraphBucket', { numberOfKeys: 1, lua: BUCKET_SCRIPT });
  }

  /** Resolves once Redis answers (start-up waits for it, so the first requests share buckets too). */
  ready(timeoutMs = 5000): Promise<boolean> {
    return redisReady(this.redis, timeoutMs);
  }

  async take(caller: string, ratePerSecond: number, cost: number): Promise<TakeResult> {
    const answer = await this.call(caller, ratePerSecond, cost, 'take');
    if (!answer) return this.local.take(caller, ratePerSecond, cost);
    const [fits, available] = answer;
    const state = this.stateOf(available, ratePerSecond);
    return fits === 1 ? { ok: true, state } : { ok: false, state, retryAfterSeconds: retryAfter(cost - available, ratePerSecond) };
  }

  async refund(caller: string, ratePerSecond: number, points: number): Promise<BucketState> {
    const answer = await this.call(caller, ratePerSecond, points, 'refund');
    return answer ? this.stateOf(answer[1], ratePerSecond) : this.local.refund(caller, ratePerSecond, points);
  }

  capacity(ratePerSecond: number): number {
    return ratePerSecond * this.burstSeconds;
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }

  /** The script's answer, or undefined when Redis did not give one (then the local bucket serves). */
  private async call(caller: string, rate: number, points: number, mode: 'take' | 'refund'): Promise<[number, number] | undefined> {
    try {
      const [fits, available] = await this.redis.shopgraphBucket(this.keyPrefix + caller, rate, this.capacity(rate), points, mode);
      this.outage.answered();
      return [fits, Number(available)];
    } catch (error) {
      this.outage.failed(error);
      return undefined;
    }
  }

  private stateOf(available: number, rate: number): BucketState {
    return { maximumAvailable: this.capacity(rate), currentlyAvailable: Math.floor(available), restoreRate: rate };
  }
}
