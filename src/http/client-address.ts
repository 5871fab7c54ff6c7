import net from 'node:net';

/**
 * The key a client is counted by for the per-client share of the body budget, from its address
 * (the TCP peer, or the forwarded address when TRUST_PROXY trusts the peer: see trusted-proxy.ts).
 * An IPv4-mapped IPv6 address counts as its IPv4 address, and an IPv6 address as its /64 (one
 * host usually has a whole /64, so counting single addresses would let it pick new ones).
 * 'unknown' when there is no address (the socket closed).
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown';
  // An IPv4 address (the common case) has no colon: no IPv6 parsing on every request.
  if (!address.includes(':')) return address;
  if (address.startsWith('::ffff:') && net.isIPv4(address.slice(7))) return address.slice(7);
  if (!net.isIPv6(address)) return address;
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] {
  const bare = address.split('%', 1)[0]!.toLowerCase();
  const [head = '', tail] = bare.split('::', 2) as [string, string | undefined];
  const split = (s: string) => (s ? s.split(':') : []);
  const left = split(head);
  const right = tail === undefined ? [] : split(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4 handled above; 64:ff9b::1.2.3.4 and others here) is two groups.
  const last = right.length ? right : left;
  const v4 = last[last.length - 1];
  if (v4 && net.isIPv4(v4)) {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    last.splice(last.length - 1, 1, ((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => parseInt(g, 16).toString(16));
}
