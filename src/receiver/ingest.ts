import { createHash } from 'node:crypto';
import type { AnyXEvent } from '../events/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { DeliveryInput, EventInput, Inbox } from '../store/index.js';
import { parseEnvelope } from './envelope/index.js';
import { parseJsonLossless } from './json.js';
import { SIGNATURE_HEADER, verifySignature } from './signature.js';

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
  inbox: Pick<Inbox, 'write'>;
  metrics: Metrics;
  logger: Logger;
}

function header(headers: IncomingDelivery['headers'], name: string): string | null {
  const value = headers[name];
  return typeof value === 'string' ? value : null;
}

/** The stored form of a normalized event. */
export function toEventInput(event: AnyXEvent): EventInput {
  return {
    dedupeKey: event.id,
    type: event.type,
    action: event.action,
    forUserId: event.forUserId,
    format: event.format,
    occurredAt: event.occurredAt,
    payload: JSON.stringify(event.payload) ?? 'null',
    sideObjects: JSON.stringify(event.side),
  };
}

/**
 * verify -> parse -> store -> reply. The reply is 200 only after the delivery and its events are
 * committed; a store failure is a 503 so that X retries. Nothing is stored for a bad signature.
 */
export function createIngest({ secrets, inbox, metrics, logger }: IngestDeps) {
  return async function ingest(incoming: IncomingDelivery): Promise<Reply> {
    const check = verifySignature(incoming.headers[SIGNATURE_HEADER], incoming.body, secrets);
    if (!check.ok) {
      metrics.deliveries.inc({ result: 'bad_signature' });
      logger.warn({ reason: check.reason, remoteAddr: incoming.remoteAddr }, 'webhook signature rejected');
      return {
        status: 401,
        body: {
          error: 'invalid_signature',
          message:
            check.reason === 'missing'
              ? `The ${SIGNATURE_HEADER} header is missing.`
              : check.reason === 'malformed'
                ? `The ${SIGNATURE_HEADER} header is not of the form sha256=<base64>.`
                : 'The signature does not match the body.',
        },
      };
    }

    const receivedAt = incoming.receivedAt ?? new Date();
    const base = {
      receivedAt,
      body: incoming.body,
      bodySha256: createHash('sha256').update(incoming.body).digest('hex'),
      contentType: header(incoming.headers, 'content-type'),
      signature: header(incoming.headers, SIGNATURE_HEADER),
      userAgent: header(incoming.headers, 'user-agent'),
      remoteAddr: incoming.remoteAddr ?? null,
    };

    let parsed: unknown;
    let delivery: DeliveryInput;
    try {
      parsed = parseJsonLossless(incoming.body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined) {
      delivery = { ...base, format: 'unknown', status: 'unparseable', events: [] };
    } else {
      const envelope = parseEnvelope(parsed);
      delivery = { ...base, format: envelope.format, status: 'accepted', events: envelope.events.map(toEventInput) };
    }

    let recorded;
    try {
      recorded = await inbox.write(delivery);
    } catch (error) {
      metrics.deliveries.inc({ result: 'unavailable' });
      logger.error({ err: error }, 'could not store a delivery: answering 503 so that X retries');
      return { status: 503, body: { error: 'store_unavailable', message: 'The delivery could not be stored; retry later.' } };
    }

    if (delivery.status === 'unparseable') {
      metrics.deliveries.inc({ result: 'unparseable' });
      return {
        status: 400,
        body: { error: 'invalid_json', message: 'The body is not valid JSON; it was kept for inspection.', delivery: recorded.deliveryId },
      };
    }
    const fresh = recorded.newEventIds.length;
    metrics.deliveries.inc({ result: recorded.status === 'duplicate' ? 'duplicate' : 'accepted' });
    if (fresh) metrics.events.inc({ outcome: 'new' }, fresh);
    if (recorded.duplicates) metrics.events.inc({ outcome: 'duplicate' }, recorded.duplicates);
    return { status: 200, body: { status: recorded.status, events: fresh, duplicates: recorded.duplicates } };
  };
}

export type Ingest = ReturnType<typeof createIngest>;
