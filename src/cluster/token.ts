import { formatLsn, parseLsn, type Lsn } from './lsn.js';

/**
 * A consistency token: the primary's timeline and WAL position right after a mutation
 * committed. A read that presents it must be served by a node that has replayed at least
 * that far on that timeline, so the client sees its own write.
 *
 * Wire form: `1/0/3000148` (timeline / WAL position). Clients treat it as opaque.
 */
export interface ConsistencyToken {
  timeline: number;
  lsn: Lsn;
}

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

/** How a node's position compares with a token. */
export type TokenStanding =
  /** Same timeline, replayed at least as far: the write is visible there. */
  | 'reached'
  /** Same timeline, not replayed that far yet. */
  | 'behind'
  /** The token is from an earlier timeline: a failover happened since the write. */
  | 'older-timeline'
  /** The token is from a later timeline than the node knows. */
  | 'newer-timeline';

export function standing(token: ConsistencyToken, node: { timeline: number; lsn: Lsn }): TokenStanding {
  if (token.timeline < node.timeline) return 'older-timeline';
  if (token.timeline > node.timeline) return 'newer-timeline';
  return node.lsn >= token.lsn ? 'reached' : 'behind';
}
