import { reaches, type ConsistencyToken, type HeardUpTo, type Lsn, type Position } from '../../cluster/index.js';
import { leastRecentlyUsed, textBytes } from '../byte-cache.js';

/** A response's data kept with where it was read. */
export interface CachedRead {
  /** The response's `data` as the full path serialises it. */
  data: string;
  /**
   * What the data costs, worked out on the entry's first hit in the fast lane and kept there
   * for the others (every request of one key has the same cost plan), so a hit does not parse
   * the data; every copy of the entry shares this one object.
   */
  readonly cost: { plan?: unknown; actual?: number };
  /** Its ETag (see cachingHeaders). */
  etag: string;
  /** The node it was read from. */
  node: string;
  /**
   * How far that node had replayed when it was chosen (the data holds at least that much), or,
   * once `revalidated`, the primary's position up to which the change feed heard no change to it.
   */
  position: Position;
  /** When it was read, or last revalidated (ms since the epoch). */
  filledAt: number;
  /** How far behind the primary that node was then, in seconds (0 once revalidated). */
  lagSeconds: number;
  /** The rows it read (see responseTags). */
  tags: readonly string[];
  /** Whether every change to what it read names one of its tags, so that the change feed can revalidate it (see responseTags). */
  followed: boolean;
  /** Whether its position and age come from the change feed (see ResponseCache.lookup) rather than from the read. */
  revalidated?: boolean;
}

interface Entry extends CachedRead {
  maxAge: number;
  expiresAt: number;
  bytes: number;
  /** Hit since the eviction order last came round to it (see leastRecentlyUsed). */
  used: boolean;
}

/**
 * Whether a read can be kept: `proven` fresh by what the change feed heard; `stale`, a change
 * heard since touched a row it read; `unproven`, neither (read before the feed's position, or
 * while it does not hear changes).
 */
export type Freshness = 'proven' | 'stale' | 'unproven';

/** Why an entry left the cache. */
export type EvictionCause = 'change' | 'expired' | 'timeline' | 'resync' | 'capacity';

/**
 * How entries are kept fresh: `wal`, every committed change is heard and evicts what it
 * touched; `ages-only`, the primary does not decode its WAL, so entries live out their age;
 * `resyncing`, the change feed is not hearing changes now, so nothing is stored.
 */
export type Invalidation = 'wal' | 'ages-only' | 'resyncing';

/** A committed transaction as the cache sees it: the rows it touched, as tags. */
export interface CommittedChange {
  timeline: number;
  commitLsn: Lsn;
  committedAt: number;
  tags: readonly string[];
}

export interface ResponseCacheOptions {
  maxBytes: number;
  /** The replica lag bound in seconds: an entry is never staler than a replica may be. */
  maxLagSeconds: number;
  /** How entries are invalidated at first (default `resyncing`: until the change feed starts). */
  invalidation?: Invalidation;
  /** How far the change feed has heard every commit, and as of when (see ChangeFeed.heardUpTo). */
  heardUpTo?: () => HeardUpTo | undefined;
  clock?: () => number;
}

/** How long the cache remembers a change's position per tag, to refuse late fills from before it. */
const REMEMBER_CHANGES_MS = 30_000;
const ENTRY_OVERHEAD_BYTES = 200;
const TAG_BYTES = 48;
/** Commit-to-eviction times kept for percentiles. */
const INVALIDATION_SAMPLES = 4096;

/**
 * Responses of cacheable reads, bounded in bytes, least recently used out first. An entry is a
 * read from a node frozen at the position it came from, so the routing contract holds for it:
 * a request with a consistency token the entry has not reached is not answered from it; an
 * entry is never older than its maxAge nor staler than the replica lag bound allows; an entry
 * of another timeline than the newest is dropped; a committed change evicts every entry that
 * read a row it touched and was filled from before it, and a fill from before a change already
 * heard is not stored.
 */
export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly byTag = new Map<string, Set<string>>();
  /** The newest commit heard per tag, so a fill from before it is refused. */
  private readonly recent = new Map<string, { lsn: Lsn; at: number }>();
  /** Changes older than REMEMBER_CHANGES_MS are forgotten; a fill from before the newest of them is refused. */
  private forgottenUpTo: Lsn = 0n;
  private lastPrune = 0;
  private used = 0;
  private mode: Invalidation;
  /** With `wal`: the position from which every commit is heard. */
  private syncedFrom: Position | undefined;
  private readonly clock: () => number;
  private readonly samples: number[] = [];
  private sampleCursor = 0;
  readonly counts = {
    hits: 0,
    misses: 0,
    stored: 0,
    refused: 0,
    /** Misses answered by a read of the same key already in flight (see CachedReads.lookupAfterMiss). */
    joined: 0,
    /** Entries past their age that the change feed proved unchanged, kept as of its position. */
    revalidated: 0,
    evictions: { change: 0, expired: 0, timeline: 0, resync: 0, capacity: 0 } satisfies Record<EvictionCause, number>,
  };

  constructor(private readonly options: ResponseCacheOptions) {
    this.clock = options.clock ?? Date.now;
    this.mode = options.invalidation ?? 'resyncing';
  }

  get invalidation(): Invalidation {
    return this.mode;
  }

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }

  get maxBytes(): number {
    return this.options.maxBytes;
  }

  /**
   * The entry for `key` if it may answer a read on the newest timeline `timeline` with this
   * consistency token; undefined otherwise (a miss). An entry past its age is revalidated
   * rather than dropped when the change feed proves it unchanged (see revalidated).
   */
  lookup(
    key: string,
    { timeline, token }: { timeline: number; token?: ConsistencyToken },
  ): (CachedRead & { ageSeconds: number }) | undefined {
    let entry = this.entries.get(key);
    const now = this.clock();
    if (entry && entry.position.timeline !== timeline) this.evict(key, 'timeline');
    else if (entry && now >= entry.expiresAt && !(entry = this.revalidated(key, entry, now))) this.evict(key, 'expired');
    else if (entry && (!token || reaches(entry.position, token))) {
      entry.used = true;
      this.counts.hits += 1;
      return { ...entry, ageSeconds: (now - entry.filledAt) / 1000 };
    }
    this.counts.misses += 1;
    return undefined;
  }

  /**
   * When a read kept for up to `maxAge` seconds must go: never later than its maxAge, nor than
   * the lag bound less the lag its replica had.
   */
  expiryOf(read: Pick<CachedRead, 'filledAt' | 'lagSeconds'>, maxAge: number): number {
    return read.filledAt + Math.min(maxAge, this.options.maxLagSeconds - read.lagSeconds) * 1000;
  }

  /**
   * Keeps a read for up to `maxAge` seconds (and not past `notAfter`), unless it cannot be
   * proven fresh; says whether it did.
   */
  store(key: string, read: CachedRead, maxAge: number, notAfter = Infinity): boolean {
    const expiresAt = Math.min(this.expiryOf(read, maxAge), notAfter);
    const bytes = textBytes(key) + textBytes(read.data) + read.tags.length * TAG_BYTES + ENTRY_OVERHEAD_BYTES;
    if (expiresAt <= this.clock() || bytes > this.options.maxBytes || this.freshnessOf(read) !== 'proven') {
      this.counts.refused += 1;
      return false;
    }
    this.evict(key);
    if (this.used + bytes > this.options.maxBytes)
      for (const [oldest] of leastRecentlyUsed(this.entries)) {
        this.evict(oldest, 'capacity');
        if (this.used + bytes <= this.options.maxBytes) break;
      }
    this.entries.set(key, { ...read, maxAge, expiresAt, bytes, used: false });
    this.used += bytes;
    for (const tag of read.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) this.byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    this.counts.stored += 1;
    return true;
  }

  /**
   * An entry past its age, kept as of the change feed's position when the feed proves it
   * unchanged; undefined when it cannot (it then goes as expired). The proof: the feed has
   * heard every commit up to a position the primary had reached at a moment after the entry
   * was read, and an entry still here was touched by none of them since its own position (each
   * would have evicted it, and the feed has heard every commit since the entry's position, or
   * the entry would have been refused or emptied by a resync). Its data is then the primary's
   * at that position and moment, as a read there would have been, so its age and lag restart
   * from there, as an HTTP cache's entry does when the origin revalidates it.
   */
  private revalidated(key: string, entry: Entry, now: number): Entry | undefined {
    const heard = this.mode === 'wal' && entry.followed ? this.options.heardUpTo?.() : undefined;
    if (!heard || heard.at <= entry.filledAt || heard.position.timeline !== entry.position.timeline) return undefined;
    if (heard.position.lsn < entry.position.lsn) return undefined;
    const renewed: Entry = { ...entry, position: heard.position, filledAt: heard.at, lagSeconds: 0, revalidated: true };
    renewed.expiresAt = this.expiryOf(renewed, entry.maxAge);
    if (renewed.expiresAt <= now) return undefined;
    this.entries.set(key, renewed);
    this.counts.revalidated += 1;
    return renewed;
  }

  /** Evicts what a committed change touched and remembers it; returns how many entries it evicted. */
  applyCommit(change: CommittedChange): number {
    const now = this.clock();
    let evicted = 0;
    for (const tag of change.tags) {
      const keys = this.byTag.get(tag);
      if (keys) {
        for (const key of [...keys]) {
          const entry = this.entries.get(key);
          // commitLsn is the end of the commit record, and a replica's position the end of the
          // last record it replayed: an entry read at that position has the change.
          if (entry && (entry.position.timeline !== change.timeline || entry.position.lsn < change.commitLsn)) {
            this.evict(key, 'change');
            evicted += 1;
          }
        }
      }
      const known = this.recent.get(tag);
      if (!known || known.lsn < change.commitLsn) this.recent.set(tag, { lsn: change.commitLsn, at: now });
    }
    if (evicted > 0) this.sample(now - change.committedAt);
    if (now - this.lastPrune > 5000) this.prune(now);
    return evicted;
  }

  /**
   * The change feed (re)starts from `position`, or stops hearing (`undefined`; `ages-only` when
   * the primary cannot decode its WAL): nothing kept so far can be proven fresh, so all goes.
   */
  resync(position: Position | undefined, invalidation: Invalidation): void {
    for (const key of [...this.entries.keys()]) this.evict(key, 'resync');
    this.recent.clear();
    this.forgottenUpTo = 0n;
    this.syncedFrom = position;
    this.mode = invalidation;
  }

  /** Commit-to-eviction times of the changes that evicted entries, in ms (the latest INVALIDATION_SAMPLES). */
  invalidationTimes(): readonly number[] {
    return this.samples;
  }

  /**
   * Whether this cache would keep `read` as a fill, by what its change feed heard; the same
   * judgement an entry shared by another instance gets before it is used here.
   */
  freshnessOf(read: Pick<CachedRead, 'position' | 'tags'>): Freshness {
    switch (this.mode) {
      case 'ages-only':
        return 'proven';
      case 'resyncing':
        return 'unproven';
      case 'wal': {
        const from = this.syncedFrom;
        if (!from || !reaches(read.position, from)) return 'unproven';
        const changed = read.tags.some((tag) => {
          const known = this.recent.get(tag);
          return known !== undefined && read.position.lsn < known.lsn;
        });
        if (changed) return 'stale';
        // A change forgotten since may have touched its rows, or may not: unknown either way.
        return read.position.lsn < this.forgottenUpTo ? 'unproven' : 'proven';
      }
      default:
        return this.mode satisfies never;
    }
  }

  /** Removes an entry; counted under `cause` unless it is being replaced. */
  private evict(key: string, cause?: EvictionCause): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
    if (cause) this.counts.evictions[cause] += 1;
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.byTag.delete(tag);
    }
  }

  private prune(now: number): void {
    this.lastPrune = now;
    for (const [tag, known] of this.recent) {
      if (now - known.at < REMEMBER_CHANGES_MS) continue;
      if (known.lsn > this.forgottenUpTo) this.forgottenUpTo = known.lsn;
      this.recent.delete(tag);
    }
  }

  private sample(ms: number): void {
    if (this.samples.length < INVALIDATION_SAMPLES) this.samples.push(ms);
    else this.samples[(this.sampleCursor = (this.sampleCursor + 1) % INVALIDATION_SAMPLES)] = ms;
  }
}
