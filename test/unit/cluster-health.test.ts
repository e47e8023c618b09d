import { describe, expect, it } from 'vitest';
import { NodeHealth } from '../../src/cluster/health.js';

const policy = { failureThreshold: 2, baseBackoffMs: 100, maxBackoffMs: 800 };

describe('a node circuit', () => {
  it('starts suspect and closes on the first answer', () => {
    const health = new NodeHealth(policy, 0);
    expect(health.state).toBe('suspect');
    health.succeeded(10);
    expect(health.state).toBe('up');
  });

  it('turns suspect after one failed probe and opens after the threshold', () => {
    const health = new NodeHealth(policy, 0);
    health.succeeded(0);
    health.probeFailed(10);
    expect(health.state).toBe('suspect');
    health.probeFailed(20);
    expect(health.state).toBe('down');
  });

  it('opens at once when a statement loses its connection', () => {
    const health = new NodeHealth(policy, 0);
    health.succeeded(0);
    health.connectionFailed(5);
    expect(health.state).toBe('down');
  });

  it('re-probes an open circuit with exponential backoff up to the maximum', () => {
    const health = new NodeHealth(policy, 0);
    health.connectionFailed(0);
    expect(health.dueForProbe(99)).toBe(false);
    expect(health.dueForProbe(100)).toBe(true);
    health.probeFailed(100);
    expect(health.dueForProbe(299)).toBe(false);
    expect(health.dueForProbe(300)).toBe(true);
    for (let i = 0; i < 10; i++) health.probeFailed(1000);
    expect(health.dueForProbe(1799)).toBe(false);
    expect(health.dueForProbe(1800)).toBe(true);
  });

  it('probes up and suspect nodes every round', () => {
    const health = new NodeHealth(policy, 0);
    expect(health.dueForProbe(0)).toBe(true);
    health.probeFailed(0);
    expect(health.state).toBe('suspect');
    expect(health.dueForProbe(1)).toBe(true);
  });

  it('closes again, with its failures forgotten, once a probe answers', () => {
    const health = new NodeHealth(policy, 0);
    health.connectionFailed(0);
    health.succeeded(500);
    expect(health.state).toBe('up');
    expect(health.consecutiveFailures).toBe(0);
    expect(health.since).toBe(500);
  });
});
