import { makeExecutableSchema } from '@graphql-tools/schema';
import { parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/graphql/ids.js';
import { fragmentsOf } from '../../src/graphql/limits/cost.js';
import { changeTags } from '../../src/graphql/response-cache/index.js';
import { responseTags } from '../../src/graphql/response-cache/response-tags.js';
import { loadSchemaSource } from '../../src/graphql/schema-source.js';

const schema = makeExecutableSchema({ typeDefs: loadSchemaSource() });

function tagsOf(query: string, data: Record<string, unknown>) {
  const document = parse(query);
  const operation = document.definitions[0] as OperationDefinitionNode;
  const read = responseTags(schema, operation, fragmentsOf(document), {}, data);
  return read && [...read.tags].sort();
}

function followed(query: string, data: Record<string, unknown>) {
  const document = parse(query);
  return responseTags(schema, document.definitions[0] as OperationDefinitionNode, fragmentsOf(document), {}, data)?.followed;
}

describe('the rows a response read', () => {
  it('are its entities by id, and the product’s own reviews are covered by the product', () => {
    const data = {
      product: {
        id: toGlobalId('Product', 7),
        category: { id: toGlobalId('Category', 3) },
        reviews: { nodes: [{ rating: 5 }] },
        inventory: { byWarehouse: [{ warehouse: { code: 'AMS' } }] },
      },
    };
    const query =
      '{ product(id: "x") { id category { id } reviews(first: 1) { nodes { rating } } inventory { byWarehouse { warehouse { code } } } } }';
    expect(tagsOf(query, data)).toEqual(['Category:3', 'Product:7', 'Warehouse:*']);
  });

  it('are a whole type for a list any row may join, an object read without its id, or a row not found', () => {
    expect(tagsOf('{ products(first: 1) { nodes { id } } }', { products: { nodes: [{ id: toGlobalId('Product', 1) }] } })).toEqual([
      'Product:*',
      'Product:1',
    ]);
    expect(tagsOf('{ product(sku: "A") { name } }', { product: { name: 'x' } })).toEqual(['Product:*']);
    expect(tagsOf('{ product(sku: "A") { name } }', { product: null })).toEqual(['Product:*']);
  });

  it('are the whole type for a connection’s counts and facets, which any row of it may change', () => {
    expect(tagsOf('{ products(first: 1) { totalCount } }', { products: { totalCount: 3 } })).toEqual(['Product:*']);
    expect(tagsOf('{ products(first: 1) { facets { inStock } } }', { products: { facets: { inStock: 2 } } })).toEqual(['Product:*']);
    const category = { category: { id: toGlobalId('Category', 3), products: { totalCount: 4 } } };
    expect(tagsOf('{ category(id: "x") { id products(first: 1) { totalCount } } }', category)).toEqual(['Category:3', 'Product:*']);
    const reviews = { product: { id: toGlobalId('Product', 7), reviews: { totalCount: 2 } } };
    expect(tagsOf('{ product(id: "x") { id reviews(first: 1) { totalCount } } }', reviews)).toEqual(['Product:7']);
  });

  it('say whether every change to what the response read names one of its tags', () => {
    const product = { product: { id: toGlobalId('Product', 7), name: 'x', reviews: { nodes: [{ rating: 5 }] } } };
    expect(followed('{ product(id: "x") { id name reviews(first: 1) { nodes { rating } } } }', product)).toBe(true);
    const authored = { product: { id: toGlobalId('Product', 7), reviews: { nodes: [{ author: { displayName: 'Anna K.' } }] } } };
    expect(followed('{ product(id: "x") { id reviews(first: 1) { nodes { author { displayName } } } } }', authored)).toBe(false);
  });

  it('are unknown under an abstract field, which is not cached', () => {
    expect(tagsOf('{ node(id: "x") { id } }', { node: { id: toGlobalId('Product', 1) } })).toBeUndefined();
  });
});

describe('the rows a committed change touched', () => {
  it('name the row, its owner and their types', () => {
    expect(changeTags([{ table: 'inventory_levels', keys: { product_id: [7], warehouse_id: [2] } }]).sort()).toEqual([
      'Product:*',
      'Product:7',
    ]);
    expect(changeTags([{ table: 'reviews', keys: { id: [9], product_id: [7], customer_id: [1] } }]).sort()).toEqual([
      'Product:*',
      'Product:7',
      'Review:*',
      'Review:9',
    ]);
    expect(changeTags([{ table: 'product_images', keys: { id: [4], product_id: [7] } }]).sort()).toEqual(['Product:*', 'Product:7']);
    expect(changeTags([{ table: 'reviews', keys: { id: [9], product_id: [7, 8] } }])).toContain('Product:8');
    expect(changeTags([{ table: 'orders', keys: { id: [1] } }])).toEqual([]);
  });
});
