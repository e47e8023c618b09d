import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Lsn } from '../../cluster/index.js';
import { silentLogger, type Logger } from '../../log.js';
import { closeRedis, connectRedis, redisReady, RedisOutage } from '../redis.js';
import { decodeEntry, encodeEntry, positionText, type EncodedEntry, type SharedEntry } from './shared-entry.js';

/**
 * What a reader makes of an entry another instance shared: `use` it; `pass` it over (not for
 * this request, or not provably fresh here: it may be for others); or it is `stale` (read
 * before a change this instance heard, or on an older timeline), and goes.
 */
export type SharedVerdict = 'use' | 'pass' | 'stale';

export interface SharedResponsesOptions {
  /** Prefix of every key, so that several deployments can share one Redis (default `shopgraph:cache:`). */
  keyPrefix?: string;
  /** A command with no answer by then counts as failed, in ms (default 100: a miss waits at most that). */
  commandTimeoutMs?: number;
  /** Larger responses are not shared (default 256 KiB): they would crowd the others out of Redis. */
  maxDataBytes?: number;
  logger?: Logger;
  clock?: () => number;
}

/**
 * Stores an entry unless one read at the same or a later position is there already, and adds
 * it to its tags' sets. A tag set lives as long as its longest-lived member, and each fill
 * checks two of its members at random and drops those whose entry has gone: each fill adds
 * one member and removes two when most are gone, so a set that never expires still settles
 * near twice its live entries instead of growing with every key it ever held.
 * KEYS: the entry, then its tag sets.
 * ARGV: position, meta, data, PX, the entry's name in the sets, the entries' prefix.
 */
const FILL_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'position')
if current and current >= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'position', ARGV[1], 'meta', ARGV[2], 'data', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
local px = tonumber(ARGV[4])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[5])
  if redis.call('PTTL', KEYS[i]) < px then redis.call('PEXPIRE', KEYS[i], px) end
  for _, other in ipairs(redis.call('SRANDMEMBER', KEYS[i], 2)) do
    if redis.call('EXISTS', ARGV[6] .. other) == 0 then redis.call('SREM', KEYS[i], other) end
  end
end
return 1
`;

/**
 * A committed change, as ResponseCache.applyCommit evicts locally: every entry in the tags'
 * sets read short of the end of its commit record, or on another timeline, goes; members whose entry has
 * expired leave the set. KEYS: the tag sets. ARGV: the entries' prefix, the commit's position.
 * Returns how many entries it removed.
 */
const EVICT_SCRIPT = `
local timeline = string.sub(ARGV[2], 1, 8)
local evicted = 0
for _, tagKey in ipairs(KEYS) do
  for _, member in ipairs(redis.call('SMEMBERS', tagKey)) do
    local position = redis.call('HGET', ARGV[1] .. member, 'position')
    if not position then
      redis.call('SREM', tagKey, member)
    elseif position < ARGV[2] or string.sub(position, 1, 8) ~= timeline then
      redis.call('DEL', ARGV[1] .. member)
      redis.call('SREM', tagKey, member)
      evicted = evicted + 1
    end
  end
end
return evicted
`;

interface CacheCommands {
  shopgraphCacheFill(keys: number, ...args: (string | number)[]): Promise<number>;
  shopgraphCacheEvict(keys: number, ...args: string[]): Promise<number>;
}

/** After a command fails, the next ones skip Redis for this long (a request never waits twice for a Redis that hangs). */
const RETRY_AFTER_MS = 1000;

/**
 * The second level of the response cache: entries every instance shares, in Redis
 * (`SHOPGRAPH_REDIS_URL`), keyed by a SHA-256 of the first level's key under a namespace (the
 * PostgreSQL cluster and the schema, so another deployment's entries are never read), with
 * each tag's entries in a set for evictions. Redis only stores and forgets: whether an entry
 * may answer is the reader's judgement (see CachedReads), so an eviction that comes late or
 * not at all costs hits, never freshness. While Redis does not answer, every call is a miss
 * or does nothing; an outage is logged once, and its end once.
 *
 * The scripts reach entries through the tag sets, not as declared keys, so this needs one
 * Redis server, not Redis Cluster (whose client RedisBuckets does not use either).
 */
export class SharedResponses {
  private readonly redis: Redis & CacheCommands;
  private readonly keyPrefix: string;
  private readonly maxDataBytes: number;
  private readonly clock: () => number;
  private readonly outage: RedisOutage;
  private retryAt = 0;
  /**
   * Until its first connection, Redis is left alone without a word: start-up already says when
   * it does not answer (the rate limits wait for the same Redis, see startGraphQLServer).
   */
  private connected = false;
  private namespaces = { name: '', digest: '' };
  readonly counts = {
    lookups: { hit: 0, miss: 0, refused: 0, unavailable: 0 },
    writes: { stored: 0, kept: 0, 'too-large': 0 },
    evictions: { change: 0, stale: 0 },
    errors: { read: 0, write: 0, evict: 0 },
  };

  constructor(url: string, options: SharedResponsesOptions = {}) {
    this.keyPrefix = options.keyPrefix ?? 'shopgraph:cache:';
    this.maxDataBytes = options.maxDataBytes ?? 256 * 1024;
    this.clock = options.clock ?? Date.now;
    this.outage = new RedisOutage(options.logger ?? silentLogger, {
      down: 'response cache: Redis does not answer; each instance answers from its own cache until it does',
      up: 'response cache: Redis answers again; cached responses are shared by every instance again',
    });
    this.redis = connectRedis(url, options.commandTimeoutMs ?? 100) as Redis & CacheCommands;
    this.redis.defineCommand('shopgraphCacheFill', { lua: FILL_SCRIPT });
    this.redis.defineCommand('shopgraphCacheEvict', { lua: EVICT_SCRIPT });
    this.redis.once('ready', () => (this.connected = true));
  }

  /** Whether Redis is connected and answered the last command. */
  get available(): boolean {
    return this.connected && this.outage.startedAt === undefined;
  }

  ready(timeoutMs?: number): Promise<boolean> {
    return redisReady(this.redis, timeoutMs);
  }

  /** The entry of `key` in `namespace`, if there is one and `judge` says `use`; a `stale` one is deleted. */
  async lookup(namespace: string, key: string, judge: (entry: SharedEntry) => SharedVerdict): Promise<SharedEntry | undefined> {
    if (!this.usable()) {
      this.counts.lookups.unavailable += 1;
      return undefined;
    }
    const entryKey = this.entryKey(namespace, key);
    let fields: (string | null)[];
    try {
      fields = await this.redis.hmget(entryKey, 'position', 'meta', 'data');
      this.outage.answered();
    } catch (error) {
      this.failed('read', error);
      this.counts.lookups.unavailable += 1;
      return undefined;
    }
    const [position, meta, data] = fields;
    const entry = position === null ? undefined : decodeEntry({ position, meta: meta ?? undefined, data: data ?? undefined });
    if (!entry) {
      this.counts.lookups.miss += 1;
      return undefined;
    }
    const verdict = judge(entry);
    switch (verdict) {
      case 'use':
        this.counts.lookups.hit += 1;
        return entry;
      case 'stale':
        this.counts.evictions.stale += 1;
        this.redis.del(entryKey).catch((error: unknown) => this.failed('write', error));
        break;
      case 'pass':
        break;
      default:
        return verdict satisfies never;
    }
    this.counts.lookups.refused += 1;
    return undefined;
  }

  /** Shares an entry until its expiry. Nobody need wait for it: it never rejects. */
  async put(namespace: string, key: string, entry: SharedEntry): Promise<void> {
    const px = Math.floor(entry.expiresAt - this.clock());
    if (px <= 0 || !this.usable()) return;
    if (Buffer.byteLength(entry.data) > this.maxDataBytes) {
      this.counts.writes['too-large'] += 1;
      return;
    }
    const encoded: EncodedEntry = encodeEntry(entry);
    const member = hash(key);
    const prefix = this.entryPrefix(namespace);
    const tagKeys = entry.tags.map((tag) => this.tagKey(namespace, tag));
    try {
      const stored = await this.redis.shopgraphCacheFill(
        1 + tagKeys.length,
        prefix + member,
        ...tagKeys,
        encoded.position,
        encoded.meta,
        encoded.data,
        px,
        member,
        prefix,
      );
      this.outage.answered();
      // `kept`: an entry read at the same or a later position was there already.
      this.counts.writes[stored === 1 ? 'stored' : 'kept'] += 1;
    } catch (error) {
      this.failed('write', error);
    }
  }

  /**
   * Evicts what a change committed at `commitLsn` touched, as every instance's change feed
   * hears it. Nobody need wait for it: it never rejects.
   */
  async evict(namespace: string, change: { timeline: number; commitLsn: Lsn; tags: readonly string[] }): Promise<void> {
    if (change.tags.length === 0 || !this.usable()) return;
    const tagKeys = change.tags.map((tag) => this.tagKey(namespace, tag));
    const commit = positionText({ timeline: change.timeline, lsn: change.commitLsn });
    try {
      this.counts.evictions.change += await this.redis.shopgraphCacheEvict(tagKeys.length, ...tagKeys, this.entryPrefix(namespace), commit);
      this.outage.answered();
    } catch (error) {
      this.failed('evict', error);
    }
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }

  private usable(): boolean {
    return this.connected && (this.outage.startedAt === undefined || this.clock() >= this.retryAt);
  }

  private failed(command: keyof SharedResponses['counts']['errors'], error: unknown): void {
    this.counts.errors[command] += 1;
    this.retryAt = this.clock() + RETRY_AFTER_MS;
    this.outage.failed(error);
  }

  private entryKey(namespace: string, key: string): string {
    return this.entryPrefix(namespace) + hash(key);
  }

  private tagKey(namespace: string, tag: string): string {
    return `${this.entryPrefix(namespace)}tag:${tag}`;
  }

  /** `shopgraph:cache:<namespace digest>:`; entries follow it with their key's SHA-256 (hex, so never `tag:`). */
  private entryPrefix(namespace: string): string {
    if (this.namespaces.name !== namespace) this.namespaces = { name: namespace, digest: hash(namespace).slice(0, 16) };
    return `${this.keyPrefix}${this.namespaces.digest}:`;
  }
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
