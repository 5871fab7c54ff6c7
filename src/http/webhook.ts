import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { checkCrcToken, crcResponseToken } from '../receiver/crc.js';
import type { Ingest } from '../receiver/ingest.js';
import type { ClientAddress } from './trusted-proxy.js';
import { BodyTooLarge, readRawBody } from './raw-body.js';
import { errorBody } from './errors.js';

export interface WebhookRouteDeps {
  path: string;
  consumerSecret: string;
  maxBodyBytes: number;
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
const ALLOW: readonly string[] = ['allow', 'GET, POST'];
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
  const clientAddressOf: ClientAddress = deps.clientAddressOf ?? ((req) => req.socket.remoteAddress);

  function crc(res: ServerResponse, query: string): void {
    const started = performance.now();
    const tokens = new URLSearchParams(query).getAll('crc_token');
    const check = checkCrcToken(tokens.length > 1 ? tokens : tokens[0]);
    const outcome = check.ok ? 'ok' : 'rejected';
    if (check.ok) {
      send(res, 200, { response_token: crcResponseToken(deps.consumerSecret, check.token) });
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
      );
    }
    const latencyMs = performance.now() - started;
    deps.metrics.crc.observe({ outcome }, latencyMs / 1000);
    deps.onCrc?.({ answeredAt: new Date(), latencyMs, outcome });
    // CRCs are rare (X sends one every few minutes at most): worth a line at info. Never the token.
    logger.info({ method: 'GET', path: deps.path, status: res.statusCode, latencyMs }, 'crc answered');
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
      send(res, 415, errorBody('unsupported_media_type', 'Deliveries must be application/json.'));
      req.resume();
      return;
    }
    // A missing or malformed signature header is refused before the body is read (the
    // connection is closed rather than drained): unsigned requests cannot make us buffer bodies.
    const unsigned = deps.ingest.refuseUnsigned(req.headers, clientAddressOf(req));
    if (unsigned) {
      send(res, unsigned.status, unsigned.body, CLOSE);
      return;
    }
    let body: Buffer;
    try {
      body = await readRawBody(req, deps.maxBodyBytes);
    } catch (error) {
      deps.metrics.deliveries.inc({ result: 'rejected' });
      if (error instanceof BodyTooLarge) {
        send(res, 413, errorBody('payload_too_large', `The body exceeds ${deps.maxBodyBytes} bytes.`), CLOSE);
      } else if (!res.headersSent && !res.destroyed) {
        send(res, 400, errorBody('bad_request', 'The body could not be read.'));
      }
      return;
    }
    const reply = await deps.ingest({ body, headers: req.headers, remoteAddr: clientAddressOf(req) });
    send(res, reply.status, reply.body);
    // No request logger runs on this route: one line per delivery at debug (guarded: the hot path).
    if (logger.isLevelEnabled('debug')) {
      logger.debug({ method: 'POST', path: deps.path, status: reply.status, ms: performance.now() - started }, 'delivery');
    }
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
        crc(res, q < 0 ? '' : url.slice(q + 1));
      } else {
        send(res, 405, errorBody('method_not_allowed', 'Use GET (CRC) or POST (deliveries).'), ALLOW);
      }
    } catch (err) {
      failed(res, err);
    }
    return true;
  };
}
