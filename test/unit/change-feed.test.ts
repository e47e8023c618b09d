import { describe, expect, it } from 'vitest';
import { commitTime, parseRow } from '../../src/cluster/change-feed.js';

describe('the lines of test_decoding', () => {
  it('give a changed row’s table and integer keys', () => {
    expect(parseRow('table public.inventory_levels: UPDATE: product_id[integer]:7 warehouse_id[integer]:2 on_hand[integer]:40')).toEqual({
      table: 'inventory_levels',
      keys: { product_id: [7], warehouse_id: [2] },
    });
    expect(parseRow('table public.products: DELETE: id[integer]:9')).toEqual({ table: 'products', keys: { id: [9] } });
    expect(parseRow('BEGIN')).toBeUndefined();
  });

  it('give the keys of the row before and after an update that logs both', () => {
    const line =
      "table public.reviews: UPDATE: old-key: id[integer]:1 product_id[integer]:26 rating[smallint]:5 body[text]:'ok' new-tuple: id[integer]:1 product_id[integer]:27 rating[smallint]:5 body[text]:'ok'";
    expect(parseRow(line)).toEqual({ table: 'reviews', keys: { id: [1], product_id: [26, 27] } });
  });

  it('give a key a text column spells too: more evictions, never fewer', () => {
    const line = "table public.reviews: INSERT: id[integer]:3 product_id[integer]:7 body[text]:'see product_id[integer]:8'";
    expect(parseRow(line)?.keys.product_id).toEqual([7, 8]);
  });

  it('give the commit time with PostgreSQL’s short offsets', () => {
    expect(commitTime('COMMIT (at 2026-12-03 11:48:54.876543+00)')).toBe(Date.parse('2026-12-03T11:48:54.876Z'));
    expect(commitTime('COMMIT (at 2026-12-03 13:18:54.5+01:30)')).toBe(Date.parse('2026-12-03T11:48:54.500Z'));
    expect(commitTime('COMMIT')).toBeUndefined();
  });
});
