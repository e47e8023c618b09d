import {
  getNamedType,
  isAbstractType,
  isObjectType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
// graphql-js's own field collection, the one `execute` runs: the compiled reads, the cost
// analysis and the fast lane must see exactly the fields the resolvers would.
import { collectFields, collectSubfields } from 'graphql/execution/collectFields.js';
import { QueryTooComplexError } from '../errors.js';
import { textBytes } from './byte-cache.js';

/** One response key of an object, with every field node merged under it. */
export interface CollectedField {
  /** The response key (the alias, or the field name). */
  key: string;
  /** The field's name in the schema. */
  name: string;
  /** The field's definition; undefined for `__typename` and the introspection fields. */
  definition: GraphQLField<unknown, unknown> | undefined;
  /** The field nodes merged under this key, in document order (the first one's arguments count, as in graphql-js). */
  nodes: readonly FieldNode[];
}

/**
 * Distinct sub-selections one operation may have. A legitimate query has a few hundred at
 * most; an operation that spreads fragments into each other to multiply its selections is
 * refused here instead of being walked.
 */
export const MAX_SELECTIONS = 5000;

/** A CollectedField, its array slot and its share of the memo's bookkeeping, roughly. */
const COLLECTED_FIELD_BYTES = 160;

/**
 * The fields an operation selects, by GraphQL's rules: graphql-js's `collectFields` and
 * `collectSubfields` (type conditions matched by possible types, so `... on Node` applies to a
 * Product; `@include` and `@skip` with the request's variables; fields merged by response key;
 * each fragment spread collected once per selection set).
 *
 * Sub-selections are memoised by type and field nodes, so a fragment reached along many paths
 * (two spreads of the same fragment, each spreading the next twice) is collected once: the
 * work follows the document's size, not the size of the tree it could be unrolled into.
 * Consumers that walk the result keep that property by memoising on the returned objects.
 */
export class FieldCollector {
  private readonly subfields = new Map<string, readonly CollectedField[]>();
  private readonly nodeIds = new Map<FieldNode, number>();
  private collections = 0;
  private heap = 512;

  constructor(
    readonly schema: GraphQLSchema,
    readonly fragments: Record<string, FragmentDefinitionNode>,
    /** The request's variables as graphql-js coerces them (they decide @include and @skip). */
    readonly variables: Record<string, unknown>,
  ) {}

  /** The fields of a selection set on an object type (an operation's root selection). */
  fieldsOf(type: GraphQLObjectType, selectionSet: SelectionSetNode): readonly CollectedField[] {
    this.count();
    const fields = this.described(type, collectFields(this.schema, this.fragments, this.variables, type, selectionSet));
    this.heap += fields.length * COLLECTED_FIELD_BYTES;
    return fields;
  }

  /** The fields selected under `field` when its value is of the object type `type`. */
  subfieldsOf(type: GraphQLObjectType, field: CollectedField): readonly CollectedField[] {
    const key = `${type.name}:${field.nodes.map((node) => this.idOf(node)).join(',')}`;
    let fields = this.subfields.get(key);
    if (!fields) {
      this.count();
      fields = this.described(type, collectSubfields(this.schema, this.fragments, this.variables, type, field.nodes));
      this.subfields.set(key, fields);
      this.heap += textBytes(key) + fields.length * COLLECTED_FIELD_BYTES;
    }
    return fields;
  }

  /** Heap bytes the memoised collections hold, roughly (the document they point into not counted). */
  get bytes(): number {
    return this.heap;
  }

  /** The object types a value of `field` may have at run time. */
  possibleTypes(field: CollectedField): readonly GraphQLObjectType[] {
    const type = namedTypeOf(field);
    if (!type) return [];
    if (isObjectType(type)) return [type];
    return isAbstractType(type) ? this.schema.getPossibleTypes(type) : [];
  }

  private described(type: GraphQLObjectType, collected: Map<string, readonly FieldNode[]>): readonly CollectedField[] {
    const definitions = type.getFields();
    return [...collected].map(([key, nodes]) => {
      const name = nodes[0]!.name.value;
      return { key, name, definition: name.startsWith('__') ? undefined : definitions[name], nodes };
    });
  }

  private idOf(node: FieldNode): number {
    let id = this.nodeIds.get(node);
    if (id === undefined) {
      id = this.nodeIds.size;
      this.nodeIds.set(node, id);
    }
    return id;
  }

  private count(): void {
    this.collections += 1;
    if (this.collections > MAX_SELECTIONS)
      throw new QueryTooComplexError('The query has more distinct selections than allowed', 'selections', this.collections, MAX_SELECTIONS);
  }
}

/** The named type of a field's value (unwrapped from lists and non-null); undefined for meta fields. */
export function namedTypeOf(field: CollectedField): GraphQLNamedType | undefined {
  return field.definition && getNamedType(field.definition.type);
}
