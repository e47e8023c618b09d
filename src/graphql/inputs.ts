import { isSlug, isStorableText, MAX_SLUG_LENGTH, parseAmount, parseCurrency, type IdempotencyKey } from '../db/index.js';
import { BadUserInputError, ShopGraphError } from '../errors.js';

/**
 * Checks of client input that the GraphQL types cannot express (lengths, ranges, formats).
 * Each failure names the field as the client spelled it.
 */
export function text(value: string, field: string, { min = 1, max }: { min?: number; max: number }): string {
  const trimmed = storableText(value, field).trim();
  if (trimmed.length < min || trimmed.length > max) {
    const range = min === 0 ? `at most ${max} characters` : `${min} to ${max} characters`;
    throw new BadUserInputError(`${field} must be ${range} long.`, field);
  }
  return trimmed;
}

/** A string as the client sent it, refused when PostgreSQL could not store it (it holds NUL). */
export function storableText(value: string, field: string): string {
  if (!isStorableText(value)) throw new BadUserInputError(`${field} must not contain the NUL character (\\u0000).`, field);
  return value;
}

export function optionalText(value: string | null | undefined, field: string, limits: { min?: number; max: number }): string | undefined {
  return value == null ? undefined : text(value, field, limits);
}

export function slug(value: string, field: string): string {
  if (!isSlug(value))
    throw new BadUserInputError(
      `${field} must be lower-case letters and digits in words joined by single hyphens ("oak-kettle-2"), at most ${MAX_SLUG_LENGTH} characters.`,
      field,
    );
  return value;
}

/** A client's `input.idempotencyKey`, which belongs to the credential that sent it. */
export function idempotencyKey(value: string | null | undefined, caller: { id: string }): IdempotencyKey | undefined {
  const key = optionalText(value, 'input.idempotencyKey', { max: 200 });
  return key === undefined ? undefined : { caller: caller.id, key };
}

export function integer(value: number, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`${field} must be a whole number from ${min} to ${max}.`, field);
  }
  return value;
}

export function money(input: { amount: string; currency: string }, field: string): { priceAmount: string; currency: string } {
  return { priceAmount: parseAmount(input.amount, `${field}.amount`), currency: parseCurrency(input.currency, `${field}.currency`) };
}

/** Rejects explicit nulls for fields whose type allows omission but not null. */
export function notNull<T>(value: T | null | undefined, field: string): T | undefined {
  if (value === null) throw new BadUserInputError(`${field} cannot be null; omit it to keep the current value.`, field);
  return value;
}

export function listSize<T>(values: readonly T[], field: string, min: number, max: number): readonly T[] {
  if (values.length < min || values.length > max) {
    throw new BadUserInputError(`${field} must have ${min} to ${max} entries.`, field);
  }
  return values;
}

/**
 * Awaits a store call made for a mutation whose arguments sit in `input`: field names in the
 * store's errors (`sku`) become the path the client sent (`input.sku`).
 */
export async function fromInput<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof ShopGraphError) error.nestFieldUnder('input');
    throw error;
  }
}
