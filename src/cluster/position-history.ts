import type { Lsn } from './lsn.js';

/**
 * When the cluster's newest position first went past each LSN, as the probes saw it, so the
 * manager can tell how long a replica has been missing WAL that exists. PostgreSQL's own
 * replay delay only counts what a replica received and has not replayed: a replica that
 * receives nothing (its link to the primary cut, or its primary frozen after another replica
 * confirmed the last commits) shows no delay at all while it misses acknowledged writes.
 */
export class PositionHistory {
  private timeline = 0;
  /** Rising positions and when each was first seen; older than `keepMs` they are dropped. */
  private entries: { at: number; lsn: Lsn }[] = [];

  constructor(private readonly keepMs: number) {}

  /** The newest position now is `lsn` on `timeline`. */
  record(timeline: number, lsn: Lsn, now: number): void {
    if (timeline !== this.timeline) {
      this.timeline = timeline;
      this.entries = [];
    }
    const last = this.entries.at(-1);
    if (last && lsn <= last.lsn) return;
    this.entries.push({ at: now, lsn });
    const cutoff = now - this.keepMs;
    // Keep one entry older than the window: a replica further behind is missing at least that long.
    let drop = 0;
    while (drop + 1 < this.entries.length && this.entries[drop + 1]!.at < cutoff) drop += 1;
    if (drop > 0) this.entries.splice(0, drop);
  }

  /**
   * For how many ms WAL past `lsn` on `timeline` has existed: 0 when nothing past it is known
   * (the node is as far as anyone), and unknown (0) on another timeline, where positions do
   * not compare.
   */
  missingFor(timeline: number, lsn: Lsn, now: number): number {
    if (timeline !== this.timeline) return 0;
    // The first entry past `lsn`: positions only rise, so a binary search finds it.
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.entries[middle]!.lsn > lsn) high = middle;
      else low = middle + 1;
    }
    const first = this.entries[low];
    return first ? Math.max(0, now - first.at) : 0;
  }
}
