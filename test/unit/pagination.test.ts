import { describe, expect, it } from 'vitest';
import { categories } from '../../src/db/tables/index.js';
import { MAX_PAGE_SIZE, pageRequest, toPage, type SortOrder } from '../../src/db/pagination.js';

interface Row {
  id: number;
  name: string;
}

const byName: SortOrder<Row> = {
  name: 'NAME_ASC',
  column: categories.name,
  id: categories.id,
  descending: false,
  sqlType: 'text',
  valueOf: (row) => row.name,
  idOf: (row) => row.id,
};
const byNameDescending: SortOrder<Row> = { ...byName, name: 'NAME_DESC', descending: true };

const rows = (...ids: number[]) => ids.map((id) => ({ id, name: `name ${id}` }));

describe('page requests', () => {
  it('default to the first 20 items', () => {
    expect(pageRequest({}, byName)).toEqual({ limit: 20, backward: false });
  });

  it('refuse first and last together', () => {
    expect(() => pageRequest({ first: 2, last: 2 }, byName)).toThrowError('Pass either first or last, not both.');
  });

  it('refuse pages larger than the maximum instead of truncating them', () => {
    expect(() => pageRequest({ first: MAX_PAGE_SIZE + 1 }, byName)).toThrowError(
      `first must be between 0 and ${MAX_PAGE_SIZE}; page through larger results with cursors.`,
    );
    expect(() => pageRequest({ last: -1 }, byName)).toThrowError(/^last must be between 0/);
  });

  it('accept the cursors their pages hand out', () => {
    const page = toPage(rows(1, 2, 3), byName, pageRequest({ first: 2 }, byName));
    const cursor = page.cursorOf(page.rows[1]!);
    expect(pageRequest({ first: 2, after: cursor }, byName).after).toEqual(['name 2', 2]);
  });

  it('refuse a cursor of another sort order', () => {
    const page = toPage(rows(1), byName, pageRequest({ first: 1 }, byName));
    expect(() => pageRequest({ after: page.cursorOf(page.rows[0]!) }, byNameDescending)).toThrowError(
      'after is a cursor of another sort order; cursors only work with the orderBy they came from.',
    );
  });

  it('refuse a cursor that is not one', () => {
    expect(() => pageRequest({ before: 'bm90IGEgY3Vyc29y' }, byName)).toThrowError(
      'before is not a cursor of this connection; pass a cursor from pageInfo or an edge.',
    );
  });
});

describe('forged cursors', () => {
  const forged = (order: string, key: unknown[]) => Buffer.from(JSON.stringify({ o: order, k: key })).toString('base64url');
  const byPrice: SortOrder<Row> = { ...byName, name: 'PRICE_ASC', sqlType: 'numeric' };
  const byTime: SortOrder<Row> = { ...byName, name: 'CREATED_AT_ASC', sqlType: 'timestamptz' };

  it.each([
    ['a price that is no number', byPrice, ['cheap', 1]],
    ['a price as a JSON number', byPrice, [1e300, 1]],
    ['a time in year 0', byTime, ['0000-01-01T00:00:00.000Z', 1]],
    ['a time that is no time', byTime, ['yesterday', 1]],
    ['a name with NUL in it', byName, ['a\u0000b', 1]],
    ['an id past int4', byName, ['a', 2 ** 53]],
    ['an id of 1e300', byName, ['a', 1e300]],
    ['a fractional id', byName, ['a', 1.5]],
  ])('are refused as the client’s mistake when they hold %s', (_, order, key) => {
    expect(() => pageRequest({ after: forged(order.name, key) }, order)).toThrowError(/^after is not a cursor of this connection/);
  });

  it('are accepted when they hold what a page of that order hands out', () => {
    expect(pageRequest({ after: forged('PRICE_ASC', ['19.90', 7]) }, byPrice).after).toEqual(['19.90', 7]);
    expect(pageRequest({ after: forged('CREATED_AT_ASC', ['2026-01-02T03:04:05.678Z', 7]) }, byTime).after).toEqual([
      '2026-01-02T03:04:05.678Z',
      7,
    ]);
  });
});

describe('pages', () => {
  it('use the extra fetched row only to know that another page follows', () => {
    const page = toPage(rows(1, 2, 3), byName, pageRequest({ first: 2 }, byName));
    expect(page.rows.map((row) => row.id)).toEqual([1, 2]);
    expect(page.hasNextPage).toBe(true);
    expect(page.hasPreviousPage).toBe(false);
  });

  it('turn a backward fetch round into list order', () => {
    const page = toPage(rows(9, 8, 7), byName, pageRequest({ last: 2 }, byName));
    expect(page.rows.map((row) => row.id)).toEqual([8, 9]);
    expect(page.hasPreviousPage).toBe(true);
    expect(page.hasNextPage).toBe(false);
  });
});
