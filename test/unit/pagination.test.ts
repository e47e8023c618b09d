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
