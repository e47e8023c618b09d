import { describe, expect, it } from 'vitest';
import { formatLsn, parseLsn } from '../../src/cluster/lsn.js';

describe('WAL positions', () => {
  it('parse into comparable numbers', () => {
    expect(parseLsn('0/3000148')).toBe(0x3000148n);
    expect(parseLsn('16/B374D848') > parseLsn('16/B374D000')).toBe(true);
    expect(parseLsn('1/0') - parseLsn('0/FFFFFFFF')).toBe(1n);
  });

  it('format back to PostgreSQL notation', () => {
    expect(formatLsn(parseLsn('16/B374D848'))).toBe('16/B374D848');
  });

  it('refuse text that is not a position', () => {
    expect(() => parseLsn('16-B374D848')).toThrowError('not a WAL position: 16-B374D848');
  });
});
