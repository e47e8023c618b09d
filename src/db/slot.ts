import { Placeholder } from 'drizzle-orm';

/**
 * A parameter value known only when a request fills it in (the GraphQL layer plans one
 * statement for many requests, with slots where their ids, page sizes or search text go).
 * A slot is a drizzle placeholder, so the stores' own conditions take it where they take a
 * value and it becomes a parameter of the statement; `fill` throws for a value the
 * resolvers must refuse.
 */
export class Slot extends Placeholder {
  constructor(readonly fill: (variables: Record<string, unknown>) => unknown) {
    super('slot');
  }

  map(translate: (value: unknown) => unknown): Slot {
    return new Slot((variables) => translate(this.fill(variables)));
  }
}

/** Values of a planned statement: those of the keys `K` may be slots, filled in per request. */
export type Planned<T, K extends keyof T = keyof T> = Omit<T, K> & { [P in K]: T[P] | Slot };

/** `value` translated now, or when its slot is filled. */
export function translated<T, U>(value: T | Slot, translate: (value: T) => U): U | Slot {
  return value instanceof Slot ? value.map((filled) => translate(filled as T)) : translate(value);
}
