/**
 * Cost-based rate limiting with a leaky bucket per caller, as the large public commerce APIs
 * do: each caller's bucket holds up to `burstSeconds` worth of its rate, a request takes its
 * requested cost out before it runs, the difference to its actual cost goes back after, and
 * the bucket refills at the caller's rate. A request that does not fit waits for the refill.
 */
export interface BucketState {
  /** Points the bucket can hold. */
  maximumAvailable: number;
  /** Points available now. */
  currentlyAvailable: number;
  /** Points restored per second. */
  restoreRate: number;
}

export type TakeResult = { ok: true; state: BucketState } | { ok: false; state: BucketState; retryAfterSeconds: number };

/**
 * Where the buckets are kept: in this process (RateLimiter), or in Redis for every instance
 * at once (RedisBuckets). Both have the same rules.
 */
export interface Buckets {
  /** Takes `cost` points from `caller`'s bucket if they are there; takes nothing otherwise. */
  take(caller: string, ratePerSecond: number, cost: number): TakeResult | Promise<TakeResult>;
  /** Gives back points a request reserved but did not use. */
  refund(caller: string, ratePerSecond: number, points: number): BucketState | Promise<BucketState>;
  /** The largest cost a request of this caller can ever have. */
  capacity(ratePerSecond: number): number;
}

/** Buckets hold this many seconds of their rate. */
export const BURST_SECONDS = 20;

/** How long a refused request waits for `missing` points at `ratePerSecond`: whole seconds, at least 1. */
export function retryAfter(missing: number, ratePerSecond: number): number {
  return Math.max(1, Math.ceil(missing / ratePerSecond));
}

interface Bucket {
  available: number;
  updatedAt: number;
  rate: number;
}

export class RateLimiter implements Buckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly burstSeconds = BURST_SECONDS,
    private readonly clock: () => number = Date.now,
    /** Buckets kept at most; full (idle) ones are dropped first when over. */
    private readonly maxBuckets = 100_000,
  ) {}

  /** Takes `cost` points from `caller`'s bucket if they are there. */
  take(caller: string, ratePerSecond: number, cost: number): TakeResult {
    const bucket = this.refill(caller, ratePerSecond);
    const capacity = this.capacity(ratePerSecond);
    if (cost > bucket.available) {
      const missing = cost - bucket.available;
      return { ok: false, state: this.stateOf(bucket, capacity), retryAfterSeconds: retryAfter(missing, ratePerSecond) };
    }
    bucket.available -= cost;
    return { ok: true, state: this.stateOf(bucket, capacity) };
  }

  /** Gives back points a request reserved but did not use. */
  refund(caller: string, ratePerSecond: number, points: number): BucketState {
    const bucket = this.refill(caller, ratePerSecond);
    const capacity = this.capacity(ratePerSecond);
    bucket.available = Math.min(capacity, bucket.available + Math.max(0, points));
    return this.stateOf(bucket, capacity);
  }

  /** The largest cost a request of this caller can ever have. */
  capacity(ratePerSecond: number): number {
    return ratePerSecond * this.burstSeconds;
  }

  private refill(caller: string, rate: number): Bucket {
    const now = this.clock();
    const capacity = this.capacity(rate);
    let bucket = this.buckets.get(caller);
    if (!bucket) {
      bucket = { available: capacity, updatedAt: now, rate };
      this.buckets.set(caller, bucket);
      if (this.buckets.size > this.maxBuckets) this.evictFull();
    }
    bucket.available = Math.min(capacity, bucket.available + ((now - bucket.updatedAt) / 1000) * rate);
    bucket.updatedAt = now;
    bucket.rate = rate;
    return bucket;
  }

  private evictFull(): void {
    const now = this.clock();
    for (const [caller, bucket] of this.buckets) {
      const refilled = bucket.available + ((now - bucket.updatedAt) / 1000) * bucket.rate;
      if (refilled >= this.capacity(bucket.rate)) this.buckets.delete(caller);
    }
  }

  private stateOf(bucket: Bucket, capacity: number): BucketState {
    return { maximumAvailable: capacity, currentlyAvailable: Math.floor(bucket.available), restoreRate: bucket.rate };
  }
}
