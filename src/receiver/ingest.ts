import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { storageFault, type RecordedDelivery, type StorageFault } from '../store/index.js';
import { CRC_TOKEN_PATTERN } from './crc.js';
import type { RawDelivery } from '../store/index.js';
import { SIGNATURE_HEADER, signatureDigest, verifySignature, type SignatureCheck } from './signature.js';

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export interface IncomingDelivery {
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
  remoteAddr?: string | undefined;
  receivedAt?: Date;
}

export interface IngestDeps {
  /** Secrets accepted for event signatures: the current one first, then a previous one while rotating. */
  secrets: readonly string[];
  inbox: { write(raw: RawDelivery): Promise<RecordedDelivery> };
  metrics: Metrics;
  logger: Logger;
  /** Told about every delivery once it is answered (`xaa dev` prints them); absent in production. */
  onDelivery?: (delivery: AnsweredDelivery) => void;
}

/** A delivery and the answer it got. */
export interface AnsweredDelivery {
  /** The body as received; null when it was refused before being read (a missing or malformed signature). */
  body: Buffer | null;
  reply: Reply;
  /** From the body read to the answer (verify, store). */
  ms: number;
}

function header(headers: IncomingDelivery['headers'], name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

const SIGNATURE_PROBLEMS = {
  missing: `The ${SIGNATURE_HEADER} header is missing.`,
  malformed: `The ${SIGNATURE_HEADER} header is not of the form sha256=<base64>.`,
  mismatch: 'The signature does not match the body.',
};

/**
 * verify -> store (the inbox parses and commits) -> reply. The reply is 200 only after the
 * delivery and its events are committed; a store failure is a 503 so that X retries. Nothing is
 * stored for a bad signature.
 */
export function createIngest({ secrets, inbox, metrics, logger, onDelivery }: IngestDeps) {
  // The webhook is never rate limited (X must get through), so rejected signatures are logged
  // at most once a second with a count of the ones not logged: a flood cannot flood the log.
  let lastRejectLog = 0;
  let unlogged = 0;
  let lastStaleLog = 0;
  // A full or unreachable store fails every delivery: one line a second, with the count not logged.
  let lastStoreLog = 0;
  let storeUnlogged = 0;
  const STORE_PROBLEMS: Record<StorageFault, { error: string; message: string }> = {
    full: { error: 'store_full', message: 'The store is full: the delivery could not be stored; retry later.' },
    busy: { error: 'store_unavailable', message: 'The delivery could not be stored; retry later.' },
    unavailable: { error: 'store_unavailable', message: 'The delivery could not be stored; retry later.' },
  };
  function rejected(reason: Exclude<SignatureCheck, { ok: true }>['reason'], remoteAddr: string | undefined): Reply {
    metrics.deliveries.inc({ result: 'bad_signature' });
    const now = Date.now();
    if (now - lastRejectLog >= 1000) {
      logger.warn({ reason, remoteAddr, notLogged: unlogged }, 'webhook signature rejected');
      lastRejectLog = now;
      unlogged = 0;
    } else {
      unlogged++;
    }
    return { status: 401, body: { error: 'invalid_signature', message: SIGNATURE_PROBLEMS[reason] } };
  }

  async function ingest(incoming: IncomingDelivery): Promise<Reply> {
    if (!onDelivery) return answer(incoming);
    const started = performance.now();
    const reply = await answer(incoming);
    onDelivery({ body: incoming.body, reply, ms: performance.now() - started });
    return reply;
  }

  async function answer(incoming: IncomingDelivery): Promise<Reply> {
    const check = verifySignature(incoming.headers[SIGNATURE_HEADER], incoming.body, secrets);
    if (!check.ok) return rejected(check.reason, incoming.remoteAddr);

    // A body that has the shape of a CRC token may carry a signature our own CRC endpoint made
    // (the CRC answer is the HMAC of the token with the same key): never take it as a delivery.
    // No JSON object or array can have that shape, so no real delivery is refused.
    if (incoming.body.length <= 128 && CRC_TOKEN_PATTERN.test(incoming.body.toString('latin1'))) {
      metrics.deliveries.inc({ result: 'bad_signature' });
      return { status: 401, body: { error: 'invalid_signature', message: 'The body cannot be a webhook delivery.' } };
    }

    let recorded: RecordedDelivery;
    try {
      recorded = await inbox.write({
        receivedAt: incoming.receivedAt ?? new Date(),
        body: incoming.body,
        contentType: header(incoming.headers, 'content-type'),
        userAgent: header(incoming.headers, 'user-agent'),
        remoteAddr: incoming.remoteAddr ?? null,
      });
    } catch (error) {
      const reason = storageFault(error);
      metrics.deliveries.inc({ result: 'unavailable' });
      metrics.storeWriteFailures.inc({ reason });
      const now = Date.now();
      if (now - lastStoreLog >= 1000) {
        logger.error({ err: error, reason, notLogged: storeUnlogged }, 'could not store a delivery: answering 503 so that X retries');
        lastStoreLog = now;
        storeUnlogged = 0;
      } else {
        storeUnlogged++;
      }
      // Nothing was acknowledged: X retries it, and intake resumes by itself once the store takes writes again.
      return { status: 503, body: STORE_PROBLEMS[reason] };
    }

    if (recorded.status === 'unparseable') {
      metrics.deliveries.inc({ result: 'unparseable' });
      logger.warn({ delivery: recorded.deliveryId }, 'signed delivery is not processable JSON: kept as unparseable, answered 400');
      return {
        status: 400,
        body: {
          error: 'invalid_json',
          message: 'The body is not JSON that can be processed (invalid, or nested too deeply); it was kept for inspection.',
          delivery: recorded.deliveryId,
        },
      };
    }
    const fresh = recorded.newEventIds.length;
    metrics.deliveries.inc({ result: recorded.status === 'duplicate' || recorded.status === 'stale' ? recorded.status : 'accepted' });
    if (fresh) metrics.events.inc({ outcome: 'new' }, fresh);
    if (recorded.duplicates) metrics.events.inc({ outcome: 'duplicate' }, recorded.duplicates);
    if (recorded.stale) {
      // Acknowledged (X must not retry it) and kept, never dispatched: see `xaa events list --state stale`.
      metrics.events.inc({ outcome: 'stale' }, recorded.stale);
      // At most one line a second: replayed bodies are signed and could come in numbers.
      if (Date.now() - lastStaleLog >= 1000) {
        lastStaleLog = Date.now();
        logger.warn(
          { delivery: recorded.deliveryId, stale: recorded.stale },
          'delivery carried activities older than the dedupe window (a replayed body?): stored as stale, not dispatched',
        );
      }
    }
    return {
      status: 200,
      body: { status: recorded.status, events: fresh, duplicates: recorded.duplicates, ...(recorded.stale ? { stale: recorded.stale } : {}) },
    };
  }

  /**
   * The answer to a delivery whose signature header is missing or malformed, decided from its
   * headers alone (null when the header is well-formed): such a body is refused before it is
   * read, so that unsigned requests cannot make the server buffer bodies.
   */
  function refuseUnsigned(headers: IncomingDelivery['headers'], remoteAddr: string | undefined): Reply | null {
    const digest = signatureDigest(headers[SIGNATURE_HEADER]);
    if (Buffer.isBuffer(digest)) return null;
    const reply = rejected(digest, remoteAddr);
    onDelivery?.({ body: null, reply, ms: 0 });
    return reply;
  }

  return Object.assign(ingest, { refuseUnsigned });
}

export type Ingest = ReturnType<typeof createIngest>;
