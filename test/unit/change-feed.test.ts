import { describe, expect, it } from 'vitest';
import { commitTime, parseRow } from '../../src/cluster/change-feed.js';

describe('the lines of test_decoding', () => {
  it('give a changed row’s table and integer keys', () => {
    expect(parseRow('table public.inventory_levels: UPDATE: product_id[integer]:7 warehouse_id[integer]:2 on_hand[integer]:40')).toEqual({
      table: 'inventory_levels',
      keys: { product_id: 7, warehouse_id: 2 },
    });
    expect(parseRow('table public.products: DELETE: id[integer]:9')).toEqual({ table: 'products', keys: { id: 9 } });
    expect(parseRow('BEGIN')).toBeUndefined();
  });

  it('give the commit time with PostgreSQL’s short offsets', () => {
    expect(commitTime('COMMIT (at 2026-12-03 11:48:54.876543+00)')).toBe(Date.parse('2026-12-03T11:48:54.876Z'));
    expect(commitTime('COMMIT (at 2026-12-03 13:18:54.5+01:30)')).toBe(Date.parse('2026-12-03T11:48:54.500Z'));
    expect(commitTime('COMMIT')).toBeUndefined();
  });
});
