import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { checkCrcToken, crcResponseToken } from '../receiver/crc.js';
import type { Ingest } from '../receiver/ingest.js';
import type { BodyBudget, BudgetRefusal } from './body-budget.js';
import { clientKey } from './client-address.js';
import type { ClientAddress } from './trusted-proxy.js';
import { announcedLength, BodyAborted, BodyOverBudget, BodyTooLarge, BodyTooSlow, readRawBody } from './raw-body.js';
import { errorBody } from './errors.js';
import { hasBody } from './unread-body.js';

export interface WebhookRouteDeps {
  path: string;
  consumerSecret: string;
  maxBodyBytes: number;
  /** Body bytes in flight, in total and per client: past it, 503 with Retry-After before the body is read. */
  bodyBudget: BodyBudget;
  /** A body arriving slower than this (bytes per second, over each UPLOAD_RATE_WINDOW_MS) is cut off with 408; 0: no minimum. */
  minUploadBytesPerSecond: number;
  /** The window of the minimum upload rate (tests shorten it). */
  uploadRateWindowMs?: number;
  ingest: Ingest;
  metrics: Metrics;
  logger: Logger;
  /** Told about every CRC answered (for the doctor command); must not throw. */
  onCrc?: (check: { answeredAt: Date; latencyMs: number; outcome: 'ok' | 'rejected' }) => void;
  /** While true, POSTs get 503 (shutting down). */
  isClosing?: () => boolean;
  /** The client's address (TRUST_PROXY's rule); default: the TCP peer. */
  clientAddressOf?: ClientAddress;
}

/**
 * Answers the request and returns true when it is for WEBHOOK_PATH; returns false, having
 * touched nothing, for every other path.
 */
export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * What helmet sends on a JSON API answer, fixed once as name/value pairs (the array form of
 * writeHead: no per-request header object): this route is answered before Express and helmet.
 */
const HEADERS: readonly string[] = [
  'content-type', 'application/json; charset=utf-8',
  'cache-control', 'no-store',
  'content-security-policy', "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy', 'same-origin',
  'referrer-policy', 'no-referrer',
  'strict-transport-security', 'max-age=31536000; includeSubDomains',
  'x-content-type-options', 'nosniff',
  'x-frame-options', 'DENY',
];

const CLOSE: readonly string[] = ['connection', 'close'];
/**
 * Past the body budget: X retries a delivery that got a 5xx. A few seconds is what it takes for
 * the bodies in flight to finish or be cut off (the upload-rate window).
 */
export const BUSY_RETRY_AFTER_SECONDS = 5;
const BUSY: readonly string[] = ['retry-after', String(BUSY_RETRY_AFTER_SECONDS), 'connection', 'close'];
// Another method's body is never read: the connection is closed rather than drained.
const ALLOW: readonly string[] = ['allow', 'GET, POST', 'connection', 'close'];
const NONE: readonly string[] = [];

function send(res: ServerResponse, status: number, body: unknown, extra: readonly string[] = NONE): void {
  const text = JSON.stringify(body);
  res.writeHead(status, HEADERS.concat('content-length', String(Buffer.byteLength(text)), extra));
  res.end(text);
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  // The common exact spellings without allocating; anything else (parameters, casing, spaces) parsed.
  if (contentType === 'application/json' || contentType === 'application/json; charset=utf-8') return true;
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json';
}

/**
 * GET (CRC) and POST (deliveries) on WEBHOOK_PATH, straight from the node:http request listener,
 * before Express: the hot path skips Express's routing, helmet (the same security headers are set
 * here), the request logger (deliveries are logged at debug) and the rate limiter (X is never
 * throttled). Everything else returns false and goes to Express.
 */
export function webhookRoute(deps: WebhookRouteDeps): WebhookHandler {
  const { logger } = deps;
  const refusals = throttledRefusalLog(logger);
  const crcLines = oncePerSecond();
  const clientAddressOf: ClientAddress = deps.clientAddressOf ?? ((req) => req.socket.remoteAddress);

  function crc(req: IncomingMessage, res: ServerResponse, query: string): void {
    const started = performance.now();
    // X's CRCs have no body. One sent with a body is answered without reading it: the connection
    // is closed rather than drained (as for the refusals below).
    const extra = hasBody(req) && !req.complete ? CLOSE : NONE;
    const tokens = new URLSearchParams(query).getAll('crc_token');
    const check = checkCrcToken(tokens.length > 1 ? tokens : tokens[0]);
    const outcome = check.ok ? 'ok' : 'rejected';
    if (check.ok) {
      send(res, 200, { response_token: crcResponseToken(deps.consumerSecret, check.token) }, extra);
    } else {
      send(
        res,
        400,
        errorBody(
          'invalid_crc_token',
          check.reason === 'missing'
            ? 'The crc_token query parameter is missing.'
            : 'The crc_token must be 16-128 characters of A-Z, a-z, 0-9, +, /, =, _ or -.',
        ),
        extra,
      );
    }
    const latencyMs = performance.now() - started;
    deps.metrics.crc.observe({ outcome }, latencyMs / 1000);
    deps.onCrc?.({ answeredAt: new Date(), latencyMs, outcome });
    // X's CRCs are rare (one every few minutes at most): each is worth a line at info. Anyone can
    // send one, though, and this route is served before the rate limiter: at most a line a second,
    // with the count of those not logged. Never the token.
    crcLines.note((notLogged) =>
      logger.info({ method: 'GET', path: deps.path, status: res.statusCode, latencyMs, ...(notLogged ? { notLogged } : {}) }, 'crc answered'),
    );
  }

  async function post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    if (deps.isClosing?.()) {
      send(res, 503, errorBody('shutting_down', 'This instance is shutting down; retry.'), CLOSE);
      req.resume();
      return;
    }
    if (!isJson(req.headers['content-type'])) {
      deps.metrics.deliveries.inc({ result: 'rejected' });
      // The body is never read: the connection is closed rather than drained (a client could
      // otherwise make the server read junk at wire speed until HTTP_REQUEST_TIMEOUT_MS).
      send(res, 415, errorBody('unsupported_media_type', 'Deliveries must be application/json.'), CLOSE);
      return;
    }
    // X sends bodies as they are. An encoded one (a proxy's gzip) is refused as such, unread:
    // verified as bytes it would fail as a bad signature, or be stored as unparseable.
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      deps.metrics.deliveries.inc({ result: 'rejected' });
      send(res, 415, errorBody('unsupported_content_encoding', 'Deliveries must not be encoded (Content-Encoding: identity or none).'), CLOSE);
      return;
    }
    // A missing or malformed signature header is refused before the body is read (the
    // connection is closed rather than drained): unsigned requests cannot make us buffer bodies.
    const address = clientAddressOf(req);
    const unsigned = deps.ingest.refuseUnsigned(req.headers, address);
    if (unsigned) {
      send(res, unsigned.status, unsigned.body, CLOSE);
      return;
    }
    const announced = announcedLength(req);
    if (announced !== null && announced > deps.maxBodyBytes) {
      deps.metrics.deliveries.inc({ result: 'rejected' });
      send(res, 413, errorBody('payload_too_large', `The body exceeds ${deps.maxBodyBytes} bytes.`), CLOSE);
      return;
    }
    // The body's bytes are reserved before any is read (its announced length; more as they
    // arrive when it has none), and given back once the request is over, however it ends.
    const client = clientKey(address);
    const reservation = deps.bodyBudget.reserve(client, announced ?? 0);
    if (typeof reservation === 'string') {
      busy(res, reservation, client);
      return;
    }
    res.once('close', () => reservation.release());
    let body: Buffer;
    try {
      body = await readRawBody(req, {
        limit: deps.maxBodyBytes,
        reservation,
        minBytesPerSecond: deps.minUploadBytesPerSecond,
        windowMs: deps.uploadRateWindowMs,
      });
    } catch (error) {
      // Whatever was read is dropped: give its bytes back now rather than when the answer is sent.
      reservation.release();
      if (error instanceof BodyOverBudget) return busy(res, error.refusal, client);
      if (error instanceof BodyTooSlow) {
        deps.metrics.deliveries.inc({ result: 'too_slow' });
        refusals.note('too_slow', client);
        send(
          res,
          408,
          errorBody('upload_too_slow', `The body arrived slower than ${deps.minUploadBytesPerSecond} bytes per second.`),
          CLOSE,
        );
        return;
      }
      deps.metrics.deliveries.inc({ result: 'rejected' });
      if (error instanceof BodyTooLarge) {
        send(res, 413, errorBody('payload_too_large', `The body exceeds ${deps.maxBodyBytes} bytes.`), CLOSE);
      } else if (!(error instanceof BodyAborted) && !res.headersSent && !res.destroyed) {
        send(res, 400, errorBody('bad_request', 'The body could not be read.'), CLOSE);
      }
      return;
    }
    const reply = await deps.ingest({ body, headers: req.headers, remoteAddr: address });
    send(res, reply.status, reply.body);
    // No request logger runs on this route: one line per delivery at debug (guarded: the hot path).
    if (logger.isLevelEnabled('debug')) {
      logger.debug({ method: 'POST', path: deps.path, status: reply.status, ms: performance.now() - started }, 'delivery');
    }
  }

  /** 503 with Retry-After, the body unread and the connection closed: the budget (or this client's share) is taken. */
  function busy(res: ServerResponse, refusal: BudgetRefusal, client: string): void {
    deps.metrics.deliveries.inc({ result: 'over_budget' });
    refusals.note(refusal === 'total' ? 'body_budget' : 'client_share', client);
    send(
      res,
      503,
      errorBody(
        'busy',
        refusal === 'total'
          ? 'Too many request bodies are in flight; retry later.'
          : "This client's share of the request bodies in flight is taken; retry later.",
      ),
      BUSY,
    );
  }

  /** What Express's error handler did for this route before: log at error, answer 500, no details. */
  function failed(res: ServerResponse, err: unknown): void {
    logger.error({ err }, 'request failed');
    if (!res.headersSent && !res.destroyed) send(res, 500, errorBody('internal_error', 'Internal error.'));
  }

  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q < 0 ? url : url.slice(0, q)) !== deps.path) return false;
    try {
      if (req.method === 'POST') {
        post(req, res).catch((err: unknown) => failed(res, err));
      } else if (req.method === 'GET' || req.method === 'HEAD') {
        crc(req, res, q < 0 ? '' : url.slice(q + 1));
      } else {
        send(res, 405, errorBody('method_not_allowed', 'Use GET (CRC) or POST (deliveries).'), ALLOW);
      }
    } catch (err) {
      failed(res, err);
    }
    return true;
  };
}

/**
 * Refusals under load (budget, slow uploads) logged at warn, at most one line a second with the
 * count of those not logged: a flood must not become a flood of log lines.
 */
function throttledRefusalLog(logger: Logger) {
  const lines = oncePerSecond();
  return {
    note(reason: 'body_budget' | 'client_share' | 'too_slow', client: string): void {
      lines.note((notLogged) => logger.warn({ reason, client, notLogged }, 'webhook delivery refused under load'));
    },
  };
}

/** Log lines of one kind at most once a second; each line is told how many were not logged since the last. */
function oncePerSecond() {
  let last = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  return {
    note(log: (notLogged: number) => void): void {
      const now = performance.now();
      if (now - last < 1000) {
        unlogged++;
        return;
      }
      log(unlogged);
      last = now;
      unlogged = 0;
    },
  };
}
