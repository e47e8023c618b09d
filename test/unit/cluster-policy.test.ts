import { describe, expect, it } from 'vitest';
import { seededRandom } from '../chaos/random.js';
import {
  chooseReplica,
  clusterMode,
  electPrimary,
  lagOf,
  referencePosition,
  replicaIneligibility,
  type NodeState,
} from '../../src/cluster/policy.js';

const node = (name: string, overrides: Partial<NodeState> = {}): NodeState => ({
  name,
  state: 'up',
  role: 'replica',
  timeline: 1,
  lsn: 1000n,
  replayDelaySeconds: null,
  inFlight: 0,
  latencyMs: 1,
  ...overrides,
});
const bounds = { maxLagBytes: 100, maxLagSeconds: 5 };

/** A random source that returns these draws in order. */
const draws =
  (...values: number[]) =>
  () => {
    const value = values.shift();
    if (value === undefined) throw new Error('more draws than the test gave');
    return value;
  };

describe('electing the primary', () => {
  it('never elects a pooled endpoint, whatever the server behind it says', () => {
    const pooled = node('readers', { role: 'primary', pooled: 'it answered from one server, then another, then the first again' });
    expect(electPrimary([pooled, node('b')], 1)).toEqual({ primary: undefined, fenced: [], conflict: false });
  });

  it('elects the one answering node that says it is primary', () => {
    const primary = node('a', { role: 'primary' });
    expect(electPrimary([primary, node('b'), node('c')], 1)).toEqual({ primary, fenced: [], conflict: false });
  });

  it('elects nobody when the primary does not answer', () => {
    expect(electPrimary([node('a', { role: 'primary', state: 'down' }), node('b')], 1).primary).toBeUndefined();
  });

  it('fences an old primary on an older timeline than the promoted one', () => {
    const old = node('a', { role: 'primary', timeline: 1 });
    const promoted = node('b', { role: 'primary', timeline: 2 });
    expect(electPrimary([old, promoted, node('c', { timeline: 2 })], 2)).toEqual({ primary: promoted, fenced: [old], conflict: false });
  });

  it('fences a primary on an older timeline than a replica, even with no newer primary up', () => {
    const old = node('a', { role: 'primary', timeline: 1 });
    expect(electPrimary([old, node('c', { timeline: 2 })], 1)).toEqual({ primary: undefined, fenced: [old], conflict: false });
  });

  it.each(['suspect', 'down'] as const)(
    'elects nobody, never the old primary, while the newest primary is %s and an older one answers',
    (state) => {
      const old = node('pg1', { role: 'primary', timeline: 1 });
      const newest = node('pg2', { role: 'primary', timeline: 2, state });
      const follower = node('pg3', { timeline: 1 });
      expect(electPrimary([old, newest, follower], 2)).toEqual({ primary: undefined, fenced: [old], conflict: false });
    },
  );

  it('elects the newest primary again as soon as it answers', () => {
    const old = node('pg1', { role: 'primary', timeline: 1 });
    const newest = node('pg2', { role: 'primary', timeline: 2 });
    expect(electPrimary([old, newest], 2)).toEqual({ primary: newest, fenced: [old], conflict: false });
  });

  it('fences an old primary after a restart when the remembered timeline is newer than every answering node', () => {
    // The manager restarted while pg2 (timeline 2) is unreachable: only its memory knows timeline 2.
    const old = node('pg1', { role: 'primary', timeline: 1 });
    const follower = node('pg3', { timeline: 1 });
    expect(electPrimary([old, node('pg2', { state: 'down', timeline: 0 }), follower], 2)).toEqual({
      primary: undefined,
      fenced: [old],
      conflict: false,
    });
  });

  it('elects the old primary after a restart that remembers nothing, which is all the answering nodes can tell', () => {
    const old = node('pg1', { role: 'primary', timeline: 1 });
    expect(electPrimary([old, node('pg2', { state: 'down', timeline: 0 }), node('pg3', { timeline: 1 })], 0).primary).toBe(old);
  });

  it('refuses to guess between two primaries on the same newest timeline', () => {
    const a = node('a', { role: 'primary', timeline: 3 });
    const b = node('b', { role: 'primary', timeline: 3 });
    expect(electPrimary([a, b], 3)).toEqual({ primary: undefined, fenced: [a, b], conflict: true });
  });
});

describe('replica lag', () => {
  it('is measured against the primary and never negative', () => {
    expect(lagOf(node('r', { lsn: 900n, replayDelaySeconds: 2 }), 1000n)).toEqual({ bytes: 100, seconds: 2 });
    expect(lagOf(node('r', { lsn: 1100n }), 1000n)).toEqual({ bytes: 0, seconds: 0 });
  });

  it('is zero in seconds too for a replica that has replayed everything the primary has', () => {
    expect(lagOf(node('r', { lsn: 1000n, replayDelaySeconds: 30 }), 1000n)).toEqual({ bytes: 0, seconds: 0 });
  });

  it('is zero for the primary itself', () => {
    expect(lagOf(node('p', { role: 'primary', lsn: 5n }), 1000n)).toEqual({ bytes: 0, seconds: 0 });
  });

  it('is measured against the furthest answering node when there is no primary', () => {
    const nodes = [node('a', { lsn: 700n }), node('b', { lsn: 900n }), node('c', { lsn: 2000n, state: 'down' })];
    expect(referencePosition(nodes, undefined, 1)).toBe(900n);
  });

  it('is measured only against nodes on the newest timeline when there is no primary', () => {
    // pg1 wrote on past the fork on timeline 1: its positions say nothing about timeline 2.
    const nodes = [node('pg1', { role: 'primary', timeline: 1, lsn: 9000n }), node('pg3', { timeline: 2, lsn: 800n })];
    expect(referencePosition(nodes, undefined, 2)).toBe(800n);
  });
});

describe('replica eligibility', () => {
  it('admits a healthy replica within both lag bounds', () => {
    expect(replicaIneligibility(node('r'), { bytes: 100, seconds: 5 }, bounds, 1)).toBeUndefined();
  });

  it.each([
    ['too many bytes behind', { bytes: 101, seconds: 0 }],
    ['too many seconds behind', { bytes: 0, seconds: 5.5 }],
  ])('refuses a replica %s as lagging', (_, lag) => {
    expect(replicaIneligibility(node('r'), lag, bounds, 1)).toBe('lagging');
  });

  it.each(['suspect', 'down'] as const)('refuses a %s replica as unhealthy', (state) => {
    expect(replicaIneligibility(node('r', { state }), { bytes: 0, seconds: 0 }, bounds, 1)).toBe('unhealthy');
  });

  it('refuses a replica that still follows an older timeline', () => {
    expect(replicaIneligibility(node('r', { timeline: 1 }), { bytes: 0, seconds: 0 }, bounds, 2)).toBe('fenced-timeline');
  });

  it('refuses a replica still following a superseded primary, however fresh it is against that primary', () => {
    // pg3 replays everything pg1 writes, so it shows no lag; but pg1 lost a failover.
    const follower = node('pg3', { timeline: 1, lsn: 5000n });
    expect(replicaIneligibility(follower, lagOf(follower, 5000n), bounds, 2)).toBe('fenced-timeline');
  });

  it('refuses a replica whose timeline is not known yet', () => {
    expect(replicaIneligibility(node('r', { timeline: 0 }), { bytes: 0, seconds: 0 }, bounds, 1)).toBe('fenced-timeline');
  });

  it('refuses the primary as not a replica', () => {
    expect(replicaIneligibility(node('p', { role: 'primary' }), { bytes: 0, seconds: 0 }, bounds, 1)).toBe('not-a-replica');
  });
});

describe('choosing a replica (power of two choices)', () => {
  it('picks the less loaded of its two draws nearly always', () => {
    const busy = node('busy', { inFlight: 9 });
    const idle = node('idle', { inFlight: 0 });
    // The first draw picks index 0 (busy), the second the other one (idle); the idle one costs
    // a tenth of the busy one, so it wins ten draws in eleven.
    expect(chooseReplica([busy, idle], draws(0, 0, 0.9))).toBe(idle);
    expect(chooseReplica([busy, idle], draws(0, 0, 0.91))).toBe(busy);
  });

  it('weighs slowness as well as load', () => {
    const slow = node('slow', { latencyMs: 50 });
    const fast = node('fast', { latencyMs: 2, inFlight: 3 });
    expect(chooseReplica([slow, fast], draws(0, 0, 0.8))).toBe(fast);
  });

  it('still gives the slower of two idle replicas its share of reads one at a time', () => {
    const fast = node('fast', { latencyMs: 1 });
    const slow = node('slow', { latencyMs: 3 });
    const random = seededRandom(7).next;
    const chosen = Array.from({ length: 4000 }, () => chooseReplica([fast, slow], random)!.name);
    const share = chosen.filter((name) => name === 'slow').length / chosen.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.3);
  });

  it('never draws the same node twice', () => {
    const nodes = [node('a'), node('b'), node('c')];
    const chosen = chooseReplica(nodes, draws(0.99, 0.99, 0.5));
    expect(['b', 'c']).toContain(chosen!.name);
  });

  it('returns the only candidate, or none', () => {
    const only = node('only');
    expect(chooseReplica([only], Math.random)).toBe(only);
    expect(chooseReplica([], Math.random)).toBeUndefined();
  });
});

describe('cluster mode', () => {
  it.each([
    [true, 2, 3, 'normal'],
    [true, 0, 1, 'degraded'],
    [false, 2, 2, 'read-only'],
    [false, 0, 0, 'unavailable'],
  ] as const)('is %s primary, %i eligible replicas, %i readable nodes -> %s', (hasPrimary, eligible, readable, mode) => {
    expect(clusterMode(hasPrimary, eligible, readable)).toBe(mode);
  });
});
