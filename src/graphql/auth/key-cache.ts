import type { KeyLookup, StoredKey } from './authenticator.js';

/**
 * Caches key lookups for a few seconds, so an API key costs one database read per TTL, not
 * one per request, and a flood of bad keys cannot turn into a flood of queries. The price: a
 * revoked key keeps working for up to `ttlMs`.
 */
export function cachedKeyLookup(lookUp: KeyLookup, { ttlMs = 10_000, maxEntries = 10_000, clock = Date.now } = {}): KeyLookup {
  const entries = new Map<string, { expires: number; value: Promise<StoredKey | undefined> }>();
  return (id) => {
    const now = clock();
    const cached = entries.get(id);
    if (cached && cached.expires > now) return cached.value;
    const value = lookUp(id);
    entries.delete(id);
    entries.set(id, { expires: now + ttlMs, value });
    // A failed lookup (database down) must not be remembered as "no such key".
    value.catch(() => entries.delete(id));
    if (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
    return value;
  };
}
