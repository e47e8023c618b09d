import { describe, expect, it } from 'vitest';
import { CorsPolicy } from '../../src/graphql/cors.js';

const SHOP = 'https://shop.example';

describe('cross-origin access', () => {
  it('answers a preflight from a listed origin with the methods, the request headers and the credentials header', () => {
    const headers = Object.fromEntries(new CorsPolicy([SHOP]).preflightHeaders(SHOP));
    expect(headers).toEqual({
      'access-control-allow-origin': SHOP,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers':
        'content-type, authorization, x-consistency-token, x-read-from, apollo-require-preflight, traceparent, tracestate',
      'access-control-max-age': '600',
      vary: 'origin',
    });
  });

  it('lets pages of a listed origin read the consistency token, the request id and Retry-After', () => {
    expect(Object.fromEntries(new CorsPolicy([SHOP]).responseHeaders(SHOP))).toEqual({
      'access-control-allow-origin': SHOP,
      'access-control-expose-headers': 'x-consistency-token, x-request-id, retry-after',
      vary: 'origin',
    });
  });

  it('gives an origin that is not listed no CORS headers', () => {
    const policy = new CorsPolicy([SHOP]);
    expect(policy.preflightHeaders('https://evil.example')).toEqual([['vary', 'origin']]);
    expect(policy.responseHeaders('https://evil.example')).toEqual([['vary', 'origin']]);
    expect(new CorsPolicy([]).preflightHeaders(SHOP)).toEqual([]);
  });

  it('lets any origin call anonymously with *, without the Authorization header', () => {
    const policy = new CorsPolicy(['*', SHOP]);
    const anyOrigin = Object.fromEntries(policy.preflightHeaders('https://elsewhere.example'));
    expect(anyOrigin['access-control-allow-origin']).toBe('*');
    expect(anyOrigin['access-control-allow-headers']).not.toContain('authorization');
    expect(anyOrigin['access-control-allow-headers']).toContain('x-consistency-token');
    expect(Object.fromEntries(policy.preflightHeaders(SHOP))['access-control-allow-headers']).toContain('authorization');
  });

  it('never allows browser credentials such as cookies', () => {
    const policy = new CorsPolicy(['*', SHOP]);
    for (const headers of [policy.preflightHeaders(SHOP), policy.responseHeaders(SHOP), policy.preflightHeaders('https://x.example')]) {
      expect(headers.map(([name]) => name)).not.toContain('access-control-allow-credentials');
    }
  });
});
