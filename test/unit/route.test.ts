import { describe, expect, it } from 'vitest';
import type { ClusterNode, FailureKind, ReadChoice, RouteIntent } from '../../src/cluster/index.js';
import { Deadline, Route } from '../../src/cluster/index.js';
import type { ReadConstraints, RouteHost } from '../../src/cluster/route.js';
import { PrimaryUnavailableError } from '../../src/errors.js';

/** A node as much as a route uses it: its name, timeline, position, load, and whether it was superseded. */
const node = (name: string, timeline: number, lsn = 100n) => {
  const listeners = new Set<() => void>();
  return {
    name,
    timeline,
    lsn,
    inFlight: 0,
    observeLatency: () => {},
    role: 'primary',
    onSuperseded: (listener: () => void) => (listeners.add(listener), () => listeners.delete(listener)),
    superseded: () => listeners.forEach((listener) => listener()),
  } as unknown as ClusterNode;
};

/** A connection manager that hands out the nodes it is given, in order, and records what the route asked. */
function host(primaries: (ClusterNode | Error)[], readers: ClusterNode[] = []) {
  const asked: ReadConstraints[] = [];
  const failures: [string, FailureKind][] = [];
  const routeHost: RouteHost = {
    async awaitPrimary() {
      const next = primaries.shift()!;
      if (next instanceof Error) throw next;
      return next;
    },
    async chooseReader(constraints): Promise<ReadChoice> {
      asked.push(constraints);
      return { node: readers.shift()!, decision: 'replica' };
    },
    reportFailure: (failed, kind) => void failures.push([failed.name, kind]),
    countPrimaryRequested: () => {},
    countRetry: (_: RouteIntent) => {},
    statementTimeoutMs: 1000,
    newestTimeline: 2,
  };
  return { routeHost, asked, failures };
}

/** What postgres.js raises when the connection broke with a statement in flight. */
const connectionLost = () => Object.assign(new Error('write CONNECTION_CLOSED'), { code: 'CONNECTION_CLOSED' });

describe('a route', () => {
  it('answers WRITE_OUTCOME_UNKNOWN for an idempotent write that may have committed when no primary takes its retry', async () => {
    const { routeHost } = host([node('pg1', 1), new PrimaryUnavailableError('no primary database is reachable', 1)]);
    const route = new Route(routeHost, 'write');
    const attempt = route.run(
      async () => {
        throw connectionLost();
      },
      { kind: 'write', idempotent: true },
    );
    await expect(attempt).rejects.toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN' });
  });

  it('acknowledges a write that finished when its deadline was up but before the cancel was sent', async () => {
    const { routeHost } = host([node('pg1', 1)]);
    const route = new Route(routeHost, 'write', { deadline: new Deadline(10) });
    const write = route.run(
      async () => {
        // Holds the event loop past the deadline's time, so its timer cannot send the cancel first.
        const until = performance.now() + 30;
        while (performance.now() < until);
        return 'committed';
      },
      { kind: 'write' },
    );
    await expect(write).resolves.toBe('committed');
  });

  it('never retries a write on a primary of an older timeline than the first attempt', async () => {
    const ran: string[] = [];
    const { routeHost } = host([node('pg2', 2), node('pg1', 1)]);
    const route = new Route(routeHost, 'write');
    const attempt = route.run(
      async (on) => {
        ran.push(on.name);
        throw connectionLost();
      },
      { kind: 'write', idempotent: true },
    );
    await expect(attempt).rejects.toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN' });
    expect(ran).toEqual(['pg2']);
  });

  it('retries an idempotent write on the primary of a newer timeline', async () => {
    const { routeHost } = host([node('pg1', 1), node('pg2', 2)]);
    const route = new Route(routeHost, 'write');
    const ran: string[] = [];
    const result = await route.run(
      async (on) => {
        ran.push(on.name);
        if (on.name === 'pg1') throw connectionLost();
        return 'placed';
      },
      { kind: 'write', idempotent: true },
    );
    expect([result, ran]).toEqual(['placed', ['pg1', 'pg2']]);
  });

  it('abandons an idempotent write on a primary superseded while it ran, cancels it there, and retries it on the new primary', async () => {
    const old = node('pg1', 1);
    const { routeHost, failures } = host([old, node('pg2', 2)]);
    const route = new Route(routeHost, 'write');
    const ran: string[] = [];
    const result = route.run(
      (on) => {
        ran.push(on.name);
        if (on.name === 'pg2') return Promise.resolve('placed');
        // A commit waiting for a synchronous standby that now follows another primary.
        setTimeout(() => old.superseded(), 10);
        return new Promise<string>(() => {});
      },
      { kind: 'write', idempotent: true },
    );
    await expect(result).resolves.toBe('placed');
    expect(ran).toEqual(['pg1', 'pg2']);
    expect(failures).toEqual([['pg1', 'connection-lost']]);
  });

  it('answers WRITE_OUTCOME_UNKNOWN at once for a write without a key on a primary superseded while it ran', async () => {
    const old = node('pg1', 1);
    const { routeHost } = host([old]);
    const route = new Route(routeHost, 'write');
    const result = route.run(
      () => {
        setTimeout(() => old.superseded(), 10);
        return new Promise<string>(() => {});
      },
      { kind: 'write' },
    );
    await expect(result).rejects.toMatchObject({ code: 'WRITE_OUTCOME_UNKNOWN' });
  });

  it('retries a read only on a node at least as far on the same timeline as the one that failed', async () => {
    const first = node('pg2', 2, 500n);
    const { routeHost, asked, failures } = host([], [first, node('pg3', 2, 600n)]);
    const route = new Route(routeHost, 'read');
    await route.run(async (on) => {
      if (on === first) throw connectionLost();
      return on.name;
    });
    expect(failures).toEqual([['pg2', 'connection-lost']]);
    expect(asked[1]).toMatchObject({ floor: { timeline: 2, lsn: 500n }, exclude: new Set([first]) });
  });

  it('moves a read on to a third node when the second fails too, never back to one that failed', async () => {
    const [pg2, pg3, pg1] = [node('pg2', 2), node('pg3', 2), node('pg1', 2)];
    const { routeHost, asked, failures } = host([], [pg2, pg3, pg1]);
    const ran: string[] = [];
    const answer = await new Route(routeHost, 'read').run(async (on) => {
      ran.push(on.name);
      if (on !== pg1) throw connectionLost();
      return on.name;
    });
    expect(answer).toBe('pg1');
    expect(ran).toEqual(['pg2', 'pg3', 'pg1']);
    expect(failures).toEqual([
      ['pg2', 'connection-lost'],
      ['pg3', 'connection-lost'],
    ]);
    expect(asked[2]).toMatchObject({ exclude: new Set([pg2, pg3]) });
  });

  it('gives a read up with SERVICE_UNAVAILABLE after three nodes failed it', async () => {
    const { routeHost } = host([], [node('pg2', 2), node('pg3', 2), node('pg1', 2), node('pg4', 2)]);
    const ran: string[] = [];
    const attempt = new Route(routeHost, 'read').run(async (on) => {
      ran.push(on.name);
      throw connectionLost();
    });
    await expect(attempt).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(ran).toEqual(['pg2', 'pg3', 'pg1']);
  });
});
