import { describe, expect, it } from 'vitest';
import { ClientAddresses, parseAddressRange, type AddressRange } from '../../src/graphql/client-address.js';

const ranges = (...texts: string[]): AddressRange[] => texts.map((text) => parseAddressRange(text)!);

describe('trusted proxy ranges', () => {
  it('are read as addresses or CIDR ranges of IPv4 and IPv6', () => {
    expect(parseAddressRange('10.0.0.7')).toEqual({ address: '10.0.0.7', family: 'ipv4' });
    expect(parseAddressRange('10.0.0.0/8')).toEqual({ address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseAddressRange('fd00::/8')).toEqual({ address: 'fd00::', prefix: 8, family: 'ipv6' });
    expect(parseAddressRange('::1')).toEqual({ address: '::1', family: 'ipv6' });
  });

  it('refuse what is not an address or a range', () => {
    for (const text of ['10.0.0.300', 'proxy.internal', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0.0/x', '']) {
      expect(parseAddressRange(text), text).toBeUndefined();
    }
  });
});

describe('the client address', () => {
  it('is the socket peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    expect(new ClientAddresses().of('127.0.0.1', '203.0.113.9')).toBe('127.0.0.1');
  });

  it('is the right-most untrusted hop of X-Forwarded-For behind a trusted proxy', () => {
    const clients = new ClientAddresses(ranges('127.0.0.1', '10.0.0.0/8'));
    expect(clients.of('127.0.0.1', '203.0.113.9')).toBe('203.0.113.9');
    // The client wrote the left-most hop itself; the proxies appended the rest.
    expect(clients.of('127.0.0.1', '198.51.100.1, 203.0.113.9, 10.1.2.3')).toBe('203.0.113.9');
  });

  it('ignores X-Forwarded-For from a peer that is not trusted', () => {
    const clients = new ClientAddresses(ranges('10.0.0.0/8'));
    expect(clients.of('127.0.0.1', '203.0.113.9')).toBe('127.0.0.1');
  });

  it('trusts IPv6 ranges and reads IPv4-mapped peers as IPv4', () => {
    const clients = new ClientAddresses(ranges('fd00::/8', '127.0.0.1'));
    expect(clients.of('fd12::1', '2001:DB8::7')).toBe('2001:db8::7');
    expect(clients.of('::ffff:127.0.0.1', '203.0.113.9')).toBe('203.0.113.9');
    expect(new ClientAddresses().of('::ffff:203.0.113.9', undefined)).toBe('203.0.113.9');
    expect(clients.of('127.0.0.1', '::FFFF:203.0.113.9')).toBe('203.0.113.9');
  });

  it('takes the address from hops that carry a port', () => {
    const clients = new ClientAddresses(ranges('127.0.0.1'));
    expect(clients.of('127.0.0.1', '203.0.113.9:41234')).toBe('203.0.113.9');
    expect(clients.of('127.0.0.1', '[2001:db8::7]:41234')).toBe('2001:db8::7');
  });

  it('stops at the last trusted hop when the next one is not an address', () => {
    const clients = new ClientAddresses(ranges('127.0.0.1', '10.0.0.0/8'));
    expect(clients.of('127.0.0.1', 'unknown, 10.0.0.5')).toBe('10.0.0.5');
  });

  it('is the left-most hop when every hop is a trusted proxy', () => {
    const clients = new ClientAddresses(ranges('10.0.0.0/8', '127.0.0.1'));
    expect(clients.of('127.0.0.1', '10.0.0.9, 10.0.0.5')).toBe('10.0.0.9');
  });

  it('reads every X-Forwarded-For header of the request, in order', () => {
    const clients = new ClientAddresses(ranges('127.0.0.1'));
    expect(clients.of('127.0.0.1', ['203.0.113.1', '203.0.113.9'])).toBe('203.0.113.9');
  });
});
