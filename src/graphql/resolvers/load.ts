import type DataLoader from 'dataloader';
import { InternalError } from '../../errors.js';

/**
 * Loads a row that a foreign key guarantees. Its absence is a bug or a broken database,
 * not a client error, so it surfaces as INTERNAL_SERVER_ERROR.
 */
export async function loadReferenced<Row>(loader: DataLoader<number, Row | undefined>, id: number, what: string): Promise<Row> {
  const row = await loader.load(id);
  if (row === undefined) throw new InternalError(`A ${what} referenced by another row is missing.`);
  return row;
}

/** Loads an optional row by id: null when absent, as a nullable root field returns. */
export async function loadOrNull<Row>(loader: DataLoader<number, Row | undefined>, id: number): Promise<Row | null> {
  return (await loader.load(id)) ?? null;
}
