import type { Position } from '../../cluster/index.js';
import type { CachedRead } from './response-cache.js';

/**
 * A cached read as instances share it: all of it but its cost (worked out by each instance)
 * and whether a change feed may revalidate it (each instance's entries from Redis live out
 * their age), and when it expires.
 */
export interface SharedEntry extends Omit<CachedRead, 'cost' | 'followed'> {
  /** ms since the epoch, as the filling instance computed it (ResponseCache.expiryOf). */
  expiresAt: number;
}

/**
 * The fields of an entry's Redis hash. `position` is fixed-width hex (timeline, then LSN), so
 * that Redis's scripts compare positions as strings: Lua's numbers are doubles, which cannot
 * hold a 64-bit LSN. `data` is kept apart from `meta` so it is not escaped into a JSON string.
 */
export interface EncodedEntry {
  position: string;
  meta: string;
  data: string;
}

/** Entries of another version of this codec are passed over (a rolling upgrade shares one Redis). */
const CODEC_VERSION = 1;

/** `0000000A/00000000016B3748`: comparable as text, timeline first. */
export function positionText({ timeline, lsn }: Position): string {
  return `${timeline.toString(16).toUpperCase().padStart(8, '0')}/${lsn.toString(16).toUpperCase().padStart(16, '0')}`;
}

export function parsePositionText(text: string): Position | undefined {
  const match = /^([0-9A-F]{8})\/([0-9A-F]{16})$/.exec(text);
  return match ? { timeline: Number.parseInt(match[1]!, 16), lsn: BigInt(`0x${match[2]}`) } : undefined;
}

export function encodeEntry(entry: SharedEntry): EncodedEntry {
  const { data, position, etag, node, filledAt, lagSeconds, tags, expiresAt } = entry;
  return {
    position: positionText(position),
    meta: JSON.stringify({ v: CODEC_VERSION, etag, node, filledAt, lagSeconds, tags, expiresAt }),
    data,
  };
}

/** The entry, or undefined for fields this version did not write (another version, or damage). */
export function decodeEntry(fields: Partial<EncodedEntry>): SharedEntry | undefined {
  const position = fields.position === undefined ? undefined : parsePositionText(fields.position);
  if (!position || typeof fields.data !== 'string' || typeof fields.meta !== 'string') return undefined;
  let meta: Record<string, unknown>;
  try {
    meta = JSON.parse(fields.meta) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const { v, etag, node, filledAt, lagSeconds, tags, expiresAt } = meta;
  if (
    v !== CODEC_VERSION ||
    typeof etag !== 'string' ||
    typeof node !== 'string' ||
    !isFiniteNumber(filledAt) ||
    !isFiniteNumber(lagSeconds) ||
    !isFiniteNumber(expiresAt) ||
    !Array.isArray(tags) ||
    !tags.every((tag) => typeof tag === 'string')
  )
    return undefined;
  return { data: fields.data, etag, node, position, filledAt, lagSeconds, tags: tags as string[], expiresAt };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
