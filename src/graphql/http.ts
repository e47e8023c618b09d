import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { Deadline, type ConnectionManager } from '../cluster/index.js';
import { QueryTooComplexError, UnauthenticatedError } from '../errors.js';
import type { Authenticator, Caller } from './auth/index.js';
import { GraphQLContext } from './context.js';
import { requestError } from './errors.js';
import { readiness } from './health.js';
import type { BackupHealth } from '../db/backup/index.js';
import type { FastLane } from './fast-lane.js';
import type { Metrics } from './metrics.js';
import type { Logger, RequestFacts } from '../log.js';

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
}

/**
 * The HTTP front on node:http: `/graphql` goes to Apollo Server (GET for queries, POST for
 * everything); `/healthz`, `/readyz` and `/metrics` are for operators; anything else is 404.
 * Every response carries an `x-request-id` that log lines and INTERNAL_SERVER_ERROR
 * responses share.
 */
export function createHttpHandler(apollo: ApolloServer<GraphQLContext>, cluster: ConnectionManager, options: HttpHandlerOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const started = performance.now();
    res.setHeader('x-request-id', requestId);
    const url = requestTarget(req.url);
    if (!url) {
      options.metrics.recordHttpRequest(req.method ?? 'GET', 400, (performance.now() - started) / 1000);
      sendError(res, 400, 'BAD_REQUEST', 'The request target is not a path; send requests to /graphql.');
      return;
    }
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
          ...log,
        });
    });
    switch (url.pathname) {
      case '/graphql':
        break;
      case '/healthz':
        sendJson(res, 200, { status: 'ok' });
        return;
      case '/readyz': {
        const { status, body } = readiness(cluster, options.backups());
        sendJson(res, status, body);
        return;
      }
      case '/metrics':
        res.setHeader('content-type', options.metrics.registry.contentType);
        res.end(await options.metrics.registry.metrics());
        return;
      default:
        sendError(res, 404, 'NOT_FOUND', 'Not found. The GraphQL endpoint is /graphql; /healthz, /readyz and /metrics are for operators.');
        return;
    }
    let body: unknown;
    try {
      body = await readBody(req, options.maxBodyBytes);
    } catch (error) {
      if (error instanceof RequestBodyError) sendError(res, error.status, 'BAD_REQUEST', error.message);
      else sendError(res, 400, 'BAD_REQUEST', 'The request body could not be read.');
      return;
    }
    const tooLong = queryTooLong(queryText(body, url.search), options.maxQueryBytes);
    if (tooLong) {
      sendJson(res, 400, { errors: [{ message: tooLong.message, extensions: { code: tooLong.code, ...tooLong.details } }] });
      return;
    }
    let context: GraphQLContext | undefined;
    // Made once per request: the fast lane and Apollo share the caller, the request id and the deadline.
    const contextFor = async () => {
      if (context) return context;
      const caller = await identify(options.authenticator, req);
      log.caller = caller.label;
      return (context = new GraphQLContext(requestId, cluster, caller, new Deadline(options.requestTimeoutMs), log));
    };
    try {
      if (req.method === 'POST' && options.fastLane) {
        const answer = await options.fastLane.answer(body, req.headers, contextFor);
        if (answer) {
          res.setHeader('cache-control', answer.cacheControl);
          res.setHeader('content-type', answer.contentType);
          res.end(answer.body);
          return;
        }
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
        context: contextFor,
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
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
  };
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

/** Reads the body: parsed JSON for JSON content types, text otherwise, undefined when empty. */
async function readBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
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
  if (text === '') return undefined;
  const contentType = req.headers['content-type'] ?? '';
  if (!/^application\/(.+\+)?json\b/i.test(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    throw new RequestBodyError(400, 'The request body is not valid JSON.');
  }
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

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/**
 * The caller of a request. Bad credentials end the request with 401 before any operation
 * runs (Apollo sends the error thrown from the context function as it is).
 */
async function identify(authenticator: Authenticator, req: IncomingMessage): Promise<Caller> {
  try {
    return await authenticator.identify(req.headers.authorization, req.socket.remoteAddress ?? 'unknown');
  } catch (error) {
    if (error instanceof UnauthenticatedError) throw requestError(error);
    throw error;
  }
}
