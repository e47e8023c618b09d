import { describe, expect, it } from 'vitest';
import { judgeShared } from '../../src/graphql/response-cache/cached-reads.js';
import { ResponseCache, decodeEntry, encodeEntry, type SharedEntry } from '../../src/graphql/response-cache/index.js';
import { parsePositionText, positionText } from '../../src/graphql/response-cache/shared-entry.js';

const at = (lsn: number | bigint, timeline = 1) => ({ timeline, lsn: BigInt(lsn) });
const NOW = 1_000_000;

function cacheFollowingFrom(lsn: number) {
  const cache = new ResponseCache({ maxBytes: 1 << 20, maxLagSeconds: 10, clock: () => NOW });
  cache.resync(at(lsn), 'wal');
  return cache;
}

function entry(overrides: Partial<SharedEntry> = {}): SharedEntry {
  return {
    data: '{"product":{"id":"UHJvZHVjdDox","name":"Mug"}}',
    etag: '"abc"',
    node: 'pg2',
    position: at(200),
    filledAt: NOW - 1000,
    lagSeconds: 0.5,
    tags: ['Product:1', 'Product:*'],
    expiresAt: NOW + 5000,
    ...overrides,
  };
}

const judge = (
  shared: SharedEntry,
  cache: ResponseCache,
  options: { token?: { timeline: number; lsn: bigint }; newestTimeline?: number } = {},
) => judgeShared(shared, cache, { newestTimeline: options.newestTimeline ?? 1, maxAge: 60, token: options.token, now: NOW });

describe('an entry shared through Redis', () => {
  it('keeps everything a cached read carries but its cost, the LSN exactly', () => {
    const shared = entry({ position: at(2n ** 63n + 12345n, 7) });
    const encoded = encodeEntry(shared);
    expect(encoded.data).toBe(shared.data);
    expect(decodeEntry(encoded)).toEqual(shared);
  });

  it('writes positions as fixed-width text, so that comparing the texts compares timeline, then LSN', () => {
    const ordered = [at(5, 1), at(0x10, 1), at(2n ** 40n, 1), at(1, 2), at(0, 10)];
    const texts = ordered.map(positionText);
    expect([...texts].sort()).toEqual(texts);
    expect(texts.map(parsePositionText)).toEqual(ordered);
  });

  it('is not decoded when another version wrote it or a field is missing or damaged', () => {
    const encoded = encodeEntry(entry());
    const meta = JSON.parse(encoded.meta) as Record<string, unknown>;
    expect(decodeEntry({ ...encoded, meta: JSON.stringify({ ...meta, v: 2 }) })).toBeUndefined();
    expect(decodeEntry({ ...encoded, meta: JSON.stringify({ ...meta, tags: [1] }) })).toBeUndefined();
    expect(decodeEntry({ ...encoded, meta: '{' })).toBeUndefined();
    expect(decodeEntry({ ...encoded, position: '1/2' })).toBeUndefined();
    expect(decodeEntry({ position: encoded.position, meta: encoded.meta })).toBeUndefined();
  });
});

describe('judging a shared entry by this instance’s own knowledge', () => {
  it('uses an entry this instance would have kept as a fill of its own', () => {
    expect(judge(entry(), cacheFollowingFrom(100))).toBe('use');
  });

  it('deletes an entry read before a change this instance heard to a row it read', () => {
    const cache = cacheFollowingFrom(100);
    cache.applyCommit({ timeline: 1, commitLsn: 250n, committedAt: NOW, tags: ['Product:1'] });
    expect(cache.freshnessOf(entry())).toBe('stale');
    expect(judge(entry(), cache)).toBe('stale');
    expect(judge(entry({ position: at(251) }), cache)).toBe('use');
  });

  it('passes over, without deleting, an entry read before this instance’s change feed started or while it does not hear', () => {
    expect(judge(entry({ position: at(99) }), cacheFollowingFrom(100))).toBe('pass');
    const resyncing = cacheFollowingFrom(100);
    resyncing.resync(undefined, 'resyncing');
    expect(resyncing.freshnessOf(entry())).toBe('unproven');
    expect(judge(entry(), resyncing)).toBe('pass');
  });

  it('passes over an entry older than a change this instance has forgotten, which may or may not have touched it', () => {
    let now = NOW;
    const cache = new ResponseCache({ maxBytes: 1 << 20, maxLagSeconds: 10, clock: () => now });
    cache.resync(at(100), 'wal');
    cache.applyCommit({ timeline: 1, commitLsn: 300n, committedAt: now, tags: ['Category:9'] });
    now += 40_000;
    cache.applyCommit({ timeline: 1, commitLsn: 400n, committedAt: now, tags: ['Category:8'] });
    expect(cache.freshnessOf(entry())).toBe('unproven');
    expect(cache.freshnessOf(entry({ position: at(301) }))).toBe('proven');
  });

  it('deletes an entry of a timeline older than the newest, and passes over one newer than this instance has seen', () => {
    const cache = cacheFollowingFrom(100);
    expect(judge(entry(), cache, { newestTimeline: 2 })).toBe('stale');
    expect(judge(entry({ position: at(200, 2) }), cache, { newestTimeline: 1 })).toBe('pass');
  });

  it('does not answer a consistency token the entry has not reached, and leaves it for others', () => {
    const cache = cacheFollowingFrom(100);
    expect(judge(entry(), cache, { token: at(201) })).toBe('pass');
    expect(judge(entry(), cache, { token: at(150, 2) })).toBe('pass');
    expect(judge(entry(), cache, { token: at(200) })).toBe('use');
  });

  it('passes over an entry past its expiry, or past this instance’s lag bound less its replica’s lag', () => {
    const cache = cacheFollowingFrom(100);
    expect(judge(entry({ expiresAt: NOW }), cache)).toBe('pass');
    // Read 1 s ago with 9.5 s of lag: this instance's 10 s bound ended half a second ago.
    expect(judge(entry({ lagSeconds: 9.5, expiresAt: NOW + 60_000 }), cache)).toBe('pass');
  });

  it('is kept in process no longer than the expiry it came with', () => {
    let now = NOW;
    const cache = new ResponseCache({ maxBytes: 1 << 20, maxLagSeconds: 10, clock: () => now });
    cache.resync(at(100), 'wal');
    const { expiresAt, ...read } = entry({ expiresAt: NOW + 2000 });
    expect(cache.store('k', { ...read, followed: false, cost: {} }, 60, expiresAt)).toBe(true);
    now += 1999;
    expect(cache.lookup('k', { timeline: 1 })).toBeDefined();
    now += 1;
    expect(cache.lookup('k', { timeline: 1 })).toBeUndefined();
  });
});
