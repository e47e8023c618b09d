import postgres, { type Options, type Sql } from 'postgres';

/**
 * A postgres.js client of one node, for every connection ShopGraph makes. ShopGraph chooses
 * the node for each statement itself, so libpq's own choice (`target_session_attrs` in the URL
 * or `PGTARGETSESSIONATTRS` in the environment) is always overridden with `any`: with
 * `read-write` a replica's connections would be refused and every read would go to the
 * primary without anyone noticing.
 */
export function connectNode(url: string, options: Options<{}> = {}): Sql {
  return postgres(url, { onnotice: () => {}, ...options, target_session_attrs: 'any' });
}
