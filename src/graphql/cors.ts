/** What a page on another origin may send: the JSON body, credentials, routing and tracing headers. */
const ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'x-consistency-token',
  'x-read-from',
  'apollo-require-preflight',
  'traceparent',
  'tracestate',
];
/** What such a page may read of a response besides the basic headers. */
const EXPOSED_HEADERS = 'x-consistency-token, x-request-id, retry-after';
/** How long a browser may keep a preflight's answer (Chromium keeps it 2 hours at most). */
const PREFLIGHT_MAX_AGE_SECONDS = '600';

type Headers = readonly (readonly [string, string])[];

/**
 * Cross-origin access for web pages (CORS). Origins listed exactly may call with anything a
 * client sends, API keys and tokens in `Authorization` included. `*` lets pages of every other
 * origin call anonymously: the preflight does not allow them the Authorization header, so a
 * browser never sends a key from a page the operator has not listed. Browser credentials
 * (cookies, TLS client certificates) are never allowed: ShopGraph uses none. A request from an
 * origin that is neither gets no CORS headers, and the browser keeps the response from the page.
 */
export class CorsPolicy {
  private readonly listed: ReadonlySet<string>;
  private readonly anyOrigin: boolean;
  /** Responses depend on the Origin header when origins are listed; caches must know it. */
  private readonly vary: Headers;

  constructor(origins: readonly string[]) {
    this.listed = new Set(origins.filter((origin) => origin !== '*'));
    this.anyOrigin = origins.includes('*');
    this.vary = this.listed.size > 0 ? [['vary', 'origin']] : [];
  }

  /** The headers of a response to a request from `origin`. */
  responseHeaders(origin: string | undefined): Headers {
    const allowed = this.allowedOrigin(origin);
    if (allowed === undefined) return this.vary;
    return [['access-control-allow-origin', allowed], ['access-control-expose-headers', EXPOSED_HEADERS], ...this.vary];
  }

  /** The headers of the answer to a preflight (OPTIONS) from `origin`. */
  preflightHeaders(origin: string | undefined): Headers {
    const allowed = this.allowedOrigin(origin);
    if (allowed === undefined) return this.vary;
    const headers = allowed === '*' ? ALLOWED_HEADERS.filter((name) => name !== 'authorization') : ALLOWED_HEADERS;
    return [
      ['access-control-allow-origin', allowed],
      ['access-control-allow-methods', 'GET, POST'],
      ['access-control-allow-headers', headers.join(', ')],
      ['access-control-max-age', PREFLIGHT_MAX_AGE_SECONDS],
      ...this.vary,
    ];
  }

  /** The Access-Control-Allow-Origin value for `origin`, or undefined when it may not call. */
  private allowedOrigin(origin: string | undefined): string | undefined {
    if (origin === undefined) return undefined;
    if (this.listed.has(origin)) return origin;
    return this.anyOrigin ? '*' : undefined;
  }
}
