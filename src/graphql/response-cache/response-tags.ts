import { getNullableType, isListType, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { FieldCollector, namedTypeOf, type CollectedField } from '../collect.js';
import { decodeGlobalId } from '../ids.js';

/**
 * Types whose objects are rows the change feed names (see changeTags): an object of one is
 * tagged with its row (`Product:7`), or with its whole type (`Product:*`) when the response
 * does not say which row it is.
 */
const ENTITY_TYPES: ReadonlySet<string> = new Set(['Product', 'Category', 'Warehouse', 'Review']);

/**
 * Lists (connections) whose members are rows their parent owns (a product's reviews): a change
 * to a member is announced with the parent's tag too, so the parent's tag covers the list. Any
 * other list of rows (a page of products by price, the categories under a parent) may gain or
 * lose members with any change to its type's rows, so it is tagged with the whole type.
 */
const OWNED_LISTS: ReadonlySet<string> = new Set(['Product.reviews']);

/**
 * Types all of whose data the tags of a response that read them name when it changes (see
 * changeTags). A response that read any other type is kept no longer than its age (see
 * ResponseTags.followed): a review's author is a customer (a table of personal data the change
 * feed does not follow), a warehouse's stock list gains rows under other products' tags, and a
 * type added later is not revalidated until it is listed here.
 */
const FOLLOWED_TYPES: ReadonlySet<string> = new Set([
  'Query',
  'Product',
  'ProductConnection',
  'ProductEdge',
  'ProductImage',
  'ProductInventory',
  'ProductFacets',
  'CategoryFacet',
  'PriceBandFacet',
  'RatingCount',
  'InventoryLevel',
  'Category',
  'CategoryConnection',
  'CategoryEdge',
  'Warehouse',
  'Review',
  'ReviewConnection',
  'ReviewEdge',
  'Money',
  'PageInfo',
]);

/** What a response read, for the response cache. */
export interface ResponseTags {
  tags: Set<string>;
  /** Whether every change to what it read names one of its tags: then the WAL can prove it unchanged. */
  followed: boolean;
}

/** The entity type of a connection type (`ProductConnection`: `Product`), or undefined. */
function entityOfConnection(typeName: string): string | undefined {
  const entity = typeName.endsWith('Connection') ? typeName.slice(0, -'Connection'.length) : undefined;
  return entity !== undefined && ENTITY_TYPES.has(entity) ? entity : undefined;
}

/** The tag of every row of a type, which any change to one of them evicts. */
export function typeTag(type: string): string {
  return `${type}:*`;
}

export function rowTag(type: string, id: number): string {
  return `${type}:${id}`;
}

/**
 * The entities a response read, as tags: each object of an entity type by its id when the
 * response selects it, else by its type; lists of entities, and connections of them (their
 * counts and facets too), by their type unless their parent owns them; an entity field that
 * came back null by its type (the row may be created). It walks the data along GraphQL's own
 * field collection, as graphql-js would have produced it. Undefined for data it cannot
 * attribute to rows (under an abstract field): not cached.
 */
export function responseTags(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Record<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  data: Record<string, unknown>,
): ResponseTags | undefined {
  const tags = new Set<string>();
  let taggable = true;
  let followed = true;
  const collector = new FieldCollector(schema, fragments, variables);
  /** `owned`: the object is (within) a connection its entity parent owns. */
  const visitObject = (value: Record<string, unknown>, fields: readonly CollectedField[], typeName: string, owned: boolean) => {
    if (!FOLLOWED_TYPES.has(typeName)) followed = false;
    const entity = ENTITY_TYPES.has(typeName);
    if (entity) {
      const id = fields.find((field) => field.name === 'id');
      const globalId = id && value[id.key];
      // A member of an owned list without its id is covered by its parent's tag.
      if (typeof globalId === 'string') tags.add(rowTag(typeName, decodeGlobalId(globalId, 'id').id));
      else if (!owned) tags.add(typeTag(typeName));
    }
    for (const field of fields) visitField(value[field.key], field, (owned && !entity) || OWNED_LISTS.has(`${typeName}.${field.name}`));
  };
  const visitField = (value: unknown, field: CollectedField, owned: boolean) => {
    const named = namedTypeOf(field);
    if (!named || !field.definition) return;
    const listed = isListType(getNullableType(field.definition.type));
    const entity = ENTITY_TYPES.has(named.name) ? named.name : undefined;
    if (entity && (value === null || (listed && !owned))) tags.add(typeTag(entity));
    const members = entityOfConnection(named.name);
    if (members && !owned) tags.add(typeTag(members));
    if (value === null || value === undefined || typeof value !== 'object') return;
    const [type, ...others] = collector.possibleTypes(field);
    // An abstract field (node, nodes) would need each value's type; its policy (the Node
    // interface has no hint) keeps such responses out of the cache anyway.
    if (!type || others.length > 0) {
      taggable = false;
      return;
    }
    for (const item of listed ? (value as unknown[]) : [value]) {
      if (item !== null && typeof item === 'object')
        visitObject(item as Record<string, unknown>, collector.subfieldsOf(type, field), type.name, owned);
    }
  };
  visitObject(data, collector.fieldsOf(schema.getQueryType()!, operation.selectionSet), 'Query', false);
  return taggable ? { tags, followed } : undefined;
}
