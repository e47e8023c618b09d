export { CachedReads, cacheRoutingExtensions, type CacheableRequest, type CacheHit } from './cached-reads.js';
export { changeTags } from './change-tags.js';
export { ResponseCache, type EvictionCause, type Invalidation } from './response-cache.js';
