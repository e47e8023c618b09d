import { AuthenticationThrottledError } from '../../errors.js';
import { RateLimiter } from '../limits/rate-limiter.js';

/** Failed authentications a client address may make per minute unless configured otherwise. */
export const DEFAULT_FAILURES_PER_MINUTE = 30;

/**
 * Failed authentications per client address, so that guessing keys or tokens is slow and
 * cheap for us: each address may fail `failuresPerMinute` times in a burst, regaining one
 * try every 60 / failuresPerMinute seconds. An address without tries left gets
 * RATE_LIMITED for its requests with credentials before they are looked up or verified;
 * its anonymous requests and other addresses are not affected. Successful authentications
 * cost nothing.
 */
export class AuthFailureLimiter {
  private readonly buckets: RateLimiter;
  private readonly ratePerSecond: number;

  constructor(failuresPerMinute: number, clock: () => number = Date.now) {
    // A bucket of 60 seconds' worth of the rate holds exactly failuresPerMinute tries.
    this.buckets = new RateLimiter(60, clock);
    this.ratePerSecond = failuresPerMinute / 60;
  }

  /** Throws AuthenticationThrottledError when `address` has no failed try left. */
  check(address: string): void {
    const taken = this.buckets.take(address, this.ratePerSecond, 1);
    if (!taken.ok) throw new AuthenticationThrottledError(taken.retryAfterSeconds);
    this.buckets.refund(address, this.ratePerSecond, 1);
  }

  /** Counts a failed authentication from `address`. */
  recordFailure(address: string): void {
    this.buckets.take(address, this.ratePerSecond, 1);
  }
}
