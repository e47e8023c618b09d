import { formatLsn, parseLsn } from './lsn.js';
import type { Position } from './timeline.js';

/**
 * A consistency token: the primary's timeline and WAL position right after a mutation
 * committed. A read that presents it must be served by a node that has replayed at least
 * that far on that timeline, so the client sees its own write.
 *
 * Wire form: `1/0/3000148` (timeline / WAL position). Clients treat it as opaque.
 */
export type ConsistencyToken = Position;

export function encodeToken(token: ConsistencyToken): string {
  return `${token.timeline}/${formatLsn(token.lsn)}`;
}

/** The token, or undefined when the text is not one. */
export function decodeToken(text: string): ConsistencyToken | undefined {
  const match = /^(\d{1,10})\/([0-9A-F]{1,8}\/[0-9A-F]{1,8})$/i.exec(text.trim());
  if (!match) return undefined;
  const timeline = Number(match[1]);
  if (!Number.isSafeInteger(timeline) || timeline < 1) return undefined;
  return { timeline, lsn: parseLsn(match[2]!) };
}
