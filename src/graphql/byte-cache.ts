import type { ASTNode, Token } from 'graphql';

/**
 * A map that forgets its least recently used entries (see leastRecentlyUsed) to stay within a
 * number of bytes, as `sizeOf` estimates each entry (key and value). An entry larger than the
 * whole bound is not kept at all. Every cache of queries, plans and statements is one of
 * these, so what clients send (long texts, many distinct ones) cannot grow the server's memory
 * past the sum of the bounds; /metrics shows each one's bytes (`shopgraph_cache_bytes`).
 */
export class ByteBoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number; used: boolean }>();
  private used = 0;

  constructor(
    /** The cache's name in /metrics. */
    readonly name: string,
    readonly maxBytes: number,
    private readonly sizeOf: (key: K, value: V) => number,
    /** Told of every entry that leaves: evicted to make room, replaced, or deleted. */
    private readonly onRemove?: (key: K, value: V) => void,
  ) {}

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    entry.used = true;
    return entry.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(key, value);
    if (bytes > this.maxBytes) return;
    if (this.used + bytes > this.maxBytes)
      for (const [oldest, entry] of leastRecentlyUsed(this.entries)) {
        this.entries.delete(oldest);
        this.used -= entry.bytes;
        this.onRemove?.(oldest, entry.value);
        if (this.used + bytes <= this.maxBytes) break;
      }
    this.entries.set(key, { value, bytes, used: false });
    this.used += bytes;
  }

  delete(key: K): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.used -= entry.bytes;
    this.onRemove?.(key, entry.value);
    return true;
  }

  /** Bytes the entries hold now, by their estimates. */
  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }
}

/**
 * The entries of a map, least recently used first, for the caller to evict from the front: by
 * the second-chance ("clock") rule, which approximates LRU. A hit only marks its entry `used`;
 * an entry found marked here is unmarked and moved to the back, once per pass, instead of on
 * every hit. Moving an entry on each hit (a delete and a set on a Map of thousands) was 5-7% of
 * a cached read's CPU. The caller deletes each entry it takes before asking for the next.
 */
export function* leastRecentlyUsed<K, E extends { used: boolean }>(entries: Map<K, E>): Generator<[K, E]> {
  for (const [key, entry] of entries) {
    if (entry.used) {
      entry.used = false;
      entries.delete(key);
      entries.set(key, entry);
    } else yield [key, entry];
  }
}

/**
 * Heap bytes a parsed document holds, estimated: its source text (kept by `loc`, comments
 * and all) plus about 320 bytes per token (the token list and the AST nodes over it), as
 * measured on graphql-js 16 documents from 300 characters to 50 KB. Any node of the document
 * stands for all of it: whatever keeps one node keeps the whole document alive.
 */
export function documentBytes(node: ASTNode): number {
  const location = node.loc;
  if (!location) return JSON.stringify(node).length * 2;
  let tokens = 0;
  let first: Token = location.startToken;
  while (first.prev) first = first.prev;
  for (let token: Token | null = first; token; token = token.next) tokens += 1;
  return location.source.body.length + tokens * TOKEN_BYTES;
}

const TOKEN_BYTES = 320;

/** Heap bytes of a string key or value (V8 stores most as one byte per character, some as two). */
export function textBytes(text: string): number {
  return text.length * 2;
}

const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/**
 * A number that stands for `object` in a cache key, so the key does not hold the object (a
 * parsed operation) alive; an entry of an object that is gone is evicted like any other.
 */
export function identityOf(object: object): number {
  let identity = identities.get(object);
  if (identity === undefined) {
    identity = nextIdentity += 1;
    identities.set(object, identity);
  }
  return identity;
}
