import type { ServerResponse } from 'node:http';
import type { ShopGraphError } from '../errors.js';
import { requestError } from './errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { errors: [{ message, extensions: { code } }] });
}

/** A ShopGraph error outside GraphQL, with the status and headers the one mapping in errors.ts gives it. */
export function sendShopGraphError(res: ServerResponse, error: ShopGraphError): void {
  const { status, headers } = requestError(error).extensions.http as { status: number; headers: Map<string, string> };
  for (const [name, value] of headers) res.setHeader(name, value);
  sendError(res, status, error.code, error.message);
}
