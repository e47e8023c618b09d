import {
  getNamedType,
  isCompositeType,
  Kind,
  visit,
  type ConstDirectiveNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { requiredScope } from './auth/field-authorization.js';
import type { Scope } from './auth/index.js';
import { FieldCollector, type CollectedField } from './collect.js';

export type CacheScope = 'PUBLIC' | 'PRIVATE';

/** How long a response may be kept, and by whom. */
export interface CachePolicy {
  /** Seconds; 0: not cached anywhere. */
  maxAge: number;
  /** PRIVATE when a selected field says so, or when a field needs a scope anonymous callers lack. */
  scope: CacheScope;
}

/** The policy of a response nothing may keep (mutations, personal data). */
export const UNCACHEABLE: CachePolicy = Object.freeze({ maxAge: 0, scope: 'PRIVATE' });

/** A `@cacheControl` directive as written on a type or field. */
interface Hint {
  maxAge?: number;
  scope?: CacheScope;
  inheritMaxAge?: boolean;
}

/**
 * The cache policy of an operation from the schema's `@cacheControl` hints, with Apollo
 * Server's rules (its cache-control plugin): a field's hint replaces its return type's; a
 * field that returns an object type, and every root field, allows 0 seconds unless a hint
 * gives it a maxAge or lets it inherit its parent's; scalar fields inherit; the response
 * takes the smallest maxAge of its fields and is PRIVATE if any field is.
 *
 * Apollo applies the rules to the fields that resolved; both lanes here apply them to every
 * field the operation selects (GraphQL's own field collection, every possible type of an
 * abstract field), so a compiled read that runs no resolver gets the same policy, never a
 * laxer one. A field that needs a scope anonymous callers lack makes the response PRIVATE:
 * only what anyone may read is ever shared.
 */
export class CachePolicies {
  private readonly memo = new WeakMap<OperationDefinitionNode, CachePolicy>();
  private readonly conditional = new WeakMap<OperationDefinitionNode, boolean>();
  private readonly anonymousScopes: ReadonlySet<Scope>;

  constructor(
    private readonly schema: GraphQLSchema,
    anonymousScopes: readonly Scope[],
  ) {
    this.anonymousScopes = new Set(anonymousScopes);
  }

  /** The policy of one request of `operation`; `variables` as graphql-js coerces them (they decide @include and @skip). */
  policyOf(
    operation: OperationDefinitionNode,
    fragments: Record<string, FragmentDefinitionNode>,
    variables: Record<string, unknown>,
  ): CachePolicy {
    if (operation.operation !== 'query') return UNCACHEABLE;
    const memo = this.memo.get(operation);
    if (memo) return memo;
    const policy = this.walk(operation, fragments, variables);
    // Without @include or @skip, every request of the operation selects the same fields.
    if (!this.isConditional(operation, fragments)) this.memo.set(operation, policy);
    return policy;
  }

  private walk(
    operation: OperationDefinitionNode,
    fragments: Record<string, FragmentDefinitionNode>,
    variables: Record<string, unknown>,
  ): CachePolicy {
    const collector = new FieldCollector(this.schema, fragments, variables);
    const root = this.schema.getQueryType()!;
    let maxAge = Number.POSITIVE_INFINITY;
    let scope: CacheScope = 'PUBLIC';
    const visited = new Set<string>();
    const visitFields = (fields: readonly CollectedField[], isRoot: boolean) => {
      for (const field of fields) {
        if (!field.definition) {
          // __typename is a scalar like any other; the introspection fields are root fields without a hint.
          if (isRoot && field.name !== '__typename') maxAge = 0;
          continue;
        }
        const own = this.fieldPolicy(field.definition, isRoot);
        if (own.maxAge !== undefined) maxAge = Math.min(maxAge, own.maxAge);
        if (own.scope === 'PRIVATE') scope = 'PRIVATE';
        for (const type of collector.possibleTypes(field)) {
          // The same fields under the same type add nothing new (fragments reached along many paths).
          const key = `${type.name}:${field.nodes.map((node) => node.loc?.start ?? 0).join(',')}`;
          if (visited.has(key)) continue;
          visited.add(key);
          visitFields(collector.subfieldsOf(type, field), false);
        }
      }
    };
    visitFields(collector.fieldsOf(root, operation.selectionSet), true);
    return { maxAge: Number.isFinite(maxAge) ? maxAge : 0, scope };
  }

  /** One field's own policy, as Apollo's plugin computes it before it restricts the response's. */
  private fieldPolicy(field: GraphQLField<unknown, unknown>, isRoot: boolean): Hint {
    const target = getNamedType(field.type);
    let policy: Hint = {};
    let inherits = false;
    if (isCompositeType(target)) {
      const typeHint = hintOfType(target);
      policy = { maxAge: typeHint.maxAge, scope: typeHint.scope };
      inherits = typeHint.inheritMaxAge === true;
    }
    const fieldHint = hintOf(field.astNode?.directives);
    if (fieldHint.inheritMaxAge && policy.maxAge === undefined) {
      inherits = true;
      if (fieldHint.scope) policy.scope = fieldHint.scope;
    } else {
      policy = { maxAge: fieldHint.maxAge ?? policy.maxAge, scope: fieldHint.scope ?? policy.scope };
    }
    if (policy.maxAge === undefined && ((isCompositeType(target) && !inherits) || isRoot)) policy.maxAge = 0;
    const scope = requiredScope(field);
    if (scope && !this.anonymousScopes.has(scope) && !this.anonymousScopes.has('admin')) policy.scope = 'PRIVATE';
    return policy;
  }

  private isConditional(operation: OperationDefinitionNode, fragments: Record<string, FragmentDefinitionNode>): boolean {
    let known = this.conditional.get(operation);
    if (known === undefined) {
      known = false;
      const check = {
        Directive: (node: { name: { value: string } }) => void (known ||= node.name.value === 'include' || node.name.value === 'skip'),
      };
      visit(operation, check);
      for (const fragment of Object.values(fragments)) visit(fragment, check);
      this.conditional.set(operation, known);
    }
    return known;
  }
}

/** The `Cache-Control` header value for a policy: `public, max-age=N`, `private, max-age=N` or `no-store`. */
export function cacheControlHeader(policy: CachePolicy): string {
  if (policy.maxAge <= 0) return 'no-store';
  return `${policy.scope === 'PUBLIC' ? 'public' : 'private'}, max-age=${policy.maxAge}`;
}

const typeHints = new WeakMap<GraphQLCompositeType, Hint>();

function hintOfType(type: GraphQLCompositeType): Hint {
  let hint = typeHints.get(type);
  if (!hint) {
    hint = hintOf(type.astNode?.directives);
    for (const extension of type.extensionASTNodes) if (Object.keys(hint).length === 0) hint = hintOf(extension.directives);
    typeHints.set(type, hint);
  }
  return hint;
}

/** A `@cacheControl` directive's arguments, read from the SDL as Apollo reads them. */
function hintOf(directives: readonly ConstDirectiveNode[] | undefined): Hint {
  const directive = directives?.find((candidate) => candidate.name.value === 'cacheControl');
  if (!directive) return {};
  const argument = (name: string) => directive.arguments?.find((candidate) => candidate.name.value === name)?.value;
  const scopeValue = argument('scope');
  const scope =
    scopeValue?.kind === Kind.ENUM && (scopeValue.value === 'PUBLIC' || scopeValue.value === 'PRIVATE') ? scopeValue.value : undefined;
  const inherit = argument('inheritMaxAge');
  if (inherit?.kind === Kind.BOOLEAN && inherit.value) return { inheritMaxAge: true, scope };
  const maxAge = argument('maxAge');
  return { maxAge: maxAge?.kind === Kind.INT ? Number.parseInt(maxAge.value, 10) : undefined, scope };
}
