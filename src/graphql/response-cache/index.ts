export {
  CachedReads,
  cacheRoutingExtensions,
  mayBeCached,
  scopesKeyOf,
  variablesKeyOf,
  type CacheableRequest,
  type CacheHit,
} from './cached-reads.js';
export { changeTags } from './change-tags.js';
export {
  ResponseCache,
  type CachedRead,
  type CommittedChange,
  type EvictionCause,
  type Freshness,
  type Invalidation,
} from './response-cache.js';
export { decodeEntry, encodeEntry, type SharedEntry } from './shared-entry.js';
export { SharedResponses, type SharedResponsesOptions, type SharedVerdict } from './shared-responses.js';
