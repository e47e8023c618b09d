import { describe, expect, it } from 'vitest';
import { lagOf, type NodeState } from '../../src/cluster/policy.js';
import { PositionHistory } from '../../src/cluster/position-history.js';

describe('the history of the newest position', () => {
  it('says how long WAL past a position has existed', () => {
    const history = new PositionHistory(60_000);
    history.record(1, 100n, 1_000);
    history.record(1, 200n, 2_000);
    history.record(1, 300n, 3_000);
    expect(history.missingFor(1, 150n, 5_000)).toBe(3_000);
    expect(history.missingFor(1, 250n, 5_000)).toBe(2_000);
    expect(history.missingFor(1, 300n, 5_000)).toBe(0);
  });

  it('keeps the time a position was first seen, not when it was seen again', () => {
    const history = new PositionHistory(60_000);
    history.record(1, 200n, 1_000);
    history.record(1, 200n, 4_000);
    history.record(1, 150n, 4_500);
    expect(history.missingFor(1, 100n, 5_000)).toBe(4_000);
  });

  it('starts again on a new timeline, where older positions do not compare', () => {
    const history = new PositionHistory(60_000);
    history.record(1, 900n, 1_000);
    history.record(2, 300n, 2_000);
    expect(history.missingFor(2, 100n, 3_000)).toBe(1_000);
    expect(history.missingFor(1, 100n, 3_000)).toBe(0);
  });

  it('forgets what is older than its window but still counts a node behind it as missing at least that long', () => {
    const history = new PositionHistory(10_000);
    for (let second = 0; second <= 100; second++) history.record(1, BigInt(second), second * 1_000);
    expect(history.missingFor(1, 0n, 100_000)).toBeGreaterThanOrEqual(10_000);
  });
});

describe('replica lag in seconds', () => {
  const replica: NodeState = {
    name: 'pg1',
    state: 'up',
    role: 'replica',
    timeline: 1,
    lsn: 100n,
    replayDelaySeconds: null,
    inFlight: 0,
    latencyMs: 1,
  };

  it('counts how long WAL the replica lacks has existed, though it has replayed all it received', () => {
    // Its primary froze right after another replica confirmed the last commits: it receives nothing.
    expect(lagOf(replica, 200n, 4.5)).toEqual({ bytes: 100, seconds: 4.5 });
  });

  it('takes the replay delay when it is the larger', () => {
    expect(lagOf({ ...replica, replayDelaySeconds: 7 }, 200n, 1)).toEqual({ bytes: 100, seconds: 7 });
  });
});
