import { createHash } from 'node:crypto';
import { cacheControlHeader, UNCACHEABLE, type CachePolicy } from './cache-policy.js';

/** The caching headers of one GraphQL response. */
export interface CachingHeaders {
  cacheControl: string;
  /** A strong validator of the response's `data`; only on responses that may be kept. */
  etag?: string;
  /** The request headers that change the answer, for caches that keep it. */
  vary?: string;
}

/**
 * Request headers that change a cacheable answer: the media type, and the routing headers (a
 * consistency token asks for data at least that new; `x-read-from: primary` for the primary's).
 * A private answer also depends on the credentials.
 */
const VARY_PUBLIC = 'accept, x-consistency-token, x-read-from';
const VARY_PRIVATE = `${VARY_PUBLIC}, authorization`;

/**
 * The caching headers of a response with this policy, the same on both lanes: `no-store` for a
 * response with errors or a policy of 0 seconds, else `public, max-age=N` or
 * `private, max-age=N` with an ETag and Vary. `etag` gives the ETag of the response's `data`
 * (etagOf), the same on both lanes: the data's hash, so a response whose data did not change
 * validates again although its `extensions` (cost, routing) differ.
 */
export function cachingHeaders(policy: CachePolicy | undefined, hasErrors: boolean, etag: () => string): CachingHeaders {
  const effective = policy && !hasErrors ? policy : UNCACHEABLE;
  const cacheControl = cacheControlHeader(effective);
  if (cacheControl === 'no-store') return { cacheControl };
  return { cacheControl, etag: etag(), vary: effective.scope === 'PUBLIC' ? VARY_PUBLIC : VARY_PRIVATE };
}

/** The ETag of a response whose `data` is `dataText` (as the full path serialises it). */
export function etagOf(dataText: string): string {
  return `"${createHash('sha256').update(dataText).digest('base64url').slice(0, 27)}"`;
}

/** Whether an `If-None-Match` request header names `etag` (or `*`), compared weakly as RFC 9110 asks. */
export function matchesIfNoneMatch(ifNoneMatch: string | undefined, etag: string | undefined): boolean {
  if (!ifNoneMatch || !etag) return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const tag = candidate.trim();
    return tag === '*' || tag.replace(/^W\//, '') === etag;
  });
}
