import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { Deadline, type ConnectionManager } from '../cluster/index.js';
import { ForbiddenError, QueryTooComplexError, ShopGraphError, UnauthenticatedError } from '../errors.js';
import { sendMetrics, sendReadiness, type OperatorState } from './admin.js';
import { hasScope, type Authenticator, type Caller } from './auth/index.js';
import type { ClientAddresses } from './client-address.js';
import { GraphQLContext } from './context.js';
import type { CorsPolicy } from './cors.js';
import { requestError } from './errors.js';
import { matchesIfNoneMatch } from './http-caching.js';
import type { BackupHealth } from '../db/backup/index.js';
import type { FastLane } from './fast-lane.js';
import type { Metrics } from './metrics.js';
import { sendError, sendJson, sendShopGraphError } from './respond.js';
import type { Logger, RequestFacts } from '../log.js';
import { inRequestSpan } from '../tracing/index.js';

export interface HttpHandlerOptions {
  /** Largest request body accepted, in bytes; larger ones get 413. */
  maxBodyBytes: number;
  /** Longest query text accepted, in bytes; longer ones get 400 QUERY_TOO_COMPLEX before anything parses them. */
  maxQueryBytes: number;
  authenticator: Authenticator;
  /** Time a request may take, in ms; its SQL is cancelled after. */
  requestTimeoutMs: number;
  /** Answers repeated compiled reads without Apollo's pipeline; absent without compiled reads. */
  fastLane?: FastLane;
  metrics: Metrics;
  backups: () => BackupHealth | undefined;
  logger: Logger;
  /** Who the client of a request is (the socket's peer, or behind trusted proxies the client they name). */
  clients: ClientAddresses;
  /** Which web origins' pages may call. */
  cors: CorsPolicy;
  /** The SDL served at /schema.graphql (see printSchemaForTools); absent: that path is 404. */
  schemaForTools?: string;
}

/**
 * The HTTP front on node:http: `/graphql` goes to Apollo Server (GET for queries, POST for
 * everything); `/schema.graphql` is the SDL for schema tools; `/healthz` and the status line of
 * `/readyz` are for load balancers, and the details of `/readyz` and `/metrics` for admin
 * credentials (or the admin listener); anything else is 404. A preflight (OPTIONS) from a web
 * page is answered here, before either lane.
 * Every response carries an `x-request-id` that log lines and INTERNAL_SERVER_ERROR
 * responses share.
 */
export function createHttpHandler(apollo: ApolloServer<GraphQLContext>, cluster: ConnectionManager, options: HttpHandlerOptions) {
  const operator: OperatorState = { cluster, metrics: options.metrics, backups: options.backups };
  const schemaFile = options.schemaForTools === undefined ? undefined : sdlResponse(options.schemaForTools);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const url = requestTarget(req.url);
    if (!url) {
      res.setHeader('x-request-id', requestId);
      options.metrics.recordHttpRequest(req.method ?? 'GET', 400, 0);
      sendError(res, 400, 'BAD_REQUEST', 'The request target is not a path; send requests to /graphql.');
      return;
    }
    const client = options.clients.of(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    return inRequestSpan(req, res, { requestId, path: url.pathname, client }, () => handle(req, res, { requestId, url, client }));
  };

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    { requestId, url, client }: { requestId: string; url: { pathname: string; search: string }; client: string },
  ): Promise<void> {
    const started = performance.now();
    res.setHeader('x-request-id', requestId);
    // One log line per request, with what the GraphQL layer learnt about it (no credentials).
    const log: RequestFacts = {};
    res.once('finish', () => {
      const seconds = (performance.now() - started) / 1000;
      options.metrics.recordHttpRequest(req.method ?? 'GET', res.statusCode, seconds);
      if (url.pathname === '/graphql')
        options.logger.request({
          requestId,
          method: req.method,
          path: url.pathname,
          status: res.statusCode,
          durationMs: Math.round(seconds * 10_000) / 10,
          client,
          ...log,
        });
    });
    const origin = req.headers.origin;
    if (req.method === 'OPTIONS') {
      for (const [name, value] of options.cors.preflightHeaders(origin)) res.setHeader(name, value);
      res.setHeader('allow', 'GET, POST, OPTIONS');
      res.statusCode = 204;
      res.end();
      return;
    }
    for (const [name, value] of options.cors.responseHeaders(origin)) res.setHeader(name, value);
    switch (url.pathname) {
      case '/graphql':
        break;
      case '/healthz':
        sendJson(res, 200, { status: 'ok' });
        return;
      case '/schema.graphql':
        if (schemaFile) schemaFile(req, res);
        else sendError(res, 404, 'NOT_FOUND', 'Not found. This server does not publish its schema (introspection is off).');
        return;
      case '/readyz': {
        const access = await operatorAccess(options.authenticator, req, client, res);
        if (access !== 'refused') sendReadiness(res, operator, access === 'admin');
        return;
      }
      case '/metrics': {
        const access = await operatorAccess(options.authenticator, req, client, res);
        if (access === 'admin') await sendMetrics(res, options.metrics);
        else if (access === 'public') sendShopGraphError(res, metricsRefusal(req.headers.authorization));
        return;
      }
      default:
        sendError(
          res,
          404,
          'NOT_FOUND',
          'Not found. The GraphQL endpoint is /graphql, its schema /schema.graphql; /healthz, /readyz and /metrics are for operators.',
        );
        return;
    }
    let text: string;
    let body: unknown;
    // A body the fast lane answered before was valid JSON with a query of an accepted length then, as it is now.
    let recognised: ReturnType<FastLane['recognise']>;
    try {
      text = await readBody(req, options.maxBodyBytes);
      recognised = req.method === 'POST' && isJson(req) ? options.fastLane?.recognise(text) : undefined;
      if (!recognised) body = parseBody(text, req);
    } catch (error) {
      if (error instanceof RequestBodyError) sendError(res, error.status, 'BAD_REQUEST', error.message);
      else sendError(res, 400, 'BAD_REQUEST', 'The request body could not be read.');
      return;
    }
    const tooLong = recognised ? undefined : queryTooLong(queryText(body, url.search), options.maxQueryBytes);
    if (tooLong) {
      sendJson(res, 400, { errors: [{ message: tooLong.message, extensions: { code: tooLong.code, ...tooLong.details } }] });
      return;
    }
    let context: GraphQLContext | undefined;
    let identifying: Promise<GraphQLContext> | undefined;
    // Made once per request: the fast lane and Apollo share the caller, the request id and the
    // deadline, and credentials are checked (and a failure counted) once.
    const contextFor = () =>
      (identifying ??= identify(options.authenticator, req, client).then((caller) => {
        log.caller = caller.label;
        return (context = new GraphQLContext(requestId, cluster, caller, new Deadline(options.requestTimeoutMs), log));
      }));
    try {
      if (req.method === 'POST' && options.fastLane) {
        const answer = await options.fastLane.answer(recognised ? { text, recognised } : { text, value: body }, req.headers, contextFor);
        if (answer) {
          res.setHeader('cache-control', answer.caching.cacheControl);
          if (answer.caching.etag) res.setHeader('etag', answer.caching.etag);
          if (answer.caching.vary) appendVary(res, answer.caching.vary);
          if (notModified(req, res)) return;
          res.setHeader('content-type', answer.contentType);
          res.end(answer.body);
          return;
        }
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      // A recognised body the fast lane handed over after all goes the full way, parsed now.
      if (recognised) body = parseBody(text, req);
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
        context: contextFor,
      });
      for (const [key, value] of response.headers) {
        if (key === 'vary') appendVary(res, value);
        else res.setHeader(key, value);
      }
      res.statusCode = response.status ?? 200;
      if (res.statusCode === 200 && notModified(req, res)) return;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } finally {
      // Cleared when the request is done, not left pending for the whole timeout (thousands of
      // timers at a busy server's rate).
      context?.deadline.clear();
    }
  }
}

/** Adds request header names to the response's Vary (CORS may have put `origin` there). */
function appendVary(res: ServerResponse, names: string): void {
  const existing = res.getHeader('vary');
  res.setHeader('vary', existing ? `${String(existing)}, ${names}` : names);
}

/**
 * Answers 304 Not Modified, without a body, when the request's If-None-Match names the
 * response's ETag: the client (or a CDN) has this data already.
 */
function notModified(req: IncomingMessage, res: ServerResponse): boolean {
  const etag = res.getHeader('etag');
  if (typeof etag !== 'string' || !matchesIfNoneMatch(req.headers['if-none-match'], etag)) return false;
  res.statusCode = 304;
  res.removeHeader('content-type');
  res.removeHeader('content-length');
  res.end();
  return true;
}

/**
 * The path and query string of a request, or undefined for a target that is not a URL (the
 * client's mistake). Clients send the path itself (origin form), which needs no URL parser,
 * the cost of which shows in a profile; other forms are parsed.
 */
function requestTarget(target = '/'): { pathname: string; search: string } | undefined {
  if (!target.startsWith('/') || target.includes('/.') || target.includes('#')) {
    if (!URL.canParse(target, 'http://localhost')) return undefined;
    const { pathname, search } = new URL(target, 'http://localhost');
    return { pathname, search };
  }
  const query = target.indexOf('?');
  return query === -1 ? { pathname: target, search: '' } : { pathname: target.slice(0, query), search: target.slice(query) };
}

class RequestBodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the body's text. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBytes) throw new RequestBodyError(413, `The request body is larger than ${maxBytes} bytes.`);
  // Events rather than `for await`: a stream's async iterator costs more than the rest of this function.
  const text = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void chunks.push(chunk);
      req.off('data', onData).resume();
      reject(new RequestBodyError(413, `The request body is larger than ${maxBytes} bytes.`));
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    req.once('error', reject);
  });
  return text;
}

/** What a body holds: parsed JSON for JSON content types, its text otherwise, undefined when empty. */
function parseBody(text: string, req: IncomingMessage): unknown {
  if (text === '') return undefined;
  if (!isJson(req)) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestBodyError(400, 'The request body is not valid JSON.');
  }
}

function isJson(req: IncomingMessage): boolean {
  return /^application\/(.+\+)?json\b/i.test(req.headers['content-type'] ?? '');
}

/**
 * Answers GET /schema.graphql with the SDL, with an ETag so that a tool polling for changes
 * gets 304 while the schema is the same.
 */
function sdlResponse(sdl: string): (req: IncomingMessage, res: ServerResponse) => void {
  const etag = `"${createHash('sha256').update(sdl).digest('base64url').slice(0, 27)}"`;
  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendError(res, 405, 'METHOD_NOT_ALLOWED', 'The schema is read with GET.');
      return;
    }
    res.setHeader('etag', etag);
    res.setHeader('cache-control', 'no-cache');
    if (req.headers['if-none-match'] === etag) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(req.method === 'HEAD' ? undefined : sdl);
  };
}

/** The query text of a request: the `query` of a JSON body, or of a GET's query string. */
function queryText(body: unknown, search: string): string | undefined {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const { query } = body as { query?: unknown };
    return typeof query === 'string' ? query : undefined;
  }
  return search === '' ? undefined : (new URLSearchParams(search).get('query') ?? undefined);
}

function queryTooLong(query: string | undefined, maxBytes: number): QueryTooComplexError | undefined {
  // Characters are at most 3 bytes of UTF-8 here (4 for a surrogate pair, which is 2 characters).
  if (query === undefined || query.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(query);
  return bytes > maxBytes ? new QueryTooComplexError('The query text has this many bytes', 'queryBytes', bytes, maxBytes) : undefined;
}

/**
 * The caller of a request. Bad credentials end the request with 401, and too many of them
 * from one address with 429, before any operation runs (Apollo sends the error thrown from
 * the context function as it is).
 */
async function identify(authenticator: Authenticator, req: IncomingMessage, client: string): Promise<Caller> {
  try {
    return await authenticator.identify(req.headers.authorization, client);
  } catch (error) {
    if (error instanceof ShopGraphError) throw requestError(error);
    throw error;
  }
}

/**
 * What a request to /readyz or /metrics on the API's port may see: `admin` with admin
 * credentials, `public` without credentials or with others, `refused` when its credentials
 * were refused (the refusal is sent).
 */
async function operatorAccess(
  authenticator: Authenticator,
  req: IncomingMessage,
  client: string,
  res: ServerResponse,
): Promise<'admin' | 'public' | 'refused'> {
  if (!req.headers.authorization) return 'public';
  try {
    return hasScope(await authenticator.identify(req.headers.authorization, client), 'admin') ? 'admin' : 'public';
  } catch (error) {
    if (!(error instanceof ShopGraphError)) throw error;
    sendShopGraphError(res, error);
    return 'refused';
  }
}

function metricsRefusal(authorization: string | undefined): ShopGraphError {
  const where = 'Metrics are for operators: scrape the admin listener (SHOPGRAPH_ADMIN_PORT), or send an admin key or token.';
  return authorization ? new ForbiddenError(`${where} These credentials are not admin ones.`) : new UnauthenticatedError(where);
}
