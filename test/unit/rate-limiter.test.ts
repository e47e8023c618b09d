import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/graphql/limits/rate-limiter.js';

describe('the cost rate limiter', () => {
  const clock = { now: 0 };
  const limiter = () => new RateLimiter(20, () => clock.now);

  it('lets a new caller spend a full bucket of burstSeconds worth of its rate', () => {
    const bucket = limiter();
    expect(bucket.take('a', 50, 1000)).toEqual({ ok: true, state: { maximumAvailable: 1000, currentlyAvailable: 0, restoreRate: 50 } });
  });

  it('refuses what does not fit, saying when it will', () => {
    const bucket = limiter();
    bucket.take('a', 50, 900);
    expect(bucket.take('a', 50, 300)).toEqual({
      ok: false,
      state: { maximumAvailable: 1000, currentlyAvailable: 100, restoreRate: 50 },
      retryAfterSeconds: 4,
    });
  });

  it('refills at the caller rate, up to the bucket size', () => {
    clock.now = 0;
    const bucket = limiter();
    bucket.take('a', 50, 1000);
    clock.now = 2000;
    expect(bucket.take('a', 50, 100).ok).toBe(true);
    clock.now = 1_000_000;
    expect(bucket.take('a', 50, 0).state.currentlyAvailable).toBe(1000);
  });

  it('gives back what a request reserved but did not use', () => {
    clock.now = 0;
    const bucket = limiter();
    bucket.take('a', 50, 800);
    expect(bucket.refund('a', 50, 700).currentlyAvailable).toBe(900);
  });

  it('keeps callers apart', () => {
    const bucket = limiter();
    bucket.take('a', 50, 1000);
    expect(bucket.take('b', 50, 1000).ok).toBe(true);
  });
});
