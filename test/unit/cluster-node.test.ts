import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode } from '../../src/cluster/node.js';
import type { ProbeResult } from '../../src/cluster/probe.js';

const probe = (overrides: Partial<ProbeResult>): ProbeResult => ({
  role: 'replica',
  systemIdentifier: 'sys',
  timeline: 2,
  lsn: 100n,
  replayDelaySeconds: null,
  replayPaused: false,
  synchronousStandbys: undefined,
  readsReplicationStatus: true,
  databaseRole: 'shopgraph',
  server: '10.0.0.2:5432',
  latencyMs: 1,
  sentAt: 0,
  ...overrides,
});

describe('a node as its probes describe it', () => {
  let node: ClusterNode;
  afterEach(() => node.close());
  const answers = (result: ProbeResult) => {
    node.recordProbe(result);
    node.health.succeeded(0);
  };

  it('keeps a replica on its newest timeline while it keeps answering, though a probe reads an older one', () => {
    // A replica pointed at a new primary restarts its WAL receiver; meanwhile its timeline
    // can only be read from its last restartpoint, timelines behind.
    node = new ClusterNode({ name: 'pg3', url: 'postgres://u:p@127.0.0.1:1/db' }, { max: 1, connectTimeoutSeconds: 1 }, 0);
    answers(probe({ timeline: 3 }));
    answers(probe({ timeline: 1, lsn: 200n }));
    expect(node.timeline).toBe(3);
    expect(node.lsn).toBe(200n);
  });

  it('takes the timeline a node reports after it stopped answering or changed role', () => {
    node = new ClusterNode({ name: 'pg3', url: 'postgres://u:p@127.0.0.1:1/db' }, { max: 1, connectTimeoutSeconds: 1 }, 0);
    answers(probe({ timeline: 3 }));
    node.health.connectionFailed(1);
    answers(probe({ timeline: 1 }));
    expect(node.timeline).toBe(1);
    answers(probe({ role: 'primary', timeline: 4 }));
    answers(probe({ timeline: 2 }));
    expect(node.timeline).toBe(2);
  });
});
