import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config/index.js';

/** The client's address of a request, as the rate limiter, the logs and stored deliveries see it. */
export type ClientAddress = (req: IncomingMessage) => string | undefined;

/**
 * The client's address by the same rule Express applies to `req.ip` (proxy-addr, which Express
 * uses): the TCP peer, unless TRUST_PROXY trusts it, in which case X-Forwarded-For is walked from
 * the right up to the first address that is not a trusted proxy. With TRUST_PROXY off the header
 * is never read. The webhook route, served before Express, uses this.
 */
export function clientAddressResolver(trust: TrustProxy): ClientAddress {
  if (trust === false) return (req) => req.socket.remoteAddress;
  const hops = trust;
  const rule = typeof hops === 'number' ? (_address: string, hop: number) => hop < hops : proxyaddr.compile(hops);
  return (req) => (req.socket.remoteAddress === undefined ? undefined : proxyaddr(req, rule));
}

/**
 * Whether a TCP peer is a proxy TRUST_PROXY trusts (its connections carry many clients): with a
 * hop count every peer is, with a list those in it, with TRUST_PROXY off none.
 */
export function trustedPeer(trust: TrustProxy): (address: string | undefined) => boolean {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return () => trust > 0;
  const rule = proxyaddr.compile(trust);
  return (address) => address !== undefined && rule(address, 0);
}
