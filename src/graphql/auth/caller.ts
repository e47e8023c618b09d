import type { Scope } from './scopes.js';

/** Who is calling, established once per request from the Authorization header. */
export interface Caller {
  kind: 'anonymous' | 'api-key' | 'jwt';
  /** Stable identity for rate limiting: the key id, the token's issuer and subject, or the client address. */
  id: string;
  /** What logs may say about the caller (never a secret or personal data). */
  label: string;
  scopes: ReadonlySet<Scope>;
  /** For an API key: its name, as the operator created it. */
  keyName?: string;
  /** For a customer's own token: the only customer whose profile and orders it may see. */
  customerId?: number;
  /** Cost points restored per second to the caller's rate-limit bucket. */
  ratePerSecond: number;
}

export function hasScope(caller: Caller, scope: Scope): boolean {
  return caller.scopes.has('admin') || caller.scopes.has(scope);
}
