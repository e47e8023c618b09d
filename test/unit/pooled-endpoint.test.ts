import { describe, expect, it } from 'vitest';
import { PooledEndpointDetector, type ServerSighting } from '../../src/cluster/pooled-endpoint.js';

const at = (server: string | null, lsn: bigint, timeline = 1): ServerSighting => ({ server, systemIdentifier: 'sys', timeline, lsn });

describe('telling a URL with several servers behind it from one server', () => {
  it('takes a URL that answers from one server, another, then the first again for a pooled endpoint', () => {
    const detector = new PooledEndpointDetector();
    expect(detector.observe(at('10.0.0.2:5432', 100n), 0)).toBe(false);
    expect(detector.observe(at('10.0.0.3:5432', 100n), 5_000)).toBe(false);
    expect(detector.observe(at('10.0.0.2:5432', 120n), 10_000)).toBe(true);
    expect(detector.pooled).toMatch(/then another, then the first again/);
  });

  it('takes one move to another address for a server that moved, not a pool', () => {
    const detector = new PooledEndpointDetector();
    detector.observe(at('10.0.0.2:5432', 100n), 0);
    for (let i = 1; i <= 20; i++) detector.observe(at('10.0.0.9:5432', 100n + BigInt(i)), i * 500);
    expect(detector.pooled).toBeUndefined();
  });

  it('forgets servers seen longer than a minute ago', () => {
    const detector = new PooledEndpointDetector();
    detector.observe(at('10.0.0.2:5432', 100n), 0);
    detector.observe(at('10.0.0.3:5432', 100n), 1_000);
    expect(detector.observe(at('10.0.0.2:5432', 100n), 70_000)).toBe(false);
  });

  it('takes two backward moves of the position on one timeline for a pool, not one', () => {
    const detector = new PooledEndpointDetector();
    detector.observe(at(null, 500n), 0);
    expect(detector.observe(at(null, 400n), 500)).toBe(false);
    detector.observe(at(null, 600n), 1_000);
    expect(detector.observe(at(null, 450n), 1_500)).toBe(true);
    expect(detector.pooled).toMatch(/went backwards/);
  });

  it('does not compare positions across a timeline change or an outage', () => {
    const detector = new PooledEndpointDetector();
    detector.observe(at(null, 500n, 2), 0);
    detector.observe(at(null, 400n, 1), 500);
    detector.observe(at(null, 300n, 1), 1_000);
    detector.interrupted();
    detector.observe(at(null, 200n, 1), 5_000);
    expect(detector.pooled).toBeUndefined();
  });

  it('stays a pooled endpoint once it was seen to be one', () => {
    const detector = new PooledEndpointDetector();
    detector.observe(at('a:1', 1n), 0);
    detector.observe(at('b:1', 1n), 1);
    detector.observe(at('a:1', 1n), 2);
    for (let i = 0; i < 10; i++) detector.observe(at('a:1', 2n), 100_000 + i);
    expect(detector.pooled).toBeDefined();
  });
});
