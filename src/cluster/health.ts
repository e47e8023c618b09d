/**
 * The circuit of one node, driven by probes and by failed statements:
 * - `up`: answering; eligible for work (circuit closed).
 * - `suspect`: the last probe failed but not enough in a row to give up on it; kept out of
 *   new work until it answers again.
 * - `down`: failed repeatedly or lost a connection under a statement (circuit open); probed
 *   again with exponential backoff, and back to `up` as soon as a probe answers.
 */
export type HealthState = 'up' | 'suspect' | 'down';

export interface HealthPolicy {
  /** Consecutive probe failures that open the circuit. */
  failureThreshold: number;
  /** First wait before re-probing a down node, doubling per failure up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = { failureThreshold: 2, baseBackoffMs: 250, maxBackoffMs: 2_000 };

export class NodeHealth {
  state: HealthState = 'suspect';
  consecutiveFailures = 0;
  /** When the state last changed (clock ms). */
  since: number;
  private retryAt = 0;

  constructor(
    private readonly policy: HealthPolicy,
    now: number,
  ) {
    this.since = now;
  }

  /** A probe or statement got an answer. */
  succeeded(now: number): void {
    this.consecutiveFailures = 0;
    this.retryAt = 0;
    this.set('up', now);
  }

  /** A probe failed. */
  probeFailed(now: number): void {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= this.policy.failureThreshold) this.open(now);
    else this.set('suspect', now);
  }

  /**
   * A statement lost its connection or could not connect: the node is out at once, and a
   * probe decides when it comes back.
   */
  connectionFailed(now: number): void {
    this.consecutiveFailures = Math.max(this.consecutiveFailures + 1, this.policy.failureThreshold);
    this.open(now);
  }

  /** Whether the probe loop should probe this node now (a down node waits out its backoff). */
  dueForProbe(now: number): boolean {
    return this.state !== 'down' || now >= this.retryAt;
  }

  private open(now: number): void {
    const exponent = Math.min(this.consecutiveFailures - this.policy.failureThreshold, 16);
    this.retryAt = now + Math.min(this.policy.maxBackoffMs, this.policy.baseBackoffMs * 2 ** exponent);
    this.set('down', now);
  }

  private set(state: HealthState, now: number): void {
    if (state !== this.state) this.since = now;
    this.state = state;
  }
}
