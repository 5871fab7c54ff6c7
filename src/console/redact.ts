import type { RequestHandler } from 'express';
import { escapeHtml } from './html.js';

/**
 * Every console response with the configuration's secret values replaced by [redacted], as the
 * logger does for its lines: a handler's stored error, X's message or a store error may quote a
 * token or a handler option's secret, and the console shows those texts. Secrets are matched as
 * written, HTML-escaped (as a page shows them) and JSON-escaped (as a page shows a payload).
 * Values shorter than MIN_LENGTH are left alone: a handler option such as {"tokens": "5"} is no
 * secret worth mangling every page (and its forms' CSRF tokens) for.
 */
const MIN_LENGTH = 8;

export function redactSecrets(secrets: ReadonlyArray<string | undefined>): RequestHandler {
  const forms = [
    ...new Set(
      secrets
        .filter((s): s is string => typeof s === 'string' && s.length >= MIN_LENGTH)
        .flatMap((s) => [s, escapeHtml(s), JSON.stringify(s).slice(1, -1), escapeHtml(JSON.stringify(s).slice(1, -1))]),
    ),
  ].sort((a, b) => b.length - a.length);
  const scrub = (text: string) => {
    let out = text;
    for (const f of forms) if (out.includes(f)) out = out.split(f).join('[redacted]');
    return out;
  };
  return (_req, res, next) => {
    if (forms.length === 0) return next();
    const send = res.send.bind(res);
    res.send = (body?: unknown) => send(typeof body === 'string' ? scrub(body) : body);
    next();
  };
}
