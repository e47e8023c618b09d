import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `sg_<id>_<secret>`: the id is public (it names the key in lists and
 * logs and finds its record), the secret is 32 random bytes of which only a SHA-256 hash is
 * stored. A leaked database therefore leaks no usable key.
 */
const KEY_PATTERN = /^sg_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewKey {
  id: string;
  /** The whole key, shown once to whoever created it. */
  key: string;
  secretHash: string;
}

export function generateApiKey(): NewKey {
  const id = randomBytes(9)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 12);
  const secret = randomBytes(32).toString('base64url');
  return { id, key: `sg_${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of something shaped like an API key, or undefined. */
export function splitApiKey(text: string): { id: string; secret: string } | undefined {
  const match = KEY_PATTERN.exec(text);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

export function looksLikeApiKey(text: string): boolean {
  return text.startsWith('sg_');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = secretDigest(secret);
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}

function hashSecret(secret: string): string {
  return secretDigest(secret).toString('hex');
}

/** One-shot hashing: every keyed request computes this, and a Hash object costs twice as much. */
function secretDigest(secret: string): Buffer {
  return hash('sha256', secret, 'buffer');
}
