import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ByteBoundedCache, textBytes } from './byte-cache.js';

/**
 * Registered operations for production partners: a manifest of the exact documents a
 * partner's app sends, by SHA-256. Clients may send just the hash (automatic persisted
 * queries find it), and with `registeredOnly` nothing else runs.
 *
 * Formats: Apollo's persisted query manifest
 * (`{"format":"apollo-persisted-query-manifest","operations":[{"id","body"}]}`) or a plain
 * object from hash to document.
 */
export class OperationRegistry {
  private constructor(private readonly documents: ReadonlyMap<string, string>) {}

  static fromFile(file: string): OperationRegistry {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (cause) {
      throw new Error(`The operations manifest ${file} cannot be read as JSON.`, { cause });
    }
    const entries: [string, string][] = isApolloManifest(parsed)
      ? parsed.operations.map((operation) => [operation.id, operation.body])
      : Object.entries(parsed as Record<string, string>);
    const documents = new Map<string, string>();
    for (const [id, body] of entries) {
      if (typeof body !== 'string' || sha256(body) !== id) {
        throw new Error(`The operations manifest ${file} lists ${id}, which is not the SHA-256 of its document; regenerate the manifest.`);
      }
      documents.set(id, body);
    }
    return new OperationRegistry(documents);
  }

  get size(): number {
    return this.documents.size;
  }

  has(hash: string): boolean {
    return this.documents.has(hash);
  }

  get(hash: string): string | undefined {
    return this.documents.get(hash);
  }
}

/**
 * The cache behind automatic persisted queries (Apollo calls it with keys `apq:<hash>`):
 * registered operations first, then documents clients registered at run time, unless only
 * registered operations are allowed. Bounded in bytes, least recently used out first.
 */
export function persistedQueryCache(registry: OperationRegistry | undefined, acceptNew: boolean, maxBytes: number) {
  const learned = new ByteBoundedCache<string, string>('persisted-queries', maxBytes, (key, query) => textBytes(key) + textBytes(query));
  const hashOf = (key: string) => key.replace(/^apq:/, '');
  return {
    learned,
    async get(key: string): Promise<string | undefined> {
      return registry?.get(hashOf(key)) ?? learned.get(key);
    },
    async set(key: string, value: string): Promise<void> {
      if (acceptNew) learned.set(key, value);
    },
    async delete(key: string): Promise<boolean> {
      return learned.delete(key);
    },
  };
}

function isApolloManifest(value: unknown): value is { operations: { id: string; body: string }[] } {
  return typeof value === 'object' && value !== null && (value as { format?: unknown }).format === 'apollo-persisted-query-manifest';
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
