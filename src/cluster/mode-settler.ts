import type { ClusterMode } from './policy.js';

/**
 * The cluster mode as it is reported (status, readiness, metrics, the log): a new mode only
 * once it has held for `holdMs`. While replicas catch up with a burst of writes they cross the
 * lag bound back and forth every probe round, and a mode that flapped between normal and
 * degraded ten times in five seconds told operators nothing. Routing never waits for it.
 */
export class ModeSettler {
  private reported: ClusterMode;
  private pending: { mode: ClusterMode; since: number } | undefined;

  constructor(
    initial: ClusterMode,
    private readonly holdMs: number,
  ) {
    this.reported = initial;
  }

  get mode(): ClusterMode {
    return this.reported;
  }

  /** The mode is `current` at `now`; returns the change when the reported mode changes. */
  observe(current: ClusterMode, now: number): { from: ClusterMode; to: ClusterMode; heldMs: number } | undefined {
    if (current === this.reported) {
      this.pending = undefined;
      return undefined;
    }
    if (this.pending?.mode !== current) this.pending = { mode: current, since: now };
    const heldMs = now - this.pending.since;
    if (heldMs < this.holdMs) return undefined;
    const change = { from: this.reported, to: current, heldMs };
    this.reported = current;
    this.pending = undefined;
    return change;
  }
}
