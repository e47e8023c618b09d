import type { ASTNode, Token } from 'graphql';

/**
 * A map that forgets its least recently used entries to stay within a number of bytes, as
 * `sizeOf` estimates each entry (key and value). An entry larger than the whole bound is not
 * kept at all. Every cache of queries, plans and statements is one of these, so what clients
 * send (long texts, many distinct ones) cannot grow the server's memory past the sum of the
 * bounds; /metrics shows each one's bytes (`shopgraph_cache_bytes`).
 */
export class ByteBoundedCache<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
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
    // Most recently used last: eviction takes from the front.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const bytes = this.sizeOf(key, value);
    if (bytes > this.maxBytes) return;
    for (const [oldest, entry] of this.entries) {
      if (this.used + bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.bytes;
      this.onRemove?.(oldest, entry.value);
    }
    this.entries.set(key, { value, bytes });
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
