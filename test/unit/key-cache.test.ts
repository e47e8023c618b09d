import { describe, expect, it } from 'vitest';
import type { StoredKey } from '../../src/graphql/auth/index.js';
import { KeyCache } from '../../src/graphql/auth/index.js';

const key = (revokedAt: Date | null = null): StoredKey => ({
  id: 'abc123abc123',
  name: 'shop',
  secretHash: '00',
  scopes: ['catalog:read'],
  ratePerSecond: 100,
  revokedAt,
});

/** A cache over a lookup that counts its calls and answers what `stored` says now. */
function cacheWith(options: { stored?: () => StoredKey | undefined } = {}) {
  const clock = { now: 0 };
  let lookups = 0;
  const cache = new KeyCache(
    async () => {
      lookups += 1;
      return options.stored ? options.stored() : key();
    },
    { clock: () => clock.now, ttlMs: 10_000, listeningTtlMs: 60_000 },
  );
  return { cache, clock, lookups: () => lookups };
}

describe('the API key cache', () => {
  it('keeps a lookup 10 s while revocations are not heard', async () => {
    const { cache, clock, lookups } = cacheWith();
    await cache.lookup('abc123abc123');
    clock.now = 9_999;
    await cache.lookup('abc123abc123');
    expect(lookups()).toBe(1);
    clock.now = 10_000;
    await cache.lookup('abc123abc123');
    expect(lookups()).toBe(2);
  });

  it('keeps a lookup 60 s while revocations are heard', async () => {
    const { cache, clock, lookups } = cacheWith();
    cache.setListening(true);
    await cache.lookup('abc123abc123');
    clock.now = 59_999;
    await cache.lookup('abc123abc123');
    expect(lookups()).toBe(1);
  });

  it('drops a key at once when its revocation is announced', async () => {
    let stored = key();
    const { cache } = cacheWith({ stored: () => stored });
    cache.setListening(true);
    expect((await cache.lookup('abc123abc123'))?.revokedAt).toBeNull();
    stored = key(new Date(5));
    cache.revoked('abc123abc123');
    expect((await cache.lookup('abc123abc123'))?.revokedAt).toEqual(new Date(5));
  });

  it('takes the announcement over a lookup from a replica that has not replayed the revocation yet', async () => {
    const { cache, clock } = cacheWith({ stored: () => key(null) });
    cache.setListening(true);
    clock.now = 1234;
    cache.revoked('abc123abc123');
    expect((await cache.lookup('abc123abc123'))?.revokedAt).toEqual(new Date(1234));
  });

  it('forgets every lookup when it starts or stops hearing revocations', async () => {
    const { cache, lookups } = cacheWith();
    await cache.lookup('abc123abc123');
    cache.setListening(true);
    await cache.lookup('abc123abc123');
    cache.setListening(false);
    await cache.lookup('abc123abc123');
    expect(lookups()).toBe(3);
  });

  it('does not remember a lookup that failed', async () => {
    let fail = true;
    let lookups = 0;
    const cache = new KeyCache(async () => {
      lookups += 1;
      if (fail) throw new Error('database down');
      return key();
    });
    await expect(cache.lookup('abc123abc123')).rejects.toThrow('database down');
    fail = false;
    expect(await cache.lookup('abc123abc123')).toMatchObject({ id: 'abc123abc123' });
    expect(lookups).toBe(2);
  });
});
