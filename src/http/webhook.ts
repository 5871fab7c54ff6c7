import { Router, type Request, type Response } from 'express';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { checkCrcToken, crcResponseToken } from '../receiver/crc.js';
import type { Ingest } from '../receiver/ingest.js';
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
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const media = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return media === 'application/json';
}

/** GET (CRC) and POST (deliveries) on WEBHOOK_PATH. */
export function webhookRoutes(deps: WebhookRouteDeps): Router {
  const router = Router();

  router.get(deps.path, (req: Request, res: Response) => {
    const started = performance.now();
    const check = checkCrcToken(req.query.crc_token);
    const outcome = check.ok ? 'ok' : 'rejected';
    if (check.ok) {
      res.status(200).json({ response_token: crcResponseToken(deps.consumerSecret, check.token) });
    } else {
      res
        .status(400)
        .json(
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
  });

  router.post(deps.path, async (req: Request, res: Response) => {
    if (deps.isClosing?.()) {
      res.set('Connection', 'close');
      res.status(503).json(errorBody('shutting_down', 'This instance is shutting down; retry.'));
      return;
    }
    if (!isJson(req.headers['content-type'])) {
      deps.metrics.deliveries.inc({ result: 'rejected' });
      res.status(415).json(errorBody('unsupported_media_type', 'Deliveries must be application/json.'));
      req.resume();
      return;
    }
    let body: Buffer;
    try {
      body = await readRawBody(req, deps.maxBodyBytes);
    } catch (error) {
      deps.metrics.deliveries.inc({ result: 'rejected' });
      if (error instanceof BodyTooLarge) {
        res.set('Connection', 'close');
        res.status(413).json(errorBody('payload_too_large', `The body exceeds ${deps.maxBodyBytes} bytes.`));
      } else {
        res.status(400).json(errorBody('bad_request', 'The body could not be read.'));
      }
      return;
    }
    const reply = await deps.ingest({ body, headers: req.headers, remoteAddr: req.socket.remoteAddress });
    res.status(reply.status).json(reply.body);
  });

  router.all(deps.path, (_req, res) => {
    res.set('Allow', 'GET, POST').status(405).json(errorBody('method_not_allowed', 'Use GET (CRC) or POST (deliveries).'));
  });

  return router;
}
