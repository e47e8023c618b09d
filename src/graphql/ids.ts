import { sql, type SQL, type SQLWrapper } from 'drizzle-orm';
import { base64urlSql } from '../db/index.js';
import { BadUserInputError } from '../errors.js';

/** Types that have global ids (every implementation of the Node interface). */
export type NodeType = 'Category' | 'Customer' | 'Order' | 'Product' | 'Review' | 'Warehouse';

const NODE_TYPES: ReadonlySet<string> = new Set<NodeType>(['Category', 'Customer', 'Order', 'Product', 'Review', 'Warehouse']);
const MAX_ROW_ID = 2 ** 31 - 1;

export interface DecodedId {
  type: NodeType;
  id: number;
}

/**
 * Global ids are base64url("Type:rowId"): opaque to clients, unique across types, and
 * enough for `node(id:)` to know where to look.
 */
export function toGlobalId(type: NodeType, id: number): string {
  return Buffer.from(globalIdText(type, id)).toString('base64url');
}

/** `toGlobalId` computed by PostgreSQL from a row's id column (compiled reads). */
export function globalIdSql(type: string, id: SQLWrapper): SQL {
  return base64urlSql(sql`${globalIdText(type, '')}::text || ${id}`);
}

function globalIdText(type: string, id: number | ''): string {
  return `${type}:${id}`;
}

/** Decodes any global id; `field` names the argument in the error for a malformed one. */
export function decodeGlobalId(globalId: string, field: string): DecodedId {
  const decoded = parseGlobalId(globalId);
  if (!decoded) throw new BadUserInputError(`${field} is not a valid id; use an id returned by this API.`, field);
  return decoded;
}

/** The type a global id names, or undefined for a malformed one (what `node(id:)` will return). */
export function nodeTypeOf(globalId: string): NodeType | undefined {
  return parseGlobalId(globalId)?.type;
}

function parseGlobalId(globalId: string): DecodedId | undefined {
  const [type = '', raw = '', ...rest] = Buffer.from(globalId, 'base64url').toString('utf8').split(':');
  const id = Number(raw);
  if (rest.length > 0 || !NODE_TYPES.has(type) || !/^\d+$/.test(raw) || id < 1 || id > MAX_ROW_ID) return undefined;
  return { type: type as NodeType, id };
}

/** Decodes a global id that must be of one type, for example a Product id for `productId`. */
export function decodeIdOf(type: NodeType, globalId: string, field: string): number {
  const decoded = decodeGlobalId(globalId, field);
  if (decoded.type !== type) {
    throw new BadUserInputError(`${field} is the id of a ${decoded.type}; a ${type} id is needed here.`, field);
  }
  return decoded.id;
}
