export { generateApiKey } from './api-key-format.js';
export { Authenticator, type AuthConfig, type JwtConfig, type KeyLookup, type StoredKey } from './authenticator.js';
export { hasScope, type Caller } from './caller.js';
export { KeyCache, type KeyCacheOptions } from './key-cache.js';
export { RevocationListener, type RevocationListenerOptions } from './revocation-listener.js';
export { isScope, parseScopes, SCOPES, type Scope } from './scopes.js';
