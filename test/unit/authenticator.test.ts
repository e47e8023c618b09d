import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthenticationThrottledError, UnauthenticatedError } from '../../src/errors.js';
import { AuthFailureLimiter } from '../../src/graphql/auth/failure-limiter.js';
import { Authenticator, generateApiKey, type AuthConfig, type StoredKey } from '../../src/graphql/auth/index.js';

const SECRET = 'unit-test-secret-0123456789abcdefghijkl';
const known = generateApiKey();
const stored: StoredKey = {
  id: known.id,
  name: 'shop',
  secretHash: known.secretHash,
  scopes: ['catalog:read'],
  ratePerSecond: 10,
  revokedAt: null,
};
const unknownKey = generateApiKey().key;

function authenticator(options: { allowNoExpiry?: boolean; failuresPerMinute?: number; clock?: () => number } = {}) {
  const lookups: string[] = [];
  const config: AuthConfig = {
    anonymousScopes: ['catalog:read'],
    anonymousRatePerSecond: 10,
    jwt: { secret: SECRET, ratePerSecond: 10, allowNoExpiry: options.allowNoExpiry },
  };
  const lookUp = async (id: string) => {
    lookups.push(id);
    return id === stored.id ? stored : undefined;
  };
  const limiter = new AuthFailureLimiter(options.failuresPerMinute ?? 30, options.clock);
  return { auth: new Authenticator(config, lookUp, limiter), lookups };
}

function token(expires: boolean): Promise<string> {
  const jwt = new SignJWT({ sub: 'app', scope: 'catalog:read' }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  return (expires ? jwt.setExpirationTime('5m') : jwt).sign(new TextEncoder().encode(SECRET));
}

describe('JSON Web Tokens', () => {
  it('are refused without an exp claim, saying why', async () => {
    const { auth } = authenticator();
    await expect(auth.identify(`Bearer ${await token(false)}`, '203.0.113.1')).rejects.toThrowError(
      new UnauthenticatedError(
        'The token has no exp claim, and this server accepts only tokens that expire; ask your identity provider for ones that do.',
      ),
    );
  });

  it('are accepted without an exp claim when the server allows it', async () => {
    const { auth } = authenticator({ allowNoExpiry: true });
    expect((await auth.identify(`Bearer ${await token(false)}`, '203.0.113.1')).kind).toBe('jwt');
  });

  it('are accepted with an exp claim', async () => {
    const { auth } = authenticator();
    expect((await auth.identify(`Bearer ${await token(true)}`, '203.0.113.1')).kind).toBe('jwt');
  });
});

describe('failed authentications', () => {
  it('are refused with RATE_LIMITED once an address has used up its tries, without looking the key up', async () => {
    const { auth, lookups } = authenticator({ failuresPerMinute: 3, clock: () => 0 });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await expect(auth.identify(`Bearer ${unknownKey}`, '203.0.113.1')).rejects.toBeInstanceOf(UnauthenticatedError);
    }
    const refusal = auth.identify(`Bearer ${unknownKey}`, '203.0.113.1');
    await expect(refusal).rejects.toBeInstanceOf(AuthenticationThrottledError);
    await expect(refusal).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 20 });
    expect(lookups).toHaveLength(3);
  });

  it('refuse even a good key from that address until it has a try again', async () => {
    const now = { ms: 0 };
    const { auth } = authenticator({ failuresPerMinute: 3, clock: () => now.ms });
    for (let attempt = 0; attempt < 3; attempt += 1) await auth.identify('Bearer nonsense', '203.0.113.1').catch(() => {});
    await expect(auth.identify(`Bearer ${known.key}`, '203.0.113.1')).rejects.toBeInstanceOf(AuthenticationThrottledError);
    now.ms = 20_000;
    expect((await auth.identify(`Bearer ${known.key}`, '203.0.113.1')).id).toBe(`key:${stored.id}`);
  });

  it('leave other addresses and anonymous requests alone', async () => {
    const { auth } = authenticator({ failuresPerMinute: 1, clock: () => 0 });
    await auth.identify(`Bearer ${unknownKey}`, '203.0.113.1').catch(() => {});
    expect((await auth.identify(undefined, '203.0.113.1')).kind).toBe('anonymous');
    expect((await auth.identify(`Bearer ${known.key}`, '203.0.113.2')).kind).toBe('api-key');
  });

  it('are the only ones counted: successful authentications cost nothing', async () => {
    const { auth } = authenticator({ failuresPerMinute: 1, clock: () => 0 });
    for (let attempt = 0; attempt < 5; attempt += 1) await auth.identify(`Bearer ${known.key}`, '203.0.113.1');
    await expect(auth.identify(`Bearer ${unknownKey}`, '203.0.113.1')).rejects.toBeInstanceOf(UnauthenticatedError);
  });
});
