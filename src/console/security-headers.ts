import helmet from 'helmet';
import type { RequestHandler } from 'express';

/**
 * The console's response headers: a strict Content-Security-Policy (scripts, styles and
 * connections from this origin only, no inline code, no frames, forms posting only here), no
 * caching of pages (they show operator data), and helmet's other defaults.
 */
export const CONSOLE_CSP = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

export function consoleHeaders(): RequestHandler[] {
  return [
    // X-Frame-Options DENY, as frame-ancestors 'none' says (helmet's default, SAMEORIGIN, said less).
    helmet({ contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP }, referrerPolicy: { policy: 'same-origin' }, frameguard: { action: 'deny' } }),
    (_req, res, next) => {
      res.set('Cache-Control', 'no-store');
      next();
    },
  ];
}
