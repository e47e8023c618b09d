import { describe, expect, it } from 'vitest';
import { BadUserInputError } from '../../src/errors.js';
import { decodeGlobalId, decodeIdOf, toGlobalId } from '../../src/graphql/ids.js';

describe('global ids', () => {
  it('round-trip a type and a row id', () => {
    expect(decodeGlobalId(toGlobalId('Product', 42), 'id')).toEqual({ type: 'Product', id: 42 });
  });

  it('differ between types for the same row id', () => {
    expect(toGlobalId('Product', 1)).not.toBe(toGlobalId('Order', 1));
  });

  it.each([
    '',
    'garbage',
    Buffer.from('Product:').toString('base64url'),
    Buffer.from('Product:-1').toString('base64url'),
    Buffer.from('Spaceship:1').toString('base64url'),
    Buffer.from('Product:99999999999').toString('base64url'),
  ])('refuse the malformed id %j with BAD_USER_INPUT naming the field', (id) => {
    expect(() => decodeGlobalId(id, 'input.productId')).toThrowError(BadUserInputError);
    expect(() => decodeGlobalId(id, 'input.productId')).toThrowError('input.productId is not a valid id; use an id returned by this API.');
  });

  it('refuse an id of another type where one type is expected', () => {
    expect(() => decodeIdOf('Product', toGlobalId('Customer', 3), 'productId')).toThrowError(
      'productId is the id of a Customer; a Product id is needed here.',
    );
  });
});
