import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * Cross-site request checks for every state-changing console request (login included):
 * - Sec-Fetch-Site, when the browser sends it, must be same-origin (or none: typed by the user);
 * - Origin, when sent, must name this host (as a trusted proxy forwards it; a form posted from another site, or "null" from a
 *   sandboxed frame, is refused). The scheme is not compared: behind a TLS-terminating proxy the
 *   server may see plain HTTP while the browser says https;
 * - the form's CSRF token must be the session's (checked by sameToken).
 * With the SameSite=Strict cookie these are three independent locks; any one failing is a 403.
 */
export function crossSiteReason(req: Request): string | null {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  const origin = req.get('origin');
  if (origin !== undefined) {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return 'the Origin header is not an origin';
    }
    // req.host: the Host header, or X-Forwarded-Host from a proxy TRUST_PROXY trusts.
    if (!host || host !== req.host) return 'the request comes from another origin';
  }
  return null;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether a submitted token equals the session's, compared in constant time (digests of equal length). */
export function sameToken(given: unknown, expected: string): boolean {
  return typeof given === 'string' && given.length > 0 && timingSafeEqual(digest(given), digest(expected));
}
