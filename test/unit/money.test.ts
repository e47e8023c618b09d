import { describe, expect, it } from 'vitest';
import { amountToCents, centsToAmount, multiplyAmount, parseAmount, parseCurrency } from '../../src/db/money.js';

describe('money', () => {
  it('normalises amounts to two fraction digits', () => {
    expect(parseAmount('19.9', 'price.amount')).toBe('19.90');
    expect(parseAmount('7', 'price.amount')).toBe('7.00');
  });

  it('computes in cents, so no floating-point error creeps in', () => {
    expect(multiplyAmount('0.10', 3)).toBe('0.30');
    expect(centsToAmount(amountToCents('1234567890.99') * 2n)).toBe('2469135781.98');
  });

  it.each(['-1.00', '1.234', 'abc', '1e3', '12345678901.00', ''])('refuses %j with the field named', (amount) => {
    expect(() => parseAmount(amount, 'price.amount')).toThrowError(/^price\.amount must be a decimal amount/);
  });

  it('accepts only three capital letters as a currency', () => {
    expect(parseCurrency('EUR', 'price.currency')).toBe('EUR');
    expect(() => parseCurrency('eur', 'price.currency')).toThrowError(/price\.currency must be an ISO 4217 currency code/);
  });
});
