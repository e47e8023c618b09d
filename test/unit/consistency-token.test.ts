import { describe, expect, it } from 'vitest';
import { decodeToken, encodeToken } from '../../src/cluster/token.js';

describe('consistency tokens', () => {
  it('round-trip a timeline and a WAL position', () => {
    const token = { timeline: 3, lsn: 0x16b374d848n };
    expect(encodeToken(token)).toBe('3/16/B374D848');
    expect(decodeToken('3/16/B374D848')).toEqual(token);
  });

  it.each(['', 'garbage', '0/0/1', '-1/0/1', '1/0/XYZ', '1/0', '99999999999/0/1'])('reject %j', (text) => {
    expect(decodeToken(text)).toBeUndefined();
  });
});
