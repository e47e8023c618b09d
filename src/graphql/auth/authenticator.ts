import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { UnauthenticatedError } from '../../errors.js';
import { decodeGlobalId } from '../ids.js';
import { looksLikeApiKey, secretMatches, splitApiKey } from './api-key-format.js';
import type { Caller } from './caller.js';
import type { AuthFailureLimiter } from './failure-limiter.js';
import { isScope, type Scope } from './scopes.js';

export interface JwtConfig {
  /** Shared secret for HS256/384/512 tokens. */
  secret?: string;
  /** JWKS endpoint of the identity provider, for RS/ES/PS tokens. */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  ratePerSecond: number;
  /** Accept tokens without an `exp` claim (default false: a token that never expires is refused). */
  allowNoExpiry?: boolean;
}

export interface AuthConfig {
  /** Scopes of callers without credentials (empty: anonymous callers can do nothing). */
  anonymousScopes: Scope[];
  anonymousRatePerSecond: number;
  /** Failed authentications a client address may make per minute (see AuthFailureLimiter). */
  failuresPerMinute?: number;
  jwt?: JwtConfig;
}

export interface StoredKey {
  id: string;
  name: string;
  secretHash: string;
  scopes: string[];
  ratePerSecond: number;
  revokedAt: Date | null;
}

/** Finds a key record by its public id (cached by the caller of this module). */
export type KeyLookup = (id: string) => Promise<StoredKey | undefined>;

/**
 * Turns the Authorization header into a Caller: none -> anonymous; `Bearer sg_...` -> an API
 * key; any other bearer token -> a JWT from the configured identity provider. Bad credentials
 * are refused outright (UNAUTHENTICATED), never downgraded to anonymous, so a typo in a key
 * does not silently turn into fewer permissions. Each refusal counts against the client's
 * address, and an address that failed too often is refused (RATE_LIMITED) before its
 * credentials are looked at.
 */
export class Authenticator {
  private readonly jwtKey: Uint8Array | JWTVerifyGetKey | undefined;
  private readonly anonymousScopes: ReadonlySet<Scope>;
  /**
   * The caller of each key record: the key cache hands out one record per key until it looks
   * the key up again or hears it revoked, so requests with one key share one caller (and one
   * scope set, which the response cache's keys are worked out per).
   */
  private readonly keyCallers = new WeakMap<StoredKey, Caller>();

  constructor(
    private readonly config: AuthConfig,
    private readonly lookUpKey: KeyLookup,
    private readonly failures: AuthFailureLimiter,
  ) {
    const jwt = config.jwt;
    this.anonymousScopes = new Set(config.anonymousScopes);
    if (jwt?.jwksUrl) this.jwtKey = createRemoteJWKSet(new URL(jwt.jwksUrl));
    else if (jwt?.secret) this.jwtKey = new TextEncoder().encode(jwt.secret);
  }

  async identify(authorization: string | undefined, clientAddress: string): Promise<Caller> {
    if (authorization === undefined || authorization.trim() === '') {
      return {
        kind: 'anonymous',
        id: `address:${clientAddress}`,
        label: 'anonymous',
        scopes: this.anonymousScopes,
        ratePerSecond: this.config.anonymousRatePerSecond,
      };
    }
    this.failures.check(clientAddress);
    try {
      const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
      if (!token) throw new UnauthenticatedError('The Authorization header must be "Bearer <API key or token>".');
      return await (looksLikeApiKey(token) ? this.identifyKey(token) : this.identifyJwt(token));
    } catch (error) {
      if (error instanceof UnauthenticatedError) this.failures.recordFailure(clientAddress);
      throw error;
    }
  }

  private async identifyKey(text: string): Promise<Caller> {
    const parts = splitApiKey(text);
    const record = parts && (await this.lookUpKey(parts.id));
    if (!parts || !record || !secretMatches(parts.secret, record.secretHash)) {
      throw new UnauthenticatedError('This API key is not valid. Check it was copied whole, or create a new one.');
    }
    if (record.revokedAt) throw new UnauthenticatedError('This API key was revoked. Ask for a new one.');
    let caller = this.keyCallers.get(record);
    if (!caller) {
      caller = {
        kind: 'api-key',
        id: `key:${record.id}`,
        label: `key ${record.id} (${record.name})`,
        keyName: record.name,
        scopes: new Set(record.scopes.filter(isScope)),
        ratePerSecond: record.ratePerSecond,
      };
      this.keyCallers.set(record, caller);
    }
    return caller;
  }

  private async identifyJwt(token: string): Promise<Caller> {
    const jwt = this.config.jwt;
    if (!jwt || !this.jwtKey)
      throw new UnauthenticatedError('This server accepts API keys only (Bearer sg_...); JSON Web Tokens are not configured.');
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.jwtKey as Uint8Array, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: jwt.jwksUrl ? undefined : ['HS256', 'HS384', 'HS512'],
        requiredClaims: jwt.allowNoExpiry ? [] : ['exp'],
      }));
    } catch (error) {
      throw new UnauthenticatedError(describeJwtFailure(error), {}, { cause: error });
    }
    const scopes = new Set(scopeClaim(payload.scope ?? payload.scp).filter(isScope));
    const subject = typeof payload.sub === 'string' ? payload.sub : '';
    const customerId = customerOf(subject);
    if (customerId !== undefined) {
      // A customer's own token: it reads its own profile and orders, and nothing of anyone else.
      scopes.add('customers:read');
      scopes.add('orders:read');
    }
    return {
      kind: 'jwt',
      id: `jwt:${payload.iss ?? ''}:${subject}`,
      label: customerId !== undefined ? 'customer token' : `token for ${subject || 'unknown subject'}`,
      scopes,
      customerId,
      ratePerSecond: jwt.ratePerSecond,
    };
  }
}

function scopeClaim(claim: unknown): string[] {
  if (typeof claim === 'string') return claim.split(/\s+/).filter(Boolean);
  if (Array.isArray(claim)) return claim.filter((scope): scope is string => typeof scope === 'string');
  return [];
}

/** A token whose subject is a Customer global id belongs to that customer. */
function customerOf(subject: string): number | undefined {
  try {
    const decoded = decodeGlobalId(subject, 'sub');
    return decoded.type === 'Customer' ? decoded.id : undefined;
  } catch {
    return undefined;
  }
}

function describeJwtFailure(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'The token has expired; get a new one from your identity provider.';
  if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'exp' && error.reason === 'missing')
    return 'The token has no exp claim, and this server accepts only tokens that expire; ask your identity provider for ones that do.';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `The token's ${error.claim} claim is not accepted here.`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is not valid.';
  return 'The token is not a valid JSON Web Token for this API.';
}
