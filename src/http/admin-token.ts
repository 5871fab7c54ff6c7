import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The bearer token of a request's Authorization header, or null. */
export function bearerToken(req: IncomingMessage): string | null {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return null;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1]! : null;
}

/**
 * Whether the request carries ADMIN_TOKEN. The two tokens' SHA-256 digests are compared in
 * constant time: equal lengths whatever was sent, so neither the token nor its length shows in
 * the time the answer takes.
 */
export function hasAdminToken(req: IncomingMessage, adminToken: string | undefined): boolean {
  if (!adminToken) return false;
  const given = bearerToken(req);
  return given !== null && sameSecret(given, adminToken);
}

/** Whether `given` is `secret`, compared as SHA-256 digests in constant time (the console's login). */
export function sameSecret(given: string, secret: string): boolean {
  return timingSafeEqual(digest(given), digest(secret));
}
