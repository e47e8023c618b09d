import { describe, expect, it } from 'vitest';
import type { HeardUpTo } from '../../src/cluster/index.js';
import { ResponseCache, type Invalidation } from '../../src/graphql/response-cache/index.js';

const at = (lsn: number, timeline = 1) => ({ timeline, lsn: BigInt(lsn) });

function cacheWith(invalidation: Invalidation = 'wal', { maxBytes = 1 << 20, maxLagSeconds = 10 } = {}) {
  let now = 1_000_000;
  let heard: HeardUpTo | undefined;
  const cache = new ResponseCache({ maxBytes, maxLagSeconds, clock: () => now, heardUpTo: () => heard });
  cache.resync(at(100), invalidation);
  const read = (lsn: number, tags = ['Product:1'], lagSeconds = 0, followed = true) => ({
    data: '{"product":{}}',
    cost: {},
    etag: '"e"',
    node: 'pg2',
    position: at(lsn),
    filledAt: now,
    lagSeconds,
    tags,
    followed,
  });
  /** The change feed has heard every commit up to `lsn`, which the primary had reached `msAgo` ago. */
  const hear = (lsn: number, msAgo = 0, timeline = 1) => (heard = { position: at(lsn, timeline), at: now - msAgo });
  return { cache, read, hear, advance: (ms: number) => (now += ms) };
}

describe('the response cache', () => {
  it('answers a read on the entry’s timeline, and drops an entry of an older one', () => {
    const { cache, read } = cacheWith();
    cache.store('k', read(200), 60);
    expect(cache.lookup('k', { timeline: 1 })?.position).toEqual(at(200));
    expect(cache.lookup('k', { timeline: 2 })).toBeUndefined();
    expect(cache.counts.evictions.timeline).toBe(1);
  });

  it('never answers a consistency token the entry has not reached', () => {
    const { cache, read } = cacheWith();
    cache.store('k', read(200), 60);
    expect(cache.lookup('k', { timeline: 1, token: at(201) })).toBeUndefined();
    expect(cache.lookup('k', { timeline: 1, token: at(200) })).toBeDefined();
    expect(cache.lookup('k', { timeline: 1, token: at(150, 2) })).toBeUndefined();
  });

  it('keeps an entry no longer than its maxAge, nor than the lag bound minus its replica’s lag', () => {
    const { cache, read, advance } = cacheWith();
    cache.store('short', read(200), 2);
    cache.store('lagging', read(200, ['Product:2'], 7), 60);
    advance(2000);
    expect(cache.lookup('short', { timeline: 1 })).toBeUndefined();
    expect(cache.lookup('lagging', { timeline: 1 })?.ageSeconds).toBe(2);
    advance(1000);
    expect(cache.lookup('lagging', { timeline: 1 })).toBeUndefined();
    expect(cache.store('too-stale', read(200, ['Product:3'], 10), 60)).toBe(false);
  });

  it('keeps an entry past its age as of the change feed’s position when the feed heard every commit since, none touching it', () => {
    const { cache, read, hear, advance } = cacheWith();
    cache.store('k', read(200, ['Product:1'], 1), 2);
    advance(1500);
    hear(500);
    advance(1000);
    const hit = cache.lookup('k', { timeline: 1, token: at(450) });
    expect(hit).toMatchObject({ position: at(500), ageSeconds: 1, lagSeconds: 0, revalidated: true, data: '{"product":{}}' });
    expect(cache.counts).toMatchObject({ revalidated: 1, evictions: { expired: 0 } });
    advance(1000);
    expect(cache.lookup('k', { timeline: 1 })).toBeUndefined();
    expect(cache.counts.evictions.expired).toBe(1);
  });

  it('lets an entry expire when the change feed has not heard past the moment it was read', () => {
    const { cache, read, hear, advance } = cacheWith();
    hear(500, 1);
    cache.store('k', read(200), 2);
    advance(2000);
    expect(cache.lookup('k', { timeline: 1 })).toBeUndefined();
    expect(cache.counts).toMatchObject({ revalidated: 0, evictions: { expired: 1 } });
  });

  it('lets an entry expire when the feed heard another timeline, or a position short of the entry’s', () => {
    const { cache, read, hear, advance } = cacheWith();
    cache.store('other-timeline', read(200, ['Product:1']), 2);
    cache.store('ahead', read(700, ['Product:2']), 2);
    advance(1000);
    hear(600, 0, 2);
    advance(1500);
    expect(cache.lookup('other-timeline', { timeline: 1 })).toBeUndefined();
    hear(600);
    expect(cache.lookup('ahead', { timeline: 1 })).toBeUndefined();
    expect(cache.counts).toMatchObject({ revalidated: 0, evictions: { expired: 2 } });
  });

  it('lets an entry expire that read something a change may not name (a review’s author)', () => {
    const { cache, read, hear, advance } = cacheWith();
    cache.store('k', read(200, ['Product:1'], 0, false), 2);
    advance(1000);
    hear(500);
    advance(1500);
    expect(cache.lookup('k', { timeline: 1 })).toBeUndefined();
    expect(cache.counts.revalidated).toBe(0);
  });

  it('revalidates nothing when it keeps entries by age alone', () => {
    const { cache, read, hear, advance } = cacheWith('ages-only');
    cache.store('k', read(200), 2);
    advance(1000);
    hear(500);
    advance(1500);
    expect(cache.lookup('k', { timeline: 1 })).toBeUndefined();
  });

  it('never revalidates an entry a change touched: the change evicted it', () => {
    const { cache, read, hear, advance } = cacheWith();
    cache.store('k', read(200), 2);
    advance(1000);
    cache.applyCommit({ timeline: 1, commitLsn: 300n, committedAt: Date.now(), tags: ['Product:1'] });
    hear(500);
    advance(1500);
    expect(cache.lookup('k', { timeline: 1 })).toBeUndefined();
    expect(cache.counts).toMatchObject({ revalidated: 0, evictions: { change: 1, expired: 0 } });
  });

  it('evicts the entries a committed change touched that were read before its commit', () => {
    const { cache, read } = cacheWith();
    cache.store('before', read(200, ['Product:1']), 60);
    cache.store('after', read(400, ['Product:1']), 60);
    cache.store('other', read(200, ['Product:2']), 60);
    expect(cache.applyCommit({ timeline: 1, commitLsn: 300n, committedAt: Date.now(), tags: ['Product:1', 'Product:*'] })).toBe(1);
    expect(cache.lookup('before', { timeline: 1 })).toBeUndefined();
    expect(cache.lookup('after', { timeline: 1 })).toBeDefined();
    expect(cache.lookup('other', { timeline: 1 })).toBeDefined();
    expect(cache.counts.evictions.change).toBe(1);
  });

  it('keeps an entry read at the end of a change’s commit record: its replica had replayed the change', () => {
    const { cache, read } = cacheWith();
    cache.store('at', read(300, ['Product:1']), 60);
    expect(cache.applyCommit({ timeline: 1, commitLsn: 300n, committedAt: Date.now(), tags: ['Product:1'] })).toBe(0);
    expect(cache.store('filled-at', read(300, ['Product:1']), 60)).toBe(true);
    expect(cache.store('short-of-it', read(299, ['Product:1']), 60)).toBe(false);
  });

  it('does not store a read from before a change it has already heard of', () => {
    const { cache, read } = cacheWith();
    cache.applyCommit({ timeline: 1, commitLsn: 300n, committedAt: Date.now(), tags: ['Product:1'] });
    expect(cache.store('late', read(250, ['Product:1']), 60)).toBe(false);
    expect(cache.store('fresh', read(301, ['Product:1']), 60)).toBe(true);
    expect(cache.store('unrelated', read(250, ['Product:2']), 60)).toBe(true);
  });

  it('stores nothing read before the change feed started, nor while it does not hear changes', () => {
    const { cache, read } = cacheWith();
    expect(cache.store('old', read(99), 60)).toBe(false);
    cache.store('k', read(200), 60);
    cache.resync(undefined, 'resyncing');
    expect(cache.size).toBe(0);
    expect(cache.counts.evictions.resync).toBe(1);
    expect(cache.store('k', read(200), 60)).toBe(false);
  });

  it('keeps entries by age alone when the primary cannot decode its WAL', () => {
    const { cache, read } = cacheWith('ages-only');
    expect(cache.store('k', read(50), 60)).toBe(true);
  });

  it('stays within its byte bound, least recently used out first', () => {
    const { cache, read } = cacheWith('wal', { maxBytes: 1000 });
    for (const key of ['a', 'b', 'c', 'd']) cache.store(key, read(200), 60);
    expect(cache.bytes).toBeLessThanOrEqual(1000);
    expect(cache.lookup('d', { timeline: 1 })).toBeDefined();
    expect(cache.lookup('a', { timeline: 1 })).toBeUndefined();
    expect(cache.counts.evictions.capacity).toBeGreaterThan(0);
  });
});
