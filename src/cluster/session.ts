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

/**
 * A walsender connection of one node in database mode (`replication=database`), for a logical
 * replication stream. It lives as long as its stream, so postgres.js's lifetime limit (30 to
 * 60 minutes) is off; the catalog query postgres.js runs on a new connection is left out (a
 * stream needs no type parsers). The role needs the REPLICATION attribute.
 */
export function connectReplication(url: string): Sql {
  return connectNode(url, {
    max: 1,
    connect_timeout: 10,
    fetch_types: false,
    max_lifetime: null,
    connection: { application_name: 'shopgraph-change-feed', replication: 'database' },
  });
}
