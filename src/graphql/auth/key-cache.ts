import type { KeyLookup, StoredKey } from './authenticator.js';

export interface KeyCacheOptions {
  /** How long a lookup is kept while revocations are heard (default 60 s). */
  listeningTtlMs?: number;
  /** How long a lookup is kept otherwise: the longest a revoked key keeps working (default 10 s). */
  ttlMs?: number;
  maxEntries?: number;
  /** Revocation notices remembered (default 10,000). */
  maxRevoked?: number;
  clock?: () => number;
}

/**
 * Caches key lookups, so an API key costs one database read per TTL, not one per request,
 * and a flood of bad keys cannot turn into a flood of queries. While the server hears
 * revocations (see RevocationListener), a revoked key is dropped the moment its notice
 * arrives and lookups are kept longer; otherwise a revoked key keeps working for up to `ttlMs`.
 */
export class KeyCache {
  private readonly entries = new Map<string, { expires: number; value: Promise<StoredKey | undefined> }>();
  /**
   * Keys whose revocation was announced. A revocation is never undone, and the lookup after
   * the notice may come from a replica that has not replayed it yet: the notice wins.
   */
  private readonly revocations = new Map<string, Date>();
  private hearing = false;
  private readonly settings: Required<Omit<KeyCacheOptions, 'clock'>>;
  private readonly clock: () => number;

  constructor(
    private readonly lookUp: KeyLookup,
    options: KeyCacheOptions = {},
  ) {
    this.settings = {
      listeningTtlMs: options.listeningTtlMs ?? 60_000,
      ttlMs: options.ttlMs ?? 10_000,
      maxEntries: options.maxEntries ?? 10_000,
      maxRevoked: options.maxRevoked ?? 10_000,
    };
    this.clock = options.clock ?? Date.now;
  }

  readonly lookup: KeyLookup = (id) => {
    const now = this.clock();
    let cached = this.entries.get(id);
    if (!cached || cached.expires <= now) {
      const value = this.lookUp(id);
      this.entries.delete(id);
      cached = { expires: now + (this.hearing ? this.settings.listeningTtlMs : this.settings.ttlMs), value };
      this.entries.set(id, cached);
      // A failed lookup (database down) must not be remembered as "no such key".
      value.catch(() => this.entries.delete(id));
      if (this.entries.size > this.settings.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    const revokedAt = this.revocations.get(id);
    return revokedAt ? cached.value.then((key) => key && { ...key, revokedAt: key.revokedAt ?? revokedAt }) : cached.value;
  };

  /** Whether revocations are heard now. */
  get listening(): boolean {
    return this.hearing;
  }

  /**
   * Revocations are heard from now on, or no longer. Either way what is cached is dropped:
   * a revocation may have gone unheard in between, and entries kept for the longer TTL must
   * not outlive the shorter one.
   */
  setListening(listening: boolean): void {
    this.hearing = listening;
    this.entries.clear();
  }

  /** A revocation notice for this key id. */
  revoked(id: string): void {
    this.entries.delete(id);
    this.revocations.delete(id);
    this.revocations.set(id, new Date(this.clock()));
    if (this.revocations.size > this.settings.maxRevoked) this.revocations.delete(this.revocations.keys().next().value!);
  }
}
