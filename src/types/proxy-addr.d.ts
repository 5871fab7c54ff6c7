// The part of proxy-addr (Express's own X-Forwarded-For resolver; it ships no types) this
// project uses.
declare module 'proxy-addr' {
  import type { IncomingMessage } from 'node:http';

  type Trust = (address: string, hop: number) => boolean;
  function proxyaddr(req: IncomingMessage, trust: Trust | string | string[]): string;
  namespace proxyaddr {
    /** Compiles addresses, CIDRs and the names loopback, linklocal, uniquelocal; throws TypeError on an invalid one. */
    function compile(value: string | string[]): Trust;
  }
  export = proxyaddr;
}
