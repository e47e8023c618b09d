import { QueryTooComplexError, RateLimitedError } from '../../errors.js';
import type { Caller } from '../auth/index.js';
import { ByteBoundedCache, documentBytes, identityOf, textBytes } from '../byte-cache.js';
import type { OperationDefinitionNode } from 'graphql';
import {
  actualCost,
  analyseOperation,
  measure,
  measuredVariables,
  type CostLimits,
  type Measure,
  type CostPlan,
  type Operation,
  type OperationShape,
} from './cost.js';
import type { Buckets, BucketState } from './rate-limiter.js';

export interface RequestLimits {
  /** Most cost points one request may have. */
  maxCost: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  maxPageSize: number;
}

/** What a request was charged before it ran. */
export interface Charge {
  plan: CostPlan;
  caller: Caller;
  requested: number;
}

/** `extensions.cost` of a response, named as the large public commerce APIs name it. */
export interface CostReport {
  requestedQueryCost: number;
  actualQueryCost: number;
  throttleStatus: BucketState;
}

/**
 * The static limits and the rate limit of every request: an operation over a limit is refused
 * (QUERY_TOO_COMPLEX, naming the limit and the figure), and one its caller's bucket cannot pay
 * for is refused (RATE_LIMITED); otherwise it is charged its requested cost, and what it did
 * not use is given back once its data is known.
 */
export class CostAccounting {
  private readonly measured = new WeakMap<OperationDefinitionNode, Map<string, Measure>>();
  /** Static analyses by operation and what they read of the variables. */
  readonly shapes: ByteBoundedCache<string, OperationShape>;

  constructor(
    private readonly limits: RequestLimits,
    private readonly rateLimiter: Buckets,
    maxBytes: number,
  ) {
    // A shape's collected fields point into its document, which it keeps alive.
    this.shapes = new ByteBoundedCache(
      'cost',
      maxBytes,
      (key, shape) =>
        textBytes(key) +
        shape.plan.collector.bytes +
        textBytes(JSON.stringify(shape.plan.collector.variables)) +
        documentBytes(shape.plan.operation),
    );
  }

  /** Charges the caller for the operation; throws QueryTooComplexError or RateLimitedError instead. */
  async charge(operation: Operation, caller: Caller): Promise<Charge> {
    return this.chargeShape(this.shapeOf(operation), caller);
  }

  /** Charges the caller for an operation of this shape (see shapeOf); throws as `charge` does. */
  async chargeShape(shape: OperationShape, caller: Caller): Promise<Charge> {
    const refusal = this.overLimit(shape);
    if (refusal) throw refusal;
    const taken = await this.rateLimiter.take(caller.id, caller.ratePerSecond, shape.cost);
    if (!taken.ok) {
      const capacity = this.rateLimiter.capacity(caller.ratePerSecond);
      if (shape.cost > capacity)
        throw new QueryTooComplexError("The query's cost is more than your rate limit ever allows at once", 'cost', shape.cost, capacity);
      throw new RateLimitedError(taken.retryAfterSeconds, shape.cost, taken.state.currentlyAvailable);
    }
    return { plan: shape.plan, caller, requested: shape.cost };
  }

  /**
   * Gives back what the data shows was not used, and reports the cost. A request that ran
   * until its deadline gets nothing back: it held a node all that time, and its data (none)
   * does not show what it used.
   */
  async settle(charge: Charge, data: Record<string, unknown> | null | undefined, ranToDeadline = false): Promise<CostReport> {
    return this.settleUsed(charge, ranToDeadline ? charge.requested : this.actualCostOf(charge, data));
  }

  /** What a request's data shows it used of its charge. */
  actualCostOf(charge: Charge, data: Record<string, unknown> | null | undefined): number {
    return Math.min(charge.requested, actualCost(charge.plan, data));
  }

  /** Gives back what a request did not use of its charge, having used `actual` (see actualCostOf), and reports the cost. */
  async settleUsed(charge: Charge, actual: number): Promise<CostReport> {
    const { caller } = charge;
    const throttleStatus = await this.rateLimiter.refund(caller.id, caller.ratePerSecond, charge.requested - actual);
    return { requestedQueryCost: charge.requested, actualQueryCost: actual, throttleStatus };
  }

  /** Gives back the whole charge of a request that did not run after all. */
  async cancel(charge: Charge): Promise<void> {
    await this.rateLimiter.refund(charge.caller.id, charge.caller.ratePerSecond, charge.requested);
  }

  /**
   * The static analysis of an operation with its variables. It collects the operation's
   * fields, and most requests repeat an operation with other ids: its result is kept per
   * operation and what it reads of the variables.
   */
  shapeOf(operation: Operation): OperationShape {
    let variables = this.measured.get(operation.operation);
    if (!variables) {
      variables = measuredVariables(operation.operation, operation.fragments);
      this.measured.set(operation.operation, variables);
    }
    const measures = [...variables].map(([name, how]) => measure(operation.variables[name], how));
    const key = `${identityOf(operation.operation)}:${JSON.stringify(measures)}`;
    let shape = this.shapes.get(key);
    if (!shape) {
      // The kept analysis holds only the variables it reads, not, say, a long search text.
      const read = Object.fromEntries(
        [...variables.keys()].filter((name) => name in operation.variables).map((name) => [name, operation.variables[name]]),
      );
      shape = analyseOperation({ ...operation, variables: read }, this.costLimits());
      this.shapes.set(key, shape);
    }
    return shape;
  }

  private overLimit(shape: OperationShape): QueryTooComplexError | undefined {
    const { limits } = this;
    const page = shape.oversizedPages[0];
    if (page)
      return new QueryTooComplexError(`${page.argument} on ${page.path} asks for a page of`, 'pageSize', page.value, limits.maxPageSize);
    if (shape.depth > limits.maxDepth)
      return new QueryTooComplexError('The query nests fields this deep', 'depth', shape.depth, limits.maxDepth);
    if (shape.aliases > limits.maxAliases)
      return new QueryTooComplexError('The query uses this many aliases', 'aliases', shape.aliases, limits.maxAliases);
    if (shape.directives > limits.maxDirectives)
      return new QueryTooComplexError('The query uses this many directives', 'directives', shape.directives, limits.maxDirectives);
    if (shape.cost > limits.maxCost)
      return new QueryTooComplexError('The query costs this many points', 'cost', shape.cost, limits.maxCost);
    return undefined;
  }

  private costLimits(): CostLimits {
    return { maxPageSize: this.limits.maxPageSize, defaultPageSize: 20, defaultListSize: 10 };
  }
}
