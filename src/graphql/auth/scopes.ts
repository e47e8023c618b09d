/**
 * What a caller may do. `catalog:read` is what anonymous callers get by default; `primary:read`
 * lets a caller steer its reads to the primary (see plugins/routing.ts); `admin` grants every
 * scope (cluster status, key management).
 */
export const SCOPES = [
  'catalog:read',
  'catalog:write',
  'inventory:write',
  'orders:read',
  'orders:write',
  'customers:read',
  'primary:read',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Parses a list of scopes (comma or space separated); unknown names are returned apart. */
export function parseScopes(text: string): { scopes: Scope[]; unknown: string[] } {
  const names = text.split(/[\s,]+/).filter(Boolean);
  return { scopes: [...new Set(names.filter(isScope))], unknown: names.filter((name) => !isScope(name)) };
}
