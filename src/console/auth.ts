import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { sameSecret } from '../http/admin-token.js';
import { rateLimit } from '../http/rate-limit.js';
import type { ConsoleDeps } from './context.js';
import { crossSiteReason, sameToken } from './csrf.js';
import { html } from './html.js';
import { page } from './layout.js';
import type { Session } from './session.js';

export const SESSION_COOKIE = 'xaa_console';
/** Login attempts per minute per client address (as Express resolves it: TRUST_PROXY). */
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * The session cookie: HttpOnly, SameSite=Strict, Path=/console, and Secure when the request came
 * over HTTPS (req.secure: the server's own TLS, or X-Forwarded-Proto from a proxy TRUST_PROXY trusts).
 */
function setSessionCookie(res: Response, value: string, maxAgeSeconds: number): void {
  const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/console', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (res.req.secure) parts.push('Secure');
  res.append('Set-Cookie', parts.join('; '));
}

export function forbidden(res: Response, why: string): void {
  res.status(403).type('html').send(String(page({ title: 'Refused', body: html`<p>This request was refused: ${why}.</p><p><a href="/console/login">Log in</a></p>` })));
}

/** A path to return to after logging in: only console pages of this server. */
function safeNext(value: unknown): string {
  return typeof value === 'string' && /^\/console\/[A-Za-z0-9/_\-.?=&%]*$/.test(value) && !value.startsWith('/console/login') ? value : '/console/events';
}

function loginPage(next: string, error?: string) {
  return page({
    title: 'Log in',
    error,
    body: html`<form class="stack login" method="post" action="/console/login">
<p>Log in with the receiver's <code>ADMIN_TOKEN</code>.</p>
<label for="token">Admin token<input id="token" name="token" type="password" autocomplete="current-password" required autofocus></label>
<input type="hidden" name="next" value="${next}">
<button type="submit">Log in</button>
</form>`,
  });
}

/** GET/POST /console/login and POST /console/logout. */
export function authRoutes(deps: ConsoleDeps): Router {
  const router = express.Router();
  const adminToken = deps.config.adminToken!;
  router.get('/login', (req, res) => {
    res.type('html').send(String(loginPage(safeNext(req.query.next))));
  });
  // Refused attempts get the login page again with the reason (a person reads it), not the API's JSON.
  const refuse = (req: Request, res: Response) => {
    const seconds = Number(res.get('retry-after')) || 60;
    res.type('html').send(String(loginPage(safeNext((req.body as Record<string, unknown> | undefined)?.next), `Too many login attempts from this address: try again in ${seconds} s.`)));
  };
  router.post('/login', rateLimit({ perMinute: LOGIN_ATTEMPTS_PER_MINUTE, logger: deps.logger, refuse }), (req, res) => {
    const why = crossSiteReason(req);
    if (why) return forbidden(res, why);
    const body = req.body as Record<string, unknown> | undefined;
    const next = safeNext(body?.next);
    if (typeof body?.token !== 'string' || !sameSecret(body.token, adminToken)) {
      deps.logger.warn({ remoteAddr: req.ip }, 'console login refused: wrong token');
      res.status(401).type('html').send(String(loginPage(next, 'That is not the admin token.')));
      return;
    }
    // A fresh id at every login (no fixation): any session the browser had is ended.
    deps.sessions.destroy(readCookie(req.headers.cookie, SESSION_COOKIE));
    const { id } = deps.sessions.create();
    setSessionCookie(res, id, Math.floor(deps.config.console.sessionMs / 1000));
    deps.logger.info({ remoteAddr: req.ip }, 'console login');
    res.redirect(303, next);
  });
  const loggedOut: RequestHandler = (_req, res) => {
    setSessionCookie(res, '', 0);
    res.redirect(303, '/console/login');
  };
  router.post(
    '/logout',
    // A session that has expired already: nothing to end, back to the login.
    (req, res, next) => (deps.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE)) ? next() : loggedOut(req, res, next)),
    requireSession(deps),
    requireSameSite,
    (req, res, next) => {
      deps.sessions.destroy(readCookie(req.headers.cookie, SESSION_COOKIE));
      loggedOut(req, res, next);
    },
  );
  return router;
}

/**
 * Every console route past the login: a live session or nothing. A page is redirected to the
 * login (303); anything else (a form post, the live tail's stream) is refused.
 */
export function requireSession(deps: ConsoleDeps): RequestHandler {
  return (req, res, next) => {
    const session = deps.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (session) {
      res.locals.session = session;
      return next();
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      if (req.get('accept')?.includes('text/event-stream')) {
        res.status(401).type('text').send('log in first');
        return;
      }
      res.redirect(303, `/console/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    forbidden(res, 'no console session (log in first)');
  };
}

/** State-changing requests: same origin (csrf.ts) and the session's CSRF token in the form. */
export const requireSameSite: RequestHandler = (req, res, next) => {
  if (req.method === 'GET' || req.method === 'HEAD') return next();
  const why = crossSiteReason(req);
  if (why) return forbidden(res, why);
  const session = res.locals.session as Session;
  if (!sameToken((req.body as Record<string, unknown> | undefined)?._csrf, session.csrf)) return forbidden(res, 'the form has no valid CSRF token (reload the page)');
  next();
};
