import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { BadUserInputError } from '../errors.js';

/**
 * Exact decimal money with two fraction digits, as the database stores it (numeric(12,2)).
 * Arithmetic happens in integer cents (bigint), never in floating point.
 */
const DECIMAL = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

export function parseAmount(amount: string, field: string): string {
  const match = DECIMAL.exec(amount.trim());
  if (!match) {
    throw new BadUserInputError(
      `${field} must be a decimal amount such as "19.99" (at most 10 digits before the point and 2 after).`,
      field,
    );
  }
  return centsToAmount(amountToCents(match[0]));
}

export function parseCurrency(currency: string, field: string): string {
  if (!/^[A-Z]{3}$/.test(currency)) {
    throw new BadUserInputError(`${field} must be an ISO 4217 currency code of three capital letters, such as "USD".`, field);
  }
  return currency;
}

export function amountToCents(amount: string): bigint {
  const [units = '0', fraction = ''] = amount.split('.');
  return BigInt(units) * 100n + BigInt(fraction.padEnd(2, '0'));
}

export function centsToAmount(cents: bigint): string {
  const units = cents / 100n;
  const fraction = (cents % 100n).toString().padStart(2, '0');
  return `${units}.${fraction}`;
}

export function multiplyAmount(amount: string, factor: number): string {
  return centsToAmount(amountToCents(amount) * BigInt(factor));
}

/** An amount as the API writes it (`centsToAmount`: two fraction digits), computed by PostgreSQL. */
export function amountSql(amount: SQLWrapper): SQL {
  return sql`(${amount})::numeric(14, 2)::text`;
}

/** `multiplyAmount` computed by PostgreSQL. */
export function multiplyAmountSql(amount: SQLWrapper, factor: SQLWrapper): SQL {
  return amountSql(sql`${amount} * ${factor}`);
}
