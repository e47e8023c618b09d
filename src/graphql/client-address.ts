import { BlockList, isIP } from 'node:net';

/** An address or a CIDR range of proxies whose `X-Forwarded-For` is believed. */
export interface AddressRange {
  address: string;
  /** Prefix length; the whole address when absent. */
  prefix?: number;
  family: 'ipv4' | 'ipv6';
}

/** `10.0.0.1`, `10.0.0.0/8`, `::1` or `fd00::/8` as a range, or undefined when it is none of these. */
export function parseAddressRange(text: string): AddressRange | undefined {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || address.includes('%') || rest.length > 0) return undefined;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  if (prefixText === undefined) return { address, family };
  const prefix = Number(prefixText);
  const bits = version === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) return undefined;
  return { address, prefix, family };
}

/**
 * Who the client of a request is. Without trusted proxies it is the socket's peer. Behind
 * proxies or load balancers (their addresses or ranges trusted), it is the right-most hop of
 * `X-Forwarded-For` that is not a trusted proxy: every trusted proxy appends the address it
 * was called from, so the hops to the right of that one were written by proxies we trust,
 * and anything to its left may have been written by the client itself. A peer that is not
 * trusted cannot name a client: its header is ignored.
 */
export class ClientAddresses {
  private readonly trusted = new BlockList();
  private readonly none: boolean;

  constructor(trustedProxies: readonly AddressRange[] = []) {
    for (const range of trustedProxies) {
      if (range.prefix === undefined) this.trusted.addAddress(range.address, range.family);
      else this.trusted.addSubnet(range.address, range.prefix, range.family);
    }
    this.none = trustedProxies.length === 0;
  }

  /** The client's address, from the socket's peer and the request's `X-Forwarded-For` header. */
  of(peer: string | undefined, forwardedFor: string | string[] | undefined): string {
    // The socket's address is always an IP address; only its spelling needs settling.
    let address = peer === undefined ? 'unknown' : spelling(peer);
    if (this.none || forwardedFor === undefined || !this.trusts(address)) return address;
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
    for (let index = hops.length - 1; index >= 0; index -= 1) {
      const hop = normalise(withoutPort(hops[index]!.trim()));
      // A hop that is no address: the last one a trusted proxy vouched for is all we know.
      if (hop === undefined) return address;
      address = hop;
      if (!this.trusts(hop)) return hop;
    }
    // Every hop is a trusted proxy: the left-most is the nearest to the client we know.
    return address;
  }

  private trusts(address: string): boolean {
    return this.trusted.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
  }
}

/** A hop of X-Forwarded-For as an IP address in its one spelling, or undefined when it is none. */
function normalise(hop: string): string | undefined {
  return isIP(hop.split('%', 1)[0]!) === 0 ? undefined : spelling(hop);
}

/** One spelling per client for an IP address: IPv4-mapped IPv6 as IPv4, lower case, no zone. */
function spelling(address: string): string {
  const zone = address.indexOf('%');
  const unzoned = zone === -1 ? address : address.slice(0, zone);
  if (!unzoned.includes(':')) return unzoned;
  const ipv6 = unzoned.toLowerCase();
  return ipv6.startsWith('::ffff:') && ipv6.includes('.') ? ipv6.slice(7) : ipv6;
}

/** A hop without the port some proxies append: `1.2.3.4:5678`, `[2001:db8::1]:5678`. */
function withoutPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1]!;
  const ipv4 = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return ipv4 ? ipv4[1]! : hop;
}
