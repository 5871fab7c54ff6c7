import proxyaddr from 'proxy-addr';

/**
 * Which peers may tell the client's address in X-Forwarded-For (TRUST_PROXY):
 * - `false`: none (the default): the client is the TCP peer, X-Forwarded-For is ignored;
 * - a number N: the last N hops are proxies (the peer and the N-1 addresses it appended), so
 *   the client is the address N entries from the right of the chain;
 * - a list of addresses, CIDR ranges and Express's names `loopback`, `linklocal`,
 *   `uniquelocal`: peers in the list are proxies; the client is the first address, from the
 *   right, that is not in it.
 * The same value is Express's `trust proxy` setting and the webhook route's rule.
 */
export type TrustProxy = false | number | string[];

const NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Public addresses spread over the whole IPv4 unicast space (one in every /5) and IPv6's global
 * unicast space (2000::/3, one in every /7): a list that trusts all of them trusts every address
 * a client could come from, whether one range does it or several together (0.0.0.0/1 and
 * 128.0.0.0/1). The named private ranges hold none of them.
 */
const SPREAD = [
  ...Array.from({ length: 28 }, (_, i) => `${i * 8 + 1}.${(i * 37) % 256}.${(i * 91) % 256}.1`),
  '223.255.255.1',
  ...Array.from({ length: 16 }, (_, i) => `${(0x2000 + i * 0x200 + 0x11).toString(16)}:${(i * 4099).toString(16)}::1`),
  '3fff:ffff::1',
];

function trustsAll(trusts: (address: string, hop: number) => boolean, family: 4 | 6): boolean {
  return SPREAD.filter((a) => a.includes(':') === (family === 6)).every((a) => trusts(a, 0));
}

/** Parses TRUST_PROXY; throws an Error with the reason (the caller names the variable). */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim();
  if (text === '' || text === 'false' || text === '0') return false;
  if (text === 'true') {
    throw new Error(
      'true would believe any X-Forwarded-For (every client could pick its own address); give the number of proxies in front of the server (such as 1) or their addresses',
    );
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 32) throw new Error('a hop count of at most 32');
    return hops;
  }
  const entries = text.split(',').map((e) => e.trim());
  if (entries.some((e) => e === '')) throw new Error('an empty entry in the list');
  entries.forEach((entry, i) => {
    if (NAMES.includes(entry)) return;
    let trusts: (address: string, hop: number) => boolean;
    try {
      trusts = proxyaddr.compile(entry);
    } catch {
      // The position, not the value: configuration errors never print values.
      throw new Error(`entry ${i + 1} of the list is neither an IP address, a CIDR range (such as 10.0.0.0/8) nor one of ${NAMES.join(', ')}`);
    }
    // A range that holds every address (::ffff:0:0/96, the IPv4-mapped range, holds every IPv4
    // client; proxy-addr refuses /0 ranges itself) is `true` under another name.
    if (trustsAll(trusts, 4) || trustsAll(trusts, 6)) {
      throw new Error(
        `entry ${i + 1} of the list is every address, which would believe any X-Forwarded-For, as true would; give the proxies' own addresses or ranges`,
      );
    }
  });
  const list = proxyaddr.compile(entries);
  if (trustsAll(list, 4) || trustsAll(list, 6)) {
    throw new Error(
      "the list's entries together are every address, which would believe any X-Forwarded-For, as true would; give the proxies' own addresses or ranges",
    );
  }
  return entries;
}
