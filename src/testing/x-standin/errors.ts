/** X's error answers, as the stand-in sends them. */

export const INVALID = { title: 'Invalid Request', detail: 'One or more parameters to your request was invalid.', type: 'https://api.twitter.com/2/problems/invalid-request' };

/** Thrown by a route: the status and body to answer with. */
export class HttpError extends Error {
  headers: Record<string, string> = {};
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

/** X's "Reason: details" error, e.g. invalid('CrcValidationFailed', '...'). */
export function invalid(reason: string, details: string, status = 400): HttpError {
  return new HttpError(status, { errors: [{ message: `${reason}: ${details}` }], ...INVALID });
}

export function unsupported(used: string, supported: string[]): HttpError {
  return new HttpError(403, {
    title: 'Unsupported Authentication',
    detail: `Authenticating with ${used} is forbidden for this endpoint.  Supported authentication types are [${supported.join(', ')}].`,
    type: 'https://api.twitter.com/2/problems/unsupported-authentication',
    status: 403,
  });
}

export function unauthorized(extra: Record<string, unknown> = {}): HttpError {
  return new HttpError(401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized', ...extra });
}
