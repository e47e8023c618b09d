import { describe, expect, it } from 'vitest';
import { checkHistory, type FinalState } from '../chaos/checker.js';
import type { Operation } from '../chaos/history.js';

let index = 0;
const op = (fields: Partial<Operation> & Pick<Operation, 'kind' | 'outcome'>): Operation => ({
  index: index++,
  worker: 0,
  invokedAt: 0,
  completedAt: 10,
  ...fields,
});
const order = (key: string, orderId: number | undefined, outcome: Operation['outcome'], fields: Partial<Operation> = {}) =>
  op({ kind: 'order', outcome, key, productId: 1, ...(orderId === undefined ? {} : { orderId }), node: 'pg1', timeline: 1, ...fields });
const final = (
  ordersByKey: Record<string, number[]>,
  stock: { before: number; ordered: number; after: number } = { before: 10, ordered: 0, after: 10 },
): FinalState => ({
  ordersByKey: new Map(Object.entries(ordersByKey)),
  orderedUnits: new Map([[1, stock.ordered]]),
  stockBefore: new Map([[1, stock.before]]),
  stockAfter: new Map([[1, stock.after]]),
});
const options = { stalenessBoundMs: 3000, servable: () => false };
const rules = (history: Operation[], state: FinalState, overrides = {}) =>
  checkHistory(history, state, { ...options, ...overrides }).violations.map((violation) => violation.rule);

describe('the chaos history checker', () => {
  it('passes a history whose acknowledged orders are all on the final primary once', () => {
    const history = [order('a', 1, 'ok'), order('b', undefined, 'unknown'), order('b', 2, 'ok', { replayed: true })];
    expect(rules(history, final({ a: [1], b: [2] }, { before: 10, ordered: 2, after: 8 }))).toEqual([]);
  });

  it('finds an acknowledged order the final primary does not have', () => {
    expect(rules([order('a', 1, 'ok')], final({}))).toEqual(['lost-acknowledged-write']);
  });

  it('finds a key with two orders, and a key acknowledged with two different orders', () => {
    expect(rules([order('a', 1, 'ok')], final({ a: [1, 2] }))).toEqual(['duplicate-order']);
    expect(rules([order('a', 1, 'ok'), order('a', 2, 'ok')], final({ a: [2] }))).toEqual(['duplicate-order', 'lost-acknowledged-write']);
  });

  it('accepts an unacknowledged order only where an attempt ended unknown', () => {
    expect(rules([order('a', undefined, 'unknown')], final({ a: [1] }))).toEqual([]);
    expect(rules([order('a', undefined, 'fail', { code: 'PRIMARY_UNAVAILABLE' })], final({ a: [1] }))).toEqual(['phantom-order']);
  });

  it('finds stock that does not add up to what the orders took', () => {
    expect(rules([order('a', 1, 'ok')], final({ a: [1] }, { before: 10, ordered: 1, after: 8 }))).toEqual(['stock-mismatch']);
  });

  it('finds a read with a consistency token that did not see its write', () => {
    expect(rules([op({ kind: 'token-read', outcome: 'ok', found: false, orderId: 1 })], final({}))).toEqual(['token-violation']);
  });

  it('finds a read from an older timeline after a write on a newer one was acknowledged', () => {
    const history = [
      order('a', 1, 'ok', { timeline: 2, completedAt: 100 }),
      op({ kind: 'read', outcome: 'ok', timeline: 1, invokedAt: 50, completedAt: 60, newestOrderId: 0 }),
      op({ kind: 'read', outcome: 'ok', timeline: 1, invokedAt: 150, completedAt: 160, newestOrderId: 1 }),
    ];
    expect(rules(history, final({ a: [1] }, { before: 10, ordered: 1, after: 9 }))).toEqual(['superseded-timeline-read']);
  });

  it('finds a read that missed a write acknowledged longer ago than the staleness bound', () => {
    const history = [
      order('a', 7, 'ok', { completedAt: 100 }),
      op({ kind: 'read', outcome: 'ok', timeline: 1, invokedAt: 2000, completedAt: 2010, newestOrderId: 3 }),
      op({ kind: 'read', outcome: 'ok', timeline: 1, invokedAt: 5000, completedAt: 5010, newestOrderId: 3 }),
    ];
    const verdict = checkHistory(history, final({ a: [7] }, { before: 10, ordered: 1, after: 9 }), options);
    expect(verdict.violations.map((violation) => [violation.rule, violation.op])).toEqual([['stale-read', history[2]!.index]]);
  });

  it('counts failed reads, and holds against us only those while a node could serve', () => {
    const history = [
      op({ kind: 'read', outcome: 'unknown', code: 'NETWORK', invokedAt: 0 }),
      op({ kind: 'read', outcome: 'fail', code: 'SERVICE_UNAVAILABLE', invokedAt: 500 }),
    ];
    const verdict = checkHistory(history, final({}), { ...options, servable: (from) => from >= 500 });
    expect(verdict.failedReads).toBe(2);
    expect(verdict.violations.map((violation) => violation.rule)).toEqual(['failed-read-while-servable']);
  });
});
