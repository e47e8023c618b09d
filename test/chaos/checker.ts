import type { Operation } from './history.js';

/**
 * Checks one schedule's history against ShopGraph's promises, with the database's own
 * tables (read on the final primary once everything healed) as the reference for what
 * happened. Pure: the run gathers the inputs, this decides.
 */
export interface FinalState {
  /** Order ids on the final primary for each idempotency key the schedule's clients used. */
  ordersByKey: Map<string, number[]>;
  /** Units of each product in those orders. */
  orderedUnits: Map<number, number>;
  /** Units on hand of each product, summed over warehouses, before the schedule and after it. */
  stockBefore: Map<number, number>;
  stockAfter: Map<number, number>;
}

export interface CheckOptions {
  /** How stale a read may be: the lag bound in seconds the server ran with, plus probe slack, in ms. */
  stalenessBoundMs: number;
  /** Whether some node on the newest timeline could serve throughout [from, to] (ms of the history). */
  servable: (from: number, to: number) => boolean;
}

export type Rule =
  | 'lost-acknowledged-write'
  | 'duplicate-order'
  | 'phantom-order'
  | 'stock-mismatch'
  | 'token-violation'
  | 'superseded-timeline-read'
  | 'stale-read'
  | 'failed-read-while-servable';

export interface Violation {
  rule: Rule;
  /** The operation that shows it (its index in the history), when one does. */
  op?: number;
  detail: string;
}

export interface Verdict {
  acknowledgedWrites: number;
  lostAcknowledgedWrites: number;
  duplicateOrders: number;
  phantomOrders: number;
  stockMismatches: number;
  tokenViolations: number;
  /** Reads served from an older timeline after a write on a newer one was acknowledged. */
  supersededTimelineReads: number;
  /** Reads that missed a write acknowledged longer ago than the staleness bound. */
  staleReads: number;
  failedReads: number;
  failedReadsWhileServable: number;
  violations: Violation[];
}

export function checkHistory(history: readonly Operation[], final: FinalState, options: CheckOptions): Verdict {
  const violations: Violation[] = [];
  const orders = history.filter((op) => op.kind === 'order');
  const acknowledged = orders.filter((op) => op.outcome === 'ok');
  const byKey = groupBy(orders, (op) => op.key!);

  let lost = 0;
  let duplicates = 0;
  let phantoms = 0;
  for (const [key, attempts] of byKey) {
    const stored = final.ordersByKey.get(key) ?? [];
    const acknowledgedIds = new Set(attempts.filter((op) => op.outcome === 'ok').map((op) => op.orderId!));
    if (stored.length > 1 || acknowledgedIds.size > 1) {
      duplicates += 1;
      violations.push({
        rule: 'duplicate-order',
        op: attempts[0]!.index,
        detail: `key ${key}: orders ${stored.join(', ') || 'none'} stored, ${[...acknowledgedIds].join(', ') || 'none'} acknowledged`,
      });
    }
    for (const id of acknowledgedIds) {
      if (stored.includes(id)) continue;
      lost += 1;
      const op = attempts.find((attempt) => attempt.orderId === id)!;
      violations.push({
        rule: 'lost-acknowledged-write',
        op: op.index,
        detail: `order ${id} (key ${key}) was acknowledged by ${op.node} on timeline ${op.timeline}; the final primary has ${stored.join(', ') || 'none'}`,
      });
    }
    if (acknowledgedIds.size === 0 && stored.length > 0 && !attempts.some((op) => op.outcome === 'unknown')) {
      phantoms += 1;
      violations.push({
        rule: 'phantom-order',
        op: attempts[0]!.index,
        detail: `order ${stored.join(', ')} (key ${key}) exists, but every attempt was refused: ${attempts.map((op) => op.code).join(', ')}`,
      });
    }
  }

  let stockMismatches = 0;
  for (const [productId, before] of final.stockBefore) {
    const expected = before - (final.orderedUnits.get(productId) ?? 0);
    const after = final.stockAfter.get(productId);
    if (after === expected) continue;
    stockMismatches += 1;
    violations.push({
      rule: 'stock-mismatch',
      detail: `product ${productId}: ${before} on hand, orders took ${before - expected}, ${after} left`,
    });
  }

  let tokenViolations = 0;
  for (const op of history) {
    if (op.kind !== 'token-read' || op.outcome !== 'ok' || op.found) continue;
    tokenViolations += 1;
    violations.push({
      rule: 'token-violation',
      op: op.index,
      detail: `order ${op.orderId} was not there on ${op.node} with its token ${op.token}`,
    });
  }

  const reads = history.filter((op) => op.kind !== 'order');
  let superseded = 0;
  const firstAcknowledgement = new Map<number, number>();
  for (const op of acknowledged) {
    const timeline = op.timeline ?? 0;
    firstAcknowledgement.set(timeline, Math.min(firstAcknowledgement.get(timeline) ?? Infinity, op.completedAt));
  }
  for (const op of reads) {
    if (op.outcome !== 'ok' || op.timeline === undefined) continue;
    const newer = [...firstAcknowledgement].find(([timeline, at]) => timeline > op.timeline! && at < op.invokedAt);
    if (!newer) continue;
    superseded += 1;
    violations.push({
      rule: 'superseded-timeline-read',
      op: op.index,
      detail: `served by ${op.node} on timeline ${op.timeline}, ${op.invokedAt - newer[1]} ms after a write was acknowledged on timeline ${newer[0]}`,
    });
  }

  let stale = 0;
  const acknowledgements = [...acknowledged].sort((a, b) => a.completedAt - b.completedAt);
  const highestSoFar: number[] = [];
  for (const op of acknowledgements) highestSoFar.push(Math.max(highestSoFar.at(-1) ?? 0, op.orderId!));
  for (const op of reads) {
    if (op.kind !== 'read' || op.outcome !== 'ok' || op.newestOrderId === undefined) continue;
    const before = lastIndexBefore(acknowledgements, op.invokedAt - options.stalenessBoundMs);
    if (before < 0 || highestSoFar[before]! <= op.newestOrderId) continue;
    stale += 1;
    violations.push({
      rule: 'stale-read',
      op: op.index,
      detail: `${op.node} showed orders up to ${op.newestOrderId}; order ${highestSoFar[before]} was acknowledged more than ${options.stalenessBoundMs} ms earlier`,
    });
  }

  const failedReads = reads.filter((op) => op.outcome !== 'ok');
  let failedWhileServable = 0;
  for (const op of failedReads) {
    if (!options.servable(op.invokedAt, op.completedAt)) continue;
    failedWhileServable += 1;
    violations.push({
      rule: 'failed-read-while-servable',
      op: op.index,
      detail: `${op.kind} failed with ${op.code} while a node on the newest timeline was healthy`,
    });
  }

  return {
    acknowledgedWrites: new Set(acknowledged.map((op) => op.key)).size,
    lostAcknowledgedWrites: lost,
    duplicateOrders: duplicates,
    phantomOrders: phantoms,
    stockMismatches,
    tokenViolations,
    supersededTimelineReads: superseded,
    staleReads: stale,
    failedReads: failedReads.length,
    failedReadsWhileServable: failedWhileServable,
    violations,
  };
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}

/** Index of the last operation completed before `time` in a list sorted by completion, or -1. */
function lastIndexBefore(sorted: readonly Operation[], time: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]!.completedAt < time) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}
