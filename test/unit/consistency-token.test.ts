import { describe, expect, it } from 'vitest';
import { decodeToken, encodeToken, standing } from '../../src/cluster/token.js';

describe('consistency tokens', () => {
  it('round-trip a timeline and a WAL position', () => {
    const token = { timeline: 3, lsn: 0x16b374d848n };
    expect(encodeToken(token)).toBe('3/16/B374D848');
    expect(decodeToken('3/16/B374D848')).toEqual(token);
  });

  it.each(['', 'garbage', '0/0/1', '-1/0/1', '1/0/XYZ', '1/0', '99999999999/0/1'])('reject %j', (text) => {
    expect(decodeToken(text)).toBeUndefined();
  });

  it('are reached by a node that replayed at least that far on the same timeline', () => {
    const token = { timeline: 2, lsn: 500n };
    expect(standing(token, { timeline: 2, lsn: 500n })).toBe('reached');
    expect(standing(token, { timeline: 2, lsn: 499n })).toBe('behind');
  });

  it('tell a token from before a failover from one the node does not know yet', () => {
    expect(standing({ timeline: 1, lsn: 10n }, { timeline: 2, lsn: 5n })).toBe('older-timeline');
    expect(standing({ timeline: 3, lsn: 10n }, { timeline: 2, lsn: 50n })).toBe('newer-timeline');
  });
});
